#![no_main]
//! Arbitrary datagrams into SRTP and SRTCP receivers of every profile, and arbitrary packets
//! into senders: typed errors only, never a panic; whatever a receiver accepts was authentic,
//! which for random bytes means nothing is accepted unless it came from the sender.
use libfuzzer_sys::fuzz_target;
use rtc_srtp::{ProtectionProfile, SrtpConfig, SrtpContext};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, data)) = data.split_first() else {
        return;
    };
    let profile = ProtectionProfile::ALL[usize::from(selector) % 4];
    let key = vec![7u8; profile.key_len()];
    let salt = vec![9u8; profile.salt_len()];
    let provider = rtc_crypto::default_provider();
    let config = SrtpConfig {
        replay_window: 64,
        max_streams: 4,
    };
    let mut rx = SrtpContext::new(profile, &key, &salt, config, provider).unwrap();
    let mut tx = SrtpContext::new(profile, &key, &salt, config, provider).unwrap();
    assert!(rx.unprotect_rtp(&mut data.to_vec()).is_err());
    assert!(rx.unprotect_rtcp(&mut data.to_vec()).is_err());
    // As a plaintext packet: protect, then the receiver must get it back.
    let mut buf = data.to_vec();
    buf.resize(data.len() + 20, 0);
    if let Ok(n) = tx.protect_rtp(&mut buf, data.len()) {
        let m = rx
            .unprotect_rtp(&mut buf[..n])
            .expect("own packet unprotects");
        assert_eq!(&buf[..m], data);
    }
    let mut buf = data.to_vec();
    buf.resize(data.len() + 20, 0);
    if let Ok(n) = tx.protect_rtcp(&mut buf, data.len()) {
        let m = rx
            .unprotect_rtcp(&mut buf[..n])
            .expect("own packet unprotects");
        assert_eq!(&buf[..m], data);
    }
});
