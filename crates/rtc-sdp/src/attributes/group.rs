//! `a=group` (RFC 5888 §5, RFC 8843 §7), `a=msid` (RFC 8830 §2) and `a=msid-semantic`.

use std::borrow::Cow;
use std::fmt;

use super::TypedAttribute;
use super::syntax::{is_token, owned, sp_list, split_sp, token, write_joined};
use crate::AttributeError;

/// `a=group:BUNDLE 0 1 2`: media sections grouped under some semantics (RFC 5888 §5).
///
/// Valid when `semantics` and every mid are tokens (RFC 8866 §9).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group<'a> {
    /// The semantics: `BUNDLE` (RFC 8843), `LS`, `FID` (RFC 5888) or another token.
    pub semantics: Cow<'a, str>,
    /// The identification tags (`a=mid` values), in order; may be empty (`a=group:BUNDLE`).
    pub mids: Vec<Cow<'a, str>>,
}

impl<'a> Group<'a> {
    /// The `BUNDLE` semantics (RFC 8843 §7).
    pub const BUNDLE: &'static str = "BUNDLE";
    /// The lip-synchronization semantics (RFC 5888 §7).
    pub const LS: &'static str = "LS";

    /// A group of `mids` under `semantics`.
    pub fn new<I, S>(semantics: impl Into<Cow<'a, str>>, mids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<Cow<'a, str>>,
    {
        Self {
            semantics: semantics.into(),
            mids: mids.into_iter().map(Into::into).collect(),
        }
    }

    /// Whether this is a `BUNDLE` group. RFC 5888 §5's `semantics` values are ABNF literals, so
    /// the comparison ignores case.
    pub fn is_bundle(&self) -> bool {
        self.semantics.eq_ignore_ascii_case(Self::BUNDLE)
    }

    /// Whether `mid` is in the group.
    pub fn contains(&self, mid: &str) -> bool {
        self.mids.iter().any(|m| m == mid)
    }

    /// The same group, owning its text.
    pub fn into_owned(self) -> Group<'static> {
        Group {
            semantics: owned(self.semantics),
            mids: self.mids.into_iter().map(owned).collect(),
        }
    }
}

impl<'a> TypedAttribute<'a> for Group<'a> {
    const NAME: &'static str = "group";

    fn parse(value: &'a str) -> Result<Self, AttributeError> {
        // RFC 5888 §5: group-attribute = "a=group:" semantics *(SP identification-tag)
        if value.is_empty() {
            return Err(AttributeError::MissingValue);
        }
        let (semantics, mids) = split_sp(value);
        let semantics = token(semantics, "group semantics")?;
        let mids = match mids {
            // A space must be followed by a tag: "BUNDLE " has an empty one.
            Some("") => return Err(AttributeError::InvalidField("mid")),
            Some(mids) => sp_list(mids, "mid", is_token)?,
            None => Vec::new(),
        };
        Ok(Self {
            semantics: Cow::Borrowed(semantics),
            mids: mids.into_iter().map(Cow::Borrowed).collect(),
        })
    }
}

impl fmt::Display for Group<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.semantics)?;
        for mid in &self.mids {
            write!(f, " {mid}")?;
        }
        Ok(())
    }
}

/// `a=msid:stream track`: the media stream (and, in older SDP, the track) of a media section
/// (RFC 8830 §2).
///
/// Valid when both ids are tokens. Chrome writes `-` as the stream for a track in no stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Msid<'a> {
    /// `msid-id`: the MediaStream id.
    pub stream: Cow<'a, str>,
    /// `msid-appdata`: the MediaStreamTrack id, if written.
    pub track: Option<Cow<'a, str>>,
}

impl<'a> Msid<'a> {
    /// An msid for `track` in `stream`.
    pub fn new(stream: impl Into<Cow<'a, str>>, track: impl Into<Cow<'a, str>>) -> Self {
        Self {
            stream: stream.into(),
            track: Some(track.into()),
        }
    }

    /// An msid naming only the stream: RFC 8829 §5.2.1 omits the "appdata" (track) field.
    pub fn stream_only(stream: impl Into<Cow<'a, str>>) -> Self {
        Self {
            stream: stream.into(),
            track: None,
        }
    }

    /// The same msid, owning its text.
    pub fn into_owned(self) -> Msid<'static> {
        Msid {
            stream: owned(self.stream),
            track: self.track.map(owned),
        }
    }
}

impl<'a> TypedAttribute<'a> for Msid<'a> {
    const NAME: &'static str = "msid";

    fn parse(value: &'a str) -> Result<Self, AttributeError> {
        // RFC 8830 §2: msid-value = msid-id [ SP msid-appdata ], each 1*64token-char. The
        // 64-character limit is not enforced: ids come from applications.
        if value.is_empty() {
            return Err(AttributeError::MissingValue);
        }
        let (stream, track) = split_sp(value);
        let stream = token(stream, "msid stream")?;
        let track = match track {
            Some(track) => {
                if track.contains(' ') {
                    return Err(AttributeError::TrailingData);
                }
                Some(Cow::Borrowed(token(track, "msid track")?))
            }
            None => None,
        };
        Ok(Self {
            stream: Cow::Borrowed(stream),
            track,
        })
    }
}

impl fmt::Display for Msid<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.stream)?;
        if let Some(track) = &self.track {
            write!(f, " {track}")?;
        }
        Ok(())
    }
}

/// `a=msid-semantic:WMS *`: the session-level msid semantics of Plan B era SDP
/// (draft-ietf-mmusic-msid-05 §4; still written by browsers).
///
/// Chrome writes `a=msid-semantic: WMS` with a space after the colon: leading spaces are accepted
/// and not written back. Valid when `semantic` and every identifier are tokens (`*` is one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MsidSemantic<'a> {
    /// The semantic, `WMS` in practice.
    pub semantic: Cow<'a, str>,
    /// The stream ids, or `*` for all; often empty.
    pub identifiers: Vec<Cow<'a, str>>,
}

impl<'a> MsidSemantic<'a> {
    /// The WebRTC MediaStream semantic.
    pub const WMS: &'static str = "WMS";

    /// A semantic with identifiers.
    pub fn new<I, S>(semantic: impl Into<Cow<'a, str>>, identifiers: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<Cow<'a, str>>,
    {
        Self {
            semantic: semantic.into(),
            identifiers: identifiers.into_iter().map(Into::into).collect(),
        }
    }

    /// Whether the identifier list is `*` (every stream).
    pub fn is_wildcard(&self) -> bool {
        matches!(self.identifiers.as_slice(), [only] if only == "*")
    }

    /// The same value, owning its text.
    pub fn into_owned(self) -> MsidSemantic<'static> {
        MsidSemantic {
            semantic: owned(self.semantic),
            identifiers: self.identifiers.into_iter().map(owned).collect(),
        }
    }
}

impl<'a> TypedAttribute<'a> for MsidSemantic<'a> {
    const NAME: &'static str = "msid-semantic";

    fn parse(value: &'a str) -> Result<Self, AttributeError> {
        // draft-ietf-mmusic-msid-05 §4: msid-semantic-attr = "msid-semantic:" msid-semantic
        //                                                    msid-list
        //   msid-list = *(" " msid-id) / " *"
        if value.is_empty() {
            return Err(AttributeError::MissingValue);
        }
        let value = value.trim_start_matches(' ');
        let (semantic, identifiers) = split_sp(value);
        let semantic = token(semantic, "msid semantic")?;
        let identifiers = match identifiers {
            Some("") => return Err(AttributeError::InvalidField("msid semantic identifier")),
            Some(ids) => sp_list(ids, "msid semantic identifier", is_token)?,
            None => Vec::new(),
        };
        Ok(Self {
            semantic: Cow::Borrowed(semantic),
            identifiers: identifiers.into_iter().map(Cow::Borrowed).collect(),
        })
    }
}

impl fmt::Display for MsidSemantic<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.semantic)?;
        if !self.identifiers.is_empty() {
            f.write_str(" ")?;
            write_joined(f, &self.identifiers, " ")?;
        }
        Ok(())
    }
}
