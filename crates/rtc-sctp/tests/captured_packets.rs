//! Real packets, decoded by hand field by field, and the CRC32c against published vectors.
//!
//! The packets are Wireshark captures quoted in WebRTC's dcSCTP tests
//! (`net/dcsctp/packet/sctp_packet_test.cc`): an INIT from a usrsctp peer on port 5000 (the
//! data channel port), a COOKIE ACK bundled with a SACK, and that SACK with one bit of its
//! checksum flipped. For each: deconstruct (parse, every field), construct (build the same
//! packet from typed values and get the same bytes).

use rtc_sctp::*;

/// INIT, 104 bytes. Chunk length 90: the last parameter (Chunk List, 6 bytes) ends the chunk
/// unpadded, and the packet carries the 2 bytes of padding after it.
const USRSCTP_INIT: [u8; 104] = [
    0x13, 0x88, 0x13, 0x88, 0x00, 0x00, 0x00, 0x00, 0xaa, 0x01, 0x9d, 0x33, // common header
    0x01, 0x00, 0x00, 0x5a, // INIT, flags 0, length 90
    0x0e, 0xdd, 0xca, 0x08, // initiate tag
    0x00, 0x02, 0x00, 0x00, // a_rwnd 131072
    0x03, 0xe8, 0x03, 0xe8, // OS 1000, MIS 1000
    0x55, 0x08, 0x36, 0x37, // initial TSN 1426601527
    0x80, 0x00, 0x00, 0x04, // ECN Capable
    0xc0, 0x00, 0x00, 0x04, // Forward-TSN-Supported
    0x80, 0x08, 0x00, 0x09, 0xc0, 0x0f, 0xc1, 0x80, 0x82, 0x00, 0x00,
    0x00, // Supported Extensions
    0x80, 0x02, 0x00, 0x24, // Random, 32 bytes:
    0xc5, 0xa8, 0x61, 0x55, 0x09, 0x0e, 0x6f, 0x42, 0x00, 0x50, 0x63, 0x4c, 0xc8, 0xd6, 0xb9, 0x08,
    0xdf, 0xd5, 0x3e, 0x17, 0xc9, 0x9c, 0xb1, 0x43, 0x28, 0x4e, 0xaf, 0x64, 0x68, 0x2a, 0xc2, 0x97,
    0x80, 0x04, 0x00, 0x06, 0x00, 0x01, 0x00,
    0x00, // Requested HMAC Algorithm: SHA-1, padding
    0x80, 0x03, 0x00, 0x06, 0x80, 0xc1, 0x00, 0x00, // Chunk List: ASCONF ACK, ASCONF; padding
];

/// COOKIE ACK and SACK, 32 bytes.
const COOKIE_ACK_AND_SACK: [u8; 32] = [
    0x04, 0xd2, 0x10, 0xe1, 0x69, 0x7e, 0x3a, 0x4e, 0xc0, 0x6e, 0x8b, 0x36, // common header
    0x0b, 0x00, 0x00, 0x04, // COOKIE ACK
    0x03, 0x00, 0x00, 0x10, // SACK, length 16
    0xae, 0xa9, 0x52, 0x52, // cumulative TSN ack 2930332242
    0x00, 0x02, 0x00, 0x00, // a_rwnd 131072
    0x00, 0x00, 0x00, 0x00, // no gap ack blocks, no duplicate TSNs
];

/// A SACK whose checksum's last byte is 0x31 where the CRC32c gives 0x32.
const SACK_BAD_CHECKSUM: [u8; 28] = [
    0x13, 0x88, 0x13, 0x88, 0x0e, 0xdd, 0xca, 0x08, 0x2a, 0x81, 0xf5, 0x31, 0x03, 0x00, 0x00, 0x10,
    0x55, 0x08, 0x36, 0x40, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
];

#[test]
fn crc32c_matches_the_rfc3720_vectors_and_their_byte_order() {
    // RFC 3720 §B.4 prints each CRC as the bytes sent; the value is their little-endian
    // reading, as in SCTP's common header.
    let incrementing: Vec<u8> = (0..32).collect();
    let decrementing: Vec<u8> = (0..32).rev().collect();
    for (data, wire) in [
        (&[0u8; 32][..], [0xaa, 0x36, 0x91, 0x8a]),
        (&[0xffu8; 32][..], [0x43, 0xab, 0xa8, 0x62]),
        (&incrementing[..], [0x4e, 0x79, 0xdd, 0x46]),
        (&decrementing[..], [0x5c, 0xdb, 0x3f, 0x11]),
    ] {
        assert_eq!(crc32c(data).to_le_bytes(), wire);
    }
    // The CRC-32C check value ("123456789").
    assert_eq!(crc32c(b"123456789"), 0xe306_9283);
}

#[test]
fn checksum_of_a_captured_packet_is_stored_least_significant_byte_first() {
    assert_eq!(packet_checksum(&USRSCTP_INIT), 0x339d_01aa);
    assert_eq!(&USRSCTP_INIT[8..12], &0x339d_01aau32.to_le_bytes());
    assert_eq!(packet_checksum(&COOKIE_ACK_AND_SACK), 0x368b_6ec0);
    let mut copy = USRSCTP_INIT;
    copy[8..12].fill(0);
    write_checksum(&mut copy);
    assert_eq!(copy, USRSCTP_INIT);
}

#[test]
fn usrsctp_init_deconstructs_field_by_field() {
    let packet = Packet::parse(&USRSCTP_INIT).unwrap();
    assert_eq!(
        packet.header(),
        CommonHeader {
            source_port: 5000,
            destination_port: 5000,
            verification_tag: 0,
            checksum: 0x339d_01aa,
        }
    );
    let raws: Vec<RawChunk<'_>> = packet.chunks().collect();
    assert_eq!(raws.len(), 1);
    assert_eq!(raws[0].chunk_type(), ChunkType::INIT);
    assert_eq!(raws[0].flags(), 0);
    assert_eq!(raws[0].len(), 90);
    assert_eq!(raws[0].as_bytes(), &USRSCTP_INIT[12..102]);

    let Chunk::Init(init) = raws[0].decode().unwrap() else {
        panic!("not INIT");
    };
    assert_eq!(init.initiate_tag, 0x0edd_ca08);
    assert_eq!(init.a_rwnd, 131_072);
    assert_eq!(init.outbound_streams, 1000);
    assert_eq!(init.inbound_streams, 1000);
    assert_eq!(init.initial_tsn, 1_426_601_527);

    let params: Vec<Param<'_>> = init.params.iter().map(Result::unwrap).collect();
    assert_eq!(params.len(), 6);
    assert_eq!(params[0], Param::EcnCapable);
    assert_eq!(params[1], Param::ForwardTsnSupported);
    // FORWARD TSN, AUTH, ASCONF, ASCONF ACK, RE-CONFIG.
    assert_eq!(
        params[2],
        Param::SupportedExtensions(&[0xc0, 0x0f, 0xc1, 0x80, 0x82])
    );
    assert_eq!(init.supported_extensions(), &[0xc0, 0x0f, 0xc1, 0x80, 0x82]);
    assert!(
        init.supported_extensions()
            .contains(&ChunkType::RE_CONFIG.0)
    );
    let Param::Random(random) = params[3] else {
        panic!("not Random");
    };
    assert_eq!(random.len(), 32);
    assert_eq!(&random[..4], &[0xc5, 0xa8, 0x61, 0x55]);
    let Param::RequestedHmacAlgorithms(hmacs) = params[4] else {
        panic!("not HMAC algorithms");
    };
    assert_eq!(hmacs.iter().collect::<Vec<_>>(), [1]); // SHA-1
    assert_eq!(params[5], Param::ChunkList(&[0x80, 0xc1]));
    assert_eq!(init.state_cookie(), None);

    // The raw view: types, values and the bytes an Unrecognized Parameter would echo.
    let raw: Vec<RawTlv<'_>> = init.params.raw().collect();
    assert_eq!(
        raw.iter().map(RawTlv::tlv_type).collect::<Vec<_>>(),
        [0x8000, 0xc000, 0x8008, 0x8002, 0x8004, 0x8003]
    );
    assert_eq!(raw[2].as_bytes(), &USRSCTP_INIT[40..49]);
    assert_eq!(raw[5].value(), &[0x80, 0xc1]);
    // What a receiver without AUTH does with these: Random, Chunk List and HMAC skip silently.
    assert_eq!(
        ParamType::RANDOM.unrecognized_action(),
        UnrecognizedAction::Skip
    );
}

#[test]
fn usrsctp_init_constructs_to_the_same_bytes() {
    let random = &USRSCTP_INIT[56..88];
    let params = [
        Param::EcnCapable,
        Param::ForwardTsnSupported,
        Param::SupportedExtensions(&[
            ChunkType::FORWARD_TSN.0,
            ChunkType::AUTH.0,
            ChunkType::ASCONF.0,
            ChunkType::ASCONF_ACK.0,
            ChunkType::RE_CONFIG.0,
        ]),
        Param::Random(random),
        Param::RequestedHmacAlgorithms(WireList::new(&[1])),
        Param::ChunkList(&[ChunkType::ASCONF_ACK.0, ChunkType::ASCONF.0]),
    ];
    let init = Chunk::Init(Init {
        initiate_tag: 0x0edd_ca08,
        a_rwnd: 131_072,
        outbound_streams: 1000,
        inbound_streams: 1000,
        initial_tsn: 1_426_601_527,
        params: Params::new(&params),
    });
    assert_eq!(init.encoded_len().unwrap(), 90);
    let mut buf = [0u8; 1200];
    let mut writer = PacketWriter::new(&mut buf, 1200, 5000, 5000, 0).unwrap();
    writer.push(&init).unwrap();
    assert_eq!(writer.finish(), &USRSCTP_INIT[..]);

    // Written back from the parse, the same bytes too.
    let packet = Packet::parse(&USRSCTP_INIT).unwrap();
    let parsed = packet.chunks().next().unwrap().decode().unwrap();
    assert_eq!(parsed, init);
    let mut again = Vec::new();
    parsed.emit_vec(&mut again).unwrap();
    assert_eq!(again, &USRSCTP_INIT[12..]);
}

#[test]
fn the_last_chunks_padding_may_be_missing_or_counted_in_its_length() {
    // RFC 9260 §3.2: "A robust implementation is expected to accept the chunk whether or not
    // the final padding has been included in the Chunk Length."
    let reference = Packet::parse(&USRSCTP_INIT).unwrap();
    let reference = reference.chunks().next().unwrap().decode().unwrap();

    let unpadded = &USRSCTP_INIT[..102];
    let packet = Packet::parse_with(unpadded, ChecksumPolicy::Skip).unwrap();
    assert_eq!(packet.chunks().next().unwrap().decode().unwrap(), reference);

    let mut counted = USRSCTP_INIT;
    counted[15] = 92;
    write_checksum(&mut counted);
    let packet = Packet::parse(&counted).unwrap();
    let Chunk::Init(init) = packet.chunks().next().unwrap().decode().unwrap() else {
        panic!("not INIT");
    };
    let Chunk::Init(reference) = reference else {
        unreachable!()
    };
    assert_eq!(init.params, reference.params);
    assert_eq!(init.params.raw().count(), 6);
}

#[test]
fn cookie_ack_bundled_with_sack_deconstructs_and_constructs() {
    let packet = Packet::parse(&COOKIE_ACK_AND_SACK).unwrap();
    let header = packet.header();
    assert_eq!((header.source_port, header.destination_port), (1234, 4321));
    assert_eq!(header.verification_tag, 0x697e_3a4e);
    assert_eq!(header.checksum, 0x368b_6ec0);
    let chunks: Vec<Chunk<'_>> = packet.chunks().map(|c| c.decode().unwrap()).collect();
    assert_eq!(chunks[0], Chunk::CookieAck);
    let Chunk::Sack(sack) = chunks[1] else {
        panic!("not SACK");
    };
    assert_eq!(sack.cumulative_tsn_ack, 2_930_332_242);
    assert_eq!(sack.a_rwnd, 131_072);
    assert!(sack.gap_ack_blocks.is_empty());
    assert_eq!(sack.duplicate_tsns.iter().count(), 0);

    let mut buf = [0u8; 64];
    let mut writer = PacketWriter::new(&mut buf, 1200, 1234, 4321, 0x697e_3a4e).unwrap();
    writer.push(&Chunk::CookieAck).unwrap();
    writer
        .push(&Chunk::Sack(Sack {
            cumulative_tsn_ack: 2_930_332_242,
            a_rwnd: 131_072,
            gap_ack_blocks: WireList::default(),
            duplicate_tsns: WireList::default(),
        }))
        .unwrap();
    assert_eq!(writer.finish(), &COOKIE_ACK_AND_SACK[..]);
}

#[test]
fn a_wrong_checksum_is_refused_unless_verification_is_off() {
    assert_eq!(
        Packet::parse(&SACK_BAD_CHECKSUM),
        Err(ParseError::BadChecksum {
            received: 0x31f5_812a,
            computed: 0x32f5_812a,
        })
    );
    // A non-zero wrong checksum fails under AcceptZero too.
    assert!(Packet::parse_with(&SACK_BAD_CHECKSUM, ChecksumPolicy::AcceptZero).is_err());
    let packet = Packet::parse_with(&SACK_BAD_CHECKSUM, ChecksumPolicy::Skip).unwrap();
    assert_eq!(packet.header().verification_tag, 0x0edd_ca08);
    let Chunk::Sack(sack) = packet.chunks().next().unwrap().decode().unwrap() else {
        panic!("not SACK");
    };
    assert_eq!(sack.cumulative_tsn_ack, 1_426_601_536);

    // RFC 9653: a zero checksum passes AcceptZero (and Skip), not Verify.
    let mut zero = SACK_BAD_CHECKSUM;
    zero[8..12].fill(0);
    assert!(Packet::parse(&zero).is_err());
    assert!(Packet::parse_with(&zero, ChecksumPolicy::AcceptZero).is_ok());
    let mut fixed = zero;
    write_checksum(&mut fixed);
    assert!(Packet::parse_with(&fixed, ChecksumPolicy::AcceptZero).is_ok());
}

#[test]
fn the_rfc9260_sack_example_encodes_as_drawn() {
    // RFC 9260 §3.3.4: received 10-12, 14, 15, 17: cumulative 12, blocks 2-3 and 5-5.
    let blocks = [
        GapAckBlock { start: 2, end: 3 },
        GapAckBlock { start: 5, end: 5 },
    ];
    let sack = Chunk::Sack(Sack {
        cumulative_tsn_ack: 12,
        a_rwnd: 4660,
        gap_ack_blocks: WireList::new(&blocks),
        duplicate_tsns: WireList::default(),
    });
    let mut bytes = [0u8; 24];
    assert_eq!(sack.emit(&mut bytes).unwrap(), 24);
    assert_eq!(
        bytes,
        [
            3, 0, 0, 24, // SACK, length 24
            0, 0, 0, 12, // cumulative TSN ack
            0, 0, 0x12, 0x34, // a_rwnd 4660
            0, 2, 0, 0, // 2 blocks, 0 duplicates
            0, 2, 0, 3, // block 1
            0, 5, 0, 5, // block 2
        ]
    );
    let Chunk::Sack(parsed) = Chunk::parse(&bytes).unwrap() else {
        panic!("not SACK");
    };
    let tsns: Vec<u32> = parsed
        .gap_ack_blocks
        .iter()
        .flat_map(|b| {
            (parsed.cumulative_tsn_ack + u32::from(b.start))
                ..=(parsed.cumulative_tsn_ack + u32::from(b.end))
        })
        .collect();
    assert_eq!(tsns, [14, 15, 17]);
}

#[test]
fn reconfig_outgoing_reset_of_a_data_channel_encodes_as_drawn() {
    // RFC 8831 §6.7: closing a channel resets its outgoing stream (RFC 6525 §4.1).
    let params = [Param::OutgoingSsnResetRequest(OutgoingSsnResetRequest {
        request_sequence: 0x0102_0304,
        response_sequence: 0x0102_0303,
        last_assigned_tsn: 0x0a0b_0c0d,
        streams: WireList::new(&[1]),
    })];
    let chunk = Chunk::ReConfig(ReConfig {
        params: Params::new(&params),
    });
    let mut bytes = Vec::new();
    chunk.emit_vec(&mut bytes).unwrap();
    assert_eq!(
        bytes,
        [
            130, 0, 0, 22, // RE-CONFIG, length 4 + 18 (parameter unpadded)
            0, 13, 0, 18, // Outgoing SSN Reset Request, 16 + 2 * 1
            1, 2, 3, 4, 1, 2, 3, 3, 10, 11, 12, 13, // sequence numbers, last TSN
            0, 1, 0, 0, // stream 1, padding
        ]
    );
    assert_eq!(Chunk::parse(&bytes).unwrap(), chunk);
}
