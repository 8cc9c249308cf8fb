//! Audio and video: transceivers (W3C WebRTC §5.4), their `m=` sections (RFC 8829 §5.2.1,
//! §5.3.1), and RTP/RTCP over SRTP keyed by the DTLS exporter (RFC 5764 §4.2), with the
//! receive and send logic of rtc-media (jitter buffer, NACK/RTX, PLI, reports).

pub mod codec;
pub(crate) mod engine;
pub use engine::MediaCounters;

use std::collections::HashMap;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use rtc_media::codecs::{
    Av1Depacketizer, Av1Packetizer, G711Depacketizer, G711Packetizer, H264Depacketizer,
    H264Packetizer, OpusDepacketizer, OpusPacketizer, Vp8Depacketizer, Vp8Packetizer,
    Vp9Depacketizer, Vp9Packetizer,
};
use rtc_media::reports::SenderStats;
use rtc_media::rtx::{RtxPayloadType, RtxReceiver, RtxSender, RtxSenderConfig};
use rtc_media::transport_cc::TwccSender;
use rtc_media::{
    Depacketizer, ExtensionKind, ExtensionMap, HeaderExtension, HeaderExtensions,
    JitterBufferConfig, MediaKind, Packetizer, ReceiveConfig, ReceiveStream, RtpHeader, RtpPacket,
    uri,
};
use rtc_sdp::MediaDescription;
use rtc_sdp::attributes::Direction;

pub use codec::{Codec, default_codecs};

/// A transceiver's handle, stable for the connection's life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TransceiverId(pub u64);

/// A track as `a=msid` names it: its stream and its own id (RFC 8830).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackInfo {
    /// The MediaStream id (`-` for none).
    pub stream_id: String,
    /// The MediaStreamTrack id.
    pub track_id: String,
}

/// `addTransceiver(kind, init)`'s options.
#[derive(Debug, Clone)]
pub struct TransceiverInit {
    /// `direction`.
    pub direction: Direction,
    /// The track sent, if any (its msid).
    pub track: Option<TrackInfo>,
    /// Codec preferences (`setCodecPreferences`); `None` for ours.
    pub codecs: Option<Vec<Codec>>,
}

impl Default for TransceiverInit {
    fn default() -> Self {
        Self {
            direction: Direction::SendRecv,
            track: None,
            codecs: None,
        }
    }
}

/// A frame from a remote track.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaFrame {
    /// The encoded frame (Annex B for H.264, an Ogg-less Opus packet for Opus...).
    pub data: Vec<u8>,
    /// Its RTP timestamp.
    pub timestamp: u32,
    /// Whether a decoder can start with it.
    pub keyframe: bool,
    /// The codec it is in.
    pub codec: Codec,
    /// The simulcast layer (`a=rid`) it came on, if any.
    pub rid: Option<String>,
}

/// The header extensions we offer (Chromium's ids), by kind.
pub(crate) fn default_extensions(kind: MediaKind) -> Vec<(u8, &'static str)> {
    // Transport-wide sequence numbers on every packet (draft-holmer §2), for the peer's
    // feedback and ours.
    let mut e = vec![(3u8, uri::TRANSPORT_CC), (4u8, uri::MID)];
    if kind == MediaKind::Video {
        e.push((10, uri::RTP_STREAM_ID));
        e.push((11, uri::REPAIRED_RTP_STREAM_ID));
    }
    e
}

/// What we take from the peer's audio or video section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RemoteMedia {
    pub(crate) kind: MediaKind,
    pub(crate) codecs: Vec<Codec>,
    pub(crate) extensions: Vec<(u8, String)>,
    pub(crate) direction: Direction,
    pub(crate) track: Option<TrackInfo>,
    /// Its media SSRCs, and RTX SSRC by media SSRC (`a=ssrc-group:FID`, RFC 5576 §4.2).
    pub(crate) ssrcs: Vec<u32>,
    pub(crate) rtx: Vec<(u32, u32)>,
    /// Receive simulcast layers it sends (`a=rid:<id> send`).
    pub(crate) rids: Vec<String>,
}

/// Reads an audio/video section (RFC 8866 §5.14, RFC 4566 rtpmap/fmtp, RFC 4585 rtcp-fb,
/// RFC 8285 extmap, RFC 8830 msid, RFC 5576 ssrc, RFC 8851 rid).
pub(crate) fn read_media(m: &MediaDescription<'_>) -> Option<RemoteMedia> {
    let kind = match m.media.as_ref() {
        "audio" => MediaKind::Audio,
        "video" => MediaKind::Video,
        _ => return None,
    };
    let mut codecs: Vec<Codec> = Vec::new();
    let mut rtx: Vec<(u8, u8)> = Vec::new();
    for map in m.rtpmaps().flatten() {
        let fmtp = m
            .fmtp(&map.payload_type.to_string())
            .ok()
            .flatten()
            .map(|f| f.parameters.to_string())
            .unwrap_or_default();
        if map.encoding.eq_ignore_ascii_case("rtx") {
            let apt = fmtp.split(';').find_map(|p| {
                let (k, v) = p.trim().split_once('=')?;
                (k.trim() == "apt").then(|| v.trim().parse::<u8>().ok())?
            });
            if let Some(apt) = apt {
                rtx.push((apt, map.payload_type));
            }
            continue;
        }
        let kind_name = if kind == MediaKind::Audio {
            "audio"
        } else {
            "video"
        };
        codecs.push(Codec {
            payload_type: map.payload_type,
            mime_type: format!("{kind_name}/{}", map.encoding),
            clock_rate: map.clock_rate,
            channels: map
                .channels
                .unwrap_or(if kind == MediaKind::Audio { 1 } else { 0 }),
            fmtp,
            feedback: Vec::new(),
            rtx_payload_type: None,
        });
    }
    for fb in m.rtcp_fbs().flatten() {
        let value = match &fb.parameters {
            Some(p) => format!("{} {p}", fb.kind),
            None => fb.kind.to_string(),
        };
        for c in codecs
            .iter_mut()
            .filter(|c| fb.payload_type.is_none_or(|pt| pt == c.payload_type))
        {
            c.feedback.push(value.clone());
        }
    }
    for (apt, pt) in rtx {
        if let Some(c) = codecs.iter_mut().find(|c| c.payload_type == apt) {
            c.rtx_payload_type = Some(pt);
        }
    }
    // Only the formats the m= line lists, in its order (RFC 8866 §5.14).
    let order: Vec<u8> = m.formats.iter().filter_map(|f| f.parse().ok()).collect();
    codecs.retain(|c| order.contains(&c.payload_type));
    codecs.sort_by_key(|c| order.iter().position(|&p| p == c.payload_type));
    let extensions = m
        .extmaps()
        .flatten()
        .filter_map(|e| Some((u8::try_from(e.id).ok()?, e.uri.to_string())))
        .collect();
    let track = m.msids().flatten().next().map(|msid| TrackInfo {
        stream_id: msid.stream.to_string(),
        track_id: msid
            .track
            .map_or_else(|| msid.stream.to_string(), |t| t.to_string()),
    });
    let mut rtx_ssrcs = Vec::new();
    for g in m.ssrc_groups().flatten() {
        if g.semantics == "FID" && g.ssrcs.len() == 2 {
            rtx_ssrcs.push((g.ssrcs[0], g.ssrcs[1]));
        }
    }
    let mut ssrcs = Vec::new();
    for s in m.ssrcs().flatten() {
        if !ssrcs.contains(&s.ssrc) && !rtx_ssrcs.iter().any(|(_, r)| *r == s.ssrc) {
            ssrcs.push(s.ssrc);
        }
    }
    let rids = m
        .rids()
        .flatten()
        .filter(|r| r.direction == rtc_sdp::attributes::RidDirection::Send)
        .map(|r| r.id.to_string())
        .collect();
    Some(RemoteMedia {
        kind,
        codecs,
        extensions,
        direction: m.direction().unwrap_or_default(),
        track,
        ssrcs,
        rtx: rtx_ssrcs,
        rids,
    })
}

/// One transceiver.
pub(crate) struct Transceiver {
    pub(crate) id: TransceiverId,
    pub(crate) kind: MediaKind,
    pub(crate) mid: Option<String>,
    pub(crate) direction: Direction,
    pub(crate) current_direction: Option<Direction>,
    /// Codec preferences, ours by default.
    pub(crate) codecs: Vec<Codec>,
    pub(crate) track: Option<TrackInfo>,
    pub(crate) ssrc: u32,
    pub(crate) rtx_ssrc: u32,
    pub(crate) stopped: bool,
    /// The negotiated codecs (the answer's payload types) and extensions.
    pub(crate) negotiated: Vec<Codec>,
    pub(crate) extensions: ExtensionMap,
    pub(crate) remote: Option<RemoteMedia>,
    pub(crate) send: Option<SendStream>,
    pub(crate) receive: Vec<RecvStream>,
    /// The `track` event was fired.
    pub(crate) track_fired: bool,
}

impl std::fmt::Debug for Transceiver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transceiver")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field("mid", &self.mid)
            .field("direction", &self.direction)
            .field("current_direction", &self.current_direction)
            .finish_non_exhaustive()
    }
}

impl Transceiver {
    pub(crate) fn new(
        id: TransceiverId,
        kind: MediaKind,
        init: TransceiverInit,
        ssrcs: [u32; 2],
    ) -> Self {
        Self {
            id,
            kind,
            mid: None,
            direction: init.direction,
            current_direction: None,
            codecs: init.codecs.unwrap_or_else(|| default_codecs(kind)),
            track: init.track,
            ssrc: ssrcs[0],
            rtx_ssrc: ssrcs[1],
            stopped: false,
            negotiated: Vec::new(),
            extensions: ExtensionMap::new(),
            remote: None,
            send: None,
            receive: Vec::new(),
            track_fired: false,
        }
    }

    /// The `m=` line's media and formats, and the section's media lines (everything but the
    /// transport attributes), for an offer (`answer` = None) or an answer to `answer`.
    pub(crate) fn write_section(
        &self,
        mid: &str,
        answer: Option<&RemoteMedia>,
        cname: &str,
    ) -> (String, String) {
        let kind = if self.kind == MediaKind::Audio {
            "audio"
        } else {
            "video"
        };
        let (codecs, direction, extensions): (Vec<Codec>, Direction, Vec<(u8, String)>) =
            match answer {
                None => (
                    self.codecs.clone(),
                    self.direction,
                    default_extensions(self.kind)
                        .into_iter()
                        .map(|(i, u)| (i, u.to_owned()))
                        .collect(),
                ),
                Some(remote) => (
                    codec::intersect(&self.codecs, &remote.codecs),
                    answer_direction(self.direction, remote.direction),
                    remote
                        .extensions
                        .iter()
                        .filter(|(_, u)| {
                            default_extensions(self.kind)
                                .iter()
                                .any(|(_, ours)| ours == u)
                        })
                        .cloned()
                        .collect(),
                ),
            };
        let mut formats = String::new();
        for c in &codecs {
            let _ = write!(formats, " {}", c.payload_type);
            if let Some(rtx) = c.rtx_payload_type {
                let _ = write!(formats, " {rtx}");
            }
        }
        let mline = format!("{kind} 9 UDP/TLS/RTP/SAVPF{formats}");
        let mut s = String::with_capacity(1024);
        for (id, u) in &extensions {
            let _ = write!(s, "a=extmap:{id} {u}\r\n");
        }
        let _ = write!(s, "a={}\r\n", direction.as_str());
        let track = self.track.as_ref().filter(|_| direction.sends());
        if let Some(t) = track {
            let _ = write!(s, "a=msid:{} {}\r\n", t.stream_id, t.track_id);
        }
        s.push_str("a=rtcp-mux\r\na=rtcp-rsize\r\n");
        // Receiving simulcast (RFC 8853 §5.3): every layer the offer sends, taken as it is
        // (restrictions on a layer are the sender's to keep, RFC 8851 §4).
        if let Some(remote) = answer.filter(|r| direction.receives() && !r.rids.is_empty()) {
            for rid in &remote.rids {
                let _ = write!(s, "a=rid:{rid} recv\r\n");
            }
            let _ = write!(s, "a=simulcast:recv {}\r\n", remote.rids.join(";"));
        }
        for c in &codecs {
            let pt = c.payload_type;
            if c.channels > 1 {
                let _ = write!(
                    s,
                    "a=rtpmap:{pt} {}/{}/{}\r\n",
                    c.name(),
                    c.clock_rate,
                    c.channels
                );
            } else {
                let _ = write!(s, "a=rtpmap:{pt} {}/{}\r\n", c.name(), c.clock_rate);
            }
            for fb in &c.feedback {
                let _ = write!(s, "a=rtcp-fb:{pt} {fb}\r\n");
            }
            if !c.fmtp.is_empty() {
                let _ = write!(s, "a=fmtp:{pt} {}\r\n", c.fmtp);
            }
            if let Some(rtx) = c.rtx_payload_type {
                let _ = write!(
                    s,
                    "a=rtpmap:{rtx} rtx/{}\r\na=fmtp:{rtx} apt={pt}\r\n",
                    c.clock_rate
                );
            }
        }
        if let Some(t) = track {
            let rtx = codecs.iter().any(|c| c.rtx_payload_type.is_some());
            if rtx {
                let _ = write!(s, "a=ssrc-group:FID {} {}\r\n", self.ssrc, self.rtx_ssrc);
            }
            let _ = write!(
                s,
                "a=ssrc:{} cname:{cname}\r\na=ssrc:{} msid:{} {}\r\n",
                self.ssrc, self.ssrc, t.stream_id, t.track_id
            );
            if rtx {
                let _ = write!(
                    s,
                    "a=ssrc:{} cname:{cname}\r\na=ssrc:{} msid:{} {}\r\n",
                    self.rtx_ssrc, self.rtx_ssrc, t.stream_id, t.track_id
                );
            }
        }
        let _ = mid;
        (mline, s)
    }

    /// Whether an answer to `remote` would accept the section (a codec in common).
    pub(crate) fn accepts(&self, remote: &RemoteMedia) -> bool {
        !codec::intersect(&self.codecs, &remote.codecs).is_empty()
    }

    /// The negotiation is done: `negotiated` codecs (payload types as the answer has them),
    /// `extensions`, the direction as it is now.
    pub(crate) fn apply(
        &mut self,
        negotiated: Vec<Codec>,
        extensions: &[(u8, String)],
        current: Direction,
        remote: RemoteMedia,
        random: &mut dyn FnMut() -> u32,
    ) {
        let mut map = ExtensionMap::new();
        for (id, u) in extensions {
            if let Some(kind) = ExtensionKind::from_uri(u) {
                let _ = map.insert(*id, kind);
            }
        }
        self.extensions = map;
        self.current_direction = Some(current);
        self.remote = Some(remote);
        let send_codec = negotiated.first().cloned();
        self.negotiated = negotiated;
        match (current.sends(), send_codec) {
            (true, Some(codec)) => {
                let same = self
                    .send
                    .as_ref()
                    .is_some_and(|s| s.codec.payload_type == codec.payload_type);
                if !same {
                    let twcc_id = self
                        .extensions
                        .id(ExtensionKind::TransportCc)
                        .filter(|_| codec.has_feedback("transport-cc"));
                    self.send = Some(SendStream::new(
                        self.ssrc,
                        self.rtx_ssrc,
                        codec,
                        self.extensions.id(ExtensionKind::Mid),
                        twcc_id,
                        random,
                    ));
                }
            }
            _ => self.send = None,
        }
        if !current.receives() {
            self.receive.clear();
        }
    }

    /// The codec of a payload type of the negotiated set, and whether it is its RTX.
    pub(crate) fn codec_of(&self, payload_type: u8) -> Option<(&Codec, bool)> {
        self.negotiated.iter().find_map(|c| {
            if c.payload_type == payload_type {
                Some((c, false))
            } else if c.rtx_payload_type == Some(payload_type) {
                Some((c, true))
            } else {
                None
            }
        })
    }
}

/// The direction an answer takes (RFC 8829 §5.3.1, RFC 3264 §6.1): ours, less what the
/// offer does not allow.
pub(crate) fn answer_direction(ours: Direction, offered: Direction) -> Direction {
    let send = ours.sends() && offered.receives();
    let recv = ours.receives() && offered.sends();
    from_flags(send, recv)
}

pub(crate) fn from_flags(send: bool, recv: bool) -> Direction {
    match (send, recv) {
        (true, true) => Direction::SendRecv,
        (true, false) => Direction::SendOnly,
        (false, true) => Direction::RecvOnly,
        (false, false) => Direction::Inactive,
    }
}

/// VP9's first picture id: any 15-bit value (RFC 9628 §4.2); a fixed one is fine for a new
/// SSRC.
fn rand_picture_id() -> u16 {
    0x1234
}

fn packetizer(codec: &Codec) -> Option<Box<dyn Packetizer + Send + Sync>> {
    Some(match codec.name().to_ascii_uppercase().as_str() {
        "OPUS" => Box::new(OpusPacketizer::new()),
        "PCMU" | "PCMA" => Box::new(G711Packetizer::new()),
        "VP8" => Box::new(Vp8Packetizer::new()),
        "VP9" => Box::new(Vp9Packetizer::new(rand_picture_id())),
        "H264" => Box::new(H264Packetizer::new()),
        "AV1" => Box::new(Av1Packetizer::new()),
        _ => return None,
    })
}

pub(crate) fn depacketizer(codec: &Codec) -> Option<Box<dyn Depacketizer + Send + Sync>> {
    Some(match codec.name().to_ascii_uppercase().as_str() {
        "OPUS" => Box::new(OpusDepacketizer::new()),
        "PCMU" | "PCMA" => Box::new(G711Depacketizer::new()),
        "VP8" => Box::new(Vp8Depacketizer::new()),
        "VP9" => Box::new(Vp9Depacketizer::new()),
        "H264" => Box::new(H264Depacketizer::new()),
        "AV1" => Box::new(Av1Depacketizer::new()),
        _ => return None,
    })
}

/// The payload bytes a datagram leaves for RTP: 1200 bytes (what browsers keep under the
/// path MTU), less the RTP header with a MID extension and the largest SRTP tag.
pub(crate) const MAX_RTP_PAYLOAD: usize = 1200 - 12 - 12 - 16;

/// Room left after an RTP packet for its SRTP tag (16 bytes at most, RFC 7714 §7.2).
pub(crate) const SRTP_ROOM: usize = 16;

/// Our sending side of a transceiver.
pub(crate) struct SendStream {
    pub(crate) ssrc: u32,
    pub(crate) codec: Codec,
    packetizer: Option<Box<dyn Packetizer + Send + Sync>>,
    sequence_number: u16,
    timestamp_base: u32,
    /// Media time written so far, in nanoseconds.
    elapsed_ns: u128,
    mid_id: Option<u8>,
    /// The transport-wide sequence number extension's id, when the peer gives transport-cc
    /// feedback for the codec (draft-holmer-rmcat-transport-wide-cc-extensions-01 §4).
    twcc_id: Option<u8>,
    pub(crate) rtx: Option<RtxSender>,
    pub(crate) stats: SenderStats,
    pub(crate) packets_sent: u64,
    pub(crate) bytes_sent: u64,
    pub(crate) frames_sent: u64,
}

impl SendStream {
    fn new(
        ssrc: u32,
        rtx_ssrc: u32,
        codec: Codec,
        mid_id: Option<u8>,
        twcc_id: Option<u8>,
        random: &mut dyn FnMut() -> u32,
    ) -> Self {
        let rtx = codec.rtx_payload_type.map(|rtx| {
            let mut c = RtxSenderConfig::new(
                ssrc,
                rtx_ssrc,
                vec![RtxPayloadType {
                    original: codec.payload_type,
                    rtx,
                }],
            );
            c.first_sequence_number = random() as u16;
            RtxSender::new(c)
        });
        Self {
            ssrc,
            packetizer: packetizer(&codec),
            stats: SenderStats::new(ssrc, codec.clock_rate),
            codec,
            // RFC 3550 §5.1: random initial sequence number and timestamp.
            sequence_number: random() as u16,
            timestamp_base: random(),
            elapsed_ns: 0,
            mid_id,
            twcc_id,
            rtx,
            packets_sent: 0,
            bytes_sent: 0,
            frames_sent: 0,
        }
    }

    /// The RTP packets of one frame, unprotected, into `out` (one `Vec` per packet).
    pub(crate) fn packetize(
        &mut self,
        now: Instant,
        mid: &str,
        frame: &[u8],
        duration: Duration,
        twcc: &mut TwccOut,
        out: &mut Vec<Vec<u8>>,
    ) -> Result<(), rtc_media::WriteError> {
        let clock = u128::from(self.codec.clock_rate);
        let timestamp = self
            .timestamp_base
            .wrapping_add((self.elapsed_ns * clock / 1_000_000_000) as u32);
        self.elapsed_ns += duration.as_nanos();
        let Some(mut packetizer) = self.packetizer.take() else {
            return Err(rtc_media::WriteError::InvalidField(
                "codec without a packetizer",
            ));
        };
        let audio = self.codec.kind() == MediaKind::Audio;
        let mut failed = None;
        // Each payload straight into its packet's buffer, sized for the SRTP tag too (no copy
        // of the payload on its own, no growth when it is protected).
        let result = packetizer.packetize(frame, MAX_RTP_PAYLOAD, &mut |payload, marker| {
            let twcc_seq = self.twcc_id.map(|_| twcc.next_sequence_number());
            let seq_bytes = twcc_seq.unwrap_or(0).to_be_bytes();
            let mut ext = [HeaderExtension::new(0, &[]), HeaderExtension::new(0, &[])];
            let mut n = 0;
            if let Some(id) = self.mid_id {
                ext[n] = HeaderExtension::new(id, mid.as_bytes());
                n += 1;
            }
            if let Some(id) = self.twcc_id {
                ext[n] = HeaderExtension::new(id, &seq_bytes);
                n += 1;
            }
            let extensions = if n == 0 {
                HeaderExtensions::none()
            } else {
                HeaderExtensions::auto(&ext[..n])
            };
            let header = RtpHeader {
                // Audio: the marker starts a talkspurt (RFC 3551 §4.1); we send no silence
                // suppression, so only the first packet has it.
                marker: if audio {
                    self.packets_sent == 0
                } else {
                    marker
                },
                extensions,
                ..RtpHeader::new(
                    self.codec.payload_type,
                    self.sequence_number,
                    timestamp,
                    self.ssrc,
                )
            };
            let mut buf = vec![0u8; header.encoded_len() + payload.len() + SRTP_ROOM];
            let len = match header.emit_packet(payload, 0, &mut buf) {
                Ok(len) => len,
                Err(e) => {
                    failed = Some(e);
                    return;
                }
            };
            self.sequence_number = self.sequence_number.wrapping_add(1);
            buf.truncate(len);
            if let Some(seq) = twcc_seq {
                twcc.on_sent(now, seq, len);
            }
            if let Ok(packet) = RtpPacket::parse(&buf) {
                if let Some(rtx) = &mut self.rtx {
                    rtx.on_sent(now, &packet);
                }
                self.stats.on_sent(now, &packet);
            }
            self.packets_sent += 1;
            self.bytes_sent += payload.len() as u64;
            out.push(buf);
        });
        self.packetizer = Some(packetizer);
        result?;
        if let Some(e) = failed {
            return Err(e);
        }
        self.frames_sent += 1;
        Ok(())
    }
}

/// Transport-wide sequence numbers for what we send, and their send times for the peer's
/// feedback (draft-holmer-rmcat-transport-wide-cc-extensions-01 §2: one counter for every
/// stream of the transport).
#[derive(Debug, Default)]
pub(crate) struct TwccOut {
    next: u16,
    /// Made with the first numbered packet (its history is 64 KiB; a connection without
    /// media never pays for it).
    pub(crate) sender: Option<TwccSender>,
}

/// Send times kept for feedback: about 4 s of a 2 Mbit/s video.
const TWCC_HISTORY: usize = 2048;

impl TwccOut {
    fn next_sequence_number(&mut self) -> u16 {
        let seq = self.next;
        self.next = self.next.wrapping_add(1);
        seq
    }

    fn on_sent(&mut self, now: Instant, seq: u16, size: usize) {
        self.sender
            .get_or_insert_with(|| TwccSender::with_capacity(TWCC_HISTORY))
            .on_sent(now, seq, size);
    }
}

/// One received RTP stream of a transceiver.
pub(crate) struct RecvStream {
    pub(crate) ssrc: u32,
    pub(crate) rtx_ssrc: Option<u32>,
    pub(crate) rid: Option<String>,
    pub(crate) codec: Codec,
    pub(crate) stream: ReceiveStream<Box<dyn Depacketizer + Send + Sync>>,
    pub(crate) packets: u64,
    pub(crate) bytes: u64,
    pub(crate) frames: u64,
    /// The peer asked for transport-cc feedback on the codec (looked up once, not per packet).
    pub(crate) transport_cc: bool,
}

impl RecvStream {
    pub(crate) fn new(
        ssrc: u32,
        rtx_ssrc: Option<u32>,
        rid: Option<String>,
        codec: Codec,
        local_ssrc: u32,
    ) -> Option<Self> {
        let depacketizer = depacketizer(&codec)?;
        let kind = codec.kind();
        let mut jitter_buffer = JitterBufferConfig::new(kind, codec.clock_rate);
        // A frame's packets leave the sender in a burst (or paced over a few ms): a frame is
        // given this long past its expected time before it counts as incomplete, even on a
        // link without jitter.
        jitter_buffer.min_delay = match kind {
            MediaKind::Video => Duration::from_millis(30),
            MediaKind::Audio => Duration::from_millis(20),
        };
        let mut config = ReceiveConfig::new(ssrc, local_ssrc, jitter_buffer);
        if !codec.has_feedback("nack") {
            config.nack = None;
        }
        if !codec.has_feedback("nack pli") {
            config.pli_interval = None;
        }
        if let (Some(rtx_ssrc), Some(rtx_pt)) = (rtx_ssrc, codec.rtx_payload_type) {
            config.rtx = Some(RtxReceiver::new(
                ssrc,
                rtx_ssrc,
                vec![RtxPayloadType {
                    original: codec.payload_type,
                    rtx: rtx_pt,
                }],
            ));
        }
        Some(Self {
            ssrc,
            rtx_ssrc,
            rid,
            stream: ReceiveStream::new(config, depacketizer),
            packets: 0,
            bytes: 0,
            frames: 0,
            transport_cc: codec.has_feedback("transport-cc"),
            codec,
        })
    }
}

/// Where RTP of an SSRC goes: transceiver and stream index.
pub(crate) type Routes = HashMap<u32, (TransceiverId, usize)>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answer_directions() {
        use Direction::*;
        assert_eq!(answer_direction(SendRecv, SendRecv), SendRecv);
        assert_eq!(answer_direction(SendRecv, SendOnly), RecvOnly);
        assert_eq!(answer_direction(SendRecv, RecvOnly), SendOnly);
        assert_eq!(answer_direction(RecvOnly, RecvOnly), Inactive);
        assert_eq!(answer_direction(SendOnly, SendRecv), SendOnly);
        assert_eq!(answer_direction(SendRecv, Inactive), Inactive);
    }
}
