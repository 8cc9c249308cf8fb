//! AEAD known answers (RFC 8439 §2.8.2, the GCM spec's test case 16), tag checks, and a
//! property test that every backend round-trips and that all backends give the same bytes.

mod common;

use common::hex;
use proptest::prelude::*;
use rtc_crypto::{AeadConstructor, CryptoError, CryptoProvider, providers};

const RFC8439_PLAINTEXT: &[u8] = b"Ladies and Gentlemen of the class of '99: If I could offer you \
only one tip for the future, sunscreen would be it.";

/// RFC 8439 §2.8.2: key 80..9f, nonce = constant 07000000 || IV 4041424344454647.
#[test]
fn chacha20_poly1305_matches_rfc8439_aead_vector() {
    let key: Vec<u8> = (0x80..=0x9f).collect();
    let nonce: [u8; 12] = hex("070000004041424344454647").try_into().unwrap();
    let aad = hex("50515253c0c1c2c3c4c5c6c7");
    let ciphertext = hex(
        "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6
         3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36
         92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc
         3ff4def08e4b7a9de576d26586cec64b6116",
    );
    let tag: [u8; 16] = hex("1ae10b594f09e26a7e902ecbd0600691").try_into().unwrap();
    for provider in providers() {
        let aead = (provider.chacha20_poly1305)(&key).unwrap();
        let mut data = RFC8439_PLAINTEXT.to_vec();
        assert_eq!(
            aead.seal_in_place(&nonce, &aad, &mut data),
            tag,
            "{}",
            provider.name
        );
        assert_eq!(data, ciphertext, "{}", provider.name);
        aead.open_in_place(&nonce, &aad, &mut data, &tag).unwrap();
        assert_eq!(data, RFC8439_PLAINTEXT, "{}", provider.name);
    }
}

/// "The Galois/Counter Mode of Operation (GCM)", McGrew and Viega, test case 16: AES-256 with
/// associated data and a 60-byte plaintext.
#[test]
fn aes_256_gcm_matches_gcm_spec_test_case_16() {
    let key = hex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308");
    let nonce: [u8; 12] = hex("cafebabefacedbaddecaf888").try_into().unwrap();
    let aad = hex("feedfacedeadbeeffeedfacedeadbeefabaddad2");
    let plaintext = hex(
        "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72
         1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
    );
    let ciphertext = hex(
        "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa
         8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
    );
    let tag: [u8; 16] = hex("76fc6ece0f4e1768cddf8853bb2d551b").try_into().unwrap();
    for provider in providers() {
        let aead = (provider.aes_gcm)(&key).unwrap();
        let mut data = plaintext.clone();
        assert_eq!(
            aead.seal_in_place(&nonce, &aad, &mut data),
            tag,
            "{}",
            provider.name
        );
        assert_eq!(data, ciphertext, "{}", provider.name);
        aead.open_in_place(&nonce, &aad, &mut data, &tag).unwrap();
        assert_eq!(data, plaintext, "{}", provider.name);
    }
}

fn aeads(provider: &CryptoProvider) -> [(&'static str, AeadConstructor, usize); 3] {
    [
        ("AES-128-GCM", provider.aes_gcm, 16),
        ("AES-256-GCM", provider.aes_gcm, 32),
        ("ChaCha20-Poly1305", provider.chacha20_poly1305, 32),
    ]
}

#[test]
fn altered_tag_ciphertext_aad_or_nonce_is_a_tag_mismatch() {
    for provider in providers() {
        for (name, make, key_len) in aeads(provider) {
            let aead = make(&vec![0x42; key_len]).unwrap();
            let nonce = [9u8; 12];
            let mut sealed = RFC8439_PLAINTEXT.to_vec();
            let tag = aead.seal_in_place(&nonce, b"aad", &mut sealed);
            let open = |nonce: &[u8; 12], aad: &[u8], data: &[u8], tag: &[u8; 16]| {
                aead.open_in_place(nonce, aad, &mut data.to_vec(), tag)
            };
            let label = format!("{} {name}", provider.name);
            assert_eq!(open(&nonce, b"aad", &sealed, &tag), Ok(()), "{label}");

            let mut bad_tag = tag;
            bad_tag[15] ^= 1;
            assert_eq!(
                open(&nonce, b"aad", &sealed, &bad_tag),
                Err(CryptoError::TagMismatch),
                "{label}"
            );
            let mut bad_data = sealed.clone();
            bad_data[0] ^= 0x80;
            assert_eq!(
                open(&nonce, b"aad", &bad_data, &tag),
                Err(CryptoError::TagMismatch),
                "{label}"
            );
            assert_eq!(
                open(&nonce, b"aae", &sealed, &tag),
                Err(CryptoError::TagMismatch),
                "{label}"
            );
            let mut bad_nonce = nonce;
            bad_nonce[11] ^= 1;
            assert_eq!(
                open(&bad_nonce, b"aad", &sealed, &tag),
                Err(CryptoError::TagMismatch),
                "{label}"
            );
            assert_eq!(
                open(&nonce, b"aad", &sealed[..sealed.len() - 1], &tag),
                Err(CryptoError::TagMismatch),
                "{label}"
            );
        }
    }
}

#[test]
fn keys_of_the_wrong_length_are_refused() {
    for provider in providers() {
        for len in [0usize, 15, 24, 31, 33] {
            assert_eq!(
                (provider.aes_gcm)(&vec![0; len]).err(),
                Some(CryptoError::KeyLength(len)),
                "{} AES-GCM {len}",
                provider.name
            );
        }
        for len in [0usize, 16, 31, 33] {
            assert_eq!(
                (provider.chacha20_poly1305)(&vec![0; len]).err(),
                Some(CryptoError::KeyLength(len)),
                "{} ChaCha20-Poly1305 {len}",
                provider.name
            );
        }
    }
}

#[test]
fn the_aes_gcm_alias_still_names_the_aead_trait() {
    let aead: Box<dyn rtc_crypto::AesGcm> =
        (rtc_crypto::default_provider().aes_gcm)(&[1; 16]).unwrap();
    let mut data = [0u8; 4];
    let tag = aead.seal_in_place(&[0; 12], &[], &mut data);
    assert!(aead.open_in_place(&[0; 12], &[], &mut data, &tag).is_ok());
}

proptest! {
    #[test]
    fn every_backend_round_trips_and_all_agree_byte_for_byte(
        key in proptest::array::uniform32(any::<u8>()),
        nonce in proptest::array::uniform12(any::<u8>()),
        aad in proptest::collection::vec(any::<u8>(), 0..64),
        plaintext in proptest::collection::vec(any::<u8>(), 0..1500),
    ) {
        for which in 0..3 {
            let mut reference: Option<(Vec<u8>, [u8; 16])> = None;
            for provider in providers() {
                let (name, make, key_len) = aeads(provider)[which];
                let aead = make(&key[..key_len]).unwrap();
                let mut data = plaintext.clone();
                let tag = aead.seal_in_place(&nonce, &aad, &mut data);
                match &reference {
                    None => reference = Some((data.clone(), tag)),
                    Some((ciphertext, expected_tag)) => {
                        prop_assert_eq!(&data, ciphertext, "{} {}", provider.name, name);
                        prop_assert_eq!(&tag, expected_tag, "{} {}", provider.name, name);
                    }
                }
                prop_assert_eq!(aead.open_in_place(&nonce, &aad, &mut data, &tag), Ok(()));
                prop_assert_eq!(&data, &plaintext);
            }
        }
    }
}
