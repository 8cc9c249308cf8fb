//! Codecs a transceiver offers or accepts, and how two lists of them agree (RFC 8829 §5.2.1,
//! §5.3.1; RFC 6184 §8.2.2 for H.264's profile-level-id).

use rtc_media::MediaKind;
use rtc_sdp::attributes::ProfileLevelId;

/// One codec of an `m=` section: what `a=rtpmap`, `a=fmtp` and `a=rtcp-fb` say about one
/// payload type (the W3C `RTCRtpCodecParameters`, plus the feedback).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Codec {
    /// The payload type.
    pub payload_type: u8,
    /// `audio/opus`, `video/VP8`, `video/H264`...
    pub mime_type: String,
    /// The RTP clock rate.
    pub clock_rate: u32,
    /// Audio channels (0 for video).
    pub channels: u16,
    /// The `a=fmtp` parameters ("" for none).
    pub fmtp: String,
    /// `a=rtcp-fb` values: `nack`, `nack pli`, `ccm fir`, `transport-cc`, `goog-remb`.
    pub feedback: Vec<String>,
    /// The payload type of its RTX format (RFC 4588), if it has one.
    pub rtx_payload_type: Option<u8>,
}

impl Codec {
    fn new(pt: u8, mime: &str, clock_rate: u32, channels: u16, fmtp: &str) -> Self {
        Self {
            payload_type: pt,
            mime_type: mime.to_owned(),
            clock_rate,
            channels,
            fmtp: fmtp.to_owned(),
            feedback: Vec::new(),
            rtx_payload_type: None,
        }
    }

    fn video(pt: u8, rtx: u8, name: &str, fmtp: &str) -> Self {
        Self {
            // No goog-remb: we send no REMB; the peer's send-side estimate runs on our
            // transport-cc feedback (draft-holmer-rmcat-transport-wide-cc-extensions-01 §4).
            feedback: ["transport-cc", "ccm fir", "nack", "nack pli"]
                .map(str::to_owned)
                .to_vec(),
            rtx_payload_type: Some(rtx),
            ..Self::new(pt, &format!("video/{name}"), 90_000, 0, fmtp)
        }
    }

    /// The encoding name (`opus`, `VP8`...): the MIME subtype.
    pub fn name(&self) -> &str {
        self.mime_type
            .split_once('/')
            .map_or(self.mime_type.as_str(), |(_, n)| n)
    }

    /// Audio or video, by the MIME type.
    pub fn kind(&self) -> MediaKind {
        if self.mime_type.to_ascii_lowercase().starts_with("audio/") {
            MediaKind::Audio
        } else {
            MediaKind::Video
        }
    }

    /// Whether the peer asked for this feedback.
    pub fn has_feedback(&self, value: &str) -> bool {
        self.feedback.iter().any(|f| f.eq_ignore_ascii_case(value))
    }

    fn param(&self, key: &str) -> Option<&str> {
        self.fmtp.split(';').find_map(|p| {
            let (k, v) = p.trim().split_once('=')?;
            k.trim().eq_ignore_ascii_case(key).then(|| v.trim())
        })
    }

    /// Whether `other` is the same format: name, clock rate and channels, and the parameters
    /// that make two formats different (H.264: profile and packetization-mode, RFC 6184
    /// §8.2.2; VP9: profile-id).
    pub fn matches(&self, other: &Self) -> bool {
        if !self.name().eq_ignore_ascii_case(other.name())
            || self.clock_rate != other.clock_rate
            || self.channels.max(1) != other.channels.max(1)
        {
            return false;
        }
        match self.name().to_ascii_uppercase().as_str() {
            "H264" => {
                let mode = |c: &Self| c.param("packetization-mode").unwrap_or("0").to_owned();
                mode(self) == mode(other) && h264_profile(self) == h264_profile(other)
            }
            "VP9" => {
                let id = |c: &Self| c.param("profile-id").unwrap_or("0").to_owned();
                id(self) == id(other)
            }
            _ => true,
        }
    }
}

/// The H.264 profile a `profile-level-id` names (RFC 6184 §8.1: profile_idc and the
/// constraint flags; the level does not make a different format). Absent means 42000a
/// (Constrained Baseline's ancestor, Baseline level 1).
fn h264_profile(codec: &Codec) -> Option<(u8, bool)> {
    let id: ProfileLevelId = match codec.param("profile-level-id") {
        Some(v) => v.parse().ok()?,
        None => ProfileLevelId {
            profile_idc: 0x42,
            profile_iop: 0,
            level_idc: 0x0a,
        },
    };
    // The idc and constraint_set1 (which makes Baseline "Constrained Baseline", RFC 6184
    // §8.1 Table 5), what browsers tell their H.264 formats apart by.
    Some((id.profile_idc, id.profile_iop & 0x40 != 0))
}

/// Our codecs of a kind, in preference order, with the payload types we offer them on
/// (Chromium's numbers where it has them).
pub fn default_codecs(kind: MediaKind) -> Vec<Codec> {
    match kind {
        MediaKind::Audio => vec![
            Codec {
                feedback: vec!["transport-cc".to_owned()],
                ..Codec::new(111, "audio/opus", 48_000, 2, "minptime=10;useinbandfec=1")
            },
            Codec::new(0, "audio/PCMU", 8_000, 1, ""),
            Codec::new(8, "audio/PCMA", 8_000, 1, ""),
        ],
        MediaKind::Video => vec![
            Codec::video(96, 97, "VP8", ""),
            Codec::video(98, 99, "VP9", "profile-id=0"),
            Codec::video(
                102,
                103,
                "H264",
                "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
            ),
            Codec::video(45, 46, "AV1", ""),
        ],
    }
}

/// The codecs both sides have, for an answer: the offer's payload types and order (RFC 8829
/// §5.3.1), our parameters where the format allows (H.264 keeps the offer's fmtp: it names
/// the offered level), the feedback both have, RTX where both have it.
pub fn intersect(ours: &[Codec], offered: &[Codec]) -> Vec<Codec> {
    let mut out = Vec::new();
    for theirs in offered {
        if theirs.name().eq_ignore_ascii_case("rtx") {
            continue;
        }
        let Some(mine) = ours.iter().find(|c| c.matches(theirs)) else {
            continue;
        };
        if out
            .iter()
            .any(|c: &Codec| c.payload_type == theirs.payload_type)
        {
            continue;
        }
        out.push(Codec {
            payload_type: theirs.payload_type,
            mime_type: mine.mime_type.clone(),
            clock_rate: mine.clock_rate,
            channels: mine.channels,
            fmtp: theirs.fmtp.clone(),
            feedback: mine
                .feedback
                .iter()
                .filter(|f| theirs.has_feedback(f))
                .cloned()
                .collect(),
            rtx_payload_type: mine.rtx_payload_type.and(theirs.rtx_payload_type),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h264(pt: u8, fmtp: &str) -> Codec {
        Codec::video(pt, pt + 1, "H264", fmtp)
    }

    #[test]
    fn h264_matches_by_profile_and_mode_not_level() {
        let ours = default_codecs(MediaKind::Video);
        let cb31 = h264(
            106,
            "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
        );
        let cb52 = h264(107, "packetization-mode=1;profile-level-id=42e034");
        let mode0 = h264(108, "packetization-mode=0;profile-level-id=42e01f");
        let high = h264(109, "packetization-mode=1;profile-level-id=640032");
        let got = intersect(&ours, &[high, mode0, cb52.clone(), cb31]);
        let pts: Vec<u8> = got.iter().map(|c| c.payload_type).collect();
        assert_eq!(pts, [107, 106]);
        assert_eq!(got[0].fmtp, cb52.fmtp, "the offer's level is kept");
        assert_eq!(got[0].rtx_payload_type, Some(108));
    }

    #[test]
    fn answer_keeps_the_offer_order_and_payload_types() {
        let ours = default_codecs(MediaKind::Video);
        let mut vp9 = Codec::video(120, 121, "VP9", "profile-id=0");
        vp9.feedback = vec!["nack".to_owned(), "goog-remb".to_owned()];
        let vp9_2 = Codec::video(122, 123, "VP9", "profile-id=2");
        let mut vp8 = Codec::video(100, 101, "VP8", "");
        vp8.rtx_payload_type = None;
        let got = intersect(&ours, &[vp9, vp9_2, vp8]);
        assert_eq!(got.len(), 2);
        assert_eq!(
            (got[0].name(), got[0].payload_type, got[0].rtx_payload_type),
            ("VP9", 120, Some(121))
        );
        assert_eq!(got[0].feedback, ["nack"], "only feedback both have");
        assert_eq!(
            (got[1].name(), got[1].payload_type, got[1].rtx_payload_type),
            ("VP8", 100, None)
        );
    }

    #[test]
    fn audio_by_name_rate_and_channels() {
        let ours = default_codecs(MediaKind::Audio);
        let offered = [
            Codec::new(109, "audio/OPUS", 48_000, 2, "useinbandfec=1"),
            Codec::new(9, "audio/G722", 8_000, 1, ""),
            Codec::new(0, "audio/PCMU", 8_000, 0, ""),
            Codec::new(110, "audio/opus", 16_000, 1, ""),
        ];
        let got = intersect(&ours, &offered);
        let pts: Vec<u8> = got.iter().map(|c| c.payload_type).collect();
        assert_eq!(pts, [109, 0]);
    }
}
