//! The sending half: per-stream queues, fragmentation into DATA chunks, the chunks in flight,
//! SACK processing, retransmission (T3-rtx and fast retransmit), congestion control and RTO
//! (RFC 9260 §6 and §7), and partial reliability (RFC 3758).
//!
//! TSNs are unwrapped to `u64` inside the association (`(1 << 32) | initial TSN` at the
//! start) so that comparisons never need serial arithmetic; only the wire sees 32 bits.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::ranges::RangeSet;
use super::{Reliability, SendOptions};
use crate::{Chunk, DATA_HEADER_LEN, Data, ForwardTsnStream, GapAckBlock, PacketWriter};

/// Unwraps a 32-bit serial number received from the wire next to `reference` (RFC 9260 §1.6:
/// serial number arithmetic; the association never compares numbers 2^31 apart).
pub(crate) fn unwrap_serial(reference: u64, wire: u32) -> u64 {
    let delta = i64::from(wire.wrapping_sub(reference as u32) as i32);
    reference.saturating_add_signed(delta)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ChunkState {
    /// Sent, waiting for an acknowledgement.
    InFlight,
    /// Marked for retransmission (fast retransmit or T3-rtx); not counted in flight.
    Nacked,
    /// Reported in a gap ack block.
    GapAcked,
    /// Given up on (RFC 3758); skipped by FORWARD TSN.
    Abandoned,
}

/// A DATA chunk sent and not yet cumulatively acknowledged.
#[derive(Debug)]
struct Sent {
    stream: u16,
    ssn: u16,
    ppid: u32,
    unordered: bool,
    beginning: bool,
    end: bool,
    data: Bytes,
    state: ChunkState,
    misses: u8,
    fast_retransmitted: bool,
    transmissions: u16,
    message: u64,
    deadline: Option<Instant>,
    max_retransmits: Option<u16>,
}

/// A message waiting in its stream's queue, possibly partly fragmented.
#[derive(Debug)]
struct Queued {
    ppid: u32,
    data: Bytes,
    /// Bytes already given TSNs.
    offset: usize,
    unordered: bool,
    deadline: Option<Instant>,
    max_retransmits: Option<u16>,
    ssn: u16,
    id: u64,
}

#[derive(Debug, Default)]
struct OutStream {
    queue: VecDeque<Queued>,
    next_ssn: u16,
    /// Bytes queued and not yet given TSNs: the data channel's bufferedAmount.
    unsent: usize,
    low_threshold: usize,
    /// Closed for new messages: a reset is pending or under way (RFC 6525).
    resetting: bool,
    /// In the `active` round-robin list.
    active: bool,
}

/// What a SACK did, for the association's timers and events.
#[derive(Debug, Default)]
pub(crate) struct SackOutcome {
    /// The cumulative TSN ack point moved.
    pub(crate) advanced: bool,
    /// A chunk went to fast retransmit.
    pub(crate) fast_retransmit: bool,
    /// The SACK was older than one already processed, or made no sense.
    pub(crate) ignored: bool,
}

#[derive(Debug)]
pub(crate) struct SendSide {
    streams: HashMap<u16, OutStream>,
    /// Streams with queued messages, served in turn, one whole message each.
    active: VecDeque<u16>,
    /// The stream whose front message is partly fragmented: it must finish first, its
    /// fragments need consecutive TSNs (RFC 9260 §6.9).
    current: Option<u16>,
    next_message_id: u64,
    /// Bytes queued (not yet given TSNs) plus bytes in chunks not yet acknowledged.
    buffered: usize,
    unsent_total: usize,
    capacity: usize,
    max_message_size: usize,
    pub(crate) outbound_streams: u16,
    pub(crate) partial_reliability: bool,

    pub(crate) next_tsn: u64,
    /// The cumulative TSN ack point: every TSN up to it is acknowledged.
    pub(crate) cum_ack: u64,
    /// RFC 3758 §3.5 Advanced.Peer.Ack.Point.
    advanced_peer_ack: u64,
    /// TSN cum_ack + 1 is at index 0.
    outstanding: VecDeque<Sent>,
    gap_acked: RangeSet,
    /// Nacked TSNs, in order; stale entries are skipped.
    retransmit: BTreeSet<u64>,
    /// Bytes of chunks in flight (sent, not acknowledged, not marked for retransmission).
    flight: usize,
    /// Bytes of chunks neither cumulatively nor gap acknowledged (what the peer holds for
    /// us or has lost): subtracted from its a_rwnd.
    unacked: usize,

    mtu: usize,
    pub(crate) cwnd: usize,
    pub(crate) ssthresh: usize,
    partial_bytes_acked: usize,
    /// Fast recovery lasts until this TSN is acknowledged (RFC 9260 §7.2.4).
    fast_recovery: Option<u64>,
    /// One packet of fast retransmissions may ignore cwnd.
    fast_retransmit_due: bool,
    peer_rwnd: usize,

    srtt: Option<Duration>,
    rttvar: Duration,
    pub(crate) rto: Duration,
    rto_min: Duration,
    rto_max: Duration,
    rtt_probe: Option<(u64, Instant)>,
    pub(crate) t3: Option<Instant>,
    pub(crate) forward_tsn_due: bool,
    /// Streams whose bufferedAmount went down through the low threshold.
    pub(crate) low_events: Vec<u16>,
}

impl SendSide {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        initial_tsn: u32,
        mtu: usize,
        capacity: usize,
        max_message_size: usize,
        rto_initial: Duration,
        rto_min: Duration,
        rto_max: Duration,
    ) -> Self {
        let next_tsn = (1u64 << 32) | u64::from(initial_tsn);
        Self {
            streams: HashMap::new(),
            active: VecDeque::new(),
            current: None,
            next_message_id: 0,
            buffered: 0,
            unsent_total: 0,
            capacity,
            max_message_size,
            outbound_streams: 0,
            partial_reliability: false,
            next_tsn,
            cum_ack: next_tsn - 1,
            advanced_peer_ack: next_tsn - 1,
            outstanding: VecDeque::new(),
            gap_acked: RangeSet::default(),
            retransmit: BTreeSet::new(),
            flight: 0,
            unacked: 0,
            mtu,
            // RFC 9260 §7.2.1: min(4 * MTU, max(2 * MTU, 4404)).
            cwnd: (4 * mtu).min((2 * mtu).max(4404)),
            ssthresh: usize::MAX,
            partial_bytes_acked: 0,
            fast_recovery: None,
            fast_retransmit_due: false,
            peer_rwnd: 0,
            srtt: None,
            rttvar: Duration::ZERO,
            rto: rto_initial,
            rto_min,
            rto_max,
            rtt_probe: None,
            t3: None,
            forward_tsn_due: false,
            low_events: Vec::new(),
        }
    }

    /// Called once the peer's INIT or INIT ACK is known.
    pub(crate) fn start(&mut self, peer_a_rwnd: u32, outbound_streams: u16, pr: bool) {
        self.peer_rwnd = peer_a_rwnd as usize;
        // RFC 9260 §7.2.1: ssthresh starts at the peer's receiver window.
        self.ssthresh = (peer_a_rwnd as usize).max(4 * self.mtu);
        self.outbound_streams = outbound_streams;
        self.partial_reliability = pr;
    }

    pub(crate) fn buffered_amount(&self, stream: u16) -> usize {
        self.streams.get(&stream).map_or(0, |s| s.unsent)
    }

    pub(crate) fn set_low_threshold(&mut self, stream: u16, threshold: usize) {
        self.streams.entry(stream).or_default().low_threshold = threshold;
    }

    pub(crate) fn low_threshold(&self, stream: u16) -> usize {
        self.streams.get(&stream).map_or(0, |s| s.low_threshold)
    }

    /// Total bytes the application has handed over and the peer has not acknowledged.
    pub(crate) fn buffered_total(&self) -> usize {
        self.buffered
    }

    pub(crate) fn has_unsent(&self) -> bool {
        self.unsent_total > 0
    }

    /// Nothing queued, nothing unacknowledged (a SHUTDOWN may go).
    pub(crate) fn is_idle(&self) -> bool {
        self.unsent_total == 0 && self.outstanding.is_empty()
    }

    pub(crate) fn enqueue(
        &mut self,
        now: Instant,
        stream: u16,
        ppid: u32,
        data: Bytes,
        options: &SendOptions,
    ) -> Result<(), super::SendError> {
        use super::SendError;
        if stream >= self.outbound_streams {
            return Err(SendError::InvalidStream);
        }
        if data.len() > self.max_message_size {
            return Err(SendError::TooLarge {
                len: data.len(),
                max: self.max_message_size,
            });
        }
        if self.buffered + data.len() > self.capacity && self.buffered > 0 {
            return Err(SendError::BufferFull);
        }
        let (deadline, max_retransmits) = match options.reliability {
            _ if !self.partial_reliability => (None, None),
            Reliability::Reliable => (None, None),
            Reliability::MaxRetransmits(n) => (None, Some(n)),
            Reliability::MaxLifetime(d) => (now.checked_add(d), None),
        };
        let id = self.next_message_id;
        self.next_message_id += 1;
        let out = self.streams.entry(stream).or_default();
        if out.resetting {
            return Err(SendError::StreamResetting);
        }
        let len = data.len();
        out.queue.push_back(Queued {
            ppid,
            data,
            offset: 0,
            unordered: options.unordered,
            deadline,
            max_retransmits,
            ssn: 0,
            id,
        });
        out.unsent += len;
        if !out.active {
            out.active = true;
            self.active.push_back(stream);
        }
        self.unsent_total += len;
        self.buffered += len;
        Ok(())
    }

    fn note_unsent_decrease(&mut self, stream: u16, by: usize) {
        self.unsent_total -= by;
        if let Some(out) = self.streams.get_mut(&stream) {
            let before = out.unsent;
            out.unsent -= by;
            if before > out.low_threshold && out.unsent <= out.low_threshold {
                self.low_events.push(stream);
            }
        }
    }

    /// Whether the front of the queue is worth sending now (congestion and receiver window).
    fn may_send_new(&self) -> bool {
        if self.flight >= self.cwnd {
            return false;
        }
        // RFC 9260 §6.1 A: nothing new when the peer's window is full, except one chunk
        // when nothing is outstanding (zero window probe).
        self.peer_rwnd > 0 || self.outstanding.is_empty()
    }

    /// Writes retransmissions and new DATA into `w` while they fit and the windows allow.
    /// Returns true when something was written.
    pub(crate) fn write_data(&mut self, now: Instant, w: &mut PacketWriter<'_>) -> bool {
        let mut wrote = self.write_retransmissions(now, w);
        if !self.retransmit_pending() {
            wrote |= self.write_new(now, w, wrote);
        }
        wrote
    }

    fn retransmit_pending(&self) -> bool {
        self.retransmit.iter().any(|&tsn| {
            tsn > self.cum_ack
                && self.outstanding[(tsn - self.cum_ack - 1) as usize].state == ChunkState::Nacked
        })
    }

    fn write_retransmissions(&mut self, now: Instant, w: &mut PacketWriter<'_>) -> bool {
        let mut wrote = false;
        let fast = std::mem::take(&mut self.fast_retransmit_due);
        while let Some(&tsn) = self.retransmit.first() {
            if tsn <= self.cum_ack {
                self.retransmit.pop_first();
                continue;
            }
            let index = (tsn - self.cum_ack - 1) as usize;
            if self.outstanding[index].state != ChunkState::Nacked {
                self.retransmit.pop_first();
                continue;
            }
            if !fast && self.flight >= self.cwnd {
                break;
            }
            let chunk = &self.outstanding[index];
            let data = Chunk::Data(Data {
                tsn: tsn as u32,
                stream_id: chunk.stream,
                ssn: chunk.ssn,
                ppid: chunk.ppid,
                unordered: chunk.unordered,
                beginning: chunk.beginning,
                end: chunk.end,
                immediate: false,
                user_data: &chunk.data,
            });
            if w.push(&data).is_err() {
                break;
            }
            self.retransmit.pop_first();
            let chunk = &mut self.outstanding[index];
            chunk.state = ChunkState::InFlight;
            chunk.transmissions = chunk.transmissions.saturating_add(1);
            chunk.misses = 0;
            self.flight += chunk.data.len();
            // Karn's rule (RFC 9260 §6.3.1 C5): no RTT sample from a retransmitted chunk.
            if self.rtt_probe.is_some_and(|(probe, _)| probe == tsn) {
                self.rtt_probe = None;
            }
            if self.t3.is_none() {
                self.t3 = Some(now + self.rto);
            }
            wrote = true;
        }
        wrote
    }

    /// `data_in_packet`: DATA is already in the packet (retransmissions).
    fn write_new(&mut self, now: Instant, w: &mut PacketWriter<'_>, data_in_packet: bool) -> bool {
        let mut wrote = false;
        while self.may_send_new() {
            let room = w.remaining();
            if room <= DATA_HEADER_LEN {
                break;
            }
            let Some(stream) = self.current.or_else(|| self.active.front().copied()) else {
                break;
            };
            let Some(out) = self.streams.get_mut(&stream) else {
                self.active.pop_front();
                continue;
            };
            let Some(front) = out.queue.front_mut() else {
                out.active = false;
                self.active.pop_front();
                self.current = None;
                continue;
            };
            let beginning = front.offset == 0;
            if beginning && front.deadline.is_some_and(|d| d <= now) {
                // RFC 3758 §3.5 A1: expired before its first transmission: dropped without
                // using a TSN.
                let message = out.queue.pop_front().expect("front exists");
                let len = message.data.len();
                self.buffered -= len;
                self.note_unsent_decrease(stream, len);
                continue;
            }
            let remaining = front.data.len() - front.offset;
            let payload = remaining.min(room - DATA_HEADER_LEN);
            if payload < remaining && payload < 64 && (wrote || data_in_packet) {
                // Not worth a sliver: the next packet takes it whole or in a bigger piece.
                // Otherwise packets are filled (fewer packets, fewer DTLS records), even if
                // that splits a message that would fit a packet of its own.
                break;
            }
            if beginning {
                if !front.unordered {
                    front.ssn = out.next_ssn;
                    out.next_ssn = out.next_ssn.wrapping_add(1);
                } else {
                    front.ssn = 0;
                }
            }
            let data = front.data.slice(front.offset..front.offset + payload);
            let end = payload == remaining;
            let tsn = self.next_tsn;
            let chunk = Chunk::Data(Data {
                tsn: tsn as u32,
                stream_id: stream,
                ssn: front.ssn,
                ppid: front.ppid,
                unordered: front.unordered,
                beginning,
                end,
                immediate: false,
                user_data: &data,
            });
            if w.push(&chunk).is_err() {
                break;
            }
            front.offset += payload;
            let sent = Sent {
                stream,
                ssn: front.ssn,
                ppid: front.ppid,
                unordered: front.unordered,
                beginning,
                end,
                data,
                state: ChunkState::InFlight,
                misses: 0,
                fast_retransmitted: false,
                transmissions: 1,
                message: front.id,
                deadline: front.deadline,
                max_retransmits: front.max_retransmits,
            };
            if end {
                out.queue.pop_front();
                self.current = None;
                // Round robin: the stream goes to the back after each whole message.
                if let Some(s) = self.active.pop_front() {
                    if out.queue.is_empty() {
                        out.active = false;
                    } else {
                        self.active.push_back(s);
                    }
                }
            } else {
                self.current = Some(stream);
            }
            self.note_unsent_decrease(stream, payload);
            self.next_tsn += 1;
            self.outstanding.push_back(sent);
            self.flight += payload;
            self.unacked += payload;
            self.peer_rwnd = self.peer_rwnd.saturating_sub(payload);
            if self.rtt_probe.is_none() {
                self.rtt_probe = Some((tsn, now));
            }
            if self.t3.is_none() {
                self.t3 = Some(now + self.rto);
            }
            wrote = true;
        }
        wrote
    }

    /// Processes a SACK (RFC 9260 §6.2.1, §7.2). `gaps` are the gap ack blocks as sent.
    pub(crate) fn on_sack(
        &mut self,
        now: Instant,
        cum_ack: u32,
        a_rwnd: u32,
        gaps: impl Iterator<Item = GapAckBlock>,
    ) -> SackOutcome {
        let mut outcome = SackOutcome::default();
        let cum = unwrap_serial(self.cum_ack, cum_ack);
        if cum < self.cum_ack || cum >= self.next_tsn {
            // Older than what we know, or acknowledging TSNs never sent: RFC 9260 §6.2.1 D
            // says to drop it.
            outcome.ignored = true;
            return outcome;
        }
        let flight_before = self.flight;
        let cum_before = self.cum_ack;
        let mut acked_bytes = 0usize;
        let mut newly_cum_acked = 0usize;
        while self.cum_ack < cum {
            let chunk = self.outstanding.pop_front().expect("tsn below next_tsn");
            self.cum_ack += 1;
            let len = chunk.data.len();
            match chunk.state {
                ChunkState::InFlight => {
                    self.flight -= len;
                    self.unacked -= len;
                    acked_bytes += len;
                }
                ChunkState::Nacked => self.unacked -= len,
                ChunkState::GapAcked | ChunkState::Abandoned => {}
            }
            if chunk.state != ChunkState::Abandoned {
                self.buffered -= len;
            }
            newly_cum_acked += len;
            if let Some((probe, sent_at)) = self.rtt_probe
                && probe == self.cum_ack
            {
                self.rtt_probe = None;
                if chunk.transmissions == 1 {
                    self.rtt_sample(now.saturating_duration_since(sent_at));
                }
            }
        }
        outcome.advanced = self.cum_ack > cum_before;
        if self.advanced_peer_ack < self.cum_ack {
            self.advanced_peer_ack = self.cum_ack;
        }
        self.gap_acked.remove_through(self.cum_ack);
        let mut highest_newly_acked = if newly_cum_acked > 0 { cum } else { 0 };
        let base = self.cum_ack;
        for block in gaps {
            if block.start == 0 || block.start > block.end {
                continue;
            }
            let start = base + u64::from(block.start);
            let end = (base + u64::from(block.end)).min(self.next_tsn - 1);
            if start > end {
                continue;
            }
            let outstanding = &mut self.outstanding;
            let mut flight = 0;
            let mut unacked = 0;
            let mut bytes = 0;
            self.gap_acked.insert_with(start, end, |a, b| {
                for tsn in a..=b {
                    let chunk = &mut outstanding[(tsn - base - 1) as usize];
                    let len = chunk.data.len();
                    match chunk.state {
                        ChunkState::InFlight => {
                            flight += len;
                            unacked += len;
                            bytes += len;
                        }
                        ChunkState::Nacked => unacked += len,
                        ChunkState::GapAcked | ChunkState::Abandoned => {}
                    }
                    if chunk.state != ChunkState::Abandoned {
                        chunk.state = ChunkState::GapAcked;
                    }
                }
                highest_newly_acked = highest_newly_acked.max(b);
            });
            self.flight -= flight;
            self.unacked -= unacked;
            acked_bytes += bytes;
        }
        // RFC 9260 §6.2.1: rwnd = a_rwnd less the bytes still outstanding.
        self.peer_rwnd = (a_rwnd as usize).saturating_sub(self.unacked);

        // Miss indications (§7.2.4, HTNA): TSNs in the holes below the highest newly acked.
        if highest_newly_acked > self.cum_ack {
            let mut cursor = self.cum_ack + 1;
            let mut holes: Vec<(u64, u64)> = Vec::new();
            for (s, e) in self.gap_acked.iter() {
                if s > highest_newly_acked {
                    break;
                }
                if s > cursor {
                    holes.push((cursor, s - 1));
                }
                cursor = e + 1;
            }
            let in_recovery = self.fast_recovery.is_some();
            for (s, e) in holes {
                for tsn in s..=e {
                    let index = (tsn - self.cum_ack - 1) as usize;
                    let chunk = &mut self.outstanding[index];
                    if chunk.state != ChunkState::InFlight || chunk.fast_retransmitted {
                        continue;
                    }
                    chunk.misses = chunk.misses.saturating_add(1);
                    if chunk.misses >= 3 {
                        chunk.fast_retransmitted = true;
                        chunk.state = ChunkState::Nacked;
                        self.flight -= chunk.data.len();
                        self.retransmit.insert(tsn);
                        outcome.fast_retransmit = true;
                    }
                }
            }
            if outcome.fast_retransmit {
                self.fast_retransmit_due = true;
                if !in_recovery {
                    // §7.2.4: enter fast recovery once per window.
                    self.ssthresh = (self.cwnd / 2).max(4 * self.mtu);
                    self.cwnd = self.ssthresh;
                    self.partial_bytes_acked = 0;
                    self.fast_recovery = Some(self.next_tsn - 1);
                }
                self.abandon_nacked(now);
            }
        }

        if let Some(point) = self.fast_recovery
            && self.cum_ack >= point
        {
            self.fast_recovery = None;
        }
        // Congestion window growth only when the cumulative point advances (§7.2.1, §7.2.2),
        // never during fast recovery.
        if newly_cum_acked > 0 && self.fast_recovery.is_none() {
            if self.cwnd <= self.ssthresh {
                if flight_before + self.mtu >= self.cwnd {
                    self.cwnd += acked_bytes.min(self.mtu);
                }
            } else {
                self.partial_bytes_acked += acked_bytes;
                if self.partial_bytes_acked >= self.cwnd && flight_before + self.mtu >= self.cwnd {
                    self.partial_bytes_acked -= self.cwnd;
                    self.cwnd += self.mtu;
                }
            }
        }
        if self.outstanding.is_empty() {
            self.partial_bytes_acked = 0;
        }

        // Timer rules (§6.3.2 R2, R3): running while anything is unacknowledged (abandoned
        // chunks too, until a FORWARD TSN gets through), restarted when the cumulative point
        // moves.
        if self.outstanding.is_empty() {
            self.t3 = None;
        } else if self.cum_ack > cum_before || self.t3.is_none() {
            self.t3 = Some(now + self.rto);
        }
        self.advance_peer_ack_point();
        if self.advanced_peer_ack > self.cum_ack {
            self.forward_tsn_due = true;
        }
        outcome
    }

    fn rtt_sample(&mut self, r: Duration) {
        // RFC 9260 §6.3.1 C2, C3 with RTO.Alpha = 1/8, RTO.Beta = 1/4.
        match self.srtt {
            None => {
                self.srtt = Some(r);
                self.rttvar = r / 2;
            }
            Some(srtt) => {
                let diff = srtt.abs_diff(r);
                self.rttvar = self.rttvar * 3 / 4 + diff / 4;
                self.srtt = Some(srtt * 7 / 8 + r / 8);
            }
        }
        let srtt = self.srtt.unwrap_or(r);
        self.rto = (srtt + 4 * self.rttvar).clamp(self.rto_min, self.rto_max);
    }

    /// An RTT measured elsewhere (HEARTBEAT ACK, RFC 9260 §8.3).
    pub(crate) fn heartbeat_rtt(&mut self, r: Duration) {
        self.rtt_sample(r);
    }

    pub(crate) fn srtt(&self) -> Option<Duration> {
        self.srtt
    }

    /// T3-rtx expired (RFC 9260 §6.3.3): back off, shrink cwnd to one MTU, and mark every
    /// chunk in flight for retransmission.
    pub(crate) fn on_t3_expired(&mut self, now: Instant) {
        self.t3 = None;
        if self.outstanding.is_empty() {
            return;
        }
        self.rto = (self.rto * 2).min(self.rto_max);
        self.ssthresh = (self.cwnd / 2).max(4 * self.mtu);
        self.cwnd = self.mtu;
        self.partial_bytes_acked = 0;
        self.fast_recovery = None;
        self.rtt_probe = None;
        let base = self.cum_ack;
        for (i, chunk) in self.outstanding.iter_mut().enumerate() {
            if chunk.state == ChunkState::InFlight {
                chunk.state = ChunkState::Nacked;
                self.flight -= chunk.data.len();
                self.retransmit.insert(base + 1 + i as u64);
            }
        }
        self.abandon_nacked(now);
        if self.advanced_peer_ack > self.cum_ack {
            self.forward_tsn_due = true;
        }
        self.t3 = Some(now + self.rto);
    }

    /// RFC 3758 §3.5 A3, A5: nacked chunks past their retransmission limit or lifetime are
    /// abandoned, with every other chunk of their message.
    fn abandon_nacked(&mut self, now: Instant) {
        if !self.partial_reliability {
            return;
        }
        let mut doomed: Vec<(u64, u64)> = Vec::new();
        for &tsn in &self.retransmit {
            if tsn <= self.cum_ack {
                continue;
            }
            let chunk = &self.outstanding[(tsn - self.cum_ack - 1) as usize];
            if chunk.state != ChunkState::Nacked {
                continue;
            }
            let over_limit = chunk
                .max_retransmits
                .is_some_and(|max| chunk.transmissions > max);
            let expired = chunk.deadline.is_some_and(|d| d <= now);
            if (over_limit || expired) && doomed.last().map(|d| d.0) != Some(chunk.message) {
                doomed.push((chunk.message, tsn));
            }
        }
        for (message, tsn) in doomed {
            self.abandon_message(message, tsn);
        }
        self.advance_peer_ack_point();
    }

    /// Abandons `message`, of which `tsn` is one chunk: its chunks have consecutive TSNs.
    fn abandon_message(&mut self, message: u64, tsn: u64) {
        let at = (tsn - self.cum_ack - 1) as usize;
        let mut first = at;
        while first > 0 && self.outstanding[first - 1].message == message {
            first -= 1;
        }
        let mut last = at;
        while last + 1 < self.outstanding.len() && self.outstanding[last + 1].message == message {
            last += 1;
        }
        for chunk in self.outstanding.range_mut(first..=last) {
            if chunk.state == ChunkState::Abandoned {
                continue;
            }
            let len = chunk.data.len();
            match chunk.state {
                ChunkState::InFlight => {
                    self.flight -= len;
                    self.unacked -= len;
                }
                ChunkState::Nacked => self.unacked -= len,
                ChunkState::GapAcked | ChunkState::Abandoned => {}
            }
            self.buffered -= len;
            chunk.state = ChunkState::Abandoned;
        }
        // The rest of the message, not yet fragmented, goes too (its sent fragments are
        // skipped by FORWARD TSN; the receiver drops the incomplete message).
        if let Some(stream) = self.current {
            let out = self
                .streams
                .get_mut(&stream)
                .expect("current stream exists");
            if out.queue.front().is_some_and(|q| q.id == message) {
                let q = out.queue.pop_front().expect("front exists");
                let rest = q.data.len() - q.offset;
                self.buffered -= rest;
                self.current = None;
                if let Some(s) = self.active.pop_front() {
                    if out.queue.is_empty() {
                        out.active = false;
                    } else {
                        self.active.push_back(s);
                    }
                }
                self.note_unsent_decrease(stream, rest);
            }
        }
    }

    fn advance_peer_ack_point(&mut self) {
        let mut point = self.advanced_peer_ack.max(self.cum_ack);
        while let Some(chunk) = self.outstanding.get((point - self.cum_ack) as usize) {
            if chunk.state != ChunkState::Abandoned {
                break;
            }
            point += 1;
        }
        self.advanced_peer_ack = point;
    }

    /// The FORWARD TSN to send (RFC 3758 §3.5 C), when the advanced ack point is ahead of
    /// the cumulative one: the new cumulative TSN, and for each ordered stream skipped the
    /// largest SSN skipped, written into `streams`.
    pub(crate) fn forward_tsn(&self, streams: &mut Vec<ForwardTsnStream>) -> Option<u32> {
        if self.advanced_peer_ack <= self.cum_ack {
            return None;
        }
        streams.clear();
        let count = (self.advanced_peer_ack - self.cum_ack) as usize;
        for chunk in self.outstanding.iter().take(count) {
            if chunk.unordered {
                continue;
            }
            match streams.iter_mut().find(|s| s.stream_id == chunk.stream) {
                Some(s) => {
                    if (chunk.ssn.wrapping_sub(s.ssn) as i16) > 0 {
                        s.ssn = chunk.ssn;
                    }
                }
                None => streams.push(ForwardTsnStream {
                    stream_id: chunk.stream,
                    ssn: chunk.ssn,
                }),
            }
        }
        Some(self.advanced_peer_ack as u32)
    }

    /// The last TSN assigned, for an Outgoing SSN Reset Request (RFC 6525 §4.1).
    pub(crate) fn last_assigned_tsn(&self) -> u32 {
        (self.next_tsn - 1) as u32
    }

    /// Closes streams to new messages before their reset.
    pub(crate) fn mark_resetting(&mut self, streams: &[u16]) {
        for &s in streams {
            self.streams.entry(s).or_default().resetting = true;
        }
    }

    /// True when every message of these streams has its TSNs: the reset request may go.
    pub(crate) fn streams_drained(&self, streams: &[u16]) -> bool {
        streams
            .iter()
            .all(|s| self.streams.get(s).is_none_or(|o| o.queue.is_empty()))
    }

    /// The peer performed our reset: the streams start again at SSN 0 (RFC 6525 §5.1.2).
    pub(crate) fn finish_reset(&mut self, streams: &[u16]) {
        for &s in streams {
            if let Some(out) = self.streams.get_mut(&s) {
                out.next_ssn = 0;
                out.resetting = false;
                if out.queue.is_empty() && out.low_threshold == 0 {
                    self.streams.remove(&s);
                }
            }
        }
    }

    /// Bytes in flight, for statistics.
    pub(crate) fn flight(&self) -> usize {
        self.flight
    }

    pub(crate) fn peer_rwnd(&self) -> usize {
        self.peer_rwnd
    }
}

#[cfg(test)]
mod tests {
    use super::unwrap_serial;

    #[test]
    fn unwraps_across_the_wrap() {
        let base = (1u64 << 32) | 0xffff_fff0;
        assert_eq!(unwrap_serial(base, 0xffff_fff5), base + 5);
        assert_eq!(unwrap_serial(base, 0x0000_0005), base + 0x15);
        assert_eq!(unwrap_serial(base, 0xffff_ffe0), base - 0x10);
    }
}
