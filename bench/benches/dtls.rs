//! DTLS 1.2 handshakes, side by side: full in-memory handshake pairs with each of our crypto
//! backends, against webrtc-rs's `webrtc-dtls` 0.12 and `dimpl` 0.9 (str0m's DTLS).
//!
//! A pair is one client and one server connection doing the handshake WebRTC does, on a
//! lossless in-memory link, until both are connected, then exporting the SRTP keying material
//! on both sides: TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, P-256 ECDHE (the only group
//! `webrtc-dtls` 0.12 negotiates: its client offers P-256 first and the server takes the client's
//! first), self-signed ECDSA P-256 certificates on both sides, the server requiring the client's,
//! each side checking the peer's certificate against its SHA-256 fingerprint (as from SDP),
//! extended master secret, and use_srtp offering AEAD_AES_256_GCM, AEAD_AES_128_GCM and
//! AES128_CM_HMAC_SHA1_80 (the list `dimpl` always offers; AEAD_AES_256_GCM is negotiated).
//!
//! Certificates and configurations are made once, outside the timed loop; anything a stack's
//! API takes by value per connection (`webrtc-dtls`'s `Config`, `dimpl`'s certificate) is
//! cloned before the clock starts. Timed: creating both connections, the handshake, and the
//! export on both sides; tearing the pair down is not. One thread: ours and `dimpl` are
//! sans-IO and are driven by a loop that moves datagrams between the two; `webrtc-dtls` runs on
//! a current-thread tokio runtime over `webrtc-util`'s in-memory `conn_pipe`. Before timing,
//! each variant completes one handshake and both sides' keys are compared.
//!
//! "rtc" is ours with the `ring` provider, "rtc (RustCrypto)" with the pure-Rust one, and
//! "rtc (X25519 ECDHE)" ours with ring and X25519 instead of P-256 (our default group, and what
//! browsers pick). The floor is the public-key work of a pair done with ring directly: per side
//! one P-256 key pair and ECDH, one ECDSA signature (ServerKeyExchange, CertificateVerify) and
//! one verification of the peer's; no record layer, hashing or certificate parsing.
//! `webrtc-dtls` cannot skip the HelloVerifyRequest round trip; ours and `dimpl` run without
//! the cookie exchange (ours by default, `dimpl` configured so), as WebRTC can, ICE having
//! proven the peer's address.
#![allow(clippy::disallowed_methods)]

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rtc_crypto::{CryptoProvider, KeyExchangeGroup};
use rtc_dtls::{
    Certificate, CipherSuite, Config, Connection, Fingerprint, FingerprintAlgorithm, Role,
    SrtpKeyingMaterial, SrtpProfile,
};

const GROUP: &str = "dtls: handshake pair (ECDHE-ECDSA P-256, AES-128-GCM, mutual auth, SRTP keys)";
const SRTP_LABEL: &str = "EXTRACTOR-dtls_srtp";
/// Keying material of AEAD_AES_256_GCM: 2 × (32-byte key + 12-byte salt) (RFC 7714).
const AEAD_AES_256_GCM_KEYING_LEN: usize = 88;

/// Times `iters` pairs: `prepare` (untimed) makes a pair's inputs, `handshake` (timed) runs it
/// to completion, `teardown` (untimed) disposes of what it returned.
fn time_pairs<I, D>(
    iters: u64,
    mut prepare: impl FnMut() -> I,
    mut handshake: impl FnMut(I) -> D,
    mut teardown: impl FnMut(D),
) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        let input = prepare();
        let start = Instant::now();
        let done = handshake(black_box(input));
        total += start.elapsed();
        teardown(black_box(done));
    }
    total
}

fn sha256(der: &[u8]) -> Vec<u8> {
    ring::digest::digest(&ring::digest::SHA256, der)
        .as_ref()
        .to_vec()
}

/// Ours: one shared `Config` per side, as an endpoint has.
struct Rtc {
    client: Arc<Config>,
    server: Arc<Config>,
    client_fp: Fingerprint,
    server_fp: Fingerprint,
}

impl Rtc {
    fn new(provider: &'static CryptoProvider, group: KeyExchangeGroup) -> Self {
        let config = || {
            let mut config =
                Config::with_provider(Certificate::generate().unwrap(), provider).unwrap();
            config.cipher_suites = vec![CipherSuite::EcdheEcdsaAes128GcmSha256];
            config.groups = vec![group];
            config.srtp_profiles = vec![
                SrtpProfile::AeadAes256Gcm,
                SrtpProfile::AeadAes128Gcm,
                SrtpProfile::Aes128CmHmacSha1_80,
            ];
            config
        };
        let (client, server) = (config(), config());
        Self {
            client_fp: client
                .certificate()
                .fingerprint(FingerprintAlgorithm::Sha256),
            server_fp: server
                .certificate()
                .fingerprint(FingerprintAlgorithm::Sha256),
            client: Arc::new(client),
            server: Arc::new(server),
        }
    }

    /// One pair: both sides' SRTP keys, and the connections (dropped after the clock stops).
    fn pair(&self) -> (SrtpKeyingMaterial, SrtpKeyingMaterial, [Connection; 2]) {
        let now = Instant::now();
        let mut client = Connection::new(self.client.clone(), Role::Client, now).unwrap();
        let mut server = Connection::new(self.server.clone(), Role::Server, now).unwrap();
        client
            .set_remote_fingerprints(vec![self.server_fp.clone()])
            .unwrap();
        server
            .set_remote_fingerprints(vec![self.client_fp.clone()])
            .unwrap();
        for _ in 0..10 {
            while let Some(d) = client.poll_transmit() {
                server.handle_datagram(now, &d).unwrap();
            }
            while let Some(d) = server.poll_transmit() {
                client.handle_datagram(now, &d).unwrap();
            }
            if client.is_connected() && server.is_connected() {
                return (
                    client.srtp_keying_material().unwrap(),
                    server.srtp_keying_material().unwrap(),
                    [client, server],
                );
            }
        }
        panic!("rtc: no handshake after 10 round trips");
    }
}

/// `dimpl` 0.9 with one of its crypto providers.
struct Dimpl {
    client: Arc<dimpl::Config>,
    server: Arc<dimpl::Config>,
    client_cert: dimpl::DtlsCertificate,
    server_cert: dimpl::DtlsCertificate,
    /// SHA-256 fingerprints, as each side has the other's from SDP.
    client_fp: Vec<u8>,
    server_fp: Vec<u8>,
}

/// What one side of a `dimpl` handshake has seen so far.
#[derive(Default)]
struct DimplSide {
    connected: bool,
    peer_verified: bool,
    keys: Option<(Vec<u8>, dimpl::SrtpProfile)>,
}

impl Dimpl {
    fn new(provider: fn() -> dimpl::crypto::CryptoProvider) -> Self {
        let config = || {
            Arc::new(
                dimpl::Config::builder()
                    .with_crypto_provider(provider())
                    .dtls12_cipher_suites(&[
                        dimpl::crypto::Dtls12CipherSuite::ECDHE_ECDSA_AES128_GCM_SHA256,
                    ])
                    .kx_groups(&[dimpl::NamedGroup::Secp256r1])
                    .use_server_cookie(false)
                    .require_client_certificate(true)
                    .build()
                    .unwrap(),
            )
        };
        let client_cert = dimpl::certificate::generate_self_signed_certificate().unwrap();
        let server_cert = dimpl::certificate::generate_self_signed_certificate().unwrap();
        Self {
            client: config(),
            server: config(),
            client_fp: sha256(&client_cert.certificate),
            server_fp: sha256(&server_cert.certificate),
            client_cert,
            server_cert,
        }
    }

    /// The inputs of one pair: `new_12` takes the certificate by value.
    fn prepare(&self) -> (dimpl::DtlsCertificate, dimpl::DtlsCertificate) {
        (self.client_cert.clone(), self.server_cert.clone())
    }

    /// Drains `endpoint`'s output up to its next timeout: datagrams into `out`, events into
    /// `side`; the peer's certificate is checked against `expected` (its SHA-256 fingerprint).
    fn drain(
        endpoint: &mut dimpl::Dtls,
        buf: &mut Vec<u8>,
        out: &mut Vec<Vec<u8>>,
        side: &mut DimplSide,
        expected: &[u8],
    ) {
        loop {
            match endpoint.poll_output(buf) {
                dimpl::Output::Packet(p) => out.push(p.to_vec()),
                dimpl::Output::BufferTooSmall { needed } => buf.resize(needed, 0),
                dimpl::Output::Timeout(_) => return,
                dimpl::Output::Connected => side.connected = true,
                dimpl::Output::PeerCert(der) => {
                    assert_eq!(sha256(der), expected, "dimpl: fingerprint mismatch");
                    side.peer_verified = true;
                }
                dimpl::Output::KeyingMaterial(km, profile) => {
                    side.keys = Some((km.to_vec(), profile));
                }
                _ => {}
            }
        }
    }

    /// One pair: both sides' keys, the profile, and the endpoints (dropped after the clock
    /// stops).
    fn pair(
        &self,
        (client_cert, server_cert): (dimpl::DtlsCertificate, dimpl::DtlsCertificate),
    ) -> (Vec<u8>, Vec<u8>, dimpl::SrtpProfile, [dimpl::Dtls; 2]) {
        let now = Instant::now();
        let mut client = dimpl::Dtls::new_12(self.client.clone(), client_cert, now);
        client.set_active(true);
        let mut server = dimpl::Dtls::new_12(self.server.clone(), server_cert, now);
        client.handle_timeout(now).unwrap();
        server.handle_timeout(now).unwrap();
        let (mut c, mut s) = (DimplSide::default(), DimplSide::default());
        let mut buf = vec![0u8; 2048];
        let mut datagrams = Vec::new();
        for _ in 0..10 {
            Self::drain(
                &mut client,
                &mut buf,
                &mut datagrams,
                &mut c,
                &self.server_fp,
            );
            for d in datagrams.drain(..) {
                server.handle_packet(&d).unwrap();
            }
            Self::drain(
                &mut server,
                &mut buf,
                &mut datagrams,
                &mut s,
                &self.client_fp,
            );
            for d in datagrams.drain(..) {
                client.handle_packet(&d).unwrap();
            }
            if c.connected && s.connected && c.keys.is_some() && s.keys.is_some() {
                assert!(
                    c.peer_verified && s.peer_verified,
                    "dimpl: a peer went unchecked"
                );
                let (ck, profile) = c.keys.take().unwrap();
                let (sk, _) = s.keys.take().unwrap();
                return (ck, sk, profile, [client, server]);
            }
        }
        panic!("dimpl: no handshake after 10 round trips");
    }
}

/// `webrtc-dtls` 0.12 on a current-thread tokio runtime, as the `webrtc` crate configures it
/// (client `insecure_skip_verify`, server `RequireAnyClientCert`, the peer's certificate checked
/// against its fingerprint in `verify_peer_certificate`), plus our suite and profiles.
mod webrtc_dtls {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use rustls_pki_types::CertificateDer;
    use webrtc_rs_dtls::cipher_suite::CipherSuiteId;
    use webrtc_rs_dtls::config::{ClientAuthType, Config, ExtendedMasterSecretType};
    use webrtc_rs_dtls::conn::DTLSConn;
    use webrtc_rs_dtls::crypto::Certificate;
    use webrtc_rs_dtls::extension::extension_use_srtp::SrtpProtectionProfile;
    use webrtc_rs_util::KeyingMaterialExporter;
    use webrtc_rs_util::conn::conn_pipe::pipe;

    pub(super) struct WebrtcDtls {
        rt: tokio::runtime::Runtime,
        client: Config,
        server: Config,
        /// How many times a `verify_peer_certificate` accepted a peer (for the cross-check).
        pub(super) verified: Arc<AtomicUsize>,
    }

    fn config(cert: Certificate, peer_fp: Vec<u8>, verified: Arc<AtomicUsize>) -> Config {
        let verify = move |certs: &[Vec<u8>], _: &[CertificateDer<'static>]| match certs.first() {
            Some(der) if sha256(der) == peer_fp => {
                verified.fetch_add(1, Ordering::Relaxed);
                Ok(())
            }
            _ => Err(webrtc_rs_dtls::Error::Other("fingerprint mismatch".into())),
        };
        Config {
            certificates: vec![cert],
            cipher_suites: vec![CipherSuiteId::Tls_Ecdhe_Ecdsa_With_Aes_128_Gcm_Sha256],
            srtp_protection_profiles: vec![
                SrtpProtectionProfile::Srtp_Aead_Aes_256_Gcm,
                SrtpProtectionProfile::Srtp_Aead_Aes_128_Gcm,
                SrtpProtectionProfile::Srtp_Aes128_Cm_Hmac_Sha1_80,
            ],
            extended_master_secret: ExtendedMasterSecretType::Require,
            client_auth: ClientAuthType::RequireAnyClientCert,
            insecure_skip_verify: true,
            verify_peer_certificate: Some(Arc::new(verify)),
            server_name: "webrtc".into(),
            ..Default::default()
        }
    }

    /// The SRTP keying material, as `webrtc`'s DTLS transport exports it.
    async fn export(conn: &DTLSConn) -> Vec<u8> {
        conn.connection_state()
            .await
            .export_keying_material(SRTP_LABEL, &[], AEAD_AES_256_GCM_KEYING_LEN)
            .await
            .unwrap()
    }

    impl WebrtcDtls {
        pub(super) fn new() -> Self {
            let cert = || Certificate::generate_self_signed(vec!["webrtc".to_owned()]).unwrap();
            let (client_cert, server_cert) = (cert(), cert());
            let client_fp = sha256(&client_cert.certificate[0]);
            let server_fp = sha256(&server_cert.certificate[0]);
            let verified = Arc::new(AtomicUsize::new(0));
            Self {
                rt: tokio::runtime::Builder::new_current_thread()
                    .enable_time()
                    .build()
                    .unwrap(),
                client: config(client_cert, server_fp, verified.clone()),
                server: config(server_cert, client_fp, verified.clone()),
                verified,
            }
        }

        /// The inputs of one pair: `DTLSConn::new` takes the `Config` by value.
        pub(super) fn prepare(&self) -> (Config, Config) {
            (self.client.clone(), self.server.clone())
        }

        /// One pair: both connected, both sides' keys; the connections, to be closed.
        pub(super) fn pair(
            &self,
            (client_config, server_config): (Config, Config),
        ) -> (Vec<u8>, Vec<u8>, SrtpProtectionProfile, [DTLSConn; 2]) {
            self.rt.block_on(async {
                let (a, b) = pipe();
                let (client, server) = tokio::join!(
                    DTLSConn::new(Arc::new(a), client_config, true, None),
                    DTLSConn::new(Arc::new(b), server_config, false, None),
                );
                let (client, server) = (client.unwrap(), server.unwrap());
                let profile = client.selected_srtpprotection_profile();
                assert_eq!(profile, server.selected_srtpprotection_profile());
                let ck = export(&client).await;
                let sk = export(&server).await;
                (ck, sk, profile, [client, server])
            })
        }

        /// Closes both connections (their reader tasks end with them).
        pub(super) fn close(&self, conns: [DTLSConn; 2]) {
            self.rt.block_on(async {
                for conn in conns {
                    let _ = conn.close().await;
                }
            });
        }
    }
}

/// The floor: a pair's public-key operations with ring, nothing else.
struct RingFloor {
    rng: ring::rand::SystemRandom,
    signers: [ring::signature::EcdsaKeyPair; 2],
}

impl RingFloor {
    fn new() -> Self {
        use ring::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair};
        let rng = ring::rand::SystemRandom::new();
        let signer = || {
            let pkcs8 =
                EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap();
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref(), &rng).unwrap()
        };
        let signers = [signer(), signer()];
        Self { rng, signers }
    }

    fn pair(&self) -> [u8; 32] {
        use ring::agreement::{ECDH_P256, EphemeralPrivateKey, UnparsedPublicKey, agree_ephemeral};
        use ring::signature::{ECDSA_P256_SHA256_ASN1, KeyPair};
        let keys = [(); 2].map(|()| EphemeralPrivateKey::generate(&ECDH_P256, &self.rng).unwrap());
        let publics = keys.each_ref().map(|k| k.compute_public_key().unwrap());
        let mut secrets = [[0u8; 32]; 2];
        for (i, key) in keys.into_iter().enumerate() {
            let peer = UnparsedPublicKey::new(&ECDH_P256, publics[1 - i].as_ref().to_vec());
            secrets[i] = agree_ephemeral(key, &peer, |s| <[u8; 32]>::try_from(s).unwrap()).unwrap();
        }
        assert_eq!(secrets[0], secrets[1]);
        for (i, signer) in self.signers.iter().enumerate() {
            let message = publics[i].as_ref();
            let signature = signer.sign(&self.rng, message).unwrap();
            let peer_view = ring::signature::UnparsedPublicKey::new(
                &ECDSA_P256_SHA256_ASN1,
                signer.public_key(),
            );
            peer_view.verify(message, signature.as_ref()).unwrap();
        }
        secrets[0]
    }
}

fn benches(c: &mut Criterion) {
    // Cross-checks: every variant completes a handshake, negotiates AEAD_AES_256_GCM and both
    // sides export the same keys.
    let rtc: Vec<(&str, Rtc)> = vec![
        (
            "rtc",
            Rtc::new(&rtc_crypto::RING, KeyExchangeGroup::Secp256r1),
        ),
        (
            "rtc (RustCrypto)",
            Rtc::new(&rtc_crypto::RUST_CRYPTO, KeyExchangeGroup::Secp256r1),
        ),
        (
            "rtc (X25519 ECDHE)",
            Rtc::new(&rtc_crypto::RING, KeyExchangeGroup::X25519),
        ),
    ];
    for (name, stack) in &rtc {
        let (ck, sk, [client, server]) = stack.pair();
        assert_eq!(ck, sk, "{name}: keys differ");
        assert_eq!(ck.profile, SrtpProfile::AeadAes256Gcm, "{name}");
        for conn in [client, server] {
            assert_eq!(
                conn.cipher_suite(),
                Some(CipherSuite::EcdheEcdsaAes128GcmSha256),
                "{name}"
            );
        }
    }
    let dimpl_stacks = [
        (
            "dimpl 0.9 (aws-lc-rs)",
            Dimpl::new(dimpl::crypto::aws_lc_rs::default_provider),
        ),
        (
            "dimpl 0.9 (RustCrypto)",
            Dimpl::new(dimpl::crypto::rust_crypto::default_provider),
        ),
    ];
    for (name, stack) in &dimpl_stacks {
        let (ck, sk, profile, _) = stack.pair(stack.prepare());
        assert_eq!(ck, sk, "{name}: keys differ");
        assert_eq!(ck.len(), AEAD_AES_256_GCM_KEYING_LEN, "{name}");
        assert_eq!(profile, dimpl::SrtpProfile::AEAD_AES_256_GCM, "{name}");
    }
    let webrtc = webrtc_dtls::WebrtcDtls::new();
    {
        let (ck, sk, profile, conns) = webrtc.pair(webrtc.prepare());
        assert_eq!(ck, sk, "webrtc-dtls: keys differ");
        assert_eq!(ck.len(), AEAD_AES_256_GCM_KEYING_LEN);
        assert_eq!(
            webrtc.verified.load(std::sync::atomic::Ordering::Relaxed),
            2,
            "webrtc-dtls: both sides check the peer's fingerprint"
        );
        assert_eq!(
            profile,
            webrtc_rs_dtls::extension::extension_use_srtp::SrtpProtectionProfile::Srtp_Aead_Aes_256_Gcm
        );
        webrtc.close(conns);
    }

    let mut g = c.benchmark_group(GROUP);
    // One pair per iteration: the report shows pairs per second next to the time.
    g.throughput(Throughput::Elements(1));
    for (name, stack) in &rtc {
        g.bench_function(*name, |b| {
            b.iter_custom(|iters| time_pairs(iters, || (), |()| stack.pair(), drop))
        });
    }
    for (name, stack) in &dimpl_stacks {
        g.bench_function(*name, |b| {
            b.iter_custom(|iters| time_pairs(iters, || stack.prepare(), |i| stack.pair(i), drop))
        });
    }
    let floor = RingFloor::new();
    g.bench_function("ring P-256 ECDHE + ECDSA operations only (floor)", |b| {
        b.iter(|| floor.pair())
    });
    g.bench_function("webrtc-rs webrtc-dtls 0.12", |b| {
        b.iter_custom(|iters| {
            time_pairs(
                iters,
                || webrtc.prepare(),
                |i| webrtc.pair(i),
                |(_, _, _, conns)| webrtc.close(conns),
            )
        })
    });
    g.finish();
}

criterion_group!(dtls, benches);
criterion_main!(dtls);
