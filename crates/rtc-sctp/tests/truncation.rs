//! Lengths and padding are honoured: every strict prefix of a chunk is an error unless it only
//! drops padding; every prefix of a packet is an error or the packet's first chunks; a length
//! field never lets a parser read past its chunk or parameter.

mod support;

use proptest::collection::vec;
use proptest::prelude::*;
use rtc_sctp::*;
use support::chunk;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn every_strict_prefix_of_a_chunk_is_an_error_or_drops_only_padding(owned in chunk()) {
        owned.with_chunk(|c| {
            let len = c.encoded_len().unwrap();
            let mut bytes = Vec::new();
            c.emit_vec(&mut bytes).unwrap();
            for cut in 0..bytes.len() {
                let prefix = &bytes[..cut];
                match Chunk::parse(prefix) {
                    // RFC 9260 §3.2: the padding after a chunk may be missing.
                    Ok(parsed) => {
                        assert!(cut >= len, "prefix of {cut} of {len} bytes parsed");
                        assert_eq!(&parsed, c);
                    }
                    Err(e) => {
                        assert!(cut < len, "padding-only cut {cut} failed: {e}");
                        assert!(matches!(e, ParseError::Truncated { .. }), "{e}");
                    }
                }
            }
            // One byte more than the padding is trailing garbage.
            bytes.push(0);
            if bytes.len() % 4 == 1 {
                assert!(matches!(
                    Chunk::parse(&bytes),
                    Err(ParseError::TrailingBytes { .. } | ParseError::Truncated { .. })
                ));
            }
        });
    }

    #[test]
    fn every_prefix_of_a_packet_is_an_error_or_its_first_chunks(
        chunks in vec(chunk(), 1..6),
    ) {
        let mut buf = vec![0u8; 65536];
        let mut writer = PacketWriter::new(&mut buf, usize::MAX, 5000, 5000, 9).unwrap();
        // Where each chunk ends without and with its padding.
        let mut ends = Vec::new();
        for owned in &chunks {
            owned.with_chunk(|c| {
                let start = writer.len();
                writer.push(c).unwrap();
                ends.push((start + c.encoded_len().unwrap(), writer.len()));
            });
        }
        let bytes = writer.finish().to_vec();
        for cut in 0..bytes.len() {
            let result = Packet::parse_with(&bytes[..cut], ChecksumPolicy::Skip);
            // The chunks wholly inside the prefix, if the cut falls between a chunk's end and
            // its padding's end.
            let whole = ends.iter().position(|&(end, padded)| cut >= end && cut <= padded);
            match (result, whole) {
                (Ok(packet), Some(last)) => {
                    prop_assert_eq!(packet.chunks().count(), last + 1);
                    for (raw, owned) in packet.chunks().zip(&chunks) {
                        let decoded = raw.decode().unwrap();
                        owned.with_chunk(|c| assert_eq!(&decoded, c));
                    }
                }
                (Err(ParseError::NoChunks), None) => prop_assert_eq!(cut, COMMON_HEADER_LEN),
                (Err(ParseError::Truncated { .. }), None) => {}
                (other, whole) => panic!("cut {cut}: {other:?}, whole chunks {whole:?}"),
            }
            // With the checksum checked, a strict prefix never passes.
            prop_assert!(Packet::parse(&bytes[..cut]).is_err());
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in vec(any::<u8>(), 0..200)) {
        let _ = Packet::parse(&bytes);
        if let Ok(packet) = Packet::parse_with(&bytes, ChecksumPolicy::Skip) {
            for raw in packet.chunks() {
                let _ = format!("{raw:?} {:?}", raw.decode());
            }
        }
        let _ = Chunk::parse(&bytes).map(|c| format!("{c:?}"));
    }
}

/// A chunk in a packet: header, then `value`, padded.
fn packet_of(chunk_type: u8, flags: u8, length: u16, value: &[u8]) -> Vec<u8> {
    let mut p = vec![0x13, 0x88, 0x13, 0x88, 0, 0, 0, 1, 0, 0, 0, 0];
    p.extend_from_slice(&[chunk_type, flags]);
    p.extend_from_slice(&length.to_be_bytes());
    p.extend_from_slice(value);
    write_checksum(&mut p);
    p
}

#[test]
fn padding_bytes_are_not_user_data_and_their_content_is_ignored() {
    // DATA with 5 bytes of user data (length 21) and three non-zero padding bytes.
    let mut value = vec![0, 0, 0, 1, 0, 2, 0, 3, 0, 0, 0, 51];
    value.extend_from_slice(b"hello\xff\xff\xff");
    let p = packet_of(0, 0x03, 21, &value);
    let packet = Packet::parse(&p).unwrap();
    let Chunk::Data(data) = packet.chunks().next().unwrap().decode().unwrap() else {
        panic!("not DATA");
    };
    assert_eq!(data.user_data, b"hello");
    assert_eq!(
        (data.tsn, data.stream_id, data.ssn, data.ppid),
        (1, 2, 3, 51)
    );
    assert!(data.beginning && data.end && !data.unordered && !data.immediate);
}

#[test]
fn a_chunk_length_past_the_packet_is_truncated() {
    let p = packet_of(11, 0, 8, &[]);
    assert!(matches!(
        Packet::parse(&p),
        Err(ParseError::Truncated {
            what: "chunk",
            needed: 8,
            available: 4
        })
    ));
}

#[test]
fn a_chunk_length_below_the_header_is_refused() {
    for len in 0..4 {
        let p = packet_of(11, 0, len, &[]);
        assert!(matches!(
            Packet::parse(&p),
            Err(ParseError::BadLength { what: "chunk", .. })
        ));
    }
}

#[test]
fn a_parameter_may_not_run_past_its_chunk_even_inside_the_packet() {
    // INIT with chunk length 20 + 8, whose parameter claims 12 bytes; a following COOKIE ACK
    // supplies the bytes the parameter would overrun into.
    let mut value = vec![0, 0, 0, 1, 0, 0, 0x10, 0, 0, 1, 0, 1, 0, 0, 0, 0];
    value.extend_from_slice(&[0xC0, 0x00, 0x00, 0x0C, 0, 0, 0, 0]);
    value.extend_from_slice(&[11, 0, 0, 4]);
    let p = packet_of(1, 0, 28, &value);
    let packet = Packet::parse(&p).unwrap();
    let mut chunks = packet.chunks();
    assert!(matches!(
        chunks.next().unwrap().decode(),
        Err(ParseError::Truncated {
            what: "parameter",
            needed: 12,
            available: 8
        })
    ));
    assert_eq!(chunks.next().unwrap().decode().unwrap(), Chunk::CookieAck);
}

#[test]
fn fixed_size_chunks_and_parameters_of_another_size_are_refused() {
    // SHUTDOWN with 8 bytes of value.
    let p = packet_of(7, 0, 12, &[0; 8]);
    let raw = Packet::parse(&p).unwrap().chunks().next().unwrap();
    assert!(matches!(
        raw.decode(),
        Err(ParseError::BadLength {
            what: "SHUTDOWN chunk",
            length: 12
        })
    ));
    // COOKIE ACK with a value.
    let p = packet_of(11, 0, 8, &[0; 4]);
    let raw = Packet::parse(&p).unwrap().chunks().next().unwrap();
    assert!(matches!(raw.decode(), Err(ParseError::BadLength { .. })));
    // An IPv4 Address parameter of 7 bytes: the chunk parses, the parameter does not.
    let mut value = vec![0, 0, 0, 1, 0, 0, 0x10, 0, 0, 1, 0, 1, 0, 0, 0, 0];
    value.extend_from_slice(&[0, 5, 0, 7, 10, 0, 0, 0]);
    let p = packet_of(1, 0, 27, &value);
    let Chunk::Init(init) = Packet::parse(&p)
        .unwrap()
        .chunks()
        .next()
        .unwrap()
        .decode()
        .unwrap()
    else {
        panic!("not INIT");
    };
    assert_eq!(
        init.params.iter().next().unwrap(),
        Err(ParseError::Truncated {
            what: "IPv4 Address parameter",
            needed: 4,
            available: 3
        })
    );
    // And of 9 bytes.
    let mut value = vec![0, 0, 0, 1, 0, 0, 0x10, 0, 0, 1, 0, 1, 0, 0, 0, 0];
    value.extend_from_slice(&[0, 5, 0, 9, 10, 0, 0, 0, 1]);
    let p = packet_of(1, 0, 29, &value);
    let Chunk::Init(init) = Packet::parse(&p)
        .unwrap()
        .chunks()
        .next()
        .unwrap()
        .decode()
        .unwrap()
    else {
        panic!("not INIT");
    };
    assert_eq!(
        init.params.iter().next().unwrap(),
        Err(ParseError::BadLength {
            what: "IPv4 Address parameter",
            length: 9
        })
    );
    // A Re-configuration Response of 16 bytes (one of the two optional TSNs).
    let value = [0, 16, 0, 16, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 9];
    let p = packet_of(130, 0, 20, &value);
    let Chunk::ReConfig(reconfig) = Packet::parse(&p)
        .unwrap()
        .chunks()
        .next()
        .unwrap()
        .decode()
        .unwrap()
    else {
        panic!("not RE-CONFIG");
    };
    assert!(matches!(
        reconfig.params.iter().next().unwrap(),
        Err(ParseError::BadLength { length: 16, .. })
    ));
}

#[test]
fn a_sack_must_hold_exactly_what_its_counts_say() {
    // One gap block announced, none present.
    let value = [0, 0, 0, 9, 0, 0, 0x10, 0, 0, 1, 0, 0];
    let p = packet_of(3, 0, 16, &value);
    let raw = Packet::parse(&p).unwrap().chunks().next().unwrap();
    assert!(matches!(
        raw.decode(),
        Err(ParseError::Truncated {
            what: "SACK chunk",
            needed: 4,
            available: 0
        })
    ));
    // No block announced, one present.
    let value = [0, 0, 0, 9, 0, 0, 0x10, 0, 0, 0, 0, 0, 0, 1, 0, 2];
    let p = packet_of(3, 0, 20, &value);
    let raw = Packet::parse(&p).unwrap().chunks().next().unwrap();
    assert!(matches!(
        raw.decode(),
        Err(ParseError::BadLength {
            what: "SACK chunk",
            length: 20
        })
    ));
}

#[test]
fn lists_must_hold_whole_entries() {
    // FORWARD TSN with 2 bytes of a stream entry.
    let p = packet_of(192, 0, 10, &[0, 0, 0, 5, 0, 1, 0, 0]);
    let raw = Packet::parse(&p).unwrap().chunks().next().unwrap();
    assert!(matches!(
        raw.decode(),
        Err(ParseError::BadLength {
            what: "FORWARD TSN chunk",
            length: 10
        })
    ));
    // Missing Mandatory Parameter whose count disagrees with its list.
    let p = packet_of(9, 0, 16, &[0, 2, 0, 12, 0, 0, 0, 3, 0, 7, 0, 0]);
    let Chunk::Error(error) = Packet::parse(&p)
        .unwrap()
        .chunks()
        .next()
        .unwrap()
        .decode()
        .unwrap()
    else {
        panic!("not ERROR");
    };
    assert!(matches!(
        error.causes.iter().next().unwrap(),
        Err(ParseError::InvalidField(_))
    ));
}

#[test]
fn a_heartbeat_needs_its_info_parameter() {
    let p = packet_of(4, 0, 4, &[]);
    let raw = Packet::parse(&p).unwrap().chunks().next().unwrap();
    assert!(matches!(
        raw.decode(),
        Err(ParseError::MissingParameter {
            chunk: "HEARTBEAT chunk",
            ..
        })
    ));
    // Another parameter first, then the info.
    let p = packet_of(5, 0, 16, &[0x80, 0x05, 0, 4, 0, 1, 0, 8, 1, 2, 3, 4]);
    let raw = Packet::parse(&p).unwrap().chunks().next().unwrap();
    assert_eq!(
        raw.decode().unwrap(),
        Chunk::HeartbeatAck(Heartbeat {
            info: &[1, 2, 3, 4]
        })
    );
}

#[test]
fn a_data_chunk_without_user_data_parses_so_its_tsn_can_be_reported() {
    // RFC 9260 §6.2: answered with ABORT and a No User Data cause naming the TSN.
    let p = packet_of(0, 0x03, 16, &[0, 0, 0, 77, 0, 0, 0, 0, 0, 0, 0, 0]);
    let Chunk::Data(data) = Packet::parse(&p)
        .unwrap()
        .chunks()
        .next()
        .unwrap()
        .decode()
        .unwrap()
    else {
        panic!("not DATA");
    };
    assert_eq!(data.tsn, 77);
    assert!(data.user_data.is_empty());
}

#[test]
fn bytes_after_the_last_chunk_that_are_not_a_chunk_are_refused() {
    let mut p = packet_of(11, 0, 4, &[]);
    p.extend_from_slice(&[0, 0]);
    write_checksum(&mut p);
    assert!(matches!(
        Packet::parse(&p),
        Err(ParseError::Truncated { what: "chunk", .. })
    ));
}

#[test]
fn unknown_chunks_keep_their_type_flags_and_action() {
    // 0x4F: "01", stop and report; 0xBF: "10", skip.
    for (t, action) in [
        (0x0Fu8, UnrecognizedAction::Stop),
        (0x4F, UnrecognizedAction::StopAndReport),
        (0xBF, UnrecognizedAction::Skip),
        (0xFF, UnrecognizedAction::SkipAndReport),
    ] {
        let p = packet_of(t, 0xA5, 7, &[1, 2, 3, 0]);
        let raw = Packet::parse(&p).unwrap().chunks().next().unwrap();
        assert_eq!(raw.as_bytes(), &[t, 0xA5, 0, 7, 1, 2, 3]);
        let Chunk::Unknown(u) = raw.decode().unwrap() else {
            panic!("known?");
        };
        assert_eq!(
            (u.chunk_type, u.flags, u.value),
            (ChunkType(t), 0xA5, &[1u8, 2, 3][..])
        );
        assert_eq!(u.action(), action);
    }
}
