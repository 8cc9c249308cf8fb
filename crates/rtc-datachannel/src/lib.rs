//! WebRTC data channels, sans-IO: [`DataChannels`] runs the channels of one peer connection
//! (RFC 8831) on an `rtc-sctp` association it owns, opening them in band with the Data Channel
//! Establishment Protocol (DCEP, RFC 8832) or out of band, and closing them by stream reset. It
//! has the association's shape: packets and time in, packets and [`Event`]s out.
//!
//! Under it, the DCEP wire format and the constants of RFC 8831, usable on their own. Parsing
//! allocates nothing; the crate reads no clock and draws no randomness.
//!
//! - [`Message`]: a DCEP message, [`DataChannelOpen`] (RFC 8832 §5.1) or [`DataChannelAck`]
//!   (§5.2), parsed from a borrowed payload and written into a caller's buffer or `Vec`.
//! - [`ChannelType`] and [`Reliability`]: ordered or not, reliable or partially reliable
//!   (retransmission limit or lifetime), as the Channel Type and Reliability Parameter say.
//! - [`Ppid`]: the Payload Protocol Identifiers of RFC 8831 §8 and RFC 8832 §8.1.
//! - [`Priority`]: the channel priorities of RFC 8831 §6.4.
//! - [`DtlsRole`]: the even/odd stream id rule of RFC 8832 §6.
//!
//! How a data channel layer answers what the association delivers (the same shape as every
//! protocol crate of this stack: input in, output queued for the caller to send):
//!
//! ```
//! use rtc_datachannel::{DataChannelAck, DtlsRole, Message, Ppid};
//!
//! /// A user message the SCTP association delivered or is to send.
//! struct UserMessage { stream_id: u16, ppid: Ppid, payload: Vec<u8> }
//!
//! fn handle(role: DtlsRole, input: &UserMessage, output: &mut Vec<UserMessage>) {
//!     if input.ppid != Ppid::DCEP {
//!         return; // user data for an open channel
//!     }
//!     match Message::parse(&input.payload) {
//!         // RFC 8832 §6: the peer opens on its own parity; answer on the same stream.
//!         Ok(Message::Open(open)) if role.peer().may_open(input.stream_id) => {
//!             println!("channel {:?} opened on stream {}", open.label, input.stream_id);
//!             let mut payload = Vec::new();
//!             DataChannelAck.emit_vec(&mut payload);
//!             output.push(UserMessage { stream_id: input.stream_id, ppid: Ppid::DCEP, payload });
//!         }
//!         Ok(Message::Ack(_)) => {} // our OPEN on this stream was accepted
//!         _ => {} // RFC 8832 §6: refuse by resetting the stream, send no ACK
//!     }
//! }
//!
//! let open = [3, 0, 1, 0, 0, 0, 0, 0, 0, 4, 0, 0, b'c', b'h', b'a', b't'];
//! let mut output = Vec::new();
//! let from_client = UserMessage { stream_id: 0, ppid: Ppid::DCEP, payload: open.to_vec() };
//! handle(DtlsRole::Server, &from_client, &mut output);
//! assert_eq!(output[0].payload, DataChannelAck::BYTES);
//! ```

#![forbid(unsafe_code)]

mod channels;
mod dcep;
mod error;
mod ppid;
mod priority;
mod stream_id;

pub use channels::{ChannelError, ChannelOptions, ChannelState, DataChannels, Event};
pub use dcep::{
    ChannelType, DATA_CHANNEL_ACK, DATA_CHANNEL_OPEN, DATA_CHANNEL_PARTIAL_RELIABLE_REXMIT,
    DATA_CHANNEL_PARTIAL_RELIABLE_REXMIT_UNORDERED, DATA_CHANNEL_PARTIAL_RELIABLE_TIMED,
    DATA_CHANNEL_PARTIAL_RELIABLE_TIMED_UNORDERED, DATA_CHANNEL_RELIABLE,
    DATA_CHANNEL_RELIABLE_UNORDERED, DataChannelAck, DataChannelOpen, Message, Reliability,
};
pub use error::{DcepError, TextField, WriteError};
pub use ppid::Ppid;
pub use priority::Priority;
pub use stream_id::{DtlsRole, MAX_STREAM_ID};
