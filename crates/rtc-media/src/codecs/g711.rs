//! G.711 PCMU and PCMA (RFC 3551 §4.5.14): one byte per sample at 8 kHz, no payload header;
//! and the μ-law and A-law sample conversions (ITU-T G.711).

use super::{Depacketizer, Frame, PacketInfo, Packetizer};
use crate::{ParseError, WriteError};

/// μ-law bias and clip level (ITU-T G.711, as in the Sun reference code).
const ULAW_BIAS: i32 = 0x84;
const ULAW_CLIP: i32 = 32635;

/// The μ-law code of a 16-bit linear sample.
pub fn ulaw_encode(sample: i16) -> u8 {
    let mut s = i32::from(sample);
    let sign = if s < 0 {
        s = -s;
        0x80
    } else {
        0
    };
    s = s.min(ULAW_CLIP) + ULAW_BIAS;
    // The segment: the position of the highest set bit of s >> 7 (s < 2^15).
    let top = (s >> 7) as u8;
    let exponent = if top == 0 {
        0
    } else {
        7 - top.leading_zeros() as u8
    };
    let mantissa = ((s >> (exponent + 3)) & 0x0F) as u8;
    !(sign | exponent << 4 | mantissa)
}

/// The 16-bit linear sample of a μ-law code.
pub fn ulaw_decode(code: u8) -> i16 {
    let u = !code;
    let exponent = (u >> 4) & 0x07;
    let mantissa = i32::from(u & 0x0F);
    let magnitude = (((mantissa << 3) + ULAW_BIAS) << exponent) - ULAW_BIAS;
    (if u & 0x80 != 0 { -magnitude } else { magnitude }) as i16
}

/// Segment end points of A-law, on 13-bit magnitudes.
const ALAW_SEGMENT_END: [i32; 8] = [0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF];

/// The A-law code of a 16-bit linear sample.
pub fn alaw_encode(sample: i16) -> u8 {
    let mut v = i32::from(sample) >> 3;
    let mask = if v >= 0 {
        0xD5
    } else {
        v = -v - 1;
        0x55
    };
    let Some(segment) = ALAW_SEGMENT_END.iter().position(|&end| v <= end) else {
        return 0x7F ^ mask;
    };
    let shift = if segment < 2 { 1 } else { segment };
    let code = (segment as u8) << 4 | ((v >> shift) & 0x0F) as u8;
    code ^ mask
}

/// The 16-bit linear sample of an A-law code.
pub fn alaw_decode(code: u8) -> i16 {
    let a = code ^ 0x55;
    let mut t = i32::from(a & 0x0F) << 4;
    let segment = (a & 0x70) >> 4;
    match segment {
        0 => t += 8,
        1 => t += 0x108,
        s => t = (t + 0x108) << (s - 1),
    }
    (if a & 0x80 != 0 { t } else { -t }) as i16
}

/// PCMU/PCMA packetizer: the frame (20 ms is 160 samples) is the payload. Splitting a longer
/// frame would need a timestamp per packet, so frames longer than the limit are refused.
#[derive(Debug, Clone, Default)]
pub struct G711Packetizer;

impl G711Packetizer {
    /// A packetizer.
    pub const fn new() -> Self {
        Self
    }
}

impl Packetizer for G711Packetizer {
    fn packetize(
        &mut self,
        frame: &[u8],
        max_payload_len: usize,
        out: &mut dyn FnMut(&[u8], bool),
    ) -> Result<(), WriteError> {
        if frame.is_empty() {
            return Err(WriteError::InvalidFrame("empty G.711 frame"));
        }
        if frame.len() > max_payload_len {
            return Err(WriteError::PayloadLimitTooSmall {
                limit: max_payload_len,
                needed: frame.len(),
            });
        }
        out(frame, false);
        Ok(())
    }
}

/// PCMU/PCMA depacketizer: each payload is a frame of samples.
#[derive(Debug, Default)]
pub struct G711Depacketizer {
    buf: Vec<u8>,
    dropped: u64,
}

impl G711Depacketizer {
    /// A depacketizer.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Depacketizer for G711Depacketizer {
    fn push(&mut self, payload: &[u8], info: PacketInfo) -> Result<Option<Frame<'_>>, ParseError> {
        if payload.is_empty() {
            self.dropped += 1;
            return Err(ParseError::Truncated {
                what: "G.711 payload",
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
    fn silence_has_its_well_known_codes() {
        assert_eq!(ulaw_encode(0), 0xFF);
        assert_eq!(ulaw_decode(0xFF), 0);
        assert_eq!(alaw_encode(0), 0xD5);
        assert_eq!(alaw_decode(0xD5), 8);
        // Full scale.
        assert_eq!(ulaw_encode(i16::MAX), 0x80);
        assert_eq!(ulaw_encode(i16::MIN), 0x00);
        assert_eq!(ulaw_decode(0x80), 32124);
        assert_eq!(alaw_decode(0xAA), 32256);
        assert_eq!(alaw_encode(i16::MAX), 0xAA);
    }

    #[test]
    fn every_code_decodes_to_a_sample_that_encodes_back() {
        for code in 0..=255u8 {
            // μ-law has two zeros (0x7F is -0); both decode to 0, which encodes as 0xFF.
            if code != 0x7F {
                assert_eq!(ulaw_encode(ulaw_decode(code)), code, "μ-law {code:#04x}");
            }
            assert_eq!(alaw_encode(alaw_decode(code)), code, "A-law {code:#04x}");
        }
    }

    #[test]
    fn encoding_is_monotonic_and_close() {
        let mut last_u = i16::MIN;
        let mut last_a = i16::MIN;
        for s in (i16::MIN..=i16::MAX).step_by(7) {
            let u = ulaw_decode(ulaw_encode(s));
            let a = alaw_decode(alaw_encode(s));
            assert!(u >= last_u && a >= last_a, "monotonic at {s}");
            // The quantization step is at most 1/16 of the magnitude plus a little.
            let tolerance = i32::from(s).abs() / 15 + 16;
            assert!(
                (i32::from(u) - i32::from(s)).abs() <= tolerance,
                "μ-law {s} -> {u}"
            );
            assert!(
                (i32::from(a) - i32::from(s)).abs() <= tolerance,
                "A-law {s} -> {a}"
            );
            last_u = u;
            last_a = a;
        }
    }
}
