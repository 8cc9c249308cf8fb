//! The association's configuration.

use std::time::Duration;

use rtc_crypto::CryptoProvider;

/// How an association behaves. Build one with [`Config::new`] (WebRTC defaults), change the
/// fields that matter, and share it (`Arc`) between associations.
#[derive(Clone)]
pub struct Config {
    /// Our SCTP port: RFC 8841 §5 `a=sctp-port`, 5000 by default.
    pub local_port: u16,
    /// The peer's SCTP port, 5000 by default. Packets from other ports are dropped. 0
    /// accepts an INIT from any port and keeps to that port from then on (a listening
    /// endpoint outside WebRTC, where no SDP names the port); such an association cannot
    /// [`crate::Association::connect`].
    pub remote_port: u16,
    /// Outbound streams we ask for (RFC 9260 §3.3.2 OS); the peer's MIS may lower it.
    pub outbound_streams: u16,
    /// Inbound streams we accept (MIS).
    pub inbound_streams: u16,
    /// Receive buffer, in bytes: what we advertise as a_rwnd when nothing is buffered.
    pub receive_window: u32,
    /// Bytes the application may queue (not yet acknowledged) before [`crate::Association::send`]
    /// refuses more: the send side's back-pressure.
    pub send_buffer: usize,
    /// Largest message [`crate::Association::send`] accepts and reassembly keeps (RFC 8841
    /// `a=max-message-size`; 256 KiB like Chromium).
    pub max_message_size: usize,
    /// Largest SCTP packet, common header included: what fits in one DTLS record in one
    /// datagram. Rounded down to a multiple of 4.
    pub max_packet_size: usize,
    /// RTO.Initial (RFC 9260 §16; WebRTC stacks use less than the RFC's 1 s).
    pub rto_initial: Duration,
    /// RTO.Min.
    pub rto_min: Duration,
    /// RTO.Max.
    pub rto_max: Duration,
    /// Max.Init.Retransmits: INIT and COOKIE ECHO attempts before giving up.
    pub max_init_retransmits: u32,
    /// Association.Max.Retrans: consecutive timeouts (T3-rtx, heartbeats, RE-CONFIG) before
    /// the peer is declared unreachable.
    pub max_retransmissions: u32,
    /// How long a SACK may be delayed (RFC 9260 §6.2: at most 500 ms; 200 ms here).
    pub delayed_ack: Duration,
    /// HB.interval: an idle association sends a HEARTBEAT this often; `None` turns them off.
    pub heartbeat_interval: Option<Duration>,
    /// Valid.Cookie.Life.
    pub cookie_lifetime: Duration,
    /// Announce Zero Checksum Acceptable with the DTLS method (RFC 9653 §5, RFC 8261): the
    /// peer may then leave the CRC32c of its packets at zero, and when it announces the same
    /// we leave ours at zero too (DTLS authenticates every packet). On by default, like
    /// Chromium; turn it off when SCTP does not run over DTLS.
    pub zero_checksum: bool,
    /// Where the association draws its tags, initial TSN and cookie key, and computes the
    /// cookie's HMAC.
    pub provider: &'static CryptoProvider,
}

impl Config {
    /// WebRTC defaults (RFC 8831, and what Chromium's dcSCTP uses where the RFCs leave a
    /// choice) with the default crypto provider.
    pub fn new() -> Self {
        Self::with_provider(rtc_crypto::default_provider())
    }

    /// [`Config::new`] with a chosen crypto provider.
    pub fn with_provider(provider: &'static CryptoProvider) -> Self {
        Self {
            local_port: 5000,
            remote_port: 5000,
            outbound_streams: u16::MAX,
            inbound_streams: u16::MAX,
            receive_window: 4 * 1024 * 1024,
            send_buffer: 16 * 1024 * 1024,
            max_message_size: 256 * 1024,
            max_packet_size: 1188,
            rto_initial: Duration::from_millis(500),
            rto_min: Duration::from_millis(400),
            rto_max: Duration::from_secs(60),
            max_init_retransmits: 8,
            max_retransmissions: 10,
            delayed_ack: Duration::from_millis(200),
            heartbeat_interval: Some(Duration::from_secs(30)),
            cookie_lifetime: Duration::from_secs(60),
            zero_checksum: true,
            provider,
        }
    }

    /// The packet size actually used: at least room for a DATA chunk, a multiple of 4.
    pub(crate) fn packet_size(&self) -> usize {
        self.max_packet_size.clamp(256, 65_532) & !3
    }
}

impl Default for Config {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("local_port", &self.local_port)
            .field("remote_port", &self.remote_port)
            .field("outbound_streams", &self.outbound_streams)
            .field("inbound_streams", &self.inbound_streams)
            .field("receive_window", &self.receive_window)
            .field("send_buffer", &self.send_buffer)
            .field("max_message_size", &self.max_message_size)
            .field("max_packet_size", &self.max_packet_size)
            .field("rto_initial", &self.rto_initial)
            .field("rto_min", &self.rto_min)
            .field("rto_max", &self.rto_max)
            .field("max_init_retransmits", &self.max_init_retransmits)
            .field("max_retransmissions", &self.max_retransmissions)
            .field("delayed_ack", &self.delayed_ack)
            .field("heartbeat_interval", &self.heartbeat_interval)
            .field("cookie_lifetime", &self.cookie_lifetime)
            .field("zero_checksum", &self.zero_checksum)
            .field("provider", &self.provider.name)
            .finish()
    }
}
