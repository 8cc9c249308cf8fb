//! Transport-wide congestion control feedback (draft-holmer-rmcat-transport-wide-cc-extensions-01):
//! the receiver records when each transport-wide sequence number arrived and reports it back
//! periodically; the sender maps the reports to what it sent and when.
//!
//! - [`TwccReceiver`] takes the transport-wide sequence number of every packet received on the
//!   transport (all SSRCs share the counter, §2.1) with its arrival time, and makes a
//!   [`TransportCc`] feedback packet every interval (100 ms by default; §3 suggests once per
//!   frame to once per RTT) covering every sequence number since the last one: not received,
//!   or received with its arrival as a delta in 250 µs ticks (§3.1.5). The reference time is
//!   the first arrival rounded down to 64 ms; deltas are taken between the arrivals rounded
//!   down to 250 µs, so the error does not add up along the packet. A delta that does not fit
//!   16 bits, or a packet that would grow past the size limit, ends the feedback; the rest
//!   follows at once in another.
//! - [`TwccSender`] remembers the send time and size of every packet it numbered, and turns a
//!   feedback packet into [`PacketFeedback`]s: send time, size, and arrival on the receiver's
//!   clock (reference times unwrapped across feedbacks) or lost. Lost feedback packets are
//!   counted from gaps in the feedback count.
//!
//! Bandwidth estimation on top of these (delay-based GCC, draft-ietf-rmcat-gcc, and loss-based
//! control) is not here yet.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::rtcp::{TransportCc, TwccStatus, TwccStatuses};
use crate::seq::{Epoch, SequenceUnwrapper, duration_nanos};

/// The most sequence numbers a receiver holds unreported; older ones are dropped.
const MAX_WINDOW: u64 = 1 << 14;
/// 64 ms in 250 µs ticks.
const TICKS_PER_REFERENCE: i64 = 256;

/// What a [`TwccReceiver`] counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct TwccReceiverStats {
    /// Packets recorded.
    pub packets: u64,
    /// Packets whose sequence number was already recorded.
    pub duplicates: u64,
    /// Packets whose sequence number was already reported (as not received) or dropped.
    pub late: u64,
    /// Feedback packets made.
    pub feedbacks: u64,
}

/// The receive side: arrival times of transport-wide sequence numbers, reported in
/// [`TransportCc`] packets.
///
/// ```
/// use std::time::{Duration, Instant};
/// use rtc_media::transport_cc::TwccReceiver;
///
/// let start = Instant::now();
/// let mut twcc = TwccReceiver::new(1, 0x1234);
/// twcc.record(start, 100);
/// twcc.record(start + Duration::from_millis(3), 102);
/// let due = twcc.poll_timeout().unwrap();
/// assert_eq!(due, start + Duration::from_millis(100));
/// let feedback = twcc.poll_feedback(due).unwrap();
/// let arrivals: Vec<_> = feedback.arrivals().collect();
/// assert_eq!(arrivals[1], (101, None));
/// assert_eq!(arrivals[2].1.unwrap() - arrivals[0].1.unwrap(), 3000); // µs
/// ```
#[derive(Debug)]
pub struct TwccReceiver {
    sender_ssrc: u32,
    media_ssrc: u32,
    interval: i64,
    max_packet_len: usize,
    epoch: Epoch,
    seq: SequenceUnwrapper,
    /// Arrival (µs since the epoch) of each sequence number from `start` on.
    arrivals: VecDeque<Option<i64>>,
    /// The extended sequence number of `arrivals[0]`: the first not reported yet.
    start: Option<u64>,
    /// Received packets in `arrivals`.
    unreported: usize,
    first_at: Option<i64>,
    last_feedback: Option<i64>,
    /// The last feedback stopped short: the next one is due at once.
    more: bool,
    feedback_count: u8,
    statuses: Vec<TwccStatus>,
    stats: TwccReceiverStats,
}

impl TwccReceiver {
    /// Feedback from `sender_ssrc` (ours), naming `media_ssrc` (one of the media sources; the
    /// draft leaves the choice open), every 100 ms, at most 1200 bytes each.
    pub fn new(sender_ssrc: u32, media_ssrc: u32) -> Self {
        Self {
            sender_ssrc,
            media_ssrc,
            interval: 100_000_000,
            max_packet_len: 1200,
            epoch: Epoch::default(),
            seq: SequenceUnwrapper::new(),
            arrivals: VecDeque::new(),
            start: None,
            unreported: 0,
            first_at: None,
            last_feedback: None,
            more: false,
            feedback_count: 0,
            statuses: Vec::new(),
            stats: TwccReceiverStats::default(),
        }
    }

    // Getters.

    /// What was counted.
    pub const fn stats(&self) -> &TwccReceiverStats {
        &self.stats
    }

    /// When [`TwccReceiver::poll_feedback`] has a feedback packet to make.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.unreported == 0 {
            return None;
        }
        self.epoch.instant(self.due()?)
    }

    // Input.

    /// A packet with transport-wide sequence number `seq` arrived at `now`.
    pub fn record(&mut self, now: Instant, seq: u16) {
        let at_us = self.epoch.nanos(now) / 1000;
        self.first_at.get_or_insert(at_us * 1000);
        self.stats.packets += 1;
        let ext = self.seq.peek(seq);
        let start = *self.start.get_or_insert(ext);
        if ext < start {
            // Before the first packet: still reportable if nothing was reported yet.
            if self.last_feedback.is_some() || start - ext >= MAX_WINDOW {
                self.stats.late += 1;
                return;
            }
            for _ in ext..start {
                self.arrivals.push_front(None);
            }
            self.start = Some(ext);
            return self.record_at(ext, ext, at_us);
        }
        self.seq.unwrap(seq);
        let mut start = start;
        let index = ext - start;
        if index >= MAX_WINDOW {
            // Too far ahead of what is unreported: the oldest go unreported.
            let drop = index - MAX_WINDOW + 1;
            for _ in 0..drop.min(self.arrivals.len() as u64) {
                if self.arrivals.pop_front().flatten().is_some() {
                    self.unreported -= 1;
                }
            }
            start += drop;
            self.start = Some(start);
        }
        self.record_at(start, ext, at_us);
    }

    fn record_at(&mut self, start: u64, ext: u64, at_us: i64) {
        let index = (ext - start) as usize;
        while self.arrivals.len() <= index {
            self.arrivals.push_back(None);
        }
        match self.arrivals.get_mut(index) {
            Some(Some(_)) => self.stats.duplicates += 1,
            Some(slot) => {
                *slot = Some(at_us);
                self.unreported += 1;
            }
            None => {}
        }
    }

    // Mutators.

    /// Feedback every `interval` (the first one an interval after the first packet).
    pub fn set_interval(&mut self, interval: Duration) {
        self.interval = duration_nanos(interval);
    }

    /// Feedback packets of at most `len` bytes (at least one packet's status always fits).
    pub fn set_max_packet_len(&mut self, len: usize) {
        self.max_packet_len = len;
    }

    // Output.

    /// The feedback packet due at `now`, if any: every sequence number from the first not yet
    /// reported to the highest received.
    pub fn poll_feedback(&mut self, now: Instant) -> Option<TransportCc<'_>> {
        let at = self.epoch.nanos(now);
        if self.unreported == 0 || self.due().is_none_or(|due| at < due) {
            return None;
        }
        let start = self.start?;
        let first_us = self.arrivals.iter().flatten().next().copied()?;
        let reference = first_us.div_euclid(64_000);
        let mut prev = reference.saturating_mul(TICKS_PER_REFERENCE);
        self.statuses.clear();
        // Header (16 bytes of body, 4 of RTCP header), then at worst a chunk per 7 statuses
        // (every chunk but the last covers at least 7) and the deltas.
        let mut len = 20;
        let mut last_received = 0;
        for arrival in &self.arrivals {
            let status = match *arrival {
                None => TwccStatus::NotReceived,
                Some(us) => {
                    let ticks = us.div_euclid(250);
                    let Ok(delta) = i16::try_from(ticks.saturating_sub(prev)) else {
                        break;
                    };
                    TwccStatus::Received { delta }
                }
            };
            let delta_len = match status {
                TwccStatus::NotReceived => 0,
                TwccStatus::Received { delta } if (0..=255).contains(&delta) => 1,
                TwccStatus::Received { .. } => 2,
            };
            let chunk_len = if self.statuses.len() % 7 == 0 { 2 } else { 0 };
            // Padded to 32 bits.
            let padded = (len + chunk_len + delta_len + 3) & !3;
            if !self.statuses.is_empty()
                && (padded > self.max_packet_len || self.statuses.len() == usize::from(u16::MAX))
            {
                break;
            }
            len += chunk_len + delta_len;
            if let Some(us) = *arrival {
                prev = us.div_euclid(250);
                last_received = self.statuses.len() + 1;
            }
            self.statuses.push(status);
        }
        // Not-received statuses after the last received one wait for the next feedback (unless
        // the packet is only those: a long run of losses goes out on its own).
        if last_received > 0 {
            self.statuses.truncate(last_received);
        }
        let reported = self.statuses.len();
        if reported == 0 {
            return None;
        }
        for _ in 0..reported {
            if self.arrivals.pop_front().flatten().is_some() {
                self.unreported -= 1;
            }
        }
        self.start = Some(start + reported as u64);
        self.more = self.unreported > 0;
        self.last_feedback = Some(at);
        let count = self.feedback_count;
        self.feedback_count = count.wrapping_add(1);
        self.stats.feedbacks += 1;
        Some(TransportCc {
            sender_ssrc: self.sender_ssrc,
            media_ssrc: self.media_ssrc,
            base_sequence_number: start as u16,
            // 24 bits, signed: it wraps after 2^23 × 64 ms (about 6 days).
            reference_time: ((reference as i32) << 8) >> 8,
            feedback_packet_count: count,
            statuses: TwccStatuses::new(&self.statuses),
        })
    }

    /// When the next feedback is due (with something to report).
    fn due(&self) -> Option<i64> {
        if self.more {
            return self.last_feedback;
        }
        let from = self.last_feedback.or(self.first_at)?;
        Some(from.saturating_add(self.interval))
    }
}

/// One packet's fate, from a feedback packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PacketFeedback {
    /// The extended transport-wide sequence number.
    pub sequence_number: u64,
    /// When we sent it.
    pub sent_at: Instant,
    /// Its size as given to [`TwccSender::on_sent`].
    pub size: usize,
    /// When it arrived, in µs on the receiver's clock (reference times unwrapped), or `None`
    /// if it was reported lost. Only differences between arrivals mean something.
    pub arrival_micros: Option<i64>,
}

/// What a [`TwccSender`] counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct TwccSenderStats {
    /// Feedback packets handled.
    pub feedbacks: u64,
    /// Feedback packets missing (gaps in the feedback count).
    pub feedbacks_lost: u64,
    /// Statuses about sequence numbers not in the history (too old, or never sent).
    pub unknown: u64,
}

#[derive(Debug, Clone, Copy)]
struct SentPacket {
    seq: u64,
    sent_at: Instant,
    size: usize,
}

/// The send side: send times of transport-wide sequence numbers, matched with feedback.
///
/// ```
/// use std::time::{Duration, Instant};
/// use rtc_media::transport_cc::{TwccReceiver, TwccSender};
///
/// let start = Instant::now();
/// let mut sender = TwccSender::new();
/// let mut receiver = TwccReceiver::new(2, 1);
/// for seq in 0..3u16 {
///     let sent = start + Duration::from_millis(u64::from(seq) * 10);
///     sender.on_sent(sent, seq, 1200);
///     if seq != 1 {
///         receiver.record(sent + Duration::from_millis(25), seq);
///     }
/// }
/// let feedback = receiver.poll_feedback(start + Duration::from_secs(1)).unwrap();
/// let results = sender.handle_feedback(&feedback);
/// assert_eq!(results.len(), 3);
/// assert_eq!(results[1].arrival_micros, None);
/// let spread = results[2].arrival_micros.unwrap() - results[0].arrival_micros.unwrap();
/// assert_eq!(spread, 20_000);
/// ```
#[derive(Debug)]
pub struct TwccSender {
    seq: SequenceUnwrapper,
    slots: Vec<Option<SentPacket>>,
    mask: u64,
    last_count: Option<u8>,
    /// The last reference time, unwrapped (64 ms units).
    reference: Option<i64>,
    results: Vec<PacketFeedback>,
    stats: TwccSenderStats,
}

impl Default for TwccSender {
    fn default() -> Self {
        Self::new()
    }
}

impl TwccSender {
    /// A history of the last 8192 packets.
    pub fn new() -> Self {
        Self::with_capacity(8192)
    }

    /// A history of the last `capacity` packets (rounded up to a power of two, at most 32768).
    pub fn with_capacity(capacity: usize) -> Self {
        let capacity = capacity.clamp(1, 1 << 15).next_power_of_two();
        Self {
            seq: SequenceUnwrapper::new(),
            slots: vec![None; capacity],
            mask: capacity as u64 - 1,
            last_count: None,
            reference: None,
            results: Vec::new(),
            stats: TwccSenderStats::default(),
        }
    }

    /// What was counted.
    pub const fn stats(&self) -> &TwccSenderStats {
        &self.stats
    }

    /// We sent a packet numbered `seq` of `size` bytes at `now`. Returns its extended number.
    pub fn on_sent(&mut self, now: Instant, seq: u16, size: usize) -> u64 {
        let ext = self.seq.unwrap(seq);
        if let Some(slot) = self.slots.get_mut((ext & self.mask) as usize) {
            *slot = Some(SentPacket {
                seq: ext,
                sent_at: now,
                size,
            });
        }
        ext
    }

    /// A feedback packet arrived: the fate of each packet it reports that we remember, in
    /// sequence number order.
    pub fn handle_feedback(&mut self, feedback: &TransportCc<'_>) -> &[PacketFeedback] {
        self.results.clear();
        self.stats.feedbacks += 1;
        let count = feedback.feedback_packet_count;
        if let Some(last) = self.last_count {
            let gap = count.wrapping_sub(last).wrapping_sub(1);
            // A large gap is a reordered (older) feedback packet, not a loss.
            if gap < 128 {
                self.stats.feedbacks_lost += u64::from(gap);
            }
        }
        self.last_count = Some(count);
        let reference = match self.reference {
            None => i64::from(feedback.reference_time),
            Some(prev) => {
                let diff = (feedback.reference_time.wrapping_sub(prev as i32) << 8) >> 8;
                prev.saturating_add(i64::from(diff))
            }
        };
        self.reference = Some(reference);
        let Some(_) = self.seq.highest() else {
            return &self.results;
        };
        let base = self.seq.peek(feedback.base_sequence_number);
        let mut time = reference.saturating_mul(64_000);
        for (i, status) in feedback.statuses.iter().enumerate() {
            let arrival = status.delta_micros().map(|d| {
                time = time.saturating_add(d);
                time
            });
            let seq = base + i as u64;
            match self.slots.get((seq & self.mask) as usize) {
                Some(Some(p)) if p.seq == seq => self.results.push(PacketFeedback {
                    sequence_number: seq,
                    sent_at: p.sent_at,
                    size: p.size,
                    arrival_micros: arrival,
                }),
                _ => self.stats.unknown += 1,
            }
        }
        &self.results
    }
}
