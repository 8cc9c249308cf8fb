//! H.264 and H.265 Annex B byte streams (ITU-T H.264 Annex B, H.265 Annex B): NAL units
//! separated by start codes (`00 00 01`, or `00 00 00 01` with the zero_byte), grouped into
//! access units.

use crate::WriteError;

/// One NAL unit of a byte stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NalUnit<'a> {
    /// The NAL unit, header included, start code and trailing zero bytes excluded.
    pub data: &'a [u8],
    /// The start code before it: 3, 4 (with the zero_byte), or 0 for bytes before the first
    /// start code.
    pub start_code_len: usize,
    /// Where `data` starts in the stream.
    pub offset: usize,
}

/// Position of the first `00 00 01` in `bytes`.
fn find_start_code(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let mut i = 0;
    loop {
        // Eight bytes without a zero byte cannot hold the start of a start code: skip them
        // whole (the classic "has a zero byte" test on a 64-bit word).
        while let Some(word) = bytes
            .get(i..i + 8)
            .and_then(|w| <[u8; 8]>::try_from(w).ok())
        {
            let w = u64::from_le_bytes(word);
            if w.wrapping_sub(ONES) & !w & HIGHS != 0 {
                break;
            }
            i += 8;
        }
        match bytes.get(i..i + 3)? {
            [0, 0, 1] => return Some(i),
            // A 1 or a non-zero byte in the middle cannot be part of a start code: skip ahead.
            [_, _, 0] => i += 1,
            [_, 0, _] => i += 2,
            _ => i += 3,
        }
    }
}

/// The NAL units of `frame` as (offset, length) pairs into `out` (cleared first): one pass
/// over the bytes, for packetizers that look ahead.
pub(crate) fn collect_nal_units(frame: &[u8], out: &mut Vec<(usize, usize)>) {
    out.clear();
    out.extend(nal_units(frame).map(|n| (n.offset, n.data.len())));
}

/// Splits a byte stream into NAL units. Empty NAL units are skipped; bytes before the first
/// start code, if any, come first (with `start_code_len` 0), so a lone NAL unit without a
/// start code is read too.
pub fn nal_units(stream: &[u8]) -> NalUnits<'_> {
    NalUnits {
        stream,
        at: 0,
        start_code_len: 0,
    }
}

/// Iterator over the NAL units of a byte stream (see [`nal_units`]).
#[derive(Debug, Clone)]
pub struct NalUnits<'a> {
    stream: &'a [u8],
    at: usize,
    start_code_len: usize,
}

impl<'a> Iterator for NalUnits<'a> {
    type Item = NalUnit<'a>;

    fn next(&mut self) -> Option<NalUnit<'a>> {
        loop {
            let rest = self.stream.get(self.at..).filter(|r| !r.is_empty())?;
            let (end, next, next_code_len) = match find_start_code(rest) {
                Some(p) => {
                    let four = p > 0 && rest.get(p - 1) == Some(&0);
                    (p, p + 3, if four { 4 } else { 3 })
                }
                None => (rest.len(), rest.len(), 0),
            };
            // Zero bytes before a start code are its zero_byte or trailing_zero_8bits: a NAL
            // unit never ends in 0x00.
            let nal = rest.get(..end).unwrap_or_default();
            let trimmed = nal.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
            let item = NalUnit {
                data: nal.get(..trimmed).unwrap_or_default(),
                start_code_len: self.start_code_len,
                offset: self.at,
            };
            self.at += next;
            self.start_code_len = next_code_len;
            if !item.data.is_empty() {
                return Some(item);
            }
        }
    }
}

/// The codec of a byte stream, for the access unit boundaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AnnexBCodec {
    /// H.264: 1-byte NAL unit headers.
    H264,
    /// H.265: 2-byte NAL unit headers.
    H265,
}

impl AnnexBCodec {
    /// Whether a NAL unit is a VCL (slice) NAL unit, and if so whether it is the first slice
    /// of a picture.
    fn vcl(self, nal: &[u8]) -> Option<bool> {
        let first = *nal.first()?;
        match self {
            Self::H264 => {
                // first_mb_in_slice is ue(v); 0 codes as the bit 1 (H.264 §7.3.3).
                matches!(first & 0x1F, 1..=5).then(|| nal.get(1).is_some_and(|b| b & 0x80 != 0))
            }
            Self::H265 => {
                // first_slice_segment_in_pic_flag is the first bit (H.265 §7.3.6.1).
                ((first >> 1) & 0x3F < 32).then(|| nal.get(2).is_some_and(|b| b & 0x80 != 0))
            }
        }
    }

    /// Whether a non-VCL NAL unit after a picture's slices starts the next access unit
    /// (H.264 §7.4.1.2.3, H.265 §7.4.2.4.4).
    fn starts_access_unit(self, nal: &[u8]) -> bool {
        let first = nal.first().copied().unwrap_or(0);
        match self {
            Self::H264 => matches!(first & 0x1F, 6..=9 | 14..=18),
            Self::H265 => matches!((first >> 1) & 0x3F, 32..=35 | 39 | 41..=44 | 48..=55),
        }
    }

    /// Whether an access unit with these NAL units is a random access point: H.264 IDR or SPS,
    /// H.265 IRAP (BLA, IDR, CRA) or VPS/SPS.
    pub fn is_keyframe_nal(self, nal: &[u8]) -> bool {
        let first = nal.first().copied().unwrap_or(0);
        match self {
            Self::H264 => matches!(first & 0x1F, 5 | 7),
            Self::H265 => matches!((first >> 1) & 0x3F, 16..=21 | 32 | 33),
        }
    }
}

/// One access unit: the bytes of its NAL units as they are in the stream, start codes
/// included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccessUnit<'a> {
    /// The bytes.
    pub data: &'a [u8],
    /// Whether it holds a random access point ([`AnnexBCodec::is_keyframe_nal`]).
    pub keyframe: bool,
}

impl<'a> AccessUnit<'a> {
    /// Its NAL units.
    pub fn nal_units(&self) -> NalUnits<'a> {
        nal_units(self.data)
    }
}

/// Reads the access units of an Annex B byte stream.
#[derive(Debug, Clone)]
pub struct AnnexBReader<'a> {
    stream: &'a [u8],
    nals: std::iter::Peekable<NalUnits<'a>>,
    codec: AnnexBCodec,
}

impl<'a> AnnexBReader<'a> {
    /// A reader over a whole stream.
    pub fn new(stream: &'a [u8], codec: AnnexBCodec) -> Self {
        Self {
            stream,
            nals: nal_units(stream).peekable(),
            codec,
        }
    }
}

impl<'a> Iterator for AnnexBReader<'a> {
    type Item = AccessUnit<'a>;

    fn next(&mut self) -> Option<AccessUnit<'a>> {
        let first = self.nals.next()?;
        let start = first.offset - first.start_code_len;
        let mut end = first.offset + first.data.len();
        let mut keyframe = self.codec.is_keyframe_nal(first.data);
        let mut seen_vcl = self.codec.vcl(first.data).is_some();
        while let Some(nal) = self.nals.peek() {
            let boundary = match self.codec.vcl(nal.data) {
                Some(first_slice) => seen_vcl && first_slice,
                None => seen_vcl && self.codec.starts_access_unit(nal.data),
            };
            if boundary {
                break;
            }
            seen_vcl |= self.codec.vcl(nal.data).is_some();
            keyframe |= self.codec.is_keyframe_nal(nal.data);
            end = nal.offset + nal.data.len();
            self.nals.next();
        }
        Some(AccessUnit {
            data: self.stream.get(start..end).unwrap_or_default(),
            keyframe,
        })
    }
}

/// Appends a NAL unit with a start code of `start_code_len` bytes (3, 4, or 0 for none) to
/// `out`.
pub fn write_nal_unit(
    out: &mut Vec<u8>,
    nal: &[u8],
    start_code_len: usize,
) -> Result<(), WriteError> {
    if nal.is_empty() || nal.last() == Some(&0) {
        // An empty NAL unit, or one whose trailing zero would read as part of a start code.
        return Err(WriteError::InvalidField("NAL unit"));
    }
    match start_code_len {
        0 => {}
        3 => out.extend_from_slice(&[0, 0, 1]),
        4 => out.extend_from_slice(&[0, 0, 0, 1]),
        _ => return Err(WriteError::InvalidField("start code length")),
    }
    out.extend_from_slice(nal);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The word-at-a-time search finds what a byte-by-byte one finds, wherever the start code
    /// sits relative to the 8-byte words, among zero runs and near misses.
    #[test]
    fn start_code_search_matches_the_naive_one() {
        let naive = |b: &[u8]| b.windows(3).position(|w| w == [0, 0, 1]);
        let mut state = 0x1234_5678_9abc_def0u64;
        for len in 0..200 {
            for _ in 0..50 {
                let bytes: Vec<u8> = (0..len)
                    .map(|_| {
                        state ^= state << 13;
                        state ^= state >> 7;
                        state ^= state << 17;
                        // Mostly zeros and ones, so start codes and near misses are common.
                        match state % 8 {
                            0..=3 => 0,
                            4 | 5 => 1,
                            _ => (state >> 8) as u8,
                        }
                    })
                    .collect();
                assert_eq!(find_start_code(&bytes), naive(&bytes), "{bytes:?}");
            }
        }
        let mut long = vec![0xFFu8; 1000];
        for at in 0..997 {
            long[at..at + 3].copy_from_slice(&[0, 0, 1]);
            assert_eq!(find_start_code(&long), Some(at));
            long[at..at + 3].copy_from_slice(&[0xFF; 3]);
        }
    }

    #[test]
    fn splits_on_three_and_four_byte_start_codes() {
        let stream = [
            0, 0, 0, 1, 0x67, 1, 2, 0, 0, 1, 0x68, 3, 0, 0, 0, 0, 1, 0x65, 4, 0, 0,
        ];
        let nals: Vec<_> = nal_units(&stream)
            .map(|n| (n.data, n.start_code_len))
            .collect();
        assert_eq!(
            nals,
            vec![
                (&[0x67, 1, 2][..], 4),
                (&[0x68, 3][..], 3),
                (&[0x65, 4][..], 4)
            ]
        );
        // Without a start code, the bytes are one NAL unit.
        let lone: Vec<_> = nal_units(&[0x41, 9]).map(|n| n.data).collect();
        assert_eq!(lone, vec![&[0x41, 9][..]]);
        assert_eq!(nal_units(&[0, 0, 1, 0, 0, 1]).count(), 0);
        assert_eq!(nal_units(&[]).count(), 0);
    }

    #[test]
    fn h264_access_units_split_at_the_first_slice_of_a_picture() {
        let mut s = Vec::new();
        for (nal, code) in [
            (&[0x09, 0xF0][..], 4), // AUD
            (&[0x67, 1][..], 4),    // SPS
            (&[0x68, 2][..], 4),    // PPS
            (&[0x65, 0x88][..], 3), // IDR, first_mb 0
            (&[0x65, 0x40][..], 3), // IDR, another slice
            (&[0x41, 0x9A][..], 4), // P, first_mb 0: a new picture
            (&[0x06, 5][..], 4),    // SEI: the next access unit
            (&[0x41, 0x9A][..], 4),
        ] {
            write_nal_unit(&mut s, nal, code).unwrap();
        }
        let aus: Vec<_> = AnnexBReader::new(&s, AnnexBCodec::H264).collect();
        assert_eq!(aus.len(), 3);
        assert!(aus[0].keyframe && !aus[1].keyframe && !aus[2].keyframe);
        assert_eq!(aus[0].nal_units().count(), 5);
        assert_eq!(aus[1].data, [0, 0, 0, 1, 0x41, 0x9A]);
        let joined: Vec<u8> = aus.iter().flat_map(|a| a.data.iter().copied()).collect();
        assert_eq!(joined, s);
    }

    #[test]
    fn writing_refuses_what_would_not_read_back() {
        let mut out = Vec::new();
        assert!(write_nal_unit(&mut out, &[], 4).is_err());
        assert!(write_nal_unit(&mut out, &[0x41, 0], 4).is_err());
        assert!(write_nal_unit(&mut out, &[0x41], 2).is_err());
        assert!(out.is_empty());
    }
}
