//! The session description model (RFC 8866 §5), its parser and its writer.

use std::borrow::Cow;
use std::fmt;

use crate::{Error, ErrorKind};

/// How lines end. RFC 8866 §5 says CRLF; a parser "SHOULD" also accept LF alone, and some tools
/// write it. The writer uses what the parsed input used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LineEnding {
    /// `\r\n`, what browsers write.
    #[default]
    CrLf,
    /// `\n`.
    Lf,
}

impl LineEnding {
    fn as_str(self) -> &'static str {
        match self {
            Self::CrLf => "\r\n",
            Self::Lf => "\n",
        }
    }
}

/// `o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address>` (RFC 8866
/// §5.2). Session id and version are kept as the digits written (JSEP uses 64-bit values, some
/// tools write more digits); [`Origin::session_id`] reads them as numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin<'a> {
    /// `-` when there is none (JSEP §5.2.1).
    pub username: Cow<'a, str>,
    /// Session id, digits.
    pub session_id: Cow<'a, str>,
    /// Session version, digits.
    pub session_version: Cow<'a, str>,
    /// `IN`.
    pub nettype: Cow<'a, str>,
    /// `IP4` or `IP6`.
    pub addrtype: Cow<'a, str>,
    /// Address (JSEP writes `127.0.0.1` or `0.0.0.0`).
    pub address: Cow<'a, str>,
}

impl Origin<'_> {
    /// An origin as JSEP §5.2.1 writes it: `- <id> <version> IN IP4 127.0.0.1`.
    pub fn new(session_id: u64, session_version: u64) -> Origin<'static> {
        Origin {
            username: Cow::Borrowed("-"),
            session_id: Cow::Owned(session_id.to_string()),
            session_version: Cow::Owned(session_version.to_string()),
            nettype: Cow::Borrowed("IN"),
            addrtype: Cow::Borrowed("IP4"),
            address: Cow::Borrowed("127.0.0.1"),
        }
    }

    /// The session id as a number, if it fits 64 bits.
    pub fn session_id_u64(&self) -> Option<u64> {
        self.session_id.parse().ok()
    }

    /// The session version as a number, if it fits 64 bits.
    pub fn session_version_u64(&self) -> Option<u64> {
        self.session_version.parse().ok()
    }
}

/// `c=<nettype> <addrtype> <connection-address>` (RFC 8866 §5.7). A multicast address keeps its
/// `/ttl/count` suffix in `address`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection<'a> {
    /// `IN`.
    pub nettype: Cow<'a, str>,
    /// `IP4` or `IP6`.
    pub addrtype: Cow<'a, str>,
    /// The address.
    pub address: Cow<'a, str>,
}

/// `b=<bwtype>:<bandwidth>` (RFC 8866 §5.8): `AS`, `CT`, `TIAS`...
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bandwidth<'a> {
    /// The bandwidth type.
    pub bwtype: Cow<'a, str>,
    /// The value (kbit/s for AS and CT, bit/s for TIAS).
    pub bandwidth: u64,
}

/// `t=<start-time> <stop-time>` and its `r=` lines (RFC 8866 §5.9, §5.10).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timing<'a> {
    /// Start time (NTP seconds; 0 in WebRTC).
    pub start: u64,
    /// Stop time (0: unbounded).
    pub stop: u64,
    /// `r=` lines, as written.
    pub repeats: Vec<Cow<'a, str>>,
}

/// `a=<name>[:<value>]` (RFC 8866 §5.13), kept as written so that unknown attributes and their
/// order survive. The typed views are in [`crate::attributes`]; [`MediaDescription`] and
/// [`SessionDescription`] have accessors that apply them.
#[derive(Debug, Clone)]
pub struct Attribute<'a> {
    /// The name.
    pub name: Cow<'a, str>,
    /// The value after the first `:`, if there is a colon (`Some("")` for `a=name:`).
    pub value: Option<Cow<'a, str>>,
    /// 1-based line it was parsed from (0 when built).
    line: usize,
}

impl PartialEq for Attribute<'_> {
    fn eq(&self, other: &Self) -> bool {
        // Where an attribute came from does not make it a different attribute.
        self.name == other.name && self.value == other.value
    }
}

impl Eq for Attribute<'_> {}

impl<'a> Attribute<'a> {
    /// An attribute with a value.
    pub fn new(name: impl Into<Cow<'a, str>>, value: impl Into<Cow<'a, str>>) -> Self {
        Self {
            name: name.into(),
            value: Some(value.into()),
            line: 0,
        }
    }

    /// A property attribute, without value (`a=rtcp-mux`).
    pub fn flag(name: impl Into<Cow<'a, str>>) -> Self {
        Self {
            name: name.into(),
            value: None,
            line: 0,
        }
    }

    /// An attribute from a typed value: `a=<T::NAME>:<value>`.
    pub fn typed<'t, T: crate::attributes::TypedAttribute<'t>>(value: &T) -> Attribute<'static> {
        Attribute::new(T::NAME, value.to_string())
    }

    /// The line this attribute was parsed from (1-based), or 0 if it was built.
    pub fn line(&self) -> usize {
        self.line
    }

    /// Parses the value as `T`, with this attribute's line number in the error.
    pub fn parse_as<'s, T: crate::attributes::TypedAttribute<'s>>(&'s self) -> Result<T, Error> {
        let error = |error| Error {
            line: self.line,
            kind: ErrorKind::Attribute {
                name: T::NAME,
                error,
            },
        };
        let value = self
            .value
            .as_deref()
            .ok_or(error(crate::AttributeError::MissingValue))?;
        T::parse(value).map_err(error)
    }

    /// Converts borrowed text to owned.
    pub fn into_owned(self) -> Attribute<'static> {
        Attribute {
            name: Cow::Owned(self.name.into_owned()),
            value: self.value.map(|v| Cow::Owned(v.into_owned())),
            line: self.line,
        }
    }
}

/// One `m=` section (RFC 8866 §5.14) and the lines that follow it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaDescription<'a> {
    /// `audio`, `video`, `application`, ...
    pub media: Cow<'a, str>,
    /// Port (9 in JSEP, 0 for a rejected or bundled-only section).
    pub port: u16,
    /// `<port>/<number of ports>`.
    pub port_count: Option<u16>,
    /// `UDP/TLS/RTP/SAVPF`, `UDP/DTLS/SCTP`, ...
    pub protocol: Cow<'a, str>,
    /// Formats: RTP payload types, or `webrtc-datachannel`.
    pub formats: Vec<Cow<'a, str>>,
    /// `i=`.
    pub title: Option<Cow<'a, str>>,
    /// `c=` lines.
    pub connections: Vec<Connection<'a>>,
    /// `b=` lines.
    pub bandwidths: Vec<Bandwidth<'a>>,
    /// `k=` (obsolete, kept).
    pub key: Option<Cow<'a, str>>,
    /// `a=` lines, in order.
    pub attributes: Vec<Attribute<'a>>,
}

/// A session description (RFC 8866 §5): the session-level lines and the media sections.
///
/// [`SessionDescription::parse`] borrows from the input; [`fmt::Display`] writes it back, byte
/// for byte for well-formed input (line order as RFC 8866 §5 fixes it, one space between fields,
/// the same line endings).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionDescription<'a> {
    /// `v=`: always 0.
    pub version: u8,
    /// `o=`.
    pub origin: Origin<'a>,
    /// `s=` (`-` in JSEP).
    pub session_name: Cow<'a, str>,
    /// `i=`.
    pub information: Option<Cow<'a, str>>,
    /// `u=`.
    pub uri: Option<Cow<'a, str>>,
    /// `e=` lines.
    pub emails: Vec<Cow<'a, str>>,
    /// `p=` lines.
    pub phones: Vec<Cow<'a, str>>,
    /// `c=`.
    pub connection: Option<Connection<'a>>,
    /// `b=` lines.
    pub bandwidths: Vec<Bandwidth<'a>>,
    /// `t=` lines with their `r=` lines (at least one).
    pub timings: Vec<Timing<'a>>,
    /// `z=`, as written.
    pub time_zones: Option<Cow<'a, str>>,
    /// `k=` (obsolete, kept).
    pub key: Option<Cow<'a, str>>,
    /// Session-level `a=` lines, in order.
    pub attributes: Vec<Attribute<'a>>,
    /// `m=` sections.
    pub media: Vec<MediaDescription<'a>>,
    /// Line endings of the input, used when writing.
    pub line_ending: LineEnding,
    /// Whether the last line ended with a line ending (well-formed SDP does; SDP pasted from
    /// elsewhere sometimes does not).
    pub final_line_ending: bool,
}

/// Order of the session-level line types (RFC 8866 §5): a line may only follow lines of a lower
/// or, for repeatable types, equal rank.
fn session_rank(t: u8) -> Option<(u8, bool)> {
    Some(match t {
        b'v' => (0, false),
        b'o' => (1, false),
        b's' => (2, false),
        b'i' => (3, false),
        b'u' => (4, false),
        b'e' => (5, true),
        b'p' => (6, true),
        b'c' => (7, false),
        b'b' => (8, true),
        b't' => (9, true),
        b'r' => (9, true),
        b'z' => (10, false),
        b'k' => (11, false),
        b'a' => (12, true),
        b'm' => (13, true),
        _ => return None,
    })
}

/// Order within a media section: `m= i= c=* b=* k= a=*`.
fn media_rank(t: u8) -> Option<(u8, bool)> {
    Some(match t {
        b'm' => (0, false),
        b'i' => (1, false),
        b'c' => (2, true),
        b'b' => (3, true),
        b'k' => (4, false),
        b'a' => (5, true),
        _ => return None,
    })
}

/// Index of the first `byte` in `s`. A byte loop: lines are short, and `str::split` with a `char`
/// pattern pays a `memcmp` per match (measured: parsing a Chromium offer took twice as long).
fn find(s: &str, byte: u8) -> Option<usize> {
    s.as_bytes().iter().position(|&b| b == byte)
}

/// `s` split at the first `byte`, which is dropped.
fn split_at_byte(s: &str, byte: u8) -> Option<(&str, &str)> {
    // `byte` is ASCII, so both sides are on character boundaries.
    find(s, byte).map(|i| (&s[..i], &s[i + 1..]))
}

/// Iterator over the fields of a line, split at single spaces.
#[derive(Clone)]
struct SpaceSplit<'a> {
    rest: Option<&'a str>,
}

impl<'a> Iterator for SpaceSplit<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let rest = self.rest?;
        match split_at_byte(rest, b' ') {
            Some((field, tail)) => {
                self.rest = Some(tail);
                Some(field)
            }
            None => {
                self.rest = None;
                Some(rest)
            }
        }
    }
}

fn is_known_type(t: u8) -> bool {
    session_rank(t).is_some()
}

struct Fields<'a> {
    line: usize,
    line_type: char,
    rest: SpaceSplit<'a>,
}

impl<'a> Fields<'a> {
    fn new(line: usize, line_type: u8, value: &'a str) -> Self {
        Self {
            line,
            line_type: char::from(line_type),
            rest: SpaceSplit { rest: Some(value) },
        }
    }

    fn error(&self, kind: ErrorKind) -> Error {
        Error {
            line: self.line,
            kind,
        }
    }

    /// The next space-separated field; RFC 8866 separates fields by exactly one space.
    fn text(&mut self, field: &'static str) -> Result<&'a str, Error> {
        match self.rest.next() {
            Some("") => Err(self.error(ErrorKind::InvalidField {
                line_type: self.line_type,
                field,
            })),
            Some(s) => Ok(s),
            None => Err(self.error(ErrorKind::MissingField {
                line_type: self.line_type,
                field,
            })),
        }
    }

    fn number<T: std::str::FromStr>(&mut self, field: &'static str) -> Result<T, Error> {
        let text = self.text(field)?;
        parse_number(text).ok_or(self.error(ErrorKind::InvalidField {
            line_type: self.line_type,
            field,
        }))
    }

    fn end(&mut self) -> Result<(), Error> {
        match self.rest.next() {
            None => Ok(()),
            Some(_) => Err(self.error(ErrorKind::InvalidField {
                line_type: self.line_type,
                field: "trailing data",
            })),
        }
    }
}

/// Digits only (no sign, no leading zero unless the number is 0), so that writing the number
/// gives back the text.
fn parse_number<T: std::str::FromStr>(text: &str) -> Option<T> {
    let canonical = !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'));
    if canonical { text.parse().ok() } else { None }
}

fn connection(line: usize, value: &str) -> Result<Connection<'_>, Error> {
    let mut f = Fields::new(line, b'c', value);
    let c = Connection {
        nettype: Cow::Borrowed(f.text("network type")?),
        addrtype: Cow::Borrowed(f.text("address type")?),
        address: Cow::Borrowed(f.text("address")?),
    };
    f.end()?;
    Ok(c)
}

fn bandwidth(line: usize, value: &str) -> Result<Bandwidth<'_>, Error> {
    let error = |field| Error {
        line,
        kind: ErrorKind::InvalidField {
            line_type: 'b',
            field,
        },
    };
    let (bwtype, amount) = split_at_byte(value, b':').ok_or(Error {
        line,
        kind: ErrorKind::MissingField {
            line_type: 'b',
            field: "bandwidth",
        },
    })?;
    if bwtype.is_empty() || find(bwtype, b' ').is_some() {
        return Err(error("bandwidth type"));
    }
    Ok(Bandwidth {
        bwtype: Cow::Borrowed(bwtype),
        bandwidth: parse_number(amount).ok_or(error("bandwidth"))?,
    })
}

fn media_line(line: usize, value: &str) -> Result<MediaDescription<'_>, Error> {
    let mut f = Fields::new(line, b'm', value);
    let media = f.text("media type")?;
    let port_text = f.text("port")?;
    let (port, port_count) = match split_at_byte(port_text, b'/') {
        Some((port, count)) => (port, Some(count)),
        None => (port_text, None),
    };
    let invalid = |field| Error {
        line,
        kind: ErrorKind::InvalidField {
            line_type: 'm',
            field,
        },
    };
    let port = parse_number(port).ok_or(invalid("port"))?;
    let port_count = match port_count {
        Some(c) => Some(parse_number(c).ok_or(invalid("number of ports"))?),
        None => None,
    };
    let protocol = f.text("protocol")?;
    let mut formats = Vec::with_capacity(16);
    for format in f.rest.by_ref() {
        if format.is_empty() {
            return Err(invalid("format"));
        }
        formats.push(Cow::Borrowed(format));
    }
    Ok(MediaDescription {
        media: Cow::Borrowed(media),
        port,
        port_count,
        protocol: Cow::Borrowed(protocol),
        formats,
        title: None,
        connections: Vec::new(),
        bandwidths: Vec::new(),
        key: None,
        attributes: Vec::new(),
    })
}

fn attribute(line: usize, value: &str) -> Result<Attribute<'_>, Error> {
    let (name, value) = match split_at_byte(value, b':') {
        Some((name, value)) => (name, Some(Cow::Borrowed(value))),
        None => (value, None),
    };
    if name.is_empty() || find(name, b' ').is_some() {
        return Err(Error {
            line,
            kind: ErrorKind::InvalidField {
                line_type: 'a',
                field: "attribute name",
            },
        });
    }
    Ok(Attribute {
        name: Cow::Borrowed(name),
        value,
        line,
    })
}

impl<'a> SessionDescription<'a> {
    /// Parses a session description, borrowing its text from `sdp`.
    pub fn parse(sdp: &'a str) -> Result<Self, Error> {
        if sdp.is_empty() {
            return Err(Error {
                line: 0,
                kind: ErrorKind::Empty,
            });
        }
        let line_ending = match find(sdp, b'\n') {
            Some(i) if i > 0 && sdp.as_bytes()[i - 1] == b'\r' => LineEnding::CrLf,
            _ => LineEnding::Lf,
        };
        let final_line_ending = sdp.ends_with('\n');
        let body = sdp.strip_suffix('\n').unwrap_or(sdp);

        let mut version = None;
        let mut origin = None;
        let mut session_name = None;
        let mut sd = SessionDescription {
            version: 0,
            origin: Origin::new(0, 0),
            session_name: Cow::Borrowed("-"),
            information: None,
            uri: None,
            emails: Vec::new(),
            phones: Vec::new(),
            connection: None,
            bandwidths: Vec::new(),
            timings: Vec::new(),
            time_zones: None,
            key: None,
            attributes: Vec::with_capacity(16),
            media: Vec::with_capacity(4),
            line_ending,
            final_line_ending,
        };
        // (rank, type) of the last line, session level or within the current media section.
        let mut last: Option<(u8, u8)> = None;
        let mut in_media = false;

        let mut rest = Some(body);
        let mut index = 0;
        while let Some(remaining) = rest {
            let raw = match split_at_byte(remaining, b'\n') {
                Some((raw, tail)) => {
                    rest = Some(tail);
                    raw
                }
                None => {
                    rest = None;
                    remaining
                }
            };
            index += 1;
            let line = index;
            let error = |kind| Error { line, kind };
            let text = match line_ending {
                LineEnding::CrLf => raw.strip_suffix('\r').unwrap_or(raw),
                LineEnding::Lf => raw,
            };
            if text.is_empty() {
                return Err(error(ErrorKind::EmptyLine));
            }
            let bytes = text.as_bytes();
            if bytes.len() < 2 || bytes[1] != b'=' {
                return Err(error(ErrorKind::Malformed));
            }
            let t = bytes[0];
            if !is_known_type(t) {
                return Err(error(if t.is_ascii_lowercase() {
                    ErrorKind::UnknownType(char::from(t))
                } else {
                    ErrorKind::Malformed
                }));
            }
            let value = &text[2..];
            if index == 1 && t != b'v' {
                return Err(error(ErrorKind::MissingVersion));
            }

            if t == b'm' {
                in_media = true;
                last = None;
            }
            let rank = if in_media {
                media_rank(t)
            } else {
                session_rank(t)
            };
            let Some((rank, repeatable)) = rank else {
                return Err(error(ErrorKind::OutOfOrder(char::from(t))));
            };
            if let Some((last_rank, last_type)) = last {
                let repeat_ok = repeatable && (last_type == t || (t == b'r' || t == b't'));
                if rank < last_rank || (rank == last_rank && !repeat_ok) {
                    return Err(error(ErrorKind::OutOfOrder(char::from(t))));
                }
            }
            last = Some((rank, t));

            if in_media {
                if t == b'm' {
                    sd.media.push(media_line(line, value)?);
                    continue;
                }
                // `in_media` is only set by an `m=` line, which pushed a section.
                let Some(m) = sd.media.last_mut() else {
                    return Err(error(ErrorKind::OutOfOrder('m')));
                };
                match t {
                    b'i' => m.title = Some(Cow::Borrowed(value)),
                    b'c' => m.connections.push(connection(line, value)?),
                    b'b' => m.bandwidths.push(bandwidth(line, value)?),
                    b'k' => m.key = Some(Cow::Borrowed(value)),
                    _ => m.attributes.push(attribute(line, value)?),
                }
                continue;
            }
            match t {
                b'v' => {
                    if value != "0" {
                        return Err(error(ErrorKind::UnsupportedVersion));
                    }
                    version = Some(0);
                }
                b'o' => {
                    let mut f = Fields::new(line, b'o', value);
                    let username = f.text("username")?;
                    let session_id = f.text("session id")?;
                    let session_version = f.text("session version")?;
                    for (field, digits) in [
                        ("session id", session_id),
                        ("session version", session_version),
                    ] {
                        if !digits.bytes().all(|b| b.is_ascii_digit()) {
                            return Err(error(ErrorKind::InvalidField {
                                line_type: 'o',
                                field,
                            }));
                        }
                    }
                    origin = Some(Origin {
                        username: Cow::Borrowed(username),
                        session_id: Cow::Borrowed(session_id),
                        session_version: Cow::Borrowed(session_version),
                        nettype: Cow::Borrowed(f.text("network type")?),
                        addrtype: Cow::Borrowed(f.text("address type")?),
                        address: Cow::Borrowed(f.text("address")?),
                    });
                    f.end()?;
                }
                b's' => session_name = Some(Cow::Borrowed(value)),
                b'i' => sd.information = Some(Cow::Borrowed(value)),
                b'u' => sd.uri = Some(Cow::Borrowed(value)),
                b'e' => sd.emails.push(Cow::Borrowed(value)),
                b'p' => sd.phones.push(Cow::Borrowed(value)),
                b'c' => sd.connection = Some(connection(line, value)?),
                b'b' => sd.bandwidths.push(bandwidth(line, value)?),
                b't' => {
                    let mut f = Fields::new(line, b't', value);
                    let start = f.number("start time")?;
                    let stop = f.number("stop time")?;
                    f.end()?;
                    sd.timings.push(Timing {
                        start,
                        stop,
                        repeats: Vec::new(),
                    });
                }
                b'r' => match sd.timings.last_mut() {
                    Some(timing) => timing.repeats.push(Cow::Borrowed(value)),
                    None => return Err(error(ErrorKind::OutOfOrder('r'))),
                },
                b'z' => sd.time_zones = Some(Cow::Borrowed(value)),
                b'k' => sd.key = Some(Cow::Borrowed(value)),
                _ => sd.attributes.push(attribute(line, value)?),
            }
            // Mandatory lines come first: o= and s= right after v=, t= before anything later.
            let needed = [
                (1, b'o', origin.is_some()),
                (2, b's', session_name.is_some()),
            ];
            for (needed_rank, needed_type, present) in needed {
                if rank > needed_rank && !present {
                    return Err(error(ErrorKind::MissingLine(char::from(needed_type))));
                }
            }
            if rank > 9 && sd.timings.is_empty() {
                return Err(error(ErrorKind::MissingLine('t')));
            }
        }
        let end = Error {
            line: index,
            kind: ErrorKind::MissingLine('v'),
        };
        sd.version = version.ok_or(end)?;
        sd.origin = origin.ok_or(Error {
            kind: ErrorKind::MissingLine('o'),
            ..end
        })?;
        sd.session_name = session_name.ok_or(Error {
            kind: ErrorKind::MissingLine('s'),
            ..end
        })?;
        if sd.timings.is_empty() {
            return Err(Error {
                kind: ErrorKind::MissingLine('t'),
                ..end
            });
        }
        Ok(sd)
    }

    /// Converts every borrowed string to an owned one.
    pub fn into_owned(self) -> SessionDescription<'static> {
        fn own(c: Cow<'_, str>) -> Cow<'static, str> {
            Cow::Owned(c.into_owned())
        }
        fn connection(c: Connection<'_>) -> Connection<'static> {
            Connection {
                nettype: own(c.nettype),
                addrtype: own(c.addrtype),
                address: own(c.address),
            }
        }
        fn bandwidth(b: Bandwidth<'_>) -> Bandwidth<'static> {
            Bandwidth {
                bwtype: own(b.bwtype),
                bandwidth: b.bandwidth,
            }
        }
        SessionDescription {
            version: self.version,
            origin: Origin {
                username: own(self.origin.username),
                session_id: own(self.origin.session_id),
                session_version: own(self.origin.session_version),
                nettype: own(self.origin.nettype),
                addrtype: own(self.origin.addrtype),
                address: own(self.origin.address),
            },
            session_name: own(self.session_name),
            information: self.information.map(own),
            uri: self.uri.map(own),
            emails: self.emails.into_iter().map(own).collect(),
            phones: self.phones.into_iter().map(own).collect(),
            connection: self.connection.map(connection),
            bandwidths: self.bandwidths.into_iter().map(bandwidth).collect(),
            timings: self
                .timings
                .into_iter()
                .map(|t| Timing {
                    start: t.start,
                    stop: t.stop,
                    repeats: t.repeats.into_iter().map(own).collect(),
                })
                .collect(),
            time_zones: self.time_zones.map(own),
            key: self.key.map(own),
            attributes: self
                .attributes
                .into_iter()
                .map(Attribute::into_owned)
                .collect(),
            media: self
                .media
                .into_iter()
                .map(|m| MediaDescription {
                    media: own(m.media),
                    port: m.port,
                    port_count: m.port_count,
                    protocol: own(m.protocol),
                    formats: m.formats.into_iter().map(own).collect(),
                    title: m.title.map(own),
                    connections: m.connections.into_iter().map(connection).collect(),
                    bandwidths: m.bandwidths.into_iter().map(bandwidth).collect(),
                    key: m.key.map(own),
                    attributes: m
                        .attributes
                        .into_iter()
                        .map(Attribute::into_owned)
                        .collect(),
                })
                .collect(),
            line_ending: self.line_ending,
            final_line_ending: self.final_line_ending,
        }
    }
}

/// Writes lines separated by the line ending, with plain string pushes: the `fmt` machinery
/// (`format_args!`) costs more than the copying itself on a description of a few kilobytes.
struct LineWriter<'w, W: fmt::Write> {
    out: &'w mut W,
    ending: &'static str,
    started: bool,
}

impl<W: fmt::Write> LineWriter<'_, W> {
    /// Starts a line: the previous line's ending, then `t=`.
    fn start(&mut self, t: &'static str) -> fmt::Result {
        if self.started {
            self.out.write_str(self.ending)?;
        }
        self.started = true;
        self.out.write_str(t)
    }

    fn text(&mut self, t: &'static str, value: &str) -> fmt::Result {
        self.start(t)?;
        self.out.write_str(value)
    }

    fn str(&mut self, s: &str) -> fmt::Result {
        self.out.write_str(s)
    }

    fn number(&mut self, n: u64) -> fmt::Result {
        let mut digits = [0u8; 20];
        let mut i = digits.len();
        let mut n = n;
        loop {
            i -= 1;
            // `n % 10` is a single digit.
            digits[i] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        // Only ASCII digits were written.
        self.out
            .write_str(std::str::from_utf8(&digits[i..]).unwrap_or_default())
    }

    fn connection(&mut self, c: &Connection<'_>) -> fmt::Result {
        self.text("c=", &c.nettype)?;
        self.str(" ")?;
        self.str(&c.addrtype)?;
        self.str(" ")?;
        self.str(&c.address)
    }

    fn bandwidth(&mut self, b: &Bandwidth<'_>) -> fmt::Result {
        self.text("b=", &b.bwtype)?;
        self.str(":")?;
        self.number(b.bandwidth)
    }

    fn attribute(&mut self, a: &Attribute<'_>) -> fmt::Result {
        self.text("a=", &a.name)?;
        if let Some(v) = &a.value {
            self.str(":")?;
            self.str(v)?;
        }
        Ok(())
    }
}

impl SessionDescription<'_> {
    /// The description as text; the same as `to_string()`, but sized up front.
    pub fn to_sdp_string(&self) -> String {
        let mut out = String::with_capacity(self.estimated_len());
        // Writing to a `String` cannot fail.
        let _ = self.write(&mut out);
        out
    }

    /// A close upper estimate of the written length, to size buffers.
    fn estimated_len(&self) -> usize {
        let attributes = |attributes: &[Attribute<'_>]| -> usize {
            attributes
                .iter()
                .map(|a| a.name.len() + a.value.as_ref().map_or(0, |v| v.len() + 1) + 4)
                .sum()
        };
        let mut n = 256 + attributes(&self.attributes);
        for m in &self.media {
            n += 64 + m.media.len() + m.protocol.len() + attributes(&m.attributes);
            n += m.formats.iter().map(|f| f.len() + 1).sum::<usize>();
            n += m.connections.len() * 48;
        }
        n
    }

    /// Writes the description to `out`.
    pub fn write<W: fmt::Write>(&self, out: &mut W) -> fmt::Result {
        let ending = self.line_ending.as_str();
        let mut w = LineWriter {
            out,
            ending,
            started: false,
        };
        w.start("v=")?;
        w.number(u64::from(self.version))?;
        let o = &self.origin;
        w.text("o=", &o.username)?;
        for field in [
            &o.session_id,
            &o.session_version,
            &o.nettype,
            &o.addrtype,
            &o.address,
        ] {
            w.str(" ")?;
            w.str(field)?;
        }
        w.text("s=", &self.session_name)?;
        if let Some(i) = &self.information {
            w.text("i=", i)?;
        }
        if let Some(u) = &self.uri {
            w.text("u=", u)?;
        }
        for e in &self.emails {
            w.text("e=", e)?;
        }
        for p in &self.phones {
            w.text("p=", p)?;
        }
        if let Some(c) = &self.connection {
            w.connection(c)?;
        }
        for b in &self.bandwidths {
            w.bandwidth(b)?;
        }
        for t in &self.timings {
            w.start("t=")?;
            w.number(t.start)?;
            w.str(" ")?;
            w.number(t.stop)?;
            for r in &t.repeats {
                w.text("r=", r)?;
            }
        }
        if let Some(z) = &self.time_zones {
            w.text("z=", z)?;
        }
        if let Some(k) = &self.key {
            w.text("k=", k)?;
        }
        for a in &self.attributes {
            w.attribute(a)?;
        }
        for m in &self.media {
            w.text("m=", &m.media)?;
            w.str(" ")?;
            w.number(u64::from(m.port))?;
            if let Some(count) = m.port_count {
                w.str("/")?;
                w.number(u64::from(count))?;
            }
            w.str(" ")?;
            w.str(&m.protocol)?;
            for format in &m.formats {
                w.str(" ")?;
                w.str(format)?;
            }
            if let Some(i) = &m.title {
                w.text("i=", i)?;
            }
            for c in &m.connections {
                w.connection(c)?;
            }
            for b in &m.bandwidths {
                w.bandwidth(b)?;
            }
            if let Some(k) = &m.key {
                w.text("k=", k)?;
            }
            for a in &m.attributes {
                w.attribute(a)?;
            }
        }
        if self.final_line_ending {
            w.str(ending)?;
        }
        Ok(())
    }
}

impl fmt::Display for SessionDescription<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write(f)
    }
}
