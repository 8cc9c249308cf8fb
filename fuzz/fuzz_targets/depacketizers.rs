#![no_main]
//! Arbitrary bytes as a stream of RTP payloads driving every depacketizer (Opus, G.711, VP8,
//! VP9, H.264, H.265, AV1). Each packet is a control byte (bit 0: marker; bit 1: next
//! timestamp; bit 2: skip a sequence number), a length byte and that many payload bytes.
//! Typed errors only, never a panic; frames carry their packets' timestamp; the AV1 temporal units
//! are well formed; every frame goes through its packetizer without a panic.
use libfuzzer_sys::fuzz_target;
use rtc_media::codecs::*;
use rtc_media::files::nal_units;
use rtc_media::{Depacketizer, PacketInfo, Packetizer};

fuzz_target!(|data: &[u8]| {
    let mut depacketizers: Vec<(Box<dyn Depacketizer>, Box<dyn Packetizer>)> = vec![
        (
            Box::new(OpusDepacketizer::new()),
            Box::new(OpusPacketizer::new()),
        ),
        (
            Box::new(G711Depacketizer::new()),
            Box::new(G711Packetizer::new()),
        ),
        (
            Box::new(Vp8Depacketizer::new()),
            Box::new(Vp8Packetizer::with_picture_id(1)),
        ),
        (
            Box::new(Vp9Depacketizer::new()),
            Box::new(Vp9Packetizer::new(1)),
        ),
        (
            Box::new(H264Depacketizer::new()),
            Box::new(H264Packetizer::new()),
        ),
        (
            Box::new(H265Depacketizer::new()),
            Box::new(H265Packetizer::new()),
        ),
        (
            Box::new(Av1Depacketizer::new()),
            Box::new(Av1Packetizer::new()),
        ),
    ];
    for (index, (d, p)) in depacketizers.iter_mut().enumerate() {
        let mut rest = data;
        let (mut seq, mut ts) = (0u16, 0u32);
        while let [control, len, tail @ ..] = rest {
            let len = usize::from(*len).min(tail.len());
            let (payload, tail) = tail.split_at(len);
            rest = tail;
            if control & 2 != 0 {
                ts = ts.wrapping_add(3000);
            }
            if control & 4 != 0 {
                seq = seq.wrapping_add(1);
            }
            let info = PacketInfo {
                sequence_number: seq,
                timestamp: ts,
                marker: control & 1 != 0,
            };
            seq = seq.wrapping_add(1);
            let frame = match d.push(payload, info) {
                Ok(Some(frame)) => frame,
                Ok(None) => continue,
                Err(e) => {
                    let _ = e.to_string();
                    continue;
                }
            };
            assert_eq!(frame.timestamp, ts);
            assert!(!frame.data.is_empty());
            match index {
                // NAL units as the network sent them: whatever they hold, they split.
                4 | 5 => {
                    let _ = nal_units(frame.data).count();
                }
                6 => {
                    // A temporal unit of OBUs with size fields, starting with a delimiter.
                    let obus: Vec<_> = obus(frame.data)
                        .collect::<Result<_, _>>()
                        .expect("own temporal unit parses");
                    assert_eq!(obus[0].obu_type(), ObuType::TemporalDelimiter);
                }
                _ => {}
            }
            let owned = frame.data.to_vec();
            let mut count = 0;
            let _ = p.packetize(&owned, 1200, &mut |payload, _| {
                assert!(payload.len() <= 1200);
                count += 1;
            });
        }
        let _ = d.frames_dropped();
    }
});
