#![no_main]
//! Arbitrary bytes as a compound or reduced-size RTCP packet (RFC 3550 §6, RFC 5506) and as a
//! lone packet. Typed errors only, never a panic; every packet that decodes writes back to
//! bytes that decode to the same value, and writes the same bytes again from that.
use libfuzzer_sys::fuzz_target;
use rtc_media::rtcp::{Compound, CompoundWriter, RtcpPacket};

fn check(packet: &RtcpPacket<'_>) {
    let _ = format!("{packet:?}");
    let len = packet.encoded_len();
    let mut out = vec![0u8; len];
    // Writing can fail only where the writer is stricter than the reader (none here: a parsed
    // packet's counts and values fit their fields).
    let n = packet.emit(&mut out).expect("a parsed packet writes back");
    assert_eq!(n, len);
    let again = RtcpPacket::parse(&out).expect("own output parses");
    assert_eq!(&again, packet);
    let mut twice = vec![0u8; again.encoded_len()];
    again.emit(&mut twice).expect("writes again");
    assert_eq!(twice, out);
}

fuzz_target!(|data: &[u8]| {
    if let Ok(p) = RtcpPacket::parse(data) {
        check(&p);
    }
    let _ = Compound::parse_full(data);
    let Ok(compound) = Compound::parse(data) else {
        return;
    };
    let _ = compound.is_reduced_size();
    let decoded: Vec<RtcpPacket<'_>> = compound.iter().filter_map(Result::ok).collect();
    for p in &decoded {
        check(p);
    }
    // The decoded packets as one compound packet: it parses to the same packets.
    let mut buf = vec![0u8; data.len() * 2 + 64];
    let mut writer = CompoundWriter::new(&mut buf, usize::MAX);
    for p in &decoded {
        writer.push(p).expect("fits");
    }
    let bytes = writer.finish();
    if !bytes.is_empty() {
        let again = Compound::parse(bytes).expect("own compound parses");
        assert!(
            again
                .iter()
                .map(|p| p.expect("decodes"))
                .eq(decoded.iter().copied())
        );
    }
});
