//! The receiving half: TSN tracking and gap ack blocks, duplicate reports, reassembly,
//! ordered and unordered delivery per stream, FORWARD TSN (RFC 3758 §3.6), the receive
//! window, and incoming stream resets (RFC 6525 §5.2.2) with their deferred mode.

use std::collections::{HashMap, VecDeque};

use bytes::{Bytes, BytesMut};

use super::Message;
use super::ranges::RangeSet;
use super::send::unwrap_serial;
use crate::{Data, GapAckBlock};

/// Most duplicate TSNs kept for one SACK.
const MAX_DUPLICATES: usize = 32;
/// How far past the cumulative point a TSN may be: a gap ack block reports offsets in 16
/// bits (RFC 9260 §3.3.4), and nothing honest sends further ahead.
const MAX_AHEAD: u64 = 65_535;
/// Size of each block the received payloads are copied into (one allocation per block, not
/// per chunk).
const ARENA_BLOCK: usize = 256 * 1024;
/// The first arena block: an idle or chatty association holds little, a bulk transfer doubles
/// its way up to [`ARENA_BLOCK`] within a few blocks.
const MIN_ARENA_BLOCK: usize = 4 * 1024;

#[derive(Debug)]
struct Fragment {
    stream: u16,
    ssn: u16,
    ppid: u32,
    unordered: bool,
    beginning: bool,
    end: bool,
    data: Bytes,
}

/// Fragments waiting for the rest of their message, sorted by TSN. They mostly arrive in
/// order, so insertion is a push at the back; a deque keeps its capacity, so unlike a tree
/// map nothing is allocated per message once it has grown.
#[derive(Debug, Default)]
struct Fragments {
    items: VecDeque<(u64, Fragment)>,
}

impl Fragments {
    fn position(&self, tsn: u64) -> Result<usize, usize> {
        match self.items.back() {
            Some(&(last, _)) if last < tsn => Err(self.items.len()),
            None => Err(0),
            _ => self.items.binary_search_by_key(&tsn, |(t, _)| *t),
        }
    }

    fn insert(&mut self, tsn: u64, fragment: Fragment) {
        if let Err(i) = self.position(tsn) {
            self.items.insert(i, (tsn, fragment));
        }
    }

    fn get(&self, tsn: u64) -> Option<&Fragment> {
        self.position(tsn).ok().map(|i| &self.items[i].1)
    }

    fn contains(&self, tsn: u64) -> bool {
        self.position(tsn).is_ok()
    }
}

#[derive(Debug, Default)]
struct InStream {
    next_ssn: u16,
    /// Complete ordered messages waiting for an earlier SSN.
    pending: HashMap<u16, Message>,
}

#[derive(Debug)]
struct DeferredReset {
    request_sequence: u32,
    last_tsn: u64,
    streams: Vec<u16>,
}

/// What became of a DATA chunk.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum DataVerdict {
    Accepted,
    Duplicate,
    /// Not accepted: window full, too far ahead, stream invalid... (no state changed except
    /// what the reason says).
    Dropped,
    /// Its stream is beyond the negotiated inbound streams: the TSN is acknowledged, the data
    /// discarded, and an ERROR with Invalid Stream Identifier is due (RFC 9260 §6.5).
    InvalidStream,
    /// DATA without user data (RFC 9260 §6.2): the association is to be aborted.
    NoUserData,
}

/// A reset performed: the response to send and the streams to report.
#[derive(Debug)]
pub(crate) struct PerformedReset {
    pub(crate) request_sequence: u32,
    pub(crate) streams: Vec<u16>,
}

#[derive(Debug)]
pub(crate) struct RecvSide {
    pub(crate) cum_tsn: u64,
    received: RangeSet,
    highest: u64,
    duplicates: Vec<u32>,
    reassembly: Fragments,
    streams: HashMap<u16, InStream>,
    pub(crate) ready: VecDeque<Message>,
    /// Bytes held: fragments, messages waiting for order, messages not yet read.
    buffered: usize,
    window: usize,
    max_message_size: usize,
    pub(crate) inbound_streams: u16,
    arena: BytesMut,
    /// The size of the next arena block.
    arena_block: usize,
    deferred: Vec<DeferredReset>,
    /// Ordered messages for streams under a deferred reset, sent after it: held until it is
    /// performed, with the TSN of their first fragment.
    held: Vec<(u64, Message, u16)>,
    /// Messages dropped: too large, stale.
    pub(crate) dropped_messages: u64,
    last_advertised: usize,
}

impl RecvSide {
    pub(crate) fn new(window: usize, max_message_size: usize) -> Self {
        Self {
            cum_tsn: 0,
            received: RangeSet::default(),
            highest: 0,
            duplicates: Vec::new(),
            reassembly: Fragments::default(),
            streams: HashMap::new(),
            ready: VecDeque::new(),
            buffered: 0,
            window,
            max_message_size,
            inbound_streams: 0,
            arena: BytesMut::new(),
            arena_block: MIN_ARENA_BLOCK,
            deferred: Vec::new(),
            held: Vec::new(),
            dropped_messages: 0,
            last_advertised: window,
        }
    }

    /// Called with the peer's initial TSN and the negotiated inbound stream count.
    pub(crate) fn start(&mut self, peer_initial_tsn: u32, inbound_streams: u16) {
        self.cum_tsn = ((1u64 << 32) | u64::from(peer_initial_tsn)) - 1;
        self.highest = self.cum_tsn;
        self.inbound_streams = inbound_streams;
    }

    /// The window to advertise (RFC 9260 §6.2: buffer space left).
    pub(crate) fn a_rwnd(&self) -> u32 {
        self.window.saturating_sub(self.buffered) as u32
    }

    /// True when gaps or duplicates call for an immediate SACK (RFC 9260 §6.7).
    pub(crate) fn has_gaps_or_duplicates(&self) -> bool {
        !self.received.is_empty() || !self.duplicates.is_empty()
    }

    /// After the application read: true when the window reopened enough to tell the peer
    /// (it saw less than a quarter of it, now half of it is free).
    pub(crate) fn window_update_due(&self) -> bool {
        self.last_advertised < self.window / 4 && (self.a_rwnd() as usize) >= self.window / 2
    }

    /// A message the application took: its bytes leave the buffer.
    pub(crate) fn pop_ready(&mut self) -> Option<Message> {
        let message = self.ready.pop_front()?;
        self.buffered -= message.data.len();
        Some(message)
    }

    /// A new arena block with room for `len` bytes; blocks grow while data keeps coming.
    fn new_block(&mut self, len: usize) {
        self.arena = BytesMut::with_capacity(self.arena_block.max(len));
        self.arena_block = (self.arena_block * 2).min(ARENA_BLOCK);
    }

    /// Gives the arena back when nothing is held (the association went idle), so an idle
    /// association holds no receive buffer; the next data starts small again.
    pub(crate) fn release_idle(&mut self) {
        if self.ready.is_empty() && self.buffered == 0 {
            self.arena = BytesMut::new();
            self.arena_block = MIN_ARENA_BLOCK;
        }
    }

    fn copy_payload(&mut self, payload: &[u8]) -> Bytes {
        if self.arena.capacity() - self.arena.len() < payload.len() {
            self.new_block(payload.len());
        }
        self.arena.extend_from_slice(payload);
        self.arena.split().freeze()
    }

    pub(crate) fn on_data(&mut self, data: &Data<'_>) -> DataVerdict {
        let tsn = unwrap_serial(self.cum_tsn, data.tsn);
        if tsn <= self.cum_tsn || self.received.contains(tsn) {
            if self.duplicates.len() < MAX_DUPLICATES {
                self.duplicates.push(data.tsn);
            }
            return DataVerdict::Duplicate;
        }
        if tsn > self.cum_tsn + MAX_AHEAD {
            return DataVerdict::Dropped;
        }
        if data.user_data.is_empty() {
            return DataVerdict::NoUserData;
        }
        let len = data.user_data.len();
        // RFC 9260 §6.2: with no room, only a chunk filling a hole below the highest TSN is
        // taken; the hard limit of twice the window bounds memory whatever the peer does.
        if (self.buffered + len > self.window && tsn > self.highest)
            || self.buffered + len > 2 * self.window
        {
            return DataVerdict::Dropped;
        }
        self.mark_received(tsn);
        if data.stream_id >= self.inbound_streams {
            return DataVerdict::InvalidStream;
        }
        let payload = self.copy_payload(data.user_data);
        self.buffered += len;
        if data.beginning && data.end {
            self.deliver(
                tsn,
                Message {
                    stream: data.stream_id,
                    ppid: data.ppid,
                    unordered: data.unordered,
                    data: payload,
                },
                data.ssn,
            );
        } else {
            self.reassembly.insert(
                tsn,
                Fragment {
                    stream: data.stream_id,
                    ssn: data.ssn,
                    ppid: data.ppid,
                    unordered: data.unordered,
                    beginning: data.beginning,
                    end: data.end,
                    data: payload,
                },
            );
            // A message completes when its E fragment arrives or a hole in it is filled.
            if data.end || self.reassembly.contains(tsn + 1) {
                self.try_assemble(tsn);
            }
        }
        DataVerdict::Accepted
    }

    fn mark_received(&mut self, tsn: u64) {
        self.highest = self.highest.max(tsn);
        if tsn == self.cum_tsn + 1 {
            self.cum_tsn = tsn;
            while let Some(end) = self.received.pop_contiguous(self.cum_tsn) {
                self.cum_tsn = end;
            }
        } else {
            self.received.insert(tsn);
        }
    }

    /// Fragments of one message carry consecutive TSNs, the same stream and, ordered, the
    /// same SSN (RFC 9260 §6.9).
    fn same_message(a: &Fragment, b: &Fragment) -> bool {
        a.stream == b.stream && a.unordered == b.unordered && (a.unordered || a.ssn == b.ssn)
    }

    fn try_assemble(&mut self, tsn: u64) {
        let Ok(at) = self.reassembly.position(tsn) else {
            return;
        };
        let items = &self.reassembly.items;
        // Back to the B fragment: consecutive TSNs of the same message.
        let mut first = at;
        while !items[first].1.beginning {
            if first == 0 {
                return;
            }
            let (prev_tsn, prev) = &items[first - 1];
            if *prev_tsn + 1 != items[first].0
                || !Self::same_message(prev, &items[first].1)
                || prev.end
            {
                return;
            }
            first -= 1;
        }
        // On to the E fragment.
        let mut last = at;
        while !items[last].1.end {
            let Some((next_tsn, next)) = items.get(last + 1) else {
                return;
            };
            if items[last].0 + 1 != *next_tsn
                || !Self::same_message(&items[last].1, next)
                || next.beginning
            {
                return;
            }
            last += 1;
        }
        let first_tsn = items[first].0;
        let total: usize = items.range(first..=last).map(|(_, f)| f.data.len()).sum();
        let head = &items[first].1;
        let (stream, ssn, ppid, unordered) = (head.stream, head.ssn, head.ppid, head.unordered);
        if total > self.max_message_size {
            self.reassembly.items.drain(first..=last);
            self.buffered -= total;
            self.dropped_messages += 1;
            return;
        }
        // Joined in the arena too (a buffer of its own when large), so that reassembly does
        // not allocate per message either.
        let data = if total <= ARENA_BLOCK / 4 {
            if self.arena.capacity() - self.arena.len() < total {
                self.new_block(total);
            }
            for (_, f) in self.reassembly.items.drain(first..=last) {
                self.arena.extend_from_slice(&f.data);
            }
            self.arena.split().freeze()
        } else {
            let mut joined = BytesMut::with_capacity(total);
            for (_, f) in self.reassembly.items.drain(first..=last) {
                joined.extend_from_slice(&f.data);
            }
            joined.freeze()
        };
        self.deliver(
            first_tsn,
            Message {
                stream,
                ppid,
                unordered,
                data,
            },
            ssn,
        );
    }

    fn deliver(&mut self, first_tsn: u64, message: Message, ssn: u16) {
        if message.unordered {
            self.ready.push_back(message);
            return;
        }
        let stream = message.stream;
        if self.deferred.iter().any(|d| {
            first_tsn > d.last_tsn && (d.streams.is_empty() || d.streams.contains(&stream))
        }) {
            self.held.push((first_tsn, message, ssn));
            return;
        }
        let state = self.streams.entry(stream).or_default();
        if ssn == state.next_ssn {
            state.next_ssn = ssn.wrapping_add(1);
            self.ready.push_back(message);
            while let Some(next) = state.pending.remove(&state.next_ssn) {
                state.next_ssn = state.next_ssn.wrapping_add(1);
                self.ready.push_back(next);
            }
        } else if (ssn.wrapping_sub(state.next_ssn) as i16) > 0 {
            if let Some(old) = state.pending.insert(ssn, message) {
                self.buffered -= old.data.len();
                self.dropped_messages += 1;
            }
        } else {
            // Older than what was delivered: a stale copy (after a FORWARD TSN).
            self.buffered -= message.data.len();
            self.dropped_messages += 1;
        }
    }

    /// FORWARD TSN (RFC 3758 §3.6): the peer gave up on everything up to `new_cum`. Returns
    /// false when it was old news.
    pub(crate) fn on_forward_tsn(
        &mut self,
        new_cum: u32,
        streams: impl Iterator<Item = (u16, u16)>,
    ) -> bool {
        let new = unwrap_serial(self.cum_tsn, new_cum);
        if new <= self.cum_tsn || new > self.cum_tsn + MAX_AHEAD {
            return false;
        }
        self.cum_tsn = new;
        self.highest = self.highest.max(new);
        self.received.remove_through(new);
        while let Some(end) = self.received.pop_contiguous(self.cum_tsn) {
            self.cum_tsn = end;
        }
        // Fragments up to the new point, and the tails of their messages, will never
        // complete.
        while let Some((t, _)) = self.reassembly.items.front()
            && *t <= new
        {
            let (_, f) = self.reassembly.items.pop_front().expect("front");
            self.buffered -= f.data.len();
        }
        let mut next = new + 1;
        while let Some(f) = self.reassembly.get(next) {
            if f.beginning {
                break;
            }
            let i = self.reassembly.position(next).expect("just seen");
            let (_, f) = self.reassembly.items.remove(i).expect("just seen");
            self.buffered -= f.data.len();
            next += 1;
        }
        for (stream, ssn) in streams {
            let state = self.streams.entry(stream).or_default();
            if (ssn.wrapping_sub(state.next_ssn) as i16) >= 0 {
                // Skip to after `ssn`; what waits beyond it may now go.
                let base = state.next_ssn;
                let mut skipped: Vec<u16> = state
                    .pending
                    .keys()
                    .copied()
                    .filter(|&k| (ssn.wrapping_sub(k) as i16) >= 0)
                    .collect();
                skipped.sort_by_key(|&k| k.wrapping_sub(base));
                for k in skipped {
                    if let Some(m) = state.pending.remove(&k) {
                        // Complete messages SSN-before the skip point are still delivered
                        // in order (RFC 3758 §3.6 is about the abandoned ones).
                        self.ready.push_back(m);
                    }
                }
                state.next_ssn = ssn.wrapping_add(1);
                while let Some(m) = state.pending.remove(&state.next_ssn) {
                    state.next_ssn = state.next_ssn.wrapping_add(1);
                    self.ready.push_back(m);
                }
            }
        }
        true
    }

    /// Writes the SACK's gap ack blocks into `gaps` (at most `max` of them) and the duplicate
    /// TSNs into `dups`, and returns the cumulative TSN ack and a_rwnd. Duplicates are
    /// reported once.
    pub(crate) fn sack(
        &mut self,
        gaps: &mut Vec<GapAckBlock>,
        dups: &mut Vec<u32>,
        max_blocks: usize,
    ) -> (u32, u32) {
        gaps.clear();
        dups.clear();
        for (s, e) in self.received.iter().take(max_blocks) {
            let start = s - self.cum_tsn;
            let end = e - self.cum_tsn;
            if end > u64::from(u16::MAX) {
                break;
            }
            gaps.push(GapAckBlock {
                start: start as u16,
                end: end as u16,
            });
        }
        dups.append(&mut self.duplicates);
        let a_rwnd = self.a_rwnd();
        self.last_advertised = a_rwnd as usize;
        (self.cum_tsn as u32, a_rwnd)
    }

    /// An Outgoing SSN Reset Request from the peer (RFC 6525 §5.2.2): performed now when
    /// every TSN up to its last assigned one has arrived, otherwise deferred (the caller
    /// answers "In progress"). Returns the streams reset, or `None` when deferred.
    pub(crate) fn on_reset_request(
        &mut self,
        request_sequence: u32,
        last_assigned_tsn: u32,
        streams: Vec<u16>,
    ) -> Option<Vec<u16>> {
        let last = unwrap_serial(self.cum_tsn, last_assigned_tsn);
        if last <= self.cum_tsn {
            self.reset_incoming(&streams);
            return Some(streams);
        }
        if !self
            .deferred
            .iter()
            .any(|d| d.request_sequence == request_sequence)
        {
            self.deferred.push(DeferredReset {
                request_sequence,
                last_tsn: last,
                streams,
            });
        }
        None
    }

    pub(crate) fn is_deferred(&self, request_sequence: u32) -> bool {
        self.deferred
            .iter()
            .any(|d| d.request_sequence == request_sequence)
    }

    /// Deferred resets whose last TSN has now arrived, performed.
    pub(crate) fn perform_deferred(&mut self) -> Vec<PerformedReset> {
        let mut done = Vec::new();
        while let Some(i) = self
            .deferred
            .iter()
            .position(|d| d.last_tsn <= self.cum_tsn)
        {
            let d = self.deferred.remove(i);
            self.reset_incoming(&d.streams);
            done.push(PerformedReset {
                request_sequence: d.request_sequence,
                streams: d.streams,
            });
        }
        if !done.is_empty() && !self.held.is_empty() {
            let mut held = std::mem::take(&mut self.held);
            held.sort_by_key(|(tsn, _, _)| *tsn);
            for (tsn, message, ssn) in held {
                self.deliver(tsn, message, ssn);
            }
        }
        done
    }

    fn reset_incoming(&mut self, streams: &[u16]) {
        if streams.is_empty() {
            for state in self.streams.values_mut() {
                state.next_ssn = 0;
            }
        } else {
            for s in streams {
                if let Some(state) = self.streams.get_mut(s) {
                    state.next_ssn = 0;
                    if state.pending.is_empty() {
                        self.streams.remove(s);
                    }
                }
            }
        }
    }

    pub(crate) fn buffered(&self) -> usize {
        self.buffered
    }
}
