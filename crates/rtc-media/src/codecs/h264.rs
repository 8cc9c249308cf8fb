//! H.264 (RFC 6184) in the non-interleaved mode (packetization-mode=1, §6.3): single NAL unit
//! packets (§5.6), STAP-A aggregation (§5.7.1) and FU-A fragmentation (§5.8). The packetizer
//! takes an Annex B access unit; the depacketizer gives one back, with 4-byte start codes.

use super::{Admit, Assembler, Depacketizer, Frame, FrameStart, PacketInfo, Packetizer};
use crate::files::annexb::{AnnexBCodec, collect_nal_units};
use crate::wire::Reader;
use crate::{ParseError, WriteError};

/// NAL unit types of the payload format (RFC 6184 §5.2, Table 1).
const STAP_A: u8 = 24;
const STAP_B: u8 = 25;
const MTAP16: u8 = 26;
const MTAP24: u8 = 27;
const FU_A: u8 = 28;
const FU_B: u8 = 29;

const START_CODE: [u8; 4] = [0, 0, 0, 1];

/// H.264 packetizer (packetization-mode=1): NAL units that fit go alone or, two or more
/// together, in a STAP-A (parameter sets with the slice after them, typically); larger ones
/// are split into FU-As.
#[derive(Debug, Clone, Default)]
pub struct H264Packetizer {
    buf: Vec<u8>,
    /// The access unit's NAL units, (offset, length).
    nals: Vec<(usize, usize)>,
}

impl H264Packetizer {
    /// A packetizer.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Packetizer for H264Packetizer {
    fn packetize(
        &mut self,
        frame: &[u8],
        max_payload_len: usize,
        out: &mut dyn FnMut(&[u8], bool),
    ) -> Result<(), WriteError> {
        let Self { buf, nals } = self;
        collect_nal_units(frame, nals);
        let nal = |&(at, len): &(usize, usize)| frame.get(at..at + len).unwrap_or_default();
        if nals.is_empty() {
            return Err(WriteError::InvalidFrame("access unit without a NAL unit"));
        }
        for n in nals.iter().map(nal) {
            if matches!(n.first().map(|b| b & 0x1F), Some(0 | 24..=31)) {
                // RFC 6184 §5.2: these types are the payload format's own, or undefined.
                return Err(WriteError::InvalidFrame("NAL unit type 0 or 24..=31"));
            }
            if n.len() > max_payload_len && max_payload_len < 3 {
                // An FU-A needs its indicator, its header and a byte of the NAL unit.
                return Err(WriteError::PayloadLimitTooSmall {
                    limit: max_payload_len,
                    needed: 3,
                });
            }
        }
        let count = nals.len();
        let mut i = 0;
        while let Some(first) = nals.get(i).map(nal) {
            let last_unit = i + 1 == count;
            if first.len() > max_payload_len {
                fragment(first, max_payload_len, buf, &mut |p, last| {
                    out(p, last && last_unit);
                });
                i += 1;
                continue;
            }
            // Aggregate the following NAL units while they fit (RFC 6184 §5.7.1: 1 byte of
            // STAP-A header, then a 16-bit size before each NAL unit).
            let mut size = 1 + 2 + first.len();
            let mut end = i + 1;
            while let Some(next) = nals.get(end).map(nal) {
                if size + 2 + next.len() > max_payload_len {
                    break;
                }
                size += 2 + next.len();
                end += 1;
            }
            if end == i + 1 {
                out(first, last_unit);
                i += 1;
                continue;
            }
            buf.clear();
            buf.push(0);
            let (mut forbidden, mut nri) = (0u8, 0u8);
            for n in nals.get(i..end).unwrap_or_default().iter().map(nal) {
                // F is the OR of the F bits, NRI the highest NRI (RFC 6184 §5.7.1).
                let h = n.first().copied().unwrap_or(0);
                forbidden |= h & 0x80;
                nri = nri.max(h & 0x60);
                buf.extend_from_slice(&(n.len() as u16).to_be_bytes());
                buf.extend_from_slice(n);
            }
            if let Some(first) = buf.first_mut() {
                *first = forbidden | nri | STAP_A;
            }
            out(buf, end == count);
            i = end;
        }
        Ok(())
    }
}

/// Splits one NAL unit into FU-As (RFC 6184 §5.8).
fn fragment(nal: &[u8], max: usize, buf: &mut Vec<u8>, out: &mut dyn FnMut(&[u8], bool)) {
    let header = nal.first().copied().unwrap_or(0);
    let body = nal.get(1..).unwrap_or_default();
    let mut chunks = body.chunks(max.saturating_sub(2).max(1)).peekable();
    let mut first = true;
    while let Some(chunk) = chunks.next() {
        let last = chunks.peek().is_none();
        buf.clear();
        // FU indicator: F and NRI of the NAL unit, type 28; FU header: S, E, the type.
        buf.push(header & 0xE0 | FU_A);
        buf.push(u8::from(first) << 7 | u8::from(last) << 6 | header & 0x1F);
        buf.extend_from_slice(chunk);
        out(buf, last);
        first = false;
    }
}

/// H.264 depacketizer (packetization-mode 0 and 1). Keyframe: the access unit holds an IDR
/// slice or an SPS.
#[derive(Debug)]
pub struct H264Depacketizer {
    asm: Assembler,
    /// An FU-A is open: its NAL unit continues in the next packet.
    in_fragment: bool,
}

impl Default for H264Depacketizer {
    fn default() -> Self {
        Self::new()
    }
}

impl H264Depacketizer {
    /// A depacketizer.
    pub fn new() -> Self {
        Self {
            asm: Assembler::new(FrameStart::AfterMarker),
            in_fragment: false,
        }
    }

    fn push_nal(&mut self, nal: &[u8]) {
        self.asm.keyframe |= AnnexBCodec::H264.is_keyframe_nal(nal);
        self.asm.buf.extend_from_slice(&START_CODE);
        self.asm.buf.extend_from_slice(nal);
    }

    fn take(&mut self, payload: &[u8]) -> Result<(), ParseError> {
        let header = payload.first().copied().unwrap_or(0);
        match header & 0x1F {
            1..=23 => {
                if self.in_fragment {
                    return Err(ParseError::InvalidField("H.264 FU-A not ended"));
                }
                self.push_nal(payload);
            }
            STAP_A => {
                if self.in_fragment {
                    return Err(ParseError::InvalidField("H.264 FU-A not ended"));
                }
                let mut r = Reader::new(payload.get(1..).unwrap_or_default(), "STAP-A packet");
                if r.remaining() == 0 {
                    return Err(ParseError::Truncated {
                        what: "STAP-A packet",
                        needed: 3,
                        available: payload.len(),
                    });
                }
                while r.remaining() > 0 {
                    let size = usize::from(r.u16()?);
                    if size == 0 {
                        return Err(ParseError::InvalidField("STAP-A NAL unit size"));
                    }
                    let nal = r.take(size)?;
                    self.push_nal(nal);
                }
            }
            FU_A => {
                let mut r = Reader::new(payload, "FU-A packet");
                let indicator = r.u8()?;
                let fu = r.u8()?;
                let data = r.rest();
                let (start, end) = (fu & 0x80 != 0, fu & 0x40 != 0);
                if start {
                    if self.in_fragment {
                        return Err(ParseError::InvalidField("H.264 FU-A not ended"));
                    }
                    // The NAL unit header: F and NRI from the indicator, the type from the FU
                    // header (RFC 6184 §5.8).
                    let nal_header = indicator & 0xE0 | fu & 0x1F;
                    self.asm.keyframe |= AnnexBCodec::H264.is_keyframe_nal(&[nal_header]);
                    self.asm.buf.extend_from_slice(&START_CODE);
                    self.asm.buf.push(nal_header);
                    self.in_fragment = true;
                } else if !self.in_fragment {
                    return Err(ParseError::InvalidField("H.264 FU-A without its start"));
                }
                self.asm.buf.extend_from_slice(data);
                if end {
                    self.in_fragment = false;
                }
            }
            STAP_B | MTAP16 | MTAP24 | FU_B => {
                return Err(ParseError::Unsupported(
                    "H.264 interleaved packetization (STAP-B, MTAP, FU-B)",
                ));
            }
            // RFC 6184 §5.2: types 0, 30 and 31 are undefined; receivers ignore them.
            _ => {}
        }
        Ok(())
    }
}

impl Depacketizer for H264Depacketizer {
    fn push(&mut self, payload: &[u8], info: PacketInfo) -> Result<Option<Frame<'_>>, ParseError> {
        let Some(&header) = payload.first() else {
            self.asm.fail(info);
            return Err(ParseError::Truncated {
                what: "H.264 payload",
                needed: 1,
                available: 0,
            });
        };
        // Anything but the middle or end of an FU-A can begin an access unit.
        let can_start = header & 0x1F != FU_A || payload.get(1).is_some_and(|fu| fu & 0x80 != 0);
        match self.asm.admit(info, can_start) {
            Admit::Drop => return Ok(None),
            Admit::Start => self.in_fragment = false,
            Admit::Continue => {}
        }
        if let Err(e) = self.take(payload) {
            self.in_fragment = false;
            self.asm.fail(info);
            return Err(e);
        }
        let complete = !self.in_fragment;
        if info.marker {
            self.in_fragment = false;
        }
        Ok(self.asm.finish(info, complete))
    }

    fn frames_dropped(&self) -> u64 {
        self.asm.dropped()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(seq: u16, marker: bool) -> PacketInfo {
        PacketInfo {
            sequence_number: seq,
            timestamp: 3000,
            marker,
        }
    }

    fn packetize(frame: &[u8], max: usize) -> Vec<(Vec<u8>, bool)> {
        let mut packets = Vec::new();
        H264Packetizer::new()
            .packetize(frame, max, &mut |p, m| packets.push((p.to_vec(), m)))
            .unwrap();
        packets
    }

    // RFC 6184 §5.7.1, Figure 7: a STAP-A with two NAL units, each with its 16-bit size.
    #[test]
    fn parameter_sets_and_a_small_slice_share_a_stap_a() {
        let frame = [
            0, 0, 0, 1, 0x67, 0x42, 0x00, 0x1F, 0, 0, 0, 1, 0x68, 0xCE, 0x3C, 0x80, 0, 0, 1, 0x65,
            0x88, 0x84,
        ];
        let packets = packetize(&frame, 1200);
        assert_eq!(
            packets,
            vec![(
                vec![
                    0x78, 0, 4, 0x67, 0x42, 0x00, 0x1F, 0, 4, 0x68, 0xCE, 0x3C, 0x80, 0, 3, 0x65,
                    0x88, 0x84
                ],
                true
            )]
        );
        let mut d = H264Depacketizer::new();
        let f = d.push(&packets[0].0, info(1, true)).unwrap().unwrap();
        assert!(f.keyframe);
        assert_eq!(
            f.data,
            [
                0, 0, 0, 1, 0x67, 0x42, 0x00, 0x1F, 0, 0, 0, 1, 0x68, 0xCE, 0x3C, 0x80, 0, 0, 0, 1,
                0x65, 0x88, 0x84
            ]
        );
    }

    // RFC 6184 §5.8: FU indicator and header around the NAL unit's payload.
    #[test]
    fn a_large_nal_unit_goes_in_fu_as() {
        let mut frame = vec![0, 0, 0, 1, 0x65];
        frame.extend((0..20u8).map(|i| i + 1));
        let packets = packetize(&frame, 10);
        assert_eq!(packets.len(), 3);
        assert_eq!(packets[0].0[..2], [0x7C, 0x85]);
        assert_eq!(packets[1].0[..2], [0x7C, 0x05]);
        assert_eq!(packets[2].0[..2], [0x7C, 0x45]);
        assert!(packets.iter().all(|(p, _)| p.len() <= 10));
        let mut d = H264Depacketizer::new();
        let mut got = None;
        for (i, (p, m)) in packets.iter().enumerate() {
            if let Some(f) = d.push(p, info(i as u16, *m)).unwrap() {
                got = Some((f.data.to_vec(), f.keyframe));
            }
        }
        assert_eq!(got, Some((frame, true)));
    }

    #[test]
    fn malformed_payloads_are_errors() {
        let mut d = H264Depacketizer::new();
        let at = |ts: u32| PacketInfo {
            sequence_number: ts as u16,
            timestamp: ts,
            marker: true,
        };
        // STAP-A sizes past the end, a zero size, nothing after the header; an empty payload.
        assert!(d.push(&[0x78, 0, 9, 0x65], at(1)).is_err());
        assert!(d.push(&[0x78, 0, 0], at(2)).is_err());
        assert!(d.push(&[0x78], at(3)).is_err());
        assert!(d.push(&[], at(4)).is_err());
        // An FU-A header cut off (it has no start bit, so it cannot start a frame).
        assert_eq!(d.push(&[0x7C], at(5)), Ok(None));
        // A second start inside an FU-A.
        assert_eq!(
            d.push(
                &[0x7C, 0x85, 1],
                PacketInfo {
                    marker: false,
                    ..at(6)
                }
            ),
            Ok(None)
        );
        assert!(
            d.push(
                &[0x7C, 0x85, 1],
                PacketInfo {
                    sequence_number: 7,
                    ..at(6)
                }
            )
            .is_err()
        );
        // Interleaved mode.
        assert_eq!(
            d.push(&[0x79, 0, 0], at(8)),
            Err(ParseError::Unsupported(
                "H.264 interleaved packetization (STAP-B, MTAP, FU-B)"
            ))
        );
        assert_eq!(d.frames_dropped(), 7);
        // Undefined types are ignored: nothing to hand back.
        assert_eq!(d.push(&[0x1E, 1, 2], at(9)), Ok(None));
    }

    #[test]
    fn an_unfinished_fu_a_drops_the_frame() {
        let mut d = H264Depacketizer::new();
        assert_eq!(d.push(&[0x7C, 0x85, 1], info(1, false)), Ok(None));
        assert_eq!(d.push(&[0x7C, 0x05, 2], info(2, true)), Ok(None));
        assert_eq!(d.frames_dropped(), 1);
    }

    #[test]
    fn packetizer_rejects_what_it_cannot_send() {
        let mut p = H264Packetizer::new();
        assert!(
            p.packetize(&[0, 0, 0, 1], 100, &mut |_, _| panic!())
                .is_err()
        );
        assert!(
            p.packetize(&[0, 0, 1, 0x7C, 1], 100, &mut |_, _| panic!())
                .is_err()
        );
        assert!(
            p.packetize(&[0, 0, 1, 0x65, 1, 2], 2, &mut |_, _| panic!())
                .is_err()
        );
    }
}
