//! Sans-IO TURN client (RFC 8656 §7-§12): one allocation on one server.
//!
//! [`TurnClient`] owns no socket and reads no clock. It runs the Allocate transaction with the
//! long-term credential mechanism (RFC 8489 §9.2: the 401 challenge, 438 Stale Nonce), keeps the
//! allocation, its permissions and its channel bindings alive with Refresh, CreatePermission and
//! ChannelBind requests sent from its timer, wraps application data in Send indications or
//! ChannelData, and unwraps what the server relays back. A refresh that times out is sent again
//! at once while what it refreshes still lasts on the server. Requests go through an
//! [`rtc_stun::StunClient`], which retransmits them over UDP (RFC 8489 §6.2.1) and sends them
//! once over TCP.
//!
//! Transaction ids must be unpredictable (RFC 8489 §5), and the client starts requests on its own
//! (retries, refreshes), so it derives them itself: the caller gives [`TurnClient::new`] a 32-byte
//! seed from a cryptographically secure source, and transaction id *n* is the first 12 bytes of
//! HMAC-SHA1(seed, n).
//!
//! Over TCP (or TLS) the driver splits the received stream into frames with
//! [`crate::frame_len`] and feeds whole frames to [`TurnClient::handle_input`].
//!
//! A run loop over a UDP socket:
//!
//! ```no_run
//! # // The driver owns the clock; it passes it in as `now`.
//! # fn run(now: impl Fn() -> std::time::Instant) -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Instant;
//! use rtc_turn::Transport;
//! use rtc_turn::client::{ClientConfig, ClientEvent, TurnClient};
//! # let seed = [7u8; 32]; // from a secure random source
//! let server = "192.0.2.1:3478".parse()?;
//! let peer: std::net::SocketAddr = "198.51.100.9:5000".parse()?;
//! let socket = std::net::UdpSocket::bind("0.0.0.0:0")?;
//! let config = ClientConfig::default();
//! let mut client = TurnClient::new(server, Transport::Udp, "alice".into(), "secret".into(), config, seed);
//! client.allocate(now())?;
//! let (mut buf, mut out) = ([0u8; 1500], [0u8; 1500]);
//! loop {
//!     while let Some(t) = client.poll_transmit() {
//!         socket.send_to(t.contents, t.destination)?;
//!     }
//!     while let Some(event) = client.poll_event() {
//!         match event {
//!             ClientEvent::Allocated { relayed, .. } => {
//!                 println!("relayed transport address {relayed}");
//!                 client.create_permission(now(), peer.ip())?;
//!             }
//!             ClientEvent::PermissionCreated(_) => {
//!                 let n = client.send_to(now(), peer, b"hello", &mut out)?;
//!                 socket.send_to(&out[..n], server)?;
//!             }
//!             ClientEvent::AllocationFailed(_) | ClientEvent::Failed(_) => return Err("no relay".into()),
//!             _ => {}
//!         }
//!     }
//!     let wait = client.poll_timeout().map(|t| t.saturating_duration_since(now()));
//!     if wait.is_some_and(|w| w.is_zero()) {
//!         client.handle_timeout(now());
//!         continue;
//!     }
//!     socket.set_read_timeout(wait)?;
//!     match socket.recv_from(&mut buf) {
//!         Ok((n, from)) if from == server => {
//!             if let Ok(Some(received)) = client.handle_input(now(), &buf[..n]) {
//!                 println!("{} bytes from {}", received.data.len(), received.peer);
//!             }
//!         }
//!         Ok(_) => {}
//!         Err(_) => client.handle_timeout(now()),
//!     }
//! }
//! # }
//! ```

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use rtc_crypto::HmacSha1;
use rtc_stun::{
    Attribute, AttributeType, Class, IntegrityKey, Message, MessageBuilder, Method,
    PasswordAlgorithmId, StunClient, TransactionId,
};

use crate::channel_data::{CHANNEL_MAX, CHANNEL_MIN, ChannelData};
use crate::{Error, Transport};

/// RFC 8656 §9: a permission lasts 300 s.
const PERMISSION_LIFETIME: Duration = Duration::from_secs(300);
/// RFC 8656 §12: a channel binding lasts 600 s.
const CHANNEL_LIFETIME: Duration = Duration::from_secs(600);
/// RFC 8656 §8: "refresh the allocation roughly 1 minute before it expires"; the same margin
/// serves permissions (refreshed after 240 s) and channels (after 540 s). It also covers a whole
/// UDP transaction with every retransmission (39.5 s, RFC 8489 §6.2.1).
const REFRESH_MARGIN: Duration = Duration::from_secs(60);
/// REQUESTED-TRANSPORT: UDP, the only transport RFC 8656 relays to peers (§7.1).
const PROTOCOL_UDP: u8 = 17;
/// Room for any request: USERNAME (513), REALM, NONCE and SOFTWARE (763 each) and the rest.
const REQUEST_CAPACITY: usize = 4096;

/// The most [`TurnClient::send_to`] adds around the data: a Send indication's header (20),
/// XOR-PEER-ADDRESS for IPv6 (24), the DATA header (4) and its padding (3).
pub const SEND_OVERHEAD: usize = 51;

/// When to refresh something granted for `lifetime`: a minute before it runs out, or halfway
/// for lifetimes under two minutes.
fn refresh_after(lifetime: Duration) -> Duration {
    lifetime.saturating_sub(REFRESH_MARGIN).max(lifetime / 2)
}

/// The earlier of two optional instants.
fn earliest(a: Option<Instant>, b: Option<Instant>) -> Option<Instant> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// What the client asks of the server, beyond the credentials.
#[derive(Debug, Clone, Default)]
pub struct ClientConfig {
    /// LIFETIME to ask for in Allocate and Refresh requests (RFC 8656 §7.1: a hint; the server
    /// grants at least its default, 600 s by default). `None` asks for the server's default.
    pub lifetime: Option<Duration>,
    /// SOFTWARE to send in Allocate and Refresh requests (RFC 8656 §5 says SHOULD).
    pub software: Option<String>,
    /// Retransmission timing of requests (RFC 8489 §6.2.1).
    pub timing: rtc_stun::ClientConfig,
}

/// Why a request, or the allocation, failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Failure {
    /// The server answered with this error code (RFC 8656 §7.4, §19; RFC 8489 §14.8): 401 for
    /// credentials it does not accept, 403 for a forbidden peer, 437 for an allocation it no
    /// longer has, 486 over quota, 508 out of capacity...
    ErrorResponse(u16),
    /// No response came: RFC 8489 §6.2.1 gives up after 39.5 s with the default timing.
    TimedOut,
    /// Responses came, but none passed the MESSAGE-INTEGRITY check (RFC 8489 §9.2.5): over UDP
    /// they were discarded until the transaction timed out; over TCP the first one ended it.
    IntegrityViolated,
    /// A success response lacks an attribute the client needs (XOR-RELAYED-ADDRESS, LIFETIME).
    MissingAttribute(AttributeType),
    /// The allocation's lifetime ran out before a Refresh succeeded.
    Expired,
    /// The request could not be built or started here (a credential too long for its
    /// attribute, too many transactions in flight).
    Local(Error),
}

/// What the client reports through [`TurnClient::poll_event`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientEvent {
    /// The allocation exists (RFC 8656 §7.3).
    Allocated {
        /// The relayed transport address: give it to peers (XOR-RELAYED-ADDRESS).
        relayed: SocketAddr,
        /// The client's address as the server sees it (XOR-MAPPED-ADDRESS), a server-reflexive
        /// candidate for ICE.
        mapped: Option<SocketAddr>,
        /// The lifetime the server granted; the client refreshes before it runs out.
        lifetime: Duration,
    },
    /// The Allocate transaction failed; the client is done ([`ClientState::Failed`]).
    AllocationFailed(Failure),
    /// A Refresh succeeded (RFC 8656 §8.3).
    Refreshed {
        /// The lifetime the server granted this time.
        lifetime: Duration,
    },
    /// A permission for this peer address is installed (RFC 8656 §10.3). Reported once; the
    /// client refreshes it every 4 minutes until [`TurnClient::remove_permission`].
    PermissionCreated(IpAddr),
    /// CreatePermission failed (or its refreshes kept timing out until the permission
    /// expired); the client forgot the permission.
    PermissionFailed {
        /// The peer address.
        peer: IpAddr,
        /// Why.
        failure: Failure,
    },
    /// A channel is bound (RFC 8656 §12.3); [`TurnClient::send_to`] now uses ChannelData for
    /// the peer. Reported once; the client refreshes the binding every 9 minutes.
    ChannelBound {
        /// The peer's transport address.
        peer: SocketAddr,
        /// The channel number.
        channel: u16,
    },
    /// ChannelBind failed (or its refreshes kept timing out until the binding expired); the
    /// client forgot the channel. RFC 8656 §12.3 recommends starting afresh with a new
    /// allocation after an unexpected 400, which says client and server disagree about
    /// channels.
    ChannelBindFailed {
        /// The peer's transport address.
        peer: SocketAddr,
        /// The channel number.
        channel: u16,
        /// Why.
        failure: Failure,
    },
    /// The allocation was lost after it had been made: a Refresh failed, the server answered
    /// 437 Allocation Mismatch (RFC 8656 §5: it no longer exists), or it expired.
    Failed(Failure),
    /// [`TurnClient::close`] finished: the allocation is deleted (or was never made).
    Closed,
}

/// Where the client is in the life of its allocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientState {
    /// [`TurnClient::allocate`] not called yet.
    Idle,
    /// The Allocate transaction runs.
    Allocating,
    /// The allocation exists.
    Allocated,
    /// [`TurnClient::close`] sent Refresh with LIFETIME 0 and waits for the answer.
    Closing,
    /// Closed: nothing left on the server.
    Closed,
    /// The allocation failed or was lost.
    Failed,
}

/// Data a peer sent through the relay, borrowed from the bytes given to
/// [`TurnClient::handle_input`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Received<'a> {
    /// The peer's transport address.
    pub peer: SocketAddr,
    /// The data (RFC 8656 §11.4 DATA, or a ChannelData payload without its padding).
    pub data: &'a [u8],
}

/// A request for the caller to send to the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transmit<'a> {
    /// The server.
    pub destination: SocketAddr,
    /// The transport to the server: a datagram over UDP, bytes on the connection over TCP.
    pub transport: Transport,
    /// The bytes.
    pub contents: &'a [u8],
}

/// The allocation as the client tracks it (RFC 8656 §7.3).
#[derive(Debug, Clone, Copy)]
struct Allocation {
    relayed: SocketAddr,
    mapped: Option<SocketAddr>,
    lifetime: Duration,
    /// When the server drops it at the latest, counted from the first send of the request that
    /// set it (the server counts from its receipt, which is later).
    expires: Instant,
    /// When to send the next Refresh; `None` while one is in flight.
    refresh_due: Option<Instant>,
}

#[derive(Debug)]
enum State {
    Idle,
    /// `close_requested`: `close` was called meanwhile; delete the allocation once it exists.
    Allocating {
        close_requested: bool,
    },
    Allocated(Allocation),
    Closing,
    Closed,
    Failed,
}

/// The requests the client sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Request {
    Allocate,
    /// `delete`: LIFETIME 0 (RFC 8656 §8.1).
    Refresh {
        delete: bool,
    },
    CreatePermission(IpAddr),
    ChannelBind {
        channel: u16,
        peer: SocketAddr,
    },
}

impl Request {
    fn method(self) -> Method {
        match self {
            Self::Allocate => Method::ALLOCATE,
            Self::Refresh { .. } => Method::REFRESH,
            Self::CreatePermission(_) => Method::CREATE_PERMISSION,
            Self::ChannelBind { .. } => Method::CHANNEL_BIND,
        }
    }
}

/// A request in flight.
#[derive(Debug, Clone, Copy)]
struct Pending {
    request: Request,
    /// First send; lifetimes granted by the answer are counted from here.
    started: Instant,
    /// The request carried MESSAGE-INTEGRITY, so the answer must too.
    authenticated: bool,
    /// This is already the retry after a 438 (RFC 8489 §9.2.5): a second 438 fails it.
    stale_retried: bool,
    /// A response failed the integrity check and was discarded (RFC 8489 §9.2.5).
    integrity_failed: bool,
}

/// A permission the client wants (RFC 8656 §9).
#[derive(Debug, Clone, Copy)]
struct Permission {
    /// When to send the next CreatePermission; `None` while one is in flight.
    due: Option<Instant>,
    /// Until when the server holds it; `None` until first installed.
    expires: Option<Instant>,
}

/// A channel binding the client wants (RFC 8656 §12).
#[derive(Debug, Clone, Copy)]
struct Channel {
    peer: SocketAddr,
    /// When to send the next ChannelBind; `None` while one is in flight.
    due: Option<Instant>,
    /// Until when the server holds it; `None` until first bound.
    expires: Option<Instant>,
}

/// What the long-term credential mechanism learned from the server (RFC 8489 §9.2.5).
#[derive(Debug)]
struct Auth {
    realm: String,
    nonce: String,
    key: IntegrityKey,
}

/// A TURN client holding one allocation on one server (RFC 8656), sans-IO.
///
/// Methods fall in four groups: getters; requests ([`TurnClient::allocate`],
/// [`TurnClient::create_permission`], [`TurnClient::bind_channel`], [`TurnClient::close`]) and
/// [`TurnClient::send_to`]; input ([`TurnClient::handle_input`], [`TurnClient::handle_timeout`]);
/// output ([`TurnClient::poll_transmit`], [`TurnClient::poll_timeout`],
/// [`TurnClient::poll_event`]). See the [module documentation](self) for a run loop.
pub struct TurnClient {
    server: SocketAddr,
    transport: Transport,
    username: String,
    password: String,
    config: ClientConfig,
    /// Keyed with the caller's seed; derives transaction ids.
    tid_key: HmacSha1,
    tid_counter: u64,
    stun: StunClient,
    state: State,
    auth: Option<Auth>,
    pending: HashMap<TransactionId, Pending>,
    permissions: HashMap<IpAddr, Permission>,
    channels: HashMap<u16, Channel>,
    /// Peer to channel number, for `send_to`.
    channel_of: HashMap<SocketAddr, u16>,
    /// The next channel number to hand out; numbers are never reused (RFC 8656 §12: a number
    /// may not be rebound to another peer until 5 minutes after its binding expired).
    next_channel: u16,
    events: VecDeque<ClientEvent>,
    /// Where requests are written before [`StunClient::start`] copies them.
    scratch: Vec<u8>,
}

impl fmt::Debug for TurnClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TurnClient")
            .field("server", &self.server)
            .field("transport", &self.transport)
            .field("username", &self.username)
            .field("state", &self.state)
            .field("permissions", &self.permissions.len())
            .field("channels", &self.channels.len())
            .field("in_flight", &self.pending.len())
            .finish_non_exhaustive()
    }
}

impl TurnClient {
    /// A client for `server`, reached over `transport`, with long-term credentials
    /// `username`/`password` (RFC 8489 §9.2). `seed` keys the transaction ids: take it from a
    /// cryptographically secure random source, fresh for every client.
    pub fn new(
        server: SocketAddr,
        transport: Transport,
        username: String,
        password: String,
        config: ClientConfig,
        seed: [u8; 32],
    ) -> Self {
        Self {
            server,
            transport,
            username,
            password,
            stun: StunClient::new(config.timing),
            config,
            tid_key: HmacSha1::new(&seed),
            tid_counter: 0,
            state: State::Idle,
            auth: None,
            pending: HashMap::new(),
            permissions: HashMap::new(),
            channels: HashMap::new(),
            channel_of: HashMap::new(),
            next_channel: CHANNEL_MIN,
            events: VecDeque::new(),
            scratch: vec![0; REQUEST_CAPACITY],
        }
    }

    // ---- getters ----

    /// The server's address.
    pub fn server(&self) -> SocketAddr {
        self.server
    }

    /// The transport to the server.
    pub fn transport(&self) -> Transport {
        self.transport
    }

    /// Where the allocation stands.
    pub fn state(&self) -> ClientState {
        match self.state {
            State::Idle => ClientState::Idle,
            State::Allocating { .. } => ClientState::Allocating,
            State::Allocated(_) => ClientState::Allocated,
            State::Closing => ClientState::Closing,
            State::Closed => ClientState::Closed,
            State::Failed => ClientState::Failed,
        }
    }

    /// The relayed transport address, while allocated.
    pub fn relayed_address(&self) -> Option<SocketAddr> {
        self.allocation().map(|a| a.relayed)
    }

    /// The server-reflexive address the server reported (XOR-MAPPED-ADDRESS), while allocated.
    pub fn mapped_address(&self) -> Option<SocketAddr> {
        self.allocation().and_then(|a| a.mapped)
    }

    /// The lifetime last granted, while allocated.
    pub fn lifetime(&self) -> Option<Duration> {
        self.allocation().map(|a| a.lifetime)
    }

    /// True when a permission for `peer` is wanted (created, or being created).
    pub fn has_permission(&self, peer: IpAddr) -> bool {
        self.permissions.contains_key(&peer)
    }

    /// The channel bound to `peer`, once the server confirmed it and while it lasts.
    pub fn channel(&self, now: Instant, peer: SocketAddr) -> Option<u16> {
        let number = *self.channel_of.get(&peer)?;
        let channel = self.channels.get(&number)?;
        channel.expires.is_some_and(|e| e > now).then_some(number)
    }

    fn allocation(&self) -> Option<&Allocation> {
        match &self.state {
            State::Allocated(a) => Some(a),
            _ => None,
        }
    }

    // ---- requests ----

    /// Starts the Allocate transaction (RFC 8656 §7.1): REQUESTED-TRANSPORT UDP and the
    /// configured LIFETIME, first without credentials; the server's 401 supplies REALM and NONCE
    /// and the request is repeated with them (RFC 8489 §9.2.3). The outcome is
    /// [`ClientEvent::Allocated`] or [`ClientEvent::AllocationFailed`].
    pub fn allocate(&mut self, now: Instant) -> Result<(), Error> {
        if !matches!(self.state, State::Idle) {
            return Err(Error::AlreadyStarted);
        }
        self.send_request(now, Request::Allocate, false)?;
        self.state = State::Allocating {
            close_requested: false,
        };
        Ok(())
    }

    /// Asks for a permission for `peer` (RFC 8656 §10.1) and keeps it refreshed every
    /// 4 minutes (permissions last 5, §9) until [`TurnClient::remove_permission`]. Called before
    /// the allocation exists, the request goes out once it does. Wanting it already is no error.
    /// The outcome is [`ClientEvent::PermissionCreated`] or [`ClientEvent::PermissionFailed`].
    pub fn create_permission(&mut self, now: Instant, peer: IpAddr) -> Result<(), Error> {
        self.check_open()?;
        self.permissions.entry(peer).or_insert(Permission {
            due: Some(now),
            expires: None,
        });
        self.flush(now);
        Ok(())
    }

    /// Stops refreshing the permission for `peer`, and the channels bound to peers at that
    /// address (the server would drop their data without the permission). The server lets them
    /// lapse. Returns whether the permission was wanted.
    pub fn remove_permission(&mut self, peer: IpAddr) -> bool {
        let channels: Vec<(u16, SocketAddr)> = self
            .channels
            .iter()
            .filter(|(_, c)| c.peer.ip() == peer)
            .map(|(&n, c)| (n, c.peer))
            .collect();
        for (number, address) in channels {
            self.channels.remove(&number);
            self.channel_of.remove(&address);
        }
        let stale: Vec<TransactionId> = self
            .pending
            .iter()
            .filter(|(_, p)| match p.request {
                Request::CreatePermission(ip) => ip == peer,
                Request::ChannelBind { peer: address, .. } => address.ip() == peer,
                _ => false,
            })
            .map(|(&id, _)| id)
            .collect();
        for id in stale {
            self.stun.cancel(id);
            self.pending.remove(&id);
        }
        self.permissions.remove(&peer).is_some()
    }

    /// Binds the next free channel number to `peer` (RFC 8656 §12.1) and returns it; a channel
    /// already bound or being bound to `peer` keeps its number. Also asks for a permission for
    /// the peer's address if there is none: ChannelData needs it and permissions expire sooner
    /// than channels (RFC 8656 §12.1). The binding is refreshed every 9 minutes (bindings last
    /// 10). Until [`ClientEvent::ChannelBound`], [`TurnClient::send_to`] uses Send indications.
    pub fn bind_channel(&mut self, now: Instant, peer: SocketAddr) -> Result<u16, Error> {
        self.check_open()?;
        if let Some(&number) = self.channel_of.get(&peer) {
            return Ok(number);
        }
        if self.next_channel > CHANNEL_MAX {
            return Err(Error::ChannelsExhausted);
        }
        let number = self.next_channel;
        self.next_channel += 1;
        self.channels.insert(
            number,
            Channel {
                peer,
                due: Some(now),
                expires: None,
            },
        );
        self.channel_of.insert(peer, number);
        self.create_permission(now, peer.ip())?;
        Ok(number)
    }

    /// Deletes the allocation: a Refresh with LIFETIME 0 (RFC 8656 §8.1), then
    /// [`ClientEvent::Closed`]. Permissions and channels are forgotten at once. Called while the
    /// Allocate transaction runs, the allocation is deleted as soon as it exists. Closing twice
    /// is no error.
    pub fn close(&mut self, now: Instant) -> Result<(), Error> {
        match &mut self.state {
            State::Idle => self.finish_close(),
            State::Allocating { close_requested } => {
                *close_requested = true;
                self.permissions.clear();
                self.channels.clear();
                self.channel_of.clear();
            }
            State::Allocated(_) => {
                self.clear();
                self.state = State::Closing;
                if let Err(e) = self.send_request(now, Request::Refresh { delete: true }, false) {
                    self.finish_close();
                    return Err(e);
                }
            }
            State::Closing | State::Closed | State::Failed => {}
        }
        Ok(())
    }

    /// Writes `data` for `peer` into `out`, for the caller to send to the server, and returns
    /// its length: ChannelData when a channel to `peer` is bound (RFC 8656 §12.5; padded to 4
    /// bytes over TCP), else a Send indication (§11.1). `out` needs `data.len()` plus
    /// [`SEND_OVERHEAD`] bytes.
    ///
    /// Fails with [`Error::NoAllocation`] unless allocated, and with [`Error::NoPermission`]
    /// when no permission for the peer's address is wanted (the server would drop the data).
    pub fn send_to(
        &mut self,
        now: Instant,
        peer: SocketAddr,
        data: &[u8],
        out: &mut [u8],
    ) -> Result<usize, Error> {
        if !matches!(self.state, State::Allocated(_)) {
            return Err(Error::NoAllocation);
        }
        if !self.permissions.contains_key(&peer.ip()) {
            return Err(Error::NoPermission);
        }
        if let Some(channel) = self.channel(now, peer) {
            return ChannelData { channel, data }.emit(out, self.transport == Transport::Tcp);
        }
        // RFC 8656 §11.1: XOR-PEER-ADDRESS and DATA. Indications are not authenticated (§5).
        let tid = self.next_transaction_id();
        let mut b = MessageBuilder::new(out, Class::Indication, Method::SEND, tid)?;
        b.add(&Attribute::XorPeerAddress(peer))?
            .add(&Attribute::Data(data))?;
        Ok(b.len())
    }

    // ---- input ----

    /// Handles a datagram (UDP) or a whole frame (TCP, see [`crate::frame_len`]) from the
    /// server. Data a peer sent (a Data indication, RFC 8656 §11.4, or ChannelData, §12.6) is
    /// returned, borrowed from `bytes`; responses to the client's requests are consumed and show
    /// in [`TurnClient::poll_event`].
    ///
    /// What RFC 8656 says to discard is returned as an error and changes nothing: bytes that
    /// are neither STUN nor ChannelData ([`Error::NotTurn`], which includes the reserved channel
    /// range 0x5000-0xFFFF), malformed messages, ChannelData on a channel not bound
    /// ([`Error::ChannelNotBound`]), data from a peer without a permission
    /// ([`Error::NoPermission`]), responses that match no request or fail the integrity check
    /// (RFC 8489 §9.2.5; the request's retransmissions continue).
    pub fn handle_input<'a>(
        &mut self,
        now: Instant,
        bytes: &'a [u8],
    ) -> Result<Option<Received<'a>>, Error> {
        // RFC 7983 §7 / RFC 8656 §12: the first byte tells STUN (0-3) from ChannelData (64-79).
        match bytes.first() {
            Some(0x40..=0x4F) => self.channel_data(bytes).map(Some),
            Some(0..=3) | None => {
                let message = Message::parse(bytes)?;
                match (message.class(), message.method()) {
                    (Class::Indication, Method::DATA) => self.data_indication(&message),
                    (Class::Success | Class::Error, _) => {
                        self.on_response(now, &message)?;
                        Ok(None)
                    }
                    (class, method) => Err(Error::UnexpectedMessage { class, method }),
                }
            }
            Some(_) => Err(Error::NotTurn),
        }
    }

    /// Advances timers: request retransmissions and timeouts, and the refreshes of the
    /// allocation, its permissions and its channels. Calling it early does nothing.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.stun.handle_timeout(now);
        while let Some(rtc_stun::ClientEvent::TimedOut(id)) = self.stun.poll_event() {
            if let Some(p) = self.pending.remove(&id) {
                if p.integrity_failed {
                    self.fail(p.request, Failure::IntegrityViolated);
                } else if !self.retry_refresh(now, p.request) {
                    self.fail(p.request, Failure::TimedOut);
                }
            }
        }
        if let State::Allocated(a) = &mut self.state {
            if now >= a.expires {
                self.lose_allocation(Failure::Expired);
                return;
            }
            if a.refresh_due.is_some_and(|due| now >= due) {
                a.refresh_due = None;
                // RFC 8656 §8: refresh before expiry, with the LIFETIME asked for at first.
                if let Err(e) = self.send_request(now, Request::Refresh { delete: false }, false) {
                    self.lose_allocation(Failure::Local(e));
                    return;
                }
            }
        }
        self.flush(now);
    }

    // ---- output ----

    /// The next request (or retransmission) to send to the server.
    pub fn poll_transmit(&mut self) -> Option<Transmit<'_>> {
        let transport = self.transport;
        self.stun.poll_transmit().map(|t| Transmit {
            destination: t.destination,
            transport,
            contents: t.contents,
        })
    }

    /// When [`TurnClient::handle_timeout`] should next be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let mut at = self.stun.poll_timeout();
        if let State::Allocated(a) = &self.state {
            at = earliest(at, a.refresh_due);
            at = earliest(at, Some(a.expires));
            for p in self.permissions.values() {
                at = earliest(at, p.due);
            }
            for c in self.channels.values() {
                at = earliest(at, c.due);
            }
        }
        at
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<ClientEvent> {
        self.events.pop_front()
    }

    // ---- internals ----

    /// Requests are refused once the allocation is closing, closed or lost.
    fn check_open(&self) -> Result<(), Error> {
        match self.state {
            State::Idle | State::Allocating { .. } | State::Allocated(_) => Ok(()),
            State::Closing | State::Closed | State::Failed => Err(Error::NoAllocation),
        }
    }

    /// Transaction id number `n`: the first 12 bytes of HMAC-SHA1(seed, n), unpredictable
    /// without the seed (RFC 8489 §5).
    fn next_transaction_id(&mut self) -> TransactionId {
        let mac = self.tid_key.sign(&[&self.tid_counter.to_be_bytes()]);
        self.tid_counter += 1;
        let mut id = [0u8; 12];
        id.copy_from_slice(&mac[..12]);
        TransactionId::new(id)
    }

    /// Builds `request` with a fresh transaction id, with credentials once the server's
    /// challenge supplied REALM and NONCE, and starts its transaction.
    fn send_request(
        &mut self,
        now: Instant,
        request: Request,
        stale_retried: bool,
    ) -> Result<(), Error> {
        let tid = self.next_transaction_id();
        let lifetime = self
            .config
            .lifetime
            .map(|l| u32::try_from(l.as_secs()).unwrap_or(u32::MAX));
        let mut b = MessageBuilder::new(&mut self.scratch, Class::Request, request.method(), tid)?;
        match request {
            Request::Allocate => {
                b.add(&Attribute::RequestedTransport(PROTOCOL_UDP))?;
                if let Some(seconds) = lifetime {
                    b.add(&Attribute::Lifetime(seconds))?;
                }
            }
            Request::Refresh { delete: true } => {
                b.add(&Attribute::Lifetime(0))?;
            }
            Request::Refresh { delete: false } => {
                if let Some(seconds) = lifetime {
                    b.add(&Attribute::Lifetime(seconds))?;
                }
            }
            Request::CreatePermission(ip) => {
                // RFC 8656 §10.1: the port is ignored.
                b.add(&Attribute::XorPeerAddress(SocketAddr::new(ip, 0)))?;
            }
            Request::ChannelBind { channel, peer } => {
                b.add(&Attribute::ChannelNumber(channel))?
                    .add(&Attribute::XorPeerAddress(peer))?;
            }
        }
        if matches!(request, Request::Allocate | Request::Refresh { .. }) {
            if let Some(software) = &self.config.software {
                b.add(&Attribute::Software(software))?;
            }
        }
        // RFC 8489 §9.2.3.2: USERNAME, REALM, NONCE and MESSAGE-INTEGRITY on every request once
        // the server has challenged.
        if let Some(auth) = &self.auth {
            b.add(&Attribute::Username(&self.username))?
                .add(&Attribute::Realm(&auth.realm))?
                .add(&Attribute::Nonce(&auth.nonce))?;
            b.add_message_integrity(&auth.key)?;
        }
        // RFC 8656 §5 allows FINGERPRINT; it lets the server's responses be told from other
        // protocols on a shared port.
        b.add_fingerprint()?;
        let len = b.len();
        let transport = match self.transport {
            Transport::Udp => rtc_stun::Transport::Unreliable,
            Transport::Tcp => rtc_stun::Transport::Reliable,
        };
        self.stun
            .start(now, self.server, transport, &self.scratch[..len])?;
        self.pending.insert(
            tid,
            Pending {
                request,
                started: now,
                authenticated: self.auth.is_some(),
                stale_retried,
                integrity_failed: false,
            },
        );
        Ok(())
    }

    /// Sends the CreatePermission and ChannelBind requests that are due, once allocated.
    fn flush(&mut self, now: Instant) {
        if !matches!(self.state, State::Allocated(_)) {
            return;
        }
        let due: Vec<IpAddr> = self
            .permissions
            .iter()
            .filter(|(_, p)| p.due.is_some_and(|d| d <= now))
            .map(|(&ip, _)| ip)
            .collect();
        for ip in due {
            if let Some(p) = self.permissions.get_mut(&ip) {
                p.due = None;
            }
            let request = Request::CreatePermission(ip);
            if let Err(e) = self.send_request(now, request, false) {
                self.fail(request, Failure::Local(e));
            }
        }
        let due: Vec<(u16, SocketAddr)> = self
            .channels
            .iter()
            .filter(|(_, c)| c.due.is_some_and(|d| d <= now))
            .map(|(&n, c)| (n, c.peer))
            .collect();
        for (channel, peer) in due {
            if let Some(c) = self.channels.get_mut(&channel) {
                c.due = None;
            }
            let request = Request::ChannelBind { channel, peer };
            if let Err(e) = self.send_request(now, request, false) {
                self.fail(request, Failure::Local(e));
            }
        }
    }

    /// RFC 8656 §12.6 on the client: data on a bound (or being bound) channel from a peer with
    /// a permission.
    fn channel_data<'a>(&self, bytes: &'a [u8]) -> Result<Received<'a>, Error> {
        let cd = ChannelData::parse(bytes)?;
        let channel = self
            .channels
            .get(&cd.channel)
            .ok_or(Error::ChannelNotBound(cd.channel))?;
        if !self.permissions.contains_key(&channel.peer.ip()) {
            return Err(Error::NoPermission);
        }
        Ok(Received {
            peer: channel.peer,
            data: cd.data,
        })
    }

    /// RFC 8656 §11.4: XOR-PEER-ADDRESS from a peer with a permission, and DATA. A Data
    /// indication carrying ICMP instead (§11.6) is accepted and ignored.
    fn data_indication<'a>(&self, message: &Message<'a>) -> Result<Option<Received<'a>>, Error> {
        let Some(Attribute::XorPeerAddress(peer)) = message.get(AttributeType::XOR_PEER_ADDRESS)
        else {
            return Err(Error::MissingAttribute(AttributeType::XOR_PEER_ADDRESS));
        };
        if !self.permissions.contains_key(&peer.ip()) {
            return Err(Error::NoPermission);
        }
        match message.get(AttributeType::DATA) {
            Some(Attribute::Data(data)) => Ok(Some(Received { peer, data })),
            _ if message.get(AttributeType::ICMP).is_some() => Ok(None),
            _ => Err(Error::MissingAttribute(AttributeType::DATA)),
        }
    }

    /// A success or error response from the server.
    fn on_response(&mut self, now: Instant, message: &Message<'_>) -> Result<(), Error> {
        let id = message.transaction_id();
        let Some(pending) = self.pending.get_mut(&id) else {
            return Err(rtc_stun::Error::UnmatchedResponse.into());
        };
        let code = match message.class() {
            Class::Error => Some(
                message
                    .error_code()
                    .ok_or(Error::MissingAttribute(AttributeType::ERROR_CODE))?
                    .code,
            ),
            _ => None,
        };
        // RFC 8489 §9.2.5: an answer to an authenticated request must carry a valid
        // MESSAGE-INTEGRITY, except the 401 and 438 challenges (the server could not check
        // ours). Otherwise it is discarded: over UDP retransmissions continue and a timeout
        // reports the violation; over TCP the transaction ends at once.
        let challenge = matches!(code, Some(401 | 438));
        if pending.authenticated && !challenge {
            let verified = match &self.auth {
                Some(auth) => message.verify_integrity(&auth.key),
                None => Err(rtc_stun::Error::MissingIntegrity),
            };
            if let Err(e) = verified {
                match self.transport {
                    Transport::Udp => pending.integrity_failed = true,
                    Transport::Tcp => {
                        let request = pending.request;
                        self.stun.cancel(id);
                        self.pending.remove(&id);
                        self.fail(request, Failure::IntegrityViolated);
                    }
                }
                return Err(e.into());
            }
        }
        let pending = *pending;
        self.stun.handle_response(now, message)?;
        self.pending.remove(&id);
        match code {
            None => self.on_success(now, pending, message),
            Some(code @ (401 | 438)) => self.on_challenge(now, pending, message, code),
            // RFC 8656 §8.3: 437 to a delete means it is gone already: success.
            Some(437) if pending.request == (Request::Refresh { delete: true }) => {
                self.finish_close();
            }
            Some(code) => self.fail(pending.request, Failure::ErrorResponse(code)),
        }
        Ok(())
    }

    /// RFC 8489 §9.2.5: a 401 to a request without credentials, or a first 438, is retried in
    /// a new transaction with the REALM and NONCE the response supplies; anything else fails.
    fn on_challenge(&mut self, now: Instant, pending: Pending, message: &Message<'_>, code: u16) {
        let may_retry = match code {
            // A 401 to credentials already sent means the server rejects them (RFC 8656 §7.4).
            401 => !pending.authenticated,
            _ => !pending.stale_retried,
        };
        // A 438 may leave REALM out; the one from the first challenge still holds.
        let known_realm = self.auth.as_ref().map(|a| a.realm.as_str());
        let realm = message.realm().or(known_realm).map(str::to_owned);
        let (true, Some(realm), Some(nonce)) = (may_retry, realm, message.nonce()) else {
            return self.fail(pending.request, Failure::ErrorResponse(code));
        };
        match &mut self.auth {
            Some(auth) if auth.realm == realm => auth.nonce = nonce.to_owned(),
            _ => {
                // RFC 8489 §9.2.2: key = MD5(username ":" realm ":" password). MD5 always
                // gives a key.
                let Some(key) = IntegrityKey::long_term(
                    &self.username,
                    &realm,
                    &self.password,
                    PasswordAlgorithmId::MD5,
                ) else {
                    return self.fail(pending.request, Failure::ErrorResponse(code));
                };
                self.auth = Some(Auth {
                    realm,
                    nonce: nonce.to_owned(),
                    key,
                });
            }
        }
        let stale_retried = pending.stale_retried || code == 438;
        if let Err(e) = self.send_request(now, pending.request, stale_retried) {
            self.fail(pending.request, Failure::Local(e));
        }
    }

    fn on_success(&mut self, now: Instant, pending: Pending, message: &Message<'_>) {
        let started = pending.started;
        match pending.request {
            Request::Allocate => {
                let State::Allocating { close_requested } = self.state else {
                    return;
                };
                // RFC 8656 §7.3: the relayed address and the lifetime granted.
                let Some(Attribute::XorRelayedAddress(relayed)) =
                    message.get(AttributeType::XOR_RELAYED_ADDRESS)
                else {
                    let missing = Failure::MissingAttribute(AttributeType::XOR_RELAYED_ADDRESS);
                    return self.fail(Request::Allocate, missing);
                };
                let Some(lifetime) = lifetime_of(message) else {
                    let missing = Failure::MissingAttribute(AttributeType::LIFETIME);
                    return self.fail(Request::Allocate, missing);
                };
                let mapped = message.xor_mapped_address();
                self.state = State::Allocated(Allocation {
                    relayed,
                    mapped,
                    lifetime,
                    expires: started + lifetime,
                    refresh_due: Some(started + refresh_after(lifetime)),
                });
                if close_requested {
                    // Errors here end in `finish_close`, which reports Closed.
                    let _ = self.close(now);
                    return;
                }
                self.events.push_back(ClientEvent::Allocated {
                    relayed,
                    mapped,
                    lifetime,
                });
                self.flush(now);
            }
            Request::Refresh { delete: true } => self.finish_close(),
            Request::Refresh { delete: false } => {
                let Some(lifetime) = lifetime_of(message) else {
                    let missing = Failure::MissingAttribute(AttributeType::LIFETIME);
                    return self.lose_allocation(missing);
                };
                if lifetime.is_zero() {
                    return self.lose_allocation(Failure::Expired);
                }
                if let State::Allocated(a) = &mut self.state {
                    a.lifetime = lifetime;
                    a.expires = started + lifetime;
                    a.refresh_due = Some(started + refresh_after(lifetime));
                    self.events.push_back(ClientEvent::Refreshed { lifetime });
                }
            }
            Request::CreatePermission(ip) => {
                let Some(p) = self.permissions.get_mut(&ip) else {
                    return;
                };
                let first = p.expires.is_none();
                p.expires = Some(started + PERMISSION_LIFETIME);
                p.due = Some(started + refresh_after(PERMISSION_LIFETIME));
                if first {
                    self.events.push_back(ClientEvent::PermissionCreated(ip));
                }
            }
            Request::ChannelBind { channel, peer } => {
                let Some(c) = self.channels.get_mut(&channel).filter(|c| c.peer == peer) else {
                    return;
                };
                let first = c.expires.is_none();
                c.expires = Some(started + CHANNEL_LIFETIME);
                c.due = Some(started + refresh_after(CHANNEL_LIFETIME));
                // RFC 8656 §12.3: the binding installed or refreshed the permission too.
                if let Some(p) = self.permissions.get_mut(&peer.ip()) {
                    if let (Some(expires), Some(due)) = (p.expires, p.due) {
                        p.expires = Some(expires.max(started + PERMISSION_LIFETIME));
                        p.due = Some(due.max(started + refresh_after(PERMISSION_LIFETIME)));
                    }
                }
                if first {
                    self.events
                        .push_back(ClientEvent::ChannelBound { peer, channel });
                }
            }
        }
    }

    /// A refresh that timed out is sent again at once while what it refreshes still lasts on
    /// the server: one transaction lost to a bad minute must not cost an allocation, a
    /// permission or a channel that the next one can still save. Returns false when nothing
    /// is left to save.
    fn retry_refresh(&mut self, now: Instant, request: Request) -> bool {
        match request {
            Request::Refresh { delete: false } => match &mut self.state {
                State::Allocated(a) if now < a.expires => {
                    a.refresh_due = Some(now);
                    true
                }
                _ => false,
            },
            Request::CreatePermission(ip) => match self.permissions.get_mut(&ip) {
                Some(p) if p.expires.is_some_and(|e| now < e) => {
                    p.due = Some(now);
                    true
                }
                _ => false,
            },
            Request::ChannelBind { channel, .. } => match self.channels.get_mut(&channel) {
                Some(c) if c.expires.is_some_and(|e| now < e) => {
                    c.due = Some(now);
                    true
                }
                _ => false,
            },
            Request::Allocate | Request::Refresh { delete: true } => false,
        }
    }

    /// `request` failed for good.
    fn fail(&mut self, request: Request, failure: Failure) {
        // RFC 8656 §5: a 437 to anything but Allocate means the allocation is gone.
        let gone = failure == Failure::ErrorResponse(437);
        match request {
            Request::Allocate => {
                let close_requested = matches!(
                    self.state,
                    State::Allocating {
                        close_requested: true
                    }
                );
                self.clear();
                if close_requested {
                    self.state = State::Closed;
                    self.events.push_back(ClientEvent::Closed);
                } else {
                    self.state = State::Failed;
                    self.events
                        .push_back(ClientEvent::AllocationFailed(failure));
                }
            }
            // The allocation expires on its own if the delete did not reach the server.
            Request::Refresh { delete: true } => self.finish_close(),
            Request::Refresh { delete: false } => self.lose_allocation(failure),
            _ if gone => self.lose_allocation(failure),
            Request::CreatePermission(peer) => {
                if self.permissions.remove(&peer).is_some() {
                    self.events
                        .push_back(ClientEvent::PermissionFailed { peer, failure });
                }
            }
            Request::ChannelBind { channel, peer } => {
                if self.channels.remove(&channel).is_some() {
                    self.channel_of.remove(&peer);
                    self.events.push_back(ClientEvent::ChannelBindFailed {
                        peer,
                        channel,
                        failure,
                    });
                }
            }
        }
    }

    /// The allocation is lost: everything stops and [`ClientEvent::Failed`] reports why.
    fn lose_allocation(&mut self, failure: Failure) {
        if !matches!(self.state, State::Allocated(_)) {
            return;
        }
        self.clear();
        self.state = State::Failed;
        self.events.push_back(ClientEvent::Failed(failure));
    }

    fn finish_close(&mut self) {
        self.clear();
        self.state = State::Closed;
        self.events.push_back(ClientEvent::Closed);
    }

    /// Drops every request in flight, permission and channel.
    fn clear(&mut self) {
        for id in self.pending.keys() {
            self.stun.cancel(*id);
        }
        self.pending.clear();
        self.permissions.clear();
        self.channels.clear();
        self.channel_of.clear();
    }
}

/// LIFETIME of a response.
fn lifetime_of(message: &Message<'_>) -> Option<Duration> {
    match message.get(AttributeType::LIFETIME) {
        Some(Attribute::Lifetime(seconds)) => Some(Duration::from_secs(u64::from(seconds))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SERVER: &str = "192.0.2.100:3478";

    fn client() -> TurnClient {
        TurnClient::new(
            SERVER.parse().unwrap(),
            Transport::Udp,
            "alice".into(),
            "secret".into(),
            ClientConfig::default(),
            [3; 32],
        )
    }

    #[test]
    fn transaction_ids_follow_the_seed() {
        let mut a = client();
        let mut b = client();
        let ids: Vec<_> = (0..4).map(|_| a.next_transaction_id()).collect();
        let again: Vec<_> = (0..4).map(|_| b.next_transaction_id()).collect();
        assert_eq!(ids, again);
        for (i, id) in ids.iter().enumerate() {
            assert!(ids[i + 1..].iter().all(|other| other != id));
        }
        let mut c = TurnClient::new(
            SERVER.parse().unwrap(),
            Transport::Udp,
            "alice".into(),
            "secret".into(),
            ClientConfig::default(),
            [4; 32],
        );
        assert_ne!(c.next_transaction_id(), ids[0]);
    }

    #[test]
    fn refresh_margins() {
        assert_eq!(
            refresh_after(Duration::from_secs(600)),
            Duration::from_secs(540)
        );
        assert_eq!(refresh_after(PERMISSION_LIFETIME), Duration::from_secs(240));
        assert_eq!(
            refresh_after(Duration::from_secs(80)),
            Duration::from_secs(40)
        );
    }
}
