//! STUN attributes: the type registry and a typed, borrowed view of every attribute ICE and TURN
//! use, with its wire codec.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use crate::message::{MAGIC_COOKIE, TransactionId};
use crate::{Error, ErrorCode};

/// A STUN attribute type (RFC 8489 §14, §18.3).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AttributeType(pub u16);

macro_rules! attribute_types {
    ($( $(#[$doc:meta])* $name:ident = $value:literal, $text:literal; )*) => {
        impl AttributeType {
            $( $(#[$doc])* pub const $name: Self = Self($value); )*

            /// The registered name, if this crate knows the type.
            pub fn name(self) -> Option<&'static str> {
                match self.0 {
                    $( $value => Some($text), )*
                    _ => None,
                }
            }

            /// True when this crate decodes the attribute into a typed [`Attribute`].
            pub fn is_known(self) -> bool {
                self.name().is_some()
            }
        }
    };
}

attribute_types! {
    /// MAPPED-ADDRESS (RFC 8489 §14.1).
    MAPPED_ADDRESS = 0x0001, "MAPPED-ADDRESS";
    /// CHANGE-REQUEST (RFC 5780 §7.2; RFC 3489 §11.2.4).
    CHANGE_REQUEST = 0x0003, "CHANGE-REQUEST";
    /// SOURCE-ADDRESS (RFC 3489 §11.2.5, classic STUN).
    SOURCE_ADDRESS = 0x0004, "SOURCE-ADDRESS";
    /// CHANGED-ADDRESS (RFC 3489 §11.2.3, classic STUN).
    CHANGED_ADDRESS = 0x0005, "CHANGED-ADDRESS";
    /// USERNAME (RFC 8489 §14.3).
    USERNAME = 0x0006, "USERNAME";
    /// MESSAGE-INTEGRITY (RFC 8489 §14.5).
    MESSAGE_INTEGRITY = 0x0008, "MESSAGE-INTEGRITY";
    /// ERROR-CODE (RFC 8489 §14.8).
    ERROR_CODE = 0x0009, "ERROR-CODE";
    /// UNKNOWN-ATTRIBUTES (RFC 8489 §14.13).
    UNKNOWN_ATTRIBUTES = 0x000A, "UNKNOWN-ATTRIBUTES";
    /// CHANNEL-NUMBER (RFC 8656 §18.1).
    CHANNEL_NUMBER = 0x000C, "CHANNEL-NUMBER";
    /// LIFETIME (RFC 8656 §18.2).
    LIFETIME = 0x000D, "LIFETIME";
    /// XOR-PEER-ADDRESS (RFC 8656 §18.3).
    XOR_PEER_ADDRESS = 0x0012, "XOR-PEER-ADDRESS";
    /// DATA (RFC 8656 §18.4).
    DATA = 0x0013, "DATA";
    /// REALM (RFC 8489 §14.9).
    REALM = 0x0014, "REALM";
    /// NONCE (RFC 8489 §14.10).
    NONCE = 0x0015, "NONCE";
    /// XOR-RELAYED-ADDRESS (RFC 8656 §18.5).
    XOR_RELAYED_ADDRESS = 0x0016, "XOR-RELAYED-ADDRESS";
    /// REQUESTED-ADDRESS-FAMILY (RFC 8656 §18.6).
    REQUESTED_ADDRESS_FAMILY = 0x0017, "REQUESTED-ADDRESS-FAMILY";
    /// EVEN-PORT (RFC 8656 §18.7).
    EVEN_PORT = 0x0018, "EVEN-PORT";
    /// REQUESTED-TRANSPORT (RFC 8656 §18.8).
    REQUESTED_TRANSPORT = 0x0019, "REQUESTED-TRANSPORT";
    /// DONT-FRAGMENT (RFC 8656 §18.9).
    DONT_FRAGMENT = 0x001A, "DONT-FRAGMENT";
    /// MESSAGE-INTEGRITY-SHA256 (RFC 8489 §14.6).
    MESSAGE_INTEGRITY_SHA256 = 0x001C, "MESSAGE-INTEGRITY-SHA256";
    /// PASSWORD-ALGORITHM (RFC 8489 §14.12).
    PASSWORD_ALGORITHM = 0x001D, "PASSWORD-ALGORITHM";
    /// USERHASH (RFC 8489 §14.4).
    USERHASH = 0x001E, "USERHASH";
    /// XOR-MAPPED-ADDRESS (RFC 8489 §14.2).
    XOR_MAPPED_ADDRESS = 0x0020, "XOR-MAPPED-ADDRESS";
    /// RESERVATION-TOKEN (RFC 8656 §18.10).
    RESERVATION_TOKEN = 0x0022, "RESERVATION-TOKEN";
    /// PRIORITY (RFC 8445 §16.1).
    PRIORITY = 0x0024, "PRIORITY";
    /// USE-CANDIDATE (RFC 8445 §16.1).
    USE_CANDIDATE = 0x0025, "USE-CANDIDATE";
    /// CONNECTION-ID (RFC 6062 §6.2.1).
    CONNECTION_ID = 0x002A, "CONNECTION-ID";
    /// ADDITIONAL-ADDRESS-FAMILY (RFC 8656 §18.11).
    ADDITIONAL_ADDRESS_FAMILY = 0x8000, "ADDITIONAL-ADDRESS-FAMILY";
    /// ADDRESS-ERROR-CODE (RFC 8656 §18.12).
    ADDRESS_ERROR_CODE = 0x8001, "ADDRESS-ERROR-CODE";
    /// PASSWORD-ALGORITHMS (RFC 8489 §14.11).
    PASSWORD_ALGORITHMS = 0x8002, "PASSWORD-ALGORITHMS";
    /// ALTERNATE-DOMAIN (RFC 8489 §14.16).
    ALTERNATE_DOMAIN = 0x8003, "ALTERNATE-DOMAIN";
    /// ICMP (RFC 8656 §18.13).
    ICMP = 0x8004, "ICMP";
    /// SOFTWARE (RFC 8489 §14.14).
    SOFTWARE = 0x8022, "SOFTWARE";
    /// ALTERNATE-SERVER (RFC 8489 §14.15).
    ALTERNATE_SERVER = 0x8023, "ALTERNATE-SERVER";
    /// FINGERPRINT (RFC 8489 §14.7).
    FINGERPRINT = 0x8028, "FINGERPRINT";
    /// ICE-CONTROLLED (RFC 8445 §16.1).
    ICE_CONTROLLED = 0x8029, "ICE-CONTROLLED";
    /// ICE-CONTROLLING (RFC 8445 §16.1).
    ICE_CONTROLLING = 0x802A, "ICE-CONTROLLING";
    /// RESPONSE-ORIGIN (RFC 5780 §7.3).
    RESPONSE_ORIGIN = 0x802B, "RESPONSE-ORIGIN";
    /// OTHER-ADDRESS (RFC 5780 §7.4).
    OTHER_ADDRESS = 0x802C, "OTHER-ADDRESS";
}

impl AttributeType {
    /// RFC 8489 §14: types 0x0000-0x7FFF are comprehension-required; an agent that does not know
    /// one must reject the message (420 for a request).
    pub fn is_comprehension_required(self) -> bool {
        self.0 < 0x8000
    }
}

impl fmt::Debug for AttributeType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for AttributeType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "{name}"),
            None => write!(f, "{:#06x}", self.0),
        }
    }
}

/// Address family of a STUN address attribute or of a TURN family request (RFC 8489 §14.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AddressFamily {
    /// 0x01.
    V4,
    /// 0x02.
    V6,
}

impl AddressFamily {
    fn to_wire(self) -> u8 {
        match self {
            Self::V4 => 0x01,
            Self::V6 => 0x02,
        }
    }

    fn from_wire(attribute: AttributeType, family: u8) -> Result<Self, Error> {
        match family {
            0x01 => Ok(Self::V4),
            0x02 => Ok(Self::V6),
            _ => Err(Error::UnknownAddressFamily { attribute, family }),
        }
    }
}

/// Password algorithm numbers (RFC 8489 §18.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PasswordAlgorithmId(pub u16);

impl PasswordAlgorithmId {
    /// MD5 (RFC 8489 §18.5.1.1).
    pub const MD5: Self = Self(0x0001);
    /// SHA-256 (RFC 8489 §18.5.1.2).
    pub const SHA256: Self = Self(0x0002);
}

/// One PASSWORD-ALGORITHM value: an algorithm number and its parameters (RFC 8489 §14.12).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordAlgorithm<'a> {
    /// The algorithm.
    pub algorithm: PasswordAlgorithmId,
    /// Its parameters (empty for MD5 and SHA-256).
    pub parameters: &'a [u8],
}

/// A validated list of big-endian 16-bit values (UNKNOWN-ATTRIBUTES).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct AttributeTypeList<'a>(&'a [u8]);

impl<'a> AttributeTypeList<'a> {
    /// Wraps wire bytes; their length must be even.
    pub fn new(bytes: &'a [u8]) -> Result<Self, Error> {
        if bytes.len() % 2 != 0 {
            return Err(Error::InvalidAttributeLength {
                attribute: AttributeType::UNKNOWN_ATTRIBUTES,
                length: bytes.len(),
            });
        }
        Ok(Self(bytes))
    }

    /// The wire bytes.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.0
    }

    /// The attribute types listed.
    pub fn iter(&self) -> impl Iterator<Item = AttributeType> + 'a {
        self.0
            .chunks_exact(2)
            .map(|c| AttributeType(u16::from_be_bytes([c[0], c[1]])))
    }
}

impl fmt::Debug for AttributeTypeList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// A validated PASSWORD-ALGORITHMS list (RFC 8489 §14.11).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PasswordAlgorithmList<'a>(&'a [u8]);

impl<'a> PasswordAlgorithmList<'a> {
    /// Validates wire bytes: a sequence of (algorithm, length, parameters padded to 4).
    pub fn new(bytes: &'a [u8]) -> Result<Self, Error> {
        let mut rest = bytes;
        while !rest.is_empty() {
            let (_, used) =
                split_password_algorithm(rest).ok_or(Error::InvalidAttributeLength {
                    attribute: AttributeType::PASSWORD_ALGORITHMS,
                    length: bytes.len(),
                })?;
            rest = &rest[used..];
        }
        Ok(Self(bytes))
    }

    /// The wire bytes.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.0
    }

    /// The algorithms listed, in order of preference.
    pub fn iter(&self) -> impl Iterator<Item = PasswordAlgorithm<'a>> + 'a {
        let mut rest = self.0;
        std::iter::from_fn(move || {
            let (alg, used) = split_password_algorithm(rest)?;
            rest = &rest[used..];
            Some(alg)
        })
    }
}

impl fmt::Debug for PasswordAlgorithmList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// Splits one (algorithm, length, parameters + padding) off `bytes`; returns it and the bytes used.
fn split_password_algorithm(bytes: &[u8]) -> Option<(PasswordAlgorithm<'_>, usize)> {
    if bytes.len() < 4 {
        return None;
    }
    let algorithm = PasswordAlgorithmId(u16::from_be_bytes([bytes[0], bytes[1]]));
    let len = usize::from(u16::from_be_bytes([bytes[2], bytes[3]]));
    let used = 4 + padded(len);
    if bytes.len() < used {
        return None;
    }
    Some((
        PasswordAlgorithm {
            algorithm,
            parameters: &bytes[4..4 + len],
        },
        used,
    ))
}

/// An attribute, decoded and borrowed from the message it came from.
///
/// [`Attribute::decode`] and the encoder behind [`crate::MessageBuilder::add`] are exact inverses for every variant
/// (padding aside), which the crate's proptests check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Attribute<'a> {
    /// MAPPED-ADDRESS.
    MappedAddress(SocketAddr),
    /// XOR-MAPPED-ADDRESS (decoded: the real address).
    XorMappedAddress(SocketAddr),
    /// USERNAME.
    Username(&'a str),
    /// USERHASH: SHA-256 of `username ":" realm`.
    UserHash(&'a [u8; 32]),
    /// MESSAGE-INTEGRITY: the 20-byte HMAC-SHA1.
    MessageIntegrity(&'a [u8; 20]),
    /// MESSAGE-INTEGRITY-SHA256: 16 to 32 bytes of HMAC-SHA256, a multiple of 4.
    MessageIntegritySha256(&'a [u8]),
    /// FINGERPRINT: CRC-32 of the message XOR 0x5354554E.
    Fingerprint(u32),
    /// ERROR-CODE.
    ErrorCode(ErrorCode<'a>),
    /// REALM.
    Realm(&'a str),
    /// NONCE.
    Nonce(&'a str),
    /// PASSWORD-ALGORITHM.
    PasswordAlgorithm(PasswordAlgorithm<'a>),
    /// PASSWORD-ALGORITHMS.
    PasswordAlgorithms(PasswordAlgorithmList<'a>),
    /// UNKNOWN-ATTRIBUTES.
    UnknownAttributes(AttributeTypeList<'a>),
    /// SOFTWARE.
    Software(&'a str),
    /// ALTERNATE-SERVER.
    AlternateServer(SocketAddr),
    /// ALTERNATE-DOMAIN.
    AlternateDomain(&'a str),
    /// PRIORITY (ICE).
    Priority(u32),
    /// USE-CANDIDATE (ICE).
    UseCandidate,
    /// ICE-CONTROLLED with its tie-breaker.
    IceControlled(u64),
    /// ICE-CONTROLLING with its tie-breaker.
    IceControlling(u64),
    /// CHANNEL-NUMBER (TURN).
    ChannelNumber(u16),
    /// LIFETIME in seconds (TURN).
    Lifetime(u32),
    /// XOR-PEER-ADDRESS (TURN, decoded).
    XorPeerAddress(SocketAddr),
    /// DATA (TURN).
    Data(&'a [u8]),
    /// XOR-RELAYED-ADDRESS (TURN, decoded).
    XorRelayedAddress(SocketAddr),
    /// REQUESTED-ADDRESS-FAMILY (TURN).
    RequestedAddressFamily(AddressFamily),
    /// EVEN-PORT with its R (reserve next port) flag (TURN).
    EvenPort(bool),
    /// REQUESTED-TRANSPORT protocol number, 17 for UDP (TURN).
    RequestedTransport(u8),
    /// DONT-FRAGMENT (TURN).
    DontFragment,
    /// RESERVATION-TOKEN (TURN).
    ReservationToken(u64),
    /// ADDITIONAL-ADDRESS-FAMILY (TURN).
    AdditionalAddressFamily(AddressFamily),
    /// ADDRESS-ERROR-CODE (TURN).
    AddressErrorCode(AddressFamily, ErrorCode<'a>),
    /// ICMP (TURN): type, code and error data.
    Icmp {
        /// ICMP type.
        icmp_type: u8,
        /// ICMP code.
        code: u8,
        /// Error data (the next-hop MTU for "packet too big").
        data: u32,
    },
    /// CONNECTION-ID (TURN over TCP, RFC 6062).
    ConnectionId(u32),
    /// CHANGE-REQUEST flags (RFC 5780): 0x4 change IP, 0x2 change port.
    ChangeRequest(u32),
    /// SOURCE-ADDRESS (classic RFC 3489 responses).
    SourceAddress(SocketAddr),
    /// CHANGED-ADDRESS (classic RFC 3489 responses).
    ChangedAddress(SocketAddr),
    /// RESPONSE-ORIGIN (RFC 5780).
    ResponseOrigin(SocketAddr),
    /// OTHER-ADDRESS (RFC 5780).
    OtherAddress(SocketAddr),
    /// An attribute this crate does not decode, kept as it came.
    Unknown {
        /// Its type.
        attribute: AttributeType,
        /// Its value, without padding.
        value: &'a [u8],
    },
}

/// Longest text value accepted when decoding: RFC 8489 allows 128 characters, "as long as 763
/// bytes when decoding them" (§14.9, §14.10, §14.14).
const MAX_TEXT: usize = 763;
/// RFC 8489 §14.3: USERNAME is fewer than 509 bytes; RFC 5389 allowed up to 512. Accept 513.
pub(crate) const MAX_USERNAME: usize = 513;

/// Rounds `len` up to the next multiple of 4 (RFC 8489 §14: attributes are padded to 32 bits).
#[inline]
pub(crate) const fn padded(len: usize) -> usize {
    (len + 3) & !3
}

fn exact<const N: usize>(attribute: AttributeType, value: &[u8]) -> Result<&[u8; N], Error> {
    value.try_into().map_err(|_| Error::InvalidAttributeLength {
        attribute,
        length: value.len(),
    })
}

fn text(attribute: AttributeType, value: &[u8], max: usize) -> Result<&str, Error> {
    if value.len() > max {
        return Err(Error::InvalidAttributeLength {
            attribute,
            length: value.len(),
        });
    }
    std::str::from_utf8(value).map_err(|_| Error::InvalidUtf8(attribute))
}

fn family_field(attribute: AttributeType, value: &[u8]) -> Result<AddressFamily, Error> {
    let v = exact::<4>(attribute, value)?;
    AddressFamily::from_wire(attribute, v[0])
}

fn error_code(attribute: AttributeType, bytes: &[u8; 4], reason: &[u8]) -> Result<u16, Error> {
    // RFC 8489 §14.8: the hundreds digit is the low three bits of byte 2, the rest is byte 3.
    let class = bytes[2] & 0x07;
    let number = bytes[3];
    if !(3..=6).contains(&class) || number > 99 {
        return Err(Error::InvalidErrorCode {
            attribute,
            class,
            number,
        });
    }
    text(attribute, reason, MAX_TEXT)?;
    Ok(u16::from(class) * 100 + u16::from(number))
}

/// Decodes an address value; `xor` is `Some(transaction id)` for the XOR- variants.
fn decode_address(
    attribute: AttributeType,
    value: &[u8],
    xor: Option<&TransactionId>,
) -> Result<SocketAddr, Error> {
    if value.len() < 4 {
        return Err(Error::InvalidAttributeLength {
            attribute,
            length: value.len(),
        });
    }
    let family = AddressFamily::from_wire(attribute, value[1])?;
    let mut port = u16::from_be_bytes([value[2], value[3]]);
    let cookie = MAGIC_COOKIE.to_be_bytes();
    if xor.is_some() {
        // RFC 8489 §14.2: X-Port is the port XOR the 16 most significant bits of the cookie.
        port ^= (MAGIC_COOKIE >> 16) as u16;
    }
    let ip = match (family, value.len()) {
        (AddressFamily::V4, 8) => {
            let mut b = [value[4], value[5], value[6], value[7]];
            if xor.is_some() {
                for (b, k) in b.iter_mut().zip(cookie) {
                    *b ^= k;
                }
            }
            IpAddr::V4(Ipv4Addr::from(b))
        }
        (AddressFamily::V6, 20) => {
            let mut b = [0u8; 16];
            b.copy_from_slice(&value[4..20]);
            if let Some(tid) = xor {
                // For IPv6 the key is the cookie followed by the transaction id.
                let key = cookie.iter().chain(tid.as_bytes().iter());
                for (b, k) in b.iter_mut().zip(key) {
                    *b ^= k;
                }
            }
            IpAddr::V6(Ipv6Addr::from(b))
        }
        _ => {
            return Err(Error::InvalidAttributeLength {
                attribute,
                length: value.len(),
            });
        }
    };
    Ok(SocketAddr::new(ip, port))
}

fn address_len(addr: &SocketAddr) -> usize {
    match addr {
        SocketAddr::V4(_) => 8,
        SocketAddr::V6(_) => 20,
    }
}

fn encode_address(addr: &SocketAddr, xor: Option<&TransactionId>, out: &mut [u8]) {
    let cookie = MAGIC_COOKIE.to_be_bytes();
    let mut port = addr.port();
    if xor.is_some() {
        port ^= (MAGIC_COOKIE >> 16) as u16;
    }
    out[0] = 0;
    out[2..4].copy_from_slice(&port.to_be_bytes());
    match addr.ip() {
        IpAddr::V4(ip) => {
            out[1] = AddressFamily::V4.to_wire();
            let mut b = ip.octets();
            if xor.is_some() {
                for (b, k) in b.iter_mut().zip(cookie) {
                    *b ^= k;
                }
            }
            out[4..8].copy_from_slice(&b);
        }
        IpAddr::V6(ip) => {
            out[1] = AddressFamily::V6.to_wire();
            let mut b = ip.octets();
            if let Some(tid) = xor {
                let key = cookie.iter().chain(tid.as_bytes().iter());
                for (b, k) in b.iter_mut().zip(key) {
                    *b ^= k;
                }
            }
            out[4..20].copy_from_slice(&b);
        }
    }
}

fn u32_value(attribute: AttributeType, value: &[u8]) -> Result<u32, Error> {
    Ok(u32::from_be_bytes(*exact::<4>(attribute, value)?))
}

fn u64_value(attribute: AttributeType, value: &[u8]) -> Result<u64, Error> {
    Ok(u64::from_be_bytes(*exact::<8>(attribute, value)?))
}

/// A USERNAME value (RFC 8489 §14.3).
pub(crate) fn decode_username(value: &[u8]) -> Result<&str, Error> {
    text(AttributeType::USERNAME, value, MAX_USERNAME)
}

impl<'a> Attribute<'a> {
    /// Decodes one attribute value (without padding). `tid` is the message's transaction id,
    /// which the XOR address attributes need.
    ///
    /// Unknown types decode to [`Attribute::Unknown`]; a known type with a malformed value is an
    /// error.
    pub fn decode(
        attribute: AttributeType,
        value: &'a [u8],
        tid: &TransactionId,
    ) -> Result<Self, Error> {
        let t = attribute;
        Ok(match t {
            AttributeType::MAPPED_ADDRESS => Self::MappedAddress(decode_address(t, value, None)?),
            AttributeType::XOR_MAPPED_ADDRESS => {
                Self::XorMappedAddress(decode_address(t, value, Some(tid))?)
            }
            AttributeType::USERNAME => Self::Username(decode_username(value)?),
            AttributeType::USERHASH => Self::UserHash(exact::<32>(t, value)?),
            AttributeType::MESSAGE_INTEGRITY => Self::MessageIntegrity(exact::<20>(t, value)?),
            AttributeType::MESSAGE_INTEGRITY_SHA256 => {
                // RFC 8489 §14.6: at least 16 bytes, at most 32, a multiple of 4.
                if !(16..=32).contains(&value.len()) || value.len() % 4 != 0 {
                    return Err(Error::InvalidAttributeLength {
                        attribute: t,
                        length: value.len(),
                    });
                }
                Self::MessageIntegritySha256(value)
            }
            AttributeType::FINGERPRINT => Self::Fingerprint(u32_value(t, value)?),
            AttributeType::ERROR_CODE => {
                if value.len() < 4 {
                    return Err(Error::InvalidAttributeLength {
                        attribute: t,
                        length: value.len(),
                    });
                }
                let head = exact::<4>(t, &value[..4])?;
                let code = error_code(t, head, &value[4..])?;
                Self::ErrorCode(ErrorCode {
                    code,
                    reason: text(t, &value[4..], MAX_TEXT)?,
                })
            }
            AttributeType::REALM => Self::Realm(text(t, value, MAX_TEXT)?),
            AttributeType::NONCE => Self::Nonce(text(t, value, MAX_TEXT)?),
            AttributeType::PASSWORD_ALGORITHM => match split_password_algorithm(value) {
                Some((alg, used)) if used == padded(value.len()) => Self::PasswordAlgorithm(alg),
                _ => {
                    return Err(Error::InvalidAttributeLength {
                        attribute: t,
                        length: value.len(),
                    });
                }
            },
            AttributeType::PASSWORD_ALGORITHMS => {
                Self::PasswordAlgorithms(PasswordAlgorithmList::new(value)?)
            }
            AttributeType::UNKNOWN_ATTRIBUTES => {
                Self::UnknownAttributes(AttributeTypeList::new(value)?)
            }
            AttributeType::SOFTWARE => Self::Software(text(t, value, MAX_TEXT)?),
            AttributeType::ALTERNATE_SERVER => {
                Self::AlternateServer(decode_address(t, value, None)?)
            }
            AttributeType::ALTERNATE_DOMAIN => Self::AlternateDomain(text(t, value, MAX_TEXT)?),
            AttributeType::PRIORITY => Self::Priority(u32_value(t, value)?),
            AttributeType::USE_CANDIDATE => {
                exact::<0>(t, value)?;
                Self::UseCandidate
            }
            AttributeType::ICE_CONTROLLED => Self::IceControlled(u64_value(t, value)?),
            AttributeType::ICE_CONTROLLING => Self::IceControlling(u64_value(t, value)?),
            AttributeType::CHANNEL_NUMBER => {
                let v = exact::<4>(t, value)?;
                Self::ChannelNumber(u16::from_be_bytes([v[0], v[1]]))
            }
            AttributeType::LIFETIME => Self::Lifetime(u32_value(t, value)?),
            AttributeType::XOR_PEER_ADDRESS => {
                Self::XorPeerAddress(decode_address(t, value, Some(tid))?)
            }
            AttributeType::DATA => Self::Data(value),
            AttributeType::XOR_RELAYED_ADDRESS => {
                Self::XorRelayedAddress(decode_address(t, value, Some(tid))?)
            }
            AttributeType::REQUESTED_ADDRESS_FAMILY => {
                Self::RequestedAddressFamily(family_field(t, value)?)
            }
            AttributeType::EVEN_PORT => Self::EvenPort(exact::<1>(t, value)?[0] & 0x80 != 0),
            AttributeType::REQUESTED_TRANSPORT => {
                Self::RequestedTransport(exact::<4>(t, value)?[0])
            }
            AttributeType::DONT_FRAGMENT => {
                exact::<0>(t, value)?;
                Self::DontFragment
            }
            AttributeType::RESERVATION_TOKEN => Self::ReservationToken(u64_value(t, value)?),
            AttributeType::ADDITIONAL_ADDRESS_FAMILY => {
                Self::AdditionalAddressFamily(family_field(t, value)?)
            }
            AttributeType::ADDRESS_ERROR_CODE => {
                if value.len() < 4 {
                    return Err(Error::InvalidAttributeLength {
                        attribute: t,
                        length: value.len(),
                    });
                }
                let head = exact::<4>(t, &value[..4])?;
                let family = AddressFamily::from_wire(t, head[0])?;
                let code = error_code(t, head, &value[4..])?;
                Self::AddressErrorCode(
                    family,
                    ErrorCode {
                        code,
                        reason: text(t, &value[4..], MAX_TEXT)?,
                    },
                )
            }
            AttributeType::ICMP => {
                let v = exact::<8>(t, value)?;
                Self::Icmp {
                    icmp_type: v[2],
                    code: v[3],
                    data: u32::from_be_bytes([v[4], v[5], v[6], v[7]]),
                }
            }
            AttributeType::CONNECTION_ID => Self::ConnectionId(u32_value(t, value)?),
            AttributeType::CHANGE_REQUEST => Self::ChangeRequest(u32_value(t, value)?),
            AttributeType::SOURCE_ADDRESS => Self::SourceAddress(decode_address(t, value, None)?),
            AttributeType::CHANGED_ADDRESS => Self::ChangedAddress(decode_address(t, value, None)?),
            AttributeType::RESPONSE_ORIGIN => Self::ResponseOrigin(decode_address(t, value, None)?),
            AttributeType::OTHER_ADDRESS => Self::OtherAddress(decode_address(t, value, None)?),
            _ => Self::Unknown {
                attribute: t,
                value,
            },
        })
    }

    /// The attribute's type.
    #[inline]
    pub fn attribute_type(&self) -> AttributeType {
        match self {
            Self::MappedAddress(_) => AttributeType::MAPPED_ADDRESS,
            Self::XorMappedAddress(_) => AttributeType::XOR_MAPPED_ADDRESS,
            Self::Username(_) => AttributeType::USERNAME,
            Self::UserHash(_) => AttributeType::USERHASH,
            Self::MessageIntegrity(_) => AttributeType::MESSAGE_INTEGRITY,
            Self::MessageIntegritySha256(_) => AttributeType::MESSAGE_INTEGRITY_SHA256,
            Self::Fingerprint(_) => AttributeType::FINGERPRINT,
            Self::ErrorCode(_) => AttributeType::ERROR_CODE,
            Self::Realm(_) => AttributeType::REALM,
            Self::Nonce(_) => AttributeType::NONCE,
            Self::PasswordAlgorithm(_) => AttributeType::PASSWORD_ALGORITHM,
            Self::PasswordAlgorithms(_) => AttributeType::PASSWORD_ALGORITHMS,
            Self::UnknownAttributes(_) => AttributeType::UNKNOWN_ATTRIBUTES,
            Self::Software(_) => AttributeType::SOFTWARE,
            Self::AlternateServer(_) => AttributeType::ALTERNATE_SERVER,
            Self::AlternateDomain(_) => AttributeType::ALTERNATE_DOMAIN,
            Self::Priority(_) => AttributeType::PRIORITY,
            Self::UseCandidate => AttributeType::USE_CANDIDATE,
            Self::IceControlled(_) => AttributeType::ICE_CONTROLLED,
            Self::IceControlling(_) => AttributeType::ICE_CONTROLLING,
            Self::ChannelNumber(_) => AttributeType::CHANNEL_NUMBER,
            Self::Lifetime(_) => AttributeType::LIFETIME,
            Self::XorPeerAddress(_) => AttributeType::XOR_PEER_ADDRESS,
            Self::Data(_) => AttributeType::DATA,
            Self::XorRelayedAddress(_) => AttributeType::XOR_RELAYED_ADDRESS,
            Self::RequestedAddressFamily(_) => AttributeType::REQUESTED_ADDRESS_FAMILY,
            Self::EvenPort(_) => AttributeType::EVEN_PORT,
            Self::RequestedTransport(_) => AttributeType::REQUESTED_TRANSPORT,
            Self::DontFragment => AttributeType::DONT_FRAGMENT,
            Self::ReservationToken(_) => AttributeType::RESERVATION_TOKEN,
            Self::AdditionalAddressFamily(_) => AttributeType::ADDITIONAL_ADDRESS_FAMILY,
            Self::AddressErrorCode(..) => AttributeType::ADDRESS_ERROR_CODE,
            Self::Icmp { .. } => AttributeType::ICMP,
            Self::ConnectionId(_) => AttributeType::CONNECTION_ID,
            Self::ChangeRequest(_) => AttributeType::CHANGE_REQUEST,
            Self::SourceAddress(_) => AttributeType::SOURCE_ADDRESS,
            Self::ChangedAddress(_) => AttributeType::CHANGED_ADDRESS,
            Self::ResponseOrigin(_) => AttributeType::RESPONSE_ORIGIN,
            Self::OtherAddress(_) => AttributeType::OTHER_ADDRESS,
            Self::Unknown { attribute, .. } => *attribute,
        }
    }

    /// Length of the encoded value, without padding.
    #[inline]
    pub fn value_len(&self) -> usize {
        match self {
            Self::MappedAddress(a)
            | Self::XorMappedAddress(a)
            | Self::AlternateServer(a)
            | Self::XorPeerAddress(a)
            | Self::XorRelayedAddress(a)
            | Self::SourceAddress(a)
            | Self::ChangedAddress(a)
            | Self::ResponseOrigin(a)
            | Self::OtherAddress(a) => address_len(a),
            Self::Username(s)
            | Self::Realm(s)
            | Self::Nonce(s)
            | Self::Software(s)
            | Self::AlternateDomain(s) => s.len(),
            Self::UserHash(_) => 32,
            Self::MessageIntegrity(_) => 20,
            Self::MessageIntegritySha256(v) | Self::Data(v) => v.len(),
            Self::Unknown { value, .. } => value.len(),
            Self::ErrorCode(e) | Self::AddressErrorCode(_, e) => 4 + e.reason.len(),
            Self::PasswordAlgorithm(a) => 4 + padded(a.parameters.len()),
            Self::PasswordAlgorithms(l) => l.as_bytes().len(),
            Self::UnknownAttributes(l) => l.as_bytes().len(),
            Self::UseCandidate | Self::DontFragment => 0,
            Self::EvenPort(_) => 1,
            Self::Fingerprint(_)
            | Self::Priority(_)
            | Self::ChannelNumber(_)
            | Self::Lifetime(_)
            | Self::RequestedAddressFamily(_)
            | Self::RequestedTransport(_)
            | Self::AdditionalAddressFamily(_)
            | Self::ConnectionId(_)
            | Self::ChangeRequest(_) => 4,
            Self::IceControlled(_)
            | Self::IceControlling(_)
            | Self::ReservationToken(_)
            | Self::Icmp { .. } => 8,
        }
    }

    /// Checks what [`Attribute::decode`] would reject, so that nothing unreadable is emitted.
    #[inline]
    pub(crate) fn validate(&self) -> Result<(), Error> {
        let t = self.attribute_type();
        let too_long = |limit: usize, len: usize| {
            if len > limit {
                Err(Error::ValueTooLong {
                    attribute: t,
                    length: len,
                })
            } else {
                Ok(())
            }
        };
        match self {
            Self::Username(s) => too_long(MAX_USERNAME, s.len()),
            Self::Realm(s) | Self::Nonce(s) | Self::Software(s) | Self::AlternateDomain(s) => {
                too_long(MAX_TEXT, s.len())
            }
            Self::ErrorCode(e) | Self::AddressErrorCode(_, e) => {
                if !(300..=699).contains(&e.code) {
                    return Err(Error::InvalidErrorCodeValue(e.code));
                }
                too_long(MAX_TEXT, e.reason.len())
            }
            Self::MessageIntegritySha256(v) => {
                if !(16..=32).contains(&v.len()) || v.len() % 4 != 0 {
                    Err(Error::ValueTooLong {
                        attribute: t,
                        length: v.len(),
                    })
                } else {
                    Ok(())
                }
            }
            Self::PasswordAlgorithm(a) => too_long(usize::from(u16::MAX), a.parameters.len()),
            _ => too_long(usize::from(u16::MAX) - 3, self.value_len()),
        }
    }

    /// Writes the value (without padding) into `out`, which is exactly [`Self::value_len`] long.
    #[inline]
    pub(crate) fn encode_value(&self, tid: &TransactionId, out: &mut [u8]) {
        match self {
            Self::MappedAddress(a)
            | Self::AlternateServer(a)
            | Self::SourceAddress(a)
            | Self::ChangedAddress(a)
            | Self::ResponseOrigin(a)
            | Self::OtherAddress(a) => encode_address(a, None, out),
            Self::XorMappedAddress(a) | Self::XorPeerAddress(a) | Self::XorRelayedAddress(a) => {
                encode_address(a, Some(tid), out)
            }
            Self::Username(s)
            | Self::Realm(s)
            | Self::Nonce(s)
            | Self::Software(s)
            | Self::AlternateDomain(s) => out.copy_from_slice(s.as_bytes()),
            Self::UserHash(h) => out.copy_from_slice(&h[..]),
            Self::MessageIntegrity(h) => out.copy_from_slice(&h[..]),
            Self::MessageIntegritySha256(v) | Self::Data(v) => out.copy_from_slice(v),
            Self::Unknown { value, .. } => out.copy_from_slice(value),
            Self::Fingerprint(v)
            | Self::Priority(v)
            | Self::Lifetime(v)
            | Self::ConnectionId(v)
            | Self::ChangeRequest(v) => out.copy_from_slice(&v.to_be_bytes()),
            Self::IceControlled(v) | Self::IceControlling(v) | Self::ReservationToken(v) => {
                out.copy_from_slice(&v.to_be_bytes())
            }
            Self::ErrorCode(e) => encode_error_code(0, e, out),
            Self::AddressErrorCode(family, e) => encode_error_code(family.to_wire(), e, out),
            Self::PasswordAlgorithm(a) => {
                out[0..2].copy_from_slice(&a.algorithm.0.to_be_bytes());
                // `validate` bounds the parameters' length to 16 bits.
                out[2..4].copy_from_slice(&(a.parameters.len() as u16).to_be_bytes());
                let end = 4 + a.parameters.len();
                out[4..end].copy_from_slice(a.parameters);
                out[end..].fill(0);
            }
            Self::PasswordAlgorithms(l) => out.copy_from_slice(l.as_bytes()),
            Self::UnknownAttributes(l) => out.copy_from_slice(l.as_bytes()),
            Self::UseCandidate | Self::DontFragment => {}
            Self::EvenPort(r) => out[0] = if *r { 0x80 } else { 0 },
            Self::ChannelNumber(n) => {
                out[0..2].copy_from_slice(&n.to_be_bytes());
                out[2..4].fill(0);
            }
            Self::RequestedAddressFamily(f) | Self::AdditionalAddressFamily(f) => {
                out.copy_from_slice(&[f.to_wire(), 0, 0, 0])
            }
            Self::RequestedTransport(p) => out.copy_from_slice(&[*p, 0, 0, 0]),
            Self::Icmp {
                icmp_type,
                code,
                data,
            } => {
                out[0..4].copy_from_slice(&[0, 0, *icmp_type, *code]);
                out[4..8].copy_from_slice(&data.to_be_bytes());
            }
        }
    }
}

fn encode_error_code(first: u8, e: &ErrorCode<'_>, out: &mut [u8]) {
    // `validate` keeps the code in 300..=699, so both digits fit in a byte.
    let class = (e.code / 100) as u8;
    let number = (e.code % 100) as u8;
    out[0..4].copy_from_slice(&[first, 0, class, number]);
    out[4..].copy_from_slice(e.reason.as_bytes());
}
