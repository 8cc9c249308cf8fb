#![no_main]
//! Arbitrary bytes as the payload of an SCTP user message with PPID 50: a DCEP message
//! (RFC 8832 §5). Typed errors only, never a panic; whatever parses writes back to bytes of the
//! same length that parse to the same value, and to the same bytes unless a reliable channel
//! carried a nonzero Reliability Parameter (ignored on receipt, RFC 8832 §5.1).
use libfuzzer_sys::fuzz_target;
use rtc_datachannel::{DataChannelAck, DataChannelOpen, Message, Reliability};

fuzz_target!(|data: &[u8]| {
    let parsed = Message::parse(data);
    // The typed entry points agree with the generic one.
    match &parsed {
        Ok(Message::Open(open)) => assert_eq!(DataChannelOpen::parse(data).as_ref(), Ok(open)),
        Ok(Message::Ack(_)) => assert_eq!(DataChannelAck::parse(data), Ok(DataChannelAck)),
        Err(e) => {
            let _ = e.to_string();
            assert!(DataChannelOpen::parse(data).is_err());
            assert!(DataChannelAck::parse(data).is_err());
        }
    }
    let Ok(message) = parsed else { return };

    let len = message
        .encoded_len()
        .expect("a parsed message has 16-bit lengths");
    assert_eq!(len, data.len());
    let mut buf = vec![0u8; len];
    assert_eq!(message.emit(&mut buf), Ok(len));
    assert!(message.emit(&mut buf[..len - 1]).is_err());
    let mut vec = Vec::new();
    assert_eq!(message.emit_vec(&mut vec), Ok(len));
    assert_eq!(vec, buf);
    assert_eq!(Message::parse(&buf), Ok(message));

    let reliable = matches!(
        message,
        Message::Open(open) if open.channel_type.reliability == Reliability::Reliable
    );
    if reliable {
        assert_eq!(buf[..4], data[..4]);
        assert_eq!(buf[8..], data[8..]);
    } else {
        assert_eq!(buf, data);
    }
});
