//! Full handshakes between two of our connections on virtual time: every suite, group and
//! backend, cookies, loss with reordering, and the exporter.

#![allow(clippy::disallowed_methods)] // `Instant::now()` only picks the origin of virtual time

mod support;

use std::time::Duration;

use rtc_dtls::{CipherSuite, Error, Event, KeyExchangeGroup, SrtpProfile, State};
use support::{Link, Pair, config};

#[test]
fn every_suite_group_and_backend() {
    for provider in rtc_crypto::providers() {
        for suite in CipherSuite::ALL {
            for group in [KeyExchangeGroup::X25519, KeyExchangeGroup::Secp256r1] {
                let (mut c, _) = config(provider);
                let (s, _) = config(provider);
                c.cipher_suites = vec![suite];
                c.groups = vec![group];
                let mut pair = Pair::new(c, s);
                assert!(
                    pair.run(Link::PERFECT, 1, Duration::from_secs(5)),
                    "{} {suite:?} {group:?}",
                    provider.name
                );
                assert_eq!(pair.client.cipher_suite(), Some(suite));
                assert_eq!(pair.server.cipher_suite(), Some(suite));
                assert_eq!(
                    pair.client.srtp_keying_material().unwrap(),
                    pair.server.srtp_keying_material().unwrap()
                );
                let ek = pair
                    .client
                    .export_keying_material("EXPERIMENTAL-test", Some(b"ctx"), 40)
                    .unwrap();
                assert_eq!(
                    ek,
                    pair.server
                        .export_keying_material("EXPERIMENTAL-test", Some(b"ctx"), 40)
                        .unwrap()
                );
                // Data both ways.
                pair.client.send(b"ping").unwrap();
                pair.server.send(b"pong").unwrap();
                pair.settle();
                assert!(
                    pair.server_events
                        .contains(&Event::ApplicationData(b"ping".to_vec()))
                );
                assert!(
                    pair.client_events
                        .contains(&Event::ApplicationData(b"pong".to_vec()))
                );
            }
        }
    }
}

#[test]
fn backends_interoperate() {
    let providers = rtc_crypto::providers();
    for a in &providers {
        for b in &providers {
            let (c, _) = config(a);
            let (s, _) = config(b);
            let mut pair = Pair::new(c, s);
            assert!(pair.run(Link::PERFECT, 3, Duration::from_secs(5)));
        }
    }
}

#[test]
fn srtp_profile_negotiation() {
    let provider = rtc_crypto::default_provider();
    let (mut c, _) = config(provider);
    let (mut s, _) = config(provider);
    c.srtp_profiles = vec![SrtpProfile::Aes128CmHmacSha1_80, SrtpProfile::AeadAes256Gcm];
    s.srtp_profiles = vec![SrtpProfile::AeadAes256Gcm, SrtpProfile::Aes128CmHmacSha1_80];
    let mut pair = Pair::new(c, s);
    assert!(pair.run(Link::PERFECT, 1, Duration::from_secs(5)));
    assert_eq!(pair.client.srtp_profile(), Some(SrtpProfile::AeadAes256Gcm));
    let keys = pair.client.srtp_keying_material().unwrap();
    assert_eq!(keys.client_key.len(), 32);
    assert_eq!(keys.client_salt.len(), 12);

    // No profile in common: the handshake completes without SRTP.
    let (mut c, _) = config(provider);
    let (mut s, _) = config(provider);
    c.srtp_profiles = vec![SrtpProfile::Aes128CmHmacSha1_32];
    s.srtp_profiles = vec![SrtpProfile::AeadAes128Gcm];
    let mut pair = Pair::new(c, s);
    assert!(pair.run(Link::PERFECT, 1, Duration::from_secs(5)));
    assert_eq!(pair.client.srtp_profile(), None);
    assert!(pair.client.srtp_keying_material().is_err());

    // Data channel only: no use_srtp at all.
    let (mut c, _) = config(provider);
    let (s, _) = config(provider);
    c.srtp_profiles.clear();
    let mut pair = Pair::new(c, s);
    assert!(pair.run(Link::PERFECT, 1, Duration::from_secs(5)));
    assert_eq!(pair.server.srtp_profile(), None);
}

#[test]
fn cookie_exchange() {
    let provider = rtc_crypto::default_provider();
    let (c, _) = config(provider);
    let (mut s, _) = config(provider);
    s.cookie_exchange = true;
    let mut pair = Pair::new(c, s);
    assert!(pair.run(Link::PERFECT, 1, Duration::from_secs(5)));
    // ClientHello, HelloVerifyRequest, ClientHello, server flight (fits in one or two
    // datagrams), client flight, server Finished.
    assert!(pair.delivered >= 6, "{}", pair.delivered);
}

#[test]
fn small_mtu_fragments_every_flight() {
    let provider = rtc_crypto::default_provider();
    let (mut c, _) = config(provider);
    let (mut s, _) = config(provider);
    c.mtu = 256;
    s.mtu = 256;
    let mut pair = Pair::new(c, s);
    assert!(pair.run(Link::PERFECT, 1, Duration::from_secs(5)));
}

#[test]
fn survives_30_percent_loss_with_reordering_and_duplicates() {
    let provider = rtc_crypto::default_provider();
    let link = Link {
        loss: 0.3,
        reorder: 0.3,
        duplicate: 0.1,
        delay: Duration::from_millis(20),
    };
    let mut worst = Duration::ZERO;
    for seed in 0..40 {
        let (mut c, _) = config(provider);
        let (mut s, _) = config(provider);
        // Small MTU so flights are several datagrams, each lost on its own.
        c.mtu = 400;
        s.mtu = 400;
        s.cookie_exchange = seed % 2 == 0;
        let mut pair = Pair::new(c, s);
        let start = pair.now;
        assert!(
            pair.run(link, seed, Duration::from_secs(120)),
            "seed {seed}: client {:?} server {:?}; events {:?} / {:?}",
            pair.client.state(),
            pair.server.state(),
            pair.client_events,
            pair.server_events
        );
        worst = worst.max(pair.now - start);
    }
    assert!(worst < Duration::from_secs(120));
}

#[test]
fn fingerprint_mismatch_fails_with_bad_certificate() {
    let provider = rtc_crypto::default_provider();
    let (c, _) = config(provider);
    let (s, _) = config(provider);
    let (_, other) = config(provider);
    let mut pair = Pair::with_fingerprints(c, s, false);
    pair.client.set_remote_fingerprints(vec![other]).unwrap();
    assert!(!pair.run(Link::PERFECT, 1, Duration::from_secs(5)));
    assert_eq!(pair.client.state(), State::Failed);
    assert!(
        pair.client_events
            .iter()
            .any(|e| matches!(e, Event::Failed(Error::FingerprintMismatch { .. })))
    );
    // The server got our bad_certificate alert.
    assert_eq!(pair.server.state(), State::Failed);
    assert!(
        pair.server_events
            .iter()
            .any(|e| matches!(e, Event::Failed(Error::PeerAlert(_))))
    );
}

#[test]
fn fingerprint_given_after_the_handshake() {
    let provider = rtc_crypto::default_provider();
    let (c, cfp) = config(provider);
    let (s, sfp) = config(provider);
    let mut pair = Pair::with_fingerprints(c, s, false);
    pair.settle();
    assert_eq!(pair.client.state(), State::AwaitingFingerprint);
    assert_eq!(pair.server.state(), State::AwaitingFingerprint);
    // No keys before the fingerprint is checked.
    assert!(pair.client.srtp_keying_material().is_err());
    assert!(pair.client.send(b"x").is_err());
    pair.client.set_remote_fingerprints(vec![sfp]).unwrap();
    pair.server
        .set_remote_fingerprints(vec![cfp.clone()])
        .unwrap();
    assert!(pair.client.is_connected() && pair.server.is_connected());

    // A wrong one given late fails the connection.
    let (c, _) = config(provider);
    let (s, _) = config(provider);
    let mut pair = Pair::with_fingerprints(c, s, false);
    pair.settle();
    assert!(matches!(
        pair.client.set_remote_fingerprints(vec![cfp]),
        Err(Error::FingerprintMismatch { .. })
    ));
    assert_eq!(pair.client.state(), State::Failed);
}

#[test]
fn close_notify_both_ways() {
    let provider = rtc_crypto::default_provider();
    let (c, _) = config(provider);
    let (s, _) = config(provider);
    let mut pair = Pair::new(c, s);
    assert!(pair.run(Link::PERFECT, 1, Duration::from_secs(5)));
    pair.client.close();
    pair.settle();
    assert_eq!(pair.client.state(), State::Closed);
    assert_eq!(pair.server.state(), State::Closed);
    assert!(pair.server_events.contains(&Event::Closed));
}

#[test]
fn unanswered_handshake_times_out() {
    let provider = rtc_crypto::default_provider();
    let (c, _) = config(provider);
    let (s, _) = config(provider);
    let mut pair = Pair::new(c, s);
    let dead = Link {
        loss: 1.0,
        ..Link::PERFECT
    };
    assert!(!pair.run(dead, 1, Duration::from_secs(3600)));
    assert_eq!(pair.client.state(), State::Failed);
    assert!(pair.client_events.contains(&Event::Failed(Error::Timeout)));
}

#[test]
fn no_common_suite_fails_with_handshake_failure() {
    let provider = rtc_crypto::default_provider();
    let (mut c, _) = config(provider);
    let (mut s, _) = config(provider);
    c.cipher_suites = vec![CipherSuite::EcdheEcdsaChacha20Poly1305Sha256];
    s.cipher_suites = vec![CipherSuite::EcdheEcdsaAes128GcmSha256];
    let mut pair = Pair::new(c, s);
    assert!(!pair.run(Link::PERFECT, 1, Duration::from_secs(5)));
    assert_eq!(pair.server.state(), State::Failed);
    assert_eq!(pair.client.state(), State::Failed);
    assert!(pair.client_events.iter().any(|e| matches!(
        e,
        Event::Failed(Error::PeerAlert(
            rtc_dtls::message::AlertDescription::HandshakeFailure
        ))
    )));
}

/// Each side makes its ephemeral key while it waits for the peer: a timer due at once, but
/// only once the first flight has been taken, and gone after it ran.
#[test]
fn ephemeral_key_made_ahead_while_waiting() {
    use std::sync::Arc;

    use rtc_dtls::{Connection, Role};
    let provider = rtc_crypto::default_provider();
    let (c, client_fingerprint) = config(provider);
    let (s, server_fingerprint) = config(provider);
    let now = std::time::Instant::now();

    let mut server = Connection::new(Arc::new(s), Role::Server, now).unwrap();
    server
        .set_remote_fingerprints(vec![client_fingerprint])
        .unwrap();
    assert_eq!(server.poll_timeout(), Some(now));
    server.handle_timeout(now);
    assert_eq!(
        server.poll_timeout(),
        None,
        "the server has nothing else to time"
    );

    let mut client = Connection::new(Arc::new(c), Role::Client, now).unwrap();
    client
        .set_remote_fingerprints(vec![server_fingerprint])
        .unwrap();
    let first = client
        .poll_timeout()
        .expect("the ClientHello's retransmission");
    assert!(first > now, "not before the ClientHello has been taken");
    let hello = client.poll_transmit().expect("the ClientHello");
    assert_eq!(client.poll_timeout(), Some(now));
    client.handle_timeout(now);
    assert_eq!(
        client.poll_timeout(),
        Some(first),
        "only the retransmission is left"
    );
    assert!(
        client.poll_transmit().is_none(),
        "making the key sends nothing"
    );

    // The handshake goes on with the spare keys.
    server.handle_datagram(now, &hello).unwrap();
    let mut to_client: Vec<Vec<u8>> = std::iter::from_fn(|| server.poll_transmit()).collect();
    for _ in 0..4 {
        for d in to_client.drain(..) {
            client.handle_datagram(now, &d).unwrap();
        }
        for d in std::iter::from_fn(|| client.poll_transmit()).collect::<Vec<_>>() {
            server.handle_datagram(now, &d).unwrap();
        }
        to_client.extend(std::iter::from_fn(|| server.poll_transmit()));
    }
    assert_eq!(client.state(), State::Connected);
    assert_eq!(server.state(), State::Connected);
}
