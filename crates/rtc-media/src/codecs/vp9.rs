//! VP9 (RFC 9628): the payload descriptor in flexible and non-flexible mode with the
//! scalability structure (§4.2, §4.2.1), keyframe detection, packetization in non-flexible mode
//! and depacketization.

use super::{
    Admit, Assembler, Depacketizer, Frame, FrameStart, PacketInfo, Packetizer, PictureId,
    check_limit,
};
use crate::list::{List, ListItem, Sealed};
use crate::wire::{Reader, Writer};
use crate::{ParseError, WriteError};

/// Up to three reference picture id differences (P_DIFF, with the N bit chaining them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Vp9ReferenceDiffs {
    len: u8,
    diffs: [u8; 3],
}

impl Vp9ReferenceDiffs {
    /// From up to 3 differences, each 1..=127 (RFC 9628 §4.2: P_DIFF is 7 bits).
    pub fn new(diffs: &[u8]) -> Option<Self> {
        if diffs.len() > 3 || diffs.iter().any(|&d| d > 0x7F) {
            return None;
        }
        let mut out = Self::default();
        for (slot, &d) in out.diffs.iter_mut().zip(diffs) {
            *slot = d;
        }
        out.len = diffs.len() as u8;
        Some(out)
    }

    /// The differences.
    pub fn as_slice(&self) -> &[u8] {
        self.diffs.get(..usize::from(self.len)).unwrap_or_default()
    }
}

/// The layer indices of the descriptor (L = 1; RFC 9628 §4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Vp9Layer {
    /// TID: the temporal layer, 0..=7.
    pub tid: u8,
    /// U: switching up point.
    pub switching_up: bool,
    /// SID: the spatial layer, 0..=7.
    pub sid: u8,
    /// D: inter-layer dependency (the frame depends on the spatial layer below).
    pub inter_layer_dependency: bool,
    /// TL0PICIDX: present in non-flexible mode only.
    pub tl0_pic_idx: Option<u8>,
}

/// A spatial layer's resolution in the scalability structure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Vp9Resolution {
    /// Width in pixels.
    pub width: u16,
    /// Height in pixels.
    pub height: u16,
}

impl Sealed for Vp9Resolution {}

impl ListItem<'_> for Vp9Resolution {
    fn read(bytes: &mut &[u8]) -> Result<Self, ParseError> {
        let mut r = Reader::new(bytes, "VP9 scalability structure");
        let v = Self {
            width: r.u16()?,
            height: r.u16()?,
        };
        *bytes = r.rest();
        Ok(v)
    }
    fn encoded_len(&self) -> usize {
        4
    }
    fn write(&self, out: &mut [u8]) -> Result<usize, WriteError> {
        let mut w = Writer::new(out);
        w.u16(self.width)?;
        w.u16(self.height)?;
        Ok(4)
    }
}

/// One picture of the picture group in the scalability structure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Vp9PictureGroup {
    /// TID of the picture, 0..=7.
    pub tid: u8,
    /// U: switching up point.
    pub switching_up: bool,
    /// Its references (R of them, at most 3), as picture id differences.
    pub references: Vp9ReferenceDiffs,
}

impl Sealed for Vp9PictureGroup {}

impl ListItem<'_> for Vp9PictureGroup {
    fn read(bytes: &mut &[u8]) -> Result<Self, ParseError> {
        let mut r = Reader::new(bytes, "VP9 scalability structure");
        let b = r.u8()?;
        let count = usize::from((b >> 2) & 0x03);
        let mut diffs = [0u8; 3];
        for d in diffs.iter_mut().take(count) {
            *d = r.u8()?;
        }
        *bytes = r.rest();
        Ok(Self {
            tid: b >> 5,
            switching_up: b & 0x10 != 0,
            references: Vp9ReferenceDiffs {
                len: count as u8,
                diffs,
            },
        })
    }
    fn encoded_len(&self) -> usize {
        1 + self.references.as_slice().len()
    }
    fn write(&self, out: &mut [u8]) -> Result<usize, WriteError> {
        if self.tid > 7 {
            return Err(WriteError::InvalidField("VP9 picture group TID"));
        }
        let refs = self.references.as_slice();
        let mut w = Writer::new(out);
        w.u8(self.tid << 5 | u8::from(self.switching_up) << 4 | (refs.len() as u8) << 2)?;
        w.bytes(refs)?;
        Ok(w.position())
    }
}

/// The scalability structure (SS, RFC 9628 §4.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Vp9ScalabilityStructure<'a> {
    /// N_S + 1: the number of spatial layers, 1..=8.
    pub spatial_layers: u8,
    /// Y: the resolution of each spatial layer (exactly `spatial_layers` of them).
    pub resolutions: Option<List<'a, Vp9Resolution>>,
    /// G: the picture group, at most 255 pictures.
    pub picture_group: Option<List<'a, Vp9PictureGroup>>,
}

impl<'a> Vp9ScalabilityStructure<'a> {
    fn read(r: &mut Reader<'a>) -> Result<Self, ParseError> {
        let b = r.u8()?;
        let spatial_layers = (b >> 5) + 1;
        let mut resolutions = None;
        if b & 0x10 != 0 {
            let mut bytes = r.take(4 * usize::from(spatial_layers))?;
            resolutions = Some(List::parse_count(&mut bytes, usize::from(spatial_layers))?);
        }
        let mut picture_group = None;
        if b & 0x08 != 0 {
            let count = usize::from(r.u8()?);
            let mut rest = r.rest();
            picture_group = Some(List::parse_count(&mut rest, count)?);
            *r = Reader::new(rest, "VP9 scalability structure");
        }
        Ok(Self {
            spatial_layers,
            resolutions,
            picture_group,
        })
    }

    fn encoded_len(&self) -> usize {
        1 + self.resolutions.map_or(0, |l| l.encoded_len())
            + self.picture_group.map_or(0, |l| 1 + l.encoded_len())
    }

    fn write(&self, w: &mut Writer<'_>) -> Result<(), WriteError> {
        if !(1..=8).contains(&self.spatial_layers)
            || self
                .resolutions
                .is_some_and(|l| l.len() != usize::from(self.spatial_layers))
        {
            return Err(WriteError::InvalidField("VP9 scalability structure layers"));
        }
        w.u8((self.spatial_layers - 1) << 5
            | u8::from(self.resolutions.is_some()) << 4
            | u8::from(self.picture_group.is_some()) << 3)?;
        let mut buf = [0u8; 4];
        for res in self.resolutions.iter().flat_map(|l| l.iter()) {
            res.write(&mut buf)?;
            w.bytes(&buf)?;
        }
        if let Some(pg) = self.picture_group {
            let count = pg.len();
            w.u8(u8::try_from(count).map_err(|_| WriteError::TooMany {
                what: "VP9 picture group",
                count,
            })?)?;
            for p in pg.iter() {
                let n = p.write(&mut buf)?;
                w.bytes(buf.get(..n).unwrap_or_default())?;
            }
        }
        Ok(())
    }
}

/// The VP9 payload descriptor (RFC 9628 §4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Vp9Descriptor<'a> {
    /// P: inter-picture predicted (not a key picture).
    pub inter_picture_predicted: bool,
    /// F: flexible mode (reference diffs in the descriptor, no TL0PICIDX).
    pub flexible: bool,
    /// B: the payload starts a frame.
    pub start_of_frame: bool,
    /// E: the payload ends a frame.
    pub end_of_frame: bool,
    /// Z: not a reference for upper spatial layers.
    pub not_upper_reference: bool,
    /// I: the picture id.
    pub picture_id: Option<PictureId>,
    /// L: the layer indices.
    pub layer: Option<Vp9Layer>,
    /// The reference diffs: present when F and P are both set.
    pub references: Vp9ReferenceDiffs,
    /// V: the scalability structure.
    pub scalability: Option<Vp9ScalabilityStructure<'a>>,
}

impl<'a> Vp9Descriptor<'a> {
    /// Reads the descriptor at the start of a payload; returns it and its length.
    pub fn parse(payload: &'a [u8]) -> Result<(Self, usize), ParseError> {
        let mut r = Reader::new(payload, "VP9 payload descriptor");
        let b0 = r.u8()?;
        let mut d = Self {
            inter_picture_predicted: b0 & 0x40 != 0,
            flexible: b0 & 0x10 != 0,
            start_of_frame: b0 & 0x08 != 0,
            end_of_frame: b0 & 0x04 != 0,
            not_upper_reference: b0 & 0x01 != 0,
            ..Self::default()
        };
        if b0 & 0x80 != 0 {
            d.picture_id = Some(PictureId::read(&mut r)?);
        }
        if b0 & 0x20 != 0 {
            let l = r.u8()?;
            d.layer = Some(Vp9Layer {
                tid: l >> 5,
                switching_up: l & 0x10 != 0,
                sid: (l >> 1) & 0x07,
                inter_layer_dependency: l & 0x01 != 0,
                tl0_pic_idx: if d.flexible { None } else { Some(r.u8()?) },
            });
        }
        if d.flexible && d.inter_picture_predicted {
            // P_DIFF | N, up to 3 (RFC 9628 §4.2).
            loop {
                let b = r.u8()?;
                if usize::from(d.references.len) == 3 {
                    return Err(ParseError::InvalidField("VP9 reference count"));
                }
                if let Some(slot) = d.references.diffs.get_mut(usize::from(d.references.len)) {
                    *slot = b >> 1;
                }
                d.references.len += 1;
                if b & 0x01 == 0 {
                    break;
                }
            }
        }
        if b0 & 0x02 != 0 {
            d.scalability = Some(Vp9ScalabilityStructure::read(&mut r)?);
        }
        Ok((d, payload.len() - r.remaining()))
    }

    /// Bytes it takes.
    pub fn encoded_len(&self) -> usize {
        1 + self.picture_id.map_or(0, PictureId::len)
            + self
                .layer
                .map_or(0, |l| 1 + usize::from(l.tl0_pic_idx.is_some()))
            + if self.flexible && self.inter_picture_predicted {
                self.references.as_slice().len()
            } else {
                0
            }
            + self.scalability.map_or(0, |s| s.encoded_len())
    }

    /// Writes it at the start of `out`; returns its length. TL0PICIDX must be present exactly
    /// in non-flexible mode, and reference diffs (1 to 3) exactly in flexible mode with P.
    pub fn emit(&self, out: &mut [u8]) -> Result<usize, WriteError> {
        let refs = self.references.as_slice();
        let wants_refs = self.flexible && self.inter_picture_predicted;
        if self
            .layer
            .is_some_and(|l| l.tid > 7 || l.sid > 7 || l.tl0_pic_idx.is_some() == self.flexible)
            || (wants_refs && refs.is_empty())
            || (!wants_refs && !refs.is_empty())
        {
            return Err(WriteError::InvalidField("VP9 payload descriptor"));
        }
        let mut w = Writer::new(out);
        w.u8(u8::from(self.picture_id.is_some()) << 7
            | u8::from(self.inter_picture_predicted) << 6
            | u8::from(self.layer.is_some()) << 5
            | u8::from(self.flexible) << 4
            | u8::from(self.start_of_frame) << 3
            | u8::from(self.end_of_frame) << 2
            | u8::from(self.scalability.is_some()) << 1
            | u8::from(self.not_upper_reference))?;
        if let Some(p) = self.picture_id {
            p.write(&mut w)?;
        }
        if let Some(l) = self.layer {
            w.u8(l.tid << 5
                | u8::from(l.switching_up) << 4
                | l.sid << 1
                | u8::from(l.inter_layer_dependency))?;
            if let Some(t) = l.tl0_pic_idx {
                w.u8(t)?;
            }
        }
        for (i, &diff) in refs.iter().enumerate() {
            w.u8(diff << 1 | u8::from(i + 1 < refs.len()))?;
        }
        if let Some(ss) = &self.scalability {
            ss.write(&mut w)?;
        }
        Ok(w.position())
    }
}

/// What the uncompressed header of a VP9 frame says (VP9 bitstream spec §6.2): whether it is
/// a key frame, and for key frames the size.
fn frame_info(frame: &[u8]) -> Option<(bool, Option<(u16, u16)>)> {
    let mut bits = Bits {
        bytes: frame,
        at: 0,
    };
    if bits.read(2)? != 2 {
        return None; // frame_marker
    }
    let profile = bits.read(1)? | bits.read(1)? << 1;
    if profile == 3 {
        bits.read(1)?; // reserved_zero
    }
    if bits.read(1)? == 1 {
        return Some((false, None)); // show_existing_frame
    }
    if bits.read(1)? != 0 {
        return Some((false, None)); // frame_type: non-key
    }
    bits.read(2)?; // show_frame, error_resilient_mode
    if bits.read(24)? != 0x49_83_42 {
        return Some((true, None)); // frame_sync_code
    }
    // color_config
    if profile >= 2 {
        bits.read(1)?; // ten_or_twelve_bit
    }
    let color_space = bits.read(3)?;
    if color_space != 7 {
        bits.read(1)?; // color_range
        if profile == 1 || profile == 3 {
            bits.read(3)?; // subsampling_x, subsampling_y, reserved_zero
        }
    } else if profile == 1 || profile == 3 {
        bits.read(1)?; // reserved_zero
    }
    let width = bits.read(16)? + 1;
    let height = bits.read(16)? + 1;
    Some((
        true,
        u16::try_from(width).ok().zip(u16::try_from(height).ok()),
    ))
}

/// A big-endian bit reader.
struct Bits<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Bits<'_> {
    fn read(&mut self, n: usize) -> Option<u32> {
        let mut v = 0u32;
        for _ in 0..n {
            let byte = self.bytes.get(self.at / 8)?;
            v = v << 1 | u32::from((byte >> (7 - self.at % 8)) & 1);
            self.at += 1;
        }
        Some(v)
    }
}

/// VP9 packetizer in non-flexible mode with one layer: a 15-bit picture id per frame, P from the
/// frame header, B and E on the first and last packet, and on key frames a scalability structure
/// with the frame size (libwebrtc's receivers use it to size their buffers).
#[derive(Debug, Clone, Default)]
pub struct Vp9Packetizer {
    picture_id: u16,
    buf: Vec<u8>,
}

impl Vp9Packetizer {
    /// A packetizer whose first picture id is `first` (15 bits; it may start anywhere).
    pub fn new(first_picture_id: u16) -> Self {
        Self {
            picture_id: first_picture_id & 0x7FFF,
            buf: Vec::new(),
        }
    }
}

impl Packetizer for Vp9Packetizer {
    fn packetize(
        &mut self,
        frame: &[u8],
        max_payload_len: usize,
        out: &mut dyn FnMut(&[u8], bool),
    ) -> Result<(), WriteError> {
        if frame.is_empty() {
            return Err(WriteError::InvalidFrame("empty VP9 frame"));
        }
        let (keyframe, size) = frame_info(frame).unwrap_or((false, None));
        let resolution = size.map(|(width, height)| [Vp9Resolution { width, height }]);
        let mut desc = Vp9Descriptor {
            inter_picture_predicted: !keyframe,
            start_of_frame: true,
            picture_id: Some(PictureId::Long(self.picture_id)),
            scalability: resolution.as_ref().map(|r| Vp9ScalabilityStructure {
                spatial_layers: 1,
                resolutions: Some(List::new(r)),
                picture_group: None,
            }),
            ..Vp9Descriptor::default()
        };
        // The first packet's descriptor is the longest (it may carry the SS).
        let first_len = desc.encoded_len();
        check_limit(max_payload_len, first_len)?;
        self.buf.resize(max_payload_len, 0);
        let mut rest = frame;
        while !rest.is_empty() {
            let room = max_payload_len - desc.encoded_len();
            let (chunk, tail) = rest.split_at(room.min(rest.len()));
            desc.end_of_frame = tail.is_empty();
            let h = desc.emit(&mut self.buf)?;
            let end = h + chunk.len();
            if let Some(dst) = self.buf.get_mut(h..end) {
                dst.copy_from_slice(chunk);
            }
            out(self.buf.get(..end).unwrap_or_default(), tail.is_empty());
            desc.start_of_frame = false;
            desc.scalability = None;
            rest = tail;
        }
        self.picture_id = (self.picture_id + 1) & 0x7FFF;
        Ok(())
    }
}

/// VP9 depacketizer: the frames of all spatial layers of a picture (one timestamp, up to the
/// marker bit) are concatenated.
#[derive(Debug)]
pub struct Vp9Depacketizer {
    asm: Assembler,
}

impl Default for Vp9Depacketizer {
    fn default() -> Self {
        Self::new()
    }
}

impl Vp9Depacketizer {
    /// A depacketizer.
    pub fn new() -> Self {
        Self {
            asm: Assembler::new(FrameStart::Explicit),
        }
    }
}

impl Depacketizer for Vp9Depacketizer {
    fn push(&mut self, payload: &[u8], info: PacketInfo) -> Result<Option<Frame<'_>>, ParseError> {
        let parsed = Vp9Descriptor::parse(payload).and_then(|(d, len)| match payload.get(len..) {
            Some(data) if !data.is_empty() => Ok((d, data)),
            _ => Err(ParseError::Truncated {
                what: "VP9 payload",
                needed: len + 1,
                available: payload.len(),
            }),
        });
        let (desc, data) = match parsed {
            Ok(p) => p,
            Err(e) => {
                self.asm.fail(info);
                return Err(e);
            }
        };
        // A picture starts with the first frame of its lowest spatial layer.
        let base_layer = desc.layer.is_none_or(|l| l.sid == 0);
        let starts = desc.start_of_frame && base_layer;
        match self.asm.admit(info, starts) {
            Admit::Drop => return Ok(None),
            // RFC 9628 §4.2: P = 0 on the base layer's first packet is a key picture.
            Admit::Start => self.asm.keyframe = !desc.inter_picture_predicted,
            Admit::Continue => {}
        }
        self.asm.buf.extend_from_slice(data);
        Ok(self.asm.finish(info, true))
    }

    fn frames_dropped(&self) -> u64 {
        self.asm.dropped()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(seq: u16, ts: u32, marker: bool) -> PacketInfo {
        PacketInfo {
            sequence_number: seq,
            timestamp: ts,
            marker,
        }
    }

    #[test]
    fn flexible_descriptor_with_references_round_trips() {
        // I=1 (M=1), P=1, L=1, F=1, B=1: picture id 0x1234, TID 2 U SID 1 D, diffs 1 and 3.
        let bytes = [0xF8, 0x92, 0x34, 0x53, 0x03, 0x06, 0xAA];
        let (d, len) = Vp9Descriptor::parse(&bytes).unwrap();
        assert_eq!(len, 6);
        assert_eq!(d.picture_id, Some(PictureId::Long(0x1234)));
        assert_eq!(
            d.layer,
            Some(Vp9Layer {
                tid: 2,
                switching_up: true,
                sid: 1,
                inter_layer_dependency: true,
                tl0_pic_idx: None,
            })
        );
        assert_eq!(d.references.as_slice(), [1, 3]);
        let mut out = [0u8; 6];
        assert_eq!(d.emit(&mut out), Ok(6));
        assert_eq!(out, bytes[..6]);
    }

    #[test]
    fn non_flexible_descriptor_with_scalability_structure() {
        // I=1 (M=0, pid 5), L=1, B=1, V=1; TID 0 SID 0, TL0PICIDX 9;
        // SS: N_S=1 Y=1 G=1, 320x180 and 640x360, N_G=1: TID 0 U=0 R=1, P_DIFF 1.
        let bytes = [
            0xAA, 0x05, 0x00, 0x09, 0x38, 0x01, 0x40, 0x00, 0xB4, 0x02, 0x80, 0x01, 0x68, 0x01,
            0x04, 0x01, 0xEE,
        ];
        let (d, len) = Vp9Descriptor::parse(&bytes).unwrap();
        assert_eq!(len, bytes.len() - 1);
        let ss = d.scalability.unwrap();
        assert_eq!(ss.spatial_layers, 2);
        let res: Vec<_> = ss.resolutions.unwrap().iter().collect();
        assert_eq!(
            res,
            [
                Vp9Resolution {
                    width: 320,
                    height: 180
                },
                Vp9Resolution {
                    width: 640,
                    height: 360
                }
            ]
        );
        let pg: Vec<_> = ss.picture_group.unwrap().iter().collect();
        assert_eq!(pg.len(), 1);
        assert_eq!(pg[0].references.as_slice(), [1]);
        assert_eq!(d.layer.unwrap().tl0_pic_idx, Some(9));
        let mut out = vec![0u8; d.encoded_len()];
        assert_eq!(d.emit(&mut out), Ok(len));
        assert_eq!(out, bytes[..len]);
    }

    #[test]
    fn more_than_three_references_is_an_error() {
        assert!(Vp9Descriptor::parse(&[0x58, 0x03, 0x03, 0x03, 0x02, 0]).is_err());
        for cut in 0..4 {
            assert!(Vp9Descriptor::parse(&[0xF8, 0x92, 0x34, 0x53][..cut]).is_err());
        }
    }

    #[test]
    fn key_frame_header_gives_the_size() {
        // frame_marker 2, profile 0, show_existing 0, key, show, !error_res, sync code,
        // color_space 0 (BT.601) and color_range 0, then width-1 = 159 and height-1 = 119.
        let mut bits = String::from("10"); // frame_marker
        bits += "00"; // profile
        bits += "0"; // show_existing_frame
        bits += "0"; // frame_type key
        bits += "1"; // show_frame
        bits += "0"; // error_resilient_mode
        bits += "010010011000001101000010"; // sync code
        bits += "000"; // color_space
        bits += "0"; // color_range
        bits += &format!("{:016b}{:016b}", 159, 119);
        while bits.len() % 8 != 0 {
            bits.push('0');
        }
        let bytes: Vec<u8> = bits
            .as_bytes()
            .chunks(8)
            .map(|c| u8::from_str_radix(std::str::from_utf8(c).unwrap(), 2).unwrap())
            .collect();
        assert_eq!(frame_info(&bytes), Some((true, Some((160, 120)))));
        // An inter frame: frame_type 1.
        assert_eq!(frame_info(&[0x86]), Some((false, None)));
        assert_eq!(frame_info(&[0x00]), None);
    }

    #[test]
    fn spatial_layers_of_a_picture_make_one_frame() {
        let mut dp = Vp9Depacketizer::new();
        // Layer 0 (B E), layer 1 (B, then E with the marker); non-flexible, L=1.
        let l0 = [0x2C, 0x00, 0x07, 1, 2];
        let l1a = [0x28, 0x03, 0x07, 3];
        let l1b = [0x24, 0x03, 0x07, 4];
        assert_eq!(dp.push(&l0, info(1, 10, false)), Ok(None));
        assert_eq!(dp.push(&l1a, info(2, 10, false)), Ok(None));
        let f = dp.push(&l1b, info(3, 10, true)).unwrap().unwrap();
        assert_eq!(f.data, [1, 2, 3, 4]);
        assert!(f.keyframe);
        // A picture that starts with layer 1 cannot be decoded.
        assert_eq!(dp.push(&l1a, info(4, 20, false)), Ok(None));
        assert_eq!(dp.frames_dropped(), 1);
    }
}
