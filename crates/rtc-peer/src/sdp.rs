//! The session descriptions we write (RFC 8829 §5.2, §5.3) and what we take from the peer's
//! (§5.7, §5.8).

use std::fmt::Write as _;

use rtc_sdp::SessionDescription;
use rtc_sdp::attributes::{MaxMessageSize, SctpPort, Setup};

use crate::Error;

/// The protocol of a data channel section (RFC 8841 §4.1).
pub(crate) const DATA_PROTOCOL: &str = "UDP/DTLS/SCTP";
/// Its format (RFC 8841 §4.2).
pub(crate) const DATA_FORMAT: &str = "webrtc-datachannel";
/// `a=max-message-size` when the peer leaves it out (RFC 8841 §6.1).
pub(crate) const DEFAULT_MAX_MESSAGE_SIZE: usize = 65536;

/// One `m=` section of ours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Section {
    pub(crate) mid: String,
    pub(crate) kind: SectionKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SectionKind {
    /// The data channel section.
    Application,
    /// An audio or video section of a transceiver.
    Media(crate::media::TransceiverId),
    /// A section of the peer's offer we do not take (RFC 8829 §5.3.1: port zero, same media,
    /// protocol and formats).
    Rejected {
        media: String,
        protocol: String,
        formats: Vec<String>,
    },
}

/// What goes into a description of ours.
pub(crate) struct LocalParams<'a> {
    pub(crate) session_id: u64,
    pub(crate) version: u64,
    pub(crate) ufrag: &'a str,
    pub(crate) pwd: &'a str,
    pub(crate) fingerprint: &'a rtc_dtls::Fingerprint,
    pub(crate) setup: Setup,
    pub(crate) ice_lite: bool,
    pub(crate) max_message_size: usize,
    pub(crate) sections: &'a [Section],
    /// Each media section's `m=` line after `m=` and its media attributes.
    pub(crate) media: &'a [(crate::media::TransceiverId, String, String)],
    /// `candidate:…` lines gathered so far, and whether gathering is complete.
    pub(crate) candidates: &'a [String],
    pub(crate) end_of_candidates: bool,
}

/// Writes a description of ours (RFC 8829 §5.2.1 for offers, §5.3.1 for answers; the shapes
/// Chromium writes, which every stack accepts).
pub(crate) fn write_local(p: &LocalParams<'_>) -> String {
    let mut s = String::with_capacity(512 + 80 * p.candidates.len());
    // RFC 8829 §5.2.1: o= with a random session id (< 2^63) and a version that grows.
    let _ = write!(
        s,
        "v=0\r\no=- {} {} IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n",
        p.session_id, p.version
    );
    if p.ice_lite {
        s.push_str("a=ice-lite\r\n");
    }
    let bundled: Vec<&str> = p
        .sections
        .iter()
        .filter(|m| !matches!(m.kind, SectionKind::Rejected { .. }))
        .map(|m| m.mid.as_str())
        .collect();
    if !bundled.is_empty() {
        // RFC 8843 §7.1: max-bundle, every section in one group.
        s.push_str("a=group:BUNDLE");
        for mid in &bundled {
            s.push(' ');
            s.push_str(mid);
        }
        s.push_str("\r\n");
    }
    s.push_str("a=msid-semantic: WMS\r\n");
    let mut first_bundled = true;
    for section in p.sections {
        match &section.kind {
            SectionKind::Application | SectionKind::Media(_) => {
                if let SectionKind::Media(id) = &section.kind {
                    let Some((_, mline, _)) = p.media.iter().find(|(t, _, _)| t == id) else {
                        continue;
                    };
                    let _ = write!(
                        s,
                        "m={mline}\r\nc=IN IP4 0.0.0.0\r\na=rtcp:9 IN IP4 0.0.0.0\r\n"
                    );
                } else {
                    let _ = write!(
                        s,
                        "m=application 9 {DATA_PROTOCOL} {DATA_FORMAT}\r\nc=IN IP4 0.0.0.0\r\n"
                    );
                }
                // RFC 8839 §5.1: candidates go in the bundled section (its transport).
                if first_bundled {
                    for c in p.candidates {
                        s.push_str("a=");
                        s.push_str(c);
                        s.push_str("\r\n");
                    }
                    if p.end_of_candidates {
                        s.push_str("a=end-of-candidates\r\n");
                    }
                }
                first_bundled = false;
                let _ = write!(
                    s,
                    "a=ice-ufrag:{}\r\na=ice-pwd:{}\r\na=ice-options:trickle\r\n\
                     a=fingerprint:{}\r\na=setup:{}\r\na=mid:{}\r\n",
                    p.ufrag, p.pwd, p.fingerprint, p.setup, section.mid
                );
                match &section.kind {
                    SectionKind::Media(id) => {
                        if let Some((_, _, lines)) = p.media.iter().find(|(t, _, _)| t == id) {
                            s.push_str(lines);
                        }
                    }
                    _ => {
                        let _ = write!(
                            s,
                            "a=sctp-port:5000\r\na=max-message-size:{}\r\n",
                            p.max_message_size
                        );
                    }
                }
            }
            SectionKind::Rejected {
                media,
                protocol,
                formats,
            } => {
                let _ = write!(s, "m={media} 0 {protocol}");
                for f in formats {
                    s.push(' ');
                    s.push_str(f);
                }
                let _ = write!(s, "\r\nc=IN IP4 0.0.0.0\r\na=mid:{}\r\n", section.mid);
            }
        }
    }
    s
}

/// A section of the peer's description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RemoteSection {
    pub(crate) mid: String,
    pub(crate) media: String,
    pub(crate) protocol: String,
    pub(crate) formats: Vec<String>,
    /// Port zero: rejected or stopped.
    pub(crate) rejected: bool,
    /// A data channel section we can take.
    pub(crate) is_data: bool,
    /// An audio or video section, as we read it.
    pub(crate) av: Option<crate::media::RemoteMedia>,
}

/// What we take from the peer's description.
#[derive(Debug, Clone)]
pub(crate) struct Remote {
    pub(crate) ufrag: String,
    pub(crate) pwd: String,
    pub(crate) fingerprints: Vec<rtc_dtls::Fingerprint>,
    pub(crate) setup: Setup,
    pub(crate) ice_lite: bool,
    pub(crate) sections: Vec<RemoteSection>,
    /// The data section: its SCTP port and `a=max-message-size` (0 = no limit, RFC 8841 §6.1).
    pub(crate) sctp_port: Option<u16>,
    pub(crate) max_message_size: usize,
    /// `candidate:…` lines of the transport's section.
    pub(crate) candidates: Vec<String>,
    pub(crate) end_of_candidates: bool,
}

/// Reads the peer's description. `offer` is the offer it answers, when it is an answer.
pub(crate) fn read_remote(
    sdp: &SessionDescription<'_>,
    offer: Option<&SessionDescription<'_>>,
) -> Result<Remote, Error> {
    match offer {
        Some(offer) => rtc_sdp::validate::answer(offer, sdp)?,
        None => rtc_sdp::validate::offer(sdp)?,
    }
    let mut sections = Vec::with_capacity(sdp.media.len());
    for (i, m) in sdp.media.iter().enumerate() {
        let protocol = m.protocol.to_string();
        let is_data = m.media == "application"
            && protocol.ends_with("DTLS/SCTP")
            && m.formats.iter().any(|f| f == DATA_FORMAT);
        sections.push(RemoteSection {
            // A section without a mid (not from a WebRTC peer) gets its index, as JSEP
            // §5.10 does for a missing mid.
            mid: m.mid().map_or_else(|| i.to_string(), str::to_owned),
            media: m.media.to_string(),
            protocol,
            formats: m.formats.iter().map(|f| f.to_string()).collect(),
            rejected: m.port == 0 && !m.bundle_only(),
            is_data,
            av: if m.protocol.contains("RTP/") {
                crate::media::read_media(m)
            } else {
                None
            },
        });
    }
    // The transport is the BUNDLE group's first section (RFC 8843 §7.2.1), or the first
    // section we can use.
    let bundle = sdp.bundle_group()?;
    let transport = bundle
        .as_ref()
        .and_then(|g| g.mids.first())
        .and_then(|mid| sdp.media_by_mid(mid))
        .or_else(|| sdp.media.iter().find(|m| m.port != 0))
        .ok_or(Error::Missing("a section with a transport"))?;
    let ufrag = transport
        .ice_ufrag()
        .or_else(|| sdp.ice_ufrag())
        .ok_or(Error::Missing("a=ice-ufrag"))?
        .to_owned();
    let pwd = transport
        .ice_pwd()
        .or_else(|| sdp.ice_pwd())
        .ok_or(Error::Missing("a=ice-pwd"))?
        .to_owned();
    let mut fingerprints = Vec::new();
    for f in transport.fingerprints().chain(sdp.fingerprints()) {
        let f = f?;
        if let Ok(f) = rtc_dtls::Fingerprint::parse(&format!("{} {}", f.hash.as_str(), f.value)) {
            fingerprints.push(f);
        }
    }
    if fingerprints.is_empty() {
        return Err(Error::Fingerprint);
    }
    let setup = match transport.setup()? {
        Some(s) => s,
        None => sdp.setup()?.ok_or(Error::Missing("a=setup"))?,
    };
    let mut candidates = Vec::new();
    for a in transport
        .attributes
        .iter()
        .filter(|a| a.name == "candidate")
    {
        if let Some(v) = &a.value {
            candidates.push(format!("candidate:{v}"));
        }
    }
    let data = sdp
        .media
        .iter()
        .zip(&sections)
        .find(|(_, s)| s.is_data && !s.rejected)
        .map(|(m, _)| m);
    let (sctp_port, max_message_size) = match data {
        Some(m) => {
            let port = m.typed_first::<SctpPort>()?.map_or(5000, |p| p.0);
            let max = m
                .typed_first::<MaxMessageSize>()?
                .map_or(DEFAULT_MAX_MESSAGE_SIZE, |m| {
                    usize::try_from(m.0).unwrap_or(usize::MAX)
                });
            (Some(port), max)
        }
        None => (None, DEFAULT_MAX_MESSAGE_SIZE),
    };
    Ok(Remote {
        ufrag,
        pwd,
        fingerprints,
        setup,
        ice_lite: sdp.ice_lite(),
        sections,
        sctp_port,
        max_message_size,
        candidates,
        end_of_candidates: transport.end_of_candidates(),
    })
}
