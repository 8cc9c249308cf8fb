//! ECDSA P-256 with SHA-256: keys from rcgen's PKCS#8, signing in one backend and verifying in
//! another, RFC 6979 A.2.5 as a known answer, and refusal of altered messages, signatures and
//! keys.

mod common;

use common::hex;
use rtc_crypto::{CryptoError, SignatureScheme, providers};

const SCHEME: SignatureScheme = SignatureScheme::EcdsaSecp256r1Sha256;

/// RFC 6979 A.2.5: the P-256 private key x and public key (Ux, Uy).
const RFC6979_X: &str = "c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721";
const RFC6979_UX: &str = "60fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6";
const RFC6979_UY: &str = "7903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299";
/// RFC 6979 A.2.5: the signature (r, s) over "sample" with SHA-256.
const RFC6979_R: &str = "efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716";
const RFC6979_S: &str = "f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8";

fn rfc6979_public_key() -> Vec<u8> {
    let mut key = vec![0x04];
    key.extend(hex(RFC6979_UX));
    key.extend(hex(RFC6979_UY));
    key
}

/// A DER INTEGER of a big-endian unsigned value: leading zeros dropped, one put back when the
/// top bit is set so the value stays positive.
fn der_integer(value: &[u8]) -> Vec<u8> {
    let start = value
        .iter()
        .position(|&b| b != 0)
        .unwrap_or(value.len() - 1);
    let mut bytes = value[start..].to_vec();
    if bytes[0] & 0x80 != 0 {
        bytes.insert(0, 0);
    }
    let mut out = vec![0x02, bytes.len() as u8];
    out.extend(bytes);
    out
}

/// `Ecdsa-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }` (RFC 3279 §2.2.3).
fn der_signature(r: &[u8], s: &[u8]) -> Vec<u8> {
    let mut body = der_integer(r);
    body.extend(der_integer(s));
    let mut out = vec![0x30, body.len() as u8];
    out.extend(body);
    out
}

/// The RFC 6979 key as PKCS#8 v1 with the public key inside (RFC 5915 `ECPrivateKey`, as ring
/// and rcgen write it).
fn rfc6979_pkcs8() -> Vec<u8> {
    let mut der = hex("308187020100301306072a8648ce3d020106082a8648ce3d030107046d306b0201010420");
    der.extend(hex(RFC6979_X));
    der.extend(hex("a144034200"));
    der.extend(rfc6979_public_key());
    der
}

fn rcgen_p256() -> rcgen::KeyPair {
    rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap()
}

#[test]
fn rfc6979_signature_verifies_in_every_backend() {
    let signature = der_signature(&hex(RFC6979_R), &hex(RFC6979_S));
    for provider in providers() {
        assert_eq!(
            (provider.verify)(SCHEME, &rfc6979_public_key(), b"sample", &signature),
            Ok(()),
            "{}",
            provider.name
        );
        assert_eq!(
            (provider.verify)(SCHEME, &rfc6979_public_key(), b"samplf", &signature),
            Err(CryptoError::BadSignature),
            "{}",
            provider.name
        );
    }
}

#[test]
fn the_rfc6979_key_loads_and_deterministic_signing_reproduces_the_vector() {
    let mut deterministic = 0;
    for provider in providers() {
        let key = (provider.signing_key)(&rfc6979_pkcs8()).unwrap();
        assert_eq!(key.scheme(), SCHEME);
        assert_eq!(key.public_key(), rfc6979_public_key(), "{}", provider.name);
        let first = key.sign(b"sample").unwrap();
        // ring mixes fresh randomness into the nonce; a backend that signs the same message
        // twice alike is deterministic, and then must be RFC 6979's.
        if key.sign(b"sample").unwrap() == first {
            assert_eq!(
                first,
                der_signature(&hex(RFC6979_R), &hex(RFC6979_S)),
                "{}",
                provider.name
            );
            deterministic += 1;
        }
        (provider.verify)(SCHEME, key.public_key(), b"sample", &first).unwrap();
    }
    // RustCrypto's `p256` is always compiled in and signs per RFC 6979.
    assert!(deterministic >= 1);
}

#[test]
fn rcgen_keys_load_with_the_same_public_key_in_every_backend() {
    let pair = rcgen_p256();
    for provider in providers() {
        let key = (provider.signing_key)(&pair.serialize_der()).unwrap();
        assert_eq!(key.public_key(), pair.public_key_raw(), "{}", provider.name);
        assert_eq!(key.public_key().len(), 65);
        assert_eq!(key.public_key()[0], 0x04);
    }
}

#[test]
fn a_signature_from_one_backend_verifies_in_every_backend() {
    let pair = rcgen_p256();
    let message = b"ServerKeyExchange params: client_random || server_random || params";
    for signer in providers() {
        let key = (signer.signing_key)(&pair.serialize_der()).unwrap();
        let signature = key.sign(message).unwrap();
        for verifier in providers() {
            assert_eq!(
                (verifier.verify)(SCHEME, pair.public_key_raw(), message, &signature),
                Ok(()),
                "signed by {}, verified by {}",
                signer.name,
                verifier.name
            );
        }
    }
}

#[test]
fn a_flipped_bit_in_message_or_signature_is_a_bad_signature() {
    let pair = rcgen_p256();
    let public = pair.public_key_raw();
    let message = b"certificate verify transcript hash".to_vec();
    for signer in providers() {
        let signature = (signer.signing_key)(&pair.serialize_der())
            .unwrap()
            .sign(&message)
            .unwrap();
        for verifier in providers() {
            let label = format!("signed by {}, verified by {}", signer.name, verifier.name);
            for bit in [0, 7, 8 * message.len() - 1] {
                let mut altered = message.clone();
                altered[bit / 8] ^= 1 << (bit % 8);
                assert_eq!(
                    (verifier.verify)(SCHEME, public, &altered, &signature),
                    Err(CryptoError::BadSignature),
                    "{label}: message bit {bit}"
                );
            }
            // Every third bit of the signature (each bit position within a byte is hit), DER
            // framing included; all of them take seconds in a debug build.
            for bit in (0..8 * signature.len()).step_by(3) {
                let mut altered = signature.clone();
                altered[bit / 8] ^= 1 << (bit % 8);
                assert_eq!(
                    (verifier.verify)(SCHEME, public, &message, &altered),
                    Err(CryptoError::BadSignature),
                    "{label}: signature bit {bit}"
                );
            }
            let mut trailing = signature.clone();
            trailing.push(0);
            assert_eq!(
                (verifier.verify)(SCHEME, public, &message, &trailing),
                Err(CryptoError::BadSignature),
                "{label}: trailing byte"
            );
            assert_eq!(
                (verifier.verify)(SCHEME, public, &message, &[]),
                Err(CryptoError::BadSignature),
                "{label}: empty signature"
            );
            // Another key's signature.
            let other = (signer.signing_key)(&rcgen_p256().serialize_der())
                .unwrap()
                .sign(&message)
                .unwrap();
            assert_eq!(
                (verifier.verify)(SCHEME, public, &message, &other),
                Err(CryptoError::BadSignature),
                "{label}: another key"
            );
        }
    }
}

#[test]
fn malformed_public_keys_are_invalid_public_keys() {
    let signature = der_signature(&hex(RFC6979_R), &hex(RFC6979_S));
    let good = rfc6979_public_key();
    let mut off_curve = good.clone();
    off_curve[64] ^= 1;
    let mut compressed = vec![0x02 | (good[64] & 1)];
    compressed.extend_from_slice(&good[1..33]);
    let cases: [(&str, &[u8]); 5] = [
        ("empty", &[]),
        ("identity", &[0x00]),
        ("off the curve", &off_curve),
        ("compressed", &compressed),
        ("truncated", &good[..64]),
    ];
    for provider in providers() {
        for (what, key) in cases {
            assert_eq!(
                (provider.verify)(SCHEME, key, b"sample", &signature),
                Err(CryptoError::InvalidPublicKey),
                "{}: {what}",
                provider.name
            );
        }
    }
}

#[test]
fn keys_that_are_not_pkcs8_p256_are_invalid_private_keys() {
    let ed25519 = rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519)
        .unwrap()
        .serialize_der();
    let p384 = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384)
        .unwrap()
        .serialize_der();
    let p256 = rcgen_p256().serialize_der();
    let cases: [(&str, &[u8]); 5] = [
        ("empty", &[]),
        ("garbage", &[0x30, 0x03, 0x02, 0x01, 0x00]),
        ("truncated", &p256[..p256.len() - 1]),
        ("Ed25519", &ed25519),
        ("P-384", &p384),
    ];
    for provider in providers() {
        for (what, der) in cases {
            assert_eq!(
                (provider.signing_key)(der).err(),
                Some(CryptoError::InvalidPrivateKey),
                "{}: {what}",
                provider.name
            );
        }
    }
}
