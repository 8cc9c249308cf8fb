//! The receive side's jitter buffer: one per SSRC, it puts packets back in sequence number
//! order, groups them into frames by timestamp, holds each frame until its playout time and
//! hands it to a [`Depacketizer`].
//!
//! Playout time. Each frame's *transit* is the arrival of its last packet less its RTP
//! timestamp (as time, RFC 3550 §6.4.1's "relative transit time" at frame level). The fastest
//! transit of the last two seconds is the baseline: a frame with RTP timestamp `t` plays at
//! `t + baseline + delay`. The delay follows the interarrival jitter of the frames' transits,
//! estimated as RFC 3550 §A.8 does (`J += (|D| - J) / 16`): the target is
//! `jitter_factor * J + extra`, kept within `min_delay..=max_delay`. It rises at once and falls
//! by at most a tenth of the elapsed time, so playout never jumps backwards by much.
//! Frame-level transits matter for video: the packets of one frame leave the sender together
//! and spread over the link, and it is the last one that makes the frame playable.
//!
//! A frame is complete when its packets are all there, from the one after the previous frame
//! to the one with the marker bit (or the last one before a new timestamp). A frame that is not
//! complete when its playout time comes is skipped and counted; packets that come after their
//! frame was played or skipped are late and counted. Packets sent as retransmissions are left
//! out of the delay estimate (their transit says how long the repair took, not how the network
//! jitters).
//!
//! The depacketizer sees only whole frames, in order, numbered with consecutive sequence
//! numbers of the buffer's own and the marker bit on each frame's last packet: a frame that was
//! skipped does not make it drop the next one.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::codecs::{Depacketizer, Frame, PacketInfo};
use crate::rtp::RtpPacket;
use crate::seq::{Epoch, SequenceUnwrapper, TimestampUnwrapper, duration_nanos, nanos_duration};

/// How long the fastest transit counts as the baseline.
const BASELINE_WINDOW: i64 = 2_000_000_000;
/// A transit this far from the baseline is a timestamp jump (a sender restart), not jitter: the
/// estimate starts again.
const TIMESTAMP_JUMP: i64 = 10_000_000_000;
/// The most packets a buffer holds (half the sequence number space, so extended sequence
/// numbers are unambiguous).
const MAX_CAPACITY: usize = 1 << 15;

/// Whether a packet is a frame (audio) or frames span packets (video).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MediaKind {
    /// Every packet is a frame (Opus, RFC 7587 §4.2; G.711 and the other RFC 3551 codecs).
    Audio,
    /// A frame is the packets of one timestamp, up to the marker bit (RFC 3551 §4.1).
    Video,
}

/// A packet as the jitter buffer takes it: from an [`RtpPacket`], or unwrapped from an RTX
/// packet ([`crate::rtx::RtxReceiver`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MediaPacket<'a> {
    /// The sequence number (the original one, for a retransmission).
    pub sequence_number: u16,
    /// The RTP timestamp.
    pub timestamp: u32,
    /// The marker bit.
    pub marker: bool,
    /// The payload, without padding.
    pub payload: &'a [u8],
    /// Whether it came as a retransmission: it is then left out of the delay estimate.
    pub retransmission: bool,
}

impl<'a> From<&RtpPacket<'a>> for MediaPacket<'a> {
    fn from(p: &RtpPacket<'a>) -> Self {
        Self {
            sequence_number: p.sequence_number(),
            timestamp: p.timestamp(),
            marker: p.marker(),
            payload: p.payload(),
            retransmission: false,
        }
    }
}

/// A jitter buffer's settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct JitterBufferConfig {
    /// Audio or video.
    pub kind: MediaKind,
    /// The RTP clock rate of the payload type, in Hz.
    pub clock_rate: u32,
    /// The least playout delay.
    pub min_delay: Duration,
    /// The most playout delay.
    pub max_delay: Duration,
    /// The delay target is this many times the jitter estimate (plus the extra delay). For
    /// transits spread evenly over a range R, the estimate tends to R/3.
    pub jitter_factor: f64,
    /// The most packets held, rounded up to a power of two, at most 32768. A packet that does
    /// not fit makes the oldest frames be skipped.
    pub capacity: usize,
}

impl JitterBufferConfig {
    /// The defaults: no minimum delay, at most 1 s, 4 times the jitter; room for 2048 packets
    /// (video) or 512 (audio).
    pub const fn new(kind: MediaKind, clock_rate: u32) -> Self {
        Self {
            kind,
            clock_rate,
            min_delay: Duration::ZERO,
            max_delay: Duration::from_secs(1),
            jitter_factor: 4.0,
            capacity: match kind {
                MediaKind::Audio => 512,
                MediaKind::Video => 2048,
            },
        }
    }
}

/// What became of an inserted packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Insertion {
    /// Held until its frame plays.
    Buffered,
    /// A copy of a packet already held.
    Duplicate,
    /// Its frame was already played or skipped.
    Late,
    /// Far outside the sequence numbers being received; held back as a possible restart of the
    /// sender (RFC 3550 §A.1: the next packet in sequence after it confirms the restart).
    Discarded,
}

/// What a jitter buffer counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct JitterBufferStats {
    /// Packets inserted.
    pub packets_received: u64,
    /// Packets that were already held.
    pub packets_duplicate: u64,
    /// Packets that came after their frame was played or skipped.
    pub packets_late: u64,
    /// Packets far outside the sequence numbers being received.
    pub packets_discarded: u64,
    /// Frames the depacketizer put together and [`JitterBuffer::poll_frame`] handed out.
    pub frames_delivered: u64,
    /// Frames skipped: incomplete at their playout time, or pushed out by newer packets.
    pub frames_skipped: u64,
    /// Whole frames the depacketizer would not put together (a malformed payload, a frame
    /// without its start); also in the depacketizer's `frames_dropped`.
    pub frames_undecodable: u64,
    /// Times the sender's sequence numbers restarted (RFC 3550 §A.1).
    pub restarts: u64,
}

#[derive(Debug, Default)]
struct Slot {
    /// The extended sequence number of the packet held, if any.
    seq: Option<u64>,
    /// The extended RTP timestamp.
    timestamp: i64,
    rtp_timestamp: u32,
    marker: bool,
    payload: Vec<u8>,
}

/// The frame at the head of the buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Head {
    /// Nothing held.
    Empty,
    /// Its packets, from the next sequence number to `end`, are all there.
    Complete { end: u64, timestamp: i64 },
    /// The head packet is there but a later one of its frame is missing.
    Incomplete { timestamp: i64 },
    /// The head packet is missing; `timestamp` is that of the first packet held (the missing
    /// ones belong to its frame or to earlier ones).
    Missing { timestamp: i64 },
}

/// The playout delay, adapted to the jitter of the frames' transits.
#[derive(Debug, Clone)]
struct DelayEstimator {
    /// `(arrival, transit)` of finished frames in the baseline window, transits increasing.
    window: VecDeque<(i64, i64)>,
    /// The frame being received: its extended timestamp and the transit of its latest packet.
    current: Option<(i64, i64)>,
    last_transit: Option<i64>,
    /// RFC 3550 §A.8's estimate, in nanoseconds.
    jitter: f64,
    /// The delay in use, in nanoseconds.
    delay: i64,
    last_adjust: Option<i64>,
    /// Added to the target (the time a retransmission takes, when NACK is on).
    extra: i64,
}

impl DelayEstimator {
    fn new(min: i64) -> Self {
        Self {
            window: VecDeque::new(),
            current: None,
            last_transit: None,
            jitter: 0.0,
            delay: min,
            last_adjust: None,
            extra: 0,
        }
    }

    /// The fastest transit in the window (or that of the frame being received, at first).
    fn baseline(&self) -> Option<i64> {
        self.window
            .front()
            .map(|&(_, t)| t)
            .or(self.current.map(|(_, t)| t))
    }

    /// A packet of the frame with extended timestamp `ts` arrived `transit` after its
    /// timestamp.
    fn on_packet(&mut self, at: i64, ts: i64, transit: i64, config: &JitterBufferConfig) {
        if self
            .baseline()
            .is_some_and(|b| transit.saturating_sub(b).saturating_abs() > TIMESTAMP_JUMP)
        {
            self.window.clear();
            self.current = None;
            self.last_transit = None;
        }
        match self.current {
            Some((cts, ref mut ct)) if cts == ts => *ct = (*ct).max(transit),
            Some((cts, ct)) if cts < ts => {
                // The previous frame is finished: its last packet is its transit.
                self.sample(at, ct, config);
                self.current = Some((ts, transit));
            }
            // A late packet of an earlier frame: it counts on its own.
            Some(_) => self.sample(at, transit, config),
            None => self.current = Some((ts, transit)),
        }
    }

    /// RFC 3550 §A.8 on frame transits, and the baseline window.
    fn sample(&mut self, at: i64, transit: i64, config: &JitterBufferConfig) {
        if let Some(prev) = self.last_transit {
            let d = transit.saturating_sub(prev).unsigned_abs() as f64;
            self.jitter += (d - self.jitter) / 16.0;
        }
        self.last_transit = Some(transit);
        while self.window.back().is_some_and(|&(_, t)| t >= transit) {
            self.window.pop_back();
        }
        self.window.push_back((at, transit));
        while self.window.len() > 1
            && self
                .window
                .front()
                .is_some_and(|&(t, _)| t < at.saturating_sub(BASELINE_WINDOW))
        {
            self.window.pop_front();
        }
        self.adjust(at, config);
    }

    fn target(&self, config: &JitterBufferConfig) -> i64 {
        let from_jitter = (config.jitter_factor.max(0.0) * self.jitter).min(i64::MAX as f64) as i64;
        let min = duration_nanos(config.min_delay);
        let max = duration_nanos(config.max_delay).max(min);
        from_jitter.saturating_add(self.extra).clamp(min, max)
    }

    /// Moves the delay towards the target: up at once, down by a tenth of the time since the
    /// last adjustment at most.
    fn adjust(&mut self, at: i64, config: &JitterBufferConfig) {
        let target = self.target(config);
        let elapsed = self
            .last_adjust
            .map_or(0, |last| at.saturating_sub(last).max(0));
        self.last_adjust = Some(at);
        self.delay = if target >= self.delay {
            target
        } else {
            self.delay.saturating_sub(elapsed / 10).max(target)
        };
    }
}

/// A jitter buffer for one SSRC, feeding a depacketizer.
///
/// ```
/// use std::time::{Duration, Instant};
/// use rtc_media::codecs::OpusDepacketizer;
/// use rtc_media::jitter_buffer::{JitterBuffer, JitterBufferConfig, MediaKind, MediaPacket};
///
/// let config = JitterBufferConfig {
///     min_delay: Duration::from_millis(40),
///     ..JitterBufferConfig::new(MediaKind::Audio, 48_000)
/// };
/// let mut jb = JitterBuffer::new(config, OpusDepacketizer::new());
/// let start = Instant::now();
/// // Packets 1 and 0 arrive in the wrong order.
/// for (seq, at) in [(1u16, 5), (0, 6)] {
///     let packet = MediaPacket {
///         sequence_number: seq,
///         timestamp: u32::from(seq) * 960,
///         marker: false,
///         payload: &[0xF8, seq as u8],
///         retransmission: false,
///     };
///     jb.insert(start + Duration::from_millis(at), packet);
/// }
/// // Nothing plays before the delay is over.
/// assert!(jb.poll_frame(start + Duration::from_millis(10)).is_none());
/// let due = jb.poll_timeout().unwrap();
/// assert_eq!(jb.poll_frame(due).unwrap().data, [0xF8, 0]);
/// let due = jb.poll_timeout().unwrap();
/// assert_eq!(jb.poll_frame(due).unwrap().data, [0xF8, 1]);
/// ```
#[derive(Debug)]
pub struct JitterBuffer<D> {
    config: JitterBufferConfig,
    depacketizer: D,
    slots: Vec<Slot>,
    mask: u64,
    /// Packets held.
    present: usize,
    epoch: Epoch,
    seq: SequenceUnwrapper,
    ts: TimestampUnwrapper,
    /// The extended timestamp of the first packet, which is time 0 of the media clock.
    first_ts: Option<i64>,
    /// The extended sequence number of the first packet not yet played or skipped.
    next: Option<u64>,
    /// Whether a frame was played or skipped (until then `next` may move back for a packet
    /// reordered before the first).
    started: bool,
    /// The timestamp of the last frame skipped: its packets that still come are late.
    skipped_ts: Option<i64>,
    /// RFC 3550 §A.1's `bad_seq`: the sequence number that would confirm a restart.
    bad_seq: Option<u16>,
    estimator: DelayEstimator,
    /// The last frame handed out (copied out of the depacketizer).
    frame: Vec<u8>,
    frame_timestamp: u32,
    frame_keyframe: bool,
    /// The sequence number the depacketizer sees next.
    out_seq: u16,
    /// A frame was lost (skipped, undecodable, or a delta frame came before any keyframe) and
    /// no keyframe has been played since.
    keyframe_needed: bool,
    seen_keyframe: bool,
    stats: JitterBufferStats,
}

impl<D: Depacketizer> JitterBuffer<D> {
    /// A buffer with `config` in front of `depacketizer`.
    pub fn new(config: JitterBufferConfig, depacketizer: D) -> Self {
        let capacity = config.capacity.clamp(1, MAX_CAPACITY).next_power_of_two();
        let config = JitterBufferConfig {
            clock_rate: config.clock_rate.max(1),
            capacity,
            ..config
        };
        Self {
            config,
            depacketizer,
            slots: (0..capacity).map(|_| Slot::default()).collect(),
            mask: capacity as u64 - 1,
            present: 0,
            epoch: Epoch::default(),
            seq: SequenceUnwrapper::new(),
            ts: TimestampUnwrapper::default(),
            first_ts: None,
            next: None,
            started: false,
            skipped_ts: None,
            bad_seq: None,
            estimator: DelayEstimator::new(duration_nanos(config.min_delay)),
            frame: Vec::new(),
            frame_timestamp: 0,
            frame_keyframe: false,
            out_seq: 0,
            keyframe_needed: false,
            seen_keyframe: false,
            stats: JitterBufferStats::default(),
        }
    }

    // Getters.

    /// The settings (capacity rounded up).
    pub const fn config(&self) -> &JitterBufferConfig {
        &self.config
    }

    /// What was counted.
    pub const fn stats(&self) -> &JitterBufferStats {
        &self.stats
    }

    /// The depacketizer.
    pub const fn depacketizer(&self) -> &D {
        &self.depacketizer
    }

    /// Packets held.
    pub const fn len(&self) -> usize {
        self.present
    }

    /// True when no packet is held.
    pub const fn is_empty(&self) -> bool {
        self.present == 0
    }

    /// The interarrival jitter of the frames (RFC 3550 §A.8 over frame transits).
    pub fn jitter(&self) -> Duration {
        nanos_duration(self.estimator.jitter as i64)
    }

    /// The playout delay in use.
    pub fn delay(&self) -> Duration {
        nanos_duration(self.estimator.delay)
    }

    /// The delay the buffer is moving towards.
    pub fn target_delay(&self) -> Duration {
        nanos_duration(self.estimator.target(&self.config))
    }

    /// Whether the decoder needs a keyframe: a frame was skipped or could not be put together,
    /// a delta frame came before any keyframe, or [`JitterBuffer::request_keyframe`] was
    /// called, and no keyframe was played since. (Always false for audio.)
    pub const fn keyframe_needed(&self) -> bool {
        self.keyframe_needed
    }

    /// The sequence number of the first packet not yet played or skipped: packets before it
    /// are no longer wanted (a NACK generator can stop asking for them).
    pub fn next_sequence_number(&self) -> Option<u16> {
        self.next.map(|n| n as u16)
    }

    /// When [`JitterBuffer::poll_frame`] has something to do: the playout time of the frame
    /// at the head (to play it if complete, to skip it if not).
    pub fn poll_timeout(&self) -> Option<Instant> {
        let ts = match self.head() {
            Head::Empty => return None,
            Head::Complete { timestamp, .. }
            | Head::Incomplete { timestamp }
            | Head::Missing { timestamp } => timestamp,
        };
        self.epoch.instant(self.deadline(ts))
    }

    // Input.

    /// Takes a packet that arrived at `now`.
    pub fn insert(&mut self, now: Instant, packet: MediaPacket<'_>) -> Insertion {
        self.stats.packets_received += 1;
        let at = self.epoch.nanos(now);
        self.insert_at(at, packet)
    }

    fn insert_at(&mut self, at: i64, packet: MediaPacket<'_>) -> Insertion {
        let cap = self.slots.len() as u64;
        let ext = self.seq.peek(packet.sequence_number);
        if let (Some(next), Some(high)) = (self.next, self.seq.highest()) {
            let far_behind = ext.saturating_add(cap) < next;
            let far_ahead = ext > high.saturating_add(cap);
            if far_behind || far_ahead {
                if self.bad_seq != Some(packet.sequence_number) {
                    self.bad_seq = Some(packet.sequence_number.wrapping_add(1));
                    self.stats.packets_discarded += 1;
                    return Insertion::Discarded;
                }
                // Two packets in sequence far from the others: the sender restarted.
                self.restart();
                return self.insert_at(at, packet);
            }
            if ext < next {
                let reordered_first =
                    !self.started && high.saturating_sub(ext) < cap && self.slot(ext).is_none();
                if !reordered_first {
                    self.late(at, packet);
                    return Insertion::Late;
                }
                self.next = Some(ext);
            }
            // Make room: skip the oldest frames until the packet fits.
            while self.next.is_some_and(|n| ext >= n.saturating_add(cap)) {
                match self.head() {
                    Head::Empty => {
                        self.next = Some(ext + 1 - cap);
                        self.started = true;
                    }
                    head => self.skip_head(head),
                }
            }
        }
        self.bad_seq = None;
        let ext = self.seq.unwrap(packet.sequence_number);
        let ts = self.ts.unwrap(packet.timestamp);
        let first_ts = *self.first_ts.get_or_insert(ts);
        if self.next.is_none() {
            self.next = Some(ext);
        }
        let Some(slot) = self.slots.get_mut((ext & self.mask) as usize) else {
            return Insertion::Discarded;
        };
        if slot.seq == Some(ext) {
            self.stats.packets_duplicate += 1;
            return Insertion::Duplicate;
        }
        slot.seq = Some(ext);
        slot.timestamp = ts;
        slot.rtp_timestamp = packet.timestamp;
        slot.marker = packet.marker;
        slot.payload.clear();
        slot.payload.extend_from_slice(packet.payload);
        self.present += 1;
        if !packet.retransmission {
            let transit = at.saturating_sub(self.media_time(ts, first_ts));
            self.estimator.on_packet(at, ts, transit, &self.config);
        }
        Insertion::Buffered
    }

    // Mutators.

    /// Time added to the delay target (a NACK round trip, say), within the bounds.
    pub fn set_extra_delay(&mut self, extra: Duration) {
        self.estimator.extra = duration_nanos(extra);
        let target = self.estimator.target(&self.config);
        if target > self.estimator.delay {
            self.estimator.delay = target;
        }
    }

    /// The decoder needs a keyframe (it failed, or packets were given up): until one is
    /// played, [`JitterBuffer::keyframe_needed`] says so.
    pub fn request_keyframe(&mut self) {
        self.keyframe_needed = self.config.kind == MediaKind::Video;
    }

    /// Skips the frames at the head that are incomplete at `now`, their playout time passed,
    /// without playing the complete ones; returns how many were skipped. (`poll_frame` does this
    /// too.)
    pub fn skip_overdue(&mut self, now: Instant) -> u64 {
        let now = self.epoch.nanos(now);
        let before = self.stats.frames_skipped;
        loop {
            self.drop_stale();
            match self.head() {
                head @ (Head::Incomplete { timestamp } | Head::Missing { timestamp })
                    if self.is_due(timestamp, now) =>
                {
                    self.skip_head(head);
                }
                _ => break,
            }
        }
        self.stats.frames_skipped - before
    }

    // Output.

    /// The next frame whose playout time has come, if it is complete. Incomplete frames whose
    /// time has come are skipped on the way. The frame is borrowed until the next call.
    pub fn poll_frame(&mut self, now: Instant) -> Option<Frame<'_>> {
        let now = self.epoch.nanos(now);
        loop {
            self.drop_stale();
            match self.head() {
                Head::Empty => return None,
                Head::Complete { end, timestamp } => {
                    if !self.is_due(timestamp, now) {
                        return None;
                    }
                    if self.deliver(end) {
                        self.stats.frames_delivered += 1;
                        if self.frame_keyframe {
                            self.seen_keyframe = true;
                            self.keyframe_needed = false;
                        } else if !self.seen_keyframe {
                            self.request_keyframe();
                        }
                        return Some(Frame {
                            data: &self.frame,
                            timestamp: self.frame_timestamp,
                            keyframe: self.frame_keyframe,
                        });
                    }
                    self.stats.frames_undecodable += 1;
                    self.request_keyframe();
                }
                head @ (Head::Incomplete { timestamp } | Head::Missing { timestamp }) => {
                    if !self.is_due(timestamp, now) {
                        return None;
                    }
                    self.skip_head(head);
                }
            }
        }
    }

    // Internals.

    /// The held packet with extended sequence number `seq`.
    fn slot(&self, seq: u64) -> Option<&Slot> {
        self.slots
            .get((seq & self.mask) as usize)
            .filter(|s| s.seq == Some(seq))
    }

    /// The media time of extended timestamp `ts`, in nanoseconds from the first packet's.
    fn media_time(&self, ts: i64, first_ts: i64) -> i64 {
        crate::seq::units_to_nanos(ts.saturating_sub(first_ts), self.config.clock_rate)
    }

    /// The playout time of the frame with extended timestamp `ts` (at once when there is no
    /// baseline yet: every packet so far was a retransmission).
    fn deadline(&self, ts: i64) -> i64 {
        match (self.first_ts, self.estimator.baseline()) {
            (Some(first_ts), Some(baseline)) => self
                .media_time(ts, first_ts)
                .saturating_add(baseline)
                .saturating_add(self.estimator.delay),
            _ => i64::MIN,
        }
    }

    fn is_due(&self, ts: i64, now: i64) -> bool {
        now >= self.deadline(ts)
    }

    fn head(&self) -> Head {
        let (Some(next), Some(high)) = (self.next, self.seq.highest()) else {
            return Head::Empty;
        };
        if self.present == 0 || next > high {
            return Head::Empty;
        }
        let Some(first) = self.slot(next) else {
            return (next + 1..=high)
                .find_map(|k| self.slot(k))
                .map_or(Head::Empty, |s| Head::Missing {
                    timestamp: s.timestamp,
                });
        };
        let timestamp = first.timestamp;
        if self.config.kind == MediaKind::Audio {
            return Head::Complete {
                end: next,
                timestamp,
            };
        }
        let mut k = next;
        let mut packet = first;
        loop {
            if packet.marker {
                return Head::Complete { end: k, timestamp };
            }
            match self.slot(k + 1) {
                None => return Head::Incomplete { timestamp },
                // A new timestamp ends the frame even without a marker bit.
                Some(p) if p.timestamp != timestamp => {
                    return Head::Complete { end: k, timestamp };
                }
                Some(p) => {
                    packet = p;
                    k += 1;
                }
            }
        }
    }

    /// Clears the packet held at `seq`.
    fn clear(&mut self, seq: u64) {
        if let Some(slot) = self.slots.get_mut((seq & self.mask) as usize)
            && slot.seq == Some(seq)
        {
            slot.seq = None;
            self.present -= 1;
        }
    }

    /// Skips the frame at the head (which must not be `Empty`). Audio packets are frames, so
    /// a gap in audio is the missing frames only; in video the first packet after a gap
    /// may or may not start a frame, so its frame goes too.
    fn skip_head(&mut self, head: Head) {
        match head {
            Head::Empty => {}
            Head::Missing { .. } if self.config.kind == MediaKind::Audio => {
                let (Some(next), Some(high)) = (self.next, self.seq.highest()) else {
                    return;
                };
                let present = (next..=high).find(|&k| self.slot(k).is_some());
                let end = present.unwrap_or(high + 1);
                self.stats.frames_skipped += end - next;
                self.next = Some(end);
                self.started = true;
            }
            Head::Complete { timestamp, .. }
            | Head::Incomplete { timestamp }
            | Head::Missing { timestamp } => self.skip(timestamp),
        }
    }

    /// Skips the frame with extended timestamp `ts` at the head: every packet up to the last
    /// one held with that timestamp.
    fn skip(&mut self, ts: i64) {
        let (Some(next), Some(high)) = (self.next, self.seq.highest()) else {
            return;
        };
        let mut end = next;
        for k in next..=high {
            match self.slot(k) {
                Some(s) if s.timestamp != ts => break,
                Some(_) => end = k,
                None => {}
            }
        }
        for k in next..=end {
            self.clear(k);
        }
        self.next = Some(end + 1);
        self.started = true;
        self.skipped_ts = Some(ts);
        self.stats.frames_skipped += 1;
        self.request_keyframe();
    }

    /// Drops packets at the head that belong to the frame skipped last (they arrived after
    /// the skip, in a gap whose frame was not known then).
    fn drop_stale(&mut self) {
        while let Some(next) = self.next {
            match self.slot(next) {
                Some(s) if Some(s.timestamp) == self.skipped_ts => {
                    self.clear(next);
                    self.next = Some(next + 1);
                    self.stats.packets_late += 1;
                }
                _ => break,
            }
        }
    }

    /// Pushes the packets from the head to `end` into the depacketizer; true if it made a
    /// frame (now in `self.frame`).
    fn deliver(&mut self, end: u64) -> bool {
        let Some(next) = self.next else {
            return false;
        };
        let mut made = false;
        for k in next..=end {
            let Some(slot) = self
                .slots
                .get_mut((k & self.mask) as usize)
                .filter(|s| s.seq == Some(k))
            else {
                continue;
            };
            let info = PacketInfo {
                sequence_number: self.out_seq,
                timestamp: slot.rtp_timestamp,
                marker: k == end,
            };
            self.out_seq = self.out_seq.wrapping_add(1);
            if let Ok(Some(frame)) = self.depacketizer.push(&slot.payload, info) {
                self.frame.clear();
                self.frame.extend_from_slice(frame.data);
                self.frame_timestamp = frame.timestamp;
                self.frame_keyframe = frame.keyframe;
                made = true;
            }
            slot.seq = None;
            self.present -= 1;
        }
        self.next = Some(end + 1);
        self.started = true;
        made
    }

    /// A packet whose frame was played or skipped: counted, and its transit still tells about
    /// the jitter.
    fn late(&mut self, at: i64, packet: MediaPacket<'_>) {
        self.stats.packets_late += 1;
        if packet.retransmission {
            return;
        }
        if let Some(first_ts) = self.first_ts {
            let ts = self.ts.unwrap(packet.timestamp);
            let transit = at.saturating_sub(self.media_time(ts, first_ts));
            self.estimator.on_packet(at, ts, transit, &self.config);
        }
    }

    /// The sender restarted: everything held is skipped and the sequence starts afresh.
    fn restart(&mut self) {
        loop {
            match self.head() {
                Head::Empty => break,
                head => self.skip_head(head),
            }
        }
        for slot in &mut self.slots {
            slot.seq = None;
        }
        self.present = 0;
        self.seq = SequenceUnwrapper::new();
        self.ts = TimestampUnwrapper::default();
        self.first_ts = None;
        self.next = None;
        self.started = false;
        self.skipped_ts = None;
        self.bad_seq = None;
        self.estimator.window.clear();
        self.estimator.current = None;
        self.estimator.last_transit = None;
        self.stats.restarts += 1;
    }
}
