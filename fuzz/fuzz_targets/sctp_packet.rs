#![no_main]
//! Arbitrary bytes as an SCTP packet, with and without checksum verification, and as a lone
//! chunk: every chunk decoded, every parameter, error cause, gap block, duplicate TSN and
//! stream list iterated to its end. Typed errors only, never a panic; whatever parses writes
//! back to bytes that parse to the same value, chunk by chunk and as a whole packet.
use libfuzzer_sys::fuzz_target;
use rtc_sctp::{
    ChecksumPolicy, Chunk, ErrorCause, ErrorCauses, Packet, PacketWriter, Param, Params, RawChunk,
};

fn walk_params(params: &Params<'_>) {
    for raw in params.raw() {
        let _ = (raw.tlv_type(), raw.value(), raw.as_bytes());
    }
    for p in params.iter() {
        let Ok(p) = p else { continue };
        let _ = p.param_type().unrecognized_action();
        match p {
            Param::SupportedAddressTypes(l) | Param::RequestedHmacAlgorithms(l) => {
                assert_eq!(l.iter().count(), l.len());
            }
            Param::OutgoingSsnResetRequest(r) => {
                assert_eq!(r.streams.iter().count(), r.streams.len());
            }
            Param::IncomingSsnResetRequest(r) => {
                assert_eq!(r.streams.iter().count(), r.streams.len());
            }
            _ => {}
        }
    }
}

fn walk_causes(causes: &ErrorCauses<'_>) {
    for c in causes.iter() {
        if let Ok(ErrorCause::MissingMandatoryParameter(l)) = c {
            assert_eq!(l.iter().count(), l.len());
        }
    }
    let _ = causes.raw().count();
}

/// Iterates everything inside `chunk`, then writes it and parses it back.
fn check_chunk(chunk: &Chunk<'_>) {
    match chunk {
        Chunk::Init(i) | Chunk::InitAck(i) => {
            walk_params(&i.params);
            let _ = (i.state_cookie(), i.supported_extensions());
        }
        Chunk::ReConfig(r) => walk_params(&r.params),
        Chunk::Abort(a) => walk_causes(&a.causes),
        Chunk::Error(e) => walk_causes(&e.causes),
        Chunk::Sack(s) => {
            assert_eq!(s.gap_ack_blocks.iter().count(), s.gap_ack_blocks.len());
            assert_eq!(s.duplicate_tsns.iter().count(), s.duplicate_tsns.len());
        }
        Chunk::ForwardTsn(f) => assert_eq!(f.streams.iter().count(), f.streams.len()),
        Chunk::IForwardTsn(f) => assert_eq!(f.streams.iter().count(), f.streams.len()),
        Chunk::IData(d) => {
            let _ = (d.beginning(), d.fsn());
        }
        Chunk::Unknown(u) => {
            let _ = u.action();
        }
        _ => {}
    }
    let _ = format!("{chunk:?}");
    let mut out = Vec::new();
    let n = chunk.emit_vec(&mut out).expect("a parsed chunk writes");
    assert_eq!(n, out.len());
    assert_eq!(&Chunk::parse(&out).expect("own output parses"), chunk);
}

fuzz_target!(|data: &[u8]| {
    let _ = Packet::parse(data);
    let _ = Packet::parse_with(data, ChecksumPolicy::AcceptZero);
    if let Ok(chunk) = Chunk::parse(data) {
        check_chunk(&chunk);
    }
    if let Ok((raw, _rest)) = RawChunk::split(data) {
        let _ = raw.decode();
    }

    let Ok(packet) = Packet::parse_with(data, ChecksumPolicy::Skip) else {
        return;
    };
    let decoded: Vec<Chunk<'_>> = packet
        .chunks()
        .filter_map(|raw| {
            let _ = (raw.chunk_type(), raw.flags(), raw.len(), raw.as_bytes());
            raw.decode().ok()
        })
        .collect();
    for chunk in &decoded {
        check_chunk(chunk);
    }
    if decoded.is_empty() {
        return;
    }
    // The decoded chunks as one packet: it parses with its checksum, to the same chunks.
    let header = packet.header();
    let mut buf = vec![0u8; data.len() + 16];
    let mut writer = PacketWriter::new(
        &mut buf,
        usize::MAX,
        header.source_port,
        header.destination_port,
        header.verification_tag,
    )
    .expect("buffer holds a header");
    for chunk in &decoded {
        writer.push(chunk).expect("fits: no longer than its input");
    }
    let bytes = writer.finish();
    let again = Packet::parse(bytes).expect("own packet parses");
    assert!(
        again
            .chunks()
            .map(|c| c.decode())
            .eq(decoded.iter().map(|c| Ok(*c)))
    );
});
