//! The STUN header and the zero-copy message view.

use std::fmt;
use std::net::SocketAddr;

use crate::attribute::padded;
use crate::integrity::{IntegrityKey, check_mac, fingerprint};
use crate::{Attribute, AttributeType, Error};

/// RFC 8489 §5: the fixed value in bytes 4..8 of every RFC 5389/8489 message.
pub const MAGIC_COOKIE: u32 = 0x2112_A442;
/// Size of the STUN header.
pub const HEADER_LEN: usize = 20;
/// Size of an attribute header (type and length).
pub const ATTRIBUTE_HEADER_LEN: usize = 4;

/// The message class (RFC 8489 §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Class {
    /// A request, answered by a response.
    Request,
    /// An indication, never answered.
    Indication,
    /// A success response.
    Success,
    /// An error response.
    Error,
}

impl Class {
    fn bits(self) -> u16 {
        match self {
            Self::Request => 0b00,
            Self::Indication => 0b01,
            Self::Success => 0b10,
            Self::Error => 0b11,
        }
    }

    /// True for success and error responses.
    pub fn is_response(self) -> bool {
        matches!(self, Self::Success | Self::Error)
    }
}

/// A STUN method: 12 bits (RFC 8489 §5, §18.2; TURN methods from RFC 8656 §17 and RFC 6062).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Method(u16);

impl Method {
    /// Binding (RFC 8489).
    pub const BINDING: Self = Self(0x001);
    /// Allocate (TURN).
    pub const ALLOCATE: Self = Self(0x003);
    /// Refresh (TURN).
    pub const REFRESH: Self = Self(0x004);
    /// Send (TURN indication).
    pub const SEND: Self = Self(0x006);
    /// Data (TURN indication).
    pub const DATA: Self = Self(0x007);
    /// CreatePermission (TURN).
    pub const CREATE_PERMISSION: Self = Self(0x008);
    /// ChannelBind (TURN).
    pub const CHANNEL_BIND: Self = Self(0x009);
    /// Connect (TURN over TCP, RFC 6062).
    pub const CONNECT: Self = Self(0x00A);
    /// ConnectionBind (RFC 6062).
    pub const CONNECTION_BIND: Self = Self(0x00B);
    /// ConnectionAttempt (RFC 6062).
    pub const CONNECTION_ATTEMPT: Self = Self(0x00C);

    /// A method from its 12-bit number.
    pub const fn new(value: u16) -> Result<Self, Error> {
        if value > 0x0FFF {
            return Err(Error::InvalidMethod(value));
        }
        Ok(Self(value))
    }

    /// The method number.
    pub const fn value(self) -> u16 {
        self.0
    }
}

impl fmt::Debug for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match *self {
            Self::BINDING => "Binding",
            Self::ALLOCATE => "Allocate",
            Self::REFRESH => "Refresh",
            Self::SEND => "Send",
            Self::DATA => "Data",
            Self::CREATE_PERMISSION => "CreatePermission",
            Self::CHANNEL_BIND => "ChannelBind",
            Self::CONNECT => "Connect",
            Self::CONNECTION_BIND => "ConnectionBind",
            Self::CONNECTION_ATTEMPT => "ConnectionAttempt",
            _ => return write!(f, "Method({:#05x})", self.0),
        };
        f.write_str(name)
    }
}

/// Encodes class and method into the 14-bit message type (RFC 8489 §5, figure 3: the class bits
/// C1 and C0 sit at positions 8 and 4, between the method bits).
pub(crate) fn message_type(class: Class, method: Method) -> u16 {
    let m = method.0;
    let c = class.bits();
    ((m & 0x0F80) << 2) | ((m & 0x0070) << 1) | (m & 0x000F) | ((c & 0b10) << 7) | ((c & 0b01) << 4)
}

fn split_message_type(t: u16) -> (Class, Method) {
    let method = ((t & 0x3E00) >> 2) | ((t & 0x00E0) >> 1) | (t & 0x000F);
    let class = match ((t >> 7) & 0b10) | ((t >> 4) & 0b01) {
        0b00 => Class::Request,
        0b01 => Class::Indication,
        0b10 => Class::Success,
        _ => Class::Error,
    };
    (class, Method(method))
}

/// The 96-bit transaction id (RFC 8489 §5). It must be uniformly random for requests: the
/// caller supplies it from a cryptographically secure source.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct TransactionId([u8; 12]);

impl TransactionId {
    /// Wraps 12 bytes.
    pub const fn new(bytes: [u8; 12]) -> Self {
        Self(bytes)
    }

    /// The 12 bytes.
    pub const fn as_bytes(&self) -> &[u8; 12] {
        &self.0
    }
}

impl fmt::Debug for TransactionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

/// An ERROR-CODE value: a code in 300..=699 and a reason phrase (RFC 8489 §14.8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorCode<'a> {
    /// The code: 300 Try Alternate, 400 Bad Request, 401 Unauthorized, 420 Unknown Attribute,
    /// 438 Stale Nonce, 500 Server Error, and the TURN and ICE codes.
    pub code: u16,
    /// The reason phrase.
    pub reason: &'a str,
}

impl ErrorCode<'static> {
    /// 300 Try Alternate.
    pub const TRY_ALTERNATE: Self = Self::new(300, "Try Alternate");
    /// 400 Bad Request.
    pub const BAD_REQUEST: Self = Self::new(400, "Bad Request");
    /// 401 Unauthenticated.
    pub const UNAUTHENTICATED: Self = Self::new(401, "Unauthenticated");
    /// 420 Unknown Attribute.
    pub const UNKNOWN_ATTRIBUTE: Self = Self::new(420, "Unknown Attribute");
    /// 438 Stale Nonce.
    pub const STALE_NONCE: Self = Self::new(438, "Stale Nonce");
    /// 487 Role Conflict (RFC 8445 §7.3.1.1).
    pub const ROLE_CONFLICT: Self = Self::new(487, "Role Conflict");
    /// 500 Server Error.
    pub const SERVER_ERROR: Self = Self::new(500, "Server Error");
}

impl<'a> ErrorCode<'a> {
    /// An error code with its reason.
    pub const fn new(code: u16, reason: &'a str) -> Self {
        Self { code, reason }
    }
}

/// Where the integrity and fingerprint attributes sit in a message.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Trailer {
    /// Offset of the MESSAGE-INTEGRITY attribute header.
    integrity: Option<usize>,
    /// Offset of the MESSAGE-INTEGRITY-SHA256 attribute header.
    integrity_sha256: Option<usize>,
    /// Offset of the FINGERPRINT attribute header.
    fingerprint: Option<usize>,
}

/// A STUN message borrowed from a datagram, checked once by [`Message::parse`]:
///
/// - header: leading zero bits, magic cookie, a length that is a multiple of 4 and matches the
///   bytes given exactly (no trailing data);
/// - every attribute fits, and every attribute this crate knows has a valid value;
/// - FINGERPRINT, when present, is last and matches.
///
/// After that the accessors cannot fail. Integrity needs the key and is checked on demand by
/// [`Message::verify_integrity`].
#[derive(Clone, Copy)]
pub struct Message<'a> {
    bytes: &'a [u8],
    trailer: Trailer,
    /// The first processed USERNAME, checked by `parse` (read on every ICE check).
    username: Option<&'a str>,
}

/// Quick test, for demultiplexing (RFC 7983 §7): could these bytes be a STUN message? Looks at
/// the first byte, the length and the magic cookie only.
pub fn is_stun(bytes: &[u8]) -> bool {
    bytes.len() >= HEADER_LEN
        && bytes[0] < 4
        && bytes[4..8] == MAGIC_COOKIE.to_be_bytes()
        && usize::from(u16::from_be_bytes([bytes[2], bytes[3]])) + HEADER_LEN == bytes.len()
}

impl<'a> Message<'a> {
    /// Checks an RFC 8489 message (magic cookie required).
    pub fn parse(bytes: &'a [u8]) -> Result<Self, Error> {
        Self::parse_inner(bytes, true)
    }

    /// Checks a message that may come from a classic RFC 3489 agent, which has no magic cookie
    /// (RFC 8489 §12). FINGERPRINT and the XOR attributes only mean something with the cookie;
    /// use [`Message::is_rfc3489`] to tell.
    pub fn parse_allow_rfc3489(bytes: &'a [u8]) -> Result<Self, Error> {
        Self::parse_inner(bytes, false)
    }

    fn parse_inner(bytes: &'a [u8], require_cookie: bool) -> Result<Self, Error> {
        if bytes.len() < HEADER_LEN {
            return Err(Error::Truncated {
                needed: HEADER_LEN,
                available: bytes.len(),
            });
        }
        if bytes[0] & 0xC0 != 0 {
            return Err(Error::NotStun);
        }
        if require_cookie && bytes[4..8] != MAGIC_COOKIE.to_be_bytes() {
            return Err(Error::NoMagicCookie);
        }
        let len = usize::from(u16::from_be_bytes([bytes[2], bytes[3]]));
        if len % 4 != 0 {
            return Err(Error::UnalignedLength(len));
        }
        let total = HEADER_LEN + len;
        if bytes.len() < total {
            return Err(Error::Truncated {
                needed: total,
                available: bytes.len(),
            });
        }
        if bytes.len() > total {
            return Err(Error::TrailingData(bytes.len() - total));
        }
        let mut trailer = Trailer::default();
        let mut username = None;
        // Where MESSAGE-INTEGRITY(-SHA256) was found: ordinary attributes after it are ignored
        // (RFC 8489 §14.5, §14.6), so they are not decoded either; the rest must decode.
        let mut sealed_at = usize::MAX;
        let mut offset = HEADER_LEN;
        while offset < total {
            let (attribute, value, next) = next_attribute(bytes, offset)?;
            if trailer.fingerprint.is_some() {
                return Err(Error::AttributeAfterFingerprint(attribute));
            }
            match attribute {
                AttributeType::USERNAME if offset < sealed_at => {
                    let text = crate::attribute::decode_username(value)?;
                    username = username.or(Some(text));
                }
                AttributeType::FINGERPRINT => {
                    fixed_length(attribute, value, 4)?;
                    trailer.fingerprint = Some(offset);
                }
                AttributeType::MESSAGE_INTEGRITY
                    if trailer.integrity.is_none() && trailer.integrity_sha256.is_none() =>
                {
                    fixed_length(attribute, value, 20)?;
                    trailer.integrity = Some(offset);
                    sealed_at = offset;
                }
                AttributeType::MESSAGE_INTEGRITY_SHA256 if trailer.integrity_sha256.is_none() => {
                    validate(attribute, value, bytes)?;
                    trailer.integrity_sha256 = Some(offset);
                    sealed_at = sealed_at.min(offset);
                }
                // A later MESSAGE-INTEGRITY(-SHA256) is ignored, like anything after the first.
                AttributeType::MESSAGE_INTEGRITY | AttributeType::MESSAGE_INTEGRITY_SHA256 => {}
                _ if offset < sealed_at => validate(attribute, value, bytes)?,
                _ => {}
            }
            offset = next;
        }
        let message = Self {
            bytes,
            trailer,
            username,
        };
        if let Some(fp) = trailer.fingerprint {
            let value = &bytes[fp + ATTRIBUTE_HEADER_LEN..fp + ATTRIBUTE_HEADER_LEN + 4];
            let expected = u32::from_be_bytes([value[0], value[1], value[2], value[3]]);
            if fingerprint(&bytes[..fp]) != expected {
                return Err(Error::FingerprintMismatch);
            }
        }
        Ok(message)
    }

    /// The message's bytes.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The message class.
    pub fn class(&self) -> Class {
        split_message_type(self.raw_type()).0
    }

    /// The message method.
    pub fn method(&self) -> Method {
        split_message_type(self.raw_type()).1
    }

    fn raw_type(&self) -> u16 {
        u16::from_be_bytes([self.bytes[0], self.bytes[1]])
    }

    /// The transaction id.
    pub fn transaction_id(&self) -> TransactionId {
        TransactionId(tid_bytes(self.bytes))
    }

    /// The 4 bytes after the length: the magic cookie, or in a classic RFC 3489 message the first
    /// part of its 128-bit transaction id.
    pub fn cookie(&self) -> [u8; 4] {
        [self.bytes[4], self.bytes[5], self.bytes[6], self.bytes[7]]
    }

    /// True when the message lacks the magic cookie (an RFC 3489 agent sent it).
    pub fn is_rfc3489(&self) -> bool {
        self.cookie() != MAGIC_COOKIE.to_be_bytes()
    }

    /// True when the message carries FINGERPRINT (already checked by [`Message::parse`]).
    pub fn has_fingerprint(&self) -> bool {
        self.trailer.fingerprint.is_some()
    }

    /// True when the message carries MESSAGE-INTEGRITY or MESSAGE-INTEGRITY-SHA256.
    pub fn has_integrity(&self) -> bool {
        self.trailer.integrity.is_some() || self.trailer.integrity_sha256.is_some()
    }

    /// The attributes a receiver processes, in order, decoded: everything up to
    /// MESSAGE-INTEGRITY, then MESSAGE-INTEGRITY-SHA256 and FINGERPRINT if present (RFC 8489
    /// §14.5: other attributes after MESSAGE-INTEGRITY are ignored).
    pub fn attributes(&self) -> Attributes<'a> {
        Attributes {
            bytes: self.bytes,
            trailer: self.trailer,
            offset: HEADER_LEN,
        }
    }

    /// The first attribute of type `attribute` (RFC 8489 §14: later duplicates are ignored).
    pub fn get(&self, attribute: AttributeType) -> Option<Attribute<'a>> {
        // Decode only the match (its value was validated by `parse`).
        Attribute::decode(attribute, self.raw(attribute)?, &self.transaction_id()).ok()
    }

    /// Comprehension-required attribute types this crate does not know (RFC 8489 §6.3.1: a
    /// server answers a request holding any with 420 and UNKNOWN-ATTRIBUTES).
    pub fn unknown_comprehension_required(&self) -> impl Iterator<Item = AttributeType> + 'a {
        self.attributes().filter_map(|a| match a {
            Attribute::Unknown { attribute, .. } if attribute.is_comprehension_required() => {
                Some(attribute)
            }
            _ => None,
        })
    }

    /// Verifies MESSAGE-INTEGRITY-SHA256 if present, else MESSAGE-INTEGRITY, with `key`, in
    /// constant time (RFC 8489 §14.5, §14.6).
    pub fn verify_integrity(&self, key: &IntegrityKey) -> Result<(), Error> {
        if let Some(offset) = self.trailer.integrity_sha256 {
            let value = self.value_at(offset);
            return key.verify_sha256(self.bytes, offset, value);
        }
        if let Some(offset) = self.trailer.integrity {
            let value = self.value_at(offset);
            return key.verify_sha1(self.bytes, offset, value);
        }
        Err(Error::MissingIntegrity)
    }

    /// [`Message::parse`] then [`Message::verify_integrity`], in one call and faster: a
    /// message whose last attributes are MESSAGE-INTEGRITY and FINGERPRINT (every ICE
    /// connectivity check, RFC 8445 §7.2.2) has its HMAC started before the rest is parsed, and
    /// the parse placed between the HMAC's inner and outer hashes, so that it runs alongside
    /// their SHA-1 rounds. The HMAC is used only once the parse has confirmed where
    /// MESSAGE-INTEGRITY is; otherwise the message is verified as [`Message::verify_integrity`]
    /// does.
    ///
    /// Errors are those of `parse`, then those of `verify_integrity`.
    pub fn parse_verified(bytes: &'a [u8], key: &IntegrityKey) -> Result<Self, Error> {
        const MI_FP: usize = ATTRIBUTE_HEADER_LEN + 20 + ATTRIBUTE_HEADER_LEN + 4;
        let guess = bytes
            .len()
            .checked_sub(MI_FP)
            .filter(|&at| at >= HEADER_LEN && bytes[at..at + 4] == [0x00, 0x08, 0x00, 0x14]);
        let (early, parsed) = match guess {
            Some(at) => {
                let (mac, parsed) = key.mac_sha1_at_with(bytes, at, || Self::parse(bytes));
                (Some((at, mac)), parsed)
            }
            None => (None, Self::parse(bytes)),
        };
        let message = parsed?;
        match (early, message.trailer) {
            (
                Some((at, mac)),
                Trailer {
                    integrity: Some(found),
                    integrity_sha256: None,
                    ..
                },
            ) if found == at => check_mac(&mac, message.value_at(at))?,
            _ => message.verify_integrity(key)?,
        }
        Ok(message)
    }

    fn value_at(&self, offset: usize) -> &'a [u8] {
        let len = usize::from(u16::from_be_bytes([
            self.bytes[offset + 2],
            self.bytes[offset + 3],
        ]));
        &self.bytes[offset + ATTRIBUTE_HEADER_LEN..offset + ATTRIBUTE_HEADER_LEN + len]
    }

    /// The raw value of the first processed attribute of type `attribute`, without decoding.
    fn raw(&self, attribute: AttributeType) -> Option<&'a [u8]> {
        let mut offset = HEADER_LEN;
        while offset < self.bytes.len() {
            let (t, value, next) = next_attribute(self.bytes, offset).ok()?;
            if t == attribute && !is_ignored(&self.trailer, t, offset) {
                return Some(value);
            }
            offset = next;
        }
        None
    }

    /// A text attribute's value. `parse` checked it decodes, so only the `&str` is made here,
    /// without the generic decoder's dispatch (USERNAME is read on every ICE check).
    fn text(&self, attribute: AttributeType) -> Option<&'a str> {
        std::str::from_utf8(self.raw(attribute)?).ok()
    }

    /// XOR-MAPPED-ADDRESS, the reflexive address of a Binding success response.
    pub fn xor_mapped_address(&self) -> Option<SocketAddr> {
        match self.get(AttributeType::XOR_MAPPED_ADDRESS)? {
            Attribute::XorMappedAddress(a) => Some(a),
            _ => None,
        }
    }

    /// XOR-MAPPED-ADDRESS if present, else MAPPED-ADDRESS (older servers send only the latter).
    pub fn mapped_address(&self) -> Option<SocketAddr> {
        self.xor_mapped_address()
            .or_else(|| match self.get(AttributeType::MAPPED_ADDRESS)? {
                Attribute::MappedAddress(a) => Some(a),
                _ => None,
            })
    }

    /// USERNAME.
    pub fn username(&self) -> Option<&'a str> {
        self.username
    }

    /// REALM.
    pub fn realm(&self) -> Option<&'a str> {
        self.text(AttributeType::REALM)
    }

    /// NONCE.
    pub fn nonce(&self) -> Option<&'a str> {
        self.text(AttributeType::NONCE)
    }

    /// ERROR-CODE.
    pub fn error_code(&self) -> Option<ErrorCode<'a>> {
        match self.get(AttributeType::ERROR_CODE)? {
            Attribute::ErrorCode(e) => Some(e),
            _ => None,
        }
    }

    /// SOFTWARE.
    pub fn software(&self) -> Option<&'a str> {
        self.text(AttributeType::SOFTWARE)
    }
}

impl fmt::Debug for Message<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Message")
            .field("class", &self.class())
            .field("method", &self.method())
            .field("transaction_id", &self.transaction_id())
            .field("attributes", &self.attributes().collect::<Vec<_>>())
            .finish()
    }
}

fn tid_bytes(bytes: &[u8]) -> [u8; 12] {
    let mut tid = [0u8; 12];
    tid.copy_from_slice(&bytes[8..HEADER_LEN]);
    tid
}

/// Reads the attribute at `offset`: its type, its value, and the offset of the next one.
fn next_attribute(bytes: &[u8], offset: usize) -> Result<(AttributeType, &[u8], usize), Error> {
    let header =
        bytes
            .get(offset..offset + ATTRIBUTE_HEADER_LEN)
            .ok_or(Error::AttributeOverrun {
                attribute: AttributeType(0),
                offset,
            })?;
    let attribute = AttributeType(u16::from_be_bytes([header[0], header[1]]));
    let len = usize::from(u16::from_be_bytes([header[2], header[3]]));
    let start = offset + ATTRIBUTE_HEADER_LEN;
    // RFC 8489 §14: the value is padded to a multiple of 4; the padding's content is ignored
    // (RFC 5769's vectors pad with spaces).
    let next = start + padded(len);
    if next > bytes.len() {
        return Err(Error::AttributeOverrun { attribute, offset });
    }
    Ok((attribute, &bytes[start..start + len], next))
}

/// Checks that `value` decodes as `attribute` in the message `bytes`. The fixed-size attributes
/// of every ICE check only need their length checked, so they skip building the typed value;
/// everything else goes through [`Attribute::decode`]. Either way the outcome is the same as
/// decoding.
fn validate(attribute: AttributeType, value: &[u8], bytes: &[u8]) -> Result<(), Error> {
    match attribute {
        AttributeType::PRIORITY | AttributeType::FINGERPRINT | AttributeType::LIFETIME => {
            fixed_length(attribute, value, 4)
        }
        AttributeType::ICE_CONTROLLED | AttributeType::ICE_CONTROLLING => {
            fixed_length(attribute, value, 8)
        }
        AttributeType::USE_CANDIDATE => fixed_length(attribute, value, 0),
        AttributeType::MESSAGE_INTEGRITY => fixed_length(attribute, value, 20),
        AttributeType::USERNAME => crate::attribute::decode_username(value).map(|_| ()),
        _ => Attribute::decode(attribute, value, &TransactionId(tid_bytes(bytes))).map(|_| ()),
    }
}

/// The length check of an attribute whose value has a fixed size.
#[inline]
fn fixed_length(attribute: AttributeType, value: &[u8], len: usize) -> Result<(), Error> {
    if value.len() == len {
        Ok(())
    } else {
        Err(Error::InvalidAttributeLength {
            attribute,
            length: value.len(),
        })
    }
}

/// RFC 8489 §14.5/§14.6: after MESSAGE-INTEGRITY only MESSAGE-INTEGRITY-SHA256 and FINGERPRINT
/// count; after MESSAGE-INTEGRITY-SHA256 only FINGERPRINT.
fn is_ignored(trailer: &Trailer, attribute: AttributeType, offset: usize) -> bool {
    let after = |at: Option<usize>| at.is_some_and(|at| offset > at);
    match attribute {
        AttributeType::FINGERPRINT => false,
        AttributeType::MESSAGE_INTEGRITY_SHA256 => trailer.integrity_sha256 != Some(offset),
        AttributeType::MESSAGE_INTEGRITY => trailer.integrity != Some(offset),
        _ => after(trailer.integrity) || after(trailer.integrity_sha256),
    }
}

/// Iterator over a message's processed attributes; see [`Message::attributes`].
#[derive(Clone)]
pub struct Attributes<'a> {
    bytes: &'a [u8],
    trailer: Trailer,
    offset: usize,
}

impl<'a> Iterator for Attributes<'a> {
    type Item = Attribute<'a>;

    fn next(&mut self) -> Option<Self::Item> {
        let tid = TransactionId(tid_bytes(self.bytes));
        while self.offset < self.bytes.len() {
            // `Message::parse` validated the layout and every value that is not ignored, so
            // neither call below can fail; a failure would only end the iteration.
            let (attribute, value, next) = next_attribute(self.bytes, self.offset).ok()?;
            let offset = self.offset;
            self.offset = next;
            if is_ignored(&self.trailer, attribute, offset) {
                continue;
            }
            return Attribute::decode(attribute, value, &tid).ok();
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FINGERPRINT_XOR;

    #[test]
    fn message_type_bits_match_rfc_8489_figure_3() {
        // Binding request 0x0001, success 0x0101, error 0x0111, indication 0x0011.
        assert_eq!(message_type(Class::Request, Method::BINDING), 0x0001);
        assert_eq!(message_type(Class::Success, Method::BINDING), 0x0101);
        assert_eq!(message_type(Class::Error, Method::BINDING), 0x0111);
        assert_eq!(message_type(Class::Indication, Method::BINDING), 0x0011);
        // TURN Allocate request 0x0003, Send indication 0x0016, Data indication 0x0017.
        assert_eq!(message_type(Class::Request, Method::ALLOCATE), 0x0003);
        assert_eq!(message_type(Class::Indication, Method::SEND), 0x0016);
        assert_eq!(message_type(Class::Indication, Method::DATA), 0x0017);
        for m in 0..=0x0FFF {
            for c in [
                Class::Request,
                Class::Indication,
                Class::Success,
                Class::Error,
            ] {
                let t = message_type(c, Method(m));
                assert_eq!(t & 0xC000, 0);
                assert_eq!(split_message_type(t), (c, Method(m)));
            }
        }
    }

    #[test]
    fn parse_verified_ignores_an_integrity_header_inside_another_value() {
        // An unknown attribute whose value holds, 32 bytes from the end, what looks like a
        // MESSAGE-INTEGRITY header; then FINGERPRINT. There is no integrity to verify.
        let mut m = vec![0x00, 0x01, 0x00, 0x28];
        m.extend_from_slice(&MAGIC_COOKIE.to_be_bytes());
        m.extend_from_slice(&[7; 12]);
        m.extend_from_slice(&[0x80, 0x50, 0x00, 0x1C]);
        let mut value = [0x11u8; 28];
        value[4..8].copy_from_slice(&[0x00, 0x08, 0x00, 0x14]);
        m.extend_from_slice(&value);
        let crc = crc32fast::hash(&m) ^ FINGERPRINT_XOR;
        m.extend_from_slice(&[0x80, 0x28, 0x00, 0x04]);
        m.extend_from_slice(&crc.to_be_bytes());
        assert_eq!(m.len(), 60);
        let key = IntegrityKey::short_term("pw");
        assert_eq!(Message::parse(&m).err(), None);
        assert_eq!(
            Message::parse_verified(&m, &key).err(),
            Some(Error::MissingIntegrity)
        );
    }

    #[test]
    fn validate_agrees_with_decode() {
        let mut header = [0u8; HEADER_LEN];
        header[8..].fill(5);
        let tid = TransactionId([5; 12]);
        let types = [
            0x0024u16, 0x8028, 0x000D, 0x8029, 0x802A, 0x0025, 0x0008, 0x0006, 0x0020,
        ];
        for t in types {
            for len in 0..24 {
                let value = vec![0x41u8; len];
                let t = AttributeType(t);
                assert_eq!(
                    validate(t, &value, &header).is_ok(),
                    Attribute::decode(t, &value, &tid).is_ok(),
                    "{t} with {len} bytes"
                );
            }
        }
    }

    #[test]
    fn fingerprint_constant_is_stun_in_ascii() {
        assert_eq!(FINGERPRINT_XOR.to_be_bytes(), *b"STUN");
    }
}
