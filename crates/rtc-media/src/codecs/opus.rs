//! Opus (RFC 7587): one Opus packet per RTP packet, never fragmented (§4.2).

use super::{Depacketizer, Frame, PacketInfo, Packetizer};
use crate::{ParseError, WriteError};

/// The longest an Opus packet may last: 120 ms at 48 kHz (RFC 6716 §3.2.5).
const MAX_PACKET_SAMPLES: u32 = 5760;

/// Samples at 48 kHz in one Opus frame of TOC configuration `config` (RFC 6716 §3.1, Table 2).
const fn frame_samples(config: u8) -> u32 {
    match config {
        // SILK-only: 10, 20, 40, 60 ms.
        0..=11 => [480, 960, 1920, 2880][(config % 4) as usize],
        // Hybrid: 10, 20 ms.
        12..=15 => [480, 960][(config % 2) as usize],
        // CELT-only: 2.5, 5, 10, 20 ms.
        _ => [120, 240, 480, 960][(config % 4) as usize],
    }
}

/// How many samples (at 48 kHz, per channel) an Opus packet decodes to, from its TOC byte and
/// frame count (RFC 6716 §3.1, §3.2). Used for Ogg granule positions (RFC 7845 §4).
pub fn opus_packet_samples(packet: &[u8]) -> Result<u32, ParseError> {
    let Some(&toc) = packet.first() else {
        // RFC 6716 §3.1: a packet holds at least the TOC byte.
        return Err(ParseError::Truncated {
            what: "Opus packet",
            needed: 1,
            available: 0,
        });
    };
    let per_frame = frame_samples(toc >> 3);
    let frames = match toc & 0x03 {
        0 => 1,
        1 | 2 => 2,
        _ => {
            // Code 3: the frame count byte (RFC 6716 §3.2.5).
            let Some(&count) = packet.get(1) else {
                return Err(ParseError::Truncated {
                    what: "Opus code 3 packet",
                    needed: 2,
                    available: packet.len(),
                });
            };
            u32::from(count & 0x3F)
        }
    };
    let samples = per_frame * frames;
    if frames == 0 || samples > MAX_PACKET_SAMPLES {
        return Err(ParseError::InvalidField("Opus frame count"));
    }
    Ok(samples)
}

/// Opus packetizer: the packet is the payload.
#[derive(Debug, Clone, Default)]
pub struct OpusPacketizer;

impl OpusPacketizer {
    /// A packetizer.
    pub const fn new() -> Self {
        Self
    }
}

impl Packetizer for OpusPacketizer {
    fn packetize(
        &mut self,
        frame: &[u8],
        max_payload_len: usize,
        out: &mut dyn FnMut(&[u8], bool),
    ) -> Result<(), WriteError> {
        if frame.is_empty() {
            return Err(WriteError::InvalidFrame("empty Opus packet"));
        }
        if frame.len() > max_payload_len {
            // RFC 7587 §4.2: an Opus packet is never split across RTP packets.
            return Err(WriteError::PayloadLimitTooSmall {
                limit: max_payload_len,
                needed: frame.len(),
            });
        }
        out(frame, false);
        Ok(())
    }
}

/// Opus depacketizer: each payload is one Opus packet.
#[derive(Debug, Default)]
pub struct OpusDepacketizer {
    buf: Vec<u8>,
    dropped: u64,
}

impl OpusDepacketizer {
    /// A depacketizer.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Depacketizer for OpusDepacketizer {
    fn push(&mut self, payload: &[u8], info: PacketInfo) -> Result<Option<Frame<'_>>, ParseError> {
        if payload.is_empty() {
            self.dropped += 1;
            return Err(ParseError::Truncated {
                what: "Opus packet",
                needed: 1,
                available: 0,
            });
        }
        self.buf.clear();
        self.buf.extend_from_slice(payload);
        Ok(Some(Frame {
            data: &self.buf,
            timestamp: info.timestamp,
            keyframe: true,
        }))
    }

    fn frames_dropped(&self) -> u64 {
        self.dropped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packet_durations_follow_the_toc() {
        // Config 31 (CELT FB 20 ms), code 0: 960 samples.
        assert_eq!(opus_packet_samples(&[31 << 3]), Ok(960));
        // Config 0 (SILK NB 10 ms), code 1: two frames.
        assert_eq!(opus_packet_samples(&[1]), Ok(960));
        // Config 3 (SILK NB 60 ms), code 3 with 2 frames: 120 ms.
        assert_eq!(opus_packet_samples(&[3 << 3 | 3, 2]), Ok(5760));
        // 3 frames of 60 ms is too long.
        assert!(opus_packet_samples(&[3 << 3 | 3, 3]).is_err());
        assert!(opus_packet_samples(&[3 << 3 | 3, 0]).is_err());
        assert!(opus_packet_samples(&[3]).is_err());
        assert!(opus_packet_samples(&[]).is_err());
    }

    #[test]
    fn a_packet_is_one_payload_and_one_frame() {
        let mut p = OpusPacketizer::new();
        let mut got = Vec::new();
        p.packetize(&[0xF8, 1, 2, 3], 100, &mut |b, m| got.push((b.to_vec(), m)))
            .unwrap();
        assert_eq!(got, vec![(vec![0xF8, 1, 2, 3], false)]);
        assert!(p.packetize(&[0xF8; 10], 9, &mut |_, _| panic!()).is_err());
        assert!(p.packetize(&[], 9, &mut |_, _| panic!()).is_err());

        let mut d = OpusDepacketizer::new();
        let info = PacketInfo {
            sequence_number: 1,
            timestamp: 960,
            marker: false,
        };
        let frame = d.push(&[0xF8, 1], info).unwrap().unwrap();
        assert_eq!(frame.data, [0xF8, 1]);
        assert!(frame.keyframe);
        assert!(d.push(&[], info).is_err());
        assert_eq!(d.frames_dropped(), 1);
    }
}
