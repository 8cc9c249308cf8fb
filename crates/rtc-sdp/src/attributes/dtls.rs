//! `a=fingerprint` (RFC 8122 §5) and `a=setup` (RFC 4145 §4, RFC 8842).

use std::borrow::Cow;
use std::fmt;

use super::TypedAttribute;
use super::syntax::{owned, split_sp, token};
use crate::AttributeError;

/// The hash function of a certificate fingerprint (RFC 8122 §5, IANA "Hash Function Textual
/// Names").
///
/// The names are ABNF literals, so case-insensitive (RFC 5234 §2.3): `SHA-256` parses as
/// [`HashFunction::Sha256`] and is written back as `sha-256`. An [`HashFunction::Other`] is valid
/// when it is a token that does not name one of the known functions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HashFunction<'a> {
    /// `sha-1`.
    Sha1,
    /// `sha-224`.
    Sha224,
    /// `sha-256`: what every browser uses.
    Sha256,
    /// `sha-384`.
    Sha384,
    /// `sha-512`.
    Sha512,
    /// `md5` (RFC 8122 §5: MUST NOT be used to generate, kept for parsing old peers).
    Md5,
    /// `md2` (likewise).
    Md2,
    /// Any other token, as written.
    Other(Cow<'a, str>),
}

impl<'a> HashFunction<'a> {
    /// Parses a hash function name (case-insensitive for the known names).
    pub fn parse(name: &'a str) -> Result<Self, AttributeError> {
        // RFC 8122 §5: hash-func = "sha-1" / "sha-224" / "sha-256" / "sha-384" / "sha-512" /
        //                          "md5" / "md2" / token
        let name = token(name, "hash function")?;
        let known = [
            ("sha-1", Self::Sha1),
            ("sha-224", Self::Sha224),
            ("sha-256", Self::Sha256),
            ("sha-384", Self::Sha384),
            ("sha-512", Self::Sha512),
            ("md5", Self::Md5),
            ("md2", Self::Md2),
        ];
        Ok(known
            .into_iter()
            .find(|(known, _)| name.eq_ignore_ascii_case(known))
            .map_or(Self::Other(Cow::Borrowed(name)), |(_, hash)| hash))
    }

    /// The name: lowercase for the known functions, as written for [`HashFunction::Other`].
    pub fn as_str(&self) -> &str {
        match self {
            Self::Sha1 => "sha-1",
            Self::Sha224 => "sha-224",
            Self::Sha256 => "sha-256",
            Self::Sha384 => "sha-384",
            Self::Sha512 => "sha-512",
            Self::Md5 => "md5",
            Self::Md2 => "md2",
            Self::Other(name) => name,
        }
    }

    /// The digest length in bytes, for the known functions.
    pub const fn digest_len(&self) -> Option<usize> {
        match self {
            Self::Sha1 => Some(20),
            Self::Sha224 => Some(28),
            Self::Sha256 => Some(32),
            Self::Sha384 => Some(48),
            Self::Sha512 => Some(64),
            Self::Md5 | Self::Md2 => Some(16),
            Self::Other(_) => None,
        }
    }

    /// The same function, owning its text.
    pub fn into_owned(self) -> HashFunction<'static> {
        match self {
            Self::Sha1 => HashFunction::Sha1,
            Self::Sha224 => HashFunction::Sha224,
            Self::Sha256 => HashFunction::Sha256,
            Self::Sha384 => HashFunction::Sha384,
            Self::Sha512 => HashFunction::Sha512,
            Self::Md5 => HashFunction::Md5,
            Self::Md2 => HashFunction::Md2,
            Self::Other(name) => HashFunction::Other(owned(name)),
        }
    }
}

impl fmt::Display for HashFunction<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `a=fingerprint:sha-256 AB:CD:…`: the hash of the DTLS certificate (RFC 8122 §5).
///
/// `value` is kept as written (RFC 8122 asks for uppercase hex; lowercase is accepted).
/// Valid when `value` is one or more two-digit hex bytes separated by colons.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint<'a> {
    /// The hash function.
    pub hash: HashFunction<'a>,
    /// The digest: hex bytes separated by colons.
    pub value: Cow<'a, str>,
}

impl Fingerprint<'_> {
    /// A fingerprint of `digest`, written as RFC 8122 §5 asks: uppercase hex pairs separated by
    /// colons. An empty `digest` gives a value that does not parse.
    pub fn from_bytes(hash: HashFunction<'static>, digest: &[u8]) -> Fingerprint<'static> {
        const HEX: &[u8; 16] = b"0123456789ABCDEF";
        let mut value = String::with_capacity(digest.len() * 3);
        for (i, byte) in digest.iter().enumerate() {
            if i > 0 {
                value.push(':');
            }
            value.push(char::from(HEX[usize::from(byte >> 4)]));
            value.push(char::from(HEX[usize::from(byte & 0x0f)]));
        }
        Fingerprint {
            hash,
            value: Cow::Owned(value),
        }
    }

    /// The digest bytes, or `None` if `value` is not colon-separated hex pairs (either case).
    pub fn bytes(&self) -> Option<Vec<u8>> {
        decode_hex_pairs(&self.value)
    }

    /// Whether the digest has the length of its hash function (20 bytes for SHA-1, 28 for
    /// SHA-224, 32 for SHA-256, 48 for SHA-384, 64 for SHA-512, 16 for MD5 and MD2). `false` for
    /// an unknown function or an undecodable value.
    pub fn is_valid_length(&self) -> bool {
        match (self.hash.digest_len(), self.bytes()) {
            (Some(len), Some(bytes)) => bytes.len() == len,
            _ => false,
        }
    }

    /// Whether this fingerprint is `digest` (the hash of the peer's certificate). Fingerprints
    /// are public, so the comparison need not be constant-time.
    pub fn matches(&self, digest: &[u8]) -> bool {
        self.bytes().is_some_and(|bytes| bytes == digest)
    }

    /// The same fingerprint, owning its text.
    pub fn into_owned(self) -> Fingerprint<'static> {
        Fingerprint {
            hash: self.hash.into_owned(),
            value: owned(self.value),
        }
    }
}

/// RFC 8122 §5: `fingerprint = 2UHEX *(":" 2UHEX)`; lowercase hex is accepted too.
fn decode_hex_pairs(s: &str) -> Option<Vec<u8>> {
    if s.is_empty() {
        return None;
    }
    s.split(':')
        .map(|pair| match pair.as_bytes() {
            [hi, lo] => Some((hex_digit(*hi)? << 4) | hex_digit(*lo)?),
            _ => None,
        })
        .collect()
}

fn hex_digit(c: u8) -> Option<u8> {
    char::from(c)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

impl<'a> TypedAttribute<'a> for Fingerprint<'a> {
    const NAME: &'static str = "fingerprint";

    fn parse(value: &'a str) -> Result<Self, AttributeError> {
        // RFC 8122 §5: attribute = "fingerprint" ":" hash-func SP fingerprint
        if value.is_empty() {
            return Err(AttributeError::MissingValue);
        }
        let (hash, digest) = split_sp(value);
        let hash = HashFunction::parse(hash)?;
        let digest = digest.ok_or(AttributeError::MissingField("fingerprint"))?;
        if digest.is_empty() {
            return Err(AttributeError::MissingField("fingerprint"));
        }
        if digest.contains(' ') {
            return Err(AttributeError::TrailingData);
        }
        if decode_hex_pairs(digest).is_none() {
            return Err(AttributeError::InvalidField("fingerprint"));
        }
        Ok(Self {
            hash,
            value: Cow::Borrowed(digest),
        })
    }
}

impl fmt::Display for Fingerprint<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.hash, self.value)
    }
}

/// `a=setup:actpass`: which side opens the DTLS connection (RFC 4145 §4, RFC 8842).
///
/// The roles are ABNF literals, so parsing is case-insensitive; they are written in lowercase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Setup {
    /// `active`: this endpoint initiates (is the DTLS client).
    Active,
    /// `passive`: this endpoint accepts (is the DTLS server).
    Passive,
    /// `actpass`: either; what an offer says (RFC 8829 §5.2.1).
    ActPass,
    /// `holdconn`: no connection for now.
    HoldConn,
}

impl Setup {
    /// The role's name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Passive => "passive",
            Self::ActPass => "actpass",
            Self::HoldConn => "holdconn",
        }
    }
}

impl TypedAttribute<'_> for Setup {
    const NAME: &'static str = "setup";

    fn parse(value: &str) -> Result<Self, AttributeError> {
        // RFC 4145 §4: role = "active" / "passive" / "actpass" / "holdconn"
        if value.is_empty() {
            return Err(AttributeError::MissingValue);
        }
        [Self::Active, Self::Passive, Self::ActPass, Self::HoldConn]
            .into_iter()
            .find(|role| value.eq_ignore_ascii_case(role.as_str()))
            .ok_or(AttributeError::InvalidField("setup role"))
    }
}

impl fmt::Display for Setup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
