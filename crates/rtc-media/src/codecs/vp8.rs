//! VP8 (RFC 7741): the payload descriptor (§4.2), keyframe detection from the payload header
//! (§4.3), packetization of a frame into payloads of a size limit, and depacketization.

use super::{
    Admit, Assembler, Depacketizer, Frame, FrameStart, PacketInfo, Packetizer, PictureId,
    check_limit,
};
use crate::wire::{Reader, Writer};
use crate::{ParseError, WriteError};

/// The TID and Y fields of the descriptor (RFC 7741 §4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Vp8Temporal {
    /// TID: the temporal layer, 0..=3.
    pub tid: u8,
    /// Y: layer sync (the frame depends only on the base layer).
    pub layer_sync: bool,
}

/// The VP8 payload descriptor (RFC 7741 §4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Vp8Descriptor {
    /// N: a non-reference frame.
    pub non_reference: bool,
    /// S: the payload starts a partition (set on a frame's first packet).
    pub start_of_partition: bool,
    /// PID: the partition index, 0..=7.
    pub partition_index: u8,
    /// I: the picture id.
    pub picture_id: Option<PictureId>,
    /// L: TL0PICIDX.
    pub tl0_pic_idx: Option<u8>,
    /// T: the temporal layer fields.
    pub temporal: Option<Vp8Temporal>,
    /// K: KEYIDX, 0..=31.
    pub key_idx: Option<u8>,
}

impl Vp8Descriptor {
    /// Reads the descriptor at the start of a payload; returns it and its length.
    pub fn parse(payload: &[u8]) -> Result<(Self, usize), ParseError> {
        let mut r = Reader::new(payload, "VP8 payload descriptor");
        let b0 = r.u8()?;
        let mut d = Self {
            non_reference: b0 & 0x20 != 0,
            start_of_partition: b0 & 0x10 != 0,
            partition_index: b0 & 0x07,
            ..Self::default()
        };
        if b0 & 0x80 != 0 {
            let x = r.u8()?;
            if x & 0x80 != 0 {
                d.picture_id = Some(PictureId::read(&mut r)?);
            }
            if x & 0x40 != 0 {
                d.tl0_pic_idx = Some(r.u8()?);
            }
            if x & 0x30 != 0 {
                let tk = r.u8()?;
                // RFC 7741 §4.2: the TID/Y part is ignored without T, KEYIDX without K.
                if x & 0x20 != 0 {
                    d.temporal = Some(Vp8Temporal {
                        tid: tk >> 6,
                        layer_sync: tk & 0x20 != 0,
                    });
                }
                if x & 0x10 != 0 {
                    d.key_idx = Some(tk & 0x1F);
                }
            }
        }
        Ok((d, payload.len() - r.remaining()))
    }

    /// Bytes it takes.
    pub fn encoded_len(&self) -> usize {
        let extended = self.picture_id.is_some()
            || self.tl0_pic_idx.is_some()
            || self.temporal.is_some()
            || self.key_idx.is_some();
        if !extended {
            return 1;
        }
        2 + self.picture_id.map_or(0, PictureId::len)
            + usize::from(self.tl0_pic_idx.is_some())
            + usize::from(self.temporal.is_some() || self.key_idx.is_some())
    }

    /// Writes it at the start of `out`; returns its length.
    pub fn emit(&self, out: &mut [u8]) -> Result<usize, WriteError> {
        if self.partition_index > 7
            || self.temporal.is_some_and(|t| t.tid > 3)
            || self.key_idx.is_some_and(|k| k > 31)
        {
            return Err(WriteError::InvalidField("VP8 payload descriptor"));
        }
        let extended = self.encoded_len() > 1;
        let mut w = Writer::new(out);
        w.u8(u8::from(extended) << 7
            | u8::from(self.non_reference) << 5
            | u8::from(self.start_of_partition) << 4
            | self.partition_index)?;
        if extended {
            w.u8(u8::from(self.picture_id.is_some()) << 7
                | u8::from(self.tl0_pic_idx.is_some()) << 6
                | u8::from(self.temporal.is_some()) << 5
                | u8::from(self.key_idx.is_some()) << 4)?;
            if let Some(p) = self.picture_id {
                p.write(&mut w)?;
            }
            if let Some(t) = self.tl0_pic_idx {
                w.u8(t)?;
            }
            if self.temporal.is_some() || self.key_idx.is_some() {
                let t = self
                    .temporal
                    .map_or(0, |t| t.tid << 6 | u8::from(t.layer_sync) << 5);
                w.u8(t | self.key_idx.unwrap_or(0))?;
            }
        }
        Ok(w.position())
    }
}

/// Whether a frame's first payload bytes (after the descriptor) are a key frame's: the P bit
/// of the payload header is 0 (RFC 7741 §4.3).
pub(crate) fn is_keyframe(frame_start: &[u8]) -> bool {
    frame_start.first().is_some_and(|b| b & 0x01 == 0)
}

/// VP8 packetizer: one partition-agnostic run of packets per frame (RFC 7741 §4.4: S set on the
/// first, PID 0 throughout), each with the same descriptor otherwise.
#[derive(Debug, Clone, Default)]
pub struct Vp8Packetizer {
    picture_id: Option<u16>,
    buf: Vec<u8>,
}

impl Vp8Packetizer {
    /// A packetizer that writes the one-byte descriptor only.
    pub fn new() -> Self {
        Self::default()
    }

    /// A packetizer that writes 15-bit picture ids, starting at `first` (RFC 7741 §4.2: it
    /// may start at a random value) and adding 1 per frame.
    pub fn with_picture_id(first: u16) -> Self {
        Self {
            picture_id: Some(first & 0x7FFF),
            buf: Vec::new(),
        }
    }
}

impl Packetizer for Vp8Packetizer {
    fn packetize(
        &mut self,
        frame: &[u8],
        max_payload_len: usize,
        out: &mut dyn FnMut(&[u8], bool),
    ) -> Result<(), WriteError> {
        if frame.is_empty() {
            return Err(WriteError::InvalidFrame("empty VP8 frame"));
        }
        let mut desc = Vp8Descriptor {
            start_of_partition: true,
            picture_id: self.picture_id.map(PictureId::Long),
            ..Vp8Descriptor::default()
        };
        let header_len = desc.encoded_len();
        check_limit(max_payload_len, header_len)?;
        let chunk_len = max_payload_len - header_len;
        self.buf.resize(max_payload_len, 0);
        let mut chunks = frame.chunks(chunk_len).peekable();
        while let Some(chunk) = chunks.next() {
            let h = desc.emit(&mut self.buf)?;
            let end = h + chunk.len();
            if let Some(dst) = self.buf.get_mut(h..end) {
                dst.copy_from_slice(chunk);
            }
            out(
                self.buf.get(..end).unwrap_or_default(),
                chunks.peek().is_none(),
            );
            desc.start_of_partition = false;
        }
        if let Some(p) = &mut self.picture_id {
            *p = (*p + 1) & 0x7FFF;
        }
        Ok(())
    }
}

/// VP8 depacketizer.
#[derive(Debug)]
pub struct Vp8Depacketizer {
    asm: Assembler,
}

impl Default for Vp8Depacketizer {
    fn default() -> Self {
        Self::new()
    }
}

impl Vp8Depacketizer {
    /// A depacketizer.
    pub fn new() -> Self {
        Self {
            asm: Assembler::new(FrameStart::Explicit),
        }
    }
}

impl Depacketizer for Vp8Depacketizer {
    fn push(&mut self, payload: &[u8], info: PacketInfo) -> Result<Option<Frame<'_>>, ParseError> {
        let parsed = Vp8Descriptor::parse(payload).and_then(|(d, len)| match payload.get(len..) {
            Some(data) if !data.is_empty() => Ok((d, data)),
            _ => Err(ParseError::Truncated {
                what: "VP8 payload",
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
        // RFC 7741 §4.2: S = 1 and PID = 0 is the start of a frame.
        let starts = desc.start_of_partition && desc.partition_index == 0;
        match self.asm.admit(info, starts) {
            Admit::Drop => return Ok(None),
            Admit::Start => self.asm.keyframe = is_keyframe(data),
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

    // RFC 7741 §4.6.1: a key frame in one packet, PictureID 17.
    #[test]
    fn rfc7741_key_frame_in_a_single_packet() {
        let payload = [0x90, 0x80, 0x11, 0x10, 0x02, 0x00, 0xAA];
        let (d, len) = Vp8Descriptor::parse(&payload).unwrap();
        assert_eq!(len, 3);
        assert!(d.start_of_partition);
        assert_eq!(d.partition_index, 0);
        assert_eq!(d.picture_id, Some(PictureId::Short(17)));
        assert!(is_keyframe(&payload[len..]));
        let mut out = [0u8; 3];
        assert_eq!(d.emit(&mut out), Ok(3));
        assert_eq!(out, payload[..3]);

        let mut dp = Vp8Depacketizer::new();
        let f = dp.push(&payload, info(1, 90, true)).unwrap().unwrap();
        assert!(f.keyframe);
        assert_eq!(f.data, &payload[3..]);
    }

    // RFC 7741 §4.6.2: an interframe without the extension byte.
    #[test]
    fn rfc7741_interframe_without_picture_id() {
        let payload = [0x10, 0x11, 0x02, 0x00, 0xAA];
        let (d, len) = Vp8Descriptor::parse(&payload).unwrap();
        assert_eq!(len, 1);
        assert_eq!(
            d,
            Vp8Descriptor {
                start_of_partition: true,
                ..Vp8Descriptor::default()
            }
        );
        assert!(!is_keyframe(&payload[1..]));
    }

    // RFC 7741 §4.6.5: PictureID 4711 in the long form.
    #[test]
    fn rfc7741_long_picture_id() {
        let payload = [0x90, 0x80, 0x92, 0x67, 0x11];
        let (d, len) = Vp8Descriptor::parse(&payload).unwrap();
        assert_eq!(len, 4);
        assert_eq!(d.picture_id, Some(PictureId::Long(4711)));
        let mut out = [0u8; 4];
        d.emit(&mut out).unwrap();
        assert_eq!(out, payload[..4]);
    }

    // RFC 7741 §4.6.4: a frame fragmented over four packets, partitions 0 and 1.
    #[test]
    fn rfc7741_fragmented_frame_reassembles() {
        let packets: [&[u8]; 4] = [
            &[0x90, 0x80, 0x11, 0x11, 0x02, 0x00, 1],
            &[0x91, 0x80, 0x11, 2, 3],
            &[0x81, 0x80, 0x11, 4],
            &[0x81, 0x80, 0x11, 5, 6],
        ];
        let mut dp = Vp8Depacketizer::new();
        for (i, p) in packets.iter().enumerate() {
            let r = dp.push(p, info(10 + i as u16, 3000, i == 3)).unwrap();
            if i < 3 {
                assert!(r.is_none());
            } else {
                let f = r.unwrap();
                assert_eq!(f.data, [0x11, 0x02, 0x00, 1, 2, 3, 4, 5, 6]);
                assert!(!f.keyframe);
            }
        }
        assert_eq!(dp.frames_dropped(), 0);
    }

    #[test]
    fn a_lost_packet_drops_the_frame_and_the_next_one_arrives() {
        let mut dp = Vp8Depacketizer::new();
        assert_eq!(dp.push(&[0x10, 0x10, 1], info(1, 100, false)), Ok(None));
        // Sequence 2 lost.
        assert_eq!(dp.push(&[0x00, 3], info(3, 100, true)), Ok(None));
        assert_eq!(dp.frames_dropped(), 1);
        let f = dp
            .push(&[0x10, 0x10, 7], info(4, 200, true))
            .unwrap()
            .unwrap();
        assert_eq!(f.data, [0x10, 7]);
        assert!(f.keyframe);
        // A frame whose start is missing is dropped too.
        assert_eq!(dp.push(&[0x00, 3], info(6, 300, true)), Ok(None));
        assert_eq!(dp.frames_dropped(), 2);
    }

    #[test]
    fn truncated_descriptors_are_errors() {
        let mut dp = Vp8Depacketizer::new();
        for bad in [
            &[][..],
            &[0x90],
            &[0x90, 0x80],
            &[0x90, 0x80, 0x80],
            &[0x90, 0x80, 0x11],
            &[0x10],
        ] {
            assert!(dp.push(bad, info(1, 1, true)).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn packetizer_splits_at_the_limit_and_counts_picture_ids() {
        let frame: Vec<u8> = (0..250u8).collect();
        let mut p = Vp8Packetizer::with_picture_id(0x7FFF);
        let mut packets = Vec::new();
        p.packetize(&frame, 100, &mut |b, m| packets.push((b.to_vec(), m)))
            .unwrap();
        assert_eq!(packets.len(), 3);
        assert!(packets.iter().all(|(b, _)| b.len() <= 100));
        assert_eq!(packets.iter().filter(|(_, m)| *m).count(), 1);
        assert!(packets[2].1);
        let mut dp = Vp8Depacketizer::new();
        let mut frames = Vec::new();
        for (i, (b, m)) in packets.iter().enumerate() {
            let (d, _) = Vp8Descriptor::parse(b).unwrap();
            assert_eq!(d.picture_id, Some(PictureId::Long(0x7FFF)));
            assert_eq!(d.start_of_partition, i == 0);
            if let Some(f) = dp.push(b, info(i as u16, 9, *m)).unwrap() {
                frames.push(f.data.to_vec());
            }
        }
        assert_eq!(frames, vec![frame.clone()]);
        // The next frame's picture id wraps to 0.
        let mut first = None;
        p.packetize(&frame, 1000, &mut |b, _| first = Some(b.to_vec()))
            .unwrap();
        let (d, _) = Vp8Descriptor::parse(&first.unwrap()).unwrap();
        assert_eq!(d.picture_id, Some(PictureId::Long(0)));
        // No room for media after the descriptor.
        assert!(p.packetize(&frame, 4, &mut |_, _| panic!()).is_err());
    }
}
