//! RTP packets and header extensions: RFC 8285's examples, every field and form round trips,
//! truncated and malformed packets are errors, and the extension map follows SDP's extmaps.

use proptest::collection::vec;
use proptest::prelude::*;
use rtc_media::*;

/// A packet with the RFC 8285 §4.2 example block: three elements and two padding bytes.
#[test]
fn rfc8285_one_byte_example() {
    let mut bytes = vec![0x90, 0x60, 0x00, 0x01, 0, 0, 0, 2, 0, 0, 0, 3];
    bytes.extend_from_slice(&[0xBE, 0xDE, 0x00, 0x03]);
    bytes.extend_from_slice(&[0x10, 0xAA, 0x21, 0xBB, 0xBB, 0x00, 0x00, 0x33]);
    bytes.extend_from_slice(&[1, 2, 3, 4]);
    bytes.extend_from_slice(b"payload");
    let p = RtpPacket::parse(&bytes).unwrap();
    assert_eq!(p.header_len(), 28);
    assert_eq!(p.payload(), b"payload");
    assert_eq!(p.extensions().form(), Some(ExtensionForm::OneByte));
    let elements: Vec<_> = p.extensions().iter().collect();
    assert_eq!(
        elements,
        [
            HeaderExtension::new(1, &[0xAA]),
            HeaderExtension::new(2, &[0xBB, 0xBB]),
            HeaderExtension::new(3, &[1, 2, 3, 4]),
        ]
    );
    // Written again (padding at the end instead of in the middle): the same elements, and
    // the packet is as long.
    let mut out = [0u8; 64];
    let len = p.header().emit_packet(p.payload(), 0, &mut out).unwrap();
    assert_eq!(len, bytes.len());
    assert_eq!(RtpPacket::parse(&out[..len]).unwrap().header(), p.header());
}

/// RFC 8285 §4.3's example: the two-byte form, an element of length 0 and a padding byte.
#[test]
fn rfc8285_two_byte_example() {
    let mut bytes = vec![0x90, 0x60, 0x00, 0x01, 0, 0, 0, 2, 0, 0, 0, 3];
    bytes.extend_from_slice(&[0x10, 0x00, 0x00, 0x03]);
    bytes.extend_from_slice(&[0x01, 0x00, 0x02, 0x01, 0xAA, 0x00, 0x03, 0x04]);
    bytes.extend_from_slice(&[1, 2, 3, 4]);
    let p = RtpPacket::parse(&bytes).unwrap();
    assert!(p.payload().is_empty());
    assert_eq!(
        p.extensions().form(),
        Some(ExtensionForm::TwoByte { appbits: 0 })
    );
    let elements: Vec<_> = p.extensions().iter().collect();
    assert_eq!(
        elements,
        [
            HeaderExtension::new(1, &[]),
            HeaderExtension::new(2, &[0xAA]),
            HeaderExtension::new(3, &[1, 2, 3, 4]),
        ]
    );
    assert_eq!(p.extension(2), Some(&[0xAA][..]));
    assert_eq!(p.extension(4), None);
}

#[test]
fn one_byte_id_15_ends_the_block() {
    let mut bytes = vec![0x90, 0x60, 0x00, 0x01, 0, 0, 0, 2, 0, 0, 0, 3];
    bytes.extend_from_slice(&[
        0xBE, 0xDE, 0x00, 0x02, 0x10, 0xAA, 0xF3, 0x20, 0xFF, 0xFF, 0xFF, 0xFF,
    ]);
    let p = RtpPacket::parse(&bytes).unwrap();
    assert_eq!(p.extensions().iter().count(), 1);
}

#[test]
fn fixed_header_fields_csrcs_and_padding() {
    // V=2 P=1 X=0 CC=2, M=1 PT=111, seq 0xABCD, ts, SSRC, two CSRCs, payload, 3 padding bytes.
    let bytes = [
        0xA2, 0xEF, 0xAB, 0xCD, 0x11, 0x22, 0x33, 0x44, 0xCA, 0xFE, 0xBA, 0xBE, 0, 0, 0, 1, 0, 0,
        0, 2, 0xF8, 0xFF, 0xFE, 0, 0, 3,
    ];
    let p = RtpPacket::parse(&bytes).unwrap();
    assert!(p.marker() && p.has_padding() && !p.has_extension());
    assert_eq!(p.payload_type(), 111);
    assert_eq!(p.sequence_number(), 0xABCD);
    assert_eq!(p.timestamp(), 0x1122_3344);
    assert_eq!(p.ssrc(), 0xCAFE_BABE);
    assert_eq!(p.csrcs().iter().collect::<Vec<_>>(), [1, 2]);
    assert_eq!(p.payload(), [0xF8, 0xFF, 0xFE]);
    assert_eq!(p.padding_len(), 3);
    let mut out = [0u8; 64];
    let len = p.header().emit_packet(p.payload(), 3, &mut out).unwrap();
    assert_eq!(&out[..len], &bytes[..]);
}

#[test]
fn malformed_packets_are_errors() {
    let good = [0x80, 0x60, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 1];
    assert!(RtpPacket::parse(&good).is_ok());
    // Version 1.
    let mut v1 = good;
    v1[0] = 0x40;
    assert_eq!(
        RtpPacket::parse(&v1),
        Err(ParseError::BadVersion {
            what: "RTP header",
            version: 1
        })
    );
    // Padding count 0, and padding longer than the payload.
    let mut p0 = good;
    p0[0] |= 0x20;
    p0[12] = 0;
    assert!(RtpPacket::parse(&p0).is_err());
    p0[12] = 2;
    assert!(RtpPacket::parse(&p0).is_err());
    // A CSRC list past the end.
    let mut cc = good;
    cc[0] |= 0x01;
    assert!(matches!(
        RtpPacket::parse(&cc),
        Err(ParseError::Truncated { .. })
    ));
    // An extension block longer than the packet, and an element past the block.
    let ext = [
        0x90, 0x60, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0xBE, 0xDE, 0, 2, 0x10, 0xAA, 0, 0,
    ];
    assert!(RtpPacket::parse(&ext).is_err());
    let ext = [
        0x90, 0x60, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0xBE, 0xDE, 0, 1, 0x13, 0xAA, 0, 0,
    ];
    assert!(RtpPacket::parse(&ext).is_err());
    let two = [
        0x90, 0x60, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0x10, 0x00, 0, 1, 0, 0, 0, 7,
    ];
    assert!(RtpPacket::parse(&two).is_err());
}

#[test]
fn writer_refuses_what_the_header_cannot_say() {
    let mut out = [0u8; 128];
    let h = RtpHeader::new(128, 0, 0, 0);
    assert!(h.emit(&mut out).is_err());
    let csrcs = [0u32; 16];
    let h = RtpHeader {
        csrcs: List::new(&csrcs),
        ..RtpHeader::new(96, 0, 0, 0)
    };
    assert!(h.emit(&mut out).is_err());
    let long = [0u8; 17];
    let one = [HeaderExtension::new(1, &long)];
    let h = RtpHeader {
        extensions: HeaderExtensions::with_form(ExtensionForm::OneByte, &one),
        ..RtpHeader::new(96, 0, 0, 0)
    };
    assert!(h.emit(&mut out).is_err());
    // `auto` picks the two-byte form for it.
    let h = RtpHeader {
        extensions: HeaderExtensions::auto(&one),
        ..RtpHeader::new(96, 0, 0, 0)
    };
    let len = h.emit(&mut out).unwrap();
    assert_eq!(out[12..14], [0x10, 0x00]);
    assert_eq!(
        RtpPacket::parse(&out[..len]).unwrap().extension(1),
        Some(&long[..])
    );
    // Too small a buffer.
    assert!(matches!(
        h.emit(&mut out[..len - 1]),
        Err(WriteError::BufferTooSmall { .. })
    ));
}

#[test]
fn extension_writer_pads_and_counts_words() {
    let mut buf = [0xEEu8; 16];
    let mut w = ExtensionWriter::new(&mut buf, ExtensionForm::OneByte).unwrap();
    w.push(3, b"ab").unwrap();
    assert!(w.push(15, b"x").is_err());
    assert!(w.push(1, b"").is_err());
    let len = w.finish().unwrap();
    assert_eq!(&buf[..len], &[0xBE, 0xDE, 0, 1, 0x31, b'a', b'b', 0]);
}

#[test]
fn extension_map_from_sdp_decodes_the_values() {
    let sdp = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n\
               m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\n\
               a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid\r\n\
               a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\r\n\
               a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n\
               a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id\r\n\
               a=extmap:5/sendonly urn:3gpp:video-orientation\r\n\
               a=extmap:12 http://www.webrtc.org/experiments/rtp-hdrext/playout-delay\r\n\
               a=extmap:13 urn:example:unknown\r\n\
               a=extmap:4096 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n\
               a=rtpmap:96 VP8/90000\r\n";
    let sdp = rtc_sdp::SessionDescription::parse(sdp).unwrap();
    let extmaps: Vec<_> = sdp.media[0].extmaps().collect::<Result<_, _>>().unwrap();
    let map = ExtensionMap::from_extmaps(&extmaps);
    assert_eq!(map.kind(1), Some(ExtensionKind::Mid));
    assert_eq!(map.id(ExtensionKind::TransportCc), Some(3));
    assert_eq!(map.kind(13), None);
    assert_eq!(map.id(ExtensionKind::AudioLevel), None);
    assert_eq!(map.iter().count(), 6);

    let elements = [
        HeaderExtension::new(1, b"video0"),
        HeaderExtension::new(2, &[0x12, 0x34, 0x56]),
        HeaderExtension::new(3, &[0x01, 0x02]),
        HeaderExtension::new(4, b"hi"),
        HeaderExtension::new(5, &[0x0B]),
        HeaderExtension::new(12, &[0x00, 0x10, 0x64]),
        HeaderExtension::new(13, b"?"),
    ];
    let header = RtpHeader {
        extensions: HeaderExtensions::auto(&elements),
        ..RtpHeader::new(96, 1, 2, 3)
    };
    let mut buf = [0u8; 128];
    let len = header.emit_packet(&[1], 0, &mut buf).unwrap();
    let packet = RtpPacket::parse(&buf[..len]).unwrap();
    let v = map.values(&packet.extensions());
    assert_eq!(v.mid, Some("video0"));
    assert_eq!(v.abs_send_time, Some(AbsSendTime(0x12_3456)));
    assert_eq!(v.transport_sequence_number, Some(0x0102));
    assert_eq!(v.rtp_stream_id, Some("hi"));
    assert_eq!(
        v.video_orientation,
        Some(VideoOrientation {
            back_camera: true,
            horizontal_flip: false,
            rotation: 3
        })
    );
    assert_eq!(v.video_orientation.unwrap().degrees(), 270);
    assert_eq!(v.playout_delay, Some(PlayoutDelay { min: 1, max: 100 }));
    assert_eq!(v.audio_level, None);
    assert_eq!(map.decode(HeaderExtension::new(13, b"?")), None);
    assert!(matches!(
        map.decode(HeaderExtension::new(3, &[1])),
        Some(Err(ParseError::BadLength { .. }))
    ));
}

#[test]
fn extension_values_have_their_wire_forms() {
    let check = |v: ExtensionValue<'_>, bytes: &[u8]| {
        let mut out = [0u8; 32];
        let n = v.emit(&mut out).unwrap();
        assert_eq!(&out[..n], bytes, "{v:?}");
        assert_eq!(ExtensionValue::parse(v.kind(), bytes), Ok(v));
    };
    // RFC 6464 §3: V=1, level 42.
    check(
        ExtensionValue::AudioLevel(AudioLevel {
            voice_activity: true,
            level: 42,
        }),
        &[0xAA],
    );
    check(ExtensionValue::TransportCc(0xBEEF), &[0xBE, 0xEF]);
    check(ExtensionValue::Mid("a1"), b"a1");
    // Trailing zero padding of a text item is dropped; an empty or non-UTF-8 one is refused.
    assert_eq!(
        ExtensionValue::parse(ExtensionKind::Mid, b"0\0\0"),
        Ok(ExtensionValue::Mid("0"))
    );
    assert!(ExtensionValue::parse(ExtensionKind::Mid, b"\0").is_err());
    assert!(ExtensionValue::parse(ExtensionKind::RtpStreamId, &[0xFF]).is_err());
    // Out of range values are refused.
    let mut out = [0u8; 4];
    assert!(
        ExtensionValue::AudioLevel(AudioLevel {
            voice_activity: false,
            level: 128
        })
        .emit(&mut out)
        .is_err()
    );
    assert!(
        ExtensionValue::PlayoutDelay(PlayoutDelay { min: 0, max: 4096 })
            .emit(&mut out)
            .is_err()
    );
    // abs-send-time is the NTP time's bits 14..38: 1.5 s is 0x60000.
    assert_eq!(AbsSendTime::from_ntp(3 << 31), AbsSendTime(0x06_0000));
    assert_eq!(AbsSendTime::from_micros(1_500_000), AbsSendTime(0x06_0000));
    assert_eq!(AbsSendTime(0x06_0000).as_micros(), 1_500_000);
    for kind in ExtensionKind::ALL {
        assert_eq!(ExtensionKind::from_uri(kind.uri()), Some(kind));
    }
}

/// Owned header extension elements and the form to write them in.
fn elements() -> impl Strategy<Value = (Option<ExtensionForm>, Vec<(u8, Vec<u8>)>)> {
    prop_oneof![
        Just((None, vec![])),
        vec((1u8..=14, vec(any::<u8>(), 1..=16)), 0..6)
            .prop_map(|e| (Some(ExtensionForm::OneByte), e)),
        (0u8..16, vec((1u8..=255, vec(any::<u8>(), 0..40)), 0..6))
            .prop_map(|(appbits, e)| (Some(ExtensionForm::TwoByte { appbits }), e)),
    ]
}

fn extension_value() -> impl Strategy<Value = (ExtensionKind, Vec<u8>)> {
    let text = "[a-zA-Z0-9_-]{1,16}".prop_map(String::into_bytes);
    prop_oneof![
        text.clone().prop_map(|t| (ExtensionKind::Mid, t)),
        text.clone().prop_map(|t| (ExtensionKind::RtpStreamId, t)),
        text.prop_map(|t| (ExtensionKind::RepairedRtpStreamId, t)),
        vec(any::<u8>(), 3).prop_map(|b| (ExtensionKind::AbsSendTime, b)),
        vec(any::<u8>(), 2).prop_map(|b| (ExtensionKind::TransportCc, b)),
        any::<u8>().prop_map(|b| (ExtensionKind::AudioLevel, vec![b])),
        (0u8..16).prop_map(|b| (ExtensionKind::VideoOrientation, vec![b])),
        vec(any::<u8>(), 3).prop_map(|b| (ExtensionKind::PlayoutDelay, b)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn every_header_round_trips(
        marker in any::<bool>(),
        payload_type in 0u8..128,
        seq in any::<u16>(),
        ts in any::<u32>(),
        ssrc in any::<u32>(),
        csrcs in vec(any::<u32>(), 0..=15),
        (form, ext) in elements(),
        payload in vec(any::<u8>(), 0..200),
        padding in any::<u8>(),
    ) {
        let items: Vec<_> = ext.iter().map(|(id, d)| HeaderExtension::new(*id, d)).collect();
        let extensions = match form {
            None => HeaderExtensions::none(),
            Some(f) => HeaderExtensions::with_form(f, &items),
        };
        let header = RtpHeader {
            marker,
            csrcs: List::new(&csrcs),
            extensions,
            ..RtpHeader::new(payload_type, seq, ts, ssrc)
        };
        let len = header.encoded_len() + payload.len() + usize::from(padding);
        let mut buf = vec![0u8; len];
        prop_assert_eq!(header.emit_packet(&payload, padding, &mut buf), Ok(len));
        let p = RtpPacket::parse(&buf).unwrap();
        prop_assert_eq!(p.header(), header);
        prop_assert_eq!(p.payload(), &payload[..]);
        prop_assert_eq!(p.padding_len(), usize::from(padding));
        prop_assert_eq!(p.header_len(), header.encoded_len());
        let elements: Vec<_> = p.extensions().iter().collect();
        prop_assert_eq!(elements, items);
        // The parsed header writes the same bytes.
        let mut again = vec![0u8; len];
        p.header().emit_packet(p.payload(), padding, &mut again).unwrap();
        prop_assert_eq!(again, buf.clone());
        // Every cut inside the header is an error.
        for cut in 0..p.header_len() {
            prop_assert!(RtpPacket::parse(&buf[..cut]).is_err());
        }
        // A cut inside payload and padding is an error or a shorter packet, never a panic.
        for cut in p.header_len()..len {
            if let Ok(short) = RtpPacket::parse(&buf[..cut]) {
                prop_assert!(short.payload().len() + short.padding_len() + short.header_len() == cut);
            }
        }
    }

    #[test]
    fn every_extension_value_round_trips((kind, data) in extension_value()) {
        let v = ExtensionValue::parse(kind, &data).unwrap();
        prop_assert_eq!(v.kind(), kind);
        let mut out = [0u8; 16];
        let n = v.emit(&mut out).unwrap();
        prop_assert_eq!(n, v.encoded_len());
        prop_assert_eq!(&out[..n], &data[..]);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in vec(any::<u8>(), 0..80)) {
        if let Ok(p) = RtpPacket::parse(&bytes) {
            let _ = (p.payload(), p.csrcs().iter().count(), p.extensions().iter().count());
            prop_assert!(p.header_len() + p.padding_len() <= bytes.len());
        }
        let mut map = ExtensionMap::new();
        for (i, kind) in ExtensionKind::ALL.into_iter().enumerate() {
            map.insert(i as u8 + 1, kind).unwrap();
        }
        for kind in ExtensionKind::ALL {
            let _ = ExtensionValue::parse(kind, &bytes);
        }
    }
}
