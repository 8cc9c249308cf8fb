//! AV1 (RTP Payload Format for AV1, v1.0, §4.4-§5): the aggregation header (Z, Y, W, N), OBU
//! elements with LEB128 lengths, fragmentation of OBUs across packets, and reassembly into a
//! temporal unit of OBUs with size fields (the "low overhead bitstream format" of IVF and
//! the AV1 spec §5.2).

use super::{Admit, Assembler, Depacketizer, Frame, FrameStart, PacketInfo, Packetizer};
use crate::wire::{Reader, leb128_len, leb128_push, leb128_read};
use crate::{ParseError, WriteError};

/// OBU types (AV1 spec §6.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ObuType {
    /// OBU_SEQUENCE_HEADER (1).
    SequenceHeader,
    /// OBU_TEMPORAL_DELIMITER (2).
    TemporalDelimiter,
    /// OBU_FRAME_HEADER (3).
    FrameHeader,
    /// OBU_TILE_GROUP (4).
    TileGroup,
    /// OBU_METADATA (5).
    Metadata,
    /// OBU_FRAME (6).
    Frame,
    /// OBU_REDUNDANT_FRAME_HEADER (7).
    RedundantFrameHeader,
    /// OBU_TILE_LIST (8).
    TileList,
    /// OBU_PADDING (15).
    Padding,
    /// A reserved type.
    Reserved(u8),
}

impl ObuType {
    /// The type from its 4-bit value.
    pub const fn from_u8(v: u8) -> Self {
        match v {
            1 => Self::SequenceHeader,
            2 => Self::TemporalDelimiter,
            3 => Self::FrameHeader,
            4 => Self::TileGroup,
            5 => Self::Metadata,
            6 => Self::Frame,
            7 => Self::RedundantFrameHeader,
            8 => Self::TileList,
            15 => Self::Padding,
            v => Self::Reserved(v),
        }
    }
}

/// One OBU: its header byte (with obu_has_size_field as read), the extension byte, the payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Obu<'a> {
    /// The obu_header byte.
    pub header: u8,
    /// The extension byte (temporal and spatial ids), when obu_extension_flag is set.
    pub extension: Option<u8>,
    /// The payload (obu_size bytes).
    pub payload: &'a [u8],
}

impl<'a> Obu<'a> {
    /// Its type.
    pub const fn obu_type(&self) -> ObuType {
        ObuType::from_u8((self.header >> 3) & 0x0F)
    }

    /// Reads one OBU from the front of `bytes`. Without a size field it runs to the end.
    fn read(bytes: &mut &'a [u8]) -> Result<Self, ParseError> {
        let mut r = Reader::new(bytes, "AV1 OBU");
        let header = r.u8()?;
        if header & 0x80 != 0 {
            return Err(ParseError::InvalidField("AV1 obu_forbidden_bit"));
        }
        let extension = if header & 0x04 != 0 {
            Some(r.u8()?)
        } else {
            None
        };
        let payload = if header & 0x02 != 0 {
            let size = leb128_read(&mut r)?;
            r.take(usize::try_from(size).unwrap_or(usize::MAX))?
        } else {
            r.take(r.remaining())?
        };
        *bytes = r.rest();
        Ok(Self {
            header,
            extension,
            payload,
        })
    }

    /// Appends it with a size field (obu_has_size_field = 1).
    fn write_sized(&self, out: &mut Vec<u8>) {
        out.push(self.header | 0x02);
        out.extend(self.extension);
        leb128_push(out, self.payload.len() as u64);
        out.extend_from_slice(self.payload);
    }

    /// Its length as an RTP OBU element: without the size field (the element length says it).
    fn element_len(&self) -> usize {
        1 + usize::from(self.extension.is_some()) + self.payload.len()
    }

    /// Appends the bytes in `range` of its element form.
    fn element_bytes(&self, range: std::ops::Range<usize>, out: &mut Vec<u8>) {
        let head = [self.header & !0x02, self.extension.unwrap_or(0)];
        let head_len = 1 + usize::from(self.extension.is_some());
        for i in range.clone().take_while(|&i| i < head_len) {
            out.push(head.get(i).copied().unwrap_or(0));
        }
        let start = range.start.saturating_sub(head_len);
        let end = range.end.saturating_sub(head_len);
        out.extend_from_slice(self.payload.get(start..end).unwrap_or_default());
    }
}

/// The OBUs of a temporal unit in the low overhead bitstream format (each with a size field,
/// except possibly the last).
pub fn obus(data: &[u8]) -> impl Iterator<Item = Result<Obu<'_>, ParseError>> {
    let mut rest = data;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let r = Obu::read(&mut rest);
        if r.is_err() {
            rest = &[];
        }
        Some(r)
    })
}

/// Whether the RTP payload format sends an OBU (§5: temporal delimiters and tile lists are
/// not sent).
fn is_sent(obu: &Obu<'_>) -> bool {
    !matches!(
        obu.obu_type(),
        ObuType::TemporalDelimiter | ObuType::TileList
    )
}

/// Where an OBU to send lies in the temporal unit.
#[derive(Debug, Clone)]
struct ElementRef {
    header: u8,
    extension: Option<u8>,
    payload: std::ops::Range<usize>,
}

impl ElementRef {
    fn obu<'a>(&self, frame: &'a [u8]) -> Obu<'a> {
        Obu {
            header: self.header,
            extension: self.extension,
            payload: frame.get(self.payload.clone()).unwrap_or_default(),
        }
    }
}

/// AV1 packetizer: takes a temporal unit in the low overhead bitstream format; sends its OBUs
/// without size fields, as many per packet as fit, fragmenting the ones that do not. N is set
/// on a temporal unit with a sequence header (the start of a coded video sequence).
#[derive(Debug, Clone, Default)]
pub struct Av1Packetizer {
    buf: Vec<u8>,
    elements: Vec<ElementRef>,
    lengths: Vec<usize>,
}

impl Av1Packetizer {
    /// A packetizer.
    pub fn new() -> Self {
        Self::default()
    }

    /// Plans the packet that starts at element `index`, `offset` bytes in: the lengths of its
    /// elements (whole ones while they fit with their length fields, then a fragment of the
    /// next if a byte of it fits) into `self.lengths`. Returns where the next packet starts
    /// and whether this one ends inside an element.
    fn plan(
        &mut self,
        frame: &[u8],
        max: usize,
        index: usize,
        offset: usize,
    ) -> (usize, usize, bool) {
        let mut room = max - 1;
        self.lengths.clear();
        let (mut i, mut o) = (index, offset);
        while let Some(e) = self.elements.get(i) {
            let left = e.obu(frame).element_len() - o;
            let whole = leb128_len(left as u64) + left;
            if whole <= room {
                room -= whole;
                self.lengths.push(left);
                i += 1;
                o = 0;
                continue;
            }
            // The largest fragment k that fits with its length field.
            let mut k = room.saturating_sub(1);
            while k > 0 && leb128_len(k as u64) + k > room {
                k -= 1;
            }
            if k > 0 {
                self.lengths.push(k);
                return (i, o + k, true);
            }
            break;
        }
        (i, o, false)
    }
}

impl Packetizer for Av1Packetizer {
    fn packetize(
        &mut self,
        frame: &[u8],
        max_payload_len: usize,
        out: &mut dyn FnMut(&[u8], bool),
    ) -> Result<(), WriteError> {
        self.elements.clear();
        let mut new_sequence = false;
        let mut rest = frame;
        while !rest.is_empty() {
            let obu =
                Obu::read(&mut rest).map_err(|_| WriteError::InvalidFrame("malformed AV1 OBU"))?;
            if is_sent(&obu) {
                new_sequence |= obu.obu_type() == ObuType::SequenceHeader;
                // The payload ends where the OBU does.
                let payload_at = frame.len() - rest.len() - obu.payload.len();
                self.elements.push(ElementRef {
                    header: obu.header,
                    extension: obu.extension,
                    payload: payload_at..payload_at + obu.payload.len(),
                });
            }
        }
        if self.elements.is_empty() {
            return Err(WriteError::InvalidFrame(
                "temporal unit without an OBU to send",
            ));
        }
        // The aggregation header, an element length byte and a byte of OBU.
        if max_payload_len < 3 {
            return Err(WriteError::PayloadLimitTooSmall {
                limit: max_payload_len,
                needed: 3,
            });
        }
        // Where the next packet starts: element index and offset in it.
        let (mut index, mut offset) = (0usize, 0usize);
        let mut first_packet = true;
        while index < self.elements.len() {
            let (next_index, next_offset, ends_inside) =
                self.plan(frame, max_payload_len, index, offset);
            // W: the element count when 1..=3, with the last element's length left out.
            let count = self.lengths.len();
            let w = if count <= 3 { count } else { 0 };
            self.buf.clear();
            self.buf.push(
                u8::from(offset > 0) << 7
                    | u8::from(ends_inside) << 6
                    | (w as u8) << 4
                    | u8::from(first_packet && new_sequence) << 3,
            );
            let (mut ci, mut co) = (index, offset);
            for (n, &len) in self.lengths.iter().enumerate() {
                if w == 0 || n + 1 < w {
                    leb128_push(&mut self.buf, len as u64);
                }
                if let Some(e) = self.elements.get(ci) {
                    let obu = e.obu(frame);
                    obu.element_bytes(co..co + len, &mut self.buf);
                    if co + len == obu.element_len() {
                        ci += 1;
                        co = 0;
                    } else {
                        co += len;
                    }
                }
            }
            (index, offset) = (next_index, next_offset);
            out(&self.buf, index >= self.elements.len());
            first_packet = false;
        }
        Ok(())
    }
}

/// AV1 depacketizer: gives back temporal units in the low overhead bitstream format, starting
/// with a temporal delimiter, every OBU with a size field. Keyframe: N set on the first packet,
/// or a sequence header in the temporal unit.
#[derive(Debug)]
pub struct Av1Depacketizer {
    asm: Assembler,
    /// The OBU being reassembled from fragments.
    fragment: Vec<u8>,
    in_fragment: bool,
}

impl Default for Av1Depacketizer {
    fn default() -> Self {
        Self::new()
    }
}

/// A temporal delimiter OBU with its size field (0).
const TEMPORAL_DELIMITER: [u8; 2] = [0x12, 0x00];

impl Av1Depacketizer {
    /// A depacketizer.
    pub fn new() -> Self {
        Self {
            asm: Assembler::new(FrameStart::AfterMarker),
            fragment: Vec::new(),
            in_fragment: false,
        }
    }

    /// Writes a whole OBU element to the frame, with a size field.
    fn finish_obu(
        buf: &mut Vec<u8>,
        keyframe: &mut bool,
        element: &[u8],
    ) -> Result<(), ParseError> {
        let mut rest = element;
        let obu = Obu::read(&mut rest)?;
        if !rest.is_empty() {
            return Err(ParseError::TrailingBytes {
                what: "AV1 OBU element",
                count: rest.len(),
            });
        }
        if is_sent(&obu) {
            *keyframe |= obu.obu_type() == ObuType::SequenceHeader;
            obu.write_sized(buf);
        }
        Ok(())
    }

    fn take(&mut self, payload: &[u8]) -> Result<(), ParseError> {
        let mut r = Reader::new(payload, "AV1 aggregation header");
        let agg = r.u8()?;
        let (z, y, w) = (
            agg & 0x80 != 0,
            agg & 0x40 != 0,
            usize::from((agg >> 4) & 0x03),
        );
        if z != self.in_fragment {
            return Err(ParseError::InvalidField("AV1 Z bit"));
        }
        if r.remaining() == 0 {
            return Err(ParseError::Truncated {
                what: "AV1 payload",
                needed: 2,
                available: payload.len(),
            });
        }
        let mut r = Reader::new(r.rest(), "AV1 OBU element");
        let mut n = 0;
        while r.remaining() > 0 {
            n += 1;
            let element = if w != 0 && n == w {
                r.take(r.remaining())?
            } else {
                let len = leb128_read(&mut r)?;
                r.take(usize::try_from(len).unwrap_or(usize::MAX))?
            };
            let last = r.remaining() == 0;
            let continues = last && y;
            let continued = n == 1 && z;
            if continued || continues {
                if !continued {
                    self.fragment.clear();
                }
                self.fragment.extend_from_slice(element);
                self.in_fragment = continues;
                if !continues {
                    Self::finish_obu(&mut self.asm.buf, &mut self.asm.keyframe, &self.fragment)?;
                }
            } else {
                if element.is_empty() {
                    return Err(ParseError::InvalidField("empty AV1 OBU element"));
                }
                Self::finish_obu(&mut self.asm.buf, &mut self.asm.keyframe, element)?;
            }
        }
        if w != 0 && n < w {
            return Err(ParseError::InvalidField("AV1 OBU element count"));
        }
        Ok(())
    }
}

impl Depacketizer for Av1Depacketizer {
    fn push(&mut self, payload: &[u8], info: PacketInfo) -> Result<Option<Frame<'_>>, ParseError> {
        let agg = payload.first().copied().unwrap_or(0);
        // A packet whose first element continues a fragment cannot start a temporal unit.
        match self.asm.admit(info, agg & 0x80 == 0) {
            Admit::Drop => return Ok(None),
            Admit::Start => {
                self.in_fragment = false;
                self.fragment.clear();
                self.asm.keyframe = agg & 0x08 != 0;
                self.asm.buf.extend_from_slice(&TEMPORAL_DELIMITER);
            }
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

    fn at(seq: u16, ts: u32, marker: bool) -> PacketInfo {
        PacketInfo {
            sequence_number: seq,
            timestamp: ts,
            marker,
        }
    }

    /// A temporal unit: TD, sequence header (5 bytes), frame OBU of `frame_len` bytes.
    fn temporal_unit(frame_len: usize) -> Vec<u8> {
        let mut tu = vec![0x12, 0x00, 0x0A, 0x05, 1, 2, 3, 4, 5, 0x32];
        leb128_push(&mut tu, frame_len as u64);
        tu.extend((0..frame_len).map(|i| i as u8));
        tu
    }

    fn round_trip(tu: &[u8], max: usize) -> Vec<Vec<u8>> {
        let mut packets = Vec::new();
        Av1Packetizer::new()
            .packetize(tu, max, &mut |p, m| packets.push((p.to_vec(), m)))
            .unwrap();
        assert!(packets.iter().all(|(p, _)| p.len() <= max));
        assert_eq!(packets.iter().filter(|(_, m)| *m).count(), 1);
        let mut d = Av1Depacketizer::new();
        let mut frames = Vec::new();
        for (i, (p, m)) in packets.iter().enumerate() {
            if let Some(f) = d.push(p, at(i as u16, 90, *m)).unwrap() {
                assert!(f.keyframe);
                frames.push(f.data.to_vec());
            }
        }
        assert_eq!(d.frames_dropped(), 0);
        assert_eq!(frames, vec![tu.to_vec()]);
        packets.into_iter().map(|(p, _)| p).collect()
    }

    #[test]
    fn small_temporal_unit_fits_one_packet_with_w_2() {
        let packets = round_trip(&temporal_unit(10), 1200);
        assert_eq!(packets.len(), 1);
        // Z=0 Y=0 W=2 N=1; sequence header element with its length, frame OBU without.
        let mut want = vec![0x28, 6, 0x08, 1, 2, 3, 4, 5, 0x30];
        want.extend(0..10);
        assert_eq!(packets[0], want);
    }

    #[test]
    fn large_obus_are_fragmented_at_every_size() {
        for max in [3, 4, 5, 7, 20, 130, 200, 1200] {
            round_trip(&temporal_unit(600), max);
        }
    }

    #[test]
    fn malformed_payloads_are_errors() {
        let mut d = Av1Depacketizer::new();
        // No element; an element length past the end; an empty element; a length cut off;
        // a continuation without a fragment cannot start.
        assert!(d.push(&[0x00], at(1, 1, true)).is_err());
        assert!(d.push(&[0x00, 5, 0x30], at(2, 2, true)).is_err());
        assert!(d.push(&[0x00, 0, 0x30], at(3, 3, true)).is_err());
        assert!(d.push(&[0x20, 0x80], at(4, 4, true)).is_err());
        assert_eq!(d.push(&[0x90, 0x30], at(5, 5, true)), Ok(None));
        // A fragment left open by the last packet.
        assert_eq!(d.push(&[0x50, 0x30], at(6, 6, true)), Ok(None));
        assert_eq!(d.frames_dropped(), 6);
    }
}
