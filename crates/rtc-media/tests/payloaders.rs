//! Payload formats: any frame goes through its packetizer and depacketizer unchanged at any
//! payload limit; descriptors round trip; a lost packet drops its frame and only it; arbitrary
//! payloads are errors or frames, never panics.

use proptest::collection::vec;
use proptest::prelude::*;
use rtc_media::codecs::*;
use rtc_media::files::write_nal_unit;
use rtc_media::{Depacketizer, PacketInfo, Packetizer};

/// Packetizes `frames` (checking the limit and the marker) and returns each frame's payloads.
fn packetize(p: &mut dyn Packetizer, frames: &[Vec<u8>], max: usize) -> Vec<Vec<(Vec<u8>, bool)>> {
    frames
        .iter()
        .map(|f| {
            let mut payloads = Vec::new();
            p.packetize(f, max, &mut |b, m| payloads.push((b.to_vec(), m)))
                .unwrap();
            assert!(
                payloads
                    .iter()
                    .all(|(b, _)| b.len() <= max && !b.is_empty())
            );
            payloads
        })
        .collect()
}

/// Feeds the payloads of each frame (frame i has timestamp i), skipping packet `lose` (a
/// global index) if given; returns the frames that come out, by timestamp.
fn depacketize(
    d: &mut dyn Depacketizer,
    frames: &[Vec<(Vec<u8>, bool)>],
    lose: Option<usize>,
) -> Vec<(u32, Vec<u8>, bool)> {
    let mut out = Vec::new();
    let mut seq = 1000u16;
    let mut index = 0;
    for (ts, payloads) in frames.iter().enumerate() {
        for (b, m) in payloads {
            let info = PacketInfo {
                sequence_number: seq,
                timestamp: ts as u32,
                marker: *m,
            };
            seq = seq.wrapping_add(1);
            index += 1;
            if Some(index - 1) == lose {
                continue;
            }
            if let Some(f) = d.push(b, info).unwrap() {
                out.push((f.timestamp, f.data.to_vec(), f.keyframe));
            }
        }
    }
    out
}

/// Checks what comes out when packet `lose` of `packets` is lost: the frames that come out are
/// whole, the one the packet belonged to (`owner`) is not among them, and the others are,
/// except that when the lost packet was the last of its frame and `explicit_start` is false,
/// the next frame goes too (its start cannot be told from a middle). Losing the very first
/// packet is not checked for those codecs: the first packet a depacketizer sees is taken as a
/// frame start.
fn check_loss(
    frames: &[Vec<u8>],
    packets: &[Vec<(Vec<u8>, bool)>],
    got: &[(u32, Vec<u8>, bool)],
    lose: usize,
    explicit_start: bool,
) -> Result<(), TestCaseError> {
    if !explicit_start && lose == 0 {
        return Ok(());
    }
    let mut owner = 0;
    let mut last_of_owner = false;
    let mut seen = 0;
    for (i, payloads) in packets.iter().enumerate() {
        if lose < seen + payloads.len() {
            owner = i;
            last_of_owner = lose == seen + payloads.len() - 1;
            break;
        }
        seen += payloads.len();
    }
    let mut want: Vec<u32> = (0..frames.len() as u32)
        .filter(|&t| t as usize != owner)
        .collect();
    if !explicit_start && last_of_owner {
        want.retain(|&t| t as usize != owner + 1);
    }
    let timestamps: Vec<u32> = got.iter().map(|(t, _, _)| *t).collect();
    prop_assert_eq!(timestamps, want);
    for (t, f, _) in got {
        prop_assert_eq!(f, &frames[*t as usize]);
    }
    Ok(())
}

/// Frames through a codec at a limit, whole; then with one packet lost (see [`check_loss`]).
fn check_codec(
    make: &dyn Fn() -> (Box<dyn Packetizer>, Box<dyn Depacketizer>),
    frames: &[Vec<u8>],
    max: usize,
    lose: usize,
    explicit_start: bool,
) -> Result<(), TestCaseError> {
    let (mut p, mut d) = make();
    let packets = packetize(p.as_mut(), frames, max);
    let got = depacketize(d.as_mut(), &packets, None);
    let data: Vec<Vec<u8>> = got.iter().map(|(_, f, _)| f.clone()).collect();
    prop_assert_eq!(&data, &frames.to_vec());
    prop_assert_eq!(d.frames_dropped(), 0);

    let total: usize = packets.iter().map(Vec::len).sum();
    let (_, mut d) = make();
    let got = depacketize(d.as_mut(), &packets, Some(lose % total));
    check_loss(frames, &packets, &got, lose % total, explicit_start)
}

/// An Annex B access unit of NAL units whose bytes are never zero (so no start code can hide
/// in them), with `header_len`-byte headers from `header`.
fn access_unit(header: impl Strategy<Value = Vec<u8>>) -> impl Strategy<Value = Vec<u8>> {
    vec((header, vec(1u8..=255, 0..600), any::<bool>()), 1..6).prop_map(|nals| {
        let mut au = Vec::new();
        for (h, body, long) in nals {
            let mut nal = h;
            nal.extend(body);
            write_nal_unit(&mut au, &nal, if long { 4 } else { 3 }).unwrap();
        }
        au
    })
}

fn h264_header() -> impl Strategy<Value = Vec<u8>> {
    (0u8..4, 1u8..=23).prop_map(|(nri, t)| vec![nri << 5 | t])
}

fn h265_header() -> impl Strategy<Value = Vec<u8>> {
    (0u8..=47, 0u8..64, 1u8..8)
        .prop_map(|(t, layer, tid)| vec![t << 1 | layer >> 5, (layer & 0x1F) << 3 | tid])
}

/// NAL units of an access unit, for comparing (start code lengths differ).
fn nals(au: &[u8]) -> Vec<Vec<u8>> {
    rtc_media::files::nal_units(au)
        .map(|n| n.data.to_vec())
        .collect()
}

/// A temporal unit: a temporal delimiter, then OBUs with minimal size fields.
fn temporal_unit() -> impl Strategy<Value = Vec<u8>> {
    let obu_type = prop_oneof![Just(1u8), Just(3), Just(4), Just(5), Just(6), Just(15)];
    vec(
        (
            obu_type,
            proptest::option::of(any::<u8>()),
            vec(any::<u8>(), 0..700),
        ),
        1..5,
    )
    .prop_map(|obus| {
        let mut tu = vec![0x12, 0x00];
        for (t, ext, payload) in obus {
            tu.push(t << 3 | u8::from(ext.is_some()) << 2 | 0x02);
            tu.extend(ext);
            let mut n = payload.len();
            loop {
                let b = (n & 0x7F) as u8;
                n >>= 7;
                tu.push(if n > 0 { b | 0x80 } else { b });
                if n == 0 {
                    break;
                }
            }
            tu.extend(payload);
        }
        tu
    })
}

fn vp8_descriptor() -> impl Strategy<Value = Vp8Descriptor> {
    (
        any::<bool>(),
        any::<bool>(),
        0u8..8,
        proptest::option::of(prop_oneof![
            (0u8..128).prop_map(PictureId::Short),
            (0u16..0x8000).prop_map(PictureId::Long)
        ]),
        proptest::option::of(any::<u8>()),
        proptest::option::of(
            (0u8..4, any::<bool>()).prop_map(|(tid, y)| Vp8Temporal { tid, layer_sync: y }),
        ),
        proptest::option::of(0u8..32),
    )
        .prop_map(
            |(n, s, pid, picture_id, tl0, temporal, key)| Vp8Descriptor {
                non_reference: n,
                start_of_partition: s,
                partition_index: pid,
                picture_id,
                tl0_pic_idx: tl0,
                temporal,
                key_idx: key,
            },
        )
}

/// The owned parts of a VP9 descriptor: flags, picture id, layer, references, SS.
type Vp9Parts = (
    [bool; 6],
    Option<PictureId>,
    Option<(u8, bool, u8, bool, u8)>,
    Vec<u8>,
    Option<(u8, Option<Vec<Vp9Resolution>>, Option<Vec<Vp9PictureGroup>>)>,
);

fn vp9_parts() -> impl Strategy<Value = Vp9Parts> {
    let group =
        (0u8..8, any::<bool>(), vec(0u8..128, 0..=3)).prop_map(|(tid, u, refs)| Vp9PictureGroup {
            tid,
            switching_up: u,
            references: Vp9ReferenceDiffs::new(&refs).unwrap(),
        });
    let ss = (
        1u8..=8,
        any::<bool>(),
        proptest::option::of(vec(group, 0..5)),
    )
        .prop_flat_map(|(layers, y, g)| {
            let res = vec((any::<u16>(), any::<u16>()), usize::from(layers)).prop_map(|r| {
                r.into_iter()
                    .map(|(width, height)| Vp9Resolution { width, height })
                    .collect::<Vec<_>>()
            });
            (Just(layers), proptest::option::of(res), Just(g))
                .prop_map(move |(l, r, g)| (l, r.filter(|_| y), g))
        });
    (
        any::<[bool; 6]>(),
        proptest::option::of(prop_oneof![
            (0u8..128).prop_map(PictureId::Short),
            (0u16..0x8000).prop_map(PictureId::Long)
        ]),
        proptest::option::of((0u8..8, any::<bool>(), 0u8..8, any::<bool>(), any::<u8>())),
        vec(1u8..128, 1..=3),
        proptest::option::of(ss),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn vp8_frames_survive(frames in vec(vec(any::<u8>(), 1..3000), 1..5), max in 3usize..1500, lose in any::<usize>()) {
        check_codec(&|| (Box::new(Vp8Packetizer::with_picture_id(7)), Box::new(Vp8Depacketizer::new())), &frames, max.max(5), lose, true)?;
        check_codec(&|| (Box::new(Vp8Packetizer::new()), Box::new(Vp8Depacketizer::new())), &frames, max.max(2), lose, true)?;
    }

    #[test]
    fn vp9_frames_survive(frames in vec(vec(any::<u8>(), 1..3000), 1..5), max in 4usize..1500, lose in any::<usize>()) {
        // Room for the descriptor (and the SS, should a frame look like a keyframe).
        check_codec(&|| (Box::new(Vp9Packetizer::new(0)), Box::new(Vp9Depacketizer::new())), &frames, max.max(12), lose, true)?;
    }

    #[test]
    fn h264_access_units_survive(aus in vec(access_unit(h264_header()), 1..4), max in 3usize..1500, lose in any::<usize>()) {
        let (mut p, mut d) = (H264Packetizer::new(), H264Depacketizer::new());
        let packets = packetize(&mut p, &aus, max);
        let got = depacketize(&mut d, &packets, None);
        prop_assert_eq!(got.len(), aus.len());
        for ((_, f, key), au) in got.iter().zip(&aus) {
            prop_assert_eq!(nals(f), nals(au));
            let want_key = nals(au).iter().any(|n| matches!(n[0] & 0x1F, 5 | 7));
            prop_assert_eq!(*key, want_key);
        }
        let total: usize = packets.iter().map(Vec::len).sum();
        let got = depacketize(&mut H264Depacketizer::new(), &packets, Some(lose % total));
        let want: Vec<_> = aus.iter().map(|a| nals(a).concat()).collect();
        let got: Vec<_> = got.into_iter().map(|(t, f, k)| (t, nals(&f).concat(), k)).collect();
        check_loss(&want, &packets, &got, lose % total, false)?;
    }

    #[test]
    fn h265_access_units_survive(aus in vec(access_unit(h265_header()), 1..4), max in 4usize..1500, lose in any::<usize>()) {
        let (mut p, mut d) = (H265Packetizer::new(), H265Depacketizer::new());
        let packets = packetize(&mut p, &aus, max);
        let got = depacketize(&mut d, &packets, None);
        prop_assert_eq!(got.len(), aus.len());
        for ((_, f, _), au) in got.iter().zip(&aus) {
            prop_assert_eq!(nals(f), nals(au));
        }
        let total: usize = packets.iter().map(Vec::len).sum();
        let got = depacketize(&mut H265Depacketizer::new(), &packets, Some(lose % total));
        let want: Vec<_> = aus.iter().map(|a| nals(a).concat()).collect();
        let got: Vec<_> = got.into_iter().map(|(t, f, k)| (t, nals(&f).concat(), k)).collect();
        check_loss(&want, &packets, &got, lose % total, false)?;
    }

    #[test]
    fn av1_temporal_units_survive(tus in vec(temporal_unit(), 1..4), max in 3usize..1500, lose in any::<usize>()) {
        check_codec(&|| (Box::new(Av1Packetizer::new()), Box::new(Av1Depacketizer::new())), &tus, max, lose, false)?;
    }

    #[test]
    fn audio_frames_survive(frames in vec(vec(any::<u8>(), 1..300), 1..5)) {
        for (mut p, mut d) in [
            (Box::new(OpusPacketizer::new()) as Box<dyn Packetizer>, Box::new(OpusDepacketizer::new()) as Box<dyn Depacketizer>),
            (Box::new(G711Packetizer::new()), Box::new(G711Depacketizer::new())),
        ] {
            let packets = packetize(p.as_mut(), &frames, 300);
            prop_assert!(packets.iter().all(|f| f.len() == 1 && !f[0].1));
            let got = depacketize(d.as_mut(), &packets, None);
            let data: Vec<_> = got.into_iter().map(|(_, f, k)| { assert!(k); f }).collect();
            prop_assert_eq!(data, frames.clone());
        }
    }

    #[test]
    fn vp8_descriptors_round_trip(d in vp8_descriptor(), payload in vec(any::<u8>(), 0..4)) {
        let mut bytes = vec![0u8; d.encoded_len()];
        prop_assert_eq!(d.emit(&mut bytes), Ok(bytes.len()));
        bytes.extend(&payload);
        prop_assert_eq!(Vp8Descriptor::parse(&bytes), Ok((d, d.encoded_len())));
        for cut in 0..d.encoded_len() {
            prop_assert!(Vp8Descriptor::parse(&bytes[..cut]).is_err());
        }
    }

    #[test]
    fn vp9_descriptors_round_trip(parts in vp9_parts()) {
        let (flags, picture_id, layer, refs, ss) = parts;
        let [p, f, b, e, z, _] = flags;
        let resolutions = ss.as_ref().and_then(|(_, r, _)| r.clone());
        let groups = ss.as_ref().and_then(|(_, _, g)| g.clone());
        let d = Vp9Descriptor {
            inter_picture_predicted: p,
            flexible: f,
            start_of_frame: b,
            end_of_frame: e,
            not_upper_reference: z,
            picture_id,
            layer: layer.map(|(tid, u, sid, dep, tl0)| Vp9Layer {
                tid,
                switching_up: u,
                sid,
                inter_layer_dependency: dep,
                tl0_pic_idx: (!f).then_some(tl0),
            }),
            references: if f && p { Vp9ReferenceDiffs::new(&refs).unwrap() } else { Vp9ReferenceDiffs::default() },
            scalability: ss.as_ref().map(|(layers, _, _)| Vp9ScalabilityStructure {
                spatial_layers: *layers,
                resolutions: resolutions.as_deref().map(rtc_media::List::new),
                picture_group: groups.as_deref().map(rtc_media::List::new),
            }),
        };
        let mut bytes = vec![0u8; d.encoded_len()];
        prop_assert_eq!(d.emit(&mut bytes), Ok(bytes.len()));
        let (parsed, len) = Vp9Descriptor::parse(&bytes).unwrap();
        prop_assert_eq!(len, bytes.len());
        prop_assert_eq!(parsed, d);
        for cut in 0..bytes.len() {
            prop_assert!(Vp9Descriptor::parse(&bytes[..cut]).is_err());
        }
    }

    #[test]
    fn arbitrary_payloads_never_panic(packets in vec((vec(any::<u8>(), 0..64), any::<bool>(), 0u32..3), 1..20)) {
        let mut depacketizers: Vec<Box<dyn Depacketizer>> = vec![
            Box::new(OpusDepacketizer::new()),
            Box::new(G711Depacketizer::new()),
            Box::new(Vp8Depacketizer::new()),
            Box::new(Vp9Depacketizer::new()),
            Box::new(H264Depacketizer::new()),
            Box::new(H265Depacketizer::new()),
            Box::new(Av1Depacketizer::new()),
        ];
        for d in &mut depacketizers {
            for (i, (payload, marker, ts)) in packets.iter().enumerate() {
                let info = PacketInfo { sequence_number: i as u16, timestamp: *ts, marker: *marker };
                if let Ok(Some(f)) = d.push(payload, info) {
                    prop_assert_eq!(f.timestamp, *ts);
                }
            }
        }
        for (payload, _, _) in &packets {
            let mut sink = |_: &[u8], _: bool| {};
            let _ = Av1Packetizer::new().packetize(payload, 50, &mut sink);
            let _ = H264Packetizer::new().packetize(payload, 50, &mut sink);
            let _ = H265Packetizer::new().packetize(payload, 50, &mut sink);
            let _ = Vp9Packetizer::new(1).packetize(payload, 50, &mut sink);
            let _ = opus_packet_samples(payload);
        }
    }
}
