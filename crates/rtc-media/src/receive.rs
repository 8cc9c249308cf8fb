//! One received media stream, put together: RTX unwrapping, reception statistics, NACK and PLI
//! generation, and the jitter buffer in front of a depacketizer.
//!
//! ```text
//!  media SSRC ──┬──────────────────────────────► ReceiverStats (report block)
//!               └──► NackGenerator ◄──┐
//!  RTX SSRC ──► RtxReceiver (OSN) ────┴──► JitterBuffer ──► Depacketizer ──► poll_frame
//!                                              │ skipped / undecodable / delta before key
//!                                              ▼
//!                                     KeyframeRequester ──► poll_feedback (NACK, PLI)
//! ```
//!
//! The NACK generator stops asking for packets the jitter buffer has played or skipped past,
//! and when it gives packets up the jitter buffer is told a keyframe is needed. With NACK on,
//! the jitter buffer's delay target includes one RTT ([`ReceiveStream::set_rtt`]), the time a
//! retransmission takes; more rounds need a larger `min_delay`. The RTX stream has statistics
//! of its own (RFC 4588 §6.2: both report blocks go in the same RR), so the media stream's loss
//! figures are the network's, before repair.

use std::time::{Duration, Instant};

use crate::ParseError;
use crate::codecs::{Depacketizer, Frame};
use crate::jitter_buffer::{JitterBuffer, JitterBufferConfig, MediaKind, MediaPacket};
use crate::nack::{KeyframeRequester, NackConfig, NackGenerator, NackStats};
use crate::reports::ReceiverStats;
use crate::rtcp::{ReportBlock, RtcpPacket, SenderReport};
use crate::rtp::RtpPacket;
use crate::rtx::RtxReceiver;

/// A [`ReceiveStream`]'s settings.
#[derive(Debug, Clone, PartialEq)]
pub struct ReceiveConfig {
    /// The media stream's SSRC.
    pub media_ssrc: u32,
    /// Our SSRC, the sender of the feedback.
    pub local_ssrc: u32,
    /// The jitter buffer (its kind and clock rate are the stream's).
    pub jitter_buffer: JitterBufferConfig,
    /// RTX, if negotiated (`a=ssrc-group:FID` and an `apt` payload type).
    pub rtx: Option<RtxReceiver>,
    /// NACK generation (`a=rtcp-fb:<pt> nack`), or `None`.
    pub nack: Option<NackConfig>,
    /// PLI generation (`a=rtcp-fb:<pt> nack pli`) at most once per this interval, or `None`.
    pub pli_interval: Option<Duration>,
}

impl ReceiveConfig {
    /// A stream of `media_ssrc` reported on from `local_ssrc`. Video gets NACK (default
    /// settings) and PLI (at most every 500 ms); audio neither. No RTX.
    pub fn new(media_ssrc: u32, local_ssrc: u32, jitter_buffer: JitterBufferConfig) -> Self {
        let video = jitter_buffer.kind == MediaKind::Video;
        Self {
            media_ssrc,
            local_ssrc,
            jitter_buffer,
            rtx: None,
            nack: video.then(NackConfig::default),
            pli_interval: video.then_some(Duration::from_millis(500)),
        }
    }
}

/// A received media stream: RTP and RTX in, frames and feedback out.
///
/// ```
/// use std::time::{Duration, Instant};
/// use rtc_media::codecs::Vp8Depacketizer;
/// use rtc_media::jitter_buffer::{JitterBufferConfig, MediaKind};
/// use rtc_media::receive::{ReceiveConfig, ReceiveStream};
/// use rtc_media::rtcp::RtcpPacket;
/// use rtc_media::{RtpHeader, RtpPacket};
///
/// let config = ReceiveConfig::new(0xAAAA, 1, JitterBufferConfig::new(MediaKind::Video, 90_000));
/// let mut stream = ReceiveStream::new(config, Vp8Depacketizer::new());
/// let start = Instant::now();
/// let mut buf = [0u8; 100];
/// // Two one-packet VP8 keyframes, 10 and 12; 11 is lost.
/// for (seq, ts) in [(10u16, 0u32), (12, 6000)] {
///     let header = RtpHeader { marker: true, ..RtpHeader::new(96, seq, ts, 0xAAAA) };
///     let len = header.emit_packet(&[0x10, 0x00, 0x9d, 0x01, 0x2a, 0x10, 0, 0x10, 0], 0, &mut buf)?;
///     stream.handle_rtp(start, &RtpPacket::parse(&buf[..len])?)?;
/// }
/// match stream.poll_feedback(start) {
///     Some(RtcpPacket::Nack(nack)) => assert_eq!(nack.sequence_numbers().collect::<Vec<_>>(), [11]),
///     other => panic!("{other:?}"),
/// }
/// let frame = stream.poll_frame(start + Duration::from_millis(200)).unwrap();
/// assert!(frame.keyframe);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct ReceiveStream<D> {
    media_ssrc: u32,
    jitter_buffer: JitterBuffer<D>,
    stats: ReceiverStats,
    rtx: Option<(RtxReceiver, ReceiverStats)>,
    nack: Option<NackGenerator>,
    pli: Option<KeyframeRequester>,
    rtx_padding: u64,
    last_now: Option<Instant>,
}

impl<D: Depacketizer> ReceiveStream<D> {
    /// A stream with `config`, putting frames together with `depacketizer`.
    pub fn new(config: ReceiveConfig, depacketizer: D) -> Self {
        let ReceiveConfig {
            media_ssrc,
            local_ssrc,
            jitter_buffer,
            rtx,
            nack,
            pli_interval,
        } = config;
        let clock_rate = jitter_buffer.clock_rate;
        let mut jitter_buffer = JitterBuffer::new(jitter_buffer, depacketizer);
        let nack = nack.map(|c| {
            jitter_buffer.set_extra_delay(c.default_rtt);
            NackGenerator::new(local_ssrc, media_ssrc, c)
        });
        Self {
            media_ssrc,
            jitter_buffer,
            stats: ReceiverStats::new(media_ssrc, clock_rate),
            rtx: rtx.map(|r| {
                let stats = ReceiverStats::new(r.rtx_ssrc(), clock_rate);
                (r, stats)
            }),
            nack,
            pli: pli_interval.map(|i| KeyframeRequester::new(local_ssrc, media_ssrc, i)),
            rtx_padding: 0,
            last_now: None,
        }
    }

    // Getters.

    /// The media SSRC.
    pub const fn media_ssrc(&self) -> u32 {
        self.media_ssrc
    }

    /// The jitter buffer (its statistics, delay, depacketizer).
    pub const fn jitter_buffer(&self) -> &JitterBuffer<D> {
        &self.jitter_buffer
    }

    /// Reception statistics of the media SSRC.
    pub const fn receiver_stats(&self) -> &ReceiverStats {
        &self.stats
    }

    /// Reception statistics of the RTX SSRC.
    pub fn rtx_stats(&self) -> Option<&ReceiverStats> {
        self.rtx.as_ref().map(|(_, s)| s)
    }

    /// What the NACK generator counted.
    pub fn nack_stats(&self) -> Option<&NackStats> {
        self.nack.as_ref().map(NackGenerator::stats)
    }

    /// PLI packets made.
    pub fn plis_sent(&self) -> u64 {
        self.pli.as_ref().map_or(0, KeyframeRequester::sent)
    }

    /// RTX packets without payload (bandwidth probes) ignored.
    pub const fn rtx_padding_packets(&self) -> u64 {
        self.rtx_padding
    }

    /// When [`ReceiveStream::handle_timeout`] (or a `poll_*`) has work: a frame to play or
    /// skip, a NACK or a PLI to send.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let pli = self.pli.as_ref().and_then(|p| {
            if p.is_pending() != self.jitter_buffer.keyframe_needed() {
                // Not synced since the jitter buffer changed its mind: at once.
                self.last_now
            } else {
                p.poll_timeout()
            }
        });
        [
            self.jitter_buffer.poll_timeout(),
            self.nack.as_ref().and_then(NackGenerator::poll_timeout),
            pli,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    // Input.

    /// An RTP packet arrived. Returns `Ok(false)` if it is neither of the media SSRC nor of
    /// the RTX SSRC; an RTX packet of an unknown payload type or without room for its OSN is
    /// an error (and dropped).
    pub fn handle_rtp(&mut self, now: Instant, packet: &RtpPacket<'_>) -> Result<bool, ParseError> {
        self.last_now = Some(now);
        if packet.ssrc() == self.media_ssrc {
            self.stats.on_packet(now, packet);
            self.insert(now, MediaPacket::from(packet));
            return Ok(true);
        }
        let Some((rtx, stats)) = self
            .rtx
            .as_mut()
            .filter(|(r, _)| r.rtx_ssrc() == packet.ssrc())
        else {
            return Ok(false);
        };
        stats.on_packet(now, packet);
        match rtx.unwrap(packet)? {
            Some(original) => self.insert(now, original.media_packet()),
            None => self.rtx_padding += 1,
        }
        Ok(true)
    }

    /// An SR arrived: if it is from the media or RTX SSRC, its time goes in our next report
    /// block about that SSRC (LSR, DLSR).
    pub fn handle_sender_report(&mut self, now: Instant, report: &SenderReport<'_>) {
        self.last_now = Some(now);
        if report.ssrc == self.media_ssrc {
            self.stats.handle_sender_report(now, report);
        } else if let Some((_, stats)) = self
            .rtx
            .as_mut()
            .filter(|(r, _)| r.rtx_ssrc() == report.ssrc)
        {
            stats.handle_sender_report(now, report);
        }
    }

    /// Time passed: frames whose playout time passed incomplete are skipped, and the NACK and
    /// PLI state follows. Harmless when nothing is due.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.sync(now);
    }

    // Mutators.

    /// The round trip time to the sender: NACKs are repeated once per RTT, and the jitter
    /// buffer allows one RTT for a retransmission.
    pub fn set_rtt(&mut self, rtt: Duration) {
        if let Some(nack) = &mut self.nack {
            nack.set_rtt(rtt);
            self.jitter_buffer.set_extra_delay(rtt);
        }
    }

    /// The decoder needs a keyframe (it failed to decode): PLIs go out until one is played.
    pub fn request_keyframe(&mut self, now: Instant) {
        self.jitter_buffer.request_keyframe();
        self.sync(now);
    }

    // Output.

    /// The next frame due at `now` (see [`JitterBuffer::poll_frame`]), borrowed until the next
    /// call.
    pub fn poll_frame(&mut self, now: Instant) -> Option<Frame<'_>> {
        self.sync(now);
        self.jitter_buffer.poll_frame(now)
    }

    /// The next feedback packet due: a NACK, then a PLI.
    pub fn poll_feedback(&mut self, now: Instant) -> Option<RtcpPacket<'_>> {
        self.sync(now);
        if let Some(nack) = self.nack.as_mut().and_then(|n| n.poll_nack(now)) {
            return Some(RtcpPacket::Nack(nack));
        }
        self.pli
            .as_mut()
            .and_then(|p| p.poll_pli(now))
            .map(RtcpPacket::PictureLossIndication)
    }

    /// The report block about the media SSRC; starts a new interval for the fraction lost.
    pub fn report_block(&mut self, now: Instant) -> ReportBlock {
        self.stats.report_block(now)
    }

    /// The report block about the RTX SSRC, if RTX is on.
    pub fn rtx_report_block(&mut self, now: Instant) -> Option<ReportBlock> {
        self.rtx.as_mut().map(|(_, s)| s.report_block(now))
    }

    // Internals.

    fn insert(&mut self, now: Instant, packet: MediaPacket<'_>) {
        if let Some(nack) = &mut self.nack {
            nack.on_packet(now, packet.sequence_number);
        }
        self.jitter_buffer.insert(now, packet);
        self.sync(now);
    }

    /// Skips what is overdue and brings NACK and PLI in line with the jitter buffer.
    fn sync(&mut self, now: Instant) {
        self.last_now = Some(now);
        self.jitter_buffer.skip_overdue(now);
        if let Some(nack) = &mut self.nack {
            if let Some(next) = self.jitter_buffer.next_sequence_number() {
                nack.discard_before(next);
            }
            if nack.take_keyframe_request() {
                self.jitter_buffer.request_keyframe();
            }
        }
        if let Some(pli) = &mut self.pli {
            if self.jitter_buffer.keyframe_needed() {
                pli.request(now);
            } else {
                pli.keyframe_received();
            }
        }
    }
}
