//! Sender and receiver reports (RFC 3550 §6.4) and their report blocks.

use super::{Body, RawRtcp, emit_packet, packet_len, packet_type};
use crate::list::{List, ListItem, Sealed};
use crate::wire::{Reader, Writer};
use crate::{ParseError, WriteError};

/// Length of a report block.
const REPORT_BLOCK_LEN: usize = 24;
/// The most report blocks one packet can count (the 5-bit RC field).
const MAX_REPORTS: usize = 31;

/// A reception report block (RFC 3550 §6.4.1): what the reporter received from one source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ReportBlock {
    /// The source reported on.
    pub ssrc: u32,
    /// Fraction of packets lost since the last report, in 1/256.
    pub fraction_lost: u8,
    /// Cumulative number of packets lost: 24 bits, signed (duplicates can make it negative).
    pub cumulative_lost: i32,
    /// Extended highest sequence number received (cycles in the high 16 bits).
    pub extended_highest_sequence: u32,
    /// Interarrival jitter, in timestamp units.
    pub jitter: u32,
    /// LSR: the middle 32 bits of the NTP timestamp of the last SR from the source, or 0.
    pub last_sender_report: u32,
    /// DLSR: delay since that SR, in 1/65536 s.
    pub delay_since_last_sender_report: u32,
}

impl Sealed for ReportBlock {}

impl ListItem<'_> for ReportBlock {
    fn read(bytes: &mut &[u8]) -> Result<Self, ParseError> {
        let mut r = Reader::new(bytes, "report block");
        let ssrc = r.u32()?;
        let fraction_lost = r.u8()?;
        let lost = r.u24()?;
        // Sign-extend the 24-bit field.
        let cumulative_lost = ((lost << 8) as i32) >> 8;
        let block = Self {
            ssrc,
            fraction_lost,
            cumulative_lost,
            extended_highest_sequence: r.u32()?,
            jitter: r.u32()?,
            last_sender_report: r.u32()?,
            delay_since_last_sender_report: r.u32()?,
        };
        *bytes = r.rest();
        Ok(block)
    }

    fn encoded_len(&self) -> usize {
        REPORT_BLOCK_LEN
    }

    fn write(&self, out: &mut [u8]) -> Result<usize, WriteError> {
        if !(-(1 << 23)..(1 << 23)).contains(&self.cumulative_lost) {
            return Err(WriteError::InvalidField(
                "cumulative number of packets lost",
            ));
        }
        let mut w = Writer::new(out);
        w.u32(self.ssrc)?;
        w.u8(self.fraction_lost)?;
        w.u24(self.cumulative_lost as u32 & 0x00FF_FFFF)?;
        w.u32(self.extended_highest_sequence)?;
        w.u32(self.jitter)?;
        w.u32(self.last_sender_report)?;
        w.u32(self.delay_since_last_sender_report)?;
        Ok(REPORT_BLOCK_LEN)
    }
}

/// Reads `count` report blocks off the front of `r`.
fn read_reports<'a>(r: &mut Reader<'a>, count: u8) -> Result<List<'a, ReportBlock>, ParseError> {
    let mut rest = r.take(usize::from(count) * REPORT_BLOCK_LEN)?;
    List::parse_count(&mut rest, usize::from(count))
}

fn report_count(reports: &List<'_, ReportBlock>) -> Result<u8, WriteError> {
    let count = reports.len();
    if count > MAX_REPORTS {
        return Err(WriteError::TooMany {
            what: "report blocks",
            count,
        });
    }
    Ok(count as u8)
}

/// SR (RFC 3550 §6.4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SenderReport<'a> {
    /// The sender.
    pub ssrc: u32,
    /// NTP timestamp (64-bit, 32.32 fixed point) of this report.
    pub ntp_timestamp: u64,
    /// The RTP timestamp of the same instant.
    pub rtp_timestamp: u32,
    /// Packets sent since the start.
    pub packet_count: u32,
    /// Payload octets sent since the start.
    pub octet_count: u32,
    /// Report blocks, at most 31.
    pub reports: List<'a, ReportBlock>,
    /// Profile-specific extensions after the report blocks.
    pub profile_extensions: &'a [u8],
}

impl<'a> SenderReport<'a> {
    /// Reads the packet (RC report blocks, the rest profile extensions).
    pub fn parse(raw: &RawRtcp<'a>) -> Result<Self, ParseError> {
        let mut r = Reader::new(raw.body, "SR packet");
        let ssrc = r.u32()?;
        let ntp_timestamp = r.u64()?;
        let rtp_timestamp = r.u32()?;
        let packet_count = r.u32()?;
        let octet_count = r.u32()?;
        let reports = read_reports(&mut r, raw.count)?;
        Ok(Self {
            ssrc,
            ntp_timestamp,
            rtp_timestamp,
            packet_count,
            octet_count,
            reports,
            profile_extensions: r.rest(),
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

impl Body for SenderReport<'_> {
    fn packet_type(&self) -> u8 {
        packet_type::SR
    }
    fn count(&self) -> Result<u8, WriteError> {
        report_count(&self.reports)
    }
    fn body_len(&self) -> usize {
        24 + self.reports.encoded_len() + self.profile_extensions.len()
    }
    fn write_body(&self, out: &mut [u8]) -> Result<usize, WriteError> {
        let mut w = Writer::new(out);
        w.u32(self.ssrc)?;
        w.u64(self.ntp_timestamp)?;
        w.u32(self.rtp_timestamp)?;
        w.u32(self.packet_count)?;
        w.u32(self.octet_count)?;
        let mut at = w.position();
        at += self.reports.write(out.get_mut(at..).unwrap_or_default())?;
        let mut w = Writer::new(out.get_mut(at..).unwrap_or_default());
        w.bytes(self.profile_extensions)?;
        Ok(at + w.position())
    }
}

/// RR (RFC 3550 §6.4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReceiverReport<'a> {
    /// The reporter.
    pub ssrc: u32,
    /// Report blocks, at most 31.
    pub reports: List<'a, ReportBlock>,
    /// Profile-specific extensions after the report blocks.
    pub profile_extensions: &'a [u8],
}

impl<'a> ReceiverReport<'a> {
    /// Reads the packet.
    pub fn parse(raw: &RawRtcp<'a>) -> Result<Self, ParseError> {
        let mut r = Reader::new(raw.body, "RR packet");
        let ssrc = r.u32()?;
        let reports = read_reports(&mut r, raw.count)?;
        Ok(Self {
            ssrc,
            reports,
            profile_extensions: r.rest(),
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

impl Body for ReceiverReport<'_> {
    fn packet_type(&self) -> u8 {
        packet_type::RR
    }
    fn count(&self) -> Result<u8, WriteError> {
        report_count(&self.reports)
    }
    fn body_len(&self) -> usize {
        4 + self.reports.encoded_len() + self.profile_extensions.len()
    }
    fn write_body(&self, out: &mut [u8]) -> Result<usize, WriteError> {
        let mut w = Writer::new(out);
        w.u32(self.ssrc)?;
        let mut at = w.position();
        at += self.reports.write(out.get_mut(at..).unwrap_or_default())?;
        let mut w = Writer::new(out.get_mut(at..).unwrap_or_default());
        w.bytes(self.profile_extensions)?;
        Ok(at + w.position())
    }
}
