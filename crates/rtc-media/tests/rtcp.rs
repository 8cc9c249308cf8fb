//! RTCP: known packets deconstruct and construct, every packet type round trips through its
//! bytes, compound and reduced-size packets walk, and truncated input is an error.

use proptest::collection::vec;
use proptest::prelude::*;
use rtc_media::List;
use rtc_media::rtcp::*;

fn write(p: &RtcpPacket<'_>) -> Vec<u8> {
    let mut out = vec![0u8; p.encoded_len()];
    assert_eq!(p.emit(&mut out), Ok(out.len()));
    assert_eq!(out.len() % 4, 0);
    // One byte short is refused.
    let mut short = vec![0u8; out.len() - 1];
    assert!(p.emit(&mut short).is_err());
    out
}

/// An RR with one report block, laid out as RFC 3550 §6.4.2 draws it.
const RR: [u8; 32] = [
    0x81, 0xC9, 0x00, 0x07, // V=2, RC=1, RR, 7 words
    0x90, 0x2F, 0x9E, 0x2E, // reporter
    0xBC, 0x5E, 0x9A, 0x40, // source
    0x00, 0xFF, 0xFF, 0xFE, // fraction lost 0, cumulative lost -2
    0x00, 0x01, 0x46, 0xE1, // extended highest sequence number
    0x00, 0x00, 0x01, 0x11, // jitter
    0x09, 0xF3, 0x64, 0x32, // LSR
    0x00, 0x02, 0x4A, 0x79, // DLSR
];

#[test]
fn receiver_report_deconstructs_and_constructs() {
    let RtcpPacket::ReceiverReport(rr) = RtcpPacket::parse(&RR).unwrap() else {
        panic!("not an RR");
    };
    assert_eq!(rr.ssrc, 0x902F_9E2E);
    let blocks: Vec<_> = rr.reports.iter().collect();
    assert_eq!(
        blocks,
        [ReportBlock {
            ssrc: 0xBC5E_9A40,
            fraction_lost: 0,
            cumulative_lost: -2,
            extended_highest_sequence: 0x1_46E1,
            jitter: 273,
            last_sender_report: 0x09F3_6432,
            delay_since_last_sender_report: 150_137,
        }]
    );
    // Built from typed values, the same bytes.
    let built = RtcpPacket::ReceiverReport(ReceiverReport {
        ssrc: rr.ssrc,
        reports: List::new(&blocks),
        profile_extensions: &[],
    });
    assert_eq!(write(&built), RR);
}

/// Transport-wide feedback in libwebrtc's layout: one packet received, a delta of 37 ms, the
/// body padded with the P bit.
const TWCC: [u8; 24] = [
    0xAF, 0xCD, 0x00, 0x05, 0xFA, 0x17, 0xFA, 0x17, 0x43, 0x03, 0x2F, 0xA0, 0x00, 0x99, 0x00, 0x01,
    0x3D, 0xE8, 0x02, 0x17, 0x20, 0x01, 0x94, 0x01,
];

#[test]
fn transport_cc_with_padding_bit_deconstructs() {
    let RtcpPacket::TransportCc(t) = RtcpPacket::parse(&TWCC).unwrap() else {
        panic!("not transport-cc");
    };
    assert_eq!(t.sender_ssrc, 0xFA17_FA17);
    assert_eq!(t.media_ssrc, 0x4303_2FA0);
    assert_eq!(t.base_sequence_number, 153);
    assert_eq!(t.reference_time, 0x3D_E802);
    assert_eq!(t.feedback_packet_count, 0x17);
    let statuses: Vec<_> = t.statuses.iter().collect();
    assert_eq!(statuses, [TwccStatus::Received { delta: 148 }]);
    assert_eq!(write(&RtcpPacket::TransportCc(t)), TWCC);
}

#[test]
fn feedback_messages_deconstruct() {
    // PLI (RFC 4585 §6.3.1).
    let pli = [0x81, 0xCE, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 2];
    assert_eq!(
        RtcpPacket::parse(&pli),
        Ok(RtcpPacket::PictureLossIndication(PictureLossIndication {
            sender_ssrc: 1,
            media_ssrc: 2
        }))
    );
    // Generic NACK (RFC 4585 §6.2.1): PID 100, BLP 0b101: 100, 101 and 103 lost.
    let nack = [
        0x81, 0xCD, 0x00, 0x03, 0, 0, 0, 1, 0, 0, 0, 2, 0, 100, 0, 0b101,
    ];
    let RtcpPacket::Nack(n) = RtcpPacket::parse(&nack).unwrap() else {
        panic!()
    };
    assert_eq!(n.sequence_numbers().collect::<Vec<_>>(), [100, 101, 103]);
    // FIR (RFC 5104 §4.3.1): one entry, sequence number 7.
    let fir = [
        0x84, 0xCE, 0x00, 0x04, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 9, 7, 0, 0, 0,
    ];
    let RtcpPacket::Fir(f) = RtcpPacket::parse(&fir).unwrap() else {
        panic!()
    };
    assert_eq!(
        f.entries.iter().collect::<Vec<_>>(),
        [FirEntry {
            ssrc: 9,
            sequence_number: 7
        }]
    );
    // REMB: exponent 3, mantissa 0x3FFFF (2 097 144 bps), two SSRCs.
    let remb = [
        0x8F, 0xCE, 0x00, 0x06, 0, 0, 0, 1, 0, 0, 0, 0, b'R', b'E', b'M', b'B', 2, 0x0F, 0xFF,
        0xFF, 0, 0, 0, 5, 0, 0, 0, 6,
    ];
    let RtcpPacket::Remb(r) = RtcpPacket::parse(&remb).unwrap() else {
        panic!()
    };
    assert_eq!(r.bitrate(), 0x3FFFF << 3);
    assert_eq!(r.ssrcs.iter().collect::<Vec<_>>(), [5, 6]);
    assert_eq!(Remb::new(1, r.bitrate(), r.ssrcs), r);
    // Other application feedback stays raw.
    let mut afb = remb;
    afb[12] = b'X';
    assert!(matches!(
        RtcpPacket::parse(&afb),
        Ok(RtcpPacket::Other(RawRtcp {
            packet_type: 206,
            count: 15,
            ..
        }))
    ));
}

#[test]
fn sdes_and_bye_deconstruct() {
    // SDES: one chunk, CNAME "ab", then the null octet and padding to 32 bits.
    let sdes = [
        0x81, 0xCA, 0x00, 0x03, 0, 0, 0, 7, 1, 2, b'a', b'b', 0, 0, 0, 0,
    ];
    let p = RtcpPacket::parse(&sdes).unwrap();
    let RtcpPacket::SourceDescription(s) = p else {
        panic!()
    };
    let chunk = s.chunks.iter().next().unwrap();
    assert_eq!(chunk.source, 7);
    assert_eq!(chunk.cname(), Some(&b"ab"[..]));
    assert_eq!(write(&p), sdes);
    // BYE with a reason.
    let bye = [0x81, 0xCB, 0x00, 0x02, 0, 0, 0, 7, 3, b'b', b'y', b'e'];
    let p = RtcpPacket::parse(&bye).unwrap();
    assert_eq!(
        p,
        RtcpPacket::Goodbye(Goodbye {
            sources: List::new(&[7]),
            reason: Some(b"bye"),
        })
    );
    assert_eq!(write(&p), bye);
}

#[test]
fn compound_and_reduced_size_packets() {
    let sdes = [
        0x81, 0xCA, 0x00, 0x03, 0, 0, 0, 7, 1, 2, b'a', b'b', 0, 0, 0, 0,
    ];
    let mut compound = RR.to_vec();
    compound.extend_from_slice(&sdes);
    compound.extend_from_slice(&TWCC);
    let c = Compound::parse_full(&compound).unwrap();
    assert!(!c.is_reduced_size());
    let types: Vec<_> = c.raw().map(|r| r.packet_type).collect();
    assert_eq!(types, [201, 202, 205]);
    assert!(c.iter().all(|p| p.is_ok()));

    // RFC 5506: feedback alone is a reduced-size packet; RFC 3550's rule refuses it.
    let c = Compound::parse(&TWCC).unwrap();
    assert!(c.is_reduced_size());
    assert!(Compound::parse_full(&TWCC).is_err());
    // Padding before the last packet: accepted as libwebrtc sends it, refused by the rule.
    let mut padded_first = RR.to_vec();
    padded_first.extend_from_slice(&TWCC);
    padded_first.extend_from_slice(&sdes);
    assert!(Compound::parse(&padded_first).is_ok());
    assert!(Compound::parse_full(&padded_first).is_err());

    // A bad packet in the middle is an error in its place.
    let mut with_bad = RR.to_vec();
    with_bad.extend_from_slice(&[0x81, 0xCE, 0x00, 0x01, 0, 0, 0, 1]); // PLI without media SSRC
    with_bad.extend_from_slice(&sdes);
    let results: Vec<_> = Compound::parse(&with_bad).unwrap().iter().collect();
    assert!(results[0].is_ok() && results[1].is_err() && results[2].is_ok());

    // Every cut of the compound packet is an error, or ends at a packet boundary.
    let boundaries = [0, RR.len(), RR.len() + sdes.len(), compound.len()];
    for cut in 0..compound.len() {
        let r = Compound::parse(&compound[..cut]);
        assert_eq!(
            r.is_ok(),
            boundaries.contains(&cut) && cut > 0,
            "cut at {cut}"
        );
    }

    // The writer keeps to its limit.
    let mut buf = [0u8; 100];
    let mut w = CompoundWriter::new(&mut buf, 60);
    let rr = RtcpPacket::parse(&RR).unwrap();
    let s = RtcpPacket::parse(&sdes).unwrap();
    w.push(&rr).unwrap();
    w.push(&s).unwrap();
    assert!(w.push(&rr).is_err());
    assert_eq!(w.finish(), &compound[..RR.len() + sdes.len()]);
}

#[test]
fn nack_pairs_group_lost_packets() {
    let pairs: Vec<_> = nack_pairs([65_534, 65_535, 0, 15, 16, 40]).collect();
    assert_eq!(
        pairs,
        [
            NackPair {
                packet_id: 65_534,
                lost_bitmask: 0b11
            },
            NackPair {
                packet_id: 15,
                lost_bitmask: 0b1
            },
            NackPair {
                packet_id: 40,
                lost_bitmask: 0
            },
        ]
    );
    let back: Vec<u16> = pairs.iter().flat_map(|p| p.sequence_numbers()).collect();
    assert_eq!(back, [65_534, 65_535, 0, 15, 16, 40]);
}

#[test]
fn invalid_packets_are_errors() {
    // Version 1; a length past the end; padding count 0; trailing bytes after one packet.
    assert!(RtcpPacket::parse(&[0x41, 0xC9, 0, 1, 0, 0, 0, 1]).is_err());
    assert!(RtcpPacket::parse(&[0x81, 0xC9, 0, 7, 0, 0, 0, 1]).is_err());
    assert!(RtcpPacket::parse(&[0xA0, 0xC9, 0, 1, 0, 0, 0, 0]).is_err());
    let mut trailing = RR.to_vec();
    trailing.extend_from_slice(&[0; 4]);
    assert!(matches!(
        RtcpPacket::parse(&trailing),
        Err(rtc_media::ParseError::TrailingBytes { .. })
    ));
    // RC says two blocks, one is there; a NACK without entries; an SDES chunk without its end.
    let mut rc2 = RR;
    rc2[0] = 0x82;
    assert!(RtcpPacket::parse(&rc2).is_err());
    assert!(RtcpPacket::parse(&[0x81, 0xCD, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2]).is_err());
    assert!(RtcpPacket::parse(&[0x81, 0xCA, 0, 2, 0, 0, 0, 7, 1, 2, b'a', b'b']).is_err());
    // A REMB counting more SSRCs than it holds.
    assert!(
        RtcpPacket::parse(&[
            0x8F, 0xCE, 0, 4, 0, 0, 0, 1, 0, 0, 0, 0, b'R', b'E', b'M', b'B', 2, 0, 0, 1
        ])
        .is_err()
    );
    assert!(Compound::parse(&[]).is_err());
}

// Owned forms of each packet for the proptests.

fn report_block() -> impl Strategy<Value = ReportBlock> {
    (
        any::<u32>(),
        any::<u8>(),
        -(1i32 << 23)..(1 << 23),
        any::<u32>(),
        any::<u32>(),
        any::<u32>(),
        any::<u32>(),
    )
        .prop_map(|(ssrc, f, lost, ext, j, lsr, dlsr)| ReportBlock {
            ssrc,
            fraction_lost: f,
            cumulative_lost: lost,
            extended_highest_sequence: ext,
            jitter: j,
            last_sender_report: lsr,
            delay_since_last_sender_report: dlsr,
        })
}

/// Words of profile extension data (a multiple of 4 bytes, as RFC 3550 §6.4.1 has it).
fn words(max: usize) -> impl Strategy<Value = Vec<u8>> {
    vec(any::<[u8; 4]>(), 0..max).prop_map(|w| w.concat())
}

fn sdes_item_type() -> impl Strategy<Value = SdesItemType> {
    (1u8..=255).prop_map(SdesItemType::from_u8)
}

/// An SDES chunk: source and items.
type OwnedChunk = (u32, Vec<(SdesItemType, Vec<u8>)>);

#[derive(Debug, Clone)]
enum Owned {
    Sr(u32, u64, u32, u32, u32, Vec<ReportBlock>, Vec<u8>),
    Rr(u32, Vec<ReportBlock>, Vec<u8>),
    Sdes(Vec<OwnedChunk>),
    Bye(Vec<u32>, Option<Vec<u8>>),
    App(u8, u32, [u8; 4], Vec<u8>),
    Nack(u32, u32, Vec<NackPair>),
    Twcc(u32, u32, u16, i32, u8, Vec<TwccStatus>),
    Ccfb(u32, Vec<(u32, u16, Vec<CcfbMetric>)>, u32),
    Pli(u32, u32),
    Fir(u32, u32, Vec<FirEntry>),
    Remb(u32, u64, Vec<u32>),
    Other(u8, u8, Vec<u8>),
}

fn twcc_status() -> impl Strategy<Value = TwccStatus> {
    prop_oneof![
        3 => Just(TwccStatus::NotReceived),
        5 => (0i16..=255).prop_map(|delta| TwccStatus::Received { delta }),
        1 => any::<i16>().prop_map(|delta| TwccStatus::Received { delta }),
    ]
}

fn twcc_statuses() -> impl Strategy<Value = Vec<TwccStatus>> {
    prop_oneof![
        vec(twcc_status(), 0..100),
        // Long runs, for run length chunks.
        (twcc_status(), 1usize..9000, vec(twcc_status(), 0..20)).prop_map(|(s, n, tail)| {
            let mut v = vec![s; n];
            v.extend(tail);
            v
        }),
    ]
}

fn ccfb_metric() -> impl Strategy<Value = CcfbMetric> {
    prop_oneof![
        Just(CcfbMetric::NOT_RECEIVED),
        (0u8..4, 0u16..0x2000).prop_map(|(ecn, ato)| CcfbMetric {
            received: true,
            ecn,
            arrival_time_offset: ato
        }),
    ]
}

fn owned() -> impl Strategy<Value = Owned> {
    prop_oneof![
        (
            any::<u32>(),
            any::<u64>(),
            any::<u32>(),
            any::<u32>(),
            any::<u32>(),
            vec(report_block(), 0..=31),
            words(4)
        )
            .prop_map(|(a, b, c, d, e, f, g)| Owned::Sr(a, b, c, d, e, f, g)),
        (any::<u32>(), vec(report_block(), 0..=31), words(4))
            .prop_map(|(a, b, c)| Owned::Rr(a, b, c)),
        vec(
            (
                any::<u32>(),
                vec((sdes_item_type(), vec(any::<u8>(), 0..40)), 0..4)
            ),
            0..=31
        )
        .prop_map(Owned::Sdes),
        (
            vec(any::<u32>(), 0..=31),
            proptest::option::of(vec(any::<u8>(), 0..=255))
        )
            .prop_map(|(s, r)| Owned::Bye(s, r)),
        (0u8..32, any::<u32>(), any::<[u8; 4]>(), words(8))
            .prop_map(|(a, b, c, d)| Owned::App(a, b, c, d)),
        (
            any::<u32>(),
            any::<u32>(),
            vec(
                (any::<u16>(), any::<u16>()).prop_map(|(p, b)| NackPair {
                    packet_id: p,
                    lost_bitmask: b
                }),
                1..20
            )
        )
            .prop_map(|(a, b, c)| Owned::Nack(a, b, c)),
        (
            any::<u32>(),
            any::<u32>(),
            any::<u16>(),
            -(1i32 << 23)..(1 << 23),
            any::<u8>(),
            twcc_statuses()
        )
            .prop_map(|(a, b, c, d, e, f)| Owned::Twcc(a, b, c, d, e, f)),
        (
            any::<u32>(),
            vec(
                (any::<u32>(), any::<u16>(), vec(ccfb_metric(), 0..30)),
                0..5
            ),
            any::<u32>()
        )
            .prop_map(|(a, b, c)| Owned::Ccfb(a, b, c)),
        (any::<u32>(), any::<u32>()).prop_map(|(a, b)| Owned::Pli(a, b)),
        (
            any::<u32>(),
            any::<u32>(),
            vec(
                (any::<u32>(), any::<u8>()).prop_map(|(s, n)| FirEntry {
                    ssrc: s,
                    sequence_number: n
                }),
                1..5
            )
        )
            .prop_map(|(a, b, c)| Owned::Fir(a, b, c)),
        (any::<u32>(), any::<u64>(), vec(any::<u32>(), 0..10))
            .prop_map(|(a, b, c)| Owned::Remb(a, b, c)),
        // XR and TMMBR stay raw.
        (prop_oneof![Just(207u8), Just(205u8)], 0u8..32, words(10)).prop_map(|(pt, c, b)| {
            // RTPFB 1, 11, 15 have their own types.
            let c = if pt == 205 && matches!(c, 1 | 11 | 15) {
                3
            } else {
                c
            };
            Owned::Other(pt, c, b)
        }),
    ]
}

/// Builds the borrowed packet of `o` and hands it to `f`.
fn with_packet<R>(o: &Owned, f: impl FnOnce(RtcpPacket<'_>) -> R) -> R {
    match o {
        Owned::Sr(ssrc, ntp, rtp, pc, oc, blocks, ext) => {
            f(RtcpPacket::SenderReport(SenderReport {
                ssrc: *ssrc,
                ntp_timestamp: *ntp,
                rtp_timestamp: *rtp,
                packet_count: *pc,
                octet_count: *oc,
                reports: List::new(blocks),
                profile_extensions: ext,
            }))
        }
        Owned::Rr(ssrc, blocks, ext) => f(RtcpPacket::ReceiverReport(ReceiverReport {
            ssrc: *ssrc,
            reports: List::new(blocks),
            profile_extensions: ext,
        })),
        Owned::Sdes(chunks) => {
            let items: Vec<Vec<SdesItem<'_>>> = chunks
                .iter()
                .map(|(_, items)| {
                    items
                        .iter()
                        .map(|(t, v)| SdesItem {
                            item_type: *t,
                            value: v,
                        })
                        .collect()
                })
                .collect();
            let chunks: Vec<SdesChunk<'_>> = chunks
                .iter()
                .zip(&items)
                .map(|((source, _), items)| SdesChunk {
                    source: *source,
                    items: List::new(items),
                })
                .collect();
            f(RtcpPacket::SourceDescription(SourceDescription {
                chunks: List::new(&chunks),
            }))
        }
        Owned::Bye(sources, reason) => f(RtcpPacket::Goodbye(Goodbye {
            sources: List::new(sources),
            reason: reason.as_deref(),
        })),
        Owned::App(subtype, ssrc, name, data) => f(RtcpPacket::App(App {
            subtype: *subtype,
            ssrc: *ssrc,
            name: *name,
            data,
        })),
        Owned::Nack(s, m, pairs) => f(RtcpPacket::Nack(Nack {
            sender_ssrc: *s,
            media_ssrc: *m,
            pairs: List::new(pairs),
        })),
        Owned::Twcc(s, m, base, reference, count, statuses) => {
            f(RtcpPacket::TransportCc(TransportCc {
                sender_ssrc: *s,
                media_ssrc: *m,
                base_sequence_number: *base,
                reference_time: *reference,
                feedback_packet_count: *count,
                statuses: TwccStatuses::new(statuses),
            }))
        }
        Owned::Ccfb(s, reports, rts) => {
            let reports: Vec<CcfbReport<'_>> = reports
                .iter()
                .map(|(ssrc, begin, metrics)| CcfbReport {
                    ssrc: *ssrc,
                    begin_sequence: *begin,
                    metrics: List::new(metrics),
                })
                .collect();
            f(RtcpPacket::CongestionControlFeedback(
                CongestionControlFeedback {
                    sender_ssrc: *s,
                    reports: List::new(&reports),
                    report_timestamp: *rts,
                },
            ))
        }
        Owned::Pli(s, m) => f(RtcpPacket::PictureLossIndication(PictureLossIndication {
            sender_ssrc: *s,
            media_ssrc: *m,
        })),
        Owned::Fir(s, m, entries) => f(RtcpPacket::Fir(Fir {
            sender_ssrc: *s,
            media_ssrc: *m,
            entries: List::new(entries),
        })),
        Owned::Remb(s, bitrate, ssrcs) => {
            f(RtcpPacket::Remb(Remb::new(*s, *bitrate, List::new(ssrcs))))
        }
        Owned::Other(pt, count, body) => f(RtcpPacket::Other(RawRtcp {
            count: *count,
            packet_type: *pt,
            body,
        })),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn every_packet_type_round_trips(o in owned()) {
        with_packet(&o, |p| {
            let bytes = write(&p);
            let parsed = RtcpPacket::parse(&bytes).unwrap();
            prop_assert_eq!(std::mem::discriminant(&parsed), std::mem::discriminant(&p));
            prop_assert_eq!(parsed, p);
            // What was parsed writes the same bytes.
            prop_assert_eq!(write(&parsed), bytes.clone());
            // Every strict prefix is an error: the length field does not fit.
            for cut in 0..bytes.len() {
                prop_assert!(RtcpPacket::parse(&bytes[..cut]).is_err(), "cut at {}", cut);
            }
            Ok(())
        })?;
    }

    #[test]
    fn compound_packets_round_trip(packets in vec(owned(), 1..5)) {
        let mut bytes = Vec::new();
        for o in &packets {
            with_packet(o, |p| bytes.extend(write(&p)));
        }
        let compound = Compound::parse(&bytes).unwrap();
        prop_assert_eq!(compound.raw().count(), packets.len());
        for (parsed, o) in compound.iter().zip(&packets) {
            let parsed = parsed.unwrap();
            with_packet(o, |p| {
                prop_assert_eq!(parsed, p);
                Ok(())
            })?;
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in vec(any::<u8>(), 0..200)) {
        if let Ok(c) = Compound::parse(&bytes) {
            for p in c.iter().flatten() {
                let _ = format!("{p:?}");
                let mut out = vec![0u8; p.encoded_len()];
                let _ = p.emit(&mut out);
            }
        }
    }
}
