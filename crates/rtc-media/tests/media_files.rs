//! The fixtures in tests/data (made once with ffmpeg, see tests/data/README.md) read, rewrite
//! and go through the payloaders and back unchanged.

use std::path::Path;

use rtc_media::codecs::{
    Av1Depacketizer, Av1Packetizer, H264Depacketizer, H264Packetizer, H265Depacketizer,
    H265Packetizer, OpusDepacketizer, OpusPacketizer, Vp8Depacketizer, Vp8Packetizer,
    Vp9Depacketizer, Vp9Packetizer, obus, opus_packet_samples,
};
use rtc_media::files::{
    AnnexBCodec, AnnexBReader, IvfReader, IvfWriter, OggOpusReader, OggOpusWriter, fourcc,
    nal_units, write_nal_unit,
};
use rtc_media::{Depacketizer, HeaderExtensions, PacketInfo, Packetizer, RtpHeader, RtpPacket};

fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A frame that came out of a depacketizer, and its keyframe flag.
type FrameOut = (Vec<u8>, bool);

/// Sends each frame through `packetizer` as RTP packets (real ones, parsed back) into
/// `depacketizer`; returns the frames that come out and their keyframe flags.
fn through_rtp(
    frames: &[Vec<u8>],
    packetizer: &mut dyn Packetizer,
    depacketizer: &mut dyn Depacketizer,
    max_payload_len: usize,
) -> Vec<(Vec<u8>, bool)> {
    through_rtp_with_payloads(frames, packetizer, depacketizer, max_payload_len).0
}

/// [`through_rtp`], also returning every payload sent.
fn through_rtp_with_payloads(
    frames: &[Vec<u8>],
    packetizer: &mut dyn Packetizer,
    depacketizer: &mut dyn Depacketizer,
    max_payload_len: usize,
) -> (Vec<FrameOut>, Vec<Vec<u8>>) {
    let mut out = Vec::new();
    let mut payloads = Vec::new();
    let mut seq = 65_530u16; // wraps during the test
    for (i, frame) in frames.iter().enumerate() {
        let mut packets = Vec::new();
        packetizer
            .packetize(frame, max_payload_len, &mut |payload, marker| {
                assert!(payload.len() <= max_payload_len);
                let header = RtpHeader {
                    marker,
                    extensions: HeaderExtensions::none(),
                    ..RtpHeader::new(96, seq, 3000 * i as u32, 0xDEAD_BEEF)
                };
                let mut buf = vec![0u8; 12 + payload.len()];
                header.emit_packet(payload, 0, &mut buf).unwrap();
                packets.push(buf);
                seq = seq.wrapping_add(1);
            })
            .unwrap();
        assert!(!packets.is_empty());
        for bytes in &packets {
            let packet = RtpPacket::parse(bytes).unwrap();
            payloads.push(packet.payload().to_vec());
            if let Some(f) = depacketizer
                .push(packet.payload(), PacketInfo::from(&packet))
                .unwrap()
            {
                assert_eq!(f.timestamp, 3000 * i as u32);
                out.push((f.data.to_vec(), f.keyframe));
            }
        }
    }
    assert_eq!(depacketizer.frames_dropped(), 0);
    (out, payloads)
}

/// Reads an IVF fixture, checks it rewrites byte for byte, and returns its frames.
fn ivf_frames(name: &str, codec: [u8; 4]) -> Vec<Vec<u8>> {
    let file = fixture(name);
    let reader = IvfReader::new(&file).unwrap();
    let header = *reader.header();
    assert_eq!(header.fourcc, codec);
    assert_eq!((header.width, header.height), (160, 120));
    let frames: Vec<_> = reader.collect::<Result<_, _>>().unwrap();
    assert_eq!(frames.len(), 10);
    assert_eq!(header.frame_count, 10);

    let mut rewritten = Vec::new();
    let mut writer = IvfWriter::new(header, &mut rewritten);
    for f in &frames {
        writer
            .write_frame(f.timestamp, f.data, &mut rewritten)
            .unwrap();
    }
    assert_eq!(writer.frames(), 10);
    assert_eq!(rewritten, file, "{name} rewrites byte for byte");
    frames.iter().map(|f| f.data.to_vec()).collect()
}

#[test]
fn vp8_ivf_rewrites_identically_and_survives_rtp() {
    let frames = ivf_frames("vp8.ivf", fourcc::VP8);
    for mtu in [1200, 300, 60] {
        let got = through_rtp(
            &frames,
            &mut Vp8Packetizer::with_picture_id(0x7FF0),
            &mut Vp8Depacketizer::new(),
            mtu,
        );
        let data: Vec<_> = got.iter().map(|(d, _)| d.clone()).collect();
        assert_eq!(data, frames);
        // ffmpeg was asked for a keyframe every 5 frames.
        let keys: Vec<usize> = got
            .iter()
            .enumerate()
            .filter(|(_, (_, k))| *k)
            .map(|(i, _)| i)
            .collect();
        assert_eq!(keys, [0, 5]);
    }
}

#[test]
fn vp9_ivf_rewrites_identically_and_survives_rtp() {
    let frames = ivf_frames("vp9.ivf", fourcc::VP9);
    for mtu in [1200, 200] {
        let (got, payloads) = through_rtp_with_payloads(
            &frames,
            &mut Vp9Packetizer::new(300),
            &mut Vp9Depacketizer::new(),
            mtu,
        );
        // The keyframe's first packet carries the scalability structure with the frame size.
        let (desc, _) = rtc_media::codecs::Vp9Descriptor::parse(&payloads[0]).unwrap();
        let ss = desc.scalability.expect("SS on the keyframe");
        let res: Vec<_> = ss
            .resolutions
            .unwrap()
            .iter()
            .map(|r| (r.width, r.height))
            .collect();
        assert_eq!(res, [(160, 120)]);
        let data: Vec<_> = got.iter().map(|(d, _)| d.clone()).collect();
        assert_eq!(data, frames);
        assert!(got[0].1, "the first frame is a keyframe");
        assert!(got.iter().skip(1).take(4).all(|(_, k)| !k));
    }
}

#[test]
fn av1_ivf_rewrites_identically_and_survives_rtp() {
    let frames = ivf_frames("av1.ivf", fourcc::AV1);
    for mtu in [1200, 100, 17] {
        let (got, payloads) = through_rtp_with_payloads(
            &frames,
            &mut Av1Packetizer::new(),
            &mut Av1Depacketizer::new(),
            mtu,
        );
        // Small limits fragment OBUs (Y and Z bits); N marks the sequence header's packet.
        let fragmented = payloads.iter().filter(|p| p[0] & 0x40 != 0).count();
        assert!(fragmented > 0, "limit {mtu}");
        assert_eq!(payloads[0][0] & 0x08, 0x08);
        assert_eq!(got.len(), frames.len());
        for ((data, keyframe), original) in got.iter().zip(&frames) {
            // The same OBUs (libaom writes minimal size fields, as the depacketizer does).
            let a: Vec<_> = obus(data).collect::<Result<_, _>>().unwrap();
            let b: Vec<_> = obus(original).collect::<Result<_, _>>().unwrap();
            assert_eq!(a, b);
            assert_eq!(data, original);
            let has_sequence_header = b.iter().any(|o| (o.header >> 3) & 0x0F == 1);
            assert_eq!(*keyframe, has_sequence_header);
        }
        assert!(got[0].1);
    }
}

#[test]
fn ogg_opus_reads_rewrites_and_survives_rtp() {
    let file = fixture("opus.ogg");
    let reader = OggOpusReader::new(&file).unwrap();
    let head = reader.head().clone();
    let tags = reader.tags().clone();
    assert_eq!(head.channels, 1);
    assert_eq!(head.input_sample_rate, 48_000);
    assert!(tags.vendor.starts_with("Lavf"));
    let packets: Vec<_> = reader.collect::<Result<_, _>>().unwrap();
    let data: Vec<Vec<u8>> = packets.iter().map(|p| p.data.to_vec()).collect();
    // 0.2 s of 20 ms packets, plus the encoder's look-ahead.
    let samples: u32 = data.iter().map(|p| opus_packet_samples(p).unwrap()).sum();
    assert!(data.len() >= 10, "{} packets", data.len());
    assert!(u64::from(samples) >= 9600 + u64::from(head.pre_skip) - 960);
    // The last page's granule position marks the end (RFC 7845 §4.5: it may trim).
    let last = packets.last().unwrap().granule_position.unwrap();
    assert!(last <= i64::from(samples) && last >= 9600);

    // Rewritten by this crate, the same headers and packets.
    let mut out = Vec::new();
    let mut writer = OggOpusWriter::new(0x1234, &head, &tags, &mut out).unwrap();
    for p in &data {
        writer.write_packet(p, &mut out).unwrap();
    }
    assert_eq!(writer.granule_position(), i64::from(samples));
    writer.finish(&mut out);
    let again = OggOpusReader::new(&out).unwrap();
    assert_eq!(again.head(), &head);
    assert_eq!(again.tags(), &tags);
    let reread: Vec<Vec<u8>> = again.map(|p| p.unwrap().data.to_vec()).collect();
    assert_eq!(reread, data);

    let got = through_rtp(
        &data,
        &mut OpusPacketizer::new(),
        &mut OpusDepacketizer::new(),
        1200,
    );
    let got: Vec<_> = got.into_iter().map(|(d, _)| d).collect();
    assert_eq!(got, data);
}

/// Reads an Annex B fixture: rewrites byte for byte from its NAL units, splits into 10 access
/// units, and returns them.
fn annexb_access_units(name: &str, codec: AnnexBCodec) -> (Vec<Vec<u8>>, Vec<bool>) {
    let file = fixture(name);
    let mut rewritten = Vec::new();
    for nal in nal_units(&file) {
        write_nal_unit(&mut rewritten, nal.data, nal.start_code_len).unwrap();
    }
    assert_eq!(rewritten, file, "{name} rewrites byte for byte");
    let aus: Vec<_> = AnnexBReader::new(&file, codec).collect();
    assert_eq!(aus.len(), 10);
    let joined: Vec<u8> = aus.iter().flat_map(|a| a.data.iter().copied()).collect();
    assert_eq!(joined, file);
    (
        aus.iter().map(|a| a.data.to_vec()).collect(),
        aus.iter().map(|a| a.keyframe).collect(),
    )
}

fn nals(au: &[u8]) -> Vec<Vec<u8>> {
    nal_units(au).map(|n| n.data.to_vec()).collect()
}

#[test]
fn h264_annexb_reads_rewrites_and_survives_rtp() {
    let (aus, keys) = annexb_access_units("h264.h264", AnnexBCodec::H264);
    assert_eq!(
        keys,
        [
            true, false, false, false, false, true, false, false, false, false
        ]
    );
    for mtu in [1200, 500, 40] {
        let (got, payloads) = through_rtp_with_payloads(
            &aus,
            &mut H264Packetizer::new(),
            &mut H264Depacketizer::new(),
            mtu,
        );
        let count = |t: u8| payloads.iter().filter(|p| p[0] & 0x1F == t).count();
        // SPS and PPS go in a STAP-A whenever two units fit; big slices in FU-As.
        assert!(count(24) > 0, "STAP-A at {mtu}");
        assert!(count(28) > 0, "FU-A at {mtu}");
        assert_eq!(got.len(), aus.len());
        for ((data, key), (au, want_key)) in got.iter().zip(aus.iter().zip(&keys)) {
            // The same NAL units; the depacketizer writes 4-byte start codes.
            assert_eq!(nals(data), nals(au));
            assert_eq!(key, want_key);
        }
    }
}

#[test]
fn h265_annexb_reads_rewrites_and_survives_rtp() {
    let (aus, keys) = annexb_access_units("h265.h265", AnnexBCodec::H265);
    assert!(keys[0]);
    for mtu in [1200, 500, 40] {
        let (got, payloads) = through_rtp_with_payloads(
            &aus,
            &mut H265Packetizer::new(),
            &mut H265Depacketizer::new(),
            mtu,
        );
        let count = |t: u8| payloads.iter().filter(|p| (p[0] >> 1) & 0x3F == t).count();
        // VPS, SPS and PPS share an AP when two of them fit.
        assert_eq!(count(48) > 0, mtu >= 500, "AP at {mtu}");
        assert!(count(49) > 0, "FU at {mtu}");
        assert_eq!(got.len(), aus.len());
        for ((data, key), (au, want_key)) in got.iter().zip(aus.iter().zip(&keys)) {
            assert_eq!(nals(data), nals(au));
            assert_eq!(key, want_key);
        }
    }
}
