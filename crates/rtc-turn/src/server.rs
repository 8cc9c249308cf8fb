//! Sans-IO TURN server core (RFC 8656 §6-§12).
//!
//! The driver owns the sockets: the listening ones (UDP and TCP) through which clients talk,
//! and one UDP socket per relayed address, which it opens and closes when the core says
//! ([`ServerEvent::RelayOpened`], [`ServerEvent::RelayClosed`]). It feeds client input to
//! [`TurnServer::handle_client`], peer datagrams to [`TurnServer::handle_peer`], and sends what
//! [`TurnServer::poll_transmit`] returns from the socket it names.

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::ops::RangeInclusive;
use std::time::{Duration, Instant};

use rtc_crypto::HmacSha1;
use rtc_stun::{
    Attribute, AttributeType, Class, ErrorCode, IntegrityKey, Message, MessageBuilder, Method,
    PasswordAlgorithmId, TransactionId,
};

use crate::channel_data::{ChannelData, is_channel_data, is_legacy_channel};
use crate::credentials::{rest_expiry, rest_password};
use crate::{Error, Transport};

/// RFC 8656 §9: permissions last 300 s.
const PERMISSION_LIFETIME: Duration = Duration::from_secs(300);
/// RFC 8656 §7.2: a port reserved by EVEN-PORT R=1 is held at least 30 s.
const RESERVATION_LIFETIME: Duration = Duration::from_secs(30);
/// RFC 8656 §12: channel bindings last 600 s.
const CHANNEL_LIFETIME: Duration = Duration::from_secs(600);
/// Room for any response this server writes (SOFTWARE is at most 763 bytes).
const RESPONSE_CAPACITY: usize = 1024;
/// Room for the headers of a Data indication around relayed data.
const DATA_INDICATION_OVERHEAD: usize = 64;

/// Who may allocate.
#[derive(Debug, Clone, Default)]
pub struct Credentials {
    /// Static users and their passwords (long-term credentials, RFC 8489 §9.2).
    pub users: HashMap<String, String>,
    /// Shared secret of the TURN REST API: usernames `expiry:user` with password
    /// `base64(HMAC-SHA1(secret, username))`, valid until `expiry` (Unix seconds).
    pub shared_secret: Option<Vec<u8>>,
}

/// Token bucket for the bytes an allocation relays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Sustained bytes per second.
    pub bytes_per_second: u64,
    /// Burst size in bytes.
    pub burst: u64,
}

/// Server policy.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// REALM (RFC 8489 §14.9).
    pub realm: String,
    /// SOFTWARE in responses.
    pub software: Option<String>,
    /// Who may allocate.
    pub credentials: Credentials,
    /// The address relayed transport addresses use.
    pub relay_ip: IpAddr,
    /// Ports for relayed transport addresses (RFC 8656 §7.2: 49152-65535 by default).
    pub relay_ports: RangeInclusive<u16>,
    /// Lifetime granted when the client asks for none (600 s).
    pub default_lifetime: Duration,
    /// Longest lifetime granted (3600 s).
    pub max_lifetime: Duration,
    /// How long a NONCE stays valid before 438 (Stale Nonce).
    pub nonce_lifetime: Duration,
    /// Allocations one user may hold (RFC 8656 §7.2 step 10: 486).
    pub max_allocations_per_user: usize,
    /// Allocations in all.
    pub max_allocations: usize,
    /// Relay to loopback peers (off: no open relay into the server's own host).
    pub allow_loopback_peers: bool,
    /// Relay to private and link-local ranges (off: no relay into the server's network).
    pub allow_private_peers: bool,
    /// Per-allocation rate limit on relayed bytes, both directions.
    pub rate_limit: Option<RateLimit>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            realm: "rtc".to_owned(),
            software: None,
            credentials: Credentials::default(),
            relay_ip: IpAddr::from([127, 0, 0, 1]),
            relay_ports: 49152..=65535,
            default_lifetime: Duration::from_secs(600),
            max_lifetime: Duration::from_secs(3600),
            nonce_lifetime: Duration::from_secs(600),
            max_allocations_per_user: 10,
            max_allocations: 10_000,
            allow_loopback_peers: false,
            allow_private_peers: false,
            rate_limit: None,
        }
    }
}

/// The 5-tuple that names an allocation (RFC 8656 §2): client address, server address,
/// transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FiveTuple {
    /// The client's address as the server sees it.
    pub client: SocketAddr,
    /// The server address the client talks to.
    pub server: SocketAddr,
    /// UDP or TCP between client and server.
    pub transport: Transport,
}

/// What the driver must do besides sending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerEvent {
    /// Open a UDP socket bound to this relayed address, and feed what it receives to
    /// [`TurnServer::handle_peer`]. If binding fails, call [`TurnServer::relay_failed`].
    RelayOpened(SocketAddr),
    /// Close the socket of this relayed address.
    RelayClosed(SocketAddr),
}

/// A message to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerTransmit<'a> {
    /// The local address to send from: a listening address (to clients) or a relayed address
    /// (to peers).
    pub source: SocketAddr,
    /// Where to.
    pub destination: SocketAddr,
    /// UDP, or TCP on the client's connection.
    pub transport: Transport,
    /// The bytes.
    pub contents: &'a [u8],
}

/// Bytes relayed and requests answered, for monitoring.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ServerStats {
    /// Allocations live now.
    pub allocations: usize,
    /// Datagrams relayed client to peer.
    pub to_peer_packets: u64,
    /// Datagrams relayed peer to client.
    pub to_client_packets: u64,
    /// Datagrams dropped (no permission, no channel, rate limit, malformed).
    pub dropped_packets: u64,
}

#[derive(Debug)]
struct Channel {
    peer: SocketAddr,
    expires: Instant,
}

#[derive(Debug)]
struct Allocation {
    tuple: FiveTuple,
    relay: SocketAddr,
    username: String,
    expires: Instant,
    /// Transaction id of the Allocate request that made it, to answer its retransmissions.
    allocate_transaction: TransactionId,
    permissions: HashMap<IpAddr, Instant>,
    channels: HashMap<u16, Channel>,
    /// Peer to channel, for the reverse lookup when relaying to the client.
    peer_channels: HashMap<SocketAddr, u16>,
    tokens: f64,
    refilled: Instant,
}

impl Allocation {
    fn has_permission(&self, peer: IpAddr, now: Instant) -> bool {
        self.permissions.get(&peer).is_some_and(|&e| e > now)
    }

    /// Takes `bytes` from the bucket; false when the allocation is over its rate.
    fn take(&mut self, limit: Option<RateLimit>, bytes: usize, now: Instant) -> bool {
        let Some(limit) = limit else {
            return true;
        };
        let elapsed = now.saturating_duration_since(self.refilled).as_secs_f64();
        self.refilled = now;
        self.tokens =
            (self.tokens + elapsed * limit.bytes_per_second as f64).min(limit.burst as f64);
        if self.tokens >= bytes as f64 {
            self.tokens -= bytes as f64;
            true
        } else {
            false
        }
    }
}

/// The outcome of authenticating a request.
enum Auth {
    Ok {
        username: String,
        key: Box<IntegrityKey>,
    },
    Reject {
        code: ErrorCode<'static>,
        nonce: bool,
    },
}

/// The TURN server core.
pub struct TurnServer {
    config: ServerConfig,
    /// Key for stateless nonces; from the caller's secure random.
    nonce_key: HmacSha1,
    /// Origin for nonce timestamps.
    origin: Option<Instant>,
    /// Unix time at `origin`, for REST credential expiry; set by the driver.
    unix_at_origin: Option<u64>,
    allocations: HashMap<FiveTuple, Allocation>,
    by_relay: HashMap<SocketAddr, FiveTuple>,
    per_user: HashMap<String, usize>,
    /// Relayed addresses held for a RESERVATION-TOKEN, and until when.
    reservations: HashMap<u64, (SocketAddr, Instant)>,
    reservation_counter: u64,
    next_port: u16,
    queue: VecDeque<(SocketAddr, SocketAddr, Transport, Vec<u8>)>,
    current: Option<Vec<u8>>,
    spare: Vec<Vec<u8>>,
    events: VecDeque<ServerEvent>,
    stats: ServerStats,
}

impl std::fmt::Debug for TurnServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TurnServer")
            .field("realm", &self.config.realm)
            .field("allocations", &self.allocations.len())
            .finish_non_exhaustive()
    }
}

/// Peers the server refuses to relay to unless configured (no open relay, RFC 8656 §21.3).
fn is_forbidden_peer(ip: IpAddr, config: &ServerConfig) -> bool {
    let loopback = ip.is_loopback();
    let private = match ip {
        IpAddr::V4(v4) => v4.is_private() || v4.is_link_local() || v4.is_unspecified(),
        IpAddr::V6(v6) => v6.is_unique_local() || v6.is_unicast_link_local() || v6.is_unspecified(),
    };
    (loopback && !config.allow_loopback_peers) || (private && !config.allow_private_peers)
}

impl TurnServer {
    /// A server. `nonce_secret` keys its nonces: take it from a secure random source.
    pub fn new(config: ServerConfig, nonce_secret: [u8; 16]) -> Self {
        let next_port = *config.relay_ports.start();
        Self {
            config,
            nonce_key: HmacSha1::new(&nonce_secret),
            origin: None,
            unix_at_origin: None,
            allocations: HashMap::new(),
            by_relay: HashMap::new(),
            per_user: HashMap::new(),
            reservations: HashMap::new(),
            reservation_counter: 0,
            next_port,
            queue: VecDeque::new(),
            current: None,
            spare: Vec::new(),
            events: VecDeque::new(),
            stats: ServerStats::default(),
        }
    }

    /// Tells the server the wall-clock time at `now`, which REST credentials need.
    pub fn set_unix_time(&mut self, now: Instant, unix_seconds: u64) {
        let origin = *self.origin.get_or_insert(now);
        let since = now.saturating_duration_since(origin).as_secs();
        self.unix_at_origin = Some(unix_seconds.saturating_sub(since));
    }

    /// Counters.
    pub fn stats(&self) -> ServerStats {
        ServerStats {
            allocations: self.allocations.len(),
            ..self.stats
        }
    }

    /// The relayed address of a client's allocation.
    pub fn relay_of(&self, tuple: &FiveTuple) -> Option<SocketAddr> {
        self.allocations.get(tuple).map(|a| a.relay)
    }

    fn seconds(&mut self, now: Instant) -> u64 {
        let origin = *self.origin.get_or_insert(now);
        now.saturating_duration_since(origin).as_secs()
    }

    /// A nonce that carries its issue time and a MAC over it, so that it can be checked
    /// without state: 16 hex digits of time, 16 of MAC.
    fn make_nonce(&mut self, now: Instant) -> String {
        let t = self.seconds(now);
        let mac = self.nonce_key.sign(&[&t.to_be_bytes()]);
        let mut nonce = format!("{t:016x}");
        for b in &mac[..8] {
            nonce.push_str(&format!("{b:02x}"));
        }
        nonce
    }

    fn nonce_is_fresh(&mut self, nonce: &str, now: Instant) -> Option<bool> {
        if nonce.len() != 32 || !nonce.is_ascii() {
            return None;
        }
        let t = u64::from_str_radix(&nonce[..16], 16).ok()?;
        let mac = self.nonce_key.sign(&[&t.to_be_bytes()]);
        let expected: String = mac[..8].iter().map(|b| format!("{b:02x}")).collect();
        if !rtc_crypto::constant_time_eq(expected.as_bytes(), &nonce.as_bytes()[16..]) {
            return None;
        }
        let age = self.seconds(now).saturating_sub(t);
        Some(age < self.config.nonce_lifetime.as_secs())
    }

    fn unix_now(&self, now: Instant) -> Option<u64> {
        let origin = self.origin?;
        Some(self.unix_at_origin? + now.saturating_duration_since(origin).as_secs())
    }

    fn password_of(&self, username: &str, now: Instant) -> Option<String> {
        if let Some(p) = self.config.credentials.users.get(username) {
            return Some(p.clone());
        }
        let secret = self.config.credentials.shared_secret.as_ref()?;
        let expiry = rest_expiry(username)?;
        if expiry <= self.unix_now(now)? {
            return None;
        }
        Some(rest_password(secret, username))
    }

    /// The long-term credential mechanism (RFC 8489 §9.2.4).
    /// The long-term credential mechanism (RFC 8489 §9.2.4): the nonce must be one of ours,
    /// the integrity must verify, and only then is the nonce's age checked (438). A
    /// retransmission of the Allocate that made an allocation is answered even with a nonce that
    /// went stale since (RFC 8656 §5: retransmissions get the same answer).
    fn authenticate(&mut self, request: &Message<'_>, now: Instant, retransmission: bool) -> Auth {
        let reject = |code, nonce| Auth::Reject { code, nonce };
        if !request.has_integrity() {
            return reject(ErrorCode::UNAUTHENTICATED, true);
        }
        let (Some(username), Some(realm), Some(nonce)) =
            (request.username(), request.realm(), request.nonce())
        else {
            return reject(ErrorCode::BAD_REQUEST, false);
        };
        let Some(fresh) = self.nonce_is_fresh(nonce, now) else {
            return reject(ErrorCode::UNAUTHENTICATED, true);
        };
        if realm != self.config.realm {
            return reject(ErrorCode::UNAUTHENTICATED, true);
        }
        let Some(password) = self.password_of(username, now) else {
            return reject(ErrorCode::UNAUTHENTICATED, true);
        };
        let Some(key) =
            IntegrityKey::long_term(username, realm, &password, PasswordAlgorithmId::MD5)
        else {
            return reject(ErrorCode::SERVER_ERROR, false);
        };
        if request.verify_integrity(&key).is_err() {
            return reject(ErrorCode::UNAUTHENTICATED, true);
        }
        if !fresh && !retransmission {
            return reject(ErrorCode::STALE_NONCE, true);
        }
        Auth::Ok {
            username: username.to_owned(),
            key: Box::new(key),
        }
    }

    /// A recycled buffer of `capacity` bytes: a running server does not allocate per packet.
    fn buffer(&mut self, capacity: usize) -> Vec<u8> {
        let mut b = self.spare.pop().unwrap_or_default();
        b.clear();
        b.resize(capacity, 0);
        b
    }

    fn push(
        &mut self,
        source: SocketAddr,
        destination: SocketAddr,
        transport: Transport,
        mut b: Vec<u8>,
        len: usize,
    ) {
        b.truncate(len);
        self.queue.push_back((source, destination, transport, b));
    }

    /// Queues an error response.
    fn respond_error(
        &mut self,
        tuple: FiveTuple,
        request: &Message<'_>,
        code: ErrorCode<'_>,
        key: Option<&IntegrityKey>,
        with_nonce: bool,
        now: Instant,
    ) -> Result<(), Error> {
        let nonce = with_nonce.then(|| self.make_nonce(now));
        let realm = self.config.realm.clone();
        let mut out = self.buffer(RESPONSE_CAPACITY);
        let mut b = MessageBuilder::new(
            &mut out,
            Class::Error,
            request.method(),
            request.transaction_id(),
        )?;
        b.add(&Attribute::ErrorCode(code))?;
        if let Some(nonce) = &nonce {
            b.add(&Attribute::Realm(&realm))?
                .add(&Attribute::Nonce(nonce))?;
        }
        if let Some(software) = &self.config.software {
            b.add(&Attribute::Software(software))?;
        }
        if let Some(key) = key {
            b.add_message_integrity(key)?;
        }
        if request.has_fingerprint() {
            b.add_fingerprint()?;
        }
        let len = b.len();
        self.push(tuple.server, tuple.client, tuple.transport, out, len);
        Ok(())
    }

    /// Queues a success response with `attributes`, signed with `key`.
    fn respond_success(
        &mut self,
        tuple: FiveTuple,
        request: &Message<'_>,
        attributes: &[Attribute<'_>],
        key: &IntegrityKey,
    ) -> Result<(), Error> {
        let mut out = self.buffer(RESPONSE_CAPACITY);
        let mut b = MessageBuilder::new(
            &mut out,
            Class::Success,
            request.method(),
            request.transaction_id(),
        )?;
        for a in attributes {
            b.add(a)?;
        }
        if let Some(software) = &self.config.software {
            b.add(&Attribute::Software(software))?;
        }
        b.add_message_integrity(key)?;
        if request.has_fingerprint() {
            b.add_fingerprint()?;
        }
        let len = b.len();
        self.push(tuple.server, tuple.client, tuple.transport, out, len);
        Ok(())
    }

    /// Handles a datagram (UDP) or a frame (TCP, see [`crate::frame_len`]) from a client.
    pub fn handle_client(
        &mut self,
        now: Instant,
        tuple: FiveTuple,
        bytes: &[u8],
    ) -> Result<(), Error> {
        if is_channel_data(bytes) {
            return self.client_channel_data(now, tuple, bytes);
        }
        let message = Message::parse(bytes)?;
        match (message.class(), message.method()) {
            (Class::Request, Method::BINDING) => {
                let mut out = self.buffer(RESPONSE_CAPACITY);
                let mut b = MessageBuilder::new(
                    &mut out,
                    Class::Success,
                    Method::BINDING,
                    message.transaction_id(),
                )?;
                b.add(&Attribute::XorMappedAddress(tuple.client))?;
                if message.has_fingerprint() {
                    b.add_fingerprint()?;
                }
                let len = b.len();
                self.push(tuple.server, tuple.client, tuple.transport, out, len);
                Ok(())
            }
            (Class::Request, Method::ALLOCATE) => self.allocate(now, tuple, &message),
            (Class::Request, Method::REFRESH) => self.refresh(now, tuple, &message),
            (Class::Request, Method::CREATE_PERMISSION) => {
                self.create_permission(now, tuple, &message)
            }
            (Class::Request, Method::CHANNEL_BIND) => self.channel_bind(now, tuple, &message),
            (Class::Request, _) => {
                self.respond_error(tuple, &message, ErrorCode::BAD_REQUEST, None, false, now)
            }
            (Class::Indication, Method::SEND) => self.send_indication(now, tuple, &message),
            // Other indications and stray responses: nothing to answer.
            _ => Ok(()),
        }
    }

    fn allocate(
        &mut self,
        now: Instant,
        tuple: FiveTuple,
        request: &Message<'_>,
    ) -> Result<(), Error> {
        let retransmission = self
            .allocations
            .get(&tuple)
            .is_some_and(|a| a.allocate_transaction == request.transaction_id());
        let (username, key) = match self.authenticate(request, now, retransmission) {
            Auth::Ok { username, key } => (username, key),
            Auth::Reject { code, nonce } => {
                return self.respond_error(tuple, request, code, None, nonce, now);
            }
        };
        // RFC 8656 §7.2 step 2: one allocation per 5-tuple; a retransmitted Allocate gets its
        // success response again.
        if let Some(existing) = self.allocations.get(&tuple) {
            if existing.allocate_transaction == request.transaction_id() {
                let (relay, left) = (
                    existing.relay,
                    existing.expires.saturating_duration_since(now),
                );
                return self.respond_success(
                    tuple,
                    request,
                    &[
                        Attribute::XorRelayedAddress(relay),
                        Attribute::Lifetime(left.as_secs() as u32),
                        Attribute::XorMappedAddress(tuple.client),
                    ],
                    &key,
                );
            }
            let code = ErrorCode::new(437, "Allocation Mismatch");
            return self.respond_error(tuple, request, code, Some(&key), false, now);
        }
        let bad =
            |s: &mut Self, code| s.respond_error(tuple, request, code, Some(&key), false, now);
        // Step 3: REQUESTED-TRANSPORT must say UDP (17).
        match request.get(AttributeType::REQUESTED_TRANSPORT) {
            Some(Attribute::RequestedTransport(17)) => {}
            Some(_) => return bad(self, ErrorCode::new(442, "Unsupported Transport Protocol")),
            None => return bad(self, ErrorCode::BAD_REQUEST),
        }
        // Step 4: this server cannot set DF, so DONT-FRAGMENT is an unknown attribute (420).
        if request.get(AttributeType::DONT_FRAGMENT).is_some() {
            return bad(self, ErrorCode::UNKNOWN_ATTRIBUTE);
        }
        // Step 5: a RESERVATION-TOKEN names a port an earlier EVEN-PORT R=1 reserved.
        let reserved = match request.get(AttributeType::RESERVATION_TOKEN) {
            Some(Attribute::ReservationToken(token)) => {
                let family = request
                    .get(AttributeType::REQUESTED_ADDRESS_FAMILY)
                    .is_some();
                if request.get(AttributeType::EVEN_PORT).is_some() || family {
                    return bad(self, ErrorCode::BAD_REQUEST);
                }
                match self.reservations.remove(&token) {
                    Some((addr, expires)) if expires > now => Some(addr),
                    _ => return bad(self, ErrorCode::new(508, "Insufficient Capacity")),
                }
            }
            _ => None,
        };
        // Steps 6, 7, 9: one family, the relay's.
        let relay_v4 = self.config.relay_ip.is_ipv4();
        if request
            .get(AttributeType::ADDITIONAL_ADDRESS_FAMILY)
            .is_some()
        {
            return bad(self, ErrorCode::new(440, "Address Family not Supported"));
        }
        if let Some(Attribute::RequestedAddressFamily(family)) =
            request.get(AttributeType::REQUESTED_ADDRESS_FAMILY)
        {
            if (family == rtc_stun::AddressFamily::V4) != relay_v4 {
                return bad(self, ErrorCode::new(440, "Address Family not Supported"));
            }
        }
        // Step 10: quotas.
        let held = self.per_user.get(&username).copied().unwrap_or(0);
        if held >= self.config.max_allocations_per_user
            || self.allocations.len() >= self.config.max_allocations
        {
            return bad(self, ErrorCode::new(486, "Allocation Quota Reached"));
        }
        // Step 8: EVEN-PORT asks for an even port, and with R=1 for N+1 to be reserved.
        let even_port = match request.get(AttributeType::EVEN_PORT) {
            Some(Attribute::EvenPort(reserve)) => Some(reserve),
            _ => None,
        };
        let relay = match reserved {
            Some(addr) => Some(addr),
            None => self.pick_relay(even_port.is_some(), even_port == Some(true)),
        };
        let Some(relay) = relay else {
            return bad(self, ErrorCode::new(508, "Insufficient Capacity"));
        };
        let token = if even_port == Some(true) {
            let next = SocketAddr::new(relay.ip(), relay.port() + 1);
            self.reservation_counter += 1;
            let mac = self
                .nonce_key
                .sign(&[b"reservation", &self.reservation_counter.to_be_bytes()]);
            let mut token = [0u8; 8];
            token.copy_from_slice(&mac[..8]);
            let token = u64::from_be_bytes(token);
            self.reservations
                .insert(token, (next, now + RESERVATION_LIFETIME));
            Some(token)
        } else {
            None
        };
        let lifetime = self.lifetime(request);
        let allocation = Allocation {
            tuple,
            relay,
            username: username.clone(),
            expires: now + lifetime,
            allocate_transaction: request.transaction_id(),
            permissions: HashMap::new(),
            channels: HashMap::new(),
            peer_channels: HashMap::new(),
            tokens: self.config.rate_limit.map_or(0.0, |l| l.burst as f64),
            refilled: now,
        };
        self.allocations.insert(tuple, allocation);
        self.by_relay.insert(relay, tuple);
        *self.per_user.entry(username).or_default() += 1;
        self.events.push_back(ServerEvent::RelayOpened(relay));
        let mut attributes = vec![
            Attribute::XorRelayedAddress(relay),
            Attribute::Lifetime(lifetime.as_secs() as u32),
            Attribute::XorMappedAddress(tuple.client),
        ];
        if let Some(token) = token {
            attributes.push(Attribute::ReservationToken(token));
        }
        self.respond_success(tuple, request, &attributes, &key)
    }

    /// RFC 8656 §7.2: the client's LIFETIME bounded by the maximum, at least the default.
    fn lifetime(&self, request: &Message<'_>) -> Duration {
        match request.get(AttributeType::LIFETIME) {
            Some(Attribute::Lifetime(s)) => Duration::from_secs(u64::from(s))
                .min(self.config.max_lifetime)
                .max(self.config.default_lifetime),
            _ => self.config.default_lifetime,
        }
    }

    fn is_free(&self, addr: SocketAddr) -> bool {
        !self.by_relay.contains_key(&addr) && !self.reservations.values().any(|(a, _)| *a == addr)
    }

    /// A free relayed address, scanning the port range from where the last search stopped;
    /// `even` wants an even port, `pair` also a free port after it (RFC 8656 §7.2).
    fn pick_relay(&mut self, even: bool, pair: bool) -> Option<SocketAddr> {
        let (start, end) = (
            *self.config.relay_ports.start(),
            *self.config.relay_ports.end(),
        );
        let span = u32::from(end - start) + 1;
        for _ in 0..span {
            let port = self.next_port;
            self.next_port = if port >= end { start } else { port + 1 };
            if even && port % 2 != 0 {
                continue;
            }
            let addr = SocketAddr::new(self.config.relay_ip, port);
            if !self.is_free(addr) {
                continue;
            }
            if pair
                && (port >= end || !self.is_free(SocketAddr::new(self.config.relay_ip, port + 1)))
            {
                continue;
            }
            return Some(addr);
        }
        None
    }

    /// The driver could not bind `relay`: the allocation is dropped.
    pub fn relay_failed(&mut self, relay: SocketAddr) {
        if let Some(tuple) = self.by_relay.get(&relay).copied() {
            self.remove(tuple, false);
        }
    }

    fn remove(&mut self, tuple: FiveTuple, announce: bool) {
        let Some(allocation) = self.allocations.remove(&tuple) else {
            return;
        };
        self.by_relay.remove(&allocation.relay);
        if let Some(n) = self.per_user.get_mut(&allocation.username) {
            *n -= 1;
            if *n == 0 {
                self.per_user.remove(&allocation.username);
            }
        }
        if announce {
            self.events
                .push_back(ServerEvent::RelayClosed(allocation.relay));
        }
    }

    /// Authenticates a request on an existing allocation: same user as the allocation
    /// (RFC 8656 §5: 441 otherwise). Queues the error and returns `None` on failure.
    fn authenticate_for_allocation(
        &mut self,
        now: Instant,
        tuple: FiveTuple,
        request: &Message<'_>,
    ) -> Result<Option<IntegrityKey>, Error> {
        let (username, key) = match self.authenticate(request, now, false) {
            Auth::Ok { username, key } => (username, key),
            Auth::Reject { code, nonce } => {
                self.respond_error(tuple, request, code, None, nonce, now)?;
                return Ok(None);
            }
        };
        match self.allocations.get(&tuple) {
            None => {
                let code = ErrorCode::new(437, "Allocation Mismatch");
                self.respond_error(tuple, request, code, Some(&key), false, now)?;
                Ok(None)
            }
            Some(a) if a.username != username => {
                let code = ErrorCode::new(441, "Wrong Credentials");
                self.respond_error(tuple, request, code, Some(&key), false, now)?;
                Ok(None)
            }
            Some(_) => Ok(Some(*key)),
        }
    }

    fn refresh(
        &mut self,
        now: Instant,
        tuple: FiveTuple,
        request: &Message<'_>,
    ) -> Result<(), Error> {
        let Some(key) = self.authenticate_for_allocation(now, tuple, request)? else {
            return Ok(());
        };
        // RFC 8656 §7.4: LIFETIME 0 deletes the allocation.
        let lifetime = match request.get(AttributeType::LIFETIME) {
            Some(Attribute::Lifetime(0)) => Duration::ZERO,
            _ => self.lifetime(request),
        };
        if lifetime.is_zero() {
            self.remove(tuple, true);
        } else if let Some(a) = self.allocations.get_mut(&tuple) {
            a.expires = now + lifetime;
        }
        self.respond_success(
            tuple,
            request,
            &[Attribute::Lifetime(lifetime.as_secs() as u32)],
            &key,
        )
    }

    /// Why a permission or channel to `peer` is refused: 443 for the other address family
    /// (RFC 8656 §10.2), 403 for loopback, private and link-local peers unless configured (no
    /// open relay, §21.3).
    fn refuse_peer(&self, peer: SocketAddr) -> Option<ErrorCode<'static>> {
        if peer.is_ipv4() != self.config.relay_ip.is_ipv4() {
            return Some(ErrorCode::new(443, "Peer Address Family Mismatch"));
        }
        if is_forbidden_peer(peer.ip(), &self.config) {
            return Some(ErrorCode::new(403, "Forbidden"));
        }
        None
    }

    fn create_permission(
        &mut self,
        now: Instant,
        tuple: FiveTuple,
        request: &Message<'_>,
    ) -> Result<(), Error> {
        let Some(key) = self.authenticate_for_allocation(now, tuple, request)? else {
            return Ok(());
        };
        let peers: Vec<SocketAddr> = request
            .attributes()
            .filter_map(|a| match a {
                Attribute::XorPeerAddress(p) => Some(p),
                _ => None,
            })
            .collect();
        if peers.is_empty() {
            return self.respond_error(
                tuple,
                request,
                ErrorCode::BAD_REQUEST,
                Some(&key),
                false,
                now,
            );
        }
        // RFC 8656 §10.2: all or nothing.
        for peer in &peers {
            if let Some(code) = self.refuse_peer(*peer) {
                return self.respond_error(tuple, request, code, Some(&key), false, now);
            }
        }
        if let Some(a) = self.allocations.get_mut(&tuple) {
            for peer in peers {
                a.permissions.insert(peer.ip(), now + PERMISSION_LIFETIME);
            }
        }
        self.respond_success(tuple, request, &[], &key)
    }

    fn channel_bind(
        &mut self,
        now: Instant,
        tuple: FiveTuple,
        request: &Message<'_>,
    ) -> Result<(), Error> {
        let Some(key) = self.authenticate_for_allocation(now, tuple, request)? else {
            return Ok(());
        };
        let channel = match request.get(AttributeType::CHANNEL_NUMBER) {
            // RFC 8656 §12.2 allows 0x4000-0x4FFF; RFC 5766 clients use up to 0x7FFF.
            Some(Attribute::ChannelNumber(n)) if is_legacy_channel(n) => n,
            _ => {
                return self.respond_error(
                    tuple,
                    request,
                    ErrorCode::BAD_REQUEST,
                    Some(&key),
                    false,
                    now,
                );
            }
        };
        let Some(Attribute::XorPeerAddress(peer)) = request.get(AttributeType::XOR_PEER_ADDRESS)
        else {
            return self.respond_error(
                tuple,
                request,
                ErrorCode::BAD_REQUEST,
                Some(&key),
                false,
                now,
            );
        };
        if let Some(code) = self.refuse_peer(peer) {
            return self.respond_error(tuple, request, code, Some(&key), false, now);
        }
        let Some(a) = self.allocations.get_mut(&tuple) else {
            return Ok(());
        };
        // RFC 8656 §12.2: a channel binds one peer and a peer one channel.
        let channel_taken = a.channels.get(&channel).is_some_and(|c| c.peer != peer);
        let peer_taken = a.peer_channels.get(&peer).is_some_and(|&c| c != channel);
        if channel_taken || peer_taken {
            return self.respond_error(
                tuple,
                request,
                ErrorCode::BAD_REQUEST,
                Some(&key),
                false,
                now,
            );
        }
        a.channels.insert(
            channel,
            Channel {
                peer,
                expires: now + CHANNEL_LIFETIME,
            },
        );
        a.peer_channels.insert(peer, channel);
        a.permissions.insert(peer.ip(), now + PERMISSION_LIFETIME);
        self.respond_success(tuple, request, &[], &key)
    }

    fn send_indication(
        &mut self,
        now: Instant,
        tuple: FiveTuple,
        indication: &Message<'_>,
    ) -> Result<(), Error> {
        let (Some(Attribute::XorPeerAddress(peer)), Some(Attribute::Data(data))) = (
            indication.get(AttributeType::XOR_PEER_ADDRESS),
            indication.get(AttributeType::DATA),
        ) else {
            self.stats.dropped_packets += 1;
            return Ok(());
        };
        self.relay_to_peer(now, tuple, peer, data)
    }

    fn client_channel_data(
        &mut self,
        now: Instant,
        tuple: FiveTuple,
        bytes: &[u8],
    ) -> Result<(), Error> {
        let cd = ChannelData::parse(bytes).inspect_err(|_| self.stats.dropped_packets += 1)?;
        let Some(a) = self.allocations.get(&tuple) else {
            self.stats.dropped_packets += 1;
            return Err(Error::NoAllocation);
        };
        let Some(channel) = a.channels.get(&cd.channel).filter(|c| c.expires > now) else {
            self.stats.dropped_packets += 1;
            return Err(Error::ChannelNotBound(cd.channel));
        };
        let peer = channel.peer;
        self.relay_to_peer(now, tuple, peer, cd.data)
    }

    fn relay_to_peer(
        &mut self,
        now: Instant,
        tuple: FiveTuple,
        peer: SocketAddr,
        data: &[u8],
    ) -> Result<(), Error> {
        let limit = self.config.rate_limit;
        let Some(a) = self.allocations.get_mut(&tuple) else {
            self.stats.dropped_packets += 1;
            return Err(Error::NoAllocation);
        };
        if !a.has_permission(peer.ip(), now) {
            self.stats.dropped_packets += 1;
            return Err(Error::NoPermission);
        }
        if !a.take(limit, data.len(), now) {
            self.stats.dropped_packets += 1;
            return Err(Error::RateLimited);
        }
        let relay = a.relay;
        let mut out = self.buffer(data.len());
        out[..data.len()].copy_from_slice(data);
        self.push(relay, peer, Transport::Udp, out, data.len());
        self.stats.to_peer_packets += 1;
        Ok(())
    }

    /// Handles a datagram a peer sent to the relayed address `relay`: relayed to the client as
    /// ChannelData if a channel is bound to the peer, else in a Data indication (RFC 8656
    /// §11.3, §12.7). Without a permission for the peer it is dropped.
    pub fn handle_peer(
        &mut self,
        now: Instant,
        relay: SocketAddr,
        peer: SocketAddr,
        data: &[u8],
    ) -> Result<(), Error> {
        let limit = self.config.rate_limit;
        let Some(tuple) = self.by_relay.get(&relay).copied() else {
            self.stats.dropped_packets += 1;
            return Err(Error::NoAllocation);
        };
        let Some(a) = self.allocations.get_mut(&tuple) else {
            return Err(Error::NoAllocation);
        };
        if !a.has_permission(peer.ip(), now) {
            self.stats.dropped_packets += 1;
            return Err(Error::NoPermission);
        }
        if !a.take(limit, data.len(), now) {
            self.stats.dropped_packets += 1;
            return Err(Error::RateLimited);
        }
        let channel = a
            .peer_channels
            .get(&peer)
            .copied()
            .filter(|c| a.channels.get(c).is_some_and(|ch| ch.expires > now));
        let mut out = self.buffer(data.len() + DATA_INDICATION_OVERHEAD);
        let len = match channel {
            Some(channel) => {
                ChannelData { channel, data }.emit(&mut out, tuple.transport == Transport::Tcp)?
            }
            None => {
                // A Data indication needs a transaction id; it is never matched, so any
                // unique-enough value serves: the relay counter.
                let mut tid = [0u8; 12];
                tid[4..].copy_from_slice(&self.stats.to_client_packets.to_be_bytes());
                let mut b = MessageBuilder::new(
                    &mut out,
                    Class::Indication,
                    Method::DATA,
                    TransactionId::new(tid),
                )?;
                b.add(&Attribute::XorPeerAddress(peer))?
                    .add(&Attribute::Data(data))?;
                b.len()
            }
        };
        self.push(tuple.server, tuple.client, tuple.transport, out, len);
        self.stats.to_client_packets += 1;
        Ok(())
    }

    /// A TCP client connection closed: its allocation goes with it (RFC 8656 §3.1... the 5-tuple
    /// no longer exists).
    pub fn connection_closed(&mut self, tuple: FiveTuple) {
        self.remove(tuple, true);
    }

    /// Expires allocations, permissions and channels.
    pub fn handle_timeout(&mut self, now: Instant) {
        let expired: Vec<FiveTuple> = self
            .allocations
            .values()
            .filter(|a| a.expires <= now)
            .map(|a| a.tuple)
            .collect();
        for tuple in expired {
            self.remove(tuple, true);
        }
        self.reservations.retain(|_, (_, expires)| *expires > now);
        for a in self.allocations.values_mut() {
            a.permissions.retain(|_, e| *e > now);
            let gone: Vec<u16> = a
                .channels
                .iter()
                .filter(|(_, c)| c.expires <= now)
                .map(|(n, _)| *n)
                .collect();
            for n in gone {
                if let Some(c) = a.channels.remove(&n) {
                    a.peer_channels.remove(&c.peer);
                }
            }
        }
    }

    /// The earliest expiry.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.allocations
            .values()
            .flat_map(|a| {
                std::iter::once(a.expires)
                    .chain(a.permissions.values().copied())
                    .chain(a.channels.values().map(|c| c.expires))
            })
            .chain(self.reservations.values().map(|(_, e)| *e))
            .min()
    }

    /// The next message to send.
    pub fn poll_transmit(&mut self) -> Option<ServerTransmit<'_>> {
        if let Some(done) = self.current.take() {
            self.spare.push(done);
        }
        let (source, destination, transport, bytes) = self.queue.pop_front()?;
        let contents = self.current.insert(bytes);
        Some(ServerTransmit {
            source,
            destination,
            transport,
            contents,
        })
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<ServerEvent> {
        self.events.pop_front()
    }
}
