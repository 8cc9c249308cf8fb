//! DCEP messages (RFC 8832 §5) against bytes written by hand from the §5.1 and §5.2 figures:
//! parse, emit, round trips of every channel type, every truncation and malformation, and
//! proptest round trips and robustness.

use proptest::prelude::*;
use rtc_datachannel::{
    ChannelType, DataChannelAck, DataChannelOpen, DcepError, Message, Priority, Reliability,
    TextField, WriteError,
};

/// OPEN: DATA_CHANNEL_RELIABLE, priority 256 ("normal"), parameter 0, label "chat",
/// protocol "".
const CHAT: &[u8] = &[
    0x03, // Message Type: DATA_CHANNEL_OPEN
    0x00, // Channel Type: DATA_CHANNEL_RELIABLE
    0x01, 0x00, // Priority: 256
    0x00, 0x00, 0x00, 0x00, // Reliability Parameter: 0
    0x00, 0x04, // Label Length: 4
    0x00, 0x00, // Protocol Length: 0
    b'c', b'h', b'a', b't', // Label
];

/// OPEN: DATA_CHANNEL_PARTIAL_RELIABLE_REXMIT_UNORDERED with 0 retransmissions (the UDP-like
/// service of RFC 8831 §6.1), priority 128, label "game", protocol "".
const GAME: &[u8] = &[
    0x03, 0x81, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, b'g', b'a', b'm', b'e',
];

/// OPEN: DATA_CHANNEL_PARTIAL_RELIABLE_TIMED, lifetime 3000 ms, priority 1024, empty label,
/// protocol "mqtt".
const MQTT: &[u8] = &[
    0x03, 0x02, 0x04, 0x00, 0x00, 0x00, 0x0b, 0xb8, 0x00, 0x00, 0x00, 0x04, b'm', b'q', b't', b't',
];

/// OPEN with both strings: DATA_CHANNEL_RELIABLE_UNORDERED, priority 512, label "é" (two UTF-8
/// bytes), protocol "xmpp".
const BOTH: &[u8] = &[
    0x03, 0x80, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x04, 0xc3, 0xa9, b'x', b'm',
    b'p', b'p',
];

/// DATA_CHANNEL_ACK (RFC 8832 §5.2).
const ACK: &[u8] = &[0x02];

fn open<'a>(
    channel_type: ChannelType,
    priority: Priority,
    label: &'a str,
    protocol: &'a str,
) -> DataChannelOpen<'a> {
    DataChannelOpen {
        channel_type,
        priority,
        label,
        protocol,
    }
}

/// The hand-written messages and what they mean.
fn vectors() -> Vec<(&'static [u8], Message<'static>)> {
    vec![
        (
            CHAT,
            open(ChannelType::RELIABLE, Priority::NORMAL, "chat", "").into(),
        ),
        (
            GAME,
            open(
                ChannelType::new(false, Reliability::MaxRetransmits(0)),
                Priority::BELOW_NORMAL,
                "game",
                "",
            )
            .into(),
        ),
        (
            MQTT,
            open(
                ChannelType::new(true, Reliability::MaxLifetimeMs(3000)),
                Priority::EXTRA_HIGH,
                "",
                "mqtt",
            )
            .into(),
        ),
        (
            BOTH,
            open(ChannelType::RELIABLE_UNORDERED, Priority::HIGH, "é", "xmpp").into(),
        ),
        (ACK, Message::Ack(DataChannelAck)),
    ]
}

#[test]
fn deconstructs_the_chat_open() {
    let open = DataChannelOpen::parse(CHAT).unwrap();
    assert!(open.channel_type.ordered);
    assert_eq!(open.channel_type.reliability, Reliability::Reliable);
    assert_eq!(open.channel_type.wire_type(), 0x00);
    assert_eq!(open.channel_type.reliability_parameter(), 0);
    assert_eq!(open.priority, Priority(256));
    assert_eq!(open.label, "chat");
    assert_eq!(open.protocol, "");
}

#[test]
fn parses_every_vector() {
    for (bytes, expected) in vectors() {
        assert_eq!(Message::parse(bytes), Ok(expected), "{bytes:02x?}");
        assert_eq!(Message::try_from(bytes), Ok(expected));
        assert_eq!(expected.message_type(), bytes[0]);
    }
    assert_eq!(DataChannelAck::parse(ACK), Ok(DataChannelAck));
}

#[test]
fn emits_every_vector_byte_for_byte() {
    for (bytes, message) in vectors() {
        assert_eq!(message.encoded_len(), Ok(bytes.len()));

        let mut buf = vec![0xee; bytes.len() + 3];
        assert_eq!(message.emit(&mut buf), Ok(bytes.len()));
        assert_eq!(&buf[..bytes.len()], bytes);
        assert_eq!(
            buf[bytes.len()..],
            [0xee; 3],
            "nothing written past the end"
        );

        let mut vec = vec![0x55];
        assert_eq!(message.emit_vec(&mut vec), Ok(bytes.len()));
        assert_eq!(vec[0], 0x55, "appends");
        assert_eq!(&vec[1..], bytes);
    }
    assert_eq!(DataChannelAck.encoded_len(), 1);
    assert_eq!(DataChannelAck::BYTES, ACK);
}

#[test]
fn every_channel_type_round_trips() {
    let cases = [
        (ChannelType::new(true, Reliability::Reliable), 0x00, 0),
        (ChannelType::new(false, Reliability::Reliable), 0x80, 0),
        (
            ChannelType::new(true, Reliability::MaxRetransmits(3)),
            0x01,
            3,
        ),
        (
            ChannelType::new(false, Reliability::MaxRetransmits(0)),
            0x81,
            0,
        ),
        (
            ChannelType::new(true, Reliability::MaxLifetimeMs(u32::MAX)),
            0x02,
            u32::MAX,
        ),
        (
            ChannelType::new(false, Reliability::MaxLifetimeMs(150)),
            0x82,
            150,
        ),
    ];
    for (channel_type, wire_type, parameter) in cases {
        assert_eq!(channel_type.wire_type(), wire_type);
        assert_eq!(channel_type.reliability_parameter(), parameter);
        assert_eq!(
            ChannelType::from_wire(wire_type, parameter),
            Ok(channel_type)
        );

        let message = open(channel_type, Priority::NORMAL, "l", "p");
        let mut buf = [0; 14];
        assert_eq!(message.emit(&mut buf), Ok(14));
        assert_eq!(buf[1], wire_type);
        assert_eq!(buf[4..8], parameter.to_be_bytes());
        assert_eq!(DataChannelOpen::parse(&buf), Ok(message));
    }
    assert_eq!(ChannelType::default(), ChannelType::RELIABLE);
}

#[test]
fn reliable_channels_ignore_the_reliability_parameter_on_receipt() {
    // RFC 8832 §5.1: "MUST be set to 0 on the sending side and MUST be ignored on the
    // receiving side".
    for wire_type in [0x00, 0x80] {
        let mut bytes = CHAT.to_vec();
        bytes[1] = wire_type;
        bytes[4..8].copy_from_slice(&0xdead_beef_u32.to_be_bytes());
        let parsed = DataChannelOpen::parse(&bytes).unwrap();
        assert_eq!(parsed.channel_type.reliability, Reliability::Reliable);
        assert_eq!(parsed.channel_type.ordered, wire_type == 0x00);

        let mut out = Vec::new();
        parsed.emit_vec(&mut out).unwrap();
        assert_eq!(out[4..8], [0; 4], "written as 0");
        assert_eq!(DataChannelOpen::parse(&out), Ok(parsed));
    }
}

#[test]
fn every_truncation_is_an_error() {
    for (bytes, _) in vectors() {
        for len in 0..bytes.len() {
            let err = Message::parse(&bytes[..len]).unwrap_err();
            assert!(
                matches!(err, DcepError::Truncated { available, needed, .. }
                    if available == len && needed > len),
                "{len} of {bytes:02x?}: {err:?}"
            );
        }
    }
    assert_eq!(
        Message::parse(&CHAT[..13]),
        Err(DcepError::Truncated {
            what: "DATA_CHANNEL_OPEN",
            needed: 16,
            available: 13
        })
    );
    assert_eq!(
        Message::parse(&[]),
        Err(DcepError::Truncated {
            what: "DCEP message",
            needed: 1,
            available: 0
        })
    );
}

#[test]
fn lengths_overrunning_the_message_are_truncation() {
    // Label Length 0xffff and Protocol Length 0xffff with four bytes after the header.
    let mut bytes = CHAT.to_vec();
    bytes[8..12].copy_from_slice(&[0xff; 4]);
    assert_eq!(
        Message::parse(&bytes),
        Err(DcepError::Truncated {
            what: "DATA_CHANNEL_OPEN",
            needed: 12 + 2 * 65_535,
            available: 16
        })
    );
    // The protocol length alone overruns.
    let mut bytes = CHAT.to_vec();
    bytes[11] = 1;
    assert!(matches!(
        Message::parse(&bytes),
        Err(DcepError::Truncated { needed: 17, .. })
    ));
}

#[test]
fn trailing_bytes_are_an_error() {
    for (bytes, message) in vectors() {
        let mut longer = bytes.to_vec();
        longer.extend_from_slice(&[0, 0]);
        let what = match message {
            Message::Open(_) => "DATA_CHANNEL_OPEN",
            Message::Ack(_) => "DATA_CHANNEL_ACK",
        };
        assert_eq!(
            Message::parse(&longer),
            Err(DcepError::TrailingBytes { what, count: 2 })
        );
    }
}

#[test]
fn unknown_message_types_are_refused() {
    // RFC 8832 §8.2.1: 0x00, 0x01 and 0xff reserved, 0x04-0xfe unassigned.
    for t in [0x00, 0x01, 0x04, 0x7f, 0xfe, 0xff] {
        let mut bytes = CHAT.to_vec();
        bytes[0] = t;
        assert_eq!(
            Message::parse(&bytes),
            Err(DcepError::UnknownMessageType(t))
        );
        assert_eq!(Message::parse(&[t]), Err(DcepError::UnknownMessageType(t)));
    }
}

#[test]
fn parsing_one_message_type_refuses_the_other() {
    assert_eq!(
        DataChannelOpen::parse(ACK),
        Err(DcepError::UnexpectedMessageType {
            expected: 0x03,
            found: 0x02
        })
    );
    assert_eq!(
        DataChannelAck::parse(CHAT),
        Err(DcepError::UnexpectedMessageType {
            expected: 0x02,
            found: 0x03
        })
    );
}

#[test]
fn unknown_channel_types_are_refused() {
    // RFC 8832 §8.2.2: 0x7f and 0xff reserved; 0x03 and 0x83 unassigned.
    for t in [0x03, 0x7f, 0x83, 0xff, 0x40] {
        let mut bytes = CHAT.to_vec();
        bytes[1] = t;
        assert_eq!(
            Message::parse(&bytes),
            Err(DcepError::UnknownChannelType(t))
        );
    }
}

#[test]
fn label_and_protocol_must_be_utf8() {
    let mut bytes = BOTH.to_vec();
    bytes[13] = 0x41; // "é" cut after its first byte
    assert_eq!(
        Message::parse(&bytes),
        Err(DcepError::InvalidUtf8 {
            field: TextField::Label,
            valid_up_to: 0
        })
    );
    let mut bytes = BOTH.to_vec();
    bytes[16] = 0xff;
    assert_eq!(
        Message::parse(&bytes),
        Err(DcepError::InvalidUtf8 {
            field: TextField::Protocol,
            valid_up_to: 2
        })
    );
}

#[test]
fn accepts_the_longest_label_and_protocol() {
    // RFC 8832 §7: a receiver must be prepared for both fields at 65535 bytes.
    let label = "l".repeat(65_535);
    let protocol = "p".repeat(65_535);
    let message = open(ChannelType::RELIABLE, Priority::NORMAL, &label, &protocol);
    let mut bytes = Vec::new();
    assert_eq!(message.emit_vec(&mut bytes), Ok(12 + 2 * 65_535));
    assert_eq!(bytes[8..12], [0xff; 4]);
    assert_eq!(DataChannelOpen::parse(&bytes), Ok(message));
}

#[test]
fn too_long_strings_and_small_buffers_are_write_errors() {
    let long = "x".repeat(65_536);
    let message = open(ChannelType::RELIABLE, Priority::NORMAL, "", &long);
    let err = WriteError::TooLong {
        field: TextField::Protocol,
        length: 65_536,
    };
    assert_eq!(message.encoded_len(), Err(err));
    assert_eq!(message.emit(&mut vec![0; 70_000]), Err(err));

    for (bytes, message) in vectors() {
        for len in 0..bytes.len() {
            assert_eq!(
                message.emit(&mut vec![0; len]),
                Err(WriteError::BufferTooSmall {
                    needed: bytes.len(),
                    available: len
                })
            );
        }
    }
}

#[test]
fn errors_display_without_panicking() {
    let e = DcepError::InvalidUtf8 {
        field: TextField::Label,
        valid_up_to: 3,
    };
    assert_eq!(
        e.to_string(),
        "DATA_CHANNEL_OPEN label is not UTF-8 (valid up to byte 3)"
    );
    assert_eq!(
        DcepError::UnknownMessageType(0xff).to_string(),
        "unknown DCEP message type 0xff"
    );
}

fn channel_type() -> impl Strategy<Value = ChannelType> {
    let reliability = prop_oneof![
        Just(Reliability::Reliable),
        any::<u32>().prop_map(Reliability::MaxRetransmits),
        any::<u32>().prop_map(Reliability::MaxLifetimeMs),
    ];
    (any::<bool>(), reliability).prop_map(|(ordered, r)| ChannelType::new(ordered, r))
}

proptest! {
    #[test]
    fn open_round_trips(
        channel_type in channel_type(),
        priority in any::<u16>(),
        label in ".{0,40}",
        protocol in ".{0,40}",
    ) {
        let message = open(channel_type, Priority(priority), &label, &protocol);
        let len = message.encoded_len().unwrap();
        prop_assert_eq!(len, 12 + label.len() + protocol.len());
        let mut buf = vec![0; len];
        prop_assert_eq!(message.emit(&mut buf), Ok(len));
        let mut vec = Vec::new();
        prop_assert_eq!(message.emit_vec(&mut vec), Ok(len));
        prop_assert_eq!(&vec, &buf);
        prop_assert_eq!(Message::parse(&buf), Ok(Message::Open(message)));
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        if let Ok(message) = Message::parse(&bytes) {
            // Whatever parses writes back to a message that parses to the same value; the bytes
            // are the same unless a reliable channel carried a nonzero parameter.
            let mut out = Vec::new();
            message.emit_vec(&mut out).unwrap();
            prop_assert_eq!(out.len(), bytes.len());
            prop_assert_eq!(Message::parse(&out), Ok(message));
        }
    }

    #[test]
    fn well_framed_opens_parse_exactly_when_their_fields_are_valid(
        wire_type in any::<u8>(),
        priority in any::<u16>(),
        parameter in any::<u32>(),
        label in proptest::collection::vec(any::<u8>(), 0..12),
        protocol in proptest::collection::vec(any::<u8>(), 0..12),
    ) {
        let mut bytes = vec![0x03, wire_type];
        bytes.extend_from_slice(&priority.to_be_bytes());
        bytes.extend_from_slice(&parameter.to_be_bytes());
        bytes.extend_from_slice(&(label.len() as u16).to_be_bytes());
        bytes.extend_from_slice(&(protocol.len() as u16).to_be_bytes());
        bytes.extend_from_slice(&label);
        bytes.extend_from_slice(&protocol);

        let known = matches!(wire_type, 0x00 | 0x01 | 0x02 | 0x80 | 0x81 | 0x82);
        let utf8 = std::str::from_utf8(&label).is_ok() && std::str::from_utf8(&protocol).is_ok();
        match DataChannelOpen::parse(&bytes) {
            Ok(open) => {
                prop_assert!(known && utf8);
                prop_assert_eq!(open.channel_type.wire_type(), wire_type);
                prop_assert_eq!(open.priority, Priority(priority));
                prop_assert_eq!(open.label.as_bytes(), &label[..]);
                prop_assert_eq!(open.protocol.as_bytes(), &protocol[..]);
                let mut out = Vec::new();
                open.emit_vec(&mut out).unwrap();
                if wire_type & 0x7f != 0 {
                    prop_assert_eq!(&out, &bytes, "partially reliable: byte for byte");
                }
                prop_assert_eq!(DataChannelOpen::parse(&out), Ok(open));
            }
            Err(DcepError::UnknownChannelType(t)) => prop_assert!(!known && t == wire_type),
            Err(DcepError::InvalidUtf8 { .. }) => prop_assert!(known && !utf8),
            Err(e) => prop_assert!(false, "unexpected {:?}", e),
        }
    }

    #[test]
    fn mutated_open_headers_never_panic(
        index in 0usize..12,
        value in any::<u8>(),
        cut in 0usize..=18,
    ) {
        let mut bytes = BOTH.to_vec();
        bytes[index] = value;
        bytes.truncate(cut);
        let _ = Message::parse(&bytes);
    }
}
