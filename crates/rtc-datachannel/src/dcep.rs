//! The Data Channel Establishment Protocol's two messages (RFC 8832 §5): DATA_CHANNEL_OPEN and
//! DATA_CHANNEL_ACK.
//!
//! A DCEP message is the whole payload of one SCTP user message with PPID 50
//! ([`crate::Ppid::DCEP`]), sent ordered and reliable on the stream of the data channel it
//! opens (RFC 8832 §6). Parsing borrows: the label and protocol of a [`DataChannelOpen`] are
//! `&str`s into the received bytes, checked to be UTF-8 once.
//!
//! The message's own fields define where it ends (the ACK is one byte, the OPEN twelve plus its
//! two lengths), so bytes after that end are not padding but a malformed message:
//! [`DcepError::TrailingBytes`], which RFC 8832 §6 answers like any other malformed OPEN, by
//! closing the channel.

use crate::error::{DcepError, TextField, WriteError};
use crate::priority::Priority;

/// Message Type of DATA_CHANNEL_ACK (RFC 8832 §5.2, §8.2.1).
pub const DATA_CHANNEL_ACK: u8 = 0x02;
/// Message Type of DATA_CHANNEL_OPEN (RFC 8832 §5.1, §8.2.1).
pub const DATA_CHANNEL_OPEN: u8 = 0x03;

/// Channel Type DATA_CHANNEL_RELIABLE (RFC 8832 §5.1, §8.2.2).
pub const DATA_CHANNEL_RELIABLE: u8 = 0x00;
/// Channel Type DATA_CHANNEL_RELIABLE_UNORDERED (RFC 8832 §5.1, §8.2.2).
pub const DATA_CHANNEL_RELIABLE_UNORDERED: u8 = 0x80;
/// Channel Type DATA_CHANNEL_PARTIAL_RELIABLE_REXMIT (RFC 8832 §5.1, §8.2.2).
pub const DATA_CHANNEL_PARTIAL_RELIABLE_REXMIT: u8 = 0x01;
/// Channel Type DATA_CHANNEL_PARTIAL_RELIABLE_REXMIT_UNORDERED (RFC 8832 §5.1, §8.2.2).
pub const DATA_CHANNEL_PARTIAL_RELIABLE_REXMIT_UNORDERED: u8 = 0x81;
/// Channel Type DATA_CHANNEL_PARTIAL_RELIABLE_TIMED (RFC 8832 §5.1, §8.2.2).
pub const DATA_CHANNEL_PARTIAL_RELIABLE_TIMED: u8 = 0x02;
/// Channel Type DATA_CHANNEL_PARTIAL_RELIABLE_TIMED_UNORDERED (RFC 8832 §5.1, §8.2.2).
pub const DATA_CHANNEL_PARTIAL_RELIABLE_TIMED_UNORDERED: u8 = 0x82;

/// RFC 8832 §8.2.2: the high-order bit of a Channel Type says the delivery is unordered.
const UNORDERED_BIT: u8 = 0x80;

/// Bytes of a DATA_CHANNEL_OPEN before its label: type, channel type, priority, reliability
/// parameter, the two lengths (RFC 8832 §5.1).
const OPEN_HEADER_LEN: usize = 12;

/// How hard SCTP tries to deliver a data channel's messages (RFC 8831 §6.4, RFC 8832 §5.1):
/// the low seven bits of the Channel Type with the Reliability Parameter they give meaning to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reliability {
    /// Fully reliable: every message is retransmitted until it arrives. The Reliability
    /// Parameter is 0 on the wire and ignored on receipt.
    Reliable,
    /// Partially reliable (RFC 7496 limited retransmissions): a message is retransmitted at
    /// most this many times. W3C `maxRetransmits`.
    MaxRetransmits(u32),
    /// Partially reliable (RFC 3758 timed reliability): a message is not sent or retransmitted
    /// once this many milliseconds have passed since the application handed it over. W3C
    /// `maxPacketLifeTime`.
    MaxLifetimeMs(u32),
}

/// The Channel Type of a DATA_CHANNEL_OPEN with its Reliability Parameter (RFC 8832 §5.1):
/// ordered or not, and how reliable.
///
/// The six wire values are the six combinations of the two fields; the parameter of a reliable
/// channel is not kept, so a parsed reliable channel type equals [`ChannelType::RELIABLE`] or
/// [`ChannelType::RELIABLE_UNORDERED`] whatever parameter the peer sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ChannelType {
    /// In-order delivery (the W3C default). RFC 8832 §8.2.2: the high-order bit of the Channel
    /// Type is set for unordered channels.
    pub ordered: bool,
    /// Full or partial reliability and its parameter.
    pub reliability: Reliability,
}

impl ChannelType {
    /// DATA_CHANNEL_RELIABLE (0x00): reliable and ordered, the W3C default.
    pub const RELIABLE: Self = Self::new(true, Reliability::Reliable);
    /// DATA_CHANNEL_RELIABLE_UNORDERED (0x80): reliable, delivered as it arrives.
    pub const RELIABLE_UNORDERED: Self = Self::new(false, Reliability::Reliable);

    /// A channel type from its two properties.
    pub const fn new(ordered: bool, reliability: Reliability) -> Self {
        Self {
            ordered,
            reliability,
        }
    }

    /// Decodes the Channel Type byte and the Reliability Parameter (RFC 8832 §5.1). The
    /// parameter of the two reliable types is ignored, as §5.1 requires.
    pub const fn from_wire(
        channel_type: u8,
        reliability_parameter: u32,
    ) -> Result<Self, DcepError> {
        let reliability = match channel_type & !UNORDERED_BIT {
            DATA_CHANNEL_RELIABLE => Reliability::Reliable,
            DATA_CHANNEL_PARTIAL_RELIABLE_REXMIT => {
                Reliability::MaxRetransmits(reliability_parameter)
            }
            DATA_CHANNEL_PARTIAL_RELIABLE_TIMED => {
                Reliability::MaxLifetimeMs(reliability_parameter)
            }
            // Unassigned, or reserved (0x7f, 0xff) by RFC 8832 §8.2.2.
            _ => return Err(DcepError::UnknownChannelType(channel_type)),
        };
        Ok(Self::new(channel_type & UNORDERED_BIT == 0, reliability))
    }

    /// The Channel Type byte (RFC 8832 §5.1, §8.2.2).
    pub const fn wire_type(self) -> u8 {
        let base = match self.reliability {
            Reliability::Reliable => DATA_CHANNEL_RELIABLE,
            Reliability::MaxRetransmits(_) => DATA_CHANNEL_PARTIAL_RELIABLE_REXMIT,
            Reliability::MaxLifetimeMs(_) => DATA_CHANNEL_PARTIAL_RELIABLE_TIMED,
        };
        if self.ordered {
            base
        } else {
            base | UNORDERED_BIT
        }
    }

    /// The Reliability Parameter: 0 for reliable channels ("MUST be set to 0 on the sending
    /// side", RFC 8832 §5.1), else the retransmission limit or the lifetime in milliseconds.
    pub const fn reliability_parameter(self) -> u32 {
        match self.reliability {
            Reliability::Reliable => 0,
            Reliability::MaxRetransmits(n) | Reliability::MaxLifetimeMs(n) => n,
        }
    }
}

impl Default for ChannelType {
    /// [`ChannelType::RELIABLE`], the W3C `RTCDataChannelInit` default.
    fn default() -> Self {
        Self::RELIABLE
    }
}

/// DATA_CHANNEL_OPEN (RFC 8832 §5.1), borrowing its label and protocol from the received bytes.
///
/// ```text
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |  Message Type |  Channel Type |            Priority           |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                    Reliability Parameter                      |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |         Label Length          |       Protocol Length         |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                 Label, then Protocol (no padding)             |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DataChannelOpen<'a> {
    /// Channel Type and Reliability Parameter.
    pub channel_type: ChannelType,
    /// Priority (RFC 8831 §6.4): any 16-bit value on the wire; WebRTC uses the four
    /// [`Priority`] constants.
    pub priority: Priority,
    /// The channel's name, possibly empty; not unique (RFC 8832 §4).
    pub label: &'a str,
    /// The subprotocol, from the IANA WebSocket Subprotocol Name Registry, or empty for
    /// unspecified (RFC 8832 §5.1).
    pub protocol: &'a str,
}

impl<'a> DataChannelOpen<'a> {
    /// Parses a DATA_CHANNEL_OPEN: exactly one message, no bytes after its protocol.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, DcepError> {
        match Message::parse(bytes)? {
            Message::Open(open) => Ok(open),
            Message::Ack(_) => Err(DcepError::UnexpectedMessageType {
                expected: DATA_CHANNEL_OPEN,
                found: DATA_CHANNEL_ACK,
            }),
        }
    }

    /// Parses the message once its first byte is known to be [`DATA_CHANNEL_OPEN`].
    fn parse_open(bytes: &'a [u8]) -> Result<Self, DcepError> {
        let Some((header, rest)) = bytes.split_first_chunk::<OPEN_HEADER_LEN>() else {
            return Err(DcepError::Truncated {
                what: "DATA_CHANNEL_OPEN",
                needed: OPEN_HEADER_LEN,
                available: bytes.len(),
            });
        };
        let label_len = usize::from(u16::from_be_bytes([header[8], header[9]]));
        let protocol_len = usize::from(u16::from_be_bytes([header[10], header[11]]));
        let body_len = label_len + protocol_len;
        if rest.len() < body_len {
            return Err(DcepError::Truncated {
                what: "DATA_CHANNEL_OPEN",
                needed: OPEN_HEADER_LEN + body_len,
                available: bytes.len(),
            });
        }
        if rest.len() > body_len {
            return Err(DcepError::TrailingBytes {
                what: "DATA_CHANNEL_OPEN",
                count: rest.len() - body_len,
            });
        }
        let (label, protocol) = rest.split_at(label_len);
        let reliability_parameter =
            u32::from_be_bytes([header[4], header[5], header[6], header[7]]);
        Ok(Self {
            channel_type: ChannelType::from_wire(header[1], reliability_parameter)?,
            priority: Priority(u16::from_be_bytes([header[2], header[3]])),
            label: utf8(TextField::Label, label)?,
            protocol: utf8(TextField::Protocol, protocol)?,
        })
    }

    /// Bytes the message takes: twelve plus the label and protocol. Fails when the label or
    /// the protocol is longer than its 16-bit length field allows.
    pub fn encoded_len(&self) -> Result<usize, WriteError> {
        self.lengths()?;
        Ok(OPEN_HEADER_LEN + self.label.len() + self.protocol.len())
    }

    /// Writes the message at the start of `out`; returns the bytes written
    /// ([`DataChannelOpen::encoded_len`]).
    pub fn emit(&self, out: &mut [u8]) -> Result<usize, WriteError> {
        let header = self.header()?;
        let len = OPEN_HEADER_LEN + self.label.len() + self.protocol.len();
        let available = out.len();
        let Some(out) = out.get_mut(..len) else {
            return Err(WriteError::BufferTooSmall {
                needed: len,
                available,
            });
        };
        let (head, body) = out.split_at_mut(OPEN_HEADER_LEN);
        let (label, protocol) = body.split_at_mut(self.label.len());
        head.copy_from_slice(&header);
        label.copy_from_slice(self.label.as_bytes());
        protocol.copy_from_slice(self.protocol.as_bytes());
        Ok(len)
    }

    /// Appends the message to `out`; returns the bytes appended. `out` is unchanged on error.
    pub fn emit_vec(&self, out: &mut Vec<u8>) -> Result<usize, WriteError> {
        let header = self.header()?;
        out.reserve(OPEN_HEADER_LEN + self.label.len() + self.protocol.len());
        out.extend_from_slice(&header);
        out.extend_from_slice(self.label.as_bytes());
        out.extend_from_slice(self.protocol.as_bytes());
        Ok(OPEN_HEADER_LEN + self.label.len() + self.protocol.len())
    }

    /// The Label Length and Protocol Length fields.
    fn lengths(&self) -> Result<(u16, u16), WriteError> {
        Ok((
            len16(TextField::Label, self.label)?,
            len16(TextField::Protocol, self.protocol)?,
        ))
    }

    /// The twelve fixed bytes (RFC 8832 §5.1).
    fn header(&self) -> Result<[u8; OPEN_HEADER_LEN], WriteError> {
        let (label_len, protocol_len) = self.lengths()?;
        let mut h = [0; OPEN_HEADER_LEN];
        h[0] = DATA_CHANNEL_OPEN;
        h[1] = self.channel_type.wire_type();
        h[2..4].copy_from_slice(&self.priority.0.to_be_bytes());
        h[4..8].copy_from_slice(&self.channel_type.reliability_parameter().to_be_bytes());
        h[8..10].copy_from_slice(&label_len.to_be_bytes());
        h[10..12].copy_from_slice(&protocol_len.to_be_bytes());
        Ok(h)
    }
}

/// DATA_CHANNEL_ACK (RFC 8832 §5.2): the Message Type byte alone, sent on the stream of the
/// DATA_CHANNEL_OPEN it answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct DataChannelAck;

impl DataChannelAck {
    /// The whole message on the wire.
    pub const BYTES: [u8; 1] = [DATA_CHANNEL_ACK];

    /// Parses a DATA_CHANNEL_ACK: the single byte 0x02.
    pub fn parse(bytes: &[u8]) -> Result<Self, DcepError> {
        match Message::parse(bytes)? {
            Message::Ack(ack) => Ok(ack),
            Message::Open(_) => Err(DcepError::UnexpectedMessageType {
                expected: DATA_CHANNEL_ACK,
                found: DATA_CHANNEL_OPEN,
            }),
        }
    }

    /// Bytes the message takes: 1.
    pub const fn encoded_len(&self) -> usize {
        Self::BYTES.len()
    }

    /// Writes the message at the start of `out`; returns 1.
    pub fn emit(&self, out: &mut [u8]) -> Result<usize, WriteError> {
        let Some(first) = out.first_mut() else {
            return Err(WriteError::BufferTooSmall {
                needed: 1,
                available: 0,
            });
        };
        *first = DATA_CHANNEL_ACK;
        Ok(1)
    }

    /// Appends the message to `out`; returns 1.
    pub fn emit_vec(&self, out: &mut Vec<u8>) -> usize {
        out.push(DATA_CHANNEL_ACK);
        1
    }
}

/// A DCEP message: the payload of an SCTP user message with PPID 50 (RFC 8832 §5, §8.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Message<'a> {
    /// DATA_CHANNEL_OPEN (RFC 8832 §5.1).
    Open(DataChannelOpen<'a>),
    /// DATA_CHANNEL_ACK (RFC 8832 §5.2).
    Ack(DataChannelAck),
}

impl<'a> Message<'a> {
    /// Parses one DCEP message from a whole user message payload. Fails on an empty or cut
    /// short payload, an unknown Message Type or Channel Type, a label or protocol that is not
    /// UTF-8, and bytes after the message's end.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, DcepError> {
        let Some((&message_type, rest)) = bytes.split_first() else {
            return Err(DcepError::Truncated {
                what: "DCEP message",
                needed: 1,
                available: 0,
            });
        };
        match message_type {
            DATA_CHANNEL_OPEN => DataChannelOpen::parse_open(bytes).map(Self::Open),
            DATA_CHANNEL_ACK if rest.is_empty() => Ok(Self::Ack(DataChannelAck)),
            DATA_CHANNEL_ACK => Err(DcepError::TrailingBytes {
                what: "DATA_CHANNEL_ACK",
                count: rest.len(),
            }),
            // RFC 8832 §8.2.1: 0x00 and 0x01 are reserved (draft versions used them), 0xff for
            // extensions, the rest unassigned.
            other => Err(DcepError::UnknownMessageType(other)),
        }
    }

    /// The Message Type byte: [`DATA_CHANNEL_OPEN`] or [`DATA_CHANNEL_ACK`].
    pub const fn message_type(&self) -> u8 {
        match self {
            Self::Open(_) => DATA_CHANNEL_OPEN,
            Self::Ack(_) => DATA_CHANNEL_ACK,
        }
    }

    /// Bytes the message takes. Fails when an OPEN's label or protocol is longer than its
    /// 16-bit length field allows.
    pub fn encoded_len(&self) -> Result<usize, WriteError> {
        match self {
            Self::Open(open) => open.encoded_len(),
            Self::Ack(ack) => Ok(ack.encoded_len()),
        }
    }

    /// Writes the message at the start of `out`; returns the bytes written
    /// ([`Message::encoded_len`]).
    pub fn emit(&self, out: &mut [u8]) -> Result<usize, WriteError> {
        match self {
            Self::Open(open) => open.emit(out),
            Self::Ack(ack) => ack.emit(out),
        }
    }

    /// Appends the message to `out`; returns the bytes appended. `out` is unchanged on error.
    pub fn emit_vec(&self, out: &mut Vec<u8>) -> Result<usize, WriteError> {
        match self {
            Self::Open(open) => open.emit_vec(out),
            Self::Ack(ack) => Ok(ack.emit_vec(out)),
        }
    }
}

impl<'a> From<DataChannelOpen<'a>> for Message<'a> {
    fn from(open: DataChannelOpen<'a>) -> Self {
        Self::Open(open)
    }
}

impl From<DataChannelAck> for Message<'_> {
    fn from(ack: DataChannelAck) -> Self {
        Self::Ack(ack)
    }
}

impl<'a> TryFrom<&'a [u8]> for Message<'a> {
    type Error = DcepError;

    fn try_from(bytes: &'a [u8]) -> Result<Self, DcepError> {
        Self::parse(bytes)
    }
}

/// RFC 8832 §5.1: label and protocol are UTF-8 (RFC 3629).
fn utf8(field: TextField, bytes: &[u8]) -> Result<&str, DcepError> {
    core::str::from_utf8(bytes).map_err(|e| DcepError::InvalidUtf8 {
        field,
        valid_up_to: e.valid_up_to(),
    })
}

fn len16(field: TextField, text: &str) -> Result<u16, WriteError> {
    u16::try_from(text.len()).map_err(|_| WriteError::TooLong {
        field,
        length: text.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// OPEN, reliable ordered, priority 256, label "chat", protocol "" (RFC 8832 §5.1 layout).
    const CHAT: [u8; 16] = [
        0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, b'c', b'h', b'a',
        b't',
    ];

    #[test]
    fn deconstruct() {
        let open = DataChannelOpen::parse(&CHAT).unwrap();
        assert_eq!(open.channel_type, ChannelType::RELIABLE);
        assert_eq!(open.priority, Priority::NORMAL);
        assert_eq!((open.label, open.protocol), ("chat", ""));
    }

    #[test]
    fn construct() {
        let open = DataChannelOpen {
            channel_type: ChannelType::RELIABLE,
            priority: Priority::NORMAL,
            label: "chat",
            protocol: "",
        };
        let mut buf = [0xaa; 20];
        assert_eq!(open.emit(&mut buf), Ok(16));
        assert_eq!(buf[..16], CHAT);
        assert_eq!(buf[16..], [0xaa; 4], "writes nothing past its length");
    }

    #[test]
    fn every_channel_type_byte() {
        for byte in 0..=u8::MAX {
            match ChannelType::from_wire(byte, 7) {
                Ok(t) => assert_eq!(t.wire_type(), byte),
                Err(e) => {
                    assert_eq!(e, DcepError::UnknownChannelType(byte));
                    assert!(![0x00, 0x01, 0x02, 0x80, 0x81, 0x82].contains(&byte));
                }
            }
        }
    }

    #[test]
    fn too_long_label_is_the_callers_error() {
        let label = "x".repeat(65_536);
        let open = DataChannelOpen {
            channel_type: ChannelType::RELIABLE,
            priority: Priority::NORMAL,
            label: &label,
            protocol: "",
        };
        let err = WriteError::TooLong {
            field: TextField::Label,
            length: 65_536,
        };
        assert_eq!(open.encoded_len(), Err(err));
        let mut out = vec![1];
        assert_eq!(open.emit_vec(&mut out), Err(err));
        assert_eq!(out, [1], "unchanged on error");
    }
}
