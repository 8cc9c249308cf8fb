//! RTCP report statistics (RFC 3550 §6.4): what a receiver puts in its report blocks and what
//! a sender puts in its SR, and the round trip time that falls out of the two.
//!
//! - [`ReceiverStats`], per received SSRC: the extended highest sequence number, packets
//!   expected and lost (§A.1 and §A.3, without probation: SRTP authenticates the source
//!   already), the fraction lost since the last report, the interarrival jitter (§A.8, in
//!   timestamp units), and LSR/DLSR from the last SR of that source. [`ReceiverStats::report_block`]
//!   makes the report block and starts a new interval.
//! - [`SenderStats`], per sent SSRC: packet and octet counts, and [`SenderStats::sender_report`]
//!   with the NTP time the caller passes (the wall clock is not ours to read) and the RTP
//!   timestamp of the same instant. When a report block about our SSRC comes back,
//!   [`SenderStats::handle_report_block`] gives the RTT: the time since we sent the SR it names
//!   (LSR) less the time the peer held it (DLSR), §6.4.1. The send time is kept on the
//!   monotonic clock, so a wall-clock step does not skew it; [`round_trip_time`] is the
//!   formula on NTP values for whoever has only those.

use std::time::{Duration, Instant};

use crate::rtcp::{ReportBlock, SenderReport};
use crate::rtp::RtpPacket;
use crate::seq::{Epoch, duration_nanos, nanos_duration, nanos_to_units};

/// RFC 3550 §A.1: a jump forward of fewer packets than this is packet loss.
const MAX_DROPOUT: u16 = 3000;
/// RFC 3550 §A.1: a step back of fewer packets than this is reordering.
const MAX_MISORDER: u16 = 100;
/// Seconds from 1900 (NTP's epoch) to 1970 (Unix's).
const NTP_UNIX_OFFSET: u64 = 2_208_988_800;
/// SRs whose send times are kept for the RTT.
const SENT_REPORTS: usize = 8;

/// The middle 32 bits of a 64-bit NTP timestamp: the form of LSR (RFC 3550 §6.4.1).
pub const fn compact_ntp(ntp: u64) -> u32 {
    (ntp >> 16) as u32
}

/// An NTP timestamp (32.32 fixed point, seconds since 1900) from the time since the Unix
/// epoch.
pub const fn ntp_from_unix(since_unix_epoch: Duration) -> u64 {
    let secs = since_unix_epoch.as_secs().wrapping_add(NTP_UNIX_OFFSET);
    let frac = ((since_unix_epoch.subsec_nanos() as u64) << 32) / 1_000_000_000;
    secs << 32 | frac
}

/// A duration in 1/65536 s (the unit of DLSR), saturating.
pub fn to_compact_duration(d: Duration) -> u32 {
    let units = d.as_nanos() * 65_536 / 1_000_000_000;
    u32::try_from(units).unwrap_or(u32::MAX)
}

/// A duration in 1/65536 s as a `Duration`.
pub fn from_compact_duration(units: u32) -> Duration {
    Duration::from_nanos(u64::from(units) * 1_000_000_000 / 65_536)
}

/// RFC 3550 §6.4.1: the round trip time from a report block's LSR and DLSR and the NTP time it
/// arrived, `A - LSR - DLSR`. `None` when LSR is 0 (no SR received yet); zero when the clocks
/// make it negative.
///
/// ```
/// use std::time::Duration;
/// use rtc_media::reports::round_trip_time;
///
/// // RFC 3550 §6.4.1's figure: A = 46864.500, LSR = 46853.125, DLSR = 5.250.
/// let arrival = 0xb710_8000u64 << 16;
/// let rtt = round_trip_time(arrival, 0xb705_2000, 0x0005_4000);
/// assert_eq!(rtt, Some(Duration::from_millis(6125)));
/// ```
pub fn round_trip_time(arrival_ntp: u64, lsr: u32, dlsr: u32) -> Option<Duration> {
    if lsr == 0 {
        return None;
    }
    let rtt = compact_ntp(arrival_ntp)
        .wrapping_sub(lsr)
        .wrapping_sub(dlsr);
    // More than half the 16.16 range is a negative value.
    Some(if rtt > 1 << 31 {
        Duration::ZERO
    } else {
        from_compact_duration(rtt)
    })
}

/// Reception statistics of one SSRC, for its report blocks.
///
/// ```
/// use std::time::Instant;
/// use rtc_media::reports::ReceiverStats;
///
/// let mut stats = ReceiverStats::new(0x1234, 90_000);
/// let now = Instant::now();
/// for seq in [1u16, 2, 4, 5] {
///     stats.record(now, seq, 0);
/// }
/// let block = stats.report_block(now);
/// assert_eq!(block.extended_highest_sequence, 5);
/// assert_eq!(block.cumulative_lost, 1);
/// assert_eq!(block.fraction_lost, 51); // 1 of 5 in this interval: 256 / 5
/// ```
#[derive(Debug, Clone)]
pub struct ReceiverStats {
    ssrc: u32,
    clock_rate: u32,
    epoch: Epoch,
    started: bool,
    /// The first sequence number, extended in the cycles of `max_seq` (negative when a packet
    /// reordered before the first one wrapped back).
    base_seq: i64,
    max_seq: u16,
    /// Sequence number cycles, shifted (a multiple of 2^16).
    cycles: u64,
    /// RFC 3550 §A.1: the sequence number that confirms a restart, or above 2^16 for none.
    bad_seq: u32,
    received: u64,
    expected_prior: u64,
    received_prior: u64,
    transit: Option<u32>,
    jitter: f64,
    /// LSR of the last SR from the source, and when it came.
    last_sr: Option<(u32, i64)>,
}

impl ReceiverStats {
    /// Statistics of `ssrc`, whose RTP clock runs at `clock_rate` Hz.
    pub fn new(ssrc: u32, clock_rate: u32) -> Self {
        Self {
            ssrc,
            clock_rate: clock_rate.max(1),
            epoch: Epoch::default(),
            started: false,
            base_seq: 0,
            max_seq: 0,
            cycles: 0,
            bad_seq: 1 << 16 | 1,
            received: 0,
            expected_prior: 0,
            received_prior: 0,
            transit: None,
            jitter: 0.0,
            last_sr: None,
        }
    }

    // Getters.

    /// The source.
    pub const fn ssrc(&self) -> u32 {
        self.ssrc
    }

    /// Packets received (duplicates included, RFC 3550 §A.3).
    pub const fn packets_received(&self) -> u64 {
        self.received
    }

    /// The extended highest sequence number received: cycles in the high bits.
    pub fn extended_highest_sequence(&self) -> Option<u64> {
        self.started.then(|| self.cycles + u64::from(self.max_seq))
    }

    /// Packets expected: from the first sequence number to the highest.
    pub fn packets_expected(&self) -> u64 {
        self.extended_highest_sequence().map_or(0, |max| {
            u64::try_from(max as i64 - self.base_seq + 1).unwrap_or(0)
        })
    }

    /// Packets lost: expected less received, negative when duplicates outnumber losses.
    pub fn cumulative_lost(&self) -> i64 {
        self.packets_expected() as i64 - self.received as i64
    }

    /// The interarrival jitter in timestamp units (RFC 3550 §A.8).
    pub const fn jitter(&self) -> f64 {
        self.jitter
    }

    /// The interarrival jitter as time.
    pub fn jitter_duration(&self) -> Duration {
        Duration::from_secs_f64(self.jitter / f64::from(self.clock_rate))
    }

    // Input.

    /// A packet of the source arrived.
    pub fn on_packet(&mut self, now: Instant, packet: &RtpPacket<'_>) -> bool {
        self.record(now, packet.sequence_number(), packet.timestamp())
    }

    /// A packet with `sequence_number` and `timestamp` arrived at `now`. Returns whether it
    /// counted: RFC 3550 §A.1 sets aside a packet far from the sequence until the next one
    /// confirms a restart (then the counts start again).
    pub fn record(&mut self, now: Instant, sequence_number: u16, timestamp: u32) -> bool {
        let at = self.epoch.nanos(now);
        if !self.update_seq(sequence_number) {
            return false;
        }
        // RFC 3550 §A.8, in timestamp units (the arrival on the RTP clock's scale).
        let arrival = nanos_to_units(at, self.clock_rate) as u32;
        let transit = arrival.wrapping_sub(timestamp);
        if let Some(prev) = self.transit {
            let d = i64::from(transit.wrapping_sub(prev) as i32).unsigned_abs() as f64;
            self.jitter += (d - self.jitter) / 16.0;
        }
        self.transit = Some(transit);
        true
    }

    /// An SR from the source arrived: its time goes back in LSR, and the time we hold it in
    /// DLSR.
    pub fn handle_sender_report(&mut self, now: Instant, report: &SenderReport<'_>) {
        let at = self.epoch.nanos(now);
        self.last_sr = Some((compact_ntp(report.ntp_timestamp), at));
    }

    // Output.

    /// The report block for the source at `now`; the fraction lost covers the time since the
    /// previous call (RFC 3550 §A.3).
    pub fn report_block(&mut self, now: Instant) -> ReportBlock {
        let at = self.epoch.nanos(now);
        let expected = self.packets_expected();
        let expected_interval = expected.saturating_sub(self.expected_prior);
        let received_interval = self.received.saturating_sub(self.received_prior);
        self.expected_prior = expected;
        self.received_prior = self.received;
        let lost_interval = expected_interval as i64 - received_interval as i64;
        let fraction_lost = if expected_interval == 0 || lost_interval <= 0 {
            0
        } else {
            ((lost_interval << 8) / expected_interval as i64).min(255) as u8
        };
        let (last_sender_report, delay_since_last_sender_report) =
            self.last_sr.map_or((0, 0), |(lsr, received_at)| {
                let held = nanos_duration(at.saturating_sub(received_at));
                (lsr, to_compact_duration(held))
            });
        ReportBlock {
            ssrc: self.ssrc,
            fraction_lost,
            // RFC 3550 §A.3: clamped to the 24-bit field, not wrapped.
            cumulative_lost: self.cumulative_lost().clamp(-0x80_0000, 0x7F_FFFF) as i32,
            extended_highest_sequence: self.extended_highest_sequence().unwrap_or(0) as u32,
            jitter: self.jitter as u32,
            last_sender_report,
            delay_since_last_sender_report,
        }
    }

    // Internals.

    fn init_seq(&mut self, seq: u16) {
        self.base_seq = i64::from(seq);
        self.max_seq = seq;
        self.bad_seq = 1 << 16 | 1;
        self.cycles = 0;
        self.received = 0;
        self.received_prior = 0;
        self.expected_prior = 0;
    }

    /// RFC 3550 §A.1's `update_seq`, without probation.
    fn update_seq(&mut self, seq: u16) -> bool {
        if !self.started {
            self.started = true;
            self.init_seq(seq);
            self.received = 1;
            return true;
        }
        let udelta = seq.wrapping_sub(self.max_seq);
        if udelta < MAX_DROPOUT {
            // In order, with a permissible gap.
            if seq < self.max_seq {
                self.cycles += 1 << 16;
            }
            self.max_seq = seq;
        } else if udelta <= u16::MAX - MAX_MISORDER + 1 {
            // A very large jump.
            if u32::from(seq) == self.bad_seq {
                // Two sequential packets: the sender restarted.
                self.init_seq(seq);
                self.transit = None;
            } else {
                self.bad_seq = u32::from(seq.wrapping_add(1));
                return false;
            }
        } else {
            // A duplicate or reordered packet. One from before the first packet received
            // (the first ones were reordered) moves the start back, so that it counts as
            // expected too.
            let ext =
                (self.cycles + u64::from(self.max_seq)) as i64 - i64::from(udelta.wrapping_neg());
            self.base_seq = self.base_seq.min(ext);
        }
        self.received += 1;
        true
    }
}

/// Send statistics of one SSRC, for its SRs, and the RTT from the report blocks that answer
/// them.
///
/// ```
/// use std::time::{Duration, Instant};
/// use rtc_media::reports::{ReceiverStats, SenderStats};
///
/// let start = Instant::now();
/// let mut sender = SenderStats::new(0x1234, 90_000);
/// let mut receiver = ReceiverStats::new(0x1234, 90_000);
/// // An SR leaves at 0 ms and arrives at 20 ms; the receiver answers 100 ms later, and its RR
/// // arrives 30 ms after that.
/// let sr = sender.sender_report(start, 0xE000_1234_5678_9ABC);
/// receiver.handle_sender_report(start + Duration::from_millis(20), &sr);
/// let block = receiver.report_block(start + Duration::from_millis(120));
/// let rtt = sender.handle_report_block(start + Duration::from_millis(150), &block).unwrap();
/// assert!(rtt.abs_diff(Duration::from_millis(50)) < Duration::from_micros(20));
/// ```
#[derive(Debug, Clone)]
pub struct SenderStats {
    ssrc: u32,
    clock_rate: u32,
    epoch: Epoch,
    packets: u64,
    octets: u64,
    /// The RTP timestamp of the last packet sent, and when.
    last_sent: Option<(u32, i64)>,
    /// LSR and send time of our last SRs.
    reports: [(u32, i64); SENT_REPORTS],
    next_report: usize,
    rtt: Option<Duration>,
}

impl SenderStats {
    /// Statistics of our `ssrc`, whose RTP clock runs at `clock_rate` Hz.
    pub fn new(ssrc: u32, clock_rate: u32) -> Self {
        Self {
            ssrc,
            clock_rate: clock_rate.max(1),
            epoch: Epoch::default(),
            packets: 0,
            octets: 0,
            last_sent: None,
            reports: [(0, 0); SENT_REPORTS],
            next_report: 0,
            rtt: None,
        }
    }

    // Getters.

    /// Our SSRC.
    pub const fn ssrc(&self) -> u32 {
        self.ssrc
    }

    /// Packets sent.
    pub const fn packets_sent(&self) -> u64 {
        self.packets
    }

    /// Payload octets sent (RFC 3550 §6.4.1: headers and padding excluded).
    pub const fn octets_sent(&self) -> u64 {
        self.octets
    }

    /// The last round trip time measured.
    pub const fn rtt(&self) -> Option<Duration> {
        self.rtt
    }

    // Input.

    /// A packet of ours was sent at `now`.
    pub fn on_sent(&mut self, now: Instant, packet: &RtpPacket<'_>) {
        self.record(now, packet.timestamp(), packet.payload().len());
    }

    /// A packet of ours with `timestamp` and `payload_len` octets of payload was sent.
    pub fn record(&mut self, now: Instant, timestamp: u32, payload_len: usize) {
        let at = self.epoch.nanos(now);
        self.packets += 1;
        self.octets += payload_len as u64;
        self.last_sent = Some((timestamp, at));
    }

    /// A report block arrived. If it is about our SSRC and names one of our last SRs, the RTT
    /// is measured (RFC 3550 §6.4.1) and returned.
    pub fn handle_report_block(&mut self, now: Instant, block: &ReportBlock) -> Option<Duration> {
        let at = self.epoch.nanos(now);
        if block.ssrc != self.ssrc || block.last_sender_report == 0 {
            return None;
        }
        let &(_, sent) = self
            .reports
            .iter()
            .find(|(lsr, _)| *lsr == block.last_sender_report)?;
        let held = duration_nanos(from_compact_duration(block.delay_since_last_sender_report));
        let rtt = nanos_duration(at.saturating_sub(sent).saturating_sub(held));
        self.rtt = Some(rtt);
        Some(rtt)
    }

    // Output.

    /// An SR at `now`, whose wall-clock time is `ntp` (64-bit NTP): the counts, and the RTP
    /// timestamp of the same instant, extrapolated from the last packet sent. No report blocks:
    /// add them with struct update syntax.
    pub fn sender_report(&mut self, now: Instant, ntp: u64) -> SenderReport<'static> {
        let at = self.epoch.nanos(now);
        if let Some(slot) = self.reports.get_mut(self.next_report % SENT_REPORTS) {
            *slot = (compact_ntp(ntp), at);
        }
        self.next_report = self.next_report.wrapping_add(1);
        let rtp_timestamp = self.last_sent.map_or(0, |(ts, sent)| {
            let elapsed = nanos_to_units(at.saturating_sub(sent), self.clock_rate);
            ts.wrapping_add(elapsed as u32)
        });
        SenderReport {
            ssrc: self.ssrc,
            ntp_timestamp: ntp,
            rtp_timestamp,
            // RFC 3550 §6.4.1: the counts wrap.
            packet_count: self.packets as u32,
            octet_count: self.octets as u32,
            ..SenderReport::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ntp_conversions() {
        let ntp = ntp_from_unix(Duration::new(1, 500_000_000));
        assert_eq!(ntp, (NTP_UNIX_OFFSET + 1) << 32 | 0x8000_0000);
        assert_eq!(
            compact_ntp(ntp),
            ((NTP_UNIX_OFFSET + 1) as u32) << 16 | 0x8000
        );
        assert_eq!(
            to_compact_duration(Duration::from_millis(5250)),
            0x0005_4000
        );
        assert_eq!(
            from_compact_duration(0x0005_4000),
            Duration::from_millis(5250)
        );
        assert_eq!(to_compact_duration(Duration::MAX), u32::MAX);
        // A negative RTT (clock skew) is zero; LSR 0 is no measurement.
        assert_eq!(
            round_trip_time(0x1000_0000 << 16, 0x1000_0001, 0),
            Some(Duration::ZERO)
        );
        assert_eq!(round_trip_time(1 << 40, 0, 0), None);
    }

    #[test]
    #[allow(clippy::disallowed_methods)] // The origin of virtual time.
    fn restart_needs_two_packets_in_sequence() {
        let now = Instant::now();
        let mut s = ReceiverStats::new(1, 8000);
        for seq in 100..110 {
            assert!(s.record(now, seq, 0));
        }
        // A jump of 30000: set aside, then confirmed by the next one.
        assert!(!s.record(now, 30_000, 0));
        assert_eq!(s.packets_received(), 10);
        assert!(s.record(now, 30_001, 0));
        assert_eq!(s.packets_received(), 1);
        assert_eq!(s.extended_highest_sequence(), Some(30_001));
        assert_eq!(s.packets_expected(), 1);
        // A step back within MAX_MISORDER is reordering (and, before the first packet, moves
        // the start back: 29951..=30000 are lost).
        assert!(s.record(now, 29_950, 0));
        assert_eq!(s.packets_expected(), 52);
        assert_eq!(s.cumulative_lost(), 50);
        assert!(s.record(now, 30_001, 0));
        assert_eq!(s.cumulative_lost(), 49);
    }
}
