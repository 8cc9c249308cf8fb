//! The connection: record layer, handshake reassembly, flights and retransmission (RFC 6347
//! §4.2.4), and the DTLS 1.2 client and server handshakes (RFC 5246 §7.3 with ECDHE-ECDSA,
//! RFC 8422; extended master secret, RFC 7627; use_srtp, RFC 5764).
//!
//! Sans-IO: the caller feeds datagrams ([`Connection::handle_datagram`]) and timeouts
//! ([`Connection::handle_timeout`]) with the current time, and drains datagrams to send
//! ([`Connection::poll_transmit`]) and events ([`Connection::poll_event`]).
//!
//! The protocol version is negotiated in one place ([`negotiate_version`]); the handshake
//! state is per version (`Handshake12`), so DTLS 1.3 (RFC 9147) can be added as a sibling
//! state without touching the 1.2 one.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rtc_crypto::{KeyExchange, KeyExchangeGroup, SignatureScheme};

use crate::certificate::{Fingerprint, public_key_of};
use crate::config::Config;
use crate::error::{DecodeError, Error};
use crate::message::{
    AlertDescription, AlertLevel, CertificateMsg, CertificateRequest, ClientHello, ContentType,
    DTLS1_0, DTLS1_2, DigitallySigned, Extension, HANDSHAKE_HEADER_LEN, HandshakeFragment,
    HandshakeType, HelloVerifyRequest, RECORD_HEADER_LEN, Record, ServerHello, ServerKeyExchange,
    UseSrtp, extension, parse_alert, parse_client_key_exchange, parse_u16_list, write_handshake,
    write_record_header, write_u16_list,
};
use crate::suite::{self, CipherSuite, KeyBlock, RecordCipher, SrtpProfile};

/// Which side of the handshake we are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Sends the ClientHello (`a=setup:active` in WebRTC).
    Client,
    /// Answers it (`a=setup:passive`).
    Server,
}

/// Where the connection is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// The handshake is running.
    Handshaking,
    /// The handshake completed, but the peer's fingerprint is not known yet
    /// ([`Connection::set_remote_fingerprints`]).
    AwaitingFingerprint,
    /// Handshake done and the peer's certificate verified: application data flows, keying
    /// material can be exported.
    Connected,
    /// Closed by close_notify, ours or the peer's.
    Closed,
    /// Failed (the error was returned and reported as [`Event::Failed`]).
    Failed,
}

/// What the caller learns from [`Connection::poll_event`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The handshake completed and the peer's certificate matches its fingerprint.
    Connected,
    /// Application data from the peer.
    ApplicationData(Vec<u8>),
    /// The peer sent close_notify (we answered it) or we closed.
    Closed,
    /// The connection failed.
    Failed(Error),
}

/// TLS SignatureScheme ecdsa_secp256r1_sha256.
const ECDSA_P256_SHA256: u16 = 0x0403;
/// ClientCertificateType ecdsa_sign (RFC 8422 §5.5).
const ECDSA_SIGN: u8 = 64;
/// TLS_EMPTY_RENEGOTIATION_INFO_SCSV (RFC 5746 §3.3).
const EMPTY_RENEGOTIATION_INFO_SCSV: u16 = 0x00ff;
/// Records of epoch 1 held while its keys are not derived yet (reordering), at most.
const MAX_EARLY_RECORDS: usize = 32;
/// Application data records held until the handshake is verified, at most.
const MAX_EARLY_DATA: usize = 64;
/// Largest application data in one record (RFC 5246 §6.2.1).
pub const MAX_PLAINTEXT: usize = 16384;
/// A retransmitted flight from the peer makes us resend ours at most this often (RFC 6347
/// §4.2.4: resend on receipt of a retransmission; the floor stops a burst of the peer's
/// records from each triggering a resend).
const MIN_RESEND_GAP: Duration = Duration::from_millis(50);

fn group_id(group: KeyExchangeGroup) -> u16 {
    match group {
        KeyExchangeGroup::Secp256r1 => 23,
        _ => 29,
    }
}

fn group_from_id(id: u16) -> Option<KeyExchangeGroup> {
    match id {
        23 => Some(KeyExchangeGroup::Secp256r1),
        29 => Some(KeyExchangeGroup::X25519),
        _ => None,
    }
}

/// The versions we speak; a DTLS 1.3 state would be chosen here (RFC 9147's
/// supported_versions) when it exists. A 1.3-capable client still sends 0xfefd as its legacy
/// version, so it gets 1.2.
fn negotiate_version(client_version: u16) -> Result<u16, Error> {
    // DTLS versions count down: 0xfefd (1.2) is newer than 0xfeff (1.0).
    if client_version <= DTLS1_2 {
        Ok(DTLS1_2)
    } else {
        Err(Error::NoCommon("protocol version (DTLS 1.2 required)"))
    }
}

/// An entry of a flight: a handshake message (kept whole; fragmented when sent) or a
/// ChangeCipherSpec.
#[derive(Debug, Clone)]
enum FlightEntry {
    Handshake {
        epoch: u16,
        msg_type: HandshakeType,
        seq: u16,
        body: Vec<u8>,
    },
    ChangeCipherSpec,
}

/// A handshake message being reassembled from fragments (RFC 6347 §4.2.3).
#[derive(Debug)]
struct Partial {
    msg_type: HandshakeType,
    epoch: u16,
    body: Vec<u8>,
    /// Received byte ranges, merged, sorted.
    have: Vec<(u32, u32)>,
}

impl Partial {
    fn complete(&self) -> bool {
        self.body.is_empty() || self.have.first() == Some(&(0, self.body.len() as u32))
    }

    fn add(&mut self, offset: u32, bytes: &[u8]) {
        let end = offset + bytes.len() as u32;
        self.body[offset as usize..end as usize].copy_from_slice(bytes);
        self.have.push((offset, end));
        self.have.sort_unstable();
        let mut merged: Vec<(u32, u32)> = Vec::with_capacity(self.have.len());
        for &(s, e) in &self.have {
            match merged.last_mut() {
                Some(last) if s <= last.1 => last.1 = last.1.max(e),
                _ => merged.push((s, e)),
            }
        }
        self.have = merged;
    }
}

/// 64-record anti-replay window (RFC 6347 §4.1.2.6).
#[derive(Debug, Default, Clone, Copy)]
struct ReplayWindow {
    /// Highest sequence number seen, plus one (0: none yet).
    top: u64,
    /// Bit i: `top - 1 - i` seen.
    bits: u64,
}

impl ReplayWindow {
    fn check(&self, seq: u64) -> bool {
        if seq >= self.top {
            return true;
        }
        let back = self.top - 1 - seq;
        back < 64 && self.bits & (1 << back) == 0
    }

    fn mark(&mut self, seq: u64) {
        if seq >= self.top {
            let shift = seq + 1 - self.top;
            self.bits = if shift >= 64 { 0 } else { self.bits << shift };
            self.bits |= 1;
            self.top = seq + 1;
        } else {
            self.bits |= 1 << (self.top - 1 - seq);
        }
    }
}

/// What the DTLS 1.2 handshake expects next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    // Client.
    ServerHello,
    ServerCertificate,
    ServerKeyExchange,
    CertificateRequestOrDone,
    ServerHelloDone,
    ServerFinished,
    // Server.
    ClientHello,
    ClientCertificate,
    ClientKeyExchange,
    CertificateVerify,
    ClientFinished,
}

/// The DTLS 1.2 handshake's working state, dropped when it completes.
struct Handshake12 {
    expect: Expect,
    client_random: [u8; 32],
    server_random: [u8; 32],
    /// Every handshake message so far, unfragmented, as RFC 6347 §4.2.6 hashes them.
    transcript: Vec<u8>,
    /// Our ClientHello (client), resent with the cookie.
    client_hello: Option<ClientHello>,
    kx: Option<Box<dyn KeyExchange>>,
    /// An ephemeral key for the preferred group made ahead of need (see
    /// [`Connection::poll_timeout`]): the client's and server's key generation is then off the
    /// handshake's critical path.
    spare_kx: Option<Box<dyn KeyExchange>>,
    /// When to make `spare_kx`: at once, once the first flight (if any) has been taken; `None`
    /// once made or no longer useful.
    spare_kx_at: Option<Instant>,
    /// The server's ECDH public value (client side).
    peer_kx_public: Vec<u8>,
    /// Whether the server asked for our certificate (client side).
    certificate_requested: bool,
    /// The peer's leaf certificate key (uncompressed P-256 point).
    peer_public_key: Option<Vec<u8>>,
    /// Server: HMAC key for stateless cookies.
    cookie_secret: [u8; 32],
}

/// The keys and parameters of the completed (or completing) handshake.
struct Session {
    suite: CipherSuite,
    master_secret: Vec<u8>,
    client_random: [u8; 32],
    server_random: [u8; 32],
}

/// A DTLS 1.2 connection.
pub struct Connection {
    config: Arc<Config>,
    role: Role,
    state: State,
    hs: Option<Box<Handshake12>>,
    session: Option<Session>,
    suite: Option<CipherSuite>,
    srtp_profile: Option<SrtpProfile>,
    peer_certificate: Option<Vec<u8>>,
    remote_fingerprints: Vec<Fingerprint>,

    // Record layer.
    write_epoch: u16,
    write_seq: [u64; 2],
    write_cipher: Option<RecordCipher>,
    read_cipher: Option<RecordCipher>,
    /// Record sequence number of the last epoch-0 handshake record (for HelloVerifyRequest).
    last_hello_record_seq: u64,
    /// Whether the peer's ChangeCipherSpec arrived (epoch 1 handshake messages are expected).
    peer_changed_cipher: bool,
    replay: ReplayWindow,
    early_records: Vec<Vec<u8>>,
    early_data: Vec<Vec<u8>>,

    // Handshake message layer.
    next_send_seq: u16,
    next_recv_seq: u16,
    partial: BTreeMap<u16, Partial>,
    flight: Vec<FlightEntry>,
    flight_sent_at: Option<Instant>,
    retransmit_at: Option<Instant>,
    rto: Duration,
    retransmissions: u32,

    transmit: VecDeque<Vec<u8>>,
    events: VecDeque<Event>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("role", &self.role)
            .field("state", &self.state)
            .field("suite", &self.suite)
            .field("srtp_profile", &self.srtp_profile)
            .finish_non_exhaustive()
    }
}

impl Connection {
    /// A connection in `role`. A client queues its ClientHello at once.
    pub fn new(config: Arc<Config>, role: Role, now: Instant) -> Result<Self, Error> {
        config.check()?;
        let provider = config.provider;
        let mut hs = Box::new(Handshake12 {
            expect: match role {
                Role::Client => Expect::ServerHello,
                Role::Server => Expect::ClientHello,
            },
            client_random: [0; 32],
            server_random: [0; 32],
            transcript: Vec::with_capacity(4096),
            client_hello: None,
            kx: None,
            spare_kx: None,
            spare_kx_at: Some(now),
            peer_kx_public: Vec::new(),
            certificate_requested: false,
            peer_public_key: None,
            cookie_secret: [0; 32],
        });
        match role {
            Role::Client => (provider.fill_random)(&mut hs.client_random)?,
            Role::Server => {
                (provider.fill_random)(&mut hs.server_random)?;
                (provider.fill_random)(&mut hs.cookie_secret)?;
            }
        }
        let rto = config.initial_retransmit_timeout;
        let mut conn = Self {
            config,
            role,
            state: State::Handshaking,
            hs: Some(hs),
            session: None,
            suite: None,
            srtp_profile: None,
            peer_certificate: None,
            remote_fingerprints: Vec::new(),
            write_epoch: 0,
            write_seq: [0; 2],
            write_cipher: None,
            read_cipher: None,
            last_hello_record_seq: 0,
            peer_changed_cipher: false,
            replay: ReplayWindow::default(),
            early_records: Vec::new(),
            early_data: Vec::new(),
            next_send_seq: 0,
            next_recv_seq: 0,
            partial: BTreeMap::new(),
            flight: Vec::new(),
            flight_sent_at: None,
            retransmit_at: None,
            rto,
            retransmissions: 0,
            transmit: VecDeque::new(),
            events: VecDeque::new(),
        };
        if role == Role::Client {
            conn.send_client_hello(now, Vec::new());
        }
        Ok(conn)
    }

    /// Our role.
    pub fn role(&self) -> Role {
        self.role
    }

    /// Where the connection is.
    pub fn state(&self) -> State {
        self.state
    }

    /// Whether application data can flow and keys can be exported.
    pub fn is_connected(&self) -> bool {
        self.state == State::Connected
    }

    /// The negotiated cipher suite, once the hellos are exchanged.
    pub fn cipher_suite(&self) -> Option<CipherSuite> {
        self.suite
    }

    /// The SRTP protection profile negotiated with use_srtp, if any.
    pub fn srtp_profile(&self) -> Option<SrtpProfile> {
        self.srtp_profile
    }

    /// The peer's certificate (DER), once received.
    pub fn peer_certificate(&self) -> Option<&[u8]> {
        self.peer_certificate.as_deref()
    }

    /// The fingerprints the peer's certificate must match (from its SDP's `a=fingerprint`
    /// lines; one match suffices, RFC 8122 §5). May be given before or after the handshake:
    /// the connection becomes [`State::Connected`] only once the certificate is checked.
    pub fn set_remote_fingerprints(&mut self, fingerprints: Vec<Fingerprint>) -> Result<(), Error> {
        self.remote_fingerprints = fingerprints;
        if let Some(cert) = self.peer_certificate.clone() {
            if let Err(e) = self.verify_fingerprint(&cert) {
                return Err(self.fail(e));
            }
            if self.state == State::AwaitingFingerprint {
                self.become_connected();
            }
        }
        Ok(())
    }

    /// The next datagram to send.
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        self.transmit.pop_front()
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When [`Connection::handle_timeout`] must be called next. While a handshake waits for
    /// the peer with nothing left to send, this is once "now", to make the next ephemeral key
    /// ahead of need.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let spare = self
            .hs
            .as_ref()
            .and_then(|hs| hs.spare_kx_at)
            .filter(|_| self.transmit.is_empty());
        match (self.retransmit_at, spare) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Retransmits the current flight if its timer expired (RFC 6347 §4.2.4); makes the spare
    /// ephemeral key when it is due.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.make_spare_kx(now);
        let Some(at) = self.retransmit_at else {
            return;
        };
        if now < at {
            return;
        }
        if self.retransmissions >= self.config.max_retransmissions {
            self.retransmit_at = None;
            let _ = self.fail(Error::Timeout);
            return;
        }
        self.retransmissions += 1;
        self.rto = (self.rto * 2).min(self.config.max_retransmit_timeout);
        self.send_flight(now);
        self.retransmit_at = Some(now + self.rto);
    }

    fn make_spare_kx(&mut self, now: Instant) {
        let provider = self.config.provider;
        let Some(&group) = self.config.groups.first() else {
            return;
        };
        if let Some(hs) = self.hs.as_mut()
            && hs.spare_kx_at.is_some_and(|at| at <= now)
        {
            hs.spare_kx_at = None;
            // On failure the key is made when needed (and that error reported then).
            hs.spare_kx = (provider.key_exchange)(group).ok();
        }
    }

    /// An ephemeral key for `group`: the spare one if it matches, a new one otherwise.
    fn take_kx(&mut self, group: KeyExchangeGroup) -> Result<Box<dyn KeyExchange>, Error> {
        let provider = self.config.provider;
        let hs = self.hs()?;
        hs.spare_kx_at = None;
        match hs.spare_kx.take() {
            Some(kx) if kx.group() == group => Ok(kx),
            _ => Ok((provider.key_exchange)(group)?),
        }
    }

    /// Sends application data in one record.
    pub fn send(&mut self, data: &[u8]) -> Result<(), Error> {
        if self.state != State::Connected {
            return Err(Error::InvalidState("not connected"));
        }
        if data.len() > MAX_PLAINTEXT {
            return Err(Error::TooLarge(data.len()));
        }
        let mut out = Vec::with_capacity(RECORD_HEADER_LEN + data.len() + 24);
        self.write_record(&mut out, ContentType::ApplicationData, data);
        self.transmit.push_back(out);
        Ok(())
    }

    /// Sends close_notify (RFC 5246 §7.2.1) and closes.
    pub fn close(&mut self) {
        if matches!(self.state, State::Closed | State::Failed) {
            return;
        }
        self.send_alert(AlertLevel::Warning, AlertDescription::CloseNotify);
        self.state = State::Closed;
        self.retransmit_at = None;
        self.events.push_back(Event::Closed);
    }

    /// Keying material (RFC 5705), e.g. "EXTRACTOR-dtls_srtp" for SRTP (RFC 5764 §4.2). Only
    /// from a connected state: the handshake verified and the peer's certificate matched its
    /// fingerprint.
    pub fn export_keying_material(
        &self,
        label: &str,
        context: Option<&[u8]>,
        len: usize,
    ) -> Result<Vec<u8>, Error> {
        if self.state != State::Connected {
            return Err(Error::InvalidState(
                "keying material is only exported from a verified connection",
            ));
        }
        let session = self
            .session
            .as_ref()
            .ok_or(Error::InvalidState("no session"))?;
        Ok(suite::export(
            self.config.provider,
            session.suite,
            &session.master_secret,
            (&session.client_random, &session.server_random),
            label,
            context,
            len,
        ))
    }

    /// The SRTP master keys and salts for both directions (RFC 5764 §4.2).
    pub fn srtp_keying_material(&self) -> Result<SrtpKeyingMaterial, Error> {
        let profile = self
            .srtp_profile
            .ok_or(Error::InvalidState("no SRTP profile negotiated"))?;
        let material = self.export_keying_material(
            "EXTRACTOR-dtls_srtp",
            None,
            profile.keying_material_len(),
        )?;
        let (k, s) = profile.key_and_salt_len();
        let (client_key, rest) = material.split_at(k);
        let (server_key, rest) = rest.split_at(k);
        let (client_salt, server_salt) = rest.split_at(s);
        Ok(SrtpKeyingMaterial {
            profile,
            client_key: client_key.to_vec(),
            client_salt: client_salt.to_vec(),
            server_key: server_key.to_vec(),
            server_salt: server_salt.to_vec(),
        })
    }

    /// Processes one received datagram. Bad records are dropped (the error says why) and the
    /// connection carries on; a fatal error ends it (it was sent to the peer as an alert and
    /// is also reported as [`Event::Failed`]).
    pub fn handle_datagram(&mut self, now: Instant, datagram: &[u8]) -> Result<(), Error> {
        if matches!(self.state, State::Closed | State::Failed) {
            return Err(Error::InvalidState("connection is closed"));
        }
        let (records, parse_error) = Record::parse_datagram(datagram);
        let mut first_error = None;
        let mut resent = false;
        for record in records {
            match self.handle_record(now, &record, &mut resent) {
                Ok(()) => {}
                Err(e) if e.is_fatal() => return Err(self.fail(e)),
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
            if matches!(self.state, State::Closed | State::Failed) {
                break;
            }
        }
        if let Err(e) = self.process_messages(now, &mut resent) {
            return Err(self.fail(e));
        }
        match (first_error, parse_error) {
            (Some(e), _) => Err(e),
            (None, Some(e)) => Err(Error::Record(e)),
            (None, None) => Ok(()),
        }
    }

    fn handle_record(
        &mut self,
        now: Instant,
        record: &Record<'_>,
        resent: &mut bool,
    ) -> Result<(), Error> {
        let plaintext: Vec<u8>;
        let fragment: &[u8] = match record.epoch {
            0 => record.fragment,
            1 => {
                let Some(cipher) = &self.read_cipher else {
                    // Keys not derived yet: hold the record until they are.
                    if self.early_records.len() < MAX_EARLY_RECORDS {
                        let mut raw = Vec::new();
                        record.write(&mut raw);
                        self.early_records.push(raw);
                    }
                    return Ok(());
                };
                if !self.replay.check(record.sequence) {
                    return Err(Error::Replay);
                }
                plaintext = cipher.open(
                    record.content_type,
                    record.version,
                    record.epoch,
                    record.sequence,
                    record.fragment,
                )?;
                self.replay.mark(record.sequence);
                &plaintext
            }
            _ => return Err(Error::BadRecordMac),
        };
        match record.content_type {
            ContentType::Handshake => {
                if record.epoch == 0 {
                    self.last_hello_record_seq = record.sequence;
                }
                let fragments = HandshakeFragment::parse_all(fragment).map_err(Error::Record)?;
                for f in fragments {
                    self.add_fragment(now, record.epoch, &f, resent);
                }
                Ok(())
            }
            ContentType::ChangeCipherSpec => {
                if fragment != [1] {
                    return Err(Error::Record(DecodeError::Invalid("ChangeCipherSpec")));
                }
                if record.epoch == 0 {
                    self.peer_changed_cipher = true;
                }
                Ok(())
            }
            ContentType::Alert => {
                let (level, description) = parse_alert(fragment).map_err(Error::Record)?;
                // Once the peer protects its records, unprotected alerts are forgeable noise.
                if record.epoch == 0 && self.read_cipher.is_some() && self.peer_changed_cipher {
                    return Ok(());
                }
                self.handle_alert(level, description)
            }
            ContentType::ApplicationData => {
                if record.epoch == 0 {
                    return Err(Error::Record(DecodeError::Invalid(
                        "application data in epoch 0",
                    )));
                }
                match self.state {
                    State::Connected => self
                        .events
                        .push_back(Event::ApplicationData(fragment.to_vec())),
                    _ => {
                        if self.early_data.len() < MAX_EARLY_DATA {
                            self.early_data.push(fragment.to_vec());
                        }
                    }
                }
                Ok(())
            }
        }
    }

    fn handle_alert(
        &mut self,
        level: AlertLevel,
        description: AlertDescription,
    ) -> Result<(), Error> {
        if description == AlertDescription::CloseNotify {
            // RFC 5246 §7.2.1: answer with our own close_notify.
            if self.state != State::Closed {
                self.send_alert(AlertLevel::Warning, AlertDescription::CloseNotify);
                self.state = State::Closed;
                self.retransmit_at = None;
                self.events.push_back(Event::Closed);
            }
            return Ok(());
        }
        if level == AlertLevel::Fatal {
            self.state = State::Failed;
            self.retransmit_at = None;
            let e = Error::PeerAlert(description);
            self.events.push_back(Event::Failed(e.clone()));
            return Err(Error::PeerAlert(description));
        }
        Ok(())
    }

    /// Takes a handshake fragment into reassembly; a fragment of an old message means the peer
    /// is retransmitting its last flight, so ours was lost: resend it.
    fn add_fragment(
        &mut self,
        now: Instant,
        epoch: u16,
        f: &HandshakeFragment<'_>,
        resent: &mut bool,
    ) {
        let server_waiting_hello = self
            .hs
            .as_ref()
            .is_some_and(|hs| hs.expect == Expect::ClientHello);
        if f.message_seq < self.next_recv_seq && !server_waiting_hello {
            if !*resent
                && !self.flight.is_empty()
                && self
                    .flight_sent_at
                    .is_none_or(|t| now.saturating_duration_since(t) >= MIN_RESEND_GAP)
            {
                *resent = true;
                self.send_flight(now);
            }
            return;
        }
        // Don't buffer far-future messages (a flight has at most a handful).
        if f.message_seq > self.next_recv_seq.saturating_add(16) && !server_waiting_hello {
            return;
        }
        let fresh = || Partial {
            msg_type: f.msg_type,
            epoch,
            body: vec![0; f.length as usize],
            have: Vec::new(),
        };
        let partial = self.partial.entry(f.message_seq).or_insert_with(fresh);
        if partial.msg_type != f.msg_type
            || partial.body.len() != f.length as usize
            || partial.epoch != epoch
        {
            // Conflicting fragments: one of them is forged or corrupt. Start over with the
            // newer, so a forged fragment cannot block the genuine message for good (its
            // retransmission wins).
            *partial = fresh();
        }
        partial.add(f.fragment_offset, f.fragment);
    }

    /// Runs every complete message that is next in sequence.
    fn process_messages(&mut self, now: Instant, resent: &mut bool) -> Result<(), Error> {
        loop {
            if matches!(self.state, State::Closed | State::Failed) {
                return Ok(());
            }
            let server_waiting_hello = self
                .hs
                .as_ref()
                .is_some_and(|hs| hs.expect == Expect::ClientHello);
            let seq = if server_waiting_hello {
                // The first ClientHello may have any message_seq (1 after a cookie exchange
                // whose state we did not keep): take the lowest complete one.
                match self.partial.iter().find(|(_, p)| p.complete()) {
                    Some((&seq, _)) => seq,
                    None => return Ok(()),
                }
            } else {
                self.next_recv_seq
            };
            let Some(p) = self.partial.get(&seq) else {
                return Ok(());
            };
            if !p.complete() {
                return Ok(());
            }
            let Some(p) = self.partial.remove(&seq) else {
                return Ok(());
            };
            if self.hs.is_none() {
                // After the handshake: a new handshake is a renegotiation, which we refuse
                // (RFC 5746 §4.4 / §4.2: a no_renegotiation warning).
                self.next_recv_seq = seq.wrapping_add(1);
                if matches!(
                    p.msg_type,
                    HandshakeType::ClientHello | HandshakeType::HelloRequest
                ) {
                    self.send_alert(AlertLevel::Warning, AlertDescription::NoRenegotiation);
                    continue;
                }
                return Err(Error::UnexpectedMessage(p.msg_type.name()));
            }
            if server_waiting_hello {
                self.partial.retain(|&s, _| s > seq);
            }
            self.next_recv_seq = seq.wrapping_add(1);
            self.handle_message(now, p.msg_type, seq, p.epoch, &p.body)?;
            if self.read_cipher.is_some() && !self.early_records.is_empty() {
                self.replay_early_records(now, resent)?;
            }
        }
    }

    fn handle_message(
        &mut self,
        now: Instant,
        msg_type: HandshakeType,
        seq: u16,
        epoch: u16,
        body: &[u8],
    ) -> Result<(), Error> {
        let expect = self.hs.as_ref().map(|hs| hs.expect);
        let Some(expect) = expect else {
            return Ok(());
        };
        // Finished must be protected; everything else before it must not be.
        if (msg_type == HandshakeType::Finished) != (epoch == 1) {
            return Err(Error::UnexpectedMessage(
                "handshake message in the wrong epoch",
            ));
        }
        match (expect, msg_type) {
            (Expect::ServerHello, HandshakeType::HelloVerifyRequest) => {
                self.on_hello_verify_request(now, body)
            }
            (Expect::ServerHello, HandshakeType::ServerHello) => self.on_server_hello(seq, body),
            (Expect::ServerCertificate, HandshakeType::Certificate) => {
                self.on_certificate(seq, body, Expect::ServerKeyExchange)
            }
            (Expect::ServerKeyExchange, HandshakeType::ServerKeyExchange) => {
                self.on_server_key_exchange(seq, body)
            }
            (Expect::CertificateRequestOrDone, HandshakeType::CertificateRequest) => {
                self.on_certificate_request(seq, body)
            }
            (
                Expect::CertificateRequestOrDone | Expect::ServerHelloDone,
                HandshakeType::ServerHelloDone,
            ) => self.on_server_hello_done(now, seq, body),
            (Expect::ServerFinished, HandshakeType::Finished) => self.on_finished(now, seq, body),
            (Expect::ClientHello, HandshakeType::ClientHello) => {
                self.on_client_hello(now, seq, body)
            }
            (Expect::ClientCertificate, HandshakeType::Certificate) => {
                self.on_certificate(seq, body, Expect::ClientKeyExchange)
            }
            (Expect::ClientKeyExchange, HandshakeType::ClientKeyExchange) => {
                self.on_client_key_exchange(seq, body)
            }
            (Expect::CertificateVerify, HandshakeType::CertificateVerify) => {
                self.on_certificate_verify(seq, body)
            }
            (Expect::ClientFinished, HandshakeType::Finished) => self.on_finished(now, seq, body),
            (_, other) => Err(Error::UnexpectedMessage(other.name())),
        }
    }

    fn hs(&mut self) -> Result<&mut Handshake12, Error> {
        self.hs
            .as_deref_mut()
            .ok_or(Error::InvalidState("no handshake running"))
    }

    fn transcript_add(&mut self, msg_type: HandshakeType, seq: u16, body: &[u8]) {
        if let Some(hs) = self.hs.as_deref_mut() {
            write_handshake(&mut hs.transcript, msg_type, seq, body);
        }
    }

    fn transcript_hash(&self) -> Result<rtc_crypto::Digest, Error> {
        let hs = self
            .hs
            .as_deref()
            .ok_or(Error::InvalidState("no handshake running"))?;
        let suite = self.suite.ok_or(Error::InvalidState("no suite"))?;
        Ok((self.config.provider.hash)(suite.hash(), &[&hs.transcript]))
    }

    // ---- Client side -------------------------------------------------------------------

    fn send_client_hello(&mut self, now: Instant, cookie: Vec<u8>) {
        let Some(hs) = self.hs.as_deref_mut() else {
            return;
        };
        let hello = match hs.client_hello.take() {
            Some(mut hello) => {
                hello.cookie = cookie;
                hello
            }
            None => {
                let config = &self.config;
                let mut extensions = vec![
                    Extension::build(extension::EXTENDED_MASTER_SECRET, |_| {}),
                    Extension::build(extension::RENEGOTIATION_INFO, |o| o.push(0)),
                    Extension::build(extension::SUPPORTED_GROUPS, |o| {
                        let mut ids: Vec<u16> =
                            config.groups.iter().map(|g| group_id(*g)).collect();
                        // In TLS 1.2 the list also names the curves of ECDSA certificates
                        // (RFC 8422 §5.1.1): P-256 stays in it for the certificates even when
                        // the key exchange is X25519 only (OpenSSL refuses a P-256
                        // certificate otherwise). The server's choice is checked against
                        // `config.groups`.
                        if !ids.contains(&23) {
                            ids.push(23);
                        }
                        write_u16_list(o, &ids);
                    }),
                    Extension::build(extension::EC_POINT_FORMATS, |o| {
                        o.extend_from_slice(&[1, 0])
                    }),
                    Extension::build(extension::SIGNATURE_ALGORITHMS, |o| {
                        write_u16_list(o, &[ECDSA_P256_SHA256]);
                    }),
                ];
                if !config.srtp_profiles.is_empty() {
                    extensions.push(Extension::build(extension::USE_SRTP, |o| {
                        UseSrtp {
                            profiles: config.srtp_profiles.iter().map(|p| p.id()).collect(),
                            mki: Vec::new(),
                        }
                        .write(o);
                    }));
                }
                ClientHello {
                    version: DTLS1_2,
                    random: hs.client_random,
                    session_id: Vec::new(),
                    cookie,
                    cipher_suites: config.cipher_suites.iter().map(|s| s.id()).collect(),
                    compression_methods: vec![0],
                    extensions,
                }
            }
        };
        let mut body = Vec::with_capacity(256);
        hello.write(&mut body);
        hs.client_hello = Some(hello);
        // RFC 6347 §4.2.6: the first ClientHello and HelloVerifyRequest stay out of the
        // transcript; the one that gets a ServerHello is the first message in it.
        hs.transcript.clear();
        let seq = self.next_send_seq;
        self.next_send_seq += 1;
        write_handshake(&mut hs.transcript, HandshakeType::ClientHello, seq, &body);
        self.start_flight(
            now,
            vec![FlightEntry::Handshake {
                epoch: 0,
                msg_type: HandshakeType::ClientHello,
                seq,
                body,
            }],
            true,
        );
    }

    fn on_hello_verify_request(&mut self, now: Instant, body: &[u8]) -> Result<(), Error> {
        let hvr = HelloVerifyRequest::parse(body).map_err(Error::decode("HelloVerifyRequest"))?;
        if hvr.cookie.is_empty() {
            return Err(Error::IllegalParameter("empty cookie"));
        }
        // A second HelloVerifyRequest is allowed (RFC 6347 §4.2.1: the server may change
        // its cookie secret), so the state stays ServerHello.
        self.send_client_hello(now, hvr.cookie);
        Ok(())
    }

    fn on_server_hello(&mut self, seq: u16, body: &[u8]) -> Result<(), Error> {
        let sh = ServerHello::parse(body).map_err(Error::decode("ServerHello"))?;
        if sh.version != DTLS1_2 {
            return Err(Error::NoCommon("protocol version (DTLS 1.2 required)"));
        }
        let suite = CipherSuite::from_id(sh.cipher_suite)
            .filter(|s| self.config.cipher_suites.contains(s))
            .ok_or(Error::IllegalParameter("cipher suite we did not offer"))?;
        if sh.compression_method != 0 {
            return Err(Error::IllegalParameter("compression method"));
        }
        let offered: Vec<u16> = self
            .hs
            .as_ref()
            .and_then(|hs| hs.client_hello.as_ref())
            .map(|ch| ch.extensions.iter().map(|e| e.typ).collect())
            .unwrap_or_default();
        for e in &sh.extensions {
            // RFC 5246 §7.4.1.4: a server may only answer extensions the client sent.
            if !offered.contains(&e.typ) {
                return Err(Error::UnexpectedMessage(
                    "ServerHello extension we did not offer",
                ));
            }
        }
        if sh.extension(extension::EXTENDED_MASTER_SECRET).is_none() {
            return Err(Error::MissingExtension("extended_master_secret"));
        }
        if let Some(ri) = sh.extension(extension::RENEGOTIATION_INFO)
            && ri != [0]
        {
            return Err(Error::IllegalParameter("renegotiation_info"));
        }
        self.srtp_profile = match sh.extension(extension::USE_SRTP) {
            Some(data) => {
                let srtp = UseSrtp::parse(data).map_err(Error::decode("use_srtp"))?;
                if srtp.profiles.len() != 1 {
                    return Err(Error::IllegalParameter("use_srtp must choose one profile"));
                }
                Some(
                    SrtpProfile::from_id(srtp.profiles[0])
                        .filter(|p| self.config.srtp_profiles.contains(p))
                        .ok_or(Error::IllegalParameter("SRTP profile we did not offer"))?,
                )
            }
            None => None,
        };
        self.suite = Some(suite);
        let hs = self.hs()?;
        hs.server_random = sh.random;
        hs.expect = Expect::ServerCertificate;
        self.transcript_add(HandshakeType::ServerHello, seq, body);
        Ok(())
    }

    fn on_certificate(&mut self, seq: u16, body: &[u8], next: Expect) -> Result<(), Error> {
        let msg = CertificateMsg::parse(body).map_err(Error::decode("Certificate"))?;
        let Some(leaf) = msg.chain.first() else {
            if self.role == Role::Server && !self.config.require_client_certificate {
                self.hs()?.expect = next;
                self.transcript_add(HandshakeType::Certificate, seq, body);
                return Ok(());
            }
            return Err(Error::BadCertificate("no certificate".into()));
        };
        let key = public_key_of(leaf)?;
        if !self.remote_fingerprints.is_empty() {
            self.verify_fingerprint(leaf)?;
        }
        self.peer_certificate = Some(leaf.clone());
        let hs = self.hs()?;
        hs.peer_public_key = Some(key);
        hs.expect = next;
        self.transcript_add(HandshakeType::Certificate, seq, body);
        Ok(())
    }

    fn verify_fingerprint(&self, der: &[u8]) -> Result<(), Error> {
        let matches = self
            .remote_fingerprints
            .iter()
            .any(|fp| Fingerprint::of(fp.algorithm, der).value == fp.value);
        if matches {
            return Ok(());
        }
        let expected = self
            .remote_fingerprints
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        let algorithm = self
            .remote_fingerprints
            .first()
            .map(|fp| fp.algorithm)
            .unwrap_or(crate::certificate::FingerprintAlgorithm::Sha256);
        Err(Error::FingerprintMismatch {
            expected,
            actual: Fingerprint::of(algorithm, der).to_string(),
        })
    }

    fn on_server_key_exchange(&mut self, seq: u16, body: &[u8]) -> Result<(), Error> {
        let ske = ServerKeyExchange::parse(body).map_err(Error::decode("ServerKeyExchange"))?;
        let group = group_from_id(ske.group)
            .filter(|g| self.config.groups.contains(g))
            .ok_or(Error::IllegalParameter(
                "key exchange group we did not offer",
            ))?;
        if ske.signed.scheme != ECDSA_P256_SHA256 {
            return Err(Error::IllegalParameter("signature scheme we did not offer"));
        }
        let provider = self.config.provider;
        let hs = self.hs()?;
        let key = hs
            .peer_public_key
            .as_ref()
            .ok_or(Error::InvalidState("no server certificate"))?;
        let params = ServerKeyExchange::params(ske.group, &ske.public);
        let mut signed = Vec::with_capacity(64 + params.len());
        signed.extend_from_slice(&hs.client_random);
        signed.extend_from_slice(&hs.server_random);
        signed.extend_from_slice(&params);
        (provider.verify)(
            SignatureScheme::EcdsaSecp256r1Sha256,
            key,
            &signed,
            &ske.signed.signature,
        )
        .map_err(|_| Error::DecryptError("ServerKeyExchange signature"))?;
        let kx = self.take_kx(group)?;
        let hs = self.hs()?;
        hs.kx = Some(kx);
        hs.peer_kx_public = ske.public;
        hs.expect = Expect::CertificateRequestOrDone;
        self.transcript_add(HandshakeType::ServerKeyExchange, seq, body);
        Ok(())
    }

    fn on_certificate_request(&mut self, seq: u16, body: &[u8]) -> Result<(), Error> {
        let cr = CertificateRequest::parse(body).map_err(Error::decode("CertificateRequest"))?;
        if !cr.certificate_types.contains(&ECDSA_SIGN)
            || !cr.signature_schemes.contains(&ECDSA_P256_SHA256)
        {
            return Err(Error::NoCommon(
                "client certificate type or signature scheme",
            ));
        }
        let hs = self.hs()?;
        hs.certificate_requested = true;
        hs.expect = Expect::ServerHelloDone;
        self.transcript_add(HandshakeType::CertificateRequest, seq, body);
        Ok(())
    }

    fn on_server_hello_done(&mut self, now: Instant, seq: u16, body: &[u8]) -> Result<(), Error> {
        if !body.is_empty() {
            return Err(Error::decode("ServerHelloDone")(DecodeError::TrailingBytes));
        }
        self.transcript_add(HandshakeType::ServerHelloDone, seq, body);
        let provider = self.config.provider;
        let suite = self.suite.ok_or(Error::InvalidState("no suite"))?;
        let mut flight = Vec::new();

        let requested = self.hs()?.certificate_requested;
        if requested {
            let mut cert = Vec::new();
            CertificateMsg {
                chain: vec![self.config.certificate.der().to_vec()],
            }
            .write(&mut cert);
            self.push_message(&mut flight, HandshakeType::Certificate, cert);
        }

        let hs = self.hs()?;
        let kx = hs.kx.take().ok_or(Error::InvalidState("no key exchange"))?;
        let mut cke = Vec::with_capacity(70);
        cke.push(kx.public_key().len() as u8);
        cke.extend_from_slice(kx.public_key());
        let peer_public = std::mem::take(&mut hs.peer_kx_public);
        let pre_master = kx.complete(&peer_public)?;
        self.push_message(&mut flight, HandshakeType::ClientKeyExchange, cke);

        // RFC 7627 §4: the session hash covers the messages up to ClientKeyExchange.
        let session_hash = self.transcript_hash()?;
        let master_secret =
            suite::extended_master_secret(provider, suite, &pre_master, &session_hash);

        if requested {
            let signing_key = self.config.signing_key.clone();
            let signature = signing_key.sign(&self.hs()?.transcript)?;
            let mut cv = Vec::new();
            DigitallySigned {
                scheme: ECDSA_P256_SHA256,
                signature,
            }
            .write_body(&mut cv);
            self.push_message(&mut flight, HandshakeType::CertificateVerify, cv);
        }

        let (client_random, server_random) = {
            let hs = self.hs()?;
            (hs.client_random, hs.server_random)
        };
        let keys = KeyBlock::derive(
            provider,
            suite,
            &master_secret,
            &client_random,
            &server_random,
        )?;
        self.write_cipher = Some(keys.client);
        self.read_cipher = Some(keys.server);

        flight.push(FlightEntry::ChangeCipherSpec);
        let verify = suite::verify_data(
            provider,
            suite,
            &master_secret,
            true,
            &self.transcript_hash()?,
        );
        let seq_fin = self.next_send_seq;
        self.next_send_seq += 1;
        self.transcript_add(HandshakeType::Finished, seq_fin, &verify);
        flight.push(FlightEntry::Handshake {
            epoch: 1,
            msg_type: HandshakeType::Finished,
            seq: seq_fin,
            body: verify,
        });
        self.session = Some(Session {
            suite,
            master_secret,
            client_random,
            server_random,
        });
        self.hs()?.expect = Expect::ServerFinished;
        self.start_flight(now, flight, true);
        Ok(())
    }

    // ---- Server side -------------------------------------------------------------------

    fn cookie_for(&self, hello: &ClientHello) -> Vec<u8> {
        let hs = self.hs.as_deref();
        let secret = hs.map(|h| h.cookie_secret).unwrap_or_default();
        let mut suites = Vec::new();
        write_u16_list(&mut suites, &hello.cipher_suites);
        let digest = (self.config.provider.hmac)(
            rtc_crypto::HashAlgorithm::Sha256,
            &secret,
            &[
                &hello.version.to_be_bytes(),
                &hello.random,
                &hello.session_id,
                &suites,
                &hello.compression_methods,
            ],
        );
        digest[..20].to_vec()
    }

    fn on_client_hello(&mut self, now: Instant, seq: u16, body: &[u8]) -> Result<(), Error> {
        let ch = ClientHello::parse(body).map_err(Error::decode("ClientHello"))?;
        let version = negotiate_version(ch.version)?;
        if self.config.cookie_exchange {
            let cookie = self.cookie_for(&ch);
            if !rtc_crypto::constant_time_eq(&cookie, &ch.cookie) {
                // RFC 6347 §4.2.1: answer without keeping state; the client retransmits its
                // hello if this is lost. HelloVerifyRequest carries DTLS 1.0's version.
                let mut hvr = Vec::new();
                HelloVerifyRequest {
                    version: DTLS1_0,
                    cookie,
                }
                .write(&mut hvr);
                let mut out = Vec::new();
                let mut hs_bytes = Vec::new();
                write_handshake(&mut hs_bytes, HandshakeType::HelloVerifyRequest, 0, &hvr);
                // §4.2.1: the record takes the ClientHello's record sequence number, so the
                // server keeps no sequence state for unverified clients.
                write_record_header(
                    &mut out,
                    ContentType::Handshake,
                    DTLS1_2,
                    0,
                    self.last_hello_record_seq,
                    hs_bytes.len(),
                );
                out.extend_from_slice(&hs_bytes);
                self.transmit.push_back(out);
                self.next_recv_seq = 0;
                return Ok(());
            }
        }
        if !ch.compression_methods.contains(&0) {
            return Err(Error::NoCommon("compression method"));
        }
        let suite = self
            .config
            .cipher_suites
            .iter()
            .copied()
            .find(|s| ch.cipher_suites.contains(&s.id()))
            .ok_or(Error::NoCommon("cipher suite"))?;
        if ch.extension(extension::EXTENDED_MASTER_SECRET).is_none() {
            return Err(Error::MissingExtension("extended_master_secret"));
        }
        let group = match ch.extension(extension::SUPPORTED_GROUPS) {
            Some(data) => {
                let ids = parse_u16_list(data).map_err(Error::decode("supported_groups"))?;
                self.config
                    .groups
                    .iter()
                    .copied()
                    .find(|g| ids.contains(&group_id(*g)))
                    .ok_or(Error::NoCommon("key exchange group"))?
            }
            // RFC 8422 §4: without the extension, any curve may be used.
            None => self.config.groups[0],
        };
        if let Some(data) = ch.extension(extension::SIGNATURE_ALGORITHMS) {
            let schemes = parse_u16_list(data).map_err(Error::decode("signature_algorithms"))?;
            if !schemes.contains(&ECDSA_P256_SHA256) {
                return Err(Error::NoCommon("signature scheme"));
            }
        }
        let secure_renegotiation = match ch.extension(extension::RENEGOTIATION_INFO) {
            Some([0]) => true,
            Some(_) => return Err(Error::IllegalParameter("renegotiation_info")),
            None => ch.cipher_suites.contains(&EMPTY_RENEGOTIATION_INFO_SCSV),
        };
        let srtp = match ch.extension(extension::USE_SRTP) {
            Some(data) => {
                let offer = UseSrtp::parse(data).map_err(Error::decode("use_srtp"))?;
                self.config
                    .srtp_profiles
                    .iter()
                    .copied()
                    .find(|p| offer.profiles.contains(&p.id()))
            }
            None => None,
        };

        let mut extensions = vec![Extension::build(extension::EXTENDED_MASTER_SECRET, |_| {})];
        if secure_renegotiation {
            extensions.push(Extension::build(extension::RENEGOTIATION_INFO, |o| {
                o.push(0)
            }));
        }
        if ch.extension(extension::EC_POINT_FORMATS).is_some() {
            extensions.push(Extension::build(extension::EC_POINT_FORMATS, |o| {
                o.extend_from_slice(&[1, 0])
            }));
        }
        if let Some(profile) = srtp {
            extensions.push(Extension::build(extension::USE_SRTP, |o| {
                UseSrtp {
                    profiles: vec![profile.id()],
                    mki: Vec::new(),
                }
                .write(o)
            }));
        }
        self.suite = Some(suite);
        self.srtp_profile = srtp;
        let kx = self.take_kx(group)?;
        let server_random;
        {
            let hs = self.hs()?;
            hs.client_random = ch.random;
            server_random = hs.server_random;
            hs.transcript.clear();
        }
        // RFC 6347 §4.2.2: our ServerHello takes the ClientHello's sequence number.
        self.next_send_seq = seq;
        self.next_recv_seq = seq.wrapping_add(1);
        self.transcript_add(HandshakeType::ClientHello, seq, body);

        let mut flight = Vec::new();
        let mut sh = Vec::with_capacity(128);
        ServerHello {
            version,
            random: server_random,
            session_id: Vec::new(),
            cipher_suite: suite.id(),
            compression_method: 0,
            extensions,
        }
        .write(&mut sh);
        self.push_message(&mut flight, HandshakeType::ServerHello, sh);

        let mut cert = Vec::new();
        CertificateMsg {
            chain: vec![self.config.certificate.der().to_vec()],
        }
        .write(&mut cert);
        self.push_message(&mut flight, HandshakeType::Certificate, cert);

        let params = ServerKeyExchange::params(group_id(group), kx.public_key());
        let mut signed = Vec::with_capacity(64 + params.len());
        signed.extend_from_slice(&ch.random);
        signed.extend_from_slice(&server_random);
        signed.extend_from_slice(&params);
        let signature = self.config.signing_key.sign(&signed)?;
        let mut ske = Vec::new();
        ServerKeyExchange {
            group: group_id(group),
            public: kx.public_key().to_vec(),
            signed: DigitallySigned {
                scheme: ECDSA_P256_SHA256,
                signature,
            },
        }
        .write(&mut ske);
        self.push_message(&mut flight, HandshakeType::ServerKeyExchange, ske);

        if self.config.require_client_certificate {
            let mut cr = Vec::new();
            CertificateRequest {
                certificate_types: vec![ECDSA_SIGN],
                signature_schemes: vec![ECDSA_P256_SHA256],
                authorities: Vec::new(),
            }
            .write(&mut cr);
            self.push_message(&mut flight, HandshakeType::CertificateRequest, cr);
        }
        self.push_message(&mut flight, HandshakeType::ServerHelloDone, Vec::new());

        let require_certificate = self.config.require_client_certificate;
        let hs = self.hs()?;
        hs.kx = Some(kx);
        hs.expect = if require_certificate {
            Expect::ClientCertificate
        } else {
            Expect::ClientKeyExchange
        };
        // Anything else the client sent early (its next flight reordered ahead) waits in
        // reassembly; drop what belongs to older hellos.
        self.partial.retain(|&s, _| s > seq);
        self.start_flight(now, flight, true);
        Ok(())
    }

    fn on_client_key_exchange(&mut self, seq: u16, body: &[u8]) -> Result<(), Error> {
        let public = parse_client_key_exchange(body).map_err(Error::decode("ClientKeyExchange"))?;
        self.transcript_add(HandshakeType::ClientKeyExchange, seq, body);
        let provider = self.config.provider;
        let suite = self.suite.ok_or(Error::InvalidState("no suite"))?;
        let hs = self.hs()?;
        let kx = hs.kx.take().ok_or(Error::InvalidState("no key exchange"))?;
        let has_client_cert = hs.peer_public_key.is_some();
        let (client_random, server_random) = (hs.client_random, hs.server_random);
        let pre_master = kx.complete(&public)?;
        let session_hash = self.transcript_hash()?;
        let master_secret =
            suite::extended_master_secret(provider, suite, &pre_master, &session_hash);
        let keys = KeyBlock::derive(
            provider,
            suite,
            &master_secret,
            &client_random,
            &server_random,
        )?;
        self.write_cipher = Some(keys.server);
        self.read_cipher = Some(keys.client);
        self.session = Some(Session {
            suite,
            master_secret,
            client_random,
            server_random,
        });
        self.hs()?.expect = if has_client_cert {
            Expect::CertificateVerify
        } else {
            Expect::ClientFinished
        };
        Ok(())
    }

    fn on_certificate_verify(&mut self, seq: u16, body: &[u8]) -> Result<(), Error> {
        let cv = DigitallySigned::parse_body(body).map_err(Error::decode("CertificateVerify"))?;
        if cv.scheme != ECDSA_P256_SHA256 {
            return Err(Error::IllegalParameter("signature scheme we did not offer"));
        }
        let provider = self.config.provider;
        let hs = self.hs()?;
        let key = hs
            .peer_public_key
            .as_ref()
            .ok_or(Error::InvalidState("no client certificate"))?;
        (provider.verify)(
            SignatureScheme::EcdsaSecp256r1Sha256,
            key,
            &hs.transcript,
            &cv.signature,
        )
        .map_err(|_| Error::DecryptError("CertificateVerify signature"))?;
        hs.expect = Expect::ClientFinished;
        self.transcript_add(HandshakeType::CertificateVerify, seq, body);
        Ok(())
    }

    // ---- Both --------------------------------------------------------------------------

    fn on_finished(&mut self, now: Instant, seq: u16, body: &[u8]) -> Result<(), Error> {
        let provider = self.config.provider;
        let session = self
            .session
            .as_ref()
            .ok_or(Error::InvalidState("no session"))?;
        let (suite, master) = (session.suite, session.master_secret.clone());
        let peer_is_client = self.role == Role::Server;
        let expected = suite::verify_data(
            provider,
            suite,
            &master,
            peer_is_client,
            &self.transcript_hash()?,
        );
        if !rtc_crypto::constant_time_eq(&expected, body) {
            return Err(Error::DecryptError("Finished"));
        }
        self.transcript_add(HandshakeType::Finished, seq, body);
        match self.role {
            Role::Server => {
                let verify =
                    suite::verify_data(provider, suite, &master, false, &self.transcript_hash()?);
                let seq_fin = self.next_send_seq;
                self.next_send_seq += 1;
                let flight = vec![
                    FlightEntry::ChangeCipherSpec,
                    FlightEntry::Handshake {
                        epoch: 1,
                        msg_type: HandshakeType::Finished,
                        seq: seq_fin,
                        body: verify,
                    },
                ];
                // The last flight: no timer; resent when the client's flight comes again.
                self.start_flight(now, flight, false);
            }
            Role::Client => {
                // The server has our last flight (it answered it): nothing left to resend.
                self.retransmit_at = None;
                self.flight.clear();
            }
        }
        self.hs = None;
        self.partial.clear();
        match self.peer_certificate.clone() {
            Some(cert) if !self.remote_fingerprints.is_empty() => {
                self.verify_fingerprint(&cert)?;
                self.become_connected();
            }
            _ => self.state = State::AwaitingFingerprint,
        }
        Ok(())
    }

    fn become_connected(&mut self) {
        self.state = State::Connected;
        self.events.push_back(Event::Connected);
        for data in std::mem::take(&mut self.early_data) {
            self.events.push_back(Event::ApplicationData(data));
        }
    }

    fn replay_early_records(&mut self, now: Instant, resent: &mut bool) -> Result<(), Error> {
        let early = std::mem::take(&mut self.early_records);
        for raw in early {
            let (records, _) = Record::parse_datagram(&raw);
            for record in records {
                match self.handle_record(now, &record, resent) {
                    Err(e) if e.is_fatal() => return Err(e),
                    _ => {}
                }
            }
        }
        Ok(())
    }

    /// Appends a handshake message to a flight and the transcript, numbering it.
    fn push_message(
        &mut self,
        flight: &mut Vec<FlightEntry>,
        msg_type: HandshakeType,
        body: Vec<u8>,
    ) {
        let seq = self.next_send_seq;
        self.next_send_seq += 1;
        self.transcript_add(msg_type, seq, &body);
        flight.push(FlightEntry::Handshake {
            epoch: 0,
            msg_type,
            seq,
            body,
        });
    }

    fn start_flight(&mut self, now: Instant, flight: Vec<FlightEntry>, timer: bool) {
        self.flight = flight;
        self.retransmissions = 0;
        self.rto = self.config.initial_retransmit_timeout;
        self.send_flight(now);
        self.retransmit_at = timer.then(|| now + self.rto);
    }

    /// Sends the current flight, fragmenting messages and packing records into datagrams of
    /// at most the MTU (RFC 6347 §4.1.1.1, §4.2.3).
    fn send_flight(&mut self, now: Instant) {
        self.flight_sent_at = Some(now);
        let mtu = self.config.mtu;
        let mut datagram: Vec<u8> = Vec::with_capacity(mtu);
        let flight = std::mem::take(&mut self.flight);
        let suite_overhead = self.suite.map_or(0, CipherSuite::overhead);
        for entry in &flight {
            match entry {
                FlightEntry::ChangeCipherSpec => {
                    if datagram.len() + RECORD_HEADER_LEN + 1 > mtu {
                        self.transmit.push_back(std::mem::take(&mut datagram));
                    }
                    self.write_record_in_epoch(
                        &mut datagram,
                        0,
                        ContentType::ChangeCipherSpec,
                        &[1],
                    );
                }
                FlightEntry::Handshake {
                    epoch,
                    msg_type,
                    seq,
                    body,
                } => {
                    let overhead = RECORD_HEADER_LEN
                        + HANDSHAKE_HEADER_LEN
                        + if *epoch > 0 { suite_overhead } else { 0 };
                    let mut offset = 0usize;
                    loop {
                        let remaining = body.len() - offset;
                        // Start a new datagram rather than send a sliver.
                        if !datagram.is_empty()
                            && datagram.len() + overhead + remaining.min(64) > mtu
                        {
                            self.transmit.push_back(std::mem::take(&mut datagram));
                        }
                        let room = mtu.saturating_sub(datagram.len() + overhead);
                        let n = room.min(remaining);
                        let mut hs_bytes = Vec::with_capacity(HANDSHAKE_HEADER_LEN + n);
                        HandshakeFragment {
                            msg_type: *msg_type,
                            length: body.len() as u32,
                            message_seq: *seq,
                            fragment_offset: offset as u32,
                            fragment: &body[offset..offset + n],
                        }
                        .write(&mut hs_bytes);
                        self.write_record_in_epoch(
                            &mut datagram,
                            *epoch,
                            ContentType::Handshake,
                            &hs_bytes,
                        );
                        offset += n;
                        if offset >= body.len() {
                            break;
                        }
                    }
                }
            }
        }
        if !datagram.is_empty() {
            self.transmit.push_back(datagram);
        }
        self.flight = flight;
    }

    fn write_record(&mut self, out: &mut Vec<u8>, content_type: ContentType, data: &[u8]) {
        let epoch = self.write_epoch;
        self.write_record_in_epoch(out, epoch, content_type, data);
    }

    fn write_record_in_epoch(
        &mut self,
        out: &mut Vec<u8>,
        epoch: u16,
        content_type: ContentType,
        data: &[u8],
    ) {
        let idx = usize::from(epoch.min(1));
        let sequence = self.write_seq[idx];
        self.write_seq[idx] += 1;
        if content_type == ContentType::ChangeCipherSpec {
            // Everything after our ChangeCipherSpec goes out in epoch 1.
            self.write_epoch = 1;
        }
        match (epoch, &self.write_cipher) {
            (1, Some(cipher)) => cipher.seal(out, content_type, DTLS1_2, epoch, sequence, data),
            _ => {
                write_record_header(out, content_type, DTLS1_2, epoch, sequence, data.len());
                out.extend_from_slice(data);
            }
        }
    }

    fn send_alert(&mut self, level: AlertLevel, description: AlertDescription) {
        let level = match level {
            AlertLevel::Warning => 1,
            AlertLevel::Fatal => 2,
        };
        let mut out = Vec::with_capacity(48);
        self.write_record(&mut out, ContentType::Alert, &[level, description.to_u8()]);
        self.transmit.push_back(out);
    }

    /// Ends the connection with `e`: sends its alert (fatal), reports it, returns it.
    fn fail(&mut self, e: Error) -> Error {
        if !matches!(self.state, State::Failed | State::Closed) {
            if !matches!(e, Error::PeerAlert(_) | Error::Timeout) {
                self.send_alert(AlertLevel::Fatal, e.alert());
            }
            self.state = State::Failed;
            self.retransmit_at = None;
            self.hs = None;
            self.events.push_back(Event::Failed(e.clone()));
        }
        e
    }
}

/// SRTP master keys and salts exported from a DTLS connection (RFC 5764 §4.2): the client's
/// protect the client's packets, the server's the server's.
#[derive(Clone, PartialEq, Eq)]
pub struct SrtpKeyingMaterial {
    /// The negotiated profile.
    pub profile: SrtpProfile,
    /// client_write_SRTP_master_key.
    pub client_key: Vec<u8>,
    /// client_write_SRTP_master_salt.
    pub client_salt: Vec<u8>,
    /// server_write_SRTP_master_key.
    pub server_key: Vec<u8>,
    /// server_write_SRTP_master_salt.
    pub server_salt: Vec<u8>,
}

impl std::fmt::Debug for SrtpKeyingMaterial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SrtpKeyingMaterial")
            .field("profile", &self.profile)
            .finish_non_exhaustive()
    }
}
