//! How a peer connection is set up (the W3C `RTCConfiguration`, sans-IO).

use std::net::SocketAddr;
use std::sync::Arc;

use rtc_crypto::CryptoProvider;
use rtc_dtls::Certificate;

pub use rtc_ice::TurnServer;

/// A peer connection's configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The DTLS certificate (W3C `certificates`); a new ECDSA P-256 one when `None`.
    pub certificate: Option<Certificate>,
    /// STUN servers to gather server-reflexive candidates from (`stun:` URLs resolved by the
    /// driver).
    pub stun_servers: Vec<SocketAddr>,
    /// TURN servers (UDP) to gather relayed candidates from.
    pub turn_servers: Vec<TurnServer>,
    /// Signal host candidates as mDNS names (`<uuid>.local`), as browsers do; the driver's
    /// responder answers for them ([`crate::Event::RegisterHostname`]).
    pub mdns_hostnames: bool,
    /// Run ICE lite (RFC 8445 §2.5, `a=ice-lite`): for a server with a public address.
    pub ice_lite: bool,
    /// Largest message we accept on a data channel, announced as `a=max-message-size`
    /// (RFC 8841 §6). 256 KiB, as Chromium.
    pub max_message_size: usize,
    /// SCTP settings (ports are taken from the SDP).
    pub sctp: rtc_sctp::Config,
    /// Crypto for DTLS, ICE credentials and tie breakers, SCTP tags.
    pub provider: &'static CryptoProvider,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            certificate: None,
            stun_servers: Vec::new(),
            turn_servers: Vec::new(),
            mdns_hostnames: false,
            ice_lite: false,
            max_message_size: 256 * 1024,
            sctp: rtc_sctp::Config::new(),
            provider: rtc_crypto::default_provider(),
        }
    }
}

impl Config {
    pub(crate) fn dtls_config(&self) -> Result<Arc<rtc_dtls::Config>, rtc_dtls::Error> {
        let certificate = match &self.certificate {
            Some(c) => c.clone(),
            None => Certificate::generate()?,
        };
        Ok(Arc::new(rtc_dtls::Config::with_provider(
            certificate,
            self.provider,
        )?))
    }
}
