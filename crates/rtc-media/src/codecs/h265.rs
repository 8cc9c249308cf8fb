//! H.265 (RFC 7798) with sprop-max-don-diff 0 (no DONL fields): single NAL unit packets
//! (§4.4.1), aggregation packets (AP, §4.4.2) and fragmentation units (FU, §4.4.3). The
//! packetizer takes an Annex B access unit; the depacketizer gives one back, with 4-byte start
//! codes.

use super::{Admit, Assembler, Depacketizer, Frame, FrameStart, PacketInfo, Packetizer};
use crate::files::annexb::{AnnexBCodec, collect_nal_units};
use crate::wire::Reader;
use crate::{ParseError, WriteError};

/// Payload header types of the payload format (RFC 7798 §4.4).
const AP: u8 = 48;
const FU: u8 = 49;
const PACI: u8 = 50;

const START_CODE: [u8; 4] = [0, 0, 0, 1];

/// The type of a 2-byte NAL unit header.
fn nal_type(header: &[u8]) -> u8 {
    header.first().map_or(0, |b| (b >> 1) & 0x3F)
}

/// (F, LayerId, TID) of a 2-byte NAL unit header.
fn header_fields(h: [u8; 2]) -> (u8, u8, u8) {
    (h[0] & 0x80, (h[0] & 0x01) << 5 | h[1] >> 3, h[1] & 0x07)
}

fn first_two(nal: &[u8]) -> [u8; 2] {
    [
        nal.first().copied().unwrap_or(0),
        nal.get(1).copied().unwrap_or(0),
    ]
}

/// H.265 packetizer: NAL units that fit go alone or, two or more together, in an AP; larger
/// ones are split into FUs.
#[derive(Debug, Clone, Default)]
pub struct H265Packetizer {
    buf: Vec<u8>,
    /// The access unit's NAL units, (offset, length).
    nals: Vec<(usize, usize)>,
}

impl H265Packetizer {
    /// A packetizer.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Packetizer for H265Packetizer {
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
            if n.len() < 2 || n.get(1).is_some_and(|b| b & 0x07 == 0) {
                // H.265 §7.4.2.2: a 2-byte header with nuh_temporal_id_plus1 > 0.
                return Err(WriteError::InvalidFrame("H.265 NAL unit header"));
            }
            if nal_type(n) >= AP {
                // RFC 7798 §4.4: types 48..=50 are the payload format's; 51..=63 undefined.
                return Err(WriteError::InvalidFrame("NAL unit type 48..=63"));
            }
            if n.len() > max_payload_len && max_payload_len < 4 {
                // An FU needs its 2-byte payload header, its header and a byte of data.
                return Err(WriteError::PayloadLimitTooSmall {
                    limit: max_payload_len,
                    needed: 4,
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
            // RFC 7798 §4.4.2: a 2-byte payload header, then a 16-bit size before each unit.
            let mut size = 2 + 2 + first.len();
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
            buf.extend_from_slice(&[0, 0]);
            let (mut f, mut layer, mut tid) = (0u8, u8::MAX, u8::MAX);
            for n in nals.get(i..end).unwrap_or_default().iter().map(nal) {
                // F is the OR of the F bits, LayerId and TID the lowest (RFC 7798 §4.4.2).
                let (nf, nl, nt) = header_fields(first_two(n));
                f |= nf;
                layer = layer.min(nl);
                tid = tid.min(nt);
                buf.extend_from_slice(&(n.len() as u16).to_be_bytes());
                buf.extend_from_slice(n);
            }
            if let Some([h0, h1]) = buf.get_mut(..2) {
                *h0 = f | AP << 1 | layer >> 5;
                *h1 = (layer & 0x1F) << 3 | tid;
            }
            out(buf, end == count);
            i = end;
        }
        Ok(())
    }
}

/// Splits one NAL unit into FUs (RFC 7798 §4.4.3).
fn fragment(nal: &[u8], max: usize, buf: &mut Vec<u8>, out: &mut dyn FnMut(&[u8], bool)) {
    let [h0, h1] = first_two(nal);
    let body = nal.get(2..).unwrap_or_default();
    let mut chunks = body.chunks(max.saturating_sub(3).max(1)).peekable();
    let mut first = true;
    while let Some(chunk) = chunks.next() {
        let last = chunks.peek().is_none();
        buf.clear();
        // The payload header copies the NAL unit's with type 49; the FU header: S, E, type.
        buf.push(h0 & 0x81 | FU << 1);
        buf.push(h1);
        buf.push(u8::from(first) << 7 | u8::from(last) << 6 | nal_type(&[h0]));
        buf.extend_from_slice(chunk);
        out(buf, last);
        first = false;
    }
}

/// H.265 depacketizer. Keyframe: the access unit holds an IRAP picture (BLA, IDR, CRA) or a
/// VPS or SPS.
#[derive(Debug)]
pub struct H265Depacketizer {
    asm: Assembler,
    in_fragment: bool,
}

impl Default for H265Depacketizer {
    fn default() -> Self {
        Self::new()
    }
}

impl H265Depacketizer {
    /// A depacketizer.
    pub fn new() -> Self {
        Self {
            asm: Assembler::new(FrameStart::AfterMarker),
            in_fragment: false,
        }
    }

    fn push_nal(&mut self, nal: &[u8]) {
        self.asm.keyframe |= AnnexBCodec::H265.is_keyframe_nal(nal);
        self.asm.buf.extend_from_slice(&START_CODE);
        self.asm.buf.extend_from_slice(nal);
    }

    fn take(&mut self, payload: &[u8]) -> Result<(), ParseError> {
        let mut r = Reader::new(payload, "H.265 payload header");
        let header = [r.u8()?, r.u8()?];
        let kind = nal_type(&header);
        if kind != FU && self.in_fragment {
            return Err(ParseError::InvalidField("H.265 FU not ended"));
        }
        match kind {
            0..=47 => self.push_nal(payload),
            AP => {
                if r.remaining() == 0 {
                    return Err(ParseError::Truncated {
                        what: "H.265 aggregation packet",
                        needed: 4,
                        available: payload.len(),
                    });
                }
                let mut r = Reader::new(r.rest(), "H.265 aggregation packet");
                while r.remaining() > 0 {
                    let size = usize::from(r.u16()?);
                    if size < 2 {
                        return Err(ParseError::InvalidField("H.265 aggregated NAL unit size"));
                    }
                    let nal = r.take(size)?;
                    self.push_nal(nal);
                }
            }
            FU => {
                let fu = r.u8()?;
                let (start, end) = (fu & 0x80 != 0, fu & 0x40 != 0);
                if start {
                    if self.in_fragment {
                        return Err(ParseError::InvalidField("H.265 FU not ended"));
                    }
                    let nal_header = [header[0] & 0x81 | (fu & 0x3F) << 1, header[1]];
                    self.asm.keyframe |= AnnexBCodec::H265.is_keyframe_nal(&nal_header);
                    self.asm.buf.extend_from_slice(&START_CODE);
                    self.asm.buf.extend_from_slice(&nal_header);
                    self.in_fragment = true;
                } else if !self.in_fragment {
                    return Err(ParseError::InvalidField("H.265 FU without its start"));
                }
                self.asm.buf.extend_from_slice(r.rest());
                if end {
                    self.in_fragment = false;
                }
            }
            PACI => return Err(ParseError::Unsupported("H.265 PACI packets")),
            // RFC 7798 §4.4: types 51..=63 are undefined; receivers ignore them.
            _ => {}
        }
        Ok(())
    }
}

impl Depacketizer for H265Depacketizer {
    fn push(&mut self, payload: &[u8], info: PacketInfo) -> Result<Option<Frame<'_>>, ParseError> {
        // Anything but the middle or end of an FU can begin an access unit.
        let can_start = nal_type(payload) != FU || payload.get(2).is_some_and(|fu| fu & 0x80 != 0);
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
    use crate::files::nal_units;

    fn at(seq: u16, ts: u32, marker: bool) -> PacketInfo {
        PacketInfo {
            sequence_number: seq,
            timestamp: ts,
            marker,
        }
    }

    fn packetize(frame: &[u8], max: usize) -> Vec<(Vec<u8>, bool)> {
        let mut packets = Vec::new();
        H265Packetizer::new()
            .packetize(frame, max, &mut |p, m| packets.push((p.to_vec(), m)))
            .unwrap();
        packets
    }

    // RFC 7798 §4.4.2, Figure 7: an AP with two aggregation units.
    #[test]
    fn parameter_sets_share_an_aggregation_packet() {
        // VPS (32), SPS (33), PPS (34) with TID 1, then an IDR_W_RADL (19) slice.
        let frame = [
            0, 0, 0, 1, 0x40, 0x01, 0xAA, 0, 0, 0, 1, 0x42, 0x01, 0xBB, 0, 0, 0, 1, 0x44, 0x01,
            0xCC, 0, 0, 1, 0x26, 0x01, 0xDD,
        ];
        let packets = packetize(&frame, 1200);
        assert_eq!(packets.len(), 1);
        let p = &packets[0].0;
        assert_eq!(p[..2], [AP << 1, 0x01]);
        assert_eq!(p[2..7], [0, 3, 0x40, 0x01, 0xAA]);
        let mut d = H265Depacketizer::new();
        let f = d.push(p, at(1, 1, true)).unwrap().unwrap();
        assert!(f.keyframe);
        let nals: Vec<_> = nal_units(f.data).map(|n| n.data).collect();
        let want: Vec<_> = nal_units(&frame).map(|n| n.data).collect();
        assert_eq!(nals, want);
    }

    // RFC 7798 §4.4.3: FU payload header, FU header, data.
    #[test]
    fn a_large_nal_unit_goes_in_fus() {
        let mut frame = vec![0, 0, 0, 1, 0x02, 0x01];
        frame.extend(1..=30u8);
        let packets = packetize(&frame, 12);
        assert_eq!(packets.len(), 4);
        assert_eq!(packets[0].0[..3], [FU << 1, 0x01, 0x81]);
        assert_eq!(packets[1].0[..3], [FU << 1, 0x01, 0x01]);
        assert_eq!(packets[3].0[..3], [FU << 1, 0x01, 0x41]);
        let mut d = H265Depacketizer::new();
        let mut got = None;
        for (i, (p, m)) in packets.iter().enumerate() {
            if let Some(f) = d.push(p, at(i as u16, 5, *m)).unwrap() {
                got = Some((f.data.to_vec(), f.keyframe));
            }
        }
        assert_eq!(got, Some((frame, false)));
    }

    #[test]
    fn malformed_payloads_are_errors() {
        let mut d = H265Depacketizer::new();
        assert!(d.push(&[0x02], at(1, 1, true)).is_err());
        assert!(d.push(&[AP << 1, 1], at(2, 2, true)).is_err());
        assert!(d.push(&[AP << 1, 1, 0, 5, 0x02], at(3, 3, true)).is_err());
        assert!(d.push(&[AP << 1, 1, 0, 1, 0x02], at(4, 4, true)).is_err());
        assert!(
            d.push(&[FU << 1, 1], at(5, 5, true))
                .is_ok_and(|f| f.is_none())
        );
        assert_eq!(
            d.push(&[PACI << 1, 1, 0], at(6, 6, true)),
            Err(ParseError::Unsupported("H.265 PACI packets"))
        );
        assert_eq!(d.frames_dropped(), 6);
    }

    #[test]
    fn packetizer_rejects_what_it_cannot_send() {
        let mut p = H265Packetizer::new();
        assert!(p.packetize(&[0, 0, 1], 100, &mut |_, _| panic!()).is_err());
        assert!(
            p.packetize(&[0, 0, 1, 0x02], 100, &mut |_, _| panic!())
                .is_err()
        );
        assert!(
            p.packetize(&[0, 0, 1, 0x02, 0x00], 100, &mut |_, _| panic!())
                .is_err()
        );
        assert!(
            p.packetize(&[0, 0, 1, AP << 1, 0x01], 100, &mut |_, _| panic!())
                .is_err()
        );
        assert!(
            p.packetize(&[0, 0, 1, 0x02, 0x01, 1, 2], 3, &mut |_, _| panic!())
                .is_err()
        );
    }
}
