//! The media side of a connection at run time: SRTP contexts from the DTLS exporter, RTP in
//! (routed to a transceiver by MID, SSRC or payload type, RFC 8843 §9.2), RTP out, RTCP both
//! ways.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use rtc_crypto::CryptoProvider;
use rtc_media::rtcp::{
    Compound, Nack, PictureLossIndication, ReceiverReport, ReportBlock, RtcpPacket, SdesChunk,
    SdesItem, SdesItemType, SenderReport, SourceDescription,
};
use rtc_media::{MediaKind, RtpPacket};
use rtc_srtp::{ProtectionProfile, SrtpConfig, SrtpContext};

use rtc_media::transport_cc::TwccReceiver;

use super::{MediaFrame, RecvStream, Routes, Transceiver, TransceiverId, TransceiverInit, TwccOut};

/// How often RTCP reports go out (RFC 3550 §6.2 allows less than 5 s with a reduced
/// minimum; browsers send about every second).
const REPORT_INTERVAL: Duration = Duration::from_secs(1);
/// SRTP/SRTCP datagrams we write at most (RTCP compounds are small; RTP ≤ 1200).
const MAX_DATAGRAM: usize = 1500;
/// An NTP time base for sender reports: the media clock's origin reads as this many seconds
/// since 1900. Only differences matter to the peer (RTT from LSR/DLSR, RFC 3550 §6.4.1;
/// lip sync between our own streams); the sans-IO core reads no wall clock.
const NTP_ORIGIN_SECONDS: u64 = 3_900_000_000;

/// What the media side counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MediaCounters {
    /// SRTP or SRTCP packets that failed authentication, were replayed, or came before keys.
    pub srtp_dropped: u64,
    /// RTP packets no transceiver takes (unknown SSRC, MID or payload type).
    pub rtp_unrouted: u64,
    /// RTP or RTCP that did not parse after decryption.
    pub malformed: u64,
    /// Transport-wide congestion control feedback packets we sent (draft-holmer §3.1).
    pub twcc_feedback_sent: u64,
    /// Transport-wide congestion control feedback packets the peer sent us.
    pub twcc_feedback_received: u64,
    /// Packets of ours the peer's feedback reported received.
    pub twcc_packets_received: u64,
    /// Packets of ours the peer's feedback reported lost.
    pub twcc_packets_lost: u64,
}

/// What the media side tells the connection.
#[derive(Debug)]
pub(crate) enum MediaEvent {
    Frame(TransceiverId, MediaFrame),
    KeyframeRequest(TransceiverId),
}

pub(crate) struct MediaState {
    pub(crate) transceivers: Vec<Transceiver>,
    next_id: u64,
    srtp_out: Option<SrtpContext>,
    srtp_in: Option<SrtpContext>,
    routes: Routes,
    next_report: Option<Instant>,
    pub(crate) cname: String,
    origin: Option<Instant>,
    pub(crate) counters: MediaCounters,
    /// Arrivals of the peer's transport-wide sequence numbers, made with the first one.
    twcc_in: Option<TwccReceiver>,
    twcc_out: TwccOut,
    /// Protected datagrams for the selected pair.
    pub(crate) out: VecDeque<Vec<u8>>,
    pub(crate) events: VecDeque<MediaEvent>,
}

impl MediaState {
    pub(crate) fn new(cname: String) -> Self {
        Self {
            transceivers: Vec::new(),
            next_id: 0,
            srtp_out: None,
            srtp_in: None,
            routes: Routes::new(),
            next_report: None,
            cname,
            origin: None,
            counters: MediaCounters::default(),
            twcc_in: None,
            twcc_out: TwccOut::default(),
            out: VecDeque::new(),
            events: VecDeque::new(),
        }
    }

    pub(crate) fn add(
        &mut self,
        kind: MediaKind,
        init: TransceiverInit,
        random: &mut dyn FnMut() -> u32,
    ) -> TransceiverId {
        let id = TransceiverId(self.next_id);
        self.next_id += 1;
        let mut ssrcs = [random(), random()];
        while ssrcs[0] == ssrcs[1] || self.transceivers.iter().any(|t| ssrcs.contains(&t.ssrc)) {
            ssrcs = [random(), random()];
        }
        self.transceivers
            .push(Transceiver::new(id, kind, init, ssrcs));
        id
    }

    pub(crate) fn get(&self, id: TransceiverId) -> Option<&Transceiver> {
        self.transceivers.iter().find(|t| t.id == id)
    }

    pub(crate) fn get_mut(&mut self, id: TransceiverId) -> Option<&mut Transceiver> {
        self.transceivers.iter_mut().find(|t| t.id == id)
    }

    pub(crate) fn by_mid(&self, mid: &str) -> Option<&Transceiver> {
        self.transceivers
            .iter()
            .find(|t| t.mid.as_deref() == Some(mid))
    }

    /// Keys from the DTLS exporter (RFC 5764 §4.2): the client writes with the client key.
    pub(crate) fn start_srtp(
        &mut self,
        material: &rtc_dtls::SrtpKeyingMaterial,
        client: bool,
        provider: &'static CryptoProvider,
    ) -> bool {
        let Some(profile) = ProtectionProfile::from_id(material.profile.id()) else {
            return false;
        };
        let (write, read) = if client {
            (
                (&material.client_key, &material.client_salt),
                (&material.server_key, &material.server_salt),
            )
        } else {
            (
                (&material.server_key, &material.server_salt),
                (&material.client_key, &material.client_salt),
            )
        };
        let out = SrtpContext::new(profile, write.0, write.1, SrtpConfig::default(), provider);
        let inn = SrtpContext::new(profile, read.0, read.1, SrtpConfig::default(), provider);
        match (out, inn) {
            (Ok(o), Ok(i)) => {
                self.srtp_out = Some(o);
                self.srtp_in = Some(i);
                true
            }
            _ => false,
        }
    }

    pub(crate) fn srtp_ready(&self) -> bool {
        self.srtp_out.is_some()
    }

    fn ntp(&mut self, now: Instant) -> u64 {
        let origin = *self.origin.get_or_insert(now);
        let d = now.saturating_duration_since(origin);
        let secs = NTP_ORIGIN_SECONDS + d.as_secs();
        let frac = (u64::from(d.subsec_nanos()) << 32) / 1_000_000_000;
        (secs << 32) | frac
    }

    /// Protects and queues an RTP packet.
    fn send_rtp(&mut self, mut packet: Vec<u8>) {
        let Some(ctx) = &mut self.srtp_out else {
            return;
        };
        let len = packet.len();
        packet.resize(len + 16, 0);
        match ctx.protect_rtp(&mut packet, len) {
            Ok(n) => {
                packet.truncate(n);
                self.out.push_back(packet);
            }
            Err(_) => self.counters.malformed += 1,
        }
    }

    /// Protects and queues an RTCP compound.
    fn send_rtcp(&mut self, mut packet: Vec<u8>) {
        let Some(ctx) = &mut self.srtp_out else {
            return;
        };
        let len = packet.len();
        packet.resize(len + 4 + 16, 0);
        match ctx.protect_rtcp(&mut packet, len) {
            Ok(n) => {
                packet.truncate(n);
                self.out.push_back(packet);
            }
            Err(_) => self.counters.malformed += 1,
        }
    }

    /// Writes one frame on a transceiver's sender.
    pub(crate) fn write_frame(
        &mut self,
        now: Instant,
        id: TransceiverId,
        frame: &[u8],
        duration: Duration,
    ) -> Result<(), crate::Error> {
        if !self.srtp_ready() {
            return Err(crate::Error::MediaNotReady("not connected"));
        }
        let t = self
            .transceivers
            .iter_mut()
            .find(|t| t.id == id)
            .ok_or(crate::Error::NoTransceiver(id.0))?;
        let mid = t.mid.clone().unwrap_or_default();
        let send = t
            .send
            .as_mut()
            .ok_or(crate::Error::MediaNotReady("the transceiver does not send"))?;
        let mut packets = Vec::new();
        send.packetize(now, &mid, frame, duration, &mut self.twcc_out, &mut packets)
            .map_err(|_| crate::Error::MediaNotReady("the frame does not packetize"))?;
        for p in packets {
            self.send_rtp(p);
        }
        if self.next_report.is_none() {
            self.next_report = Some(now + REPORT_INTERVAL);
        }
        Ok(())
    }

    /// An SRTP or SRTCP datagram from the peer (RFC 5761 §4: RTCP packet types 192-223
    /// share the second byte's range with no RTP payload type we use).
    pub(crate) fn handle_datagram(&mut self, now: Instant, datagram: &[u8]) {
        let rtcp = matches!(datagram.get(1), Some(192..=223));
        let Some(ctx) = &mut self.srtp_in else {
            self.counters.srtp_dropped += 1;
            return;
        };
        let mut buf = datagram.to_vec();
        let result = if rtcp {
            ctx.unprotect_rtcp(&mut buf)
        } else {
            ctx.unprotect_rtp(&mut buf)
        };
        let Ok(len) = result else {
            self.counters.srtp_dropped += 1;
            return;
        };
        buf.truncate(len);
        if rtcp {
            self.handle_rtcp(now, &buf);
        } else {
            self.handle_rtp(now, &buf);
        }
        self.drain(now);
    }

    fn handle_rtp(&mut self, now: Instant, bytes: &[u8]) {
        let Ok(packet) = RtpPacket::parse(bytes) else {
            self.counters.malformed += 1;
            return;
        };
        let ssrc = packet.ssrc();
        let route = match self.routes.get(&ssrc) {
            Some(r) => Some(*r),
            None => self.new_route(&packet),
        };
        let Some((id, index)) = route else {
            self.counters.rtp_unrouted += 1;
            return;
        };
        let Some(t) = self.transceivers.iter_mut().find(|t| t.id == id) else {
            self.counters.rtp_unrouted += 1;
            return;
        };
        let local = t.ssrc;
        let twcc_seq = t
            .extensions
            .values(&packet.extensions())
            .transport_sequence_number;
        let Some(r) = t.receive.get_mut(index) else {
            self.counters.rtp_unrouted += 1;
            return;
        };
        if Some(ssrc) == r.rtx_ssrc || packet.payload_type() == r.codec.payload_type {
            // Every packet the transport carries counts for transport-cc, RTX included
            // (draft-holmer §2), when the peer asked for the feedback.
            if let Some(seq) = twcc_seq.filter(|_| r.transport_cc) {
                self.twcc_in
                    .get_or_insert_with(|| TwccReceiver::new(local, ssrc))
                    .record(now, seq);
            }
            r.packets += 1;
            r.bytes += packet.payload().len() as u64;
            if r.stream.handle_rtp(now, &packet).is_err() {
                self.counters.malformed += 1;
            }
        } else {
            // Another payload type on the stream's SSRC: a codec switch is not followed yet.
            self.counters.rtp_unrouted += 1;
        }
    }

    /// A new SSRC: its transceiver by MID (or RID's repaired stream), by the peer's
    /// `a=ssrc` lines, or by a payload type only one transceiver has (RFC 8843 §9.2).
    fn new_route(&mut self, packet: &RtpPacket<'_>) -> Option<(TransceiverId, usize)> {
        let ssrc = packet.ssrc();
        let pt = packet.payload_type();
        if self.routes.len() >= 64 {
            return None;
        }
        let receiving =
            |t: &&Transceiver| !t.stopped && t.current_direction.is_some_and(|d| d.receives());
        let mut chosen: Option<TransceiverId> = None;
        let mut rid: Option<String> = None;
        let mut repaired: Option<String> = None;
        for t in self.transceivers.iter().filter(receiving) {
            let values = t.extensions.values(&packet.extensions());
            if let (Some(mid), Some(own)) = (values.mid, t.mid.as_deref())
                && mid == own
            {
                chosen = Some(t.id);
                rid = values.rtp_stream_id.map(str::to_owned);
                repaired = values.repaired_rtp_stream_id.map(str::to_owned);
                break;
            }
        }
        if chosen.is_none() {
            chosen = self
                .transceivers
                .iter()
                .filter(receiving)
                .find(|t| {
                    t.remote.as_ref().is_some_and(|r| {
                        r.ssrcs.contains(&ssrc) || r.rtx.iter().any(|(_, x)| *x == ssrc)
                    })
                })
                .map(|t| t.id);
        }
        if chosen.is_none() {
            let mut by_pt = self
                .transceivers
                .iter()
                .filter(receiving)
                .filter(|t| t.codec_of(pt).is_some());
            let first = by_pt.next().map(|t| t.id);
            if by_pt.next().is_none() {
                chosen = first;
            }
        }
        let id = chosen?;
        let t = self.transceivers.iter_mut().find(|t| t.id == id)?;
        let (codec, is_rtx) = t.codec_of(pt).map(|(c, r)| (c.clone(), r))?;
        let remote = t.remote.clone();
        if is_rtx {
            // An RTX stream: the media stream it repairs, by the FID group or by RID.
            let media = remote
                .as_ref()
                .and_then(|r| r.rtx.iter().find(|(_, x)| *x == ssrc).map(|(m, _)| *m));
            let index = t
                .receive
                .iter()
                .position(|s| Some(s.ssrc) == media || (repaired.is_some() && s.rid == repaired))?;
            let stream = &mut t.receive[index];
            if stream.rtx_ssrc.is_none() {
                // Learnt from the repaired RID: rebuild the stream with RTX.
                let rebuilt = RecvStream::new(
                    stream.ssrc,
                    Some(ssrc),
                    stream.rid.clone(),
                    stream.codec.clone(),
                    t.ssrc,
                )?;
                *stream = rebuilt;
            }
            self.routes.insert(ssrc, (id, index));
            return Some((id, index));
        }
        if t.receive.len() >= 8 {
            return None;
        }
        let rtx = remote
            .as_ref()
            .and_then(|r| r.rtx.iter().find(|(m, _)| *m == ssrc).map(|(_, x)| *x));
        // A layer only where simulcast was negotiated (RFC 8853): a RID on a plain
        // transceiver's stream is not a layer of its own.
        let rid = rid.filter(|r| remote.as_ref().is_some_and(|m| m.rids.contains(r)));
        let stream = RecvStream::new(ssrc, rtx, rid, codec, t.ssrc)?;
        t.receive.push(stream);
        let index = t.receive.len() - 1;
        self.routes.insert(ssrc, (id, index));
        if let Some(x) = rtx {
            self.routes.insert(x, (id, index));
        }
        Some((id, index))
    }

    fn handle_rtcp(&mut self, now: Instant, bytes: &[u8]) {
        let Ok(compound) = Compound::parse(bytes) else {
            self.counters.malformed += 1;
            return;
        };
        for packet in compound {
            let Ok(packet) = packet else {
                self.counters.malformed += 1;
                break;
            };
            match packet {
                RtcpPacket::SenderReport(sr) => {
                    for r in self.receive_streams_mut().filter(|r| r.ssrc == sr.ssrc) {
                        r.stream.handle_sender_report(now, &sr);
                    }
                    self.report_blocks(now, sr.reports.iter());
                }
                RtcpPacket::ReceiverReport(rr) => self.report_blocks(now, rr.reports.iter()),
                RtcpPacket::Nack(nack) => self.nack(now, &nack),
                RtcpPacket::PictureLossIndication(pli) => self.keyframe_asked(pli.media_ssrc),
                RtcpPacket::TransportCc(feedback) => {
                    self.counters.twcc_feedback_received += 1;
                    if let Some(sender) = &mut self.twcc_out.sender {
                        for p in sender.handle_feedback(&feedback) {
                            if p.arrival_micros.is_some() {
                                self.counters.twcc_packets_received += 1;
                            } else {
                                self.counters.twcc_packets_lost += 1;
                            }
                        }
                    }
                }
                RtcpPacket::Fir(fir) => {
                    let ssrcs: Vec<u32> = fir.entries.iter().map(|e| e.ssrc).collect();
                    for s in ssrcs {
                        self.keyframe_asked(s);
                    }
                }
                _ => {}
            }
        }
    }

    fn receive_streams_mut(&mut self) -> impl Iterator<Item = &mut RecvStream> {
        self.transceivers
            .iter_mut()
            .flat_map(|t| t.receive.iter_mut())
    }

    fn report_blocks(&mut self, now: Instant, blocks: impl Iterator<Item = ReportBlock>) {
        for block in blocks {
            let mut rtt = None;
            for t in &mut self.transceivers {
                if let Some(s) = t.send.as_mut().filter(|s| s.ssrc == block.ssrc) {
                    rtt = s.stats.handle_report_block(now, &block);
                    if let (Some(rtt), Some(rtx)) = (rtt, s.rtx.as_mut()) {
                        rtx.set_rtt(rtt);
                    }
                }
            }
            if let Some(rtt) = rtt {
                for r in self.receive_streams_mut() {
                    r.stream.set_rtt(rtt);
                }
            }
        }
    }

    fn nack(&mut self, now: Instant, nack: &Nack<'_>) {
        for t in &mut self.transceivers {
            if let Some(s) = t.send.as_mut().filter(|s| s.ssrc == nack.media_ssrc)
                && let Some(rtx) = s.rtx.as_mut()
            {
                rtx.handle_nack(now, nack);
            }
        }
    }

    fn keyframe_asked(&mut self, media_ssrc: u32) {
        let ids: Vec<TransceiverId> = self
            .transceivers
            .iter()
            .filter(|t| t.send.as_ref().is_some_and(|s| s.ssrc == media_ssrc))
            .map(|t| t.id)
            .collect();
        for id in ids {
            self.events.push_back(MediaEvent::KeyframeRequest(id));
        }
    }

    /// Frames, feedback and retransmissions that are ready.
    pub(crate) fn drain(&mut self, now: Instant) {
        let mut rtp = Vec::new();
        let mut rtcp = Vec::new();
        for t in &mut self.transceivers {
            for r in &mut t.receive {
                while let Some(frame) = r.stream.poll_frame(now) {
                    r.frames += 1;
                    self.events.push_back(MediaEvent::Frame(
                        t.id,
                        MediaFrame {
                            data: frame.data.to_vec(),
                            timestamp: frame.timestamp,
                            keyframe: frame.keyframe,
                            codec: r.codec.clone(),
                            rid: r.rid.clone(),
                        },
                    ));
                }
                while let Some(feedback) = r.stream.poll_feedback(now) {
                    let mut buf = vec![0u8; feedback.encoded_len()];
                    if let Ok(n) = feedback.emit(&mut buf) {
                        buf.truncate(n);
                        rtcp.push(buf);
                    }
                }
            }
            if let Some(rtx) = t.send.as_mut().and_then(|s| s.rtx.as_mut()) {
                while let Some(re) = rtx.poll_retransmission(now) {
                    let mut buf = vec![0u8; re.encoded_len()];
                    if let Ok(n) = re.emit(&mut buf) {
                        buf.truncate(n);
                        rtp.push(buf);
                    }
                }
            }
        }
        if let Some(twcc) = &mut self.twcc_in {
            while let Some(feedback) = twcc.poll_feedback(now) {
                let packet = RtcpPacket::TransportCc(feedback);
                let mut buf = vec![0u8; packet.encoded_len()];
                if let Ok(n) = packet.emit(&mut buf) {
                    buf.truncate(n);
                    rtcp.push(buf);
                    self.counters.twcc_feedback_sent += 1;
                }
            }
        }
        for p in rtp {
            self.send_rtp(p);
        }
        for p in rtcp {
            self.send_rtcp(p);
        }
    }

    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        let streams = self
            .transceivers
            .iter()
            .flat_map(|t| t.receive.iter())
            .filter_map(|r| r.stream.poll_timeout())
            .min();
        let twcc = self.twcc_in.as_ref().and_then(TwccReceiver::poll_timeout);
        [streams, self.next_report, twcc]
            .into_iter()
            .flatten()
            .min()
    }

    pub(crate) fn handle_timeout(&mut self, now: Instant) {
        for r in self.receive_streams_mut() {
            r.stream.handle_timeout(now);
        }
        if self.next_report.is_some_and(|t| t <= now) {
            self.next_report = Some(now + REPORT_INTERVAL);
            self.reports(now);
        }
        self.drain(now);
    }

    /// Starts the report timer once something is received.
    pub(crate) fn note_activity(&mut self, now: Instant) {
        if self.next_report.is_none() && self.srtp_ready() {
            self.next_report = Some(now + REPORT_INTERVAL);
        }
    }

    /// One compound per transceiver: SR if it sends (else RR) with report blocks for what it
    /// receives, and SDES CNAME (RFC 3550 §6.1; reduced-size is negotiated but compound is
    /// what every peer takes).
    fn reports(&mut self, now: Instant) {
        let ntp = self.ntp(now);
        let cname = self.cname.clone();
        let mut out = Vec::new();
        for t in &mut self.transceivers {
            let blocks: Vec<ReportBlock> = t
                .receive
                .iter_mut()
                .map(|r| r.stream.report_block(now))
                .collect();
            let blocks = &blocks[..blocks.len().min(31)];
            let mut buf = vec![0u8; MAX_DATAGRAM];
            let mut at = 0;
            let ssrc = t.ssrc;
            let written = match t.send.as_mut().filter(|s| s.packets_sent > 0) {
                Some(s) => {
                    let mut sr: SenderReport<'_> = s.stats.sender_report(now, ntp);
                    sr.reports = blocks.into();
                    RtcpPacket::SenderReport(sr).emit(&mut buf)
                }
                None if !blocks.is_empty() => RtcpPacket::ReceiverReport(ReceiverReport {
                    ssrc,
                    reports: blocks.into(),
                    profile_extensions: &[],
                })
                .emit(&mut buf),
                None => continue,
            };
            let Ok(n) = written else { continue };
            at += n;
            let items = [SdesItem {
                item_type: SdesItemType::Cname,
                value: cname.as_bytes(),
            }];
            let chunks = [SdesChunk {
                source: ssrc,
                items: (&items[..]).into(),
            }];
            if let Ok(n) = RtcpPacket::SourceDescription(SourceDescription {
                chunks: (&chunks[..]).into(),
            })
            .emit(&mut buf[at..])
            {
                at += n;
            }
            buf.truncate(at);
            out.push(buf);
        }
        for p in out {
            self.send_rtcp(p);
        }
    }

    /// A PLI for a remote stream, sent now (the facade's `request_keyframe`).
    pub(crate) fn pli(&mut self, sender: u32, media: u32) {
        let mut buf = vec![0u8; 12];
        if let Ok(n) = RtcpPacket::PictureLossIndication(PictureLossIndication {
            sender_ssrc: sender,
            media_ssrc: media,
        })
        .emit(&mut buf)
        {
            buf.truncate(n);
            self.send_rtcp(buf);
        }
    }

    /// Forgets what a transceiver received (it stopped receiving).
    pub(crate) fn forget_routes(&mut self) {
        let live: Vec<(TransceiverId, usize, u32, Option<u32>)> = self
            .transceivers
            .iter()
            .flat_map(|t| {
                t.receive
                    .iter()
                    .enumerate()
                    .map(move |(i, r)| (t.id, i, r.ssrc, r.rtx_ssrc))
            })
            .collect();
        self.routes.retain(|ssrc, (id, index)| {
            live.iter()
                .any(|(t, i, s, x)| t == id && i == index && (s == ssrc || *x == Some(*ssrc)))
        });
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use rtc_dtls::{SrtpKeyingMaterial, SrtpProfile};
    use rtc_media::{HeaderExtension, HeaderExtensions, RtpHeader, uri};
    use rtc_sdp::attributes::Direction;

    use super::*;
    use crate::media::RemoteMedia;
    use crate::media::codec::default_codecs;

    fn keys() -> SrtpKeyingMaterial {
        SrtpKeyingMaterial {
            profile: SrtpProfile::Aes128CmHmacSha1_80,
            client_key: vec![1; 16],
            client_salt: vec![2; 14],
            server_key: vec![3; 16],
            server_salt: vec![4; 14],
        }
    }

    /// One VP8 keyframe in one packet whose bytes name the layer and the frame.
    fn packet(ssrc: u32, seq: u16, rid: &str, layer: u8) -> Vec<u8> {
        let mut payload = vec![0x10, 0x00, 0x00, 0x00, 0x9d, 0x01, 0x2a];
        payload.extend([layer, seq as u8]);
        let ext = [
            HeaderExtension::new(4, b"0"),
            HeaderExtension::new(10, rid.as_bytes()),
        ];
        let header = RtpHeader {
            marker: true,
            extensions: HeaderExtensions::auto(&ext),
            ..RtpHeader::new(96, seq, u32::from(seq) * 3000, ssrc)
        };
        let mut buf = vec![0u8; 1500];
        let len = header.emit_packet(&payload, 0, &mut buf).unwrap();
        buf.truncate(len);
        buf
    }

    /// A transceiver that receives VP8 in layers `q`, `h` and `f` (and sends VP8 with
    /// transport-cc), keyed; and the peer's SRTP context that writes to it.
    fn receiving() -> (MediaState, SrtpContext, TransceiverId) {
        let provider = rtc_crypto::default_provider();
        let mut n = 7u32;
        let mut random = move || {
            n = n.wrapping_mul(1_103_515_245).wrapping_add(12345);
            n
        };
        let mut media = MediaState::new("cname".into());
        let init = TransceiverInit {
            direction: Direction::SendRecv,
            ..TransceiverInit::default()
        };
        let id = media.add(MediaKind::Video, init, &mut random);
        let vp8 = default_codecs(MediaKind::Video).remove(0);
        let extensions = vec![
            (3, uri::TRANSPORT_CC.to_owned()),
            (4, uri::MID.to_owned()),
            (10, uri::RTP_STREAM_ID.to_owned()),
            (11, uri::REPAIRED_RTP_STREAM_ID.to_owned()),
        ];
        let remote = RemoteMedia {
            kind: MediaKind::Video,
            codecs: vec![vp8.clone()],
            extensions: extensions.clone(),
            direction: Direction::SendRecv,
            track: None,
            ssrcs: Vec::new(),
            rtx: Vec::new(),
            rids: vec!["q".into(), "h".into(), "f".into()],
        };
        let t = media.get_mut(id).unwrap();
        t.mid = Some("0".into());
        t.apply(
            vec![vp8],
            &extensions,
            Direction::SendRecv,
            remote,
            &mut random,
        );
        assert!(media.start_srtp(&keys(), false, provider));
        let profile = ProtectionProfile::from_id(1).unwrap();
        let peer =
            SrtpContext::new(profile, &[1; 16], &[2; 14], SrtpConfig::default(), provider).unwrap();
        (media, peer, id)
    }

    fn deliver(media: &mut MediaState, peer: &mut SrtpContext, now: Instant, plain: &[u8]) {
        let rtcp = matches!(plain.get(1), Some(192..=223));
        let len = plain.len();
        let mut p = plain.to_vec();
        p.resize(len + 20, 0);
        let n = if rtcp {
            peer.protect_rtcp(&mut p, len)
        } else {
            peer.protect_rtp(&mut p, len)
        };
        if let Ok(n) = n {
            media.handle_datagram(now, &p[..n]);
        }
    }

    fn frames_of(media: &MediaState, rid: &str) -> Vec<Vec<u8>> {
        media
            .events
            .iter()
            .filter_map(|e| match e {
                MediaEvent::Frame(_, f) if f.rid.as_deref() == Some(rid) => Some(f.data.clone()),
                _ => None,
            })
            .collect()
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        /// Authenticated but arbitrary RTP and RTCP (the peer holds the keys; a bug or a
        /// hostile peer can send anything): nothing panics, and an established layer carries
        /// on (its SSRC is left alone: what the peer says on it is the peer's to say).
        #[test]
        #[allow(clippy::disallowed_methods)] // a test picks its start time
        fn authenticated_garbage_does_not_disturb_a_layer(
            junk in proptest::collection::vec(
                (0u8..4, proptest::collection::vec(proptest::prelude::any::<u8>(), 0..120)),
                0..60,
            )
        ) {
            let (mut media, mut peer, id) = receiving();
            let total = junk.len();
            let start = Instant::now();
            media.write_frame(start, id, &[0x10, 0, 0, 0x9d, 1, 0x2a, 0, 0, 0, 0], Duration::from_millis(33)).unwrap();
            for (i, (kind, mut bytes)) in junk.into_iter().enumerate() {
                let frame = i as u16;
                let now = start + Duration::from_millis(10 * u64::from(frame));
                deliver(&mut media, &mut peer, now, &packet(0x1111, frame, "q", 0));
                // Shape the junk as RTP with extensions, RTCP feedback or as it came.
                if bytes.len() >= 12 {
                    match kind {
                        0 => { bytes[0] = 0x90; bytes[1] &= 0x7f; }
                        1 => { bytes[0] = 0x8f; bytes[1] = 205; }
                        2 => { bytes[0] = 0x81 | (bytes[0] & 0x1f); bytes[1] = 200 + bytes[1] % 8; }
                        _ => {}
                    }
                    if kind < 3 && bytes[8..12] == 0x1111u32.to_be_bytes() {
                        bytes[8] ^= 0xff;
                    }
                }
                deliver(&mut media, &mut peer, now, &bytes);
                media.handle_timeout(now);
            }
            media.handle_timeout(start + Duration::from_secs(2));
            let q = frames_of(&media, "q");
            let want: Vec<Vec<u8>> = (0..total as u16)
                .map(|f| vec![0, 0, 0, 0x9d, 1, 0x2a, 0, f as u8])
                .collect();
            proptest::prop_assert_eq!(q, want);
        }
    }

    /// RTP of three simulcast layers on one transceiver (RFC 8853): each new SSRC is told
    /// apart by its RID (RFC 8852 §3.1), becomes a stream of its own, and its frames carry
    /// the layer; a RID the answer did not take is no layer.
    #[test]
    #[allow(clippy::disallowed_methods)] // a test picks its start time
    fn simulcast_layers_are_routed_by_rid() {
        let (mut media, mut peer, id) = receiving();
        let start = Instant::now();
        let layers = [
            ("q", 0x1111u32),
            ("h", 0x2222),
            ("f", 0x3333),
            ("x", 0x4444),
        ];
        for frame in 0..20u16 {
            let now = start + Duration::from_millis(33 * u64::from(frame));
            for (i, (rid, ssrc)) in layers.iter().enumerate() {
                deliver(
                    &mut media,
                    &mut peer,
                    now,
                    &packet(*ssrc, frame, rid, i as u8),
                );
            }
            media.handle_timeout(now);
        }
        media.handle_timeout(start + Duration::from_secs(2));

        let mut by_layer: BTreeMap<Option<String>, Vec<u8>> = BTreeMap::new();
        for e in &media.events {
            if let MediaEvent::Frame(t, f) = e {
                assert_eq!(*t, id);
                by_layer.entry(f.rid.clone()).or_default().push(f.data[6]);
            }
        }
        // Every frame of each layer, and only that layer's.
        assert_eq!(by_layer.len(), 4, "{by_layer:?}");
        assert_eq!(by_layer[&Some("q".into())], [0; 20]);
        assert_eq!(by_layer[&Some("h".into())], [1; 20]);
        assert_eq!(by_layer[&Some("f".into())], [2; 20]);
        assert_eq!(by_layer[&None], [3; 20], "an unknown RID is no layer");
        let t = media.get(id).unwrap();
        assert_eq!(t.receive.len(), 4);
        assert_eq!(media.counters.rtp_unrouted, 0);
    }
}
