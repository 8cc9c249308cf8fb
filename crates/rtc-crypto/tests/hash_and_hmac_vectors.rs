//! SHA-256/384 (FIPS 180-4 examples) and HMAC-SHA-256/384 (RFC 4231) known answers, in every
//! backend, with the input given whole or in parts.

mod common;

use common::hex;
use rtc_crypto::{HashAlgorithm, providers};

#[test]
fn sha2_matches_fips_examples_for_abc_and_the_empty_string() {
    let cases: [(&[u8], HashAlgorithm, &str); 4] = [
        (
            b"abc",
            HashAlgorithm::Sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        ),
        (
            b"",
            HashAlgorithm::Sha256,
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ),
        (
            b"abc",
            HashAlgorithm::Sha384,
            "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed
             8086072ba1e7cc2358baeca134c825a7",
        ),
        (
            b"",
            HashAlgorithm::Sha384,
            "38b060a751ac96384cd9327eb1b1e36a21fdb71114be07434c0cc7bf63f6e1da
             274edebfe76f65fbd51ad2f14898b95b",
        ),
    ];
    for provider in providers() {
        for (input, algorithm, expected) in cases {
            let digest = (provider.hash)(algorithm, &[input]);
            assert_eq!(&*digest, hex(expected), "{} {algorithm:?}", provider.name);
            assert_eq!(digest.len(), algorithm.output_len());
            // No parts at all is the empty string.
            if input.is_empty() {
                assert_eq!((provider.hash)(algorithm, &[]), digest);
            }
        }
    }
}

/// One RFC 4231 §4 test case: (name, key, data, HMAC-SHA-256, HMAC-SHA-384).
type Rfc4231Case = (&'static str, Vec<u8>, Vec<u8>, &'static str, &'static str);

/// RFC 4231 §4 cases 1, 2, 4, 6 and 7 (3 is like 4; 5 checks truncation, which is not ours to
/// do).
fn rfc4231_cases() -> Vec<Rfc4231Case> {
    vec![
        (
            "1",
            vec![0x0b; 20],
            b"Hi There".to_vec(),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
            "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59c
             faea9ea9076ede7f4af152e8b2fa9cb6",
        ),
        (
            "2",
            b"Jefe".to_vec(),
            b"what do ya want for nothing?".to_vec(),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
            "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e
             8e2240ca5e69e2c78b3239ecfab21649",
        ),
        (
            "4",
            (0x01..=0x19).collect(),
            vec![0xcd; 50],
            "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
            "3e8a69b7783c25851933ab6290af6ca77a9981480850009cc5577c6e1f573b4e
             6801dd23c4a7d679ccf8a386c674cffb",
        ),
        (
            "6",
            vec![0xaa; 131],
            b"Test Using Larger Than Block-Size Key - Hash Key First".to_vec(),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
            "4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c6
             0c2ef6ab4030fe8296248df163f44952",
        ),
        (
            "7",
            vec![0xaa; 131],
            b"This is a test using a larger than block-size key and a larger than block-size \
data. The key needs to be hashed before being used by the HMAC algorithm."
                .to_vec(),
            "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
            "6617178e941f020d351e2f254e8fd32c602420feb0b8fb9adccebb82461e99c5
             a678cc31e799176d3860e6110c46523e",
        ),
    ]
}

#[test]
fn hmac_sha2_matches_rfc4231_cases_1_2_4_6_7() {
    for provider in providers() {
        for (case, key, data, sha256, sha384) in rfc4231_cases() {
            assert_eq!(
                &*(provider.hmac)(HashAlgorithm::Sha256, &key, &[&data]),
                hex(sha256),
                "{} case {case} SHA-256",
                provider.name
            );
            assert_eq!(
                &*(provider.hmac)(HashAlgorithm::Sha384, &key, &[&data]),
                hex(sha384),
                "{} case {case} SHA-384",
                provider.name
            );
        }
    }
}

#[test]
fn input_in_parts_gives_the_digest_of_the_concatenation_in_every_backend() {
    let message: Vec<u8> = (0..=255u8).cycle().take(700).collect();
    let key = b"a key for the parts";
    for algorithm in [HashAlgorithm::Sha256, HashAlgorithm::Sha384] {
        let whole_hash = (providers()[0].hash)(algorithm, &[&message]);
        let whole_hmac = (providers()[0].hmac)(algorithm, key, &[&message]);
        for provider in providers() {
            for first in [0usize, 1, 63, 64, 65, 127, 128, 129, 300, 700] {
                for second in [first, (first + 700) / 2, 700] {
                    let parts: [&[u8]; 4] = [
                        &message[..first],
                        &message[first..second],
                        &[],
                        &message[second..],
                    ];
                    assert_eq!(
                        (provider.hash)(algorithm, &parts),
                        whole_hash,
                        "{} {algorithm:?} hash split {first}/{second}",
                        provider.name
                    );
                    assert_eq!(
                        (provider.hmac)(algorithm, key, &parts),
                        whole_hmac,
                        "{} {algorithm:?} HMAC split {first}/{second}",
                        provider.name
                    );
                }
            }
        }
    }
}
