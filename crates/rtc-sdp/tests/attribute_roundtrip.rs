//! The typed WebRTC attributes: values real browsers write parse to the expected fields and are
//! written back byte for byte; constructed values survive `to_string` → `parse`; malformed values
//! give the error that names the field; no input makes a parser panic.

use std::borrow::Cow;
use std::fmt::Debug;
use std::net::{IpAddr, Ipv4Addr};

use proptest::prelude::*;
use rtc_sdp::AttributeError;
use rtc_sdp::attributes::{
    Candidate, CandidateType, Direction, ExtMap, Fingerprint, Fmtp, Group, HashFunction,
    IceOptions, MaxMessageSize, Msid, MsidSemantic, ProfileLevelId, Rid, RidDirection, Rtcp,
    RtcpFb, RtpMap, SctpPort, Setup, Simulcast, SimulcastRid, SimulcastStreams, Ssrc, SsrcGroup,
    TcpType, TypedAttribute,
};

use AttributeError::{InvalidField, MissingField, MissingValue, TrailingData};

/// Parses `value`, checks that it is written back unchanged, and returns it for field checks.
#[track_caller]
fn exact<'a, T: TypedAttribute<'a> + Debug>(value: &'a str) -> T {
    let parsed = T::parse(value).unwrap_or_else(|e| panic!("a={}:{value}: {e}", T::NAME));
    assert_eq!(
        parsed.to_string(),
        value,
        "a={} written back differently",
        T::NAME
    );
    parsed
}

/// Parses `value` and checks that it is written back as `canonical` (and that reads back equal).
#[track_caller]
fn canonical<'a, T: TypedAttribute<'a> + Debug + PartialEq>(
    value: &'a str,
    canonical: &'a str,
) -> T {
    let parsed = T::parse(value).unwrap_or_else(|e| panic!("a={}:{value}: {e}", T::NAME));
    assert_eq!(parsed.to_string(), canonical);
    assert_eq!(exact::<T>(canonical), parsed);
    parsed
}

#[track_caller]
fn rejects<'a, T: TypedAttribute<'a> + Debug>(value: &'a str, error: AttributeError) {
    assert_eq!(T::parse(value).err(), Some(error), "a={}:{value}", T::NAME);
}

fn b(s: &str) -> Cow<'_, str> {
    Cow::Borrowed(s)
}

// ---------------------------------------------------------------------------------------------
// Real-world values
// ---------------------------------------------------------------------------------------------

#[test]
fn ice_options_from_browsers() {
    // libdatachannel separates the tags with commas; the value comes back as written.
    let o = IceOptions::parse("ice2,trickle").unwrap();
    assert!(o.comma_separated && o.ice2() && o.trickle());
    assert_eq!(o.to_string(), "ice2,trickle");
    let o: IceOptions<'_> = exact("trickle");
    assert_eq!(o.options, [b("trickle")]);
    assert!(o.trickle() && !o.ice2());
    let o: IceOptions<'_> = exact("trickle ice2");
    assert!(o.trickle() && o.ice2() && o.contains("ice2") && !o.contains("ICE2"));
    let o: IceOptions<'_> = exact("trickle renomination");
    assert!(o.contains("renomination"));
    let o: IceOptions<'_> = exact("google-ice");
    assert!(!o.trickle());
    assert_eq!(
        IceOptions::new(["trickle", "ice2"]).to_string(),
        "trickle ice2"
    );
}

const CHROME_FINGERPRINT: &str = "sha-256 7B:8B:F0:65:5F:78:E2:51:3B:AC:6F:F3:3F:46:1B:35:DC:B8:5F:64:1A:24:C2:43:F0:A1:58:D0:A1:2C:19:08";

#[test]
fn fingerprint_from_browsers() {
    let f: Fingerprint<'_> = exact(CHROME_FINGERPRINT);
    assert_eq!(f.hash, HashFunction::Sha256);
    assert!(f.is_valid_length());
    let bytes = f.bytes().unwrap();
    assert_eq!(bytes.len(), 32);
    assert_eq!(bytes[..3], [0x7b, 0x8b, 0xf0]);
    assert!(f.matches(&bytes));
    assert!(!f.matches(&bytes[1..]));
    assert_eq!(Fingerprint::from_bytes(HashFunction::Sha256, &bytes), f);

    // Lowercase hex (some SIP gateways) is kept as written and decodes the same.
    let f: Fingerprint<'_> =
        exact("sha-1 4a:ad:b9:b1:3f:82:18:3b:54:02:12:df:3e:5d:49:6b:19:e5:7c:ab");
    assert_eq!(f.hash, HashFunction::Sha1);
    assert!(f.is_valid_length());
    assert_eq!(f.bytes().unwrap()[0], 0x4a);

    // Wrong length for the hash: parses, but is not valid.
    let f: Fingerprint<'_> = exact("sha-256 AB:CD");
    assert!(!f.is_valid_length());
    let f: Fingerprint<'_> = exact("sha-3 AB:CD");
    assert_eq!(f.hash, HashFunction::Other(b("sha-3")));
    assert!(!f.is_valid_length());

    // Hash names are case-insensitive; written back in lowercase.
    let f: Fingerprint<'_> = canonical("SHA-256 AB", "sha-256 AB");
    assert_eq!(f.hash, HashFunction::Sha256);

    for (hash, len) in [
        (HashFunction::Sha1, 20),
        (HashFunction::Sha224, 28),
        (HashFunction::Sha256, 32),
        (HashFunction::Sha384, 48),
        (HashFunction::Sha512, 64),
        (HashFunction::Md5, 16),
        (HashFunction::Md2, 16),
    ] {
        let f = Fingerprint::from_bytes(hash.clone(), &vec![0xa5; len]);
        assert!(f.is_valid_length(), "{f}");
        assert_eq!(Fingerprint::parse(&f.to_string()), Ok(f.clone()));
        let short = Fingerprint::from_bytes(hash, &vec![0xa5; len - 1]);
        assert!(!short.is_valid_length());
    }
    assert_eq!(
        Fingerprint::from_bytes(HashFunction::Sha1, &[0, 0x0f, 0xf0, 0xff]).value,
        "00:0F:F0:FF"
    );
}

#[test]
fn setup_roles() {
    for (text, role) in [
        ("actpass", Setup::ActPass),
        ("active", Setup::Active),
        ("passive", Setup::Passive),
        ("holdconn", Setup::HoldConn),
    ] {
        assert_eq!(exact::<Setup>(text), role);
    }
    assert_eq!(canonical::<Setup>("ActPass", "actpass"), Setup::ActPass);
}

#[test]
fn direction_flags() {
    for d in [
        Direction::SendRecv,
        Direction::SendOnly,
        Direction::RecvOnly,
        Direction::Inactive,
    ] {
        assert_eq!(d.as_str().parse::<Direction>(), Ok(d));
        assert_eq!(d.to_string(), d.as_str());
        assert_eq!(d.reverse().reverse(), d);
    }
    assert_eq!(Direction::SendOnly.reverse(), Direction::RecvOnly);
    assert!(Direction::SendRecv.sends() && Direction::SendRecv.receives());
    assert!(!Direction::Inactive.sends() && !Direction::Inactive.receives());
    assert_eq!(Direction::default(), Direction::SendRecv);
    assert_eq!(
        "SENDRECV".parse::<Direction>(),
        Err(InvalidField("direction"))
    );
}

#[test]
fn group_from_browsers() {
    let g: Group<'_> = exact("BUNDLE 0 1 2");
    assert_eq!(g.semantics, "BUNDLE");
    assert_eq!(g.mids, [b("0"), b("1"), b("2")]);
    assert!(g.is_bundle() && g.contains("1") && !g.contains("3"));
    let g: Group<'_> = exact("BUNDLE audio video data");
    assert_eq!(g.mids.len(), 3);
    let g: Group<'_> = exact("LS a b");
    assert!(!g.is_bundle());
    let g: Group<'_> = exact("BUNDLE");
    assert!(g.mids.is_empty());
    let g: Group<'_> = exact("BUNDLE sdparta_0 {2c7a8a7e-0e47-4a7c-9a5c-4b3f0e0a6d1c}");
    assert_eq!(g.mids.len(), 2);
    assert_eq!(Group::new("BUNDLE", ["0", "1"]).to_string(), "BUNDLE 0 1");
}

#[test]
fn msid_from_browsers() {
    // Chrome (unified plan), Firefox, Chrome without a stream, the stream-only form of RFC 8829.
    let m: Msid<'_> =
        exact("2f4e1a1f-6c2b-4a3e-9c1d-8b7a6f5e4d3c 9d8c7b6a-5f4e-4d3c-2b1a-0f9e8d7c6b5a");
    assert_eq!(m.stream, "2f4e1a1f-6c2b-4a3e-9c1d-8b7a6f5e4d3c");
    assert_eq!(
        m.track.as_deref(),
        Some("9d8c7b6a-5f4e-4d3c-2b1a-0f9e8d7c6b5a")
    );
    let m: Msid<'_> =
        exact("{5a3e7c9d-1b2f-4e6a-8c0d-2f4b6d8e0a1c} {7e9a1c3b-5d7f-4b9d-a1e3-c5f7a9b1d3e5}");
    assert!(m.stream.starts_with('{'));
    let m: Msid<'_> = exact("- 6b2c0b69-5d2c-4b6f-9e1f-3c2e1d0f9a8b");
    assert_eq!(m.stream, "-");
    let m: Msid<'_> = exact("47017fee-b6c1-4162-929c-a25110252400");
    assert_eq!(m.track, None);
    assert_eq!(Msid::new("s", "t").to_string(), "s t");
    assert_eq!(Msid::stream_only("s").to_string(), "s");
}

#[test]
fn msid_semantic_from_browsers() {
    // Chrome writes a space after the colon: accepted, written without.
    let m: MsidSemantic<'_> = canonical(" WMS", "WMS");
    assert_eq!(m.semantic, "WMS");
    assert!(m.identifiers.is_empty());
    let m: MsidSemantic<'_> = canonical(" WMS stream_id", "WMS stream_id");
    assert_eq!(m.identifiers, [b("stream_id")]);
    // Firefox.
    let m: MsidSemantic<'_> = exact("WMS *");
    assert!(m.is_wildcard());
    let m: MsidSemantic<'_> = exact("WMS stream1 stream2");
    assert_eq!(m.identifiers.len(), 2);
    assert!(!m.is_wildcard());
    exact::<MsidSemantic<'_>>("WMS");
}

#[test]
fn rtpmap_from_browsers() {
    let r: RtpMap<'_> = exact("111 opus/48000/2");
    assert_eq!(
        (r.payload_type, &*r.encoding, r.clock_rate, r.channels),
        (111, "opus", 48000, Some(2))
    );
    assert!(r.is("OPUS"));
    let r: RtpMap<'_> = exact("0 PCMU/8000");
    assert_eq!((r.payload_type, r.clock_rate, r.channels), (0, 8000, None));
    for value in [
        "96 VP8/90000",
        "97 rtx/90000",
        "98 VP9/90000",
        "45 AV1/90000",
        "102 H264/90000",
        "49 H265/90000",
        "63 red/48000/2",
        "9 G722/8000",
        "8 PCMA/8000",
        "13 CN/8000",
        "110 telephone-event/48000",
        "126 telephone-event/8000",
        "35 flexfec-03/90000",
        "127 ulpfec/90000",
        "109 opus/48000/2",
    ] {
        exact::<RtpMap<'_>>(value);
    }
    assert_eq!(
        RtpMap::new(111, "opus", 48000).with_channels(2).to_string(),
        "111 opus/48000/2"
    );
}

#[test]
fn fmtp_from_browsers() {
    let f: Fmtp<'_> = exact("111 minptime=10;useinbandfec=1");
    assert_eq!(f.format, "111");
    assert_eq!(f.payload_type(), Some(111));
    assert_eq!(f.minptime(), Some(10));
    assert_eq!(f.useinbandfec(), Some(true));
    assert_eq!(f.stereo(), None);
    assert_eq!(
        f.params().collect::<Vec<_>>(),
        [("minptime", Some("10")), ("useinbandfec", Some("1"))]
    );

    let f: Fmtp<'_> = exact("97 apt=96");
    assert_eq!(f.apt(), Some(96));

    let f: Fmtp<'_> =
        exact("102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f");
    assert_eq!(f.level_asymmetry_allowed(), Some(true));
    assert_eq!(f.packetization_mode(), Some(1));
    let plid = f.profile_level_id().unwrap();
    assert_eq!(
        plid,
        ProfileLevelId {
            profile_idc: 0x42,
            profile_iop: 0x00,
            level_idc: 0x1f
        }
    );
    assert_eq!(plid.to_string(), "42001f");
    assert_eq!(
        "42E01F".parse::<ProfileLevelId>().map(|p| p.profile_iop),
        Ok(0xe0)
    );

    // RED and telephone-event are not key=value lists.
    let f: Fmtp<'_> = exact("63 111/111");
    assert_eq!(f.params().collect::<Vec<_>>(), [("111/111", None)]);
    assert_eq!(f.apt(), None);
    let f: Fmtp<'_> = exact("126 0-15");
    assert_eq!(f.get("0-15"), Some(""));

    // Firefox.
    let f: Fmtp<'_> = exact("109 maxplaybackrate=48000;stereo=1;useinbandfec=1");
    assert_eq!(f.stereo(), Some(true));
    assert_eq!(f.get("MAXPLAYBACKRATE"), Some("48000"));
    exact::<Fmtp<'_>>("126 profile-level-id=42e01f;level-asymmetry-allowed=1;packetization-mode=1");
    let f: Fmtp<'_> = exact("120 max-fs=12288;max-fr=60");
    assert_eq!(f.get("max-fr"), Some("60"));
    exact::<Fmtp<'_>>("101 0-15");

    // VP9, AV1, H.265, Opus bitrate.
    assert_eq!(exact::<Fmtp<'_>>("98 profile-id=0").profile_id(), Some(0));
    let f: Fmtp<'_> = exact("45 level-idx=5;profile=0;tier=0");
    assert_eq!(
        (f.level_idx(), f.profile(), f.tier()),
        (Some(5), Some(0), Some(0))
    );
    let f: Fmtp<'_> = exact("49 level-id=93;profile-id=1;tier-flag=0;tx-mode=SRST");
    assert_eq!(
        (f.level_id(), f.profile_id(), f.tier_flag()),
        (Some(93), Some(1), Some(0))
    );
    let f: Fmtp<'_> = exact("111 minptime=10;useinbandfec=1;maxaveragebitrate=128000;stereo=0");
    assert_eq!(f.maxaveragebitrate(), Some(128_000));
    assert_eq!(f.stereo(), Some(false));

    // Spaces after ';' (SIP stacks), a trailing ';': kept as written, trimmed by params().
    let f: Fmtp<'_> = exact("96 profile-level-id=42e01f; packetization-mode=1;");
    assert_eq!(
        f.params().collect::<Vec<_>>(),
        [
            ("profile-level-id", Some("42e01f")),
            ("packetization-mode", Some("1"))
        ]
    );
    // Bad typed values read as None, not errors.
    let f: Fmtp<'_> = exact("96 apt=200;minptime=+10;profile-level-id=42e0;useinbandfec=yes");
    assert_eq!(
        (
            f.apt(),
            f.minptime(),
            f.profile_level_id(),
            f.useinbandfec()
        ),
        (None, None, None, None)
    );
}

#[test]
fn rtcp_fb_from_browsers() {
    // Pion ends `transport-cc` with a space; it is kept as empty parameters.
    let fb = RtcpFb::parse("111 transport-cc ").unwrap();
    assert_eq!(
        (fb.kind.as_ref(), fb.parameters.as_deref(), fb.subtype()),
        ("transport-cc", Some(""), None)
    );
    assert_eq!(fb.to_string(), "111 transport-cc ");
    let r: RtcpFb<'_> = exact("111 transport-cc");
    assert_eq!(
        (r.payload_type, &*r.kind, r.parameters.as_deref()),
        (Some(111), "transport-cc", None)
    );
    assert_eq!(r.subtype(), None);
    let r: RtcpFb<'_> = exact("96 nack pli");
    assert_eq!((&*r.kind, r.subtype()), ("nack", Some("pli")));
    let r: RtcpFb<'_> = exact("96 ccm fir");
    assert_eq!(r.subtype(), Some("fir"));
    let r: RtcpFb<'_> = exact("* trr-int 100");
    assert_eq!(r.payload_type, None);
    assert_eq!(r.trr_int(), Some(100));
    for value in [
        "96 goog-remb",
        "96 nack",
        "120 ccm fir",
        "45 rrtr",
        "96 ack app extra data",
    ] {
        exact::<RtcpFb<'_>>(value);
    }
    assert_eq!(
        RtcpFb::new(Some(96), "nack")
            .with_parameters("pli")
            .to_string(),
        "96 nack pli"
    );
    assert_eq!(
        RtcpFb::new(None, "transport-cc").to_string(),
        "* transport-cc"
    );
}

#[test]
fn rtcp_from_browsers() {
    let r: Rtcp<'_> = exact("9 IN IP4 0.0.0.0");
    assert_eq!(r.port, 9);
    assert_eq!(r.connection, Some((b("IN"), b("IP4"), b("0.0.0.0"))));
    assert_eq!(r.address(), Some("0.0.0.0"));
    let r: Rtcp<'_> = exact("53020");
    assert_eq!(r.connection, None);
    exact::<Rtcp<'_>>("50000 IN IP6 2001:db8::1");
    assert_eq!(
        Rtcp::new(9, Some(IpAddr::V4(Ipv4Addr::UNSPECIFIED))).to_string(),
        "9 IN IP4 0.0.0.0"
    );
}

#[test]
fn extmap_from_browsers() {
    let e: ExtMap<'_> = exact("1 urn:ietf:params:rtp-hdrext:ssrc-audio-level");
    assert_eq!(
        (e.id, e.direction, &*e.uri, e.attributes.as_deref()),
        (1, None, "urn:ietf:params:rtp-hdrext:ssrc-audio-level", None)
    );
    assert!(e.is_one_byte());
    let e: ExtMap<'_> = exact("2/recvonly urn:ietf:params:rtp-hdrext:csrc-audio-level");
    assert_eq!(e.direction, Some(Direction::RecvOnly));
    let e: ExtMap<'_> = exact("3/sendonly urn:ietf:params:rtp-hdrext:sdes:mid");
    assert_eq!(e.direction, Some(Direction::SendOnly));
    let e: ExtMap<'_> = exact("1 urn:ietf:params:rtp-hdrext:ssrc-audio-level vad=on");
    assert_eq!(e.attributes.as_deref(), Some("vad=on"));
    let e: ExtMap<'_> = exact("2/sendrecv http://example.com/082005/ext.htm#xmeta short");
    assert_eq!(e.attributes.as_deref(), Some("short"));
    let e: ExtMap<'_> = exact("14 uri extra attrs");
    assert_eq!(e.attributes.as_deref(), Some("extra attrs"));
    for value in [
        "2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
        "3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
        "4 urn:ietf:params:rtp-hdrext:sdes:mid",
        "10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id",
        "11 urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id",
        "13 urn:3gpp:video-orientation",
        "14 urn:ietf:params:rtp-hdrext:toffset",
        "5/inactive urn:ietf:params:rtp-hdrext:toffset",
    ] {
        exact::<ExtMap<'_>>(value);
    }
    let e: ExtMap<'_> =
        exact("16 http://www.webrtc.org/experiments/rtp-hdrext/video-layers-allocation00");
    assert!(!e.is_one_byte());
    exact::<ExtMap<'_>>("4096 URI-gps-string");
    assert_eq!(
        ExtMap::new(4, "urn:ietf:params:rtp-hdrext:sdes:mid").to_string(),
        "4 urn:ietf:params:rtp-hdrext:sdes:mid"
    );
}

#[test]
fn ssrc_from_browsers() {
    let s: Ssrc<'_> = exact("3735928559 cname:Zs5L1UmNe7kJhD3P");
    assert_eq!(s.ssrc, 3_735_928_559);
    assert_eq!(s.cname(), Some("Zs5L1UmNe7kJhD3P"));
    let s: Ssrc<'_> = exact("1234 msid:stream track");
    assert_eq!(
        (&*s.attribute, s.value.as_deref()),
        ("msid", Some("stream track"))
    );
    assert_eq!(s.cname(), None);
    exact::<Ssrc<'_>>("1234 mslabel:stream");
    exact::<Ssrc<'_>>("1234 label:8a5e3b4c-1f2d-4e6a-9b0c-7d8e9f0a1b2c");
    exact::<Ssrc<'_>>("4294967295 cname:{a1b2c3d4-e5f6-7890-abcd-ef1234567890}");
    let s: Ssrc<'_> = exact("1 flag");
    assert_eq!(s.value, None);
    assert_eq!(Ssrc::new(1, "cname", "x").to_string(), "1 cname:x");
}

#[test]
fn ssrc_group_from_browsers() {
    let g: SsrcGroup<'_> = exact("FID 1 2");
    assert_eq!((&*g.semantics, &*g.ssrcs), ("FID", &[1, 2][..]));
    let g: SsrcGroup<'_> = exact("SIM 1 2 3");
    assert_eq!(g.ssrcs.len(), 3);
    exact::<SsrcGroup<'_>>("FEC-FR 3735928559 4294967295");
    exact::<SsrcGroup<'_>>("FID");
    assert_eq!(SsrcGroup::new("FID", [7, 8]).to_string(), "FID 7 8");
}

#[test]
fn rid_from_browsers() {
    let r: Rid<'_> = exact("hi send");
    assert_eq!((&*r.id, r.direction), ("hi", RidDirection::Send));
    assert!(r.formats.is_empty() && r.restrictions.is_empty());
    let r: Rid<'_> = exact("lo send pt=96,97;max-width=320;max-height=180");
    assert_eq!(r.formats, [b("96"), b("97")]);
    assert_eq!(
        (r.max_width(), r.max_height(), r.max_fps()),
        (Some(320), Some(180), None)
    );
    let r: Rid<'_> = exact("r0 recv max-fps=30");
    assert_eq!((r.direction, r.max_fps()), (RidDirection::Recv, Some(30)));
    let r: Rid<'_> =
        exact("5 send pt=99,102;max-br=64000;max-width=1280;max-height=720;max-fps=30");
    assert_eq!(r.max_br(), Some(64000));
    let r: Rid<'_> = exact("2 recv pt=104;depend=1,0;max-pps=1000;max-fs=3600;max-bpp=1.5");
    assert_eq!(
        r.depend().map(Iterator::collect::<Vec<_>>),
        Some(vec!["1", "0"])
    );
    assert_eq!(
        (r.max_pps(), r.max_fs(), r.max_bpp()),
        (Some(1000), Some(3600), Some(1.5))
    );
    let r: Rid<'_> = exact("f send max-width;x-custom=a b");
    assert_eq!(
        r.restrictions,
        [(b("max-width"), None), (b("x-custom"), Some(b("a b")))]
    );
    assert_eq!(r.restriction("max-width"), Some(""));
    assert_eq!(r.max_width(), None);
    exact::<Rid<'_>>("a send");
    exact::<Rid<'_>>("q_1-x recv pt=96");
    assert_eq!(
        Rid::new("lo", RidDirection::Send)
            .with_restriction("max-width", "320")
            .to_string(),
        "lo send max-width=320"
    );
}

#[test]
fn simulcast_from_browsers() {
    let s: Simulcast<'_> = exact("send hi;mid;lo");
    assert_eq!(
        s.send,
        Some(SimulcastStreams::from_ids(["hi", "mid", "lo"]))
    );
    assert_eq!((s.recv.is_none(), s.recv_first), (true, false));
    let s: Simulcast<'_> = exact("recv 1;~2,3");
    let recv = s.recv.unwrap();
    assert_eq!(recv.0.len(), 2);
    assert_eq!(
        recv.0[1],
        [
            SimulcastRid {
                id: b("2"),
                paused: true
            },
            SimulcastRid::new("3")
        ]
    );
    assert_eq!(recv.rids().count(), 3);
    let s: Simulcast<'_> = exact("send 1;2 recv 3");
    assert!(s.send.is_some() && s.recv.is_some() && !s.recv_first);
    let s: Simulcast<'_> = exact("recv 3 send 1;2");
    assert!(s.recv_first);
    exact::<Simulcast<'_>>("recv q;h;f");
    exact::<Simulcast<'_>>("send a;b;c");
    assert_eq!(
        Simulcast::send(SimulcastStreams::from_ids(["a", "b"])).to_string(),
        "send a;b"
    );
    assert_eq!(
        Simulcast::recv(SimulcastStreams::from_ids(["a"])).to_string(),
        "recv a"
    );
}

#[test]
fn sctp_attributes_from_browsers() {
    assert_eq!(exact::<SctpPort>("5000"), SctpPort(5000));
    assert_eq!(exact::<SctpPort>("0"), SctpPort(0));
    assert_eq!(exact::<SctpPort>("65535"), SctpPort(65535));
    assert_eq!(exact::<MaxMessageSize>("262144"), MaxMessageSize(262_144));
    assert_eq!(
        exact::<MaxMessageSize>("1073741823").limit(),
        Some(1_073_741_823)
    );
    let unlimited: MaxMessageSize = exact("0");
    assert!(unlimited.is_unlimited() && unlimited.limit().is_none());
    exact::<MaxMessageSize>("18446744073709551615");
}

#[test]
fn candidates_from_browsers() {
    let c: Candidate<'_> = exact(
        "842163049 1 udp 1677729535 192.0.2.3 61665 typ srflx raddr 10.0.1.1 rport 8998 \
         generation 0 ufrag EsAw network-id 1 network-cost 10",
    );
    assert_eq!(c.foundation, "842163049");
    assert_eq!(
        (c.component, &*c.transport, c.priority),
        (1, "udp", 1_677_729_535)
    );
    assert_eq!(
        (&*c.address, c.port, &c.kind),
        ("192.0.2.3", 61665, &CandidateType::ServerReflexive)
    );
    assert_eq!(
        (c.related_address(), c.related_port()),
        (Some("10.0.1.1"), Some(8998))
    );
    assert_eq!(
        (c.generation(), c.ufrag(), c.network_id(), c.network_cost()),
        (Some(0), Some("EsAw"), Some(1), Some(10))
    );
    assert_eq!(c.ip(), Some(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 3))));
    assert!(c.is_udp() && !c.is_tcp() && !c.is_mdns());
    assert_eq!(c.extensions.len(), 6);

    let c: Candidate<'_> =
        exact("1 1 tcp 1518280447 192.0.2.1 9 typ host tcptype active generation 0");
    assert!(c.is_tcp());
    assert_eq!(c.tcptype(), Some(TcpType::Active));
    assert_eq!(c.related_address(), None);

    // Chrome with mDNS.
    let c: Candidate<'_> = exact(
        "2034124421 1 udp 2113937151 1f4712db-ea17-4bcf-a596-105139dfd8bf.local 54400 typ host \
         generation 0 network-cost 999",
    );
    assert!(c.is_mdns());
    assert_eq!(c.ip(), None);
    assert_eq!(c.kind, CandidateType::Host);

    // Firefox: uppercase transport, related address hidden behind 0.0.0.0.
    let c: Candidate<'_> = exact("0 1 UDP 2122252543 2001:db8::1 52000 typ host");
    assert!(c.is_udp());
    assert_eq!(c.ip().map(|ip| ip.is_ipv6()), Some(true));
    let c: Candidate<'_> =
        exact("1 1 UDP 1686052863 203.0.113.7 55000 typ srflx raddr 0.0.0.0 rport 0");
    assert_eq!(c.related_port(), Some(0));
    let c: Candidate<'_> =
        exact("3 1 UDP 92217087 203.0.113.5 61664 typ relay raddr 203.0.113.5 rport 61664");
    assert_eq!(c.kind, CandidateType::Relay);
    let c: Candidate<'_> = exact("2 1 TCP 2105458943 10.0.0.1 9 typ host tcptype active");
    assert_eq!(c.tcptype(), Some(TcpType::Active));
    exact::<Candidate<'_>>("4 1 TCP 2105524479 10.0.0.1 53000 typ host tcptype passive");
    exact::<Candidate<'_>>("5 1 TCP 1019155455 10.0.0.1 53000 typ host tcptype so");

    // Chrome relay, Chrome RTCP component, peer reflexive, an unknown type.
    exact::<Candidate<'_>>(
        "3502563409 1 udp 41885695 198.51.100.9 3478 typ relay raddr 203.0.113.7 rport 55000 \
         generation 0 ufrag 7o+3 network-id 1 network-cost 10",
    );
    let c: Candidate<'_> =
        exact("1467250027 2 udp 2122260222 192.168.0.196 46244 typ host generation 0");
    assert_eq!(c.component, 2);
    let c: Candidate<'_> =
        exact("a+b/c 1 udp 1845501695 192.0.2.8 5000 typ prflx raddr 10.0.0.2 rport 5000");
    assert_eq!(c.kind, CandidateType::PeerReflexive);
    let c: Candidate<'_> = exact("1 1 udp 1 192.0.2.8 5000 typ nat64");
    assert_eq!(c.kind, CandidateType::Other(b("nat64")));

    // raddr/rport after other extensions: kept in place.
    let c: Candidate<'_> =
        exact("1 1 udp 1 192.0.2.8 5000 typ srflx generation 0 raddr 10.0.0.1 rport 9");
    assert_eq!(
        (c.related_address(), c.related_port()),
        (Some("10.0.0.1"), Some(9))
    );
}

#[test]
fn candidate_init_strings() {
    let value = "1 1 udp 2122260223 192.0.2.1 50000 typ host generation 0";
    let init = format!("candidate:{value}");
    let c = Candidate::parse_init(&init).unwrap();
    assert_eq!(c.to_string(), value);
    assert_eq!(c.to_init_string(), init);
    let line = format!("a=candidate:{value}");
    assert_eq!(Candidate::parse_init(&line), Ok(c.clone()));
    assert_eq!(Candidate::parse_init(value), Ok(c));
    assert_eq!(Candidate::parse_init("candidate:"), Err(MissingValue));
}

#[test]
fn candidate_builder() {
    let mut c = Candidate::new(
        "1",
        1,
        "udp",
        1_686_052_607,
        "203.0.113.7",
        55000,
        CandidateType::ServerReflexive,
    )
    .with_extension("generation", "0")
    .with_related("10.0.0.1", 50000);
    assert_eq!(
        c.to_string(),
        "1 1 udp 1686052607 203.0.113.7 55000 typ srflx raddr 10.0.0.1 rport 50000 generation 0"
    );
    c.set_related("10.0.0.2", 50001);
    c.set_extension("generation", "1");
    c.set_extension("ufrag", "abcd");
    assert_eq!(
        c.to_string(),
        "1 1 udp 1686052607 203.0.113.7 55000 typ srflx raddr 10.0.0.2 rport 50001 generation 1 ufrag abcd"
    );
    c.remove_extension("generation");
    assert_eq!(c.generation(), None);
    assert_eq!(Candidate::parse(&c.to_string()), Ok(c.clone()));
    let owned: Candidate<'static> = Candidate::parse(&c.to_string()).unwrap().into_owned();
    assert_eq!(owned, c);
}

#[test]
fn into_owned_keeps_values() {
    let text = String::from("lo send pt=96;max-width=320");
    let rid = Rid::parse(&text).unwrap().into_owned();
    drop(text);
    assert_eq!(rid.to_string(), "lo send pt=96;max-width=320");
    let text = String::from("send a;~b,c recv d");
    let s = Simulcast::parse(&text).unwrap().into_owned();
    drop(text);
    assert_eq!(s.to_string(), "send a;~b,c recv d");
    assert_eq!(
        Fingerprint::parse(CHROME_FINGERPRINT)
            .unwrap()
            .into_owned()
            .to_string(),
        CHROME_FINGERPRINT
    );
    for (value, owned) in [
        (
            "BUNDLE 0 1",
            Group::parse("BUNDLE 0 1").unwrap().into_owned().to_string(),
        ),
        ("s t", Msid::parse("s t").unwrap().into_owned().to_string()),
        (
            "WMS *",
            MsidSemantic::parse("WMS *")
                .unwrap()
                .into_owned()
                .to_string(),
        ),
        (
            "trickle",
            IceOptions::parse("trickle")
                .unwrap()
                .into_owned()
                .to_string(),
        ),
        (
            "96 VP8/90000",
            RtpMap::parse("96 VP8/90000")
                .unwrap()
                .into_owned()
                .to_string(),
        ),
        (
            "97 apt=96",
            Fmtp::parse("97 apt=96").unwrap().into_owned().to_string(),
        ),
        (
            "96 nack pli",
            RtcpFb::parse("96 nack pli")
                .unwrap()
                .into_owned()
                .to_string(),
        ),
        (
            "9 IN IP4 0.0.0.0",
            Rtcp::parse("9 IN IP4 0.0.0.0")
                .unwrap()
                .into_owned()
                .to_string(),
        ),
        (
            "1/sendonly u a",
            ExtMap::parse("1/sendonly u a")
                .unwrap()
                .into_owned()
                .to_string(),
        ),
        (
            "1 cname:x",
            Ssrc::parse("1 cname:x").unwrap().into_owned().to_string(),
        ),
        (
            "FID 1 2",
            SsrcGroup::parse("FID 1 2")
                .unwrap()
                .into_owned()
                .to_string(),
        ),
    ] {
        assert_eq!(owned, value);
    }
}

// ---------------------------------------------------------------------------------------------
// Malformed values
// ---------------------------------------------------------------------------------------------

#[test]
fn malformed_values_name_the_field() {
    rejects::<IceOptions<'_>>("", MissingValue);
    rejects::<IceOptions<'_>>("trickle  ice2", InvalidField("ice option"));
    rejects::<IceOptions<'_>>("trickle ", InvalidField("ice option"));

    rejects::<Fingerprint<'_>>("", MissingValue);
    rejects::<Fingerprint<'_>>("sha-256", MissingField("fingerprint"));
    rejects::<Fingerprint<'_>>("sha-256 ", MissingField("fingerprint"));
    rejects::<Fingerprint<'_>>("sha-256 AB:CD:E", InvalidField("fingerprint"));
    rejects::<Fingerprint<'_>>("sha-256 AB::CD", InvalidField("fingerprint"));
    rejects::<Fingerprint<'_>>("sha-256 ABCD", InvalidField("fingerprint"));
    rejects::<Fingerprint<'_>>("sha-256 AB:CD:", InvalidField("fingerprint"));
    rejects::<Fingerprint<'_>>("sha-256 AB:GG", InvalidField("fingerprint"));
    rejects::<Fingerprint<'_>>("sha-256 AB CD", TrailingData);
    rejects::<Fingerprint<'_>>("sha(256) AB", InvalidField("hash function"));
    rejects::<Fingerprint<'_>>(" AB", MissingField("hash function"));

    rejects::<Setup>("", MissingValue);
    rejects::<Setup>("actpass ", InvalidField("setup role"));
    rejects::<Setup>("client", InvalidField("setup role"));

    rejects::<Group<'_>>("", MissingValue);
    rejects::<Group<'_>>("BUNDLE ", InvalidField("mid"));
    rejects::<Group<'_>>("BUNDLE 0  1", InvalidField("mid"));
    rejects::<Group<'_>>(" 0 1", MissingField("group semantics"));
    rejects::<Group<'_>>("BUNDLE 0 a\"b", InvalidField("mid"));

    rejects::<Msid<'_>>("", MissingValue);
    rejects::<Msid<'_>>("a b c", TrailingData);
    rejects::<Msid<'_>>("a ", MissingField("msid track"));
    rejects::<Msid<'_>>(" b", MissingField("msid stream"));
    rejects::<MsidSemantic<'_>>("", MissingValue);
    rejects::<MsidSemantic<'_>>("   ", MissingField("msid semantic"));
    rejects::<MsidSemantic<'_>>("WMS ", InvalidField("msid semantic identifier"));

    rejects::<RtpMap<'_>>("", MissingValue);
    rejects::<RtpMap<'_>>("111", MissingField("encoding name"));
    rejects::<RtpMap<'_>>("128 opus/48000/2", InvalidField("payload type"));
    rejects::<RtpMap<'_>>("+111 opus/48000/2", InvalidField("payload type"));
    rejects::<RtpMap<'_>>("0111 opus/48000/2", InvalidField("payload type"));
    rejects::<RtpMap<'_>>("x opus/48000", InvalidField("payload type"));
    rejects::<RtpMap<'_>>(" opus/48000", MissingField("payload type"));
    rejects::<RtpMap<'_>>("111 opus", MissingField("clock rate"));
    rejects::<RtpMap<'_>>("111 opus/", MissingField("clock rate"));
    rejects::<RtpMap<'_>>("111 opus/0", InvalidField("clock rate"));
    rejects::<RtpMap<'_>>("111 opus/4294967296", InvalidField("clock rate"));
    rejects::<RtpMap<'_>>("111 /48000", MissingField("encoding name"));
    rejects::<RtpMap<'_>>("111 opus/48000/x", InvalidField("encoding parameters"));
    rejects::<RtpMap<'_>>("111 opus/48000/0", InvalidField("encoding parameters"));
    rejects::<RtpMap<'_>>("111 opus/48000/2/1", TrailingData);
    rejects::<RtpMap<'_>>("111 opus/48000/2 x", TrailingData);

    rejects::<Fmtp<'_>>("", MissingValue);
    rejects::<Fmtp<'_>>("111", MissingField("format parameters"));
    rejects::<Fmtp<'_>>("111 ", MissingField("format parameters"));
    rejects::<Fmtp<'_>>(" apt=96", MissingField("format"));
    rejects::<Fmtp<'_>>("111 a\rb", InvalidField("format parameters"));
    assert_eq!(
        "42e01".parse::<ProfileLevelId>(),
        Err(InvalidField("profile-level-id"))
    );
    assert_eq!(
        "+42e01f".parse::<ProfileLevelId>().err(),
        Some(InvalidField("profile-level-id"))
    );
    assert_eq!(
        "42e0g1".parse::<ProfileLevelId>().err(),
        Some(InvalidField("profile-level-id"))
    );

    rejects::<RtcpFb<'_>>("", MissingValue);
    rejects::<RtcpFb<'_>>("96", MissingField("feedback type"));
    rejects::<RtcpFb<'_>>("96 ", MissingField("feedback type"));
    rejects::<RtcpFb<'_>>("200 nack", InvalidField("payload type"));
    rejects::<RtcpFb<'_>>("** nack", InvalidField("payload type"));

    rejects::<Rtcp<'_>>("", MissingValue);
    rejects::<Rtcp<'_>>("65536", InvalidField("port"));
    rejects::<Rtcp<'_>>("9 IN", MissingField("address type"));
    rejects::<Rtcp<'_>>("9 IN IP4", MissingField("address"));
    rejects::<Rtcp<'_>>("9 IN IP4 0.0.0.0 x", TrailingData);
    rejects::<Rtcp<'_>>("9 ", MissingField("network type"));

    rejects::<ExtMap<'_>>("", MissingValue);
    rejects::<ExtMap<'_>>("1", MissingField("extension URI"));
    rejects::<ExtMap<'_>>("1 ", MissingField("extension URI"));
    rejects::<ExtMap<'_>>("0 urn:x", InvalidField("extmap id"));
    rejects::<ExtMap<'_>>("256 urn:x", InvalidField("extmap id"));
    rejects::<ExtMap<'_>>("4352 urn:x", InvalidField("extmap id"));
    rejects::<ExtMap<'_>>("70000 urn:x", InvalidField("extmap id"));
    rejects::<ExtMap<'_>>("/sendonly urn:x", MissingField("extmap id"));
    rejects::<ExtMap<'_>>("1/both urn:x", InvalidField("extmap direction"));
    rejects::<ExtMap<'_>>("1/ urn:x", InvalidField("extmap direction"));
    rejects::<ExtMap<'_>>("1 urn:x ", MissingField("extension attributes"));

    rejects::<Ssrc<'_>>("", MissingValue);
    rejects::<Ssrc<'_>>("1234", MissingField("source attribute"));
    rejects::<Ssrc<'_>>("4294967296 cname:x", InvalidField("ssrc"));
    rejects::<Ssrc<'_>>("-1 cname:x", InvalidField("ssrc"));
    rejects::<Ssrc<'_>>("1 cname:", MissingField("source attribute value"));
    rejects::<Ssrc<'_>>("1 :x", MissingField("source attribute"));
    rejects::<SsrcGroup<'_>>("", MissingValue);
    rejects::<SsrcGroup<'_>>("FID 1 x", InvalidField("ssrc"));
    rejects::<SsrcGroup<'_>>("FID 1 ", InvalidField("ssrc"));
    rejects::<SsrcGroup<'_>>(" 1 2", MissingField("ssrc group semantics"));

    rejects::<Rid<'_>>("", MissingValue);
    rejects::<Rid<'_>>("hi", MissingField("rid direction"));
    rejects::<Rid<'_>>("hi ", MissingField("rid direction"));
    rejects::<Rid<'_>>("hi sendrecv", InvalidField("rid direction"));
    rejects::<Rid<'_>>("hi SEND", InvalidField("rid direction"));
    rejects::<Rid<'_>>("h.i send", InvalidField("rid id"));
    rejects::<Rid<'_>>("hi send ", InvalidField("rid restriction"));
    rejects::<Rid<'_>>("hi send pt=", InvalidField("rid formats"));
    rejects::<Rid<'_>>("hi send pt=96,", InvalidField("rid formats"));
    rejects::<Rid<'_>>("hi send max-width=1;pt=96", InvalidField("rid restriction"));
    rejects::<Rid<'_>>("hi send max_width=1", InvalidField("rid restriction"));
    rejects::<Rid<'_>>("hi send max-width=1;", InvalidField("rid restriction"));
    rejects::<Rid<'_>>("hi send x=\u{7f}", InvalidField("rid restriction value"));

    rejects::<Simulcast<'_>>("", MissingValue);
    rejects::<Simulcast<'_>>("send", MissingField("simulcast streams"));
    rejects::<Simulcast<'_>>("send ", MissingField("simulcast streams"));
    rejects::<Simulcast<'_>>("send a send b", InvalidField("simulcast direction"));
    rejects::<Simulcast<'_>>("sendrecv a", InvalidField("simulcast direction"));
    rejects::<Simulcast<'_>>("send a recv", MissingField("simulcast streams"));
    rejects::<Simulcast<'_>>("send a;;b", InvalidField("simulcast rid"));
    rejects::<Simulcast<'_>>("send a,", InvalidField("simulcast rid"));
    rejects::<Simulcast<'_>>("send ~", InvalidField("simulcast rid"));
    rejects::<Simulcast<'_>>("send rid=a;b", InvalidField("simulcast rid"));
    rejects::<Simulcast<'_>>(" send a", MissingField("simulcast direction"));

    rejects::<SctpPort>("", MissingValue);
    rejects::<SctpPort>("65536", InvalidField("sctp port"));
    rejects::<SctpPort>("05000", InvalidField("sctp port"));
    rejects::<SctpPort>("+5000", InvalidField("sctp port"));
    rejects::<SctpPort>("5000 ", InvalidField("sctp port"));
    rejects::<MaxMessageSize>("", MissingValue);
    rejects::<MaxMessageSize>("-1", InvalidField("max message size"));
    rejects::<MaxMessageSize>("18446744073709551616", InvalidField("max message size"));

    const HOST: &str = "1 1 udp 2122260223 192.0.2.1 50000 typ host";
    rejects::<Candidate<'_>>("", MissingValue);
    rejects::<Candidate<'_>>("1", MissingField("component"));
    rejects::<Candidate<'_>>(
        "1 1 udp 2122260223 192.0.2.1 50000",
        MissingField("candidate type"),
    );
    rejects::<Candidate<'_>>(
        "1 1 udp 2122260223 192.0.2.1 50000 typ",
        MissingField("candidate type"),
    );
    rejects::<Candidate<'_>>(
        "1 1 udp 2122260223 192.0.2.1 50000 type host",
        InvalidField("candidate type"),
    );
    rejects::<Candidate<'_>>(
        "1 1 udp 2122260223 192.0.2.1 50000 typ ",
        MissingField("candidate type"),
    );
    rejects::<Candidate<'_>>(
        "1-2 1 udp 1 192.0.2.1 50000 typ host",
        InvalidField("foundation"),
    );
    rejects::<Candidate<'_>>(
        "1 0 udp 1 192.0.2.1 50000 typ host",
        InvalidField("component"),
    );
    rejects::<Candidate<'_>>(
        "1 257 udp 1 192.0.2.1 50000 typ host",
        InvalidField("component"),
    );
    rejects::<Candidate<'_>>(
        "1 1 udp 4294967296 192.0.2.1 50000 typ host",
        InvalidField("priority"),
    );
    rejects::<Candidate<'_>>(
        "1 1 udp +1 192.0.2.1 50000 typ host",
        InvalidField("priority"),
    );
    rejects::<Candidate<'_>>("1 1 udp 1 192.0.2.1 65536 typ host", InvalidField("port"));
    rejects::<Candidate<'_>>("1 1 u/dp 1 192.0.2.1 5 typ host", InvalidField("transport"));
    rejects::<Candidate<'_>>("1  1 udp 1 192.0.2.1 5 typ host", MissingField("component"));
    rejects::<Candidate<'_>>(
        &format!("{HOST} generation"),
        MissingField("extension value"),
    );
    rejects::<Candidate<'_>>(
        &format!("{HOST} generation "),
        InvalidField("extension value"),
    );
    rejects::<Candidate<'_>>(&format!("{HOST} "), InvalidField("extension name"));
    rejects::<Candidate<'_>>(
        &format!("{HOST} raddr 10.0.0.1 rport 70000"),
        InvalidField("related port"),
    );
    rejects::<Candidate<'_>>(&format!("{HOST} rport x"), InvalidField("related port"));
    rejects::<Candidate<'_>>(
        &format!("{HOST} ufrag \u{e9}"),
        InvalidField("extension value"),
    );
}

// ---------------------------------------------------------------------------------------------
// Constructed values survive to_string → parse
// ---------------------------------------------------------------------------------------------

const TOKEN: &str = "[A-Za-z0-9!#$%&'*+.^_`{|}~-]{1,12}";
const VCHARS: &str = "[!-~]{1,16}";
const RID_ID: &str = "[A-Za-z0-9_-]{1,8}";
/// `byte-string` (RFC 8866 §9): anything but NUL, CR and LF, non-empty.
const BYTE_STRING: &str = "[^\r\n\u{0}]{1,24}";

fn cow(s: String) -> Cow<'static, str> {
    Cow::Owned(s)
}

fn token() -> impl Strategy<Value = Cow<'static, str>> {
    TOKEN.prop_map(cow)
}

fn vchars() -> impl Strategy<Value = Cow<'static, str>> {
    VCHARS.prop_map(cow)
}

fn byte_string() -> impl Strategy<Value = Cow<'static, str>> {
    BYTE_STRING.prop_map(cow)
}

fn rid_id() -> impl Strategy<Value = Cow<'static, str>> {
    RID_ID.prop_map(cow)
}

fn payload_type() -> impl Strategy<Value = u8> {
    0u8..=127
}

fn direction() -> impl Strategy<Value = Direction> {
    prop_oneof![
        Just(Direction::SendRecv),
        Just(Direction::SendOnly),
        Just(Direction::RecvOnly),
        Just(Direction::Inactive)
    ]
}

fn hash_function() -> impl Strategy<Value = HashFunction<'static>> {
    prop_oneof![
        Just(HashFunction::Sha1),
        Just(HashFunction::Sha224),
        Just(HashFunction::Sha256),
        Just(HashFunction::Sha384),
        Just(HashFunction::Sha512),
        Just(HashFunction::Md5),
        Just(HashFunction::Md2),
        token()
            .prop_filter("a known name", |t| matches!(
                HashFunction::parse(t),
                Ok(HashFunction::Other(_))
            ))
            .prop_map(HashFunction::Other),
    ]
}

fn fingerprint() -> impl Strategy<Value = Fingerprint<'static>> {
    (
        hash_function(),
        prop::collection::vec(any::<u8>(), 1..70),
        any::<bool>(),
    )
        .prop_map(|(hash, bytes, lowercase)| {
            let mut f = Fingerprint::from_bytes(hash, &bytes);
            if lowercase {
                f.value = cow(f.value.to_ascii_lowercase());
            }
            f
        })
}

fn setup() -> impl Strategy<Value = Setup> {
    prop_oneof![
        Just(Setup::Active),
        Just(Setup::Passive),
        Just(Setup::ActPass),
        Just(Setup::HoldConn)
    ]
}

fn candidate_type() -> impl Strategy<Value = CandidateType<'static>> {
    prop_oneof![
        Just(CandidateType::Host),
        Just(CandidateType::ServerReflexive),
        Just(CandidateType::PeerReflexive),
        Just(CandidateType::Relay),
        token()
            .prop_filter("a known type", |t| !matches!(
                &**t,
                "host" | "srflx" | "prflx" | "relay"
            ))
            .prop_map(CandidateType::Other),
    ]
}

fn address() -> impl Strategy<Value = Cow<'static, str>> {
    prop_oneof![
        any::<IpAddr>().prop_map(|ip| cow(ip.to_string())),
        "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\\.local".prop_map(cow),
    ]
}

fn candidate() -> impl Strategy<Value = Candidate<'static>> {
    let extension = prop_oneof![
        ("[a-z][a-z-]{0,11}", VCHARS)
            .prop_filter("rport is checked", |(n, _)| n != "rport")
            .prop_map(|(n, v)| (cow(n), cow(v))),
        address().prop_map(|a| (Cow::Borrowed("raddr"), a)),
        any::<u16>().prop_map(|p| (Cow::Borrowed("rport"), cow(p.to_string()))),
        prop_oneof![Just("active"), Just("passive"), Just("so")]
            .prop_map(|t| (Cow::Borrowed("tcptype"), Cow::Borrowed(t))),
        any::<u32>().prop_map(|g| (Cow::Borrowed("generation"), cow(g.to_string()))),
    ];
    (
        "[A-Za-z0-9+/]{1,32}",
        1u16..=256,
        prop_oneof![
            Just("udp".to_owned()),
            Just("UDP".to_owned()),
            Just("tcp".to_owned()),
            TOKEN.prop_map(|t| t)
        ],
        any::<u32>(),
        address(),
        any::<u16>(),
        candidate_type(),
        prop::collection::vec(extension, 0..6),
    )
        .prop_map(
            |(foundation, component, transport, priority, address, port, kind, extensions)| {
                Candidate {
                    foundation: cow(foundation),
                    component,
                    transport: cow(transport),
                    priority,
                    address,
                    port,
                    kind,
                    extensions,
                }
            },
        )
}

fn rid() -> impl Strategy<Value = Rid<'static>> {
    let restriction = (
        "[A-Za-z0-9-]{1,10}".prop_filter("pt is the format list", |n| n != "pt"),
        prop::option::of("[ -:<-~]{0,12}"),
    )
        .prop_map(|(name, value)| (cow(name), value.map(cow)));
    (
        rid_id(),
        prop_oneof![Just(RidDirection::Send), Just(RidDirection::Recv)],
        prop::collection::vec(token(), 0..4),
        prop::collection::vec(restriction, 0..5),
    )
        .prop_map(|(id, direction, formats, restrictions)| Rid {
            id,
            direction,
            formats,
            restrictions,
        })
}

fn simulcast_streams() -> impl Strategy<Value = SimulcastStreams<'static>> {
    let rid = (rid_id(), any::<bool>()).prop_map(|(id, paused)| SimulcastRid { id, paused });
    prop::collection::vec(prop::collection::vec(rid, 1..4), 1..5).prop_map(SimulcastStreams)
}

fn simulcast() -> impl Strategy<Value = Simulcast<'static>> {
    prop_oneof![
        simulcast_streams().prop_map(Simulcast::send),
        simulcast_streams().prop_map(Simulcast::recv),
        (simulcast_streams(), simulcast_streams(), any::<bool>()).prop_map(
            |(send, recv, recv_first)| {
                Simulcast {
                    send: Some(send),
                    recv: Some(recv),
                    recv_first,
                }
            }
        ),
    ]
}

/// `parse(&x.to_string()) == Ok(x)`.
macro_rules! survives {
    ($ty:ty, $value:expr) => {{
        let value: $ty = $value;
        let text = value.to_string();
        let parsed = <$ty as TypedAttribute<'_>>::parse(&text);
        prop_assert_eq!(parsed, Ok(value.clone()), "written as {:?}", text);
    }};
}

proptest! {
    #[test]
    fn ice_options_survive(options in prop::collection::vec("[A-Za-z0-9+/-]{1,10}".prop_map(cow), 1..5)) {
        survives!(IceOptions<'_>, IceOptions { options, comma_separated: false });
    }

    #[test]
    fn fingerprints_survive(f in fingerprint()) {
        prop_assert_eq!(f.bytes().map(|b| b.len()), Some((f.value.len() + 1) / 3));
        survives!(Fingerprint<'_>, f);
    }

    #[test]
    fn fingerprint_bytes_round_trip(hash in hash_function(), bytes in prop::collection::vec(any::<u8>(), 1..70)) {
        let f = Fingerprint::from_bytes(hash.clone(), &bytes);
        prop_assert_eq!(f.bytes(), Some(bytes.clone()));
        prop_assert_eq!(f.is_valid_length(), hash.digest_len() == Some(bytes.len()));
        prop_assert!(f.value.bytes().all(|c| c == b':' || c.is_ascii_digit() || c.is_ascii_uppercase()));
    }

    #[test]
    fn setup_survives(s in setup()) {
        survives!(Setup, s);
    }

    #[test]
    fn groups_survive(semantics in token(), mids in prop::collection::vec(token(), 0..5)) {
        survives!(Group<'_>, Group { semantics, mids });
    }

    #[test]
    fn msids_survive(stream in token(), track in prop::option::of(token())) {
        survives!(Msid<'_>, Msid { stream, track });
    }

    #[test]
    fn msid_semantics_survive(semantic in token(), identifiers in prop::collection::vec(token(), 0..4)) {
        survives!(MsidSemantic<'_>, MsidSemantic { semantic, identifiers });
    }

    #[test]
    fn rtpmaps_survive(
        payload_type in payload_type(),
        encoding in "[A-Za-z0-9!#$%&'*+.^_`{|}~-]{1,12}".prop_map(cow),
        clock_rate in 1u32..,
        channels in prop::option::of(1u16..),
    ) {
        survives!(RtpMap<'_>, RtpMap { payload_type, encoding, clock_rate, channels });
    }

    #[test]
    fn fmtps_survive(format in token(), parameters in byte_string()) {
        survives!(Fmtp<'_>, Fmtp { format, parameters });
    }

    #[test]
    fn fmtp_getters_read_what_was_written(
        pt in payload_type(),
        apt in payload_type(),
        minptime in any::<u16>(),
        fec in any::<bool>(),
        rate in any::<u32>(),
        plid in any::<[u8; 3]>(),
        mode in 0u8..3,
    ) {
        let params = format!(
            "apt={apt};minptime={minptime};useinbandfec={};maxaveragebitrate={rate}; \
             profile-level-id={:02X}{:02x}{:02X};packetization-mode={mode}",
            u8::from(fec), plid[0], plid[1], plid[2]
        );
        let text = Fmtp::new(pt.to_string(), params).to_string();
        let f = Fmtp::parse(&text).unwrap();
        prop_assert_eq!(f.apt(), Some(apt));
        prop_assert_eq!(f.minptime(), Some(minptime));
        prop_assert_eq!(f.useinbandfec(), Some(fec));
        prop_assert_eq!(f.maxaveragebitrate(), Some(rate));
        prop_assert_eq!(f.packetization_mode(), Some(mode));
        let expected = ProfileLevelId { profile_idc: plid[0], profile_iop: plid[1], level_idc: plid[2] };
        prop_assert_eq!(f.profile_level_id(), Some(expected));
        prop_assert_eq!(expected.to_string().parse::<ProfileLevelId>(), Ok(expected));
    }

    #[test]
    fn rtcp_fbs_survive(
        payload_type in prop::option::of(payload_type()),
        kind in token(),
        parameters in prop::option::of(byte_string()),
    ) {
        survives!(RtcpFb<'_>, RtcpFb { payload_type, kind, parameters });
    }

    #[test]
    fn rtcps_survive(port in any::<u16>(), connection in prop::option::of((token(), token(), vchars()))) {
        survives!(Rtcp<'_>, Rtcp { port, connection });
    }

    #[test]
    fn extmaps_survive(
        id in prop_oneof![1u16..=255, 4096u16..=4351],
        direction in prop::option::of(direction()),
        uri in vchars(),
        attributes in prop::option::of(byte_string()),
    ) {
        survives!(ExtMap<'_>, ExtMap { id, direction, uri, attributes });
    }

    #[test]
    fn ssrcs_survive(ssrc in any::<u32>(), attribute in token(), value in prop::option::of(byte_string())) {
        survives!(Ssrc<'_>, Ssrc { ssrc, attribute, value });
    }

    #[test]
    fn ssrc_groups_survive(semantics in token(), ssrcs in prop::collection::vec(any::<u32>(), 0..5)) {
        survives!(SsrcGroup<'_>, SsrcGroup { semantics, ssrcs });
    }

    #[test]
    fn rids_survive(rid in rid()) {
        survives!(Rid<'_>, rid);
    }

    #[test]
    fn simulcasts_survive(simulcast in simulcast()) {
        survives!(Simulcast<'_>, simulcast);
    }

    #[test]
    fn sctp_values_survive(port in any::<u16>(), size in any::<u64>()) {
        survives!(SctpPort, SctpPort(port));
        survives!(MaxMessageSize, MaxMessageSize(size));
    }

    #[test]
    fn candidates_survive(candidate in candidate()) {
        survives!(Candidate<'_>, candidate.clone());
        let init = candidate.to_init_string();
        prop_assert_eq!(Candidate::parse_init(&init), Ok(candidate.clone()));
        let raddr = candidate.extensions.iter().find(|(n, _)| n == "raddr").map(|(_, v)| &**v);
        prop_assert_eq!(candidate.related_address(), raddr);
        prop_assert_eq!(candidate.ip().is_some(), !candidate.is_mdns());
    }
}

// ---------------------------------------------------------------------------------------------
// No input makes a parser panic; whatever parses is written back as read
// ---------------------------------------------------------------------------------------------

/// Runs every parser (and every getter of what parses) on `s`.
fn parse_everything(s: &str) {
    fn check<'a, T: TypedAttribute<'a>>(s: &'a str) -> Option<T> {
        let parsed = T::parse(s).ok()?;
        let _ = parsed.to_string();
        Some(parsed)
    }
    if let Some(o) = check::<IceOptions<'_>>(s) {
        let _ = (o.trickle(), o.ice2());
    }
    if let Some(f) = check::<Fingerprint<'_>>(s) {
        let _ = (f.bytes(), f.is_valid_length(), f.matches(&[0; 32]));
    }
    let _ = HashFunction::parse(s);
    check::<Setup>(s);
    let _ = s.parse::<Direction>();
    check::<Group<'_>>(s);
    check::<Msid<'_>>(s);
    check::<MsidSemantic<'_>>(s);
    check::<RtpMap<'_>>(s);
    if let Some(f) = check::<Fmtp<'_>>(s) {
        let _ = (
            f.params().count(),
            f.get("apt"),
            f.apt(),
            f.profile_level_id(),
            f.packetization_mode(),
        );
        let _ = (
            f.level_asymmetry_allowed(),
            f.minptime(),
            f.useinbandfec(),
            f.stereo(),
        );
        let _ = (
            f.maxaveragebitrate(),
            f.profile_id(),
            f.level_id(),
            f.tier_flag(),
            f.payload_type(),
        );
    }
    let _ = s.parse::<ProfileLevelId>();
    if let Some(r) = check::<RtcpFb<'_>>(s) {
        let _ = (r.subtype(), r.trr_int());
    }
    check::<Rtcp<'_>>(s);
    if let Some(e) = check::<ExtMap<'_>>(s) {
        let _ = e.is_one_byte();
    }
    if let Some(s) = check::<Ssrc<'_>>(s) {
        let _ = s.cname();
    }
    check::<SsrcGroup<'_>>(s);
    if let Some(r) = check::<Rid<'_>>(s) {
        let _ = (
            r.max_width(),
            r.max_height(),
            r.max_fps(),
            r.max_br(),
            r.max_pps(),
            r.max_fs(),
        );
        let _ = (r.max_bpp(), r.depend().map(Iterator::count));
    }
    check::<Simulcast<'_>>(s);
    check::<SctpPort>(s);
    check::<MaxMessageSize>(s);
    if let Some(c) = check::<Candidate<'_>>(s) {
        let _ = (
            c.related_address(),
            c.related_port(),
            c.tcptype(),
            c.generation(),
            c.ufrag(),
        );
        let _ = (
            c.network_id(),
            c.network_cost(),
            c.ip(),
            c.is_mdns(),
            c.to_init_string(),
        );
    }
    let _ = Candidate::parse_init(s);
}

/// Parses `s` as `T`; if it parses, it must be written back exactly.
fn accepted_is_exact<'a, T: TypedAttribute<'a>>(s: &'a str) -> Result<(), TestCaseError> {
    if let Ok(parsed) = T::parse(s) {
        prop_assert_eq!(parsed.to_string(), s, "a={}", T::NAME);
    }
    Ok(())
}

/// Real values to mutate.
const SEEDS: &[&str] = &[
    "trickle ice2",
    CHROME_FINGERPRINT,
    "actpass",
    "BUNDLE 0 1 2",
    "- 6b2c0b69-5d2c-4b6f-9e1f-3c2e1d0f9a8b",
    " WMS *",
    "111 opus/48000/2",
    "102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f",
    "63 111/111",
    "* trr-int 100",
    "96 nack pli",
    "9 IN IP4 0.0.0.0",
    "3/sendonly urn:ietf:params:rtp-hdrext:sdes:mid attr",
    "1234 msid:stream track",
    "SIM 1 2 3",
    "lo send pt=96,97;max-width=320;max-height=180;depend=a,b;max-bpp=1.5",
    "send 1;~2,3 recv 4",
    "262144",
    "842163049 1 udp 1677729535 192.0.2.3 61665 typ srflx raddr 10.0.1.1 rport 8998 generation 0 \
     ufrag EsAw network-id 1 network-cost 10",
    "candidate:1 1 tcp 1518280447 192.0.2.1 9 typ host tcptype active generation 0",
];

/// A seed with a few characters replaced, inserted or removed.
fn mutated() -> impl Strategy<Value = String> {
    let edit = (
        any::<prop::sample::Index>(),
        0u8..3,
        prop_oneof![
            Just(' '),
            Just(':'),
            Just(';'),
            Just(','),
            Just('/'),
            Just('='),
            Just('~'),
            Just('*'),
            Just('0'),
            Just('9'),
            Just('+'),
            Just('-'),
            Just('.'),
            Just('a'),
            Just('\u{e9}'),
            Just('\r'),
            any::<char>(),
        ],
    );
    (
        prop::sample::select(SEEDS),
        prop::collection::vec(edit, 1..4),
    )
        .prop_map(|(seed, edits)| {
            let mut chars: Vec<char> = seed.chars().collect();
            for (index, op, c) in edits {
                let at = index.index(chars.len() + 1);
                match op {
                    0 => chars.insert(at, c),
                    1 if at < chars.len() => chars[at] = c,
                    _ if at < chars.len() => {
                        chars.remove(at);
                    }
                    _ => chars.push(c),
                }
            }
            chars.into_iter().collect()
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2048, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_strings_never_panic(s in any::<String>()) {
        parse_everything(&s);
    }

    #[test]
    fn sdp_like_strings_never_panic(s in "[ -~]{0,60}") {
        parse_everything(&s);
    }

    #[test]
    fn mutated_values_never_panic_and_parse_exactly(s in mutated()) {
        parse_everything(&s);
        // Every type but the three that canonicalize (hash name case, setup case, the space of
        // msid-semantic) writes back exactly what it accepted.
        accepted_is_exact::<IceOptions<'_>>(&s)?;
        accepted_is_exact::<Group<'_>>(&s)?;
        accepted_is_exact::<Msid<'_>>(&s)?;
        accepted_is_exact::<RtpMap<'_>>(&s)?;
        accepted_is_exact::<Fmtp<'_>>(&s)?;
        accepted_is_exact::<RtcpFb<'_>>(&s)?;
        accepted_is_exact::<Rtcp<'_>>(&s)?;
        accepted_is_exact::<ExtMap<'_>>(&s)?;
        accepted_is_exact::<Ssrc<'_>>(&s)?;
        accepted_is_exact::<SsrcGroup<'_>>(&s)?;
        accepted_is_exact::<Rid<'_>>(&s)?;
        accepted_is_exact::<Simulcast<'_>>(&s)?;
        accepted_is_exact::<SctpPort>(&s)?;
        accepted_is_exact::<MaxMessageSize>(&s)?;
        accepted_is_exact::<Candidate<'_>>(&s)?;
        // The canonicalizing ones are stable after one round.
        if let Ok(f) = Fingerprint::parse(&s) {
            let once = f.to_string();
            prop_assert_eq!(Fingerprint::parse(&once).map(|g| g.to_string()), Ok(once.clone()));
            prop_assert!(once.eq_ignore_ascii_case(&s));
        }
        if let Ok(m) = MsidSemantic::parse(&s) {
            prop_assert_eq!(m.to_string(), s.trim_start_matches(' '));
        }
    }
}
