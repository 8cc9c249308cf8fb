//! `a=rid` (RFC 8851 §10) and `a=simulcast` (RFC 8853 §5.1).

use std::borrow::Cow;
use std::fmt;

use super::TypedAttribute;
use super::syntax::{is_token, opt_number, owned, split_sp, write_joined};
use crate::AttributeError;

/// RFC 8851 §10: `rid-id = 1*(alpha-numeric / "-" / "_")`.
fn is_rid_id(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
}

/// RFC 8851 §10: a restriction name, `1*(alpha-numeric / "-")`.
fn is_restriction_name(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-')
}

/// RFC 8851 §10: `param-val = *(%x20-3A / %x3C-7E)`, printable ASCII except `;`.
fn is_param_val(s: &str) -> bool {
    s.bytes().all(|c| matches!(c, 0x20..=0x3A | 0x3C..=0x7E))
}

/// The direction of an `a=rid` line (RFC 8851 §10: `rid-dir = %s"send" / %s"recv"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RidDirection {
    /// `send`.
    Send,
    /// `recv`.
    Recv,
}

impl RidDirection {
    /// The keyword.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Send => "send",
            Self::Recv => "recv",
        }
    }

    /// Parses the exact keyword (`%s`: case-sensitive, RFC 7405).
    fn parse(s: &str, field: &'static str) -> Result<Self, AttributeError> {
        match s {
            "send" => Ok(Self::Send),
            "recv" => Ok(Self::Recv),
            "" => Err(AttributeError::MissingField(field)),
            _ => Err(AttributeError::InvalidField(field)),
        }
    }
}

impl fmt::Display for RidDirection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `a=rid:lo send pt=96,97;max-width=320;max-height=180`: an RTP stream identifier and its
/// restrictions (RFC 8851 §4, §10).
///
/// Valid when `id` is a rid-id (letters, digits, `-`, `_`), every format is a token, every
/// restriction name is letters, digits and `-` but not `pt`, and every restriction value is
/// printable ASCII without `;`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rid<'a> {
    /// The rid-id.
    pub id: Cow<'a, str>,
    /// Whether the stream is sent or received by the SDP's author.
    pub direction: RidDirection,
    /// The payload types of `pt=`; empty when there is no `pt=`.
    pub formats: Vec<Cow<'a, str>>,
    /// The restrictions after `pt=`, in order, each `(name, value)`; `max-width` alone gives
    /// `("max-width", None)`.
    pub restrictions: Vec<(Cow<'a, str>, Option<Cow<'a, str>>)>,
}

impl<'a> Rid<'a> {
    /// A rid without formats or restrictions.
    pub fn new(id: impl Into<Cow<'a, str>>, direction: RidDirection) -> Self {
        Self {
            id: id.into(),
            direction,
            formats: Vec::new(),
            restrictions: Vec::new(),
        }
    }

    /// The same rid with a restriction appended.
    #[must_use]
    pub fn with_restriction(
        mut self,
        name: impl Into<Cow<'a, str>>,
        value: impl Into<Cow<'a, str>>,
    ) -> Self {
        self.restrictions.push((name.into(), Some(value.into())));
        self
    }

    /// The value of restriction `name` (case-sensitive, RFC 8851 §10); a restriction without a
    /// value gives `Some("")`.
    pub fn restriction(&self, name: &str) -> Option<&str> {
        self.restrictions
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, value)| value.as_deref().unwrap_or_default())
    }

    fn int_restriction(&self, name: &str) -> Option<u32> {
        self.restriction(name).and_then(opt_number)
    }

    /// `max-width` in pixels (RFC 8851 §4).
    pub fn max_width(&self) -> Option<u32> {
        self.int_restriction("max-width")
    }

    /// `max-height` in pixels (RFC 8851 §4).
    pub fn max_height(&self) -> Option<u32> {
        self.int_restriction("max-height")
    }

    /// `max-fps` in frames per second (RFC 8851 §4).
    pub fn max_fps(&self) -> Option<u32> {
        self.int_restriction("max-fps")
    }

    /// `max-fs`, frame size in pixels (RFC 8851 §4).
    pub fn max_fs(&self) -> Option<u32> {
        self.int_restriction("max-fs")
    }

    /// `max-br` in bit/s (RFC 8851 §4).
    pub fn max_br(&self) -> Option<u32> {
        self.int_restriction("max-br")
    }

    /// `max-pps` in pixels per second (RFC 8851 §4).
    pub fn max_pps(&self) -> Option<u32> {
        self.int_restriction("max-pps")
    }

    /// `max-bpp` in bits per pixel (RFC 8851 §4: `float-param-val = 1*DIGIT "." 1*DIGIT`).
    pub fn max_bpp(&self) -> Option<f64> {
        let value = self.restriction("max-bpp")?;
        let (int, frac) = value.split_once('.')?;
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit());
        if digits(int) && digits(frac) {
            value.parse().ok()
        } else {
            None
        }
    }

    /// `depend`: the rid-ids this stream depends on (RFC 8851 §4).
    pub fn depend(&self) -> Option<impl Iterator<Item = &str> + '_> {
        self.restriction("depend").map(|list| list.split(','))
    }

    /// The same rid, owning its text.
    pub fn into_owned(self) -> Rid<'static> {
        Rid {
            id: owned(self.id),
            direction: self.direction,
            formats: self.formats.into_iter().map(owned).collect(),
            restrictions: self
                .restrictions
                .into_iter()
                .map(|(name, value)| (owned(name), value.map(owned)))
                .collect(),
        }
    }
}

impl<'a> TypedAttribute<'a> for Rid<'a> {
    const NAME: &'static str = "rid";

    fn parse(value: &'a str) -> Result<Self, AttributeError> {
        // RFC 8851 §10: rid-syntax = %s"a=rid:" rid-id SP rid-dir
        //                            [ rid-pt-param-list / rid-param-list ]
        //   rid-pt-param-list = SP rid-fmt-list *(";" rid-param)
        //   rid-param-list    = SP rid-param *(";" rid-param)
        //   rid-fmt-list      = %s"pt=" fmt *( "," fmt )
        if value.is_empty() {
            return Err(AttributeError::MissingValue);
        }
        let (id, rest) = split_sp(value);
        if !is_rid_id(id) {
            return Err(AttributeError::InvalidField("rid id"));
        }
        let rest = rest.ok_or(AttributeError::MissingField("rid direction"))?;
        let (direction, params) = split_sp(rest);
        let direction = RidDirection::parse(direction, "rid direction")?;
        let mut rid = Self::new(Cow::Borrowed(id), direction);
        let Some(params) = params else { return Ok(rid) };
        let mut params = params.split(';');
        let mut first = params.next();
        if let Some(formats) = first.and_then(|p| p.strip_prefix("pt=")) {
            rid.formats = formats
                .split(',')
                .map(|fmt| {
                    if is_token(fmt) {
                        Ok(Cow::Borrowed(fmt))
                    } else {
                        Err(AttributeError::InvalidField("rid formats"))
                    }
                })
                .collect::<Result<_, _>>()?;
            first = None;
        }
        for param in first.into_iter().chain(params) {
            let (name, value) = match param.split_once('=') {
                Some((name, value)) => (name, Some(value)),
                None => (param, None),
            };
            // `pt` is only meaningful first; elsewhere it would read back as formats.
            if !is_restriction_name(name) || name == "pt" {
                return Err(AttributeError::InvalidField("rid restriction"));
            }
            if value.is_some_and(|v| !is_param_val(v)) {
                return Err(AttributeError::InvalidField("rid restriction value"));
            }
            rid.restrictions
                .push((Cow::Borrowed(name), value.map(Cow::Borrowed)));
        }
        Ok(rid)
    }
}

impl fmt::Display for Rid<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.id, self.direction)?;
        let mut separator = " ";
        if !self.formats.is_empty() {
            f.write_str(" pt=")?;
            write_joined(f, &self.formats, ",")?;
            separator = ";";
        }
        for (name, value) in &self.restrictions {
            write!(f, "{separator}{name}")?;
            if let Some(value) = value {
                write!(f, "={value}")?;
            }
            separator = ";";
        }
        Ok(())
    }
}

/// One rid in an `a=simulcast` list, possibly paused (RFC 8853 §5.1: `sc-id =
/// [sc-id-paused] rid-id`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimulcastRid<'a> {
    /// The rid-id.
    pub id: Cow<'a, str>,
    /// Written with a `~` prefix: the stream is paused.
    pub paused: bool,
}

impl<'a> SimulcastRid<'a> {
    /// An active (not paused) rid.
    pub fn new(id: impl Into<Cow<'a, str>>) -> Self {
        Self {
            id: id.into(),
            paused: false,
        }
    }

    /// The same rid, owning its text.
    pub fn into_owned(self) -> SimulcastRid<'static> {
        SimulcastRid {
            id: owned(self.id),
            paused: self.paused,
        }
    }

    fn parse(s: &'a str) -> Result<Self, AttributeError> {
        let (id, paused) = match s.strip_prefix('~') {
            Some(id) => (id, true),
            None => (s, false),
        };
        if is_rid_id(id) {
            Ok(Self {
                id: Cow::Borrowed(id),
                paused,
            })
        } else {
            Err(AttributeError::InvalidField("simulcast rid"))
        }
    }
}

impl fmt::Display for SimulcastRid<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.paused {
            f.write_str("~")?;
        }
        f.write_str(&self.id)
    }
}

/// The streams of one direction of `a=simulcast`: `;` separates streams, `,` separates the
/// alternative rids of one stream (RFC 8853 §5.1). Valid when neither list is empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimulcastStreams<'a>(pub Vec<Vec<SimulcastRid<'a>>>);

impl<'a> SimulcastStreams<'a> {
    /// One stream per rid, no alternatives, none paused: `hi;mid;lo`.
    pub fn from_ids<I, S>(ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<Cow<'a, str>>,
    {
        Self(
            ids.into_iter()
                .map(|id| vec![SimulcastRid::new(id)])
                .collect(),
        )
    }

    /// Every rid, alternatives included, in order.
    pub fn rids(&self) -> impl Iterator<Item = &SimulcastRid<'a>> + '_ {
        self.0.iter().flatten()
    }

    /// The same streams, owning their text.
    pub fn into_owned(self) -> SimulcastStreams<'static> {
        SimulcastStreams(
            self.0
                .into_iter()
                .map(|alternatives| {
                    alternatives
                        .into_iter()
                        .map(SimulcastRid::into_owned)
                        .collect()
                })
                .collect(),
        )
    }

    fn parse(s: &'a str) -> Result<Self, AttributeError> {
        // RFC 8853 §5.1: sc-str-list = sc-alt-list *( ";" sc-alt-list )
        //                sc-alt-list = sc-id *( "," sc-id )
        if s.is_empty() {
            return Err(AttributeError::MissingField("simulcast streams"));
        }
        s.split(';')
            .map(|alternatives| alternatives.split(',').map(SimulcastRid::parse).collect())
            .collect::<Result<_, _>>()
            .map(Self)
    }
}

impl fmt::Display for SimulcastStreams<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, alternatives) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(";")?;
            }
            write_joined(f, alternatives, ",")?;
        }
        Ok(())
    }
}

/// `a=simulcast:send hi;mid;lo recv r0`: the simulcast streams of a media section
/// (RFC 8853 §5.1).
///
/// Valid when at least one direction is present, and `recv_first` is only set when both are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Simulcast<'a> {
    /// The streams the SDP's author sends.
    pub send: Option<SimulcastStreams<'a>>,
    /// The streams the SDP's author receives.
    pub recv: Option<SimulcastStreams<'a>>,
    /// Both directions are present and `recv` was written first.
    pub recv_first: bool,
}

impl<'a> Simulcast<'a> {
    /// Send-only simulcast: `send …`.
    pub const fn send(streams: SimulcastStreams<'a>) -> Self {
        Self {
            send: Some(streams),
            recv: None,
            recv_first: false,
        }
    }

    /// Receive-only simulcast: `recv …`.
    pub const fn recv(streams: SimulcastStreams<'a>) -> Self {
        Self {
            send: None,
            recv: Some(streams),
            recv_first: false,
        }
    }

    /// The same value, owning its text.
    pub fn into_owned(self) -> Simulcast<'static> {
        Simulcast {
            send: self.send.map(SimulcastStreams::into_owned),
            recv: self.recv.map(SimulcastStreams::into_owned),
            recv_first: self.recv_first,
        }
    }
}

impl<'a> TypedAttribute<'a> for Simulcast<'a> {
    const NAME: &'static str = "simulcast";

    fn parse(value: &'a str) -> Result<Self, AttributeError> {
        // RFC 8853 §5.1: sc-value = ( sc-send [SP sc-recv] ) / ( sc-recv [SP sc-send] )
        //                sc-send = %s"send" SP sc-str-list
        //                sc-recv = %s"recv" SP sc-str-list
        if value.is_empty() {
            return Err(AttributeError::MissingValue);
        }
        let mut fields = value.split(' ');
        let mut simulcast = Self {
            send: None,
            recv: None,
            recv_first: false,
        };
        let mut first = None;
        while let Some(direction) = fields.next() {
            let direction = RidDirection::parse(direction, "simulcast direction")?;
            let streams = fields
                .next()
                .ok_or(AttributeError::MissingField("simulcast streams"))?;
            let streams = SimulcastStreams::parse(streams)?;
            let slot = match direction {
                RidDirection::Send => &mut simulcast.send,
                RidDirection::Recv => &mut simulcast.recv,
            };
            if slot.is_some() {
                // Each direction at most once.
                return Err(AttributeError::InvalidField("simulcast direction"));
            }
            *slot = Some(streams);
            first.get_or_insert(direction);
        }
        simulcast.recv_first = simulcast.send.is_some()
            && simulcast.recv.is_some()
            && first == Some(RidDirection::Recv);
        Ok(simulcast)
    }
}

impl fmt::Display for Simulcast<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let send = self.send.as_ref().map(|s| ("send", s));
        let recv = self.recv.as_ref().map(|s| ("recv", s));
        let ordered = if self.recv_first {
            [recv, send]
        } else {
            [send, recv]
        };
        for (i, (direction, streams)) in ordered.into_iter().flatten().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{direction} {streams}")?;
        }
        Ok(())
    }
}
