//! What a connection is configured with; shared (in an `Arc`) by every connection of an
//! endpoint.

use std::sync::Arc;
use std::time::Duration;

use rtc_crypto::{CryptoProvider, KeyExchangeGroup, SigningKey};

use crate::certificate::{Certificate, public_key_of};
use crate::error::Error;
use crate::suite::{CipherSuite, SrtpProfile};

/// A connection's configuration: our certificate, what we offer, and the timers.
#[derive(Clone)]
pub struct Config {
    pub(crate) certificate: Certificate,
    pub(crate) signing_key: Arc<dyn SigningKey>,
    pub(crate) provider: &'static CryptoProvider,
    /// Cipher suites in preference order (a server picks its first one the client offers).
    pub cipher_suites: Vec<CipherSuite>,
    /// Key exchange groups in preference order.
    pub groups: Vec<KeyExchangeGroup>,
    /// SRTP protection profiles offered or accepted with use_srtp (RFC 5764), in preference
    /// order; empty for a data-only connection (no use_srtp extension).
    pub srtp_profiles: Vec<SrtpProfile>,
    /// Largest datagram we send (handshake flights are fragmented and packed to fit). 1200 by
    /// default, which fits any path WebRTC runs on, including TURN's overhead.
    pub mtu: usize,
    /// The first retransmission timeout (RFC 6347 §4.2.4.1 recommends 1 s); doubled on each
    /// retransmission up to [`Config::max_retransmit_timeout`].
    pub initial_retransmit_timeout: Duration,
    /// Cap of the retransmission timeout (RFC 6347: 60 s).
    pub max_retransmit_timeout: Duration,
    /// Retransmissions of one flight before the handshake fails with [`Error::Timeout`].
    pub max_retransmissions: u32,
    /// Server: answer the first ClientHello with a HelloVerifyRequest cookie (RFC 6347
    /// §4.2.1). Off by default: in WebRTC, ICE has already proven the peer's address.
    pub cookie_exchange: bool,
    /// Server: request and require the client's certificate (WebRTC requires mutual
    /// authentication, RFC 8827 §6.5). On by default.
    pub require_client_certificate: bool,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("certificate", &self.certificate)
            .field("provider", &self.provider.name)
            .field("cipher_suites", &self.cipher_suites)
            .field("groups", &self.groups)
            .field("srtp_profiles", &self.srtp_profiles)
            .field("mtu", &self.mtu)
            .field(
                "initial_retransmit_timeout",
                &self.initial_retransmit_timeout,
            )
            .field("cookie_exchange", &self.cookie_exchange)
            .field(
                "require_client_certificate",
                &self.require_client_certificate,
            )
            .finish_non_exhaustive()
    }
}

impl Config {
    /// A configuration with `certificate` and the default crypto provider: every cipher
    /// suite, X25519 then P-256, every SRTP profile, MTU 1200, 1 s initial retransmission
    /// timeout, mutual authentication, no cookie exchange.
    pub fn new(certificate: Certificate) -> Result<Self, Error> {
        Self::with_provider(certificate, rtc_crypto::default_provider())
    }

    /// Like [`Config::new`], with a chosen crypto provider.
    pub fn with_provider(
        certificate: Certificate,
        provider: &'static CryptoProvider,
    ) -> Result<Self, Error> {
        let signing_key: Arc<dyn SigningKey> =
            Arc::from((provider.signing_key)(certificate.private_key_pkcs8())?);
        if signing_key.public_key() != public_key_of(certificate.der())?.as_slice() {
            return Err(Error::Config(
                "private key does not belong to the certificate".into(),
            ));
        }
        Ok(Self {
            certificate,
            signing_key,
            provider,
            cipher_suites: CipherSuite::ALL.to_vec(),
            groups: vec![KeyExchangeGroup::X25519, KeyExchangeGroup::Secp256r1],
            srtp_profiles: SrtpProfile::ALL.to_vec(),
            mtu: 1200,
            initial_retransmit_timeout: Duration::from_secs(1),
            max_retransmit_timeout: Duration::from_secs(60),
            max_retransmissions: 7,
            cookie_exchange: false,
            require_client_certificate: true,
        })
    }

    /// Our certificate.
    pub fn certificate(&self) -> &Certificate {
        &self.certificate
    }

    /// The crypto provider.
    pub fn provider(&self) -> &'static CryptoProvider {
        self.provider
    }

    pub(crate) fn check(&self) -> Result<(), Error> {
        if self.cipher_suites.is_empty() {
            return Err(Error::Config("no cipher suite".into()));
        }
        if self.groups.is_empty() {
            return Err(Error::Config("no key exchange group".into()));
        }
        if self.mtu < 256 {
            return Err(Error::Config(format!("MTU {} is below 256", self.mtu)));
        }
        Ok(())
    }
}
