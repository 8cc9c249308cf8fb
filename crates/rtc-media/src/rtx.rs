//! Retransmission in a separate stream (RFC 4588, SSRC-multiplexed as WebRTC uses it).
//!
//! An RTX packet carries a lost packet again under the RTX SSRC and payload type, with
//! sequence numbers of its own, the original timestamp, marker bit, CSRCs and header
//! extension, and a payload that starts with the original sequence number (OSN) (§4).
//!
//! - Send side: [`RtxSender`] keeps the packets sent lately (bounded by count and age), takes
//!   the NACKs about them and writes the retransmissions. A packet is not sent again within one
//!   RTT of its last retransmission: the request crossed the retransmission in flight.
//! - Receive side: [`RtxReceiver`] turns an RTX packet back into the original packet (for the
//!   jitter buffer, or rewritten whole for forwarding). RTX packets without a payload are the
//!   padding that libwebrtc sends to probe bandwidth: they carry no OSN and are ignored.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::jitter_buffer::MediaPacket;
use crate::rtcp::Nack;
use crate::rtp::{RtpHeader, RtpPacket};
use crate::seq::{Epoch, duration_nanos};
use crate::{ParseError, WriteError};

/// An original payload type and the RTX payload type that retransmits it (SDP's
/// `a=fmtp:<rtx> apt=<original>`, RFC 4588 §8.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RtxPayloadType {
    /// The original payload type (`apt`).
    pub original: u8,
    /// The RTX payload type.
    pub rtx: u8,
}

/// An [`RtxSender`]'s settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtxSenderConfig {
    /// The media stream whose packets are kept.
    pub media_ssrc: u32,
    /// The RTX stream's SSRC.
    pub rtx_ssrc: u32,
    /// RTX payload types by original payload type; packets of other types are not
    /// retransmitted.
    pub payload_types: Vec<RtxPayloadType>,
    /// The first RTX sequence number (random, RFC 3550 §5.1; the caller's to draw).
    pub first_sequence_number: u16,
    /// Packets kept, rounded up to a power of two (at most 32768).
    pub capacity: usize,
    /// How long a packet is kept.
    pub max_age: Duration,
}

impl RtxSenderConfig {
    /// Keeps 1024 packets for at most a second.
    pub fn new(media_ssrc: u32, rtx_ssrc: u32, payload_types: Vec<RtxPayloadType>) -> Self {
        Self {
            media_ssrc,
            rtx_ssrc,
            payload_types,
            first_sequence_number: 0,
            capacity: 1024,
            max_age: Duration::from_secs(1),
        }
    }
}

/// What an [`RtxSender`] counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct RtxSenderStats {
    /// Sequence numbers asked for in NACKs about our media SSRC.
    pub requested: u64,
    /// Retransmissions written.
    pub retransmitted: u64,
    /// Requests for packets no longer (or never) kept, or too old.
    pub not_found: u64,
    /// Requests within an RTT of the packet's last retransmission.
    pub too_soon: u64,
}

#[derive(Debug, Default)]
struct Sent {
    seq: Option<u16>,
    sent_at: i64,
    last_resent: Option<i64>,
    queued: bool,
    /// The whole packet as sent.
    bytes: Vec<u8>,
}

/// One retransmission: the RTX header and payload, ready to write with
/// [`Retransmission::emit`]. The header's extensions are the original packet's; a sender that
/// numbers packets transport-wide puts a fresh number in before writing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retransmission<'a> {
    /// The RTX header: RTX SSRC, payload type and sequence number; the original's timestamp,
    /// marker, CSRCs and extensions.
    pub header: RtpHeader<'a>,
    /// The OSN, then the original payload (without its padding, §4).
    pub payload: &'a [u8],
    /// The original sequence number.
    pub original_sequence_number: u16,
}

impl Retransmission<'_> {
    /// Bytes the packet takes.
    pub fn encoded_len(&self) -> usize {
        self.header.encoded_len() + self.payload.len()
    }

    /// Writes the packet at the start of `out`; returns its length.
    pub fn emit(&self, out: &mut [u8]) -> Result<usize, WriteError> {
        self.header.emit_packet(self.payload, 0, out)
    }
}

/// The send side of RTX: a history of sent packets that answers NACKs.
///
/// ```
/// use std::time::Instant;
/// use rtc_media::rtcp::{Nack, NackPair};
/// use rtc_media::rtx::{RtxPayloadType, RtxReceiver, RtxSender, RtxSenderConfig};
/// use rtc_media::{RtpHeader, RtpPacket};
///
/// let pt = RtxPayloadType { original: 96, rtx: 97 };
/// let mut sender = RtxSender::new(RtxSenderConfig::new(0x1111, 0x2222, vec![pt]));
/// let now = Instant::now();
/// let mut buf = [0u8; 1500];
/// let len = RtpHeader::new(96, 500, 9000, 0x1111).emit_packet(b"media", 0, &mut buf)?;
/// sender.on_sent(now, &RtpPacket::parse(&buf[..len])?);
///
/// let pairs = [NackPair { packet_id: 500, lost_bitmask: 0 }];
/// sender.handle_nack(now, &Nack { sender_ssrc: 9, media_ssrc: 0x1111, pairs: (&pairs).into() });
/// let rtx = sender.poll_retransmission(now).unwrap();
/// let len = rtx.emit(&mut buf)?;
///
/// let receiver = RtxReceiver::new(0x1111, 0x2222, vec![pt]);
/// let packet = RtpPacket::parse(&buf[..len])?;
/// let original = receiver.unwrap(&packet)?.unwrap();
/// assert_eq!(original.header.sequence_number, 500);
/// assert_eq!(original.header.ssrc, 0x1111);
/// assert_eq!(original.payload, b"media");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct RtxSender {
    config: RtxSenderConfig,
    slots: Vec<Sent>,
    mask: u16,
    epoch: Epoch,
    next_seq: u16,
    rtt: i64,
    queue: VecDeque<u16>,
    /// The OSN and payload of the retransmission being written.
    scratch: Vec<u8>,
    stats: RtxSenderStats,
}

impl RtxSender {
    /// A history with `config`.
    pub fn new(config: RtxSenderConfig) -> Self {
        let capacity = config.capacity.clamp(1, 1 << 15).next_power_of_two();
        Self {
            slots: (0..capacity).map(|_| Sent::default()).collect(),
            mask: (capacity - 1) as u16,
            epoch: Epoch::default(),
            next_seq: config.first_sequence_number,
            rtt: 0,
            queue: VecDeque::new(),
            scratch: Vec::new(),
            stats: RtxSenderStats::default(),
            config,
        }
    }

    // Getters.

    /// What was counted.
    pub const fn stats(&self) -> &RtxSenderStats {
        &self.stats
    }

    /// The settings.
    pub const fn config(&self) -> &RtxSenderConfig {
        &self.config
    }

    /// The sequence number the next retransmission gets.
    pub const fn next_sequence_number(&self) -> u16 {
        self.next_seq
    }

    /// Whether retransmissions are waiting for [`RtxSender::poll_retransmission`].
    pub fn has_pending(&self) -> bool {
        !self.queue.is_empty()
    }

    // Input.

    /// A media packet was sent: it is kept (a copy) for retransmission. Packets of other
    /// SSRCs, of payload types without RTX, and padding-only packets are not kept.
    pub fn on_sent(&mut self, now: Instant, packet: &RtpPacket<'_>) {
        let at = self.epoch.nanos(now);
        if packet.ssrc() != self.config.media_ssrc
            || packet.payload().is_empty()
            || rtx_payload_type(&self.config.payload_types, packet.payload_type()).is_none()
        {
            return;
        }
        let seq = packet.sequence_number();
        let Some(slot) = self.slots.get_mut(usize::from(seq & self.mask)) else {
            return;
        };
        slot.seq = Some(seq);
        slot.sent_at = at;
        slot.last_resent = None;
        slot.queued = false;
        slot.bytes.clear();
        slot.bytes.extend_from_slice(packet.as_bytes());
    }

    /// A NACK arrived: the packets it asks for that are ours are queued for retransmission.
    /// Returns how many were queued.
    pub fn handle_nack(&mut self, now: Instant, nack: &Nack<'_>) -> usize {
        let at = self.epoch.nanos(now);
        if nack.media_ssrc != self.config.media_ssrc {
            return 0;
        }
        let mut queued = 0;
        for seq in nack.sequence_numbers() {
            self.stats.requested += 1;
            let max_age = duration_nanos(self.config.max_age);
            let rtt = self.rtt;
            let Some(slot) = self
                .slots
                .get_mut(usize::from(seq & self.mask))
                .filter(|s| s.seq == Some(seq))
            else {
                self.stats.not_found += 1;
                continue;
            };
            if at.saturating_sub(slot.sent_at) > max_age {
                self.stats.not_found += 1;
                continue;
            }
            if slot.last_resent.is_some_and(|t| at < t.saturating_add(rtt)) {
                self.stats.too_soon += 1;
                continue;
            }
            if !slot.queued {
                slot.queued = true;
                self.queue.push_back(seq);
                queued += 1;
            }
        }
        queued
    }

    // Mutators.

    /// The round trip time to the receiver ([`crate::reports::SenderStats::rtt`]): no packet
    /// is retransmitted twice within it.
    pub fn set_rtt(&mut self, rtt: Duration) {
        self.rtt = duration_nanos(rtt);
    }

    // Output.

    /// The next retransmission asked for, if any.
    pub fn poll_retransmission(&mut self, now: Instant) -> Option<Retransmission<'_>> {
        let at = self.epoch.nanos(now);
        let max_age = duration_nanos(self.config.max_age);
        loop {
            let seq = self.queue.pop_front()?;
            let index = usize::from(seq & self.mask);
            let Some(slot) = self.slots.get_mut(index).filter(|s| s.seq == Some(seq)) else {
                // Overwritten by a newer packet since the NACK.
                self.stats.not_found += 1;
                continue;
            };
            slot.queued = false;
            if at.saturating_sub(slot.sent_at) > max_age {
                self.stats.not_found += 1;
                continue;
            }
            let Ok(original) = RtpPacket::parse(&slot.bytes) else {
                continue;
            };
            let Some(rtx_pt) =
                rtx_payload_type(&self.config.payload_types, original.payload_type())
            else {
                continue;
            };
            self.scratch.clear();
            self.scratch.extend_from_slice(&seq.to_be_bytes());
            self.scratch.extend_from_slice(original.payload());
            slot.last_resent = Some(at);
            let rtx_seq = self.next_seq;
            self.next_seq = self.next_seq.wrapping_add(1);
            self.stats.retransmitted += 1;
            // Parsed again, immutably, for the borrow that is returned.
            let original = self
                .slots
                .get(index)
                .and_then(|s| RtpPacket::parse(&s.bytes).ok())?;
            return Some(Retransmission {
                header: RtpHeader {
                    payload_type: rtx_pt,
                    sequence_number: rtx_seq,
                    ssrc: self.config.rtx_ssrc,
                    ..original.header()
                },
                payload: &self.scratch,
                original_sequence_number: seq,
            });
        }
    }
}

/// The RTX payload type for `original`.
fn rtx_payload_type(types: &[RtxPayloadType], original: u8) -> Option<u8> {
    types.iter().find(|p| p.original == original).map(|p| p.rtx)
}

/// The original packet an RTX packet carried: its header (media SSRC, original payload type
/// and sequence number) and payload, borrowed from the RTX packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unwrapped<'a> {
    /// The original header.
    pub header: RtpHeader<'a>,
    /// The original payload.
    pub payload: &'a [u8],
}

impl<'a> Unwrapped<'a> {
    /// The packet for the jitter buffer, marked as a retransmission.
    pub const fn media_packet(&self) -> MediaPacket<'a> {
        MediaPacket {
            sequence_number: self.header.sequence_number,
            timestamp: self.header.timestamp,
            marker: self.header.marker,
            payload: self.payload,
            retransmission: true,
        }
    }

    /// Bytes the original packet takes.
    pub fn encoded_len(&self) -> usize {
        self.header.encoded_len() + self.payload.len()
    }

    /// Writes the original packet at the start of `out`; returns its length.
    pub fn emit(&self, out: &mut [u8]) -> Result<usize, WriteError> {
        self.header.emit_packet(self.payload, 0, out)
    }
}

/// The receive side of RTX for one media stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtxReceiver {
    media_ssrc: u32,
    rtx_ssrc: u32,
    payload_types: Vec<RtxPayloadType>,
}

impl RtxReceiver {
    /// Unwraps RTX packets of `rtx_ssrc` into packets of `media_ssrc`, mapping payload types
    /// with `payload_types`.
    pub fn new(media_ssrc: u32, rtx_ssrc: u32, payload_types: Vec<RtxPayloadType>) -> Self {
        Self {
            media_ssrc,
            rtx_ssrc,
            payload_types,
        }
    }

    /// The media SSRC.
    pub const fn media_ssrc(&self) -> u32 {
        self.media_ssrc
    }

    /// The RTX SSRC.
    pub const fn rtx_ssrc(&self) -> u32 {
        self.rtx_ssrc
    }

    /// The original packet in `packet`, or `None` for a padding-only packet. An RTX packet of
    /// another SSRC or of a payload type not mapped, or with a payload too short for the OSN,
    /// is an error.
    pub fn unwrap<'a>(&self, packet: &RtpPacket<'a>) -> Result<Option<Unwrapped<'a>>, ParseError> {
        if packet.ssrc() != self.rtx_ssrc {
            return Err(ParseError::InvalidField("RTX SSRC"));
        }
        let original_pt = self
            .payload_types
            .iter()
            .find(|p| p.rtx == packet.payload_type())
            .map(|p| p.original)
            .ok_or(ParseError::InvalidField("RTX payload type"))?;
        let payload = packet.payload();
        let (osn, rest) = match payload {
            [] => return Ok(None),
            [a, b, rest @ ..] => (u16::from_be_bytes([*a, *b]), rest),
            [_] => {
                return Err(ParseError::Truncated {
                    what: "RTX payload",
                    needed: 2,
                    available: 1,
                });
            }
        };
        Ok(Some(Unwrapped {
            header: RtpHeader {
                payload_type: original_pt,
                sequence_number: osn,
                ssrc: self.media_ssrc,
                ..packet.header()
            },
            payload: rest,
        }))
    }
}
