//! Protect → unprotect in every profile: sequence wraps and rollover counter estimation,
//! reordering, replays, forgeries, stream limits and malformed packets.

use proptest::prelude::*;
use rtc_srtp::{Error, ProtectionProfile, SrtpConfig, SrtpContext};

fn pair(profile: ProtectionProfile, config: SrtpConfig) -> (SrtpContext, SrtpContext) {
    let key: Vec<u8> = (0..profile.key_len() as u8).collect();
    let salt: Vec<u8> = (100..100 + profile.salt_len() as u8).collect();
    let provider = rtc_crypto::default_provider();
    (
        SrtpContext::new(profile, &key, &salt, config, provider).unwrap(),
        SrtpContext::new(profile, &key, &salt, config, provider).unwrap(),
    )
}

/// An RTP packet: `csrcs` CSRCs, an optional one-byte-header extension of `ext_words` words.
fn rtp(seq: u16, ssrc: u32, csrcs: u8, ext_words: Option<u16>, payload: &[u8]) -> Vec<u8> {
    let mut p = vec![0x80 | csrcs, 96];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&u32::from(seq).wrapping_mul(90).to_be_bytes());
    p.extend_from_slice(&ssrc.to_be_bytes());
    for c in 0..csrcs {
        p.extend_from_slice(&u32::from(c).to_be_bytes());
    }
    if let Some(words) = ext_words {
        p[0] |= 0x10;
        p.extend_from_slice(&[0xBE, 0xDE]);
        p.extend_from_slice(&words.to_be_bytes());
        p.extend(std::iter::repeat_n(0x11, usize::from(words) * 4));
    }
    p.extend_from_slice(payload);
    p
}

fn protect(tx: &mut SrtpContext, packet: &[u8]) -> Vec<u8> {
    let mut buf = packet.to_vec();
    buf.resize(packet.len() + 16, 0);
    let len = tx.protect_rtp(&mut buf, packet.len()).unwrap();
    buf.truncate(len);
    buf
}

fn unprotect(rx: &mut SrtpContext, srtp: &[u8]) -> Result<Vec<u8>, Error> {
    let mut buf = srtp.to_vec();
    let len = rx.unprotect_rtp(&mut buf)?;
    buf.truncate(len);
    Ok(buf)
}

#[test]
fn sequence_wrap_increments_the_rollover_counter_on_both_sides() {
    for profile in ProtectionProfile::ALL {
        let (mut tx, mut rx) = pair(profile, SrtpConfig::default());
        for i in 0..200u32 {
            let seq = (65_436 + i) as u16; // wraps after 100 packets
            let packet = rtp(seq, 7, 0, None, &[i as u8; 40]);
            let srtp = protect(&mut tx, &packet);
            assert_eq!(
                unprotect(&mut rx, &srtp).unwrap(),
                packet,
                "{profile:?} seq {seq}"
            );
        }
        assert_eq!(tx.send_roc(7), Some(1));
    }
}

#[test]
fn reordering_across_the_wrap_is_accepted_once() {
    for profile in ProtectionProfile::ALL {
        let (mut tx, mut rx) = pair(profile, SrtpConfig::default());
        let seqs: Vec<u16> = (65_500u32..65_600).map(|s| s as u16).collect();
        let protected: Vec<(Vec<u8>, Vec<u8>)> = seqs
            .iter()
            .map(|&s| {
                let p = rtp(s, 9, 2, Some(1), b"payload");
                (protect(&mut tx, &p), p)
            })
            .collect();
        // Deliver in blocks of ten, each block reversed: old ROC after new ROC and back.
        for chunk in protected.chunks(10) {
            for (srtp, plain) in chunk.iter().rev() {
                assert_eq!(&unprotect(&mut rx, srtp).unwrap(), plain, "{profile:?}");
            }
        }
        for (srtp, _) in &protected {
            assert!(matches!(unprotect(&mut rx, srtp), Err(Error::Replayed(_))));
        }
    }
}

#[test]
fn old_packets_outside_the_window_are_refused() {
    let config = SrtpConfig {
        replay_window: 64,
        ..SrtpConfig::default()
    };
    let (mut tx, mut rx) = pair(ProtectionProfile::Aes128CmHmacSha1_80, config);
    let first = protect(&mut tx, &rtp(1000, 1, 0, None, b"x"));
    for seq in 1001..1100 {
        let p = protect(&mut tx, &rtp(seq, 1, 0, None, b"x"));
        unprotect(&mut rx, &p).unwrap();
    }
    assert_eq!(unprotect(&mut rx, &first), Err(Error::TooOld(1000)));
}

#[test]
fn forgeries_leave_the_receiver_unchanged() {
    for profile in ProtectionProfile::ALL {
        let (mut tx, mut rx) = pair(profile, SrtpConfig::default());
        let packet = rtp(500, 3, 1, Some(2), &[7; 100]);
        let srtp = protect(&mut tx, &packet);
        for i in 0..srtp.len() {
            let mut forged = srtp.clone();
            forged[i] ^= 0x40;
            let result = unprotect(&mut rx, &forged);
            assert!(result.is_err(), "{profile:?}: flip at {i} accepted");
        }
        // The genuine packet still decrypts: no forgery moved the state or took a stream slot.
        assert_eq!(rx.stream_count(), 0);
        assert_eq!(unprotect(&mut rx, &srtp).unwrap(), packet);
    }
}

#[test]
fn stream_limit_applies_to_new_ssrcs() {
    let config = SrtpConfig {
        max_streams: 2,
        ..SrtpConfig::default()
    };
    let (mut tx, mut rx) = pair(ProtectionProfile::AeadAes128Gcm, config);
    for ssrc in [1, 2] {
        let p = protect(&mut tx, &rtp(1, ssrc, 0, None, b"x"));
        unprotect(&mut rx, &p).unwrap();
    }
    let mut buf = rtp(1, 3, 0, None, b"x");
    buf.resize(buf.len() + 16, 0);
    assert_eq!(tx.protect_rtp(&mut buf, 13), Err(Error::TooManyStreams(2)));
}

#[test]
fn rtcp_round_trips_and_replays_are_refused() {
    for profile in ProtectionProfile::ALL {
        let (mut tx, mut rx) = pair(profile, SrtpConfig::default());
        let mut rtcp = vec![0x81, 200, 0, 6];
        rtcp.extend_from_slice(&0xDEAD_BEEFu32.to_be_bytes());
        rtcp.extend_from_slice(&[5; 20]);
        let mut previous = Vec::new();
        for _ in 0..5 {
            let mut buf = rtcp.clone();
            buf.resize(rtcp.len() + 20, 0);
            let len = tx.protect_rtcp(&mut buf, rtcp.len()).unwrap();
            buf.truncate(len);
            assert_ne!(
                &buf[8..rtcp.len()],
                &rtcp[8..],
                "{profile:?}: not encrypted"
            );
            let mut copy = buf.clone();
            let plain = rx.unprotect_rtcp(&mut copy).unwrap();
            assert_eq!(&copy[..plain], &rtcp[..]);
            previous = buf;
        }
        assert_eq!(
            rx.unprotect_rtcp(&mut previous.clone()),
            Err(Error::Replayed(4))
        );
    }
}

#[test]
fn malformed_packets_get_typed_errors() {
    for profile in ProtectionProfile::ALL {
        let (mut tx, mut rx) = pair(profile, SrtpConfig::default());
        let cases: [&[u8]; 5] = [
            &[],
            &[0x80, 96, 0, 1],
            &[0x40; 40],
            // CSRC count 15 with only a few bytes of them.
            &[0x8F, 96, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0],
            // Extension header that claims 100 words.
            &[0x90, 96, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0xBE, 0xDE, 0, 100],
        ];
        for case in cases {
            let mut buf = case.to_vec();
            assert!(rx.unprotect_rtp(&mut buf).is_err());
            assert!(rx.unprotect_rtcp(&mut buf).is_err());
            let mut buf = case.to_vec();
            buf.resize(case.len() + 16, 0);
            assert!(tx.protect_rtp(&mut buf, case.len()).is_err());
        }
        // No room for the tag.
        let packet = rtp(1, 1, 0, None, b"abc");
        let mut buf = packet.clone();
        assert!(matches!(
            tx.protect_rtp(&mut buf, packet.len()),
            Err(Error::BufferTooSmall { .. })
        ));
    }
}

fn profile() -> impl Strategy<Value = ProtectionProfile> {
    prop::sample::select(ProtectionProfile::ALL.to_vec())
}

proptest! {
    #[test]
    fn any_packet_round_trips(
        profile in profile(),
        seq in any::<u16>(),
        ssrc in any::<u32>(),
        csrcs in 0u8..16,
        ext in prop::option::of(0u16..20),
        payload in prop::collection::vec(any::<u8>(), 0..1400),
    ) {
        let (mut tx, mut rx) = pair(profile, SrtpConfig::default());
        let packet = rtp(seq, ssrc, csrcs, ext, &payload);
        let srtp = protect(&mut tx, &packet);
        prop_assert_eq!(srtp.len(), packet.len() + profile.rtp_tag_len());
        prop_assert_eq!(unprotect(&mut rx, &srtp).unwrap(), packet);
    }

    #[test]
    fn arbitrary_bytes_never_panic(profile in profile(), bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let (mut tx, mut rx) = pair(profile, SrtpConfig::default());
        let _ = rx.unprotect_rtp(&mut bytes.clone());
        let _ = rx.unprotect_rtcp(&mut bytes.clone());
        let mut buf = bytes.clone();
        let len = buf.len();
        buf.resize(len + 20, 0);
        let _ = tx.protect_rtp(&mut buf.clone(), len);
        let _ = tx.protect_rtcp(&mut buf, len);
    }
}
