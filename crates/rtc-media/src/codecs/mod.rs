//! RTP payload formats: a [`Packetizer`] splits an encoded frame into RTP payloads, a
//! [`Depacketizer`] collects the payloads of one frame and hands the frame back.
//!
//! | codec | packetizer | depacketizer | spec |
//! |---|---|---|---|
//! | Opus | [`OpusPacketizer`] | [`OpusDepacketizer`] | RFC 7587 |
//! | G.711 (PCMU, PCMA) | [`G711Packetizer`] | [`G711Depacketizer`] | RFC 3551 §4.5.14 |
//! | VP8 | [`Vp8Packetizer`] | [`Vp8Depacketizer`] | RFC 7741 |
//! | VP9 | [`Vp9Packetizer`] | [`Vp9Depacketizer`] | RFC 9628 |
//! | H.264 | [`H264Packetizer`] | [`H264Depacketizer`] | RFC 6184 (packetization-mode 1) |
//! | H.265 | [`H265Packetizer`] | [`H265Depacketizer`] | RFC 7798 (sprop-max-don-diff 0) |
//! | AV1 | [`Av1Packetizer`] | [`Av1Depacketizer`] | AV1 RTP payload format v1.0 |
//!
//! Depacketizers take packets in sequence number order (a jitter buffer in front reorders):
//! a frame is the packets of one RTP timestamp up to the one with the marker bit, without a
//! gap in sequence numbers. A frame that misses a packet is dropped whole and counted
//! ([`Depacketizer::frames_dropped`]); the next frame starts afresh. A malformed payload is a
//! [`ParseError`] and drops its frame too. VP8 and VP9 mark the first packet of a frame in the
//! payload; H.264, H.265 and AV1 do not, so for them a frame can only start right after the
//! packet that ended the previous one (or at the first packet seen): losing a frame's last
//! packet drops the next frame too.

mod av1;
mod g711;
mod h264;
mod h265;
mod opus;
mod vp8;
mod vp9;

pub use av1::{Av1Depacketizer, Av1Packetizer, Obu, ObuType, obus};
pub use g711::{
    G711Depacketizer, G711Packetizer, alaw_decode, alaw_encode, ulaw_decode, ulaw_encode,
};
pub use h264::{H264Depacketizer, H264Packetizer};
pub use h265::{H265Depacketizer, H265Packetizer};
pub use opus::{OpusDepacketizer, OpusPacketizer, opus_packet_samples};
pub use vp8::{Vp8Depacketizer, Vp8Descriptor, Vp8Packetizer, Vp8Temporal};
pub use vp9::{
    Vp9Depacketizer, Vp9Descriptor, Vp9Layer, Vp9Packetizer, Vp9PictureGroup, Vp9ReferenceDiffs,
    Vp9Resolution, Vp9ScalabilityStructure,
};

use crate::{ParseError, RtpPacket, WriteError};

/// What a depacketizer needs from an RTP header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct PacketInfo {
    /// The sequence number.
    pub sequence_number: u16,
    /// The RTP timestamp: the packets of one frame share it.
    pub timestamp: u32,
    /// The marker bit: the last packet of a video frame.
    pub marker: bool,
}

impl From<&RtpPacket<'_>> for PacketInfo {
    fn from(p: &RtpPacket<'_>) -> Self {
        Self {
            sequence_number: p.sequence_number(),
            timestamp: p.timestamp(),
            marker: p.marker(),
        }
    }
}

/// A frame a depacketizer put together, borrowed from it until the next packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame<'a> {
    /// The encoded frame, in the codec's usual form (Annex B for H.264 and H.265, a temporal
    /// unit of OBUs with size fields for AV1).
    pub data: &'a [u8],
    /// The RTP timestamp of its packets.
    pub timestamp: u32,
    /// Whether a decoder can start with it (audio frames always can).
    pub keyframe: bool,
}

/// A picture id of VP8 (RFC 7741 §4.2) or VP9 (RFC 9628 §4.2): 7 or 15 bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PictureId {
    /// 7 bits (M = 0).
    Short(u8),
    /// 15 bits (M = 1).
    Long(u16),
}

impl PictureId {
    /// Its value.
    pub const fn value(self) -> u16 {
        match self {
            Self::Short(v) => (v & 0x7F) as u16,
            Self::Long(v) => v & 0x7FFF,
        }
    }

    /// Bytes it takes.
    pub(crate) const fn len(self) -> usize {
        match self {
            Self::Short(_) => 1,
            Self::Long(_) => 2,
        }
    }

    pub(crate) fn read(r: &mut crate::wire::Reader<'_>) -> Result<Self, ParseError> {
        let b = r.u8()?;
        Ok(if b & 0x80 == 0 {
            Self::Short(b)
        } else {
            Self::Long(u16::from(b & 0x7F) << 8 | u16::from(r.u8()?))
        })
    }

    pub(crate) fn write(self, w: &mut crate::wire::Writer<'_>) -> Result<(), WriteError> {
        match self {
            Self::Short(v) if v <= 0x7F => w.u8(v),
            Self::Long(v) if v <= 0x7FFF => w.u16(0x8000 | v),
            _ => Err(WriteError::InvalidField("picture id")),
        }
    }
}

/// Splits encoded frames into RTP payloads.
pub trait Packetizer {
    /// Splits `frame` into payloads of at most `max_payload_len` bytes (the MTU less the IP,
    /// UDP, RTP, SRTP and header extension overhead) and calls `out(payload, marker)` for each,
    /// in order; `marker` is set on the last payload of a video frame (audio packetizers leave
    /// it clear: the sender sets it at the start of a talkspurt). The frame is checked before
    /// anything is emitted: on error `out` was not called.
    fn packetize(
        &mut self,
        frame: &[u8],
        max_payload_len: usize,
        out: &mut dyn FnMut(&[u8], bool),
    ) -> Result<(), WriteError>;
}

/// Puts frames back together from RTP payloads.
pub trait Depacketizer {
    /// Takes the payload of the next packet (in sequence number order); returns the frame it
    /// completes, if any. An error drops the frame the packet belongs to.
    fn push(&mut self, payload: &[u8], info: PacketInfo) -> Result<Option<Frame<'_>>, ParseError>;

    /// How many frames were dropped: a packet missing, the start of a frame missing, or a
    /// malformed payload.
    fn frames_dropped(&self) -> u64;
}

impl<T: Depacketizer + ?Sized> Depacketizer for Box<T> {
    fn push(&mut self, payload: &[u8], info: PacketInfo) -> Result<Option<Frame<'_>>, ParseError> {
        (**self).push(payload, info)
    }

    fn frames_dropped(&self) -> u64 {
        (**self).frames_dropped()
    }
}

impl<T: Depacketizer + ?Sized> Depacketizer for &mut T {
    fn push(&mut self, payload: &[u8], info: PacketInfo) -> Result<Option<Frame<'_>>, ParseError> {
        (**self).push(payload, info)
    }

    fn frames_dropped(&self) -> u64 {
        (**self).frames_dropped()
    }
}

/// What to do with a packet, given where the frame being collected stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Admit {
    /// It continues the frame being collected.
    Continue,
    /// It starts a new frame; the buffer was cleared.
    Start,
    /// It belongs to a frame that is being dropped, or cannot start one.
    Drop,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Idle,
    Collecting,
    /// Dropping the packets of the frame with `timestamp`.
    Skipping,
}

/// How a depacketizer knows the first packet of a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FrameStart {
    /// The payload says so (VP8's S bit with PID 0, VP9's B bit on the base layer).
    Explicit,
    /// Only by position: the packet right after one with the marker bit (H.264, H.265, AV1,
    /// whose first packet of a frame can look like any other).
    AfterMarker,
}

/// The frame bookkeeping every video depacketizer shares: one timestamp, contiguous sequence
/// numbers, the marker bit ends the frame.
#[derive(Debug)]
pub(crate) struct Assembler {
    pub(crate) buf: Vec<u8>,
    pub(crate) keyframe: bool,
    start: FrameStart,
    state: State,
    timestamp: u32,
    next_sequence: u16,
    /// The last packet seen: its sequence number and marker bit.
    last_seen: Option<(u16, bool)>,
    dropped: u64,
}

impl Assembler {
    pub(crate) fn new(start: FrameStart) -> Self {
        Self {
            buf: Vec::new(),
            keyframe: false,
            start,
            state: State::Idle,
            timestamp: 0,
            next_sequence: 0,
            last_seen: None,
            dropped: 0,
        }
    }

    /// Places a packet: `can_start` says whether its payload may begin a frame.
    pub(crate) fn admit(&mut self, info: PacketInfo, can_start: bool) -> Admit {
        let previous = self.last_seen.replace((info.sequence_number, info.marker));
        // Without a start flag, a frame can only be seen to start right after the packet that
        // ended the previous one (or at the very first packet).
        let can_start = can_start
            && match self.start {
                FrameStart::Explicit => true,
                FrameStart::AfterMarker => previous.is_none_or(|(seq, marker)| {
                    marker && info.sequence_number == seq.wrapping_add(1)
                }),
            };
        match self.state {
            State::Collecting
                if info.timestamp == self.timestamp
                    && info.sequence_number == self.next_sequence =>
            {
                self.next_sequence = info.sequence_number.wrapping_add(1);
                return Admit::Continue;
            }
            State::Collecting => {
                // A packet is missing: the frame is incomplete.
                self.dropped += 1;
                if info.timestamp == self.timestamp {
                    self.state = State::Skipping;
                    return Admit::Drop;
                }
            }
            State::Skipping if info.timestamp == self.timestamp => return Admit::Drop,
            State::Skipping | State::Idle => {}
        }
        self.timestamp = info.timestamp;
        if can_start {
            self.state = State::Collecting;
            self.next_sequence = info.sequence_number.wrapping_add(1);
            self.buf.clear();
            self.keyframe = false;
            Admit::Start
        } else {
            // Its frame's first packet is missing.
            self.dropped += 1;
            self.state = State::Skipping;
            Admit::Drop
        }
    }

    /// Drops the frame the packet with `info` belongs to (its payload was malformed).
    pub(crate) fn fail(&mut self, info: PacketInfo) {
        if self.state != State::Skipping || self.timestamp != info.timestamp {
            self.dropped += 1;
        }
        self.state = State::Skipping;
        self.timestamp = info.timestamp;
    }

    /// After the payload was taken: the frame, if the marker bit ends it. `complete` says
    /// whether the codec agrees the frame is whole (no fragment left open); if not, it is
    /// dropped.
    pub(crate) fn finish(&mut self, info: PacketInfo, complete: bool) -> Option<Frame<'_>> {
        if !info.marker || self.state != State::Collecting {
            return None;
        }
        if !complete {
            self.dropped += 1;
            self.state = State::Skipping;
            return None;
        }
        self.state = State::Idle;
        if self.buf.is_empty() {
            // Only payloads that are ignored (H.264 types 0, 30, 31...): nothing to decode.
            return None;
        }
        Some(Frame {
            data: &self.buf,
            timestamp: self.timestamp,
            keyframe: self.keyframe,
        })
    }

    pub(crate) const fn dropped(&self) -> u64 {
        self.dropped
    }
}

/// Checks that the payload limit leaves room for `overhead` bytes and one byte of media.
pub(crate) fn check_limit(max_payload_len: usize, overhead: usize) -> Result<(), WriteError> {
    if max_payload_len <= overhead {
        return Err(WriteError::PayloadLimitTooSmall {
            limit: max_payload_len,
            needed: overhead + 1,
        });
    }
    Ok(())
}
