//! Sans-IO STUN client transactions (RFC 8489 §6.2): retransmission over unreliable transports,
//! a single send and a long timeout over reliable ones, responses matched by transaction id.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::{Class, Error, Message, TransactionId};

/// Timing of client transactions (RFC 8489 §6.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientConfig {
    /// Initial retransmission timeout. RFC 8489 recommends 500 ms or more; it doubles after each
    /// retransmission.
    pub rto: Duration,
    /// Rc: the number of requests sent in all before giving up (7).
    pub max_requests: u32,
    /// Rm: after the last request, wait `rm * rto` for a response (16).
    pub rm: u32,
    /// Ti: timeout of a transaction over a reliable transport, which is never retransmitted
    /// (39.5 s, RFC 8489 §6.2.2).
    pub reliable_timeout: Duration,
    /// Transactions allowed in flight at once; [`StunClient::start`] refuses more.
    pub max_transactions: usize,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            rto: Duration::from_millis(500),
            max_requests: 7,
            rm: 16,
            reliable_timeout: Duration::from_millis(39_500),
            max_transactions: 64,
        }
    }
}

/// The transport a transaction runs over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// UDP (or DTLS over UDP): the client retransmits.
    Unreliable,
    /// TCP or TLS: one send; the transport retransmits.
    Reliable,
}

/// A datagram for the caller to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transmit<'a> {
    /// Where to send it.
    pub destination: SocketAddr,
    /// The bytes.
    pub contents: &'a [u8],
}

/// What the client reports through [`StunClient::poll_event`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientEvent {
    /// No response came in time (RFC 8489 §6.2.1: 39.5 s with the default timing).
    TimedOut(TransactionId),
}

#[derive(Debug)]
struct Transaction {
    id: TransactionId,
    destination: SocketAddr,
    transport: Transport,
    /// The request, kept for retransmission. Slots are reused, so the buffer is too.
    request: Vec<u8>,
    /// Requests sent so far.
    sent: u32,
    /// Current retransmission timeout.
    rto: Duration,
    /// When the next retransmission, or the final timeout, is due.
    deadline: Instant,
    /// A transmission is due and not yet drained by `poll_transmit`.
    pending: bool,
}

/// Many STUN client transactions in one sans-IO state machine.
///
/// The caller builds a request (see [`crate::MessageBuilder`]), hands it to [`StunClient::start`]
/// and then drives the usual loop: send what [`StunClient::poll_transmit`] gives, feed every
/// STUN response to [`StunClient::handle_response`], call [`StunClient::handle_timeout`] when
/// [`StunClient::poll_timeout`] says, and read timeouts from [`StunClient::poll_event`].
#[derive(Debug)]
pub struct StunClient {
    config: ClientConfig,
    transactions: Vec<Option<Transaction>>,
    /// Request buffers of finished transactions, kept for reuse.
    spare: Vec<Vec<u8>>,
    events: VecDeque<ClientEvent>,
}

impl StunClient {
    /// A client with the given timing.
    pub fn new(config: ClientConfig) -> Self {
        Self {
            config,
            transactions: Vec::new(),
            spare: Vec::new(),
            events: VecDeque::new(),
        }
    }

    /// The timing in use.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// Transactions in flight.
    pub fn in_flight(&self) -> usize {
        self.transactions.iter().flatten().count()
    }

    /// Starts a transaction for `request` (a complete request message, e.g. from
    /// [`crate::MessageBuilder`]). The first transmission is ready at once.
    pub fn start(
        &mut self,
        now: Instant,
        destination: SocketAddr,
        transport: Transport,
        request: &[u8],
    ) -> Result<TransactionId, Error> {
        let message = Message::parse(request)?;
        if message.class() != Class::Request {
            return Err(Error::NotARequest);
        }
        let id = message.transaction_id();
        if self.transactions.iter().flatten().any(|t| t.id == id) {
            return Err(Error::DuplicateTransaction);
        }
        let live = self.in_flight();
        if live >= self.config.max_transactions {
            return Err(Error::TooManyTransactions(live));
        }
        let mut buffer = self.spare.pop().unwrap_or_default();
        buffer.clear();
        buffer.extend_from_slice(request);
        let transaction = Transaction {
            id,
            destination,
            transport,
            request: buffer,
            sent: 0,
            rto: self.config.rto,
            deadline: now,
            pending: true,
        };
        match self.transactions.iter_mut().find(|t| t.is_none()) {
            Some(slot) => *slot = Some(transaction),
            None => self.transactions.push(Some(transaction)),
        }
        // The first send happens now: account for it as `poll_transmit` would.
        self.on_sent(now, id);
        Ok(id)
    }

    /// Abandons a transaction; a late response to it will not match. Returns whether it existed.
    pub fn cancel(&mut self, id: TransactionId) -> bool {
        match self.slot(id) {
            Some(i) => {
                self.finish(i);
                true
            }
            None => false,
        }
    }

    /// Offers a received response. If it answers a transaction in flight (same transaction id,
    /// RFC 8489 §6.3.3), that transaction completes and its id is returned; the caller then acts
    /// on the response it already holds. Requests and indications, and responses for no
    /// transaction, give [`Error::UnmatchedResponse`].
    pub fn handle_response(
        &mut self,
        _now: Instant,
        response: &Message<'_>,
    ) -> Result<TransactionId, Error> {
        if !response.class().is_response() {
            return Err(Error::UnmatchedResponse);
        }
        let id = response.transaction_id();
        let i = self.slot(id).ok_or(Error::UnmatchedResponse)?;
        self.finish(i);
        Ok(id)
    }

    /// Advances timers: due retransmissions become ready to send; expired transactions end with
    /// [`ClientEvent::TimedOut`]. Calling it early does nothing.
    pub fn handle_timeout(&mut self, now: Instant) {
        for i in 0..self.transactions.len() {
            let Some(t) = &mut self.transactions[i] else {
                continue;
            };
            if t.pending || now < t.deadline {
                continue;
            }
            let retransmit =
                t.transport == Transport::Unreliable && t.sent < self.config.max_requests;
            if retransmit {
                t.pending = true;
                let id = t.id;
                self.on_sent(now, id);
            } else {
                let id = t.id;
                self.finish(i);
                self.events.push_back(ClientEvent::TimedOut(id));
            }
        }
    }

    /// The next datagram to send, if any.
    pub fn poll_transmit(&mut self) -> Option<Transmit<'_>> {
        let t = self.transactions.iter_mut().flatten().find(|t| t.pending)?;
        t.pending = false;
        Some(Transmit {
            destination: t.destination,
            contents: &t.request,
        })
    }

    /// When [`StunClient::handle_timeout`] should next be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.transactions
            .iter()
            .flatten()
            .filter(|t| !t.pending)
            .map(|t| t.deadline)
            .min()
    }

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<ClientEvent> {
        self.events.pop_front()
    }

    fn slot(&self, id: TransactionId) -> Option<usize> {
        self.transactions
            .iter()
            .position(|t| t.as_ref().is_some_and(|t| t.id == id))
    }

    fn finish(&mut self, i: usize) {
        if let Some(t) = self.transactions[i].take() {
            self.spare.push(t.request);
        }
    }

    /// Schedules what follows a send (RFC 8489 §6.2.1): the next retransmission after the current
    /// RTO, which then doubles; after the last request, the final wait of Rm times the initial
    /// RTO. Over a reliable transport, the single send is followed by Ti.
    fn on_sent(&mut self, now: Instant, id: TransactionId) {
        let config = self.config;
        let Some(t) = self.transactions.iter_mut().flatten().find(|t| t.id == id) else {
            return;
        };
        t.sent += 1;
        t.deadline = match t.transport {
            Transport::Reliable => now + config.reliable_timeout,
            Transport::Unreliable if t.sent >= config.max_requests => now + config.rto * config.rm,
            Transport::Unreliable => {
                let due = now + t.rto;
                t.rto = t.rto.saturating_mul(2);
                due
            }
        };
    }
}

impl Default for StunClient {
    fn default() -> Self {
        Self::new(ClientConfig::default())
    }
}
