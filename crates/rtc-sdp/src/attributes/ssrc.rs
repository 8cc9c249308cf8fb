//! `a=ssrc` and `a=ssrc-group` (RFC 5576 §4.1, §4.2).

use std::borrow::Cow;
use std::fmt;

use super::TypedAttribute;
use super::syntax::{is_byte_string, number, owned, split_sp, token};
use crate::AttributeError;

/// `a=ssrc:1234 cname:abc`: an attribute of an RTP source (RFC 5576 §4.1).
///
/// Valid when `attribute` is a token and `value`, if present, is non-empty without CR, LF or NUL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ssrc<'a> {
    /// The synchronization source.
    pub ssrc: u32,
    /// The source attribute's name: `cname`, `msid`, `mslabel`, `label`, …
    pub attribute: Cow<'a, str>,
    /// The source attribute's value, as written (it may hold spaces: `msid:stream track`).
    pub value: Option<Cow<'a, str>>,
}

impl<'a> Ssrc<'a> {
    /// The `cname` source attribute (RFC 5576 §6.1).
    pub const CNAME: &'static str = "cname";

    /// `ssrc attribute:value`.
    pub fn new(
        ssrc: u32,
        attribute: impl Into<Cow<'a, str>>,
        value: impl Into<Cow<'a, str>>,
    ) -> Self {
        Self {
            ssrc,
            attribute: attribute.into(),
            value: Some(value.into()),
        }
    }

    /// The CNAME, if this is a `cname` attribute.
    pub fn cname(&self) -> Option<&str> {
        if self.attribute == Self::CNAME {
            self.value.as_deref()
        } else {
            None
        }
    }

    /// The same attribute, owning its text.
    pub fn into_owned(self) -> Ssrc<'static> {
        Ssrc {
            ssrc: self.ssrc,
            attribute: owned(self.attribute),
            value: self.value.map(owned),
        }
    }
}

impl<'a> TypedAttribute<'a> for Ssrc<'a> {
    const NAME: &'static str = "ssrc";

    fn parse(value: &'a str) -> Result<Self, AttributeError> {
        // RFC 5576 §4.1: ssrc-attr = "ssrc:" ssrc-id SP attribute
        //                attribute = att-field ":" att-value / att-field   (RFC 8866 §9)
        if value.is_empty() {
            return Err(AttributeError::MissingValue);
        }
        let (ssrc, attribute) = split_sp(value);
        let ssrc = number(ssrc, "ssrc")?;
        let attribute = attribute.ok_or(AttributeError::MissingField("source attribute"))?;
        let (name, att_value) = match attribute.split_once(':') {
            Some((name, att_value)) => (name, Some(att_value)),
            None => (attribute, None),
        };
        let name = token(name, "source attribute")?;
        let att_value = match att_value {
            Some("") => return Err(AttributeError::MissingField("source attribute value")),
            Some(v) if !is_byte_string(v) => {
                return Err(AttributeError::InvalidField("source attribute value"));
            }
            Some(v) => Some(Cow::Borrowed(v)),
            None => None,
        };
        Ok(Self {
            ssrc,
            attribute: Cow::Borrowed(name),
            value: att_value,
        })
    }
}

impl fmt::Display for Ssrc<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.ssrc, self.attribute)?;
        if let Some(value) = &self.value {
            write!(f, ":{value}")?;
        }
        Ok(())
    }
}

/// `a=ssrc-group:FID 1 2`: related RTP sources (RFC 5576 §4.2).
///
/// Valid when `semantics` is a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsrcGroup<'a> {
    /// `FID` (RTX, RFC 4588 §8), `SIM` (simulcast), `FEC-FR` (RFC 5956), …
    pub semantics: Cow<'a, str>,
    /// The sources, in order; may be empty.
    pub ssrcs: Vec<u32>,
}

impl<'a> SsrcGroup<'a> {
    /// A group of `ssrcs` under `semantics`.
    pub fn new(semantics: impl Into<Cow<'a, str>>, ssrcs: impl Into<Vec<u32>>) -> Self {
        Self {
            semantics: semantics.into(),
            ssrcs: ssrcs.into(),
        }
    }

    /// The same group, owning its text.
    pub fn into_owned(self) -> SsrcGroup<'static> {
        SsrcGroup {
            semantics: owned(self.semantics),
            ssrcs: self.ssrcs,
        }
    }
}

impl<'a> TypedAttribute<'a> for SsrcGroup<'a> {
    const NAME: &'static str = "ssrc-group";

    fn parse(value: &'a str) -> Result<Self, AttributeError> {
        // RFC 5576 §4.2: ssrc-group-attr = "ssrc-group:" semantics *(SP ssrc-id)
        if value.is_empty() {
            return Err(AttributeError::MissingValue);
        }
        let mut fields = value.split(' ');
        let semantics = token(fields.next().unwrap_or_default(), "ssrc group semantics")?;
        let ssrcs = fields
            .map(|ssrc| number(ssrc, "ssrc").map_err(|_| AttributeError::InvalidField("ssrc")))
            .collect::<Result<_, _>>()?;
        Ok(Self {
            semantics: Cow::Borrowed(semantics),
            ssrcs,
        })
    }
}

impl fmt::Display for SsrcGroup<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.semantics)?;
        for ssrc in &self.ssrcs {
            write!(f, " {ssrc}")?;
        }
        Ok(())
    }
}
