#![no_main]
//! Parse anything as a STUN message; whatever parses must decode every attribute, survive
//! integrity checks, and re-emit to bytes that parse to the same attributes.
use libfuzzer_sys::fuzz_target;
use rtc_stun::{IntegrityKey, Message, MessageBuilder};

fuzz_target!(|data: &[u8]| {
    let key = IntegrityKey::short_term("fuzz");
    // The one-call parse and verify agrees with the two calls.
    let separate = Message::parse(data).and_then(|m| m.verify_integrity(&key).map(|()| m));
    let together = Message::parse_verified(data, &key);
    assert_eq!(
        together.map(|m| m.as_bytes()),
        separate.map(|m| m.as_bytes())
    );
    let Ok(m) = Message::parse_allow_rfc3489(data) else {
        return;
    };
    let _ = m.verify_integrity(&key);
    let _ = format!("{m:?}");
    if m.is_rfc3489() {
        return;
    }
    // Re-emit the processed attributes (integrity and fingerprint included, as raw values).
    let mut buf = vec![0u8; data.len() + 64];
    let Ok(mut b) = MessageBuilder::new(&mut buf, m.class(), m.method(), m.transaction_id()) else {
        return;
    };
    for a in m.attributes() {
        if b.add(&a).is_err() {
            return;
        }
    }
    let again = b.finish();
    if let Ok(m2) = Message::parse(again) {
        assert!(m.attributes().eq(m2.attributes()));
    }
});
