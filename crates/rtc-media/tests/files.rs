//! Media files written by this crate read back the same, and truncated or corrupted files are
//! errors, never panics.

use proptest::collection::vec;
use proptest::prelude::*;
use rtc_media::files::*;

fn opus_packet() -> impl Strategy<Value = Vec<u8>> {
    // A TOC byte with code 0..=2 (one or two frames: always a valid duration), then data.
    ((0u8..32), (0u8..3), vec(any::<u8>(), 0..400)).prop_map(|(config, code, data)| {
        let mut p = vec![config << 3 | code];
        p.extend(data);
        p
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn ivf_files_round_trip(
        fcc in prop_oneof![Just(fourcc::VP8), Just(fourcc::VP9), Just(fourcc::AV1)],
        w in any::<u16>(),
        h in any::<u16>(),
        rate in 1u32..1000,
        frames in vec((any::<u64>(), vec(any::<u8>(), 0..300)), 0..10),
    ) {
        let header = IvfHeader { frame_count: frames.len() as u32, ..IvfHeader::new(fcc, w, h, rate) };
        let mut file = Vec::new();
        let mut writer = IvfWriter::new(header, &mut file);
        for (ts, f) in &frames {
            writer.write_frame(*ts, f, &mut file).unwrap();
        }
        let reader = IvfReader::new(&file).unwrap();
        prop_assert_eq!(reader.header(), &header);
        let read: Vec<_> = reader.map(|f| f.map(|f| (f.timestamp, f.data.to_vec()))).collect::<Result<_, _>>().unwrap();
        prop_assert_eq!(read, frames);
    }

    #[test]
    fn ogg_opus_files_round_trip(
        serial in any::<u32>(),
        channels in 1u8..=2,
        pre_skip in any::<u16>(),
        vendor in "[ -~]{0,40}",
        comments in vec("[ -~]{0,40}", 0..4),
        packets in vec(opus_packet(), 0..100),
    ) {
        let head = OpusHead::new(channels, pre_skip);
        let tags = OpusTags { vendor, comments };
        let mut file = Vec::new();
        let mut writer = OggOpusWriter::new(serial, &head, &tags, &mut file).unwrap();
        for p in &packets {
            writer.write_packet(p, &mut file).unwrap();
        }
        let end = writer.granule_position();
        writer.finish(&mut file);
        let reader = OggOpusReader::new(&file).unwrap();
        prop_assert_eq!(reader.head(), &head);
        prop_assert_eq!(reader.tags(), &tags);
        let read: Vec<_> = reader.collect::<Result<Vec<_>, _>>().unwrap();
        let data: Vec<Vec<u8>> = read.iter().map(|p| p.data.to_vec()).collect();
        prop_assert_eq!(data, packets.clone());
        if let Some(last) = read.last() {
            prop_assert_eq!(last.granule_position, Some(end));
        }
        // Granule positions only grow.
        let granules: Vec<i64> = read.iter().filter_map(|p| p.granule_position).collect();
        prop_assert!(granules.windows(2).all(|w| w[0] <= w[1]));
        // Every page's CRC holds, and a flipped bit in any page is found.
        let flip = file.len() / 2;
        let mut bad = file.clone();
        bad[flip] ^= 0x10;
        let r = OggOpusReader::new(&bad).and_then(|r| r.collect::<Result<Vec<_>, _>>());
        prop_assert!(r.is_err());
    }

    #[test]
    fn ogg_packets_of_any_size_round_trip(packets in vec(vec(any::<u8>(), 0..700), 1..30), serial in any::<u32>()) {
        let mut file = Vec::new();
        let mut w = OggWriter::new(serial);
        for (i, p) in packets.iter().enumerate() {
            w.write_packet(p, i as i64, &mut file);
        }
        w.finish(&mut file);
        let read: Vec<Vec<u8>> = OggPacketReader::new(&file).map(|p| p.unwrap().data.to_vec()).collect();
        prop_assert_eq!(read, packets);
    }

    #[test]
    fn annexb_streams_round_trip(nals in vec((vec(1u8..=255, 1..200), prop_oneof![Just(3usize), Just(4)]), 0..20)) {
        let mut stream = Vec::new();
        for (nal, code) in &nals {
            write_nal_unit(&mut stream, nal, *code).unwrap();
        }
        let read: Vec<_> = nal_units(&stream).map(|n| (n.data.to_vec(), n.start_code_len)).collect();
        prop_assert_eq!(read, nals);
        // The access units cover the NAL units, in order.
        for codec in [AnnexBCodec::H264, AnnexBCodec::H265] {
            let joined: Vec<u8> = AnnexBReader::new(&stream, codec).flat_map(|a| a.data.to_vec()).collect();
            prop_assert_eq!(&joined, &stream);
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in vec(any::<u8>(), 0..300)) {
        if let Ok(r) = IvfReader::new(&bytes) {
            for f in r {
                let _ = f;
            }
        }
        let _ = OggPacketReader::new(&bytes).count();
        if let Ok(r) = OggOpusReader::new(&bytes) {
            let _ = r.count();
        }
        let _ = OggPage::parse(&bytes);
        let _ = OpusHead::parse(&bytes);
        let _ = OpusTags::parse(&bytes);
        let _ = AnnexBReader::new(&bytes, AnnexBCodec::H264).count();
        let _ = AnnexBReader::new(&bytes, AnnexBCodec::H265).count();
    }

    #[test]
    fn arbitrary_ogg_pages_never_panic(body in vec(any::<u8>(), 0..300), header_type in any::<u8>(), segments in vec(any::<u8>(), 0..10)) {
        // Pages with valid CRCs and arbitrary contents exercise the packet reader beyond the
        // checksum.
        let data_len: usize = segments.iter().map(|&s| usize::from(s)).sum();
        let data: Vec<u8> = body.iter().copied().cycle().take(data_len).collect();
        if data.len() == data_len {
            let page = OggPage { header_type, granule_position: 5, serial: 1, sequence: 0, segments: &segments, data: &data };
            let mut file = Vec::new();
            page.emit(&mut file).unwrap();
            page.emit(&mut file).unwrap();
            let _ = OggPacketReader::new(&file).count();
            if let Ok(r) = OggOpusReader::new(&file) {
                let _ = r.count();
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(40))]

    #[test]
    fn many_small_ogg_packets_fill_pages_exactly(sizes in vec(prop_oneof![Just(0usize), Just(1), Just(254), Just(255), Just(256), Just(510)], 200..700)) {
        // Lacing values land on the 255-segment page limit in every way: packets ending at it,
        // packets of 255 bytes (a 0 lacing value after it), packets crossing it.
        let packets: Vec<Vec<u8>> = sizes.iter().enumerate().map(|(i, &n)| vec![i as u8; n]).collect();
        let mut file = Vec::new();
        let mut w = OggWriter::new(9);
        for (i, p) in packets.iter().enumerate() {
            w.write_packet(p, i as i64, &mut file);
        }
        w.finish(&mut file);
        let read: Vec<_> = OggPacketReader::new(&file).collect::<Result<Vec<_>, _>>().unwrap();
        let data: Vec<Vec<u8>> = read.iter().map(|p| p.data.to_vec()).collect();
        prop_assert_eq!(data, packets);
        prop_assert!(read.last().unwrap().end_of_stream);
    }
}
