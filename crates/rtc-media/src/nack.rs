//! Asking the sender for what is missing: generic NACKs for lost packets (RFC 4585 §6.2.1) and
//! picture loss indications when the decoder needs a keyframe (RFC 4585 §6.3.1).
//!
//! [`NackGenerator`] follows the received sequence numbers of one SSRC. A gap makes its
//! packets missing; each is asked for at once (or after [`NackConfig::initial_delay`], to let
//! reordered packets come), then again every round trip time until it comes, until
//! [`NackConfig::max_attempts`] requests went unanswered, or until it is
//! [`NackConfig::max_packet_age`] sequence numbers old. It never asks for a packet twice within
//! one RTT: the retransmission could not have come back yet. When too much is missing to be
//! worth repairing (a gap larger than the age limit, or more than [`NackConfig::max_missing`]
//! packets missing), it gives up on them and says a keyframe is needed instead, as libwebrtc
//! does.
//!
//! [`KeyframeRequester`] turns "a keyframe is needed" into PLI packets: one at once, then one
//! per interval while no keyframe came, so that a lost PLI is repeated but a slow encoder is
//! not flooded.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::list::List;
use crate::rtcp::{Nack, NackPair, PictureLossIndication};
use crate::seq::{Epoch, SequenceUnwrapper, duration_nanos};

/// The most entries in one NACK packet: 250 × 4 bytes keeps it near 1 kB.
const MAX_PAIRS: usize = 250;

/// A NACK generator's settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NackConfig {
    /// Requests for one packet before giving up on it.
    pub max_attempts: u32,
    /// A missing packet this many sequence numbers behind the highest received is no longer
    /// asked for.
    pub max_packet_age: u16,
    /// The most packets missing at once; beyond it the oldest are given up and a keyframe is
    /// asked for.
    pub max_missing: usize,
    /// Wait this long after a packet is found missing before asking for it the first time
    /// (reordering tolerance).
    pub initial_delay: Duration,
    /// The RTT to assume until [`NackGenerator::set_rtt`] says otherwise.
    pub default_rtt: Duration,
    /// The least time between two requests for one packet, however small the RTT.
    pub min_interval: Duration,
}

impl Default for NackConfig {
    /// libwebrtc's values: 10 attempts, 10000 packets of age, 1000 missing, 100 ms RTT, 5 ms
    /// between requests, no initial delay.
    fn default() -> Self {
        Self {
            max_attempts: 10,
            max_packet_age: 10_000,
            max_missing: 1000,
            initial_delay: Duration::ZERO,
            default_rtt: Duration::from_millis(100),
            min_interval: Duration::from_millis(5),
        }
    }
}

/// What a NACK generator counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct NackStats {
    /// NACK packets made.
    pub nacks_sent: u64,
    /// Sequence numbers asked for (each request counts).
    pub requests: u64,
    /// Missing packets that came after being asked for.
    pub recovered: u64,
    /// Missing packets given up (too many attempts, too old, too many missing).
    pub abandoned: u64,
}

#[derive(Debug, Clone, Copy)]
struct Missing {
    /// When the gap was seen.
    since: i64,
    last_sent: Option<i64>,
    attempts: u32,
}

impl Missing {
    /// When it is next asked for (or given up).
    fn due(&self, initial: i64, interval: i64) -> i64 {
        match self.last_sent {
            None => self.since.saturating_add(initial),
            Some(t) => t.saturating_add(interval),
        }
    }
}

/// Generic NACK generation for one media SSRC.
///
/// ```
/// use std::time::{Duration, Instant};
/// use rtc_media::nack::{NackConfig, NackGenerator};
///
/// let mut nack = NackGenerator::new(1, 0x1234, NackConfig::default());
/// let now = Instant::now();
/// for seq in [10u16, 11, 14] {
///     nack.on_packet(now, seq);
/// }
/// let packet = nack.poll_nack(now).unwrap();
/// assert_eq!(packet.media_ssrc, 0x1234);
/// assert_eq!(packet.sequence_numbers().collect::<Vec<_>>(), [12, 13]);
/// // Not again within an RTT.
/// assert!(nack.poll_nack(now + Duration::from_millis(50)).is_none());
/// assert_eq!(nack.poll_timeout(), Some(now + Duration::from_millis(100)));
/// ```
#[derive(Debug)]
pub struct NackGenerator {
    config: NackConfig,
    sender_ssrc: u32,
    media_ssrc: u32,
    epoch: Epoch,
    seq: SequenceUnwrapper,
    missing: BTreeMap<u64, Missing>,
    rtt: i64,
    pairs: Vec<NackPair>,
    keyframe_needed: bool,
    stats: NackStats,
}

impl NackGenerator {
    /// A generator that sends NACKs from `sender_ssrc` (ours) about `media_ssrc`.
    pub fn new(sender_ssrc: u32, media_ssrc: u32, config: NackConfig) -> Self {
        Self {
            config,
            sender_ssrc,
            media_ssrc,
            epoch: Epoch::default(),
            seq: SequenceUnwrapper::new(),
            missing: BTreeMap::new(),
            rtt: duration_nanos(config.default_rtt),
            pairs: Vec::new(),
            keyframe_needed: false,
            stats: NackStats::default(),
        }
    }

    // Getters.

    /// What was counted.
    pub const fn stats(&self) -> &NackStats {
        &self.stats
    }

    /// Packets missing and still asked for.
    pub fn missing(&self) -> usize {
        self.missing.len()
    }

    /// Whether `seq` is missing and still asked for.
    pub fn is_missing(&self, seq: u16) -> bool {
        self.missing.contains_key(&self.seq.peek(seq))
    }

    /// When [`NackGenerator::poll_nack`] has a request to make.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let (initial, interval) = self.intervals();
        let due = self
            .missing
            .values()
            .map(|m| m.due(initial, interval))
            .min()?;
        self.epoch.instant(due)
    }

    // Input.

    /// A packet of the media stream arrived (an original or a retransmission).
    pub fn on_packet(&mut self, now: Instant, seq: u16) {
        let at = self.epoch.nanos(now);
        let ext = self.seq.peek(seq);
        let Some(high) = self.seq.highest() else {
            self.seq.unwrap(seq);
            return;
        };
        if ext <= high {
            if self.missing.remove(&ext).is_some() {
                self.stats.recovered += 1;
            }
            return;
        }
        self.seq.unwrap(seq);
        let gap = ext - high - 1;
        if gap > u64::from(self.config.max_packet_age) {
            // Too much to repair: start over from a keyframe.
            self.stats.abandoned += self.missing.len() as u64 + gap;
            self.missing.clear();
            self.keyframe_needed = true;
            return;
        }
        for s in high + 1..ext {
            self.missing.insert(
                s,
                Missing {
                    since: at,
                    last_sent: None,
                    attempts: 0,
                },
            );
        }
        self.forget_older_than(ext);
        while self.missing.len() > self.config.max_missing {
            self.missing.pop_first();
            self.stats.abandoned += 1;
            self.keyframe_needed = true;
        }
    }

    // Mutators.

    /// The round trip time to the sender (from RTCP, [`crate::reports::SenderStats`] or
    /// elsewhere).
    pub fn set_rtt(&mut self, rtt: Duration) {
        self.rtt = duration_nanos(rtt);
    }

    /// Stops asking for packets before `seq` (the jitter buffer played or skipped past them:
    /// [`crate::jitter_buffer::JitterBuffer::next_sequence_number`]).
    pub fn discard_before(&mut self, seq: u16) {
        if self.seq.highest().is_none() {
            return;
        }
        let ext = self.seq.peek(seq);
        while self
            .missing
            .first_key_value()
            .is_some_and(|(&k, _)| k < ext)
        {
            self.missing.pop_first();
        }
    }

    /// Whether a keyframe is needed because packets were given up; reading it clears it.
    pub fn take_keyframe_request(&mut self) -> bool {
        std::mem::take(&mut self.keyframe_needed)
    }

    // Output.

    /// A NACK for the missing packets whose time to be asked for has come, if any: every
    /// request due, up to 250 entries (the rest follow in the next call).
    pub fn poll_nack(&mut self, now: Instant) -> Option<Nack<'_>> {
        let at = self.epoch.nanos(now);
        let max_attempts = self.config.max_attempts;
        let (initial, interval) = self.intervals();
        let mut gave_up = Vec::new();
        self.pairs.clear();
        for (&seq, m) in &mut self.missing {
            if at < m.due(initial, interval) {
                continue;
            }
            if m.attempts >= max_attempts {
                gave_up.push(seq);
                continue;
            }
            let seq16 = seq as u16;
            let full = self.pairs.len() == MAX_PAIRS;
            match self.pairs.last_mut() {
                Some(pair) if (1..=16).contains(&seq16.wrapping_sub(pair.packet_id)) => {
                    pair.lost_bitmask |= 1 << (seq16.wrapping_sub(pair.packet_id) - 1);
                }
                _ if full => break,
                _ => self.pairs.push(NackPair {
                    packet_id: seq16,
                    lost_bitmask: 0,
                }),
            }
            m.attempts += 1;
            m.last_sent = Some(at);
            self.stats.requests += 1;
        }
        for seq in gave_up {
            self.missing.remove(&seq);
            self.stats.abandoned += 1;
            self.keyframe_needed = true;
        }
        if self.pairs.is_empty() {
            return None;
        }
        self.stats.nacks_sent += 1;
        Some(Nack {
            sender_ssrc: self.sender_ssrc,
            media_ssrc: self.media_ssrc,
            pairs: List::new(&self.pairs),
        })
    }

    // Internals.

    /// The wait before the first request and between requests.
    fn intervals(&self) -> (i64, i64) {
        (
            duration_nanos(self.config.initial_delay),
            self.rtt.max(duration_nanos(self.config.min_interval)),
        )
    }

    /// Gives up the missing packets more than the age limit behind `highest`.
    fn forget_older_than(&mut self, highest: u64) {
        let oldest = highest.saturating_sub(u64::from(self.config.max_packet_age));
        while self
            .missing
            .first_key_value()
            .is_some_and(|(&k, _)| k < oldest)
        {
            self.missing.pop_first();
            self.stats.abandoned += 1;
        }
    }
}

/// Picture loss indications (RFC 4585 §6.3.1) for one media SSRC, rate limited.
///
/// ```
/// use std::time::{Duration, Instant};
/// use rtc_media::nack::KeyframeRequester;
///
/// let mut pli = KeyframeRequester::new(1, 0x1234, Duration::from_millis(500));
/// let now = Instant::now();
/// pli.request(now);
/// assert_eq!(pli.poll_pli(now).unwrap().media_ssrc, 0x1234);
/// pli.request(now); // Already asked: not before the interval.
/// assert!(pli.poll_pli(now + Duration::from_millis(100)).is_none());
/// assert!(pli.poll_pli(now + Duration::from_millis(500)).is_some());
/// pli.keyframe_received();
/// assert!(pli.poll_pli(now + Duration::from_secs(5)).is_none());
/// ```
#[derive(Debug, Clone)]
pub struct KeyframeRequester {
    sender_ssrc: u32,
    media_ssrc: u32,
    interval: i64,
    epoch: Epoch,
    pending: bool,
    requested_at: i64,
    last_sent: Option<i64>,
    sent: u64,
}

impl KeyframeRequester {
    /// PLIs from `sender_ssrc` (ours) about `media_ssrc`, at most one per `interval`.
    pub fn new(sender_ssrc: u32, media_ssrc: u32, interval: Duration) -> Self {
        Self {
            sender_ssrc,
            media_ssrc,
            interval: duration_nanos(interval),
            epoch: Epoch::default(),
            pending: false,
            requested_at: 0,
            last_sent: None,
            sent: 0,
        }
    }

    /// Whether a keyframe is wanted.
    pub const fn is_pending(&self) -> bool {
        self.pending
    }

    /// PLI packets made.
    pub const fn sent(&self) -> u64 {
        self.sent
    }

    /// When [`KeyframeRequester::poll_pli`] has a PLI to send.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if !self.pending {
            return None;
        }
        let at = self.last_sent.map_or(self.requested_at, |t| {
            t.saturating_add(self.interval).max(self.requested_at)
        });
        self.epoch.instant(at)
    }

    /// A keyframe is needed from `now` on (a frame was lost, the decoder failed). Repeated
    /// requests while one is pending change nothing.
    pub fn request(&mut self, now: Instant) {
        let at = self.epoch.nanos(now);
        if !self.pending {
            self.pending = true;
            self.requested_at = at;
        }
    }

    /// A keyframe came: no more PLIs until the next request.
    pub fn keyframe_received(&mut self) {
        self.pending = false;
    }

    /// A PLI, if one is wanted and the last one is at least an interval old. It is repeated
    /// every interval until [`KeyframeRequester::keyframe_received`].
    pub fn poll_pli(&mut self, now: Instant) -> Option<PictureLossIndication> {
        let at = self.epoch.nanos(now);
        if !self.pending
            || self
                .last_sent
                .is_some_and(|t| at < t.saturating_add(self.interval))
        {
            return None;
        }
        self.last_sent = Some(at);
        self.sent += 1;
        Some(PictureLossIndication {
            sender_ssrc: self.sender_ssrc,
            media_ssrc: self.media_ssrc,
        })
    }
}
