#![no_main]
//! Arbitrary bytes as an IVF file, an Ogg file (packets, and Ogg Opus) and an H.264/H.265
//! Annex B stream. Typed errors only, never a panic; an IVF file that reads whole writes back
//! byte for byte, Ogg packets that read whole write back and read the same, and Annex B NAL
//! units write back to a stream that splits the same.
use libfuzzer_sys::fuzz_target;
use rtc_media::files::*;

fuzz_target!(|data: &[u8]| {
    // IVF: a whole, well-formed file with a 32-byte header rewrites byte for byte.
    if let Ok(reader) = IvfReader::new(data) {
        let header = *reader.header();
        if let Ok(frames) = reader.collect::<Result<Vec<_>, _>>() {
            let mut out = Vec::new();
            let mut w = IvfWriter::new(header, &mut out);
            for f in &frames {
                w.write_frame(f.timestamp, f.data, &mut out)
                    .expect("frame fits");
            }
            if data.get(6..8) == Some(&[32, 0]) {
                assert_eq!(out, data);
            }
        }
    }

    // Ogg packets: read whole, written by this crate, read the same.
    if let Ok(packets) = OggPacketReader::new(data).collect::<Result<Vec<_>, _>>() {
        let mut out = Vec::new();
        let mut w = OggWriter::new(1);
        for p in &packets {
            w.write_packet(&p.data, p.granule_position.unwrap_or(-1), &mut out);
        }
        w.finish(&mut out);
        let again: Vec<_> = OggPacketReader::new(&out)
            .map(|p| p.expect("own file reads").data)
            .collect();
        assert!(again.iter().eq(packets.iter().map(|p| &p.data)));
    }
    if let Ok(reader) = OggOpusReader::new(data) {
        let _ = (reader.head(), reader.tags());
        let _ = reader.count();
    }
    let _ = OggPage::parse(data);

    // Annex B: the NAL units written back split the same; access units cover the stream.
    let nals: Vec<_> = nal_units(data).collect();
    let mut out = Vec::new();
    for n in &nals {
        write_nal_unit(&mut out, n.data, n.start_code_len).expect("a split NAL unit writes");
    }
    assert!(
        nal_units(&out)
            .map(|n| n.data)
            .eq(nals.iter().map(|n| n.data))
    );
    for codec in [AnnexBCodec::H264, AnnexBCodec::H265] {
        let total: usize = AnnexBReader::new(data, codec)
            .map(|au| au.nal_units().count())
            .sum();
        assert_eq!(total, nals.len());
    }
});
