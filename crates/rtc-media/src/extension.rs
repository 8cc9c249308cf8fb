//! Typed RTP header extension values and their URIs, and [`ExtensionMap`], the id ↔ kind table
//! that SDP's `a=extmap` lines set up (RFC 8285 §5).
//!
//! | kind | URI | data |
//! |---|---|---|
//! | [`ExtensionKind::Mid`] | [`uri::MID`] | the MID, text (RFC 8843 §15.2) |
//! | [`ExtensionKind::RtpStreamId`] | [`uri::RTP_STREAM_ID`] | the RID, text (RFC 8852 §3.1) |
//! | [`ExtensionKind::RepairedRtpStreamId`] | [`uri::REPAIRED_RTP_STREAM_ID`] | text (RFC 8852 §3.2) |
//! | [`ExtensionKind::AbsSendTime`] | [`uri::ABS_SEND_TIME`] | 24-bit 6.18 fixed-point seconds |
//! | [`ExtensionKind::TransportCc`] | [`uri::TRANSPORT_CC`] | 16-bit sequence number (draft-holmer §2) |
//! | [`ExtensionKind::AudioLevel`] | [`uri::AUDIO_LEVEL`] | V bit and 7-bit -dBov (RFC 6464 §3) |
//! | [`ExtensionKind::VideoOrientation`] | [`uri::VIDEO_ORIENTATION`] | 3GPP TS 26.114 CVO byte |
//! | [`ExtensionKind::PlayoutDelay`] | [`uri::PLAYOUT_DELAY`] | two 12-bit delays in 10 ms units |

use std::fmt;

use rtc_sdp::attributes::ExtMap;

use crate::rtp::{HeaderExtension, HeaderExtensions};
use crate::wire::{Reader, Writer};
use crate::{ParseError, WriteError};

/// The URIs that name the extensions in `a=extmap` lines.
pub mod uri {
    /// RFC 8843 §15.1: the media identification (MID) SDES item.
    pub const MID: &str = "urn:ietf:params:rtp-hdrext:sdes:mid";
    /// RFC 8852 §4.1: the RtpStreamId (RID) SDES item.
    pub const RTP_STREAM_ID: &str = "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id";
    /// RFC 8852 §4.2: the RepairedRtpStreamId SDES item.
    pub const REPAIRED_RTP_STREAM_ID: &str =
        "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id";
    /// The absolute send time of libwebrtc (webrtc.org experiments).
    pub const ABS_SEND_TIME: &str = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time";
    /// draft-holmer-rmcat-transport-wide-cc-extensions-01 §2: the transport-wide sequence
    /// number.
    pub const TRANSPORT_CC: &str =
        "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01";
    /// RFC 6464 §4: client-to-mixer audio level.
    pub const AUDIO_LEVEL: &str = "urn:ietf:params:rtp-hdrext:ssrc-audio-level";
    /// 3GPP TS 26.114 §7.4.5: coordination of video orientation (CVO).
    pub const VIDEO_ORIENTATION: &str = "urn:3gpp:video-orientation";
    /// libwebrtc's playout delay limits (webrtc.org experiments).
    pub const PLAYOUT_DELAY: &str = "http://www.webrtc.org/experiments/rtp-hdrext/playout-delay";
}

/// The header extensions this crate reads and writes typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ExtensionKind {
    /// [`uri::MID`].
    Mid,
    /// [`uri::RTP_STREAM_ID`].
    RtpStreamId,
    /// [`uri::REPAIRED_RTP_STREAM_ID`].
    RepairedRtpStreamId,
    /// [`uri::ABS_SEND_TIME`].
    AbsSendTime,
    /// [`uri::TRANSPORT_CC`].
    TransportCc,
    /// [`uri::AUDIO_LEVEL`].
    AudioLevel,
    /// [`uri::VIDEO_ORIENTATION`].
    VideoOrientation,
    /// [`uri::PLAYOUT_DELAY`].
    PlayoutDelay,
}

impl ExtensionKind {
    /// Every kind.
    pub const ALL: [Self; 8] = [
        Self::Mid,
        Self::RtpStreamId,
        Self::RepairedRtpStreamId,
        Self::AbsSendTime,
        Self::TransportCc,
        Self::AudioLevel,
        Self::VideoOrientation,
        Self::PlayoutDelay,
    ];

    /// Its URI.
    pub const fn uri(self) -> &'static str {
        match self {
            Self::Mid => uri::MID,
            Self::RtpStreamId => uri::RTP_STREAM_ID,
            Self::RepairedRtpStreamId => uri::REPAIRED_RTP_STREAM_ID,
            Self::AbsSendTime => uri::ABS_SEND_TIME,
            Self::TransportCc => uri::TRANSPORT_CC,
            Self::AudioLevel => uri::AUDIO_LEVEL,
            Self::VideoOrientation => uri::VIDEO_ORIENTATION,
            Self::PlayoutDelay => uri::PLAYOUT_DELAY,
        }
    }

    /// The kind a URI names, if this crate knows it.
    pub fn from_uri(uri: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.uri() == uri)
    }
}

/// The 24-bit absolute send time: seconds in 6.18 fixed point, the middle bits of an NTP
/// timestamp (wraps every 64 s).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AbsSendTime(pub u32);

impl AbsSendTime {
    /// From a 64-bit NTP timestamp (32.32 fixed point): bits 14..38.
    pub const fn from_ntp(ntp: u64) -> Self {
        Self(((ntp >> 14) & 0x00FF_FFFF) as u32)
    }

    /// From microseconds since any epoch.
    pub const fn from_micros(micros: u64) -> Self {
        // 2^18 units per second.
        Self(((((micros as u128) << 18) / 1_000_000) & 0x00FF_FFFF) as u32)
    }

    /// The value in microseconds within its 64-second cycle.
    pub const fn as_micros(self) -> u64 {
        ((self.0 as u64 & 0x00FF_FFFF) * 1_000_000) >> 18
    }
}

/// RFC 6464 §3: the audio level of the packet and whether it holds voice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AudioLevel {
    /// The V bit: the encoder thinks the packet holds voice.
    pub voice_activity: bool,
    /// The level in -dBov, 0..=127 (0 is loudest, 127 is silence).
    pub level: u8,
}

/// 3GPP TS 26.114 §7.4.5: how the receiver should rotate and flip the video.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct VideoOrientation {
    /// C: the back-facing camera (else the front-facing one, or unknown).
    pub back_camera: bool,
    /// F: flip horizontally.
    pub horizontal_flip: bool,
    /// R1 R0: clockwise rotation in quarter turns, 0..=3 (0°, 90°, 180°, 270°).
    pub rotation: u8,
}

impl VideoOrientation {
    /// The rotation in degrees.
    pub const fn degrees(self) -> u16 {
        (self.rotation & 3) as u16 * 90
    }
}

/// libwebrtc's playout delay limits: the receiver should keep its playout delay between
/// `min` and `max`, in units of 10 ms (12 bits each; 40.95 s at most).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PlayoutDelay {
    /// Least delay, 10 ms units, 0..=4095.
    pub min: u16,
    /// Greatest delay, 10 ms units, 0..=4095.
    pub max: u16,
}

/// A typed header extension value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExtensionValue<'a> {
    /// The MID.
    Mid(&'a str),
    /// The RID.
    RtpStreamId(&'a str),
    /// The RID of the stream this one repairs.
    RepairedRtpStreamId(&'a str),
    /// [`AbsSendTime`].
    AbsSendTime(AbsSendTime),
    /// The transport-wide sequence number.
    TransportCc(u16),
    /// [`AudioLevel`].
    AudioLevel(AudioLevel),
    /// [`VideoOrientation`].
    VideoOrientation(VideoOrientation),
    /// [`PlayoutDelay`].
    PlayoutDelay(PlayoutDelay),
}

/// The longest SDES text item (RFC 3550 §6.5: an 8-bit length).
const MAX_SDES_LEN: usize = 255;

/// An SDES text item in a header extension (RFC 8852 §3, RFC 7941 §4): UTF-8, not empty.
/// Trailing zero bytes are padding some senders add and are dropped.
fn sdes_text<'a>(data: &'a [u8], what: &'static str) -> Result<&'a str, ParseError> {
    let end = data.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
    let text = data.get(..end).unwrap_or_default();
    if text.is_empty() {
        return Err(ParseError::InvalidField(what));
    }
    std::str::from_utf8(text).map_err(|_| ParseError::InvalidField(what))
}

impl<'a> ExtensionValue<'a> {
    /// Reads the data of an element of `kind`. Fixed-size values reject other lengths.
    pub fn parse(kind: ExtensionKind, data: &'a [u8]) -> Result<Self, ParseError> {
        let fixed = |len: usize, what: &'static str| -> Result<Reader<'a>, ParseError> {
            if data.len() == len {
                Ok(Reader::new(data, what))
            } else {
                Err(ParseError::BadLength {
                    what,
                    length: data.len(),
                })
            }
        };
        Ok(match kind {
            ExtensionKind::Mid => Self::Mid(sdes_text(data, "MID header extension")?),
            ExtensionKind::RtpStreamId => {
                Self::RtpStreamId(sdes_text(data, "RtpStreamId header extension")?)
            }
            ExtensionKind::RepairedRtpStreamId => {
                Self::RepairedRtpStreamId(sdes_text(data, "RepairedRtpStreamId header extension")?)
            }
            ExtensionKind::AbsSendTime => {
                Self::AbsSendTime(AbsSendTime(fixed(3, "abs-send-time")?.u24()?))
            }
            ExtensionKind::TransportCc => {
                Self::TransportCc(fixed(2, "transport-wide sequence number")?.u16()?)
            }
            ExtensionKind::AudioLevel => {
                let b = fixed(1, "audio level")?.u8()?;
                Self::AudioLevel(AudioLevel {
                    voice_activity: b & 0x80 != 0,
                    level: b & 0x7F,
                })
            }
            ExtensionKind::VideoOrientation => {
                let b = fixed(1, "video orientation")?.u8()?;
                Self::VideoOrientation(VideoOrientation {
                    back_camera: b & 0x08 != 0,
                    horizontal_flip: b & 0x04 != 0,
                    rotation: b & 0x03,
                })
            }
            ExtensionKind::PlayoutDelay => {
                let v = fixed(3, "playout delay")?.u24()?;
                Self::PlayoutDelay(PlayoutDelay {
                    min: (v >> 12) as u16,
                    max: (v & 0x0FFF) as u16,
                })
            }
        })
    }

    /// Its kind.
    pub const fn kind(&self) -> ExtensionKind {
        match self {
            Self::Mid(_) => ExtensionKind::Mid,
            Self::RtpStreamId(_) => ExtensionKind::RtpStreamId,
            Self::RepairedRtpStreamId(_) => ExtensionKind::RepairedRtpStreamId,
            Self::AbsSendTime(_) => ExtensionKind::AbsSendTime,
            Self::TransportCc(_) => ExtensionKind::TransportCc,
            Self::AudioLevel(_) => ExtensionKind::AudioLevel,
            Self::VideoOrientation(_) => ExtensionKind::VideoOrientation,
            Self::PlayoutDelay(_) => ExtensionKind::PlayoutDelay,
        }
    }

    /// Bytes of data it takes.
    pub const fn encoded_len(&self) -> usize {
        match self {
            Self::Mid(s) | Self::RtpStreamId(s) | Self::RepairedRtpStreamId(s) => s.len(),
            Self::AbsSendTime(_) | Self::PlayoutDelay(_) => 3,
            Self::TransportCc(_) => 2,
            Self::AudioLevel(_) | Self::VideoOrientation(_) => 1,
        }
    }

    /// Writes the data at the start of `out`; returns its length. Text must be 1..=255 bytes
    /// without a trailing zero byte; levels, rotations and delays must fit their fields.
    pub fn emit(&self, out: &mut [u8]) -> Result<usize, WriteError> {
        let mut w = Writer::new(out);
        match *self {
            Self::Mid(s) | Self::RtpStreamId(s) | Self::RepairedRtpStreamId(s) => {
                if s.is_empty() || s.ends_with('\0') {
                    return Err(WriteError::InvalidField("SDES header extension text"));
                }
                if s.len() > MAX_SDES_LEN {
                    return Err(WriteError::TooLong {
                        what: "SDES header extension",
                        length: s.len(),
                    });
                }
                w.bytes(s.as_bytes())?;
            }
            Self::AbsSendTime(t) => {
                if t.0 > 0x00FF_FFFF {
                    return Err(WriteError::InvalidField("abs-send-time"));
                }
                w.u24(t.0)?;
            }
            Self::TransportCc(seq) => w.u16(seq)?,
            Self::AudioLevel(a) => {
                if a.level > 127 {
                    return Err(WriteError::InvalidField("audio level"));
                }
                w.u8(u8::from(a.voice_activity) << 7 | a.level)?;
            }
            Self::VideoOrientation(v) => {
                if v.rotation > 3 {
                    return Err(WriteError::InvalidField("video rotation"));
                }
                w.u8(u8::from(v.back_camera) << 3 | u8::from(v.horizontal_flip) << 2 | v.rotation)?;
            }
            Self::PlayoutDelay(d) => {
                if d.min > 0x0FFF || d.max > 0x0FFF {
                    return Err(WriteError::InvalidField("playout delay"));
                }
                w.u24(u32::from(d.min) << 12 | u32::from(d.max))?;
            }
        }
        Ok(w.position())
    }
}

/// The typed values found in a packet's header extensions (see [`ExtensionMap::values`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExtensionValues<'a> {
    /// The MID.
    pub mid: Option<&'a str>,
    /// The RID.
    pub rtp_stream_id: Option<&'a str>,
    /// The repaired RID.
    pub repaired_rtp_stream_id: Option<&'a str>,
    /// The absolute send time.
    pub abs_send_time: Option<AbsSendTime>,
    /// The transport-wide sequence number.
    pub transport_sequence_number: Option<u16>,
    /// The audio level.
    pub audio_level: Option<AudioLevel>,
    /// The video orientation.
    pub video_orientation: Option<VideoOrientation>,
    /// The playout delay limits.
    pub playout_delay: Option<PlayoutDelay>,
}

/// The negotiated header extensions: local id (1..=255) ↔ [`ExtensionKind`] (RFC 8285 §5).
#[derive(Clone, PartialEq, Eq)]
pub struct ExtensionMap {
    by_id: [Option<ExtensionKind>; 256],
}

impl Default for ExtensionMap {
    fn default() -> Self {
        Self::new()
    }
}

impl ExtensionMap {
    /// An empty map.
    pub const fn new() -> Self {
        Self { by_id: [None; 256] }
    }

    /// The map of a media section's `a=extmap` lines: known URIs with ids 1..=255. Unknown URIs
    /// and the ids 4096..=4351 that only offers use (RFC 8285 §7) are left out.
    pub fn from_extmaps<'s, 'e: 's>(extmaps: impl IntoIterator<Item = &'s ExtMap<'e>>) -> Self {
        let mut map = Self::new();
        for e in extmaps {
            if let (Ok(id), Some(kind)) = (u8::try_from(e.id), ExtensionKind::from_uri(&e.uri)) {
                // Ids are 1..=255 here: 0 is refused by `insert`.
                let _ = map.insert(id, kind);
            }
        }
        map
    }

    /// Maps `id` (1..=255) to `kind`, replacing what it mapped to.
    pub fn insert(&mut self, id: u8, kind: ExtensionKind) -> Result<(), WriteError> {
        if id == 0 {
            return Err(WriteError::InvalidField("header extension id"));
        }
        if let Some(slot) = self.by_id.get_mut(usize::from(id)) {
            *slot = Some(kind);
        }
        Ok(())
    }

    /// Unmaps `id`; returns what it mapped to.
    pub fn remove(&mut self, id: u8) -> Option<ExtensionKind> {
        self.by_id.get_mut(usize::from(id)).and_then(Option::take)
    }

    /// The kind `id` maps to.
    pub fn kind(&self, id: u8) -> Option<ExtensionKind> {
        self.by_id.get(usize::from(id)).copied().flatten()
    }

    /// The (lowest) id mapped to `kind`.
    pub fn id(&self, kind: ExtensionKind) -> Option<u8> {
        self.iter().find(|&(_, k)| k == kind).map(|(id, _)| id)
    }

    /// The mappings, by id.
    pub fn iter(&self) -> impl Iterator<Item = (u8, ExtensionKind)> + '_ {
        (1..=255u8).filter_map(|id| self.kind(id).map(|k| (id, k)))
    }

    /// The typed value of an element: `None` when its id is not mapped.
    pub fn decode<'a>(
        &self,
        element: HeaderExtension<'a>,
    ) -> Option<Result<ExtensionValue<'a>, ParseError>> {
        let kind = self.kind(element.id)?;
        Some(ExtensionValue::parse(kind, element.data))
    }

    /// The typed values of a packet's elements. The first element of each kind counts;
    /// unmapped ids and malformed values are skipped.
    pub fn values<'a>(&self, extensions: &HeaderExtensions<'a>) -> ExtensionValues<'a> {
        let mut v = ExtensionValues::default();
        for element in extensions.iter() {
            let Some(Ok(value)) = self.decode(element) else {
                continue;
            };
            match value {
                ExtensionValue::Mid(s) => {
                    v.mid.get_or_insert(s);
                }
                ExtensionValue::RtpStreamId(s) => {
                    v.rtp_stream_id.get_or_insert(s);
                }
                ExtensionValue::RepairedRtpStreamId(s) => {
                    v.repaired_rtp_stream_id.get_or_insert(s);
                }
                ExtensionValue::AbsSendTime(t) => {
                    v.abs_send_time.get_or_insert(t);
                }
                ExtensionValue::TransportCc(s) => {
                    v.transport_sequence_number.get_or_insert(s);
                }
                ExtensionValue::AudioLevel(a) => {
                    v.audio_level.get_or_insert(a);
                }
                ExtensionValue::VideoOrientation(o) => {
                    v.video_orientation.get_or_insert(o);
                }
                ExtensionValue::PlayoutDelay(d) => {
                    v.playout_delay.get_or_insert(d);
                }
            }
        }
        v
    }
}

impl fmt::Debug for ExtensionMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}
