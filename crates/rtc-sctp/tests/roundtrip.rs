//! Every chunk type, with every parameter and error cause, parses back from what it writes;
//! so do whole packets of several chunks; and the packet writer keeps to its size limit.

mod support;

use proptest::collection::vec;
use proptest::prelude::*;
use rtc_sctp::*;
use support::{OwnedChunk, chunk};

/// Writes `chunk` both ways and checks the bytes: header fields, padding, length field.
fn write(chunk: &Chunk<'_>) -> Vec<u8> {
    let len = chunk.encoded_len().unwrap();
    let mut bytes = Vec::new();
    let written = chunk.emit_vec(&mut bytes).unwrap();
    assert_eq!(written, bytes.len());
    assert_eq!(bytes.len(), chunk.padded_len().unwrap());
    assert_eq!(bytes.len() % 4, 0);
    assert_eq!(bytes[0], chunk.chunk_type().0);
    assert_eq!(usize::from(u16::from_be_bytes([bytes[2], bytes[3]])), len);
    assert!(bytes[len..].iter().all(|&b| b == 0), "padding is zeros");

    // Into a slice: the same bytes; a slice one byte short is refused.
    let mut slice = vec![0xAAu8; bytes.len() + 3];
    assert_eq!(chunk.emit(&mut slice).unwrap(), bytes.len());
    assert_eq!(&slice[..bytes.len()], &bytes[..]);
    let mut short = vec![0u8; bytes.len() - 1];
    assert!(matches!(
        chunk.emit(&mut short),
        Err(WriteError::BufferTooSmall { .. })
    ));
    bytes
}

fn check_round_trip(owned: &OwnedChunk) {
    owned.with_chunk(|chunk| {
        let bytes = write(chunk);
        let parsed = Chunk::parse(&bytes).unwrap();
        assert_eq!(&parsed, chunk);
        // Every nested list decodes entry by entry to the entries written.
        match (&parsed, chunk) {
            (Chunk::Init(a), Chunk::Init(b)) | (Chunk::InitAck(a), Chunk::InitAck(b)) => {
                let a: Vec<_> = a.params.iter().map(Result::unwrap).collect();
                let b: Vec<_> = b.params.iter().map(Result::unwrap).collect();
                assert_eq!(a, b);
            }
            (Chunk::Sack(a), Chunk::Sack(b)) => {
                assert!(a.gap_ack_blocks.iter().eq(b.gap_ack_blocks.iter()));
                assert!(a.duplicate_tsns.iter().eq(b.duplicate_tsns.iter()));
                assert_eq!(a.gap_ack_blocks.len(), b.gap_ack_blocks.len());
            }
            (Chunk::Abort(a), Chunk::Abort(b)) => {
                assert_eq!(a.causes.iter().count(), b.causes.iter().count());
                assert!(a.causes.iter().all(|c| c.is_ok()));
            }
            _ => {}
        }
        // Writing what was parsed (lists still views over the received bytes) gives the same
        // bytes again.
        assert_eq!(write(&parsed), bytes);
    });
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn every_chunk_round_trips(owned in chunk()) {
        check_round_trip(&owned);
    }

    #[test]
    fn packets_of_several_chunks_round_trip(
        chunks in vec(chunk(), 1..8),
        ports in any::<(u16, u16)>(),
        tag in any::<u32>(),
    ) {
        let mut buf = vec![0u8; 65536];
        let mut writer = PacketWriter::new(&mut buf, usize::MAX, ports.0, ports.1, tag).unwrap();
        for owned in &chunks {
            owned.with_chunk(|c| writer.push(c)).unwrap();
        }
        prop_assert_eq!(writer.chunk_count(), chunks.len());
        let bytes = writer.finish().to_vec();
        let packet = Packet::parse(&bytes).unwrap();
        let header = packet.header();
        assert_eq!(
            (header.source_port, header.destination_port, header.verification_tag),
            (ports.0, ports.1, tag)
        );
        prop_assert_eq!(header.checksum, packet_checksum(&bytes));
        prop_assert_eq!(packet.chunks().count(), chunks.len());
        for (raw, owned) in packet.chunks().zip(&chunks) {
            let decoded = raw.decode().unwrap();
            owned.with_chunk(|c| assert_eq!(&decoded, c));
        }
        // Any single flipped bit breaks the checksum; skipping the check still parses.
        let mut damaged = bytes.clone();
        let at = (tag as usize) % bytes.len();
        damaged[at] ^= 1 << (ports.0 % 8);
        let damaged_parse = Packet::parse(&damaged);
        assert!(matches!(damaged_parse, Err(ParseError::BadChecksum { .. })));
    }

    #[test]
    fn the_writer_bundles_up_to_its_limit(
        chunks in vec(chunk(), 1..20),
        max_len in 12usize..600,
    ) {
        let mut buf = vec![0u8; 1024];
        let mut writer = PacketWriter::new(&mut buf, max_len, 5000, 5000, 1).unwrap();
        let mut expected = Vec::new();
        for (i, owned) in chunks.iter().enumerate() {
            let before = (writer.len(), writer.remaining());
            let fits = owned.with_chunk(|c| writer.fits(c));
            match owned.with_chunk(|c| writer.push(c)) {
                Ok(()) => {
                    prop_assert!(fits);
                    expected.push(i);
                }
                Err(WriteError::DoesNotFit { needed, remaining }) => {
                    prop_assert!(!fits);
                    prop_assert!(needed > remaining);
                    prop_assert_eq!(before, (writer.len(), writer.remaining()));
                }
                Err(e) => panic!("unexpected {e}"),
            }
            prop_assert!(writer.len() <= max_len);
            prop_assert_eq!(writer.remaining() % 4, 0);
        }
        let empty = writer.is_empty();
        let bytes = writer.finish().to_vec();
        prop_assert!(bytes.len() <= max_len);
        if empty {
            assert!(matches!(Packet::parse(&bytes), Err(ParseError::NoChunks)));
        } else {
            let packet = Packet::parse(&bytes).unwrap();
            prop_assert_eq!(packet.chunks().count(), expected.len());
            for (raw, i) in packet.chunks().zip(expected) {
                let decoded = raw.decode().unwrap();
                chunks[i].with_chunk(|c| assert_eq!(&decoded, c));
            }
        }
    }
}

#[test]
fn a_data_chunk_filling_remaining_fits_exactly() {
    let mut buf = [0u8; 1200];
    let mut writer = PacketWriter::new(&mut buf, 1191, 5000, 5000, 7).unwrap();
    // 1191 rounds down to 1188; 1176 left after the header; 1160 bytes of user data.
    assert_eq!(writer.remaining(), 1176);
    let payload = vec![7u8; writer.remaining() - DATA_HEADER_LEN];
    let data = Chunk::Data(Data {
        tsn: 1,
        stream_id: 1,
        ssn: 0,
        ppid: 53,
        unordered: false,
        beginning: true,
        end: true,
        immediate: false,
        user_data: &payload,
    });
    writer.push(&data).unwrap();
    assert_eq!(writer.remaining(), 0);
    assert!(!writer.fits(&Chunk::CookieAck));
    assert_eq!(writer.finish().len(), 1188);
}

#[test]
fn lengths_that_overflow_their_fields_are_refused() {
    let big = vec![0u8; 70_000];
    let data = Chunk::Data(Data {
        tsn: 1,
        stream_id: 0,
        ssn: 0,
        ppid: 0,
        unordered: false,
        beginning: true,
        end: true,
        immediate: false,
        user_data: &big,
    });
    assert!(matches!(
        data.encoded_len(),
        Err(WriteError::TooLong { what: "chunk", .. })
    ));
    let mut out = Vec::new();
    assert!(data.emit_vec(&mut out).is_err());
    assert!(out.is_empty());

    let cookie = Param::StateCookie(&big[..65_533]);
    let params = [cookie];
    let init = Chunk::InitAck(Init {
        initiate_tag: 1,
        a_rwnd: 1500,
        outbound_streams: 1,
        inbound_streams: 1,
        initial_tsn: 0,
        params: Params::new(&params),
    });
    assert!(matches!(
        init.encoded_len(),
        Err(WriteError::TooLong {
            what: "parameter",
            ..
        })
    ));

    let dups = vec![0u32; 65_536];
    let sack = Chunk::Sack(Sack {
        cumulative_tsn_ack: 0,
        a_rwnd: 0,
        gap_ack_blocks: WireList::default(),
        duplicate_tsns: WireList::new(&dups),
    });
    assert!(matches!(
        sack.encoded_len(),
        Err(WriteError::TooManyEntries { .. })
    ));
}

#[test]
fn a_buffer_shorter_than_the_header_is_refused() {
    let mut buf = [0u8; 64];
    assert!(matches!(
        PacketWriter::new(&mut buf, 11, 1, 2, 3),
        Err(WriteError::BufferTooSmall { .. })
    ));
    let mut small = [0u8; 8];
    assert!(PacketWriter::new(&mut small, 1200, 1, 2, 3).is_err());
}
