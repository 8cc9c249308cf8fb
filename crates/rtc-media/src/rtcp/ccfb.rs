//! RTP Control Protocol (RTCP) feedback for congestion control: RTPFB with FMT 11
//! (RFC 8888 §3.1).

use super::{Body, RawRtcp, emit_packet, feedback_type, packet_len, packet_type};
use crate::list::{List, ListItem, Sealed};
use crate::wire::{Reader, Writer};
use crate::{ParseError, WriteError};

/// RFC 8888 §3.1: a report block covers at most a quarter of the sequence number space.
const MAX_METRICS: usize = 16384;

/// One 16-bit packet metric block (RFC 8888 §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct CcfbMetric {
    /// R: the packet was received.
    pub received: bool,
    /// The echoed ECN mark, 2 bits.
    pub ecn: u8,
    /// ATO: arrival time offset before the report timestamp, 13 bits in 1/1024 s. 0x1FFE
    /// says over-range, 0x1FFF unavailable.
    pub arrival_time_offset: u16,
}

impl CcfbMetric {
    /// ATO value for an offset too large to code (RFC 8888 §3.1).
    pub const ATO_OVER_RANGE: u16 = 0x1FFE;
    /// ATO value for an unavailable arrival time (RFC 8888 §3.1).
    pub const ATO_UNAVAILABLE: u16 = 0x1FFF;

    /// A packet not received: every field 0.
    pub const NOT_RECEIVED: Self = Self {
        received: false,
        ecn: 0,
        arrival_time_offset: 0,
    };
}

impl Sealed for CcfbMetric {}

impl ListItem<'_> for CcfbMetric {
    fn read(bytes: &mut &[u8]) -> Result<Self, ParseError> {
        let mut r = Reader::new(bytes, "CCFB metric block");
        let v = r.u16()?;
        *bytes = r.rest();
        Ok(Self {
            received: v & 0x8000 != 0,
            ecn: ((v >> 13) & 3) as u8,
            arrival_time_offset: v & 0x1FFF,
        })
    }
    fn encoded_len(&self) -> usize {
        2
    }
    fn write(&self, out: &mut [u8]) -> Result<usize, WriteError> {
        if self.ecn > 3 || self.arrival_time_offset > 0x1FFF {
            return Err(WriteError::InvalidField("CCFB metric block"));
        }
        let v =
            u16::from(self.received) << 15 | u16::from(self.ecn) << 13 | self.arrival_time_offset;
        Writer::new(out).u16(v)?;
        Ok(2)
    }
}

/// The report block of one RTP stream (RFC 8888 §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CcfbReport<'a> {
    /// The stream reported on.
    pub ssrc: u32,
    /// The sequence number of the first metric block.
    pub begin_sequence: u16,
    /// One metric block per sequence number from `begin_sequence` on, at most 16384.
    pub metrics: List<'a, CcfbMetric>,
}

impl Sealed for CcfbReport<'_> {}

impl<'a> ListItem<'a> for CcfbReport<'a> {
    fn read(bytes: &mut &'a [u8]) -> Result<Self, ParseError> {
        let mut r = Reader::new(bytes, "CCFB report block");
        let ssrc = r.u32()?;
        let begin_sequence = r.u16()?;
        // RFC 8888 §3.1 says the block covers begin_seq to begin_seq+num_reports inclusive,
        // but counts num_reports blocks; implementations read it as the
        // number of metric blocks, which is what is done here.
        let num = usize::from(r.u16()?);
        if num > MAX_METRICS {
            return Err(ParseError::InvalidField("CCFB num_reports"));
        }
        let mut rest = r.take(2 * num)?;
        let metrics = List::parse_count(&mut rest, num)?;
        if num % 2 == 1 {
            // 16 bits of zero padding to the next 32-bit boundary.
            r.take(2)?;
        }
        *bytes = r.rest();
        Ok(Self {
            ssrc,
            begin_sequence,
            metrics,
        })
    }

    fn encoded_len(&self) -> usize {
        let n = self.metrics.len();
        8 + 2 * (n + n % 2)
    }

    fn write(&self, out: &mut [u8]) -> Result<usize, WriteError> {
        let n = self.metrics.len();
        if n > MAX_METRICS {
            return Err(WriteError::TooMany {
                what: "CCFB metric blocks",
                count: n,
            });
        }
        let mut w = Writer::new(out);
        w.reserve(self.encoded_len())?;
        w.u32(self.ssrc)?;
        w.u16(self.begin_sequence)?;
        w.u16(n as u16)?;
        let at = 8 + self.metrics.write(out.get_mut(8..).unwrap_or_default())?;
        let mut w = Writer::new(out.get_mut(at..).unwrap_or_default());
        w.zeros(2 * (n % 2))?;
        Ok(at + w.position())
    }
}

/// Congestion control feedback (RFC 8888 §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CongestionControlFeedback<'a> {
    /// The sender of the feedback.
    pub sender_ssrc: u32,
    /// One block per RTP stream.
    pub reports: List<'a, CcfbReport<'a>>,
    /// RTS: the middle 32 bits of the NTP time the arrival time offsets count back from.
    pub report_timestamp: u32,
}

impl<'a> CongestionControlFeedback<'a> {
    /// Reads the packet: report blocks, then the report timestamp in the last 4 bytes.
    pub fn parse(raw: &RawRtcp<'a>) -> Result<Self, ParseError> {
        let body = raw.body;
        if body.len() < 8 {
            return Err(ParseError::Truncated {
                what: "CCFB packet",
                needed: 8,
                available: body.len(),
            });
        }
        let (blocks, rts) = body.split_at(body.len() - 4);
        let mut r = Reader::new(blocks, "CCFB packet");
        let sender_ssrc = r.u32()?;
        Ok(Self {
            sender_ssrc,
            reports: List::parse(r.rest())?,
            report_timestamp: Reader::new(rts, "CCFB report timestamp").u32()?,
        })
    }

    /// Bytes it takes.
    pub fn encoded_len(&self) -> usize {
        packet_len(self)
    }

    /// Writes it at the start of `out`.
    pub fn emit(&self, out: &mut [u8]) -> Result<usize, WriteError> {
        emit_packet(self, out)
    }
}

impl Body for CongestionControlFeedback<'_> {
    fn packet_type(&self) -> u8 {
        packet_type::RTPFB
    }
    fn count(&self) -> Result<u8, WriteError> {
        Ok(feedback_type::CCFB)
    }
    fn body_len(&self) -> usize {
        8 + self.reports.encoded_len()
    }
    fn write_body(&self, out: &mut [u8]) -> Result<usize, WriteError> {
        Writer::new(out).u32(self.sender_ssrc)?;
        let at = 4 + self.reports.write(out.get_mut(4..).unwrap_or_default())?;
        Writer::new(out.get_mut(at..).unwrap_or_default()).u32(self.report_timestamp)?;
        Ok(at + 4)
    }
}
