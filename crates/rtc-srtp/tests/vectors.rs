//! RFC 3711 Appendix B and RFC 7714 §16-§17 test vectors, with every crypto backend.

use rtc_srtp::{Error, ProtectionProfile, SessionKeys, SrtpConfig, SrtpContext};

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn rfc3711_b2_aes_cm_keystream() {
    for provider in rtc_crypto::providers() {
        let ctr = (provider.aes_ctr)(&hex("2B7E151628AED2A6ABF7158809CF4F3C")).unwrap();
        let iv: [u8; 16] = hex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD0000").try_into().unwrap();
        // The keystream segment is 65282 blocks; check the first and last three.
        let mut keystream = vec![0u8; 65282 * 16];
        ctr.apply_keystream(&iv, &mut keystream);
        let block = |i: usize| keystream[i * 16..i * 16 + 16].to_vec();
        assert_eq!(block(0), hex("E03EAD0935C95E80E166B16DD92B4EB4"));
        assert_eq!(block(1), hex("D23513162B02D0F72A43A2FE4A5F97AB"));
        assert_eq!(block(2), hex("41E95B3BB0A2E8DD477901E4FCA894C0"));
        assert_eq!(block(0xFEFF), hex("EC8CDF7398607CB0F2D21675EA9EA1E4"));
        assert_eq!(block(0xFF00), hex("362B7C3C6773516318A077D7FC5073AE"));
        assert_eq!(block(0xFF01), hex("6A2CC3787889374FBEB4C81B17BA6C44"));
    }
}

#[test]
fn rfc3711_b3_key_derivation() {
    for provider in rtc_crypto::providers() {
        let keys = SessionKeys::derive(
            ProtectionProfile::Aes128CmHmacSha1_80,
            &hex("E1F97A0D3E018BE0D64FA32C06DE4139"),
            &hex("0EC675AD498AFEEBB6960B3AABE6"),
            false,
            provider,
        )
        .unwrap();
        assert_eq!(keys.encryption_key, hex("C61E7A93744F39EE10734AFE3FF7A087"));
        assert_eq!(keys.salt, hex("30CBBC08863D8C85D49DB34A9AE1"));
        // The vector derives 94 octets; HMAC-SHA1 uses the first 20.
        assert_eq!(
            keys.authentication_key,
            hex("CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4")
        );
    }
}

const RTP: &str = "8040f17b 8041f8d3 5501a0b2 47616c6c 69612065 7374206f 6d6e6973 20646976
                   69736120 696e2070 61727465 73207472 6573";
const SALT: &str = "517569642070726f2071756f";
const KEY128: &str = "000102030405060708090a0b0c0d0e0f";
const KEY256: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

fn gcm_context(
    profile: ProtectionProfile,
    key: &str,
    provider: &rtc_crypto::CryptoProvider,
) -> SrtpContext {
    let keys = SessionKeys {
        encryption_key: hex(key),
        authentication_key: Vec::new(),
        salt: hex(SALT),
    };
    SrtpContext::from_session_keys(profile, &keys, &keys, SrtpConfig::default(), provider).unwrap()
}

#[test]
fn rfc7714_16_srtp_aes_gcm() {
    let cases = [
        (
            ProtectionProfile::AeadAes128Gcm,
            KEY128,
            "f24de3a3 fb34de6c acba861c 9d7e4bca be633bd5 0d294e6f 42a5f47a 51c7d19b 36de3adf
             8833899d 7f27beb1 6a9152cf 765ee439 0cce",
        ),
        (
            ProtectionProfile::AeadAes256Gcm,
            KEY256,
            "32b1de78 a822fe12 ef9f78fa 332e33aa b1801238 9a58e2f3 b50b2a02 76ffae0f 1ba63799
             b87b7aa3 db36dfff d6b0f9bb 7878d7a7 6c13",
        ),
    ];
    for provider in rtc_crypto::providers() {
        for (profile, key, cipher) in cases {
            let rtp = hex(RTP);
            let mut expected = rtp[..12].to_vec();
            expected.extend(hex(cipher));
            let mut buf = rtp.clone();
            buf.resize(rtp.len() + 16, 0);
            let len = gcm_context(profile, key, provider)
                .protect_rtp(&mut buf, rtp.len())
                .unwrap();
            assert_eq!(&buf[..len], &expected[..], "{profile:?} {}", provider.name);
            let mut rx = gcm_context(profile, key, provider);
            let len = rx.unprotect_rtp(&mut buf).unwrap();
            assert_eq!(&buf[..len], &rtp[..]);
            // A flipped bit anywhere fails authentication.
            let mut forged = expected.clone();
            forged[20] ^= 1;
            let mut rx = gcm_context(profile, key, provider);
            assert_eq!(
                rx.unprotect_rtp(&mut forged),
                Err(Error::AuthenticationFailed)
            );
        }
    }
}

#[test]
fn rfc7714_17_srtcp_aes_gcm() {
    let rtcp = hex(
        "81c8000d 4d617273 4e545031 4e545032 52545020 0000042a 0000e930 4c756e61
         deadbeef deadbeef deadbeef deadbeef deadbeef",
    );
    let encrypted_128 = "81c8000d 4d617273 63e94885 dcdab67c a727d766 2f6b7e99 7ff5c0f7 6c06f32d
        c676a5f1 730d6fda 4ce09b46 86303ded 0bb9275b c84aa458 96cf4d2f c5abf872 45d9eade 800005d4";
    let encrypted_256 = "81c8000d 4d617273 d50ae4d1 f5ce5d30 4ba297e4 7d470c28 2c3ece5d bffe0a50
        a2eaa5c1 110555be 8415f658 c61de047 6f1b6fad 1d1eb30c 4446839f 57ff6f6c b26ac3be 800005d4";
    // §17.3/17.4: E flag 0, the packet only tagged.
    let tagged_128 = "81c8000d 4d617273 4e545031 4e545032 52545020 0000042a 0000e930 4c756e61
        deadbeef deadbeef deadbeef deadbeef deadbeef 841dd968 3dd78ec9 2ae58790 125f62b3 000005d4";
    let tagged_256 = "81c8000d 4d617273 4e545031 4e545032 52545020 0000042a 0000e930 4c756e61
        deadbeef deadbeef deadbeef deadbeef deadbeef 91db4afb feee5a97 8fab4393 ed2615fe 000005d4";
    let cases = [
        (ProtectionProfile::AeadAes128Gcm, KEY128, encrypted_128),
        (ProtectionProfile::AeadAes256Gcm, KEY256, encrypted_256),
        (ProtectionProfile::AeadAes128Gcm, KEY128, tagged_128),
        (ProtectionProfile::AeadAes256Gcm, KEY256, tagged_256),
    ];
    for provider in rtc_crypto::providers() {
        for (profile, key, packet) in cases {
            let mut buf = hex(packet);
            let mut rx = gcm_context(profile, key, provider);
            let len = rx.unprotect_rtcp(&mut buf).unwrap();
            assert_eq!(&buf[..len], &rtcp[..], "{profile:?} {}", provider.name);
            // The same index again is a replay.
            let mut again = hex(packet);
            assert_eq!(rx.unprotect_rtcp(&mut again), Err(Error::Replayed(0x5d4)));
        }
    }
}
