#![no_main]
//! Arbitrary bytes as an RTP packet (RFC 3550 §5.1, RFC 8285 header extensions). Typed errors
//! only, never a panic; a packet that parses writes back, from its header, payload and padding
//! length, to bytes that parse to the same header, and every header extension element decodes
//! (or fails cleanly) as each typed value.
use libfuzzer_sys::fuzz_target;
use rtc_media::{ExtensionKind, ExtensionMap, ExtensionValue, RtpPacket};

fuzz_target!(|data: &[u8]| {
    let Ok(packet) = RtpPacket::parse(data) else {
        return;
    };
    let _ = format!("{packet:?}");
    assert!(packet.header_len() + packet.padding_len() <= data.len());
    assert_eq!(
        packet.header_len() + packet.payload().len() + packet.padding_len(),
        data.len()
    );
    assert_eq!(
        packet.csrcs().iter().count(),
        usize::from(packet.csrc_count())
    );

    // Every id mapped to every kind in turn: each element decodes or fails with an error.
    for kind in ExtensionKind::ALL {
        let mut map = ExtensionMap::new();
        for id in 1..=255 {
            map.insert(id, kind).expect("ids 1..=255 map");
        }
        let _ = map.values(&packet.extensions());
        for element in packet.extensions().iter() {
            if let Ok(value) = ExtensionValue::parse(kind, element.data) {
                let mut out = [0u8; 256];
                if let Ok(n) = value.emit(&mut out) {
                    assert_eq!(ExtensionValue::parse(kind, &out[..n]), Ok(value));
                }
            }
        }
    }

    // Written again: the header writes unless its extension block came in a form this crate
    // writes only from elements (it does not: received blocks are copied as they are).
    let header = packet.header();
    let padding = u8::try_from(packet.padding_len()).expect("padding count is a byte");
    let mut out = vec![0u8; data.len()];
    let n = header
        .emit_packet(packet.payload(), padding, &mut out)
        .expect("a parsed packet writes back");
    assert_eq!(n, data.len());
    let again = RtpPacket::parse(&out).expect("own output parses");
    assert_eq!(again.header(), header);
    assert_eq!(again.payload(), packet.payload());
    // The fixed header and the CSRCs and extension block are copied byte for byte.
    assert_eq!(&out[1..packet.header_len()], &data[1..packet.header_len()]);
});
