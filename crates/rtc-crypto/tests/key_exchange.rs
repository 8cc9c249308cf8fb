//! Ephemeral X25519 and P-256 key agreement: both sides agree within and across backends, and
//! malformed or invalid peer values are refused. (RFC 7748 §6.1's fixed-key vector cannot be
//! driven through an API that only makes fresh keys.)

mod common;

use common::hex;
use rtc_crypto::{CryptoError, KeyExchangeGroup, providers};

const GROUPS: [KeyExchangeGroup; 2] = [KeyExchangeGroup::X25519, KeyExchangeGroup::Secp256r1];

#[test]
fn both_sides_agree_for_every_group_and_every_pair_of_backends() {
    for group in GROUPS {
        for ours in providers() {
            for theirs in providers() {
                let label = format!("{group:?} {} with {}", ours.name, theirs.name);
                let a = (ours.key_exchange)(group).unwrap();
                let b = (theirs.key_exchange)(group).unwrap();
                assert_eq!(a.group(), group);
                assert_eq!(b.group(), group);
                assert_ne!(a.public_key(), b.public_key(), "{label}");
                let a_public = a.public_key().to_vec();
                let from_a = a.complete(b.public_key()).unwrap();
                let from_b = b.complete(&a_public).unwrap();
                assert_eq!(from_a, from_b, "{label}");
                assert_eq!(from_a.len(), 32, "{label}");
                assert!(from_a.iter().any(|&x| x != 0), "{label}");
            }
        }
    }
}

#[test]
fn public_values_have_the_wire_form() {
    for provider in providers() {
        let x25519 = (provider.key_exchange)(KeyExchangeGroup::X25519).unwrap();
        assert_eq!(x25519.public_key().len(), 32, "{}", provider.name);
        let p256 = (provider.key_exchange)(KeyExchangeGroup::Secp256r1).unwrap();
        assert_eq!(p256.public_key().len(), 65, "{}", provider.name);
        assert_eq!(p256.public_key()[0], 0x04, "{}", provider.name);
    }
}

fn refuses(group: KeyExchangeGroup, peer: &[u8], what: &str) {
    for provider in providers() {
        let key = (provider.key_exchange)(group).unwrap();
        assert_eq!(
            key.complete(peer),
            Err(CryptoError::InvalidPublicKey),
            "{} {group:?}: {what}",
            provider.name
        );
    }
}

#[test]
fn x25519_refuses_wrong_lengths_and_low_order_points() {
    refuses(KeyExchangeGroup::X25519, &[], "empty");
    refuses(KeyExchangeGroup::X25519, &[9; 31], "31 bytes");
    refuses(KeyExchangeGroup::X25519, &[9; 33], "33 bytes");
    // RFC 7748 §6.1: these give the all-zero shared secret, which must be refused.
    refuses(KeyExchangeGroup::X25519, &[0; 32], "u = 0");
    let mut one = [0u8; 32];
    one[0] = 1;
    refuses(KeyExchangeGroup::X25519, &one, "u = 1");
    // u = p (2^255 - 19), which is 0 mod p.
    let p = hex("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");
    refuses(KeyExchangeGroup::X25519, &p, "u = p");
}

/// A valid P-256 point: the generator.
fn generator() -> Vec<u8> {
    hex("04
         6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296
         4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5")
}

#[test]
fn p256_accepts_the_generator_as_a_peer_value() {
    for provider in providers() {
        let key = (provider.key_exchange)(KeyExchangeGroup::Secp256r1).unwrap();
        // Our secret times G is our own public point, whose x-coordinate is the result.
        let own_x = key.public_key()[1..33].to_vec();
        assert_eq!(
            key.complete(&generator()).unwrap(),
            own_x,
            "{}",
            provider.name
        );
    }
}

#[test]
fn p256_refuses_malformed_and_off_curve_points() {
    let g = generator();
    refuses(KeyExchangeGroup::Secp256r1, &[], "empty");
    refuses(
        KeyExchangeGroup::Secp256r1,
        &[0x00],
        "the identity's encoding",
    );
    refuses(KeyExchangeGroup::Secp256r1, &g[..64], "one byte short");
    let mut long = g.clone();
    long.push(0);
    refuses(KeyExchangeGroup::Secp256r1, &long, "one byte long");
    // Compressed points are not taken (RFC 8422 §5.1.2 leaves only the uncompressed form).
    let mut compressed = vec![0x03];
    compressed.extend_from_slice(&g[1..33]);
    refuses(KeyExchangeGroup::Secp256r1, &compressed, "compressed");
    let mut hybrid = g.clone();
    hybrid[0] = 0x07;
    refuses(KeyExchangeGroup::Secp256r1, &hybrid, "hybrid form");
    let mut off_curve = g.clone();
    off_curve[64] ^= 1;
    refuses(KeyExchangeGroup::Secp256r1, &off_curve, "y changed");
    let mut zeros = vec![0x04];
    zeros.extend_from_slice(&[0; 64]);
    refuses(KeyExchangeGroup::Secp256r1, &zeros, "(0, 0)");
    // x = p, outside the field.
    let mut x_is_p = vec![0x04];
    x_is_p.extend(hex(
        "ffffffff00000001000000000000000000000000ffffffffffffffffffffffff",
    ));
    x_is_p.extend_from_slice(&g[33..]);
    refuses(KeyExchangeGroup::Secp256r1, &x_is_p, "x = p");
}

#[test]
fn an_x25519_value_is_refused_by_p256_and_the_reverse() {
    for provider in providers() {
        let x = (provider.key_exchange)(KeyExchangeGroup::X25519).unwrap();
        let p = (provider.key_exchange)(KeyExchangeGroup::Secp256r1).unwrap();
        let x_public = x.public_key().to_vec();
        assert_eq!(
            x.complete(p.public_key()),
            Err(CryptoError::InvalidPublicKey)
        );
        assert_eq!(p.complete(&x_public), Err(CryptoError::InvalidPublicKey));
    }
}
