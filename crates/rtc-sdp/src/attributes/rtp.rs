//! RTP attributes: `a=rtpmap` and `a=fmtp` (RFC 8866 §6.6, §6.15), `a=rtcp-fb` (RFC 4585 §4.2),
//! `a=rtcp` (RFC 3605 §2.1), `a=extmap` (RFC 8285 §5, §8) and the direction flags (RFC 8866 §6.7).

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use super::TypedAttribute;
use super::syntax::{is_byte_string, is_vchars, number, opt_number, owned, split_sp, token};
use crate::AttributeError;

/// The highest RTP payload type: the field is 7 bits (RFC 3550 §5.1).
const MAX_PAYLOAD_TYPE: u8 = 127;

/// A payload type: `1*DIGIT` in 0..=127.
fn payload_type(s: &str) -> Result<u8, AttributeError> {
    let pt: u8 = number(s, "payload type")?;
    if pt > MAX_PAYLOAD_TYPE {
        return Err(AttributeError::InvalidField("payload type"));
    }
    Ok(pt)
}

/// The media direction flags `a=sendrecv`, `a=sendonly`, `a=recvonly`, `a=inactive`
/// (RFC 8866 §6.7), also used by `a=extmap` (RFC 8285 §8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Direction {
    /// `sendrecv`: the default when no flag is present (RFC 8866 §6.7.1).
    #[default]
    SendRecv,
    /// `sendonly`.
    SendOnly,
    /// `recvonly`.
    RecvOnly,
    /// `inactive`.
    Inactive,
}

impl Direction {
    /// The attribute name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::SendRecv => "sendrecv",
            Self::SendOnly => "sendonly",
            Self::RecvOnly => "recvonly",
            Self::Inactive => "inactive",
        }
    }

    /// Whether media is sent in this direction.
    pub const fn sends(self) -> bool {
        matches!(self, Self::SendRecv | Self::SendOnly)
    }

    /// Whether media is received in this direction.
    pub const fn receives(self) -> bool {
        matches!(self, Self::SendRecv | Self::RecvOnly)
    }

    /// The direction seen from the peer: `sendonly` and `recvonly` swap (RFC 8866 §6.7).
    pub const fn reverse(self) -> Self {
        match self {
            Self::SendOnly => Self::RecvOnly,
            Self::RecvOnly => Self::SendOnly,
            other => other,
        }
    }
}

impl FromStr for Direction {
    type Err = AttributeError;

    /// Parses the exact flag name (the SDP attribute names are case-sensitive, RFC 8866 §5.13).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [
            Self::SendRecv,
            Self::SendOnly,
            Self::RecvOnly,
            Self::Inactive,
        ]
        .into_iter()
        .find(|d| d.as_str() == s)
        .ok_or(AttributeError::InvalidField("direction"))
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `a=rtpmap:111 opus/48000/2`: what an RTP payload type means (RFC 8866 §6.6).
///
/// Valid when `payload_type` is at most 127, `encoding` is a token without `/`, and
/// `clock_rate` and `channels` are not 0.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtpMap<'a> {
    /// The payload type, 0..=127.
    pub payload_type: u8,
    /// The encoding name as written (`opus`, `VP8`, `H264`, `rtx`, …); compare it
    /// case-insensitively (media type names are, RFC 4855 §3).
    pub encoding: Cow<'a, str>,
    /// The RTP clock rate in Hz.
    pub clock_rate: u32,
    /// The encoding parameters: the channel count for audio.
    pub channels: Option<u16>,
}

impl<'a> RtpMap<'a> {
    /// A mapping without encoding parameters.
    pub fn new(payload_type: u8, encoding: impl Into<Cow<'a, str>>, clock_rate: u32) -> Self {
        Self {
            payload_type,
            encoding: encoding.into(),
            clock_rate,
            channels: None,
        }
    }

    /// The same mapping with a channel count.
    #[must_use]
    pub fn with_channels(self, channels: u16) -> Self {
        Self {
            channels: Some(channels),
            ..self
        }
    }

    /// Whether the encoding is `name`, ignoring case.
    pub fn is(&self, name: &str) -> bool {
        self.encoding.eq_ignore_ascii_case(name)
    }

    /// The same mapping, owning its text.
    pub fn into_owned(self) -> RtpMap<'static> {
        RtpMap {
            payload_type: self.payload_type,
            encoding: owned(self.encoding),
            clock_rate: self.clock_rate,
            channels: self.channels,
        }
    }
}

impl<'a> TypedAttribute<'a> for RtpMap<'a> {
    const NAME: &'static str = "rtpmap";

    fn parse(value: &'a str) -> Result<Self, AttributeError> {
        // RFC 8866 §6.6: rtpmap-value = payload-type SP encoding-name
        //                                "/" clock-rate [ "/" encoding-params ]
        if value.is_empty() {
            return Err(AttributeError::MissingValue);
        }
        let (pt, rest) = split_sp(value);
        let payload_type = payload_type(pt)?;
        let rest = rest.ok_or(AttributeError::MissingField("encoding name"))?;
        if rest.contains(' ') {
            return Err(AttributeError::TrailingData);
        }
        let mut parts = rest.split('/');
        let encoding = token(parts.next().unwrap_or_default(), "encoding name")?;
        // RFC 8866 §6.6: clock-rate = integer, channels = integer (both start with POS-DIGIT).
        let clock_rate = number(parts.next().unwrap_or_default(), "clock rate")?;
        if clock_rate == 0 {
            return Err(AttributeError::InvalidField("clock rate"));
        }
        let channels = parts
            .next()
            .map(|c| number(c, "encoding parameters"))
            .transpose()?;
        if channels == Some(0) {
            return Err(AttributeError::InvalidField("encoding parameters"));
        }
        if parts.next().is_some() {
            return Err(AttributeError::TrailingData);
        }
        Ok(Self {
            payload_type,
            encoding: Cow::Borrowed(encoding),
            clock_rate,
            channels,
        })
    }
}

impl fmt::Display for RtpMap<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}/{}",
            self.payload_type, self.encoding, self.clock_rate
        )?;
        if let Some(channels) = self.channels {
            write!(f, "/{channels}")?;
        }
        Ok(())
    }
}

/// `a=fmtp:111 minptime=10;useinbandfec=1`: format parameters (RFC 8866 §6.15).
///
/// `parameters` is kept exactly as written, so values that are not `key=value` lists
/// (`63 111/111` for RED, `126 0-15` for telephone-event) round-trip; [`Fmtp::params`] and the
/// getters read it. Valid when `format` is a token and `parameters` is non-empty and holds no
/// CR, LF or NUL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fmtp<'a> {
    /// The format (the payload type for RTP), as written.
    pub format: Cow<'a, str>,
    /// The format-specific parameters, as written.
    pub parameters: Cow<'a, str>,
}

impl<'a> Fmtp<'a> {
    /// Parameters for `format`.
    pub fn new(format: impl Into<Cow<'a, str>>, parameters: impl Into<Cow<'a, str>>) -> Self {
        Self {
            format: format.into(),
            parameters: parameters.into(),
        }
    }

    /// The format as an RTP payload type, if it is one.
    pub fn payload_type(&self) -> Option<u8> {
        payload_type(&self.format).ok()
    }

    /// The parameters split on `;`, each as `(key, value)` with surrounding whitespace trimmed;
    /// a parameter without `=` gives `(text, None)`. Empty parameters (`a;;b`, a trailing `;`)
    /// are skipped.
    pub fn params(&self) -> impl Iterator<Item = (&str, Option<&str>)> + '_ {
        self.parameters
            .split(';')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| match p.split_once('=') {
                Some((key, value)) => (key.trim(), Some(value.trim())),
                None => (p, None),
            })
    }

    /// The value of the first parameter named `key` (ignoring ASCII case: media type parameter
    /// names are case-insensitive, RFC 4855 §3). A parameter without `=` gives `Some("")`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.params()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, value)| value.unwrap_or_default())
    }

    fn get_number<T: FromStr>(&self, key: &str) -> Option<T> {
        self.get(key).and_then(opt_number)
    }

    fn get_flag(&self, key: &str) -> Option<bool> {
        match self.get(key)? {
            "0" => Some(false),
            "1" => Some(true),
            _ => None,
        }
    }

    /// `apt`: the payload type an RTX (RFC 4588 §8.6) or FlexFEC format protects.
    pub fn apt(&self) -> Option<u8> {
        self.get("apt").and_then(|v| payload_type(v).ok())
    }

    /// `profile-level-id` (H.264, RFC 6184 §8.1).
    pub fn profile_level_id(&self) -> Option<ProfileLevelId> {
        self.get("profile-level-id")?.parse().ok()
    }

    /// `packetization-mode` (H.264, RFC 6184 §8.1): 0, 1 or 2.
    pub fn packetization_mode(&self) -> Option<u8> {
        self.get_number("packetization-mode")
    }

    /// `level-asymmetry-allowed` (H.264, RFC 6184 §8.1).
    pub fn level_asymmetry_allowed(&self) -> Option<bool> {
        self.get_flag("level-asymmetry-allowed")
    }

    /// `minptime` in milliseconds (Opus, RFC 7587 §6.1).
    pub fn minptime(&self) -> Option<u16> {
        self.get_number("minptime")
    }

    /// `useinbandfec` (Opus, RFC 7587 §6.1).
    pub fn useinbandfec(&self) -> Option<bool> {
        self.get_flag("useinbandfec")
    }

    /// `stereo` (Opus, RFC 7587 §6.1).
    pub fn stereo(&self) -> Option<bool> {
        self.get_flag("stereo")
    }

    /// `maxaveragebitrate` in bit/s (Opus, RFC 7587 §6.1).
    pub fn maxaveragebitrate(&self) -> Option<u32> {
        self.get_number("maxaveragebitrate")
    }

    /// `profile-id` (VP9, RFC 9628; H.265, RFC 7798 §7.1).
    pub fn profile_id(&self) -> Option<u8> {
        self.get_number("profile-id")
    }

    /// `level-id` (H.265, RFC 7798 §7.1).
    pub fn level_id(&self) -> Option<u8> {
        self.get_number("level-id")
    }

    /// `tier-flag` (H.265, RFC 7798 §7.1): 0 for Main tier, 1 for High tier.
    pub fn tier_flag(&self) -> Option<u8> {
        self.get_number("tier-flag")
    }

    /// `level-idx` (AV1 RTP payload specification, SDP parameters).
    pub fn level_idx(&self) -> Option<u8> {
        self.get_number("level-idx")
    }

    /// `profile` (AV1 RTP payload specification, SDP parameters).
    pub fn profile(&self) -> Option<u8> {
        self.get_number("profile")
    }

    /// `tier` (AV1 RTP payload specification, SDP parameters).
    pub fn tier(&self) -> Option<u8> {
        self.get_number("tier")
    }

    /// The same parameters, owning their text.
    pub fn into_owned(self) -> Fmtp<'static> {
        Fmtp {
            format: owned(self.format),
            parameters: owned(self.parameters),
        }
    }
}

impl<'a> TypedAttribute<'a> for Fmtp<'a> {
    const NAME: &'static str = "fmtp";

    fn parse(value: &'a str) -> Result<Self, AttributeError> {
        // RFC 8866 §6.15: fmtp-value = fmt SP format-specific-params
        //              format-specific-params = byte-string
        if value.is_empty() {
            return Err(AttributeError::MissingValue);
        }
        let (format, parameters) = split_sp(value);
        let format = token(format, "format")?;
        let parameters = match parameters {
            Some(p) if !p.is_empty() => p,
            _ => return Err(AttributeError::MissingField("format parameters")),
        };
        if !is_byte_string(parameters) {
            return Err(AttributeError::InvalidField("format parameters"));
        }
        Ok(Self {
            format: Cow::Borrowed(format),
            parameters: Cow::Borrowed(parameters),
        })
    }
}

impl fmt::Display for Fmtp<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.format, self.parameters)
    }
}

/// The H.264 `profile-level-id`: three bytes written as six hex digits, e.g. `42e01f`
/// (RFC 6184 §8.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ProfileLevelId {
    /// `profile_idc`.
    pub profile_idc: u8,
    /// `profile-iop`: the constraint flags.
    pub profile_iop: u8,
    /// `level_idc`.
    pub level_idc: u8,
}

impl FromStr for ProfileLevelId {
    type Err = AttributeError;

    /// Parses exactly six hex digits, either case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        const FIELD: &str = "profile-level-id";
        if s.len() != 6 || !s.bytes().all(|c| c.is_ascii_hexdigit()) {
            return Err(AttributeError::InvalidField(FIELD));
        }
        let value = u32::from_str_radix(s, 16).map_err(|_| AttributeError::InvalidField(FIELD))?;
        let [_, profile_idc, profile_iop, level_idc] = value.to_be_bytes();
        Ok(Self {
            profile_idc,
            profile_iop,
            level_idc,
        })
    }
}

impl fmt::Display for ProfileLevelId {
    /// Six lowercase hex digits, as browsers write them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:02x}{:02x}{:02x}",
            self.profile_idc, self.profile_iop, self.level_idc
        )
    }
}

/// `a=rtcp-fb:96 nack pli`: an RTCP feedback mechanism for a payload type (RFC 4585 §4.2).
///
/// Valid when `payload_type` is at most 127, `kind` is a token and `parameters`, if present, is
/// non-empty without CR, LF or NUL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtcpFb<'a> {
    /// The payload type, or `None` for `*` (every payload type).
    pub payload_type: Option<u8>,
    /// The feedback type: `nack`, `ccm`, `goog-remb`, `transport-cc`, `trr-int`, …
    pub kind: Cow<'a, str>,
    /// Everything after the type, as written: `pli`, `fir`, `100`, …
    pub parameters: Option<Cow<'a, str>>,
}

impl<'a> RtcpFb<'a> {
    /// Feedback `kind` without parameters.
    pub fn new(payload_type: Option<u8>, kind: impl Into<Cow<'a, str>>) -> Self {
        Self {
            payload_type,
            kind: kind.into(),
            parameters: None,
        }
    }

    /// The same feedback with parameters.
    #[must_use]
    pub fn with_parameters(self, parameters: impl Into<Cow<'a, str>>) -> Self {
        Self {
            parameters: Some(parameters.into()),
            ..self
        }
    }

    /// The first word of the parameters: `pli` in `nack pli`, `fir` in `ccm fir`.
    pub fn subtype(&self) -> Option<&str> {
        self.parameters
            .as_deref()?
            .split(' ')
            .next()
            .filter(|s| !s.is_empty())
    }

    /// The interval of `trr-int` in milliseconds (RFC 4585 §4.2).
    pub fn trr_int(&self) -> Option<u32> {
        if self.kind == "trr-int" {
            self.parameters.as_deref().and_then(opt_number)
        } else {
            None
        }
    }

    /// The same feedback, owning its text.
    pub fn into_owned(self) -> RtcpFb<'static> {
        RtcpFb {
            payload_type: self.payload_type,
            kind: owned(self.kind),
            parameters: self.parameters.map(owned),
        }
    }
}

impl<'a> TypedAttribute<'a> for RtcpFb<'a> {
    const NAME: &'static str = "rtcp-fb";

    fn parse(value: &'a str) -> Result<Self, AttributeError> {
        // RFC 4585 §4.2: rtcp-fb-syntax = "a=rtcp-fb:" rtcp-fb-pt SP rtcp-fb-val
        //                rtcp-fb-pt = "*" / fmt
        //                rtcp-fb-val = ... / rtcp-fb-id rtcp-fb-param (SP token [SP byte-string])
        if value.is_empty() {
            return Err(AttributeError::MissingValue);
        }
        let (pt, rest) = split_sp(value);
        let payload_type = if pt == "*" {
            None
        } else {
            Some(payload_type(pt)?)
        };
        let rest = rest.ok_or(AttributeError::MissingField("feedback type"))?;
        let (kind, parameters) = split_sp(rest);
        let kind = token(kind, "feedback type")?;
        let parameters = match parameters {
            Some(p) if !is_byte_string(p) => {
                return Err(AttributeError::InvalidField("feedback parameters"));
            }
            Some(p) => Some(Cow::Borrowed(p)),
            None => None,
        };
        Ok(Self {
            payload_type,
            kind: Cow::Borrowed(kind),
            parameters,
        })
    }
}

impl fmt::Display for RtcpFb<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.payload_type {
            Some(pt) => write!(f, "{pt} {}", self.kind)?,
            None => write!(f, "* {}", self.kind)?,
        }
        if let Some(parameters) = &self.parameters {
            write!(f, " {parameters}")?;
        }
        Ok(())
    }
}

/// `a=rtcp:9 IN IP4 0.0.0.0`: the RTCP port and address when not RTP port + 1 (RFC 3605 §2.1).
///
/// Valid when the connection's network and address types are tokens and the address is
/// visible ASCII.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rtcp<'a> {
    /// The RTCP port.
    pub port: u16,
    /// `(nettype, addrtype, connection-address)`, e.g. `("IN", "IP4", "0.0.0.0")`.
    pub connection: Option<(Cow<'a, str>, Cow<'a, str>, Cow<'a, str>)>,
}

impl<'a> Rtcp<'a> {
    /// The same value, owning its text.
    pub fn into_owned(self) -> Rtcp<'static> {
        Rtcp {
            port: self.port,
            connection: self
                .connection
                .map(|(n, a, c)| (owned(n), owned(a), owned(c))),
        }
    }

    /// The connection address, if written.
    pub fn address(&self) -> Option<&str> {
        self.connection.as_ref().map(|(_, _, address)| &**address)
    }

    /// `port IN IP4|IP6 address`, the address type chosen from the address.
    pub fn new(port: u16, address: Option<std::net::IpAddr>) -> Rtcp<'static> {
        Rtcp {
            port,
            connection: address.map(|ip| {
                let addrtype = if ip.is_ipv4() { "IP4" } else { "IP6" };
                (
                    Cow::Borrowed("IN"),
                    Cow::Borrowed(addrtype),
                    Cow::Owned(ip.to_string()),
                )
            }),
        }
    }
}

impl<'a> TypedAttribute<'a> for Rtcp<'a> {
    const NAME: &'static str = "rtcp";

    fn parse(value: &'a str) -> Result<Self, AttributeError> {
        // RFC 3605 §2.1: rtcp-attribute = "a=rtcp:" port [nettype space addrtype space
        //                                 connection-address]
        if value.is_empty() {
            return Err(AttributeError::MissingValue);
        }
        let mut fields = value.split(' ');
        let port = number(fields.next().unwrap_or_default(), "port")?;
        let connection = match fields.next() {
            None => None,
            Some(nettype) => {
                let nettype = token(nettype, "network type")?;
                let addrtype = fields
                    .next()
                    .ok_or(AttributeError::MissingField("address type"))?;
                let addrtype = token(addrtype, "address type")?;
                let address = fields
                    .next()
                    .ok_or(AttributeError::MissingField("address"))?;
                if !is_vchars(address) {
                    return Err(AttributeError::InvalidField("address"));
                }
                Some((
                    Cow::Borrowed(nettype),
                    Cow::Borrowed(addrtype),
                    Cow::Borrowed(address),
                ))
            }
        };
        if fields.next().is_some() {
            return Err(AttributeError::TrailingData);
        }
        Ok(Self { port, connection })
    }
}

impl fmt::Display for Rtcp<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.port)?;
        if let Some((nettype, addrtype, address)) = &self.connection {
            write!(f, " {nettype} {addrtype} {address}")?;
        }
        Ok(())
    }
}

/// `a=extmap:3/sendonly urn:ietf:params:rtp-hdrext:sdes:mid`: an RTP header extension and its
/// local id (RFC 8285 §5).
///
/// Valid when `id` is in 1..=255 or 4096..=4351, `uri` is visible ASCII and `attributes`, if
/// present, is non-empty without CR, LF or NUL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtMap<'a> {
    /// The id: 1..=14 fit the one-byte header, 1..=255 the two-byte header (RFC 8285 §4.2,
    /// §4.3); 4096..=4351 may only be offered (RFC 8285 §7).
    pub id: u16,
    /// The direction, if written.
    pub direction: Option<Direction>,
    /// The extension's URI.
    pub uri: Cow<'a, str>,
    /// The extension attributes, as written.
    pub attributes: Option<Cow<'a, str>>,
}

impl<'a> ExtMap<'a> {
    /// An extension with `id` and `uri`, no direction or attributes.
    pub fn new(id: u16, uri: impl Into<Cow<'a, str>>) -> Self {
        Self {
            id,
            direction: None,
            uri: uri.into(),
            attributes: None,
        }
    }

    /// Whether the id fits the one-byte header form (RFC 8285 §4.2: 1..=14).
    pub const fn is_one_byte(&self) -> bool {
        matches!(self.id, 1..=14)
    }

    /// The same extension, owning its text.
    pub fn into_owned(self) -> ExtMap<'static> {
        ExtMap {
            id: self.id,
            direction: self.direction,
            uri: owned(self.uri),
            attributes: self.attributes.map(owned),
        }
    }
}

impl<'a> TypedAttribute<'a> for ExtMap<'a> {
    const NAME: &'static str = "extmap";

    fn parse(value: &'a str) -> Result<Self, AttributeError> {
        // RFC 8285 §8: extmap = mapentry SP extensionname [SP extensionattributes]
        //              mapentry = "extmap:" 1*5DIGIT ["/" direction]
        if value.is_empty() {
            return Err(AttributeError::MissingValue);
        }
        let (entry, rest) = split_sp(value);
        let (id, direction) = match entry.split_once('/') {
            Some((id, direction)) => (id, Some(direction)),
            None => (entry, None),
        };
        let id: u16 = number(id, "extmap id")?;
        // RFC 8285 §4.2/§4.3: ids are 1-14 (one-byte form) or 1-255 (two-byte form);
        // §7: 4096-4351 may be offered for negotiation.
        if !matches!(id, 1..=255 | 4096..=4351) {
            return Err(AttributeError::InvalidField("extmap id"));
        }
        let direction = direction
            .map(|d| {
                d.parse()
                    .map_err(|_| AttributeError::InvalidField("extmap direction"))
            })
            .transpose()?;
        let rest = rest.ok_or(AttributeError::MissingField("extension URI"))?;
        let (uri, attributes) = split_sp(rest);
        if uri.is_empty() {
            return Err(AttributeError::MissingField("extension URI"));
        }
        if !is_vchars(uri) {
            return Err(AttributeError::InvalidField("extension URI"));
        }
        let attributes = match attributes {
            Some("") => return Err(AttributeError::MissingField("extension attributes")),
            Some(a) if !is_byte_string(a) => {
                return Err(AttributeError::InvalidField("extension attributes"));
            }
            Some(a) => Some(Cow::Borrowed(a)),
            None => None,
        };
        Ok(Self {
            id,
            direction,
            uri: Cow::Borrowed(uri),
            attributes,
        })
    }
}

impl fmt::Display for ExtMap<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.id)?;
        if let Some(direction) = self.direction {
            write!(f, "/{direction}")?;
        }
        write!(f, " {}", self.uri)?;
        if let Some(attributes) = &self.attributes {
            write!(f, " {attributes}")?;
        }
        Ok(())
    }
}
