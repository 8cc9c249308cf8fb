//! The wire format: records (RFC 6347 §4.1), handshake fragments (§4.2.2) and the DTLS 1.2
//! handshake messages (RFC 5246 §7.4 with RFC 6347 §4.2.1's cookie, RFC 8422 for ECDHE-ECDSA),
//! alerts and the extensions WebRTC uses.
//!
//! Messages are parsed into owned structs (a handshake is a handful of small messages) and
//! written back byte for byte: unknown extensions are kept in order with their bytes.

use crate::codec::{Reader, Writer};
use crate::error::DecodeError;

/// DTLS 1.0's version on the wire (`{254, 255}`); some ClientHello records carry it.
pub const DTLS1_0: u16 = 0xfeff;
/// DTLS 1.2's version on the wire (`{254, 253}`).
pub const DTLS1_2: u16 = 0xfefd;

/// Length of a DTLS record header.
pub const RECORD_HEADER_LEN: usize = 13;
/// Length of a DTLS handshake message header.
pub const HANDSHAKE_HEADER_LEN: usize = 12;
/// Longest handshake message accepted: enough for certificate chains, small enough that a
/// peer cannot make us buffer much.
pub const MAX_HANDSHAKE_LEN: u32 = 64 * 1024;

/// Record content types (RFC 5246 §6.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContentType {
    /// 20
    ChangeCipherSpec,
    /// 21
    Alert,
    /// 22
    Handshake,
    /// 23
    ApplicationData,
}

impl ContentType {
    /// The wire value.
    pub fn to_u8(self) -> u8 {
        match self {
            Self::ChangeCipherSpec => 20,
            Self::Alert => 21,
            Self::Handshake => 22,
            Self::ApplicationData => 23,
        }
    }

    /// From the wire value.
    pub fn from_u8(v: u8) -> Result<Self, DecodeError> {
        Ok(match v {
            20 => Self::ChangeCipherSpec,
            21 => Self::Alert,
            22 => Self::Handshake,
            23 => Self::ApplicationData,
            other => return Err(DecodeError::UnknownContentType(other)),
        })
    }
}

/// A record as found in a datagram: header fields and the (possibly encrypted) fragment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record<'a> {
    /// The content type.
    pub content_type: ContentType,
    /// The protocol version field.
    pub version: u16,
    /// The epoch: 0 before ChangeCipherSpec, then 1.
    pub epoch: u16,
    /// The 48-bit record sequence number.
    pub sequence: u64,
    /// The fragment (ciphertext in epochs > 0).
    pub fragment: &'a [u8],
}

impl<'a> Record<'a> {
    /// Splits a datagram into its records (RFC 6347 §4.1.1: several records may share one
    /// datagram; none spans two). Stops at the first record that does not parse; the records
    /// before it are still returned, with the error.
    pub fn parse_datagram(datagram: &'a [u8]) -> (Vec<Self>, Option<DecodeError>) {
        let mut out = Vec::new();
        let mut r = Reader::new(datagram);
        while !r.is_empty() {
            match Self::parse_one(&mut r) {
                Ok(rec) => out.push(rec),
                Err(e) => return (out, Some(e)),
            }
        }
        (out, None)
    }

    fn parse_one(r: &mut Reader<'a>) -> Result<Self, DecodeError> {
        let content_type = ContentType::from_u8(r.u8()?)?;
        let version = r.u16()?;
        if version >> 8 != 0xfe {
            return Err(DecodeError::Invalid("record version"));
        }
        let epoch = r.u16()?;
        let sequence = r.u48()?;
        let fragment = r.vec16()?;
        // RFC 6347 §4.1 (RFC 5246 §6.2.3): at most 2^14 + 2048 bytes of ciphertext.
        if fragment.len() > 16384 + 2048 {
            return Err(DecodeError::Invalid("record length"));
        }
        Ok(Self {
            content_type,
            version,
            epoch,
            sequence,
            fragment,
        })
    }

    /// Writes the record (header and fragment) to `out`.
    pub fn write(&self, out: &mut Vec<u8>) {
        write_record_header(
            out,
            self.content_type,
            self.version,
            self.epoch,
            self.sequence,
            self.fragment.len(),
        );
        out.extend_from_slice(self.fragment);
    }
}

/// Writes a record header.
pub(crate) fn write_record_header(
    out: &mut Vec<u8>,
    content_type: ContentType,
    version: u16,
    epoch: u16,
    sequence: u64,
    len: usize,
) {
    out.u8(content_type.to_u8());
    out.u16(version);
    out.u16(epoch);
    out.u48(sequence);
    out.u16(len as u16);
}

/// Handshake message types (RFC 5246 §7.4, RFC 6347 §4.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HandshakeType {
    /// 0
    HelloRequest,
    /// 1
    ClientHello,
    /// 2
    ServerHello,
    /// 3
    HelloVerifyRequest,
    /// 11
    Certificate,
    /// 12
    ServerKeyExchange,
    /// 13
    CertificateRequest,
    /// 14
    ServerHelloDone,
    /// 15
    CertificateVerify,
    /// 16
    ClientKeyExchange,
    /// 20
    Finished,
}

impl HandshakeType {
    /// The wire value.
    pub fn to_u8(self) -> u8 {
        match self {
            Self::HelloRequest => 0,
            Self::ClientHello => 1,
            Self::ServerHello => 2,
            Self::HelloVerifyRequest => 3,
            Self::Certificate => 11,
            Self::ServerKeyExchange => 12,
            Self::CertificateRequest => 13,
            Self::ServerHelloDone => 14,
            Self::CertificateVerify => 15,
            Self::ClientKeyExchange => 16,
            Self::Finished => 20,
        }
    }

    /// From the wire value.
    pub fn from_u8(v: u8) -> Result<Self, DecodeError> {
        Ok(match v {
            0 => Self::HelloRequest,
            1 => Self::ClientHello,
            2 => Self::ServerHello,
            3 => Self::HelloVerifyRequest,
            11 => Self::Certificate,
            12 => Self::ServerKeyExchange,
            13 => Self::CertificateRequest,
            14 => Self::ServerHelloDone,
            15 => Self::CertificateVerify,
            16 => Self::ClientKeyExchange,
            20 => Self::Finished,
            other => return Err(DecodeError::UnknownHandshakeType(other)),
        })
    }

    /// The message's name, for errors.
    pub fn name(self) -> &'static str {
        match self {
            Self::HelloRequest => "HelloRequest",
            Self::ClientHello => "ClientHello",
            Self::ServerHello => "ServerHello",
            Self::HelloVerifyRequest => "HelloVerifyRequest",
            Self::Certificate => "Certificate",
            Self::ServerKeyExchange => "ServerKeyExchange",
            Self::CertificateRequest => "CertificateRequest",
            Self::ServerHelloDone => "ServerHelloDone",
            Self::CertificateVerify => "CertificateVerify",
            Self::ClientKeyExchange => "ClientKeyExchange",
            Self::Finished => "Finished",
        }
    }
}

/// One handshake fragment as carried in a record (RFC 6347 §4.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HandshakeFragment<'a> {
    /// The message type.
    pub msg_type: HandshakeType,
    /// The whole message's body length.
    pub length: u32,
    /// The message's sequence number in this handshake.
    pub message_seq: u16,
    /// Where this fragment starts in the body.
    pub fragment_offset: u32,
    /// The fragment's bytes.
    pub fragment: &'a [u8],
}

impl<'a> HandshakeFragment<'a> {
    /// Splits a handshake record's plaintext into its fragments.
    pub fn parse_all(bytes: &'a [u8]) -> Result<Vec<Self>, DecodeError> {
        let mut r = Reader::new(bytes);
        let mut out = Vec::new();
        while !r.is_empty() {
            let msg_type = HandshakeType::from_u8(r.u8()?)?;
            let length = r.u24()?;
            let message_seq = r.u16()?;
            let fragment_offset = r.u24()?;
            let fragment = r.vec24()?;
            if length > MAX_HANDSHAKE_LEN {
                return Err(DecodeError::TooLong(length));
            }
            if u64::from(fragment_offset) + fragment.len() as u64 > u64::from(length) {
                return Err(DecodeError::Invalid("fragment range"));
            }
            out.push(Self {
                msg_type,
                length,
                message_seq,
                fragment_offset,
                fragment,
            });
        }
        Ok(out)
    }

    /// Writes the fragment with its header.
    pub fn write(&self, out: &mut Vec<u8>) {
        out.u8(self.msg_type.to_u8());
        out.u24(self.length);
        out.u16(self.message_seq);
        out.u24(self.fragment_offset);
        out.u24(self.fragment.len() as u32);
        out.extend_from_slice(self.fragment);
    }
}

/// Writes a whole (unfragmented) handshake message, as the transcript hashes it (RFC 6347
/// §4.2.6).
pub fn write_handshake(out: &mut Vec<u8>, msg_type: HandshakeType, message_seq: u16, body: &[u8]) {
    HandshakeFragment {
        msg_type,
        length: body.len() as u32,
        message_seq,
        fragment_offset: 0,
        fragment: body,
    }
    .write(out);
}

/// Extension types this implementation reads or writes.
pub mod extension {
    /// server_name (RFC 6066).
    pub const SERVER_NAME: u16 = 0;
    /// supported_groups (RFC 8422 §5.1.1; elliptic_curves before RFC 7919).
    pub const SUPPORTED_GROUPS: u16 = 10;
    /// ec_point_formats (RFC 8422 §5.1.2).
    pub const EC_POINT_FORMATS: u16 = 11;
    /// signature_algorithms (RFC 5246 §7.4.1.4.1).
    pub const SIGNATURE_ALGORITHMS: u16 = 13;
    /// use_srtp (RFC 5764 §4.1.1).
    pub const USE_SRTP: u16 = 14;
    /// extended_master_secret (RFC 7627 §5.1).
    pub const EXTENDED_MASTER_SECRET: u16 = 23;
    /// session_ticket (RFC 5077).
    pub const SESSION_TICKET: u16 = 35;
    /// supported_versions (RFC 8446, DTLS 1.3).
    pub const SUPPORTED_VERSIONS: u16 = 43;
    /// key_share (RFC 8446, DTLS 1.3).
    pub const KEY_SHARE: u16 = 51;
    /// renegotiation_info (RFC 5746 §3.2).
    pub const RENEGOTIATION_INFO: u16 = 0xff01;
}

/// One hello extension, kept as bytes; typed views parse `data` on demand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extension {
    /// The extension type.
    pub typ: u16,
    /// Its body.
    pub data: Vec<u8>,
}

impl Extension {
    /// An extension with a body built by `body`.
    pub fn build(typ: u16, body: impl FnOnce(&mut Vec<u8>)) -> Self {
        let mut data = Vec::new();
        body(&mut data);
        Self { typ, data }
    }
}

fn parse_extensions(r: &mut Reader<'_>) -> Result<Vec<Extension>, DecodeError> {
    // RFC 5246 §7.4.1.2: the extensions block may be absent altogether.
    if r.is_empty() {
        return Ok(Vec::new());
    }
    let mut block = Reader::new(r.vec16()?);
    let mut out: Vec<Extension> = Vec::new();
    while !block.is_empty() {
        let typ = block.u16()?;
        let data = block.vec16()?.to_vec();
        // RFC 5246 §7.4.1.4: no type may appear twice.
        if out.iter().any(|e| e.typ == typ) {
            return Err(DecodeError::Invalid("duplicate extension"));
        }
        out.push(Extension { typ, data });
    }
    Ok(out)
}

fn write_extensions(out: &mut Vec<u8>, extensions: &[Extension], always: bool) {
    if extensions.is_empty() && !always {
        return;
    }
    out.with_len(2, |out| {
        for e in extensions {
            out.u16(e.typ);
            out.with_len(2, |out| out.extend_from_slice(&e.data));
        }
    });
}

fn find(extensions: &[Extension], typ: u16) -> Option<&[u8]> {
    extensions
        .iter()
        .find(|e| e.typ == typ)
        .map(|e| e.data.as_slice())
}

/// Big-endian u16 values (the caller checked the length is even).
fn u16s(bytes: &[u8]) -> Vec<u16> {
    bytes
        .chunks_exact(2)
        .map(|c| u16::from_be_bytes([c[0], c[1]]))
        .collect()
}

/// A list of u16 values behind a 2-byte length (supported_groups, signature_algorithms).
pub(crate) fn parse_u16_list(data: &[u8]) -> Result<Vec<u16>, DecodeError> {
    let mut r = Reader::new(data);
    let list = r.vec16()?;
    r.finish()?;
    if list.len() % 2 != 0 {
        return Err(DecodeError::Invalid("u16 list length"));
    }
    Ok(u16s(list))
}

pub(crate) fn write_u16_list(out: &mut Vec<u8>, list: &[u16]) {
    out.with_len(2, |out| {
        for v in list {
            out.u16(*v);
        }
    });
}

/// The use_srtp extension body (RFC 5764 §4.1.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UseSrtp {
    /// Protection profile ids, in preference order.
    pub profiles: Vec<u16>,
    /// The MKI (empty in WebRTC).
    pub mki: Vec<u8>,
}

impl UseSrtp {
    /// Parses the extension body.
    pub fn parse(data: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(data);
        let list = r.vec16()?;
        if list.is_empty() || list.len() % 2 != 0 {
            return Err(DecodeError::Invalid("use_srtp profiles"));
        }
        let mki = r.vec8()?.to_vec();
        r.finish()?;
        Ok(Self {
            profiles: u16s(list),
            mki,
        })
    }

    /// Writes the extension body.
    pub fn write(&self, out: &mut Vec<u8>) {
        write_u16_list(out, &self.profiles);
        out.u8(self.mki.len() as u8);
        out.extend_from_slice(&self.mki);
    }
}

/// ClientHello (RFC 6347 §4.2.1, RFC 5246 §7.4.1.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientHello {
    /// The highest version the client supports.
    pub version: u16,
    /// Client random.
    pub random: [u8; 32],
    /// Session id (resumption; unused here).
    pub session_id: Vec<u8>,
    /// The cookie from HelloVerifyRequest, or empty.
    pub cookie: Vec<u8>,
    /// Offered cipher suites.
    pub cipher_suites: Vec<u16>,
    /// Offered compression methods (must include null, 0).
    pub compression_methods: Vec<u8>,
    /// Extensions in order.
    pub extensions: Vec<Extension>,
}

impl ClientHello {
    /// Parses the message body.
    pub fn parse(body: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(body);
        let version = r.u16()?;
        let random = r.array()?;
        let session_id = r.vec8()?;
        if session_id.len() > 32 {
            return Err(DecodeError::Invalid("session id length"));
        }
        let cookie = r.vec8()?.to_vec();
        let suites = r.vec16()?;
        if suites.is_empty() || suites.len() % 2 != 0 {
            return Err(DecodeError::Invalid("cipher suites length"));
        }
        let compression_methods = r.vec8()?.to_vec();
        if compression_methods.is_empty() {
            return Err(DecodeError::Invalid("compression methods"));
        }
        let extensions = parse_extensions(&mut r)?;
        r.finish()?;
        Ok(Self {
            version,
            random,
            session_id: session_id.to_vec(),
            cookie,
            cipher_suites: u16s(suites),
            compression_methods,
            extensions,
        })
    }

    /// Writes the message body.
    pub fn write(&self, out: &mut Vec<u8>) {
        out.u16(self.version);
        out.extend_from_slice(&self.random);
        out.with_len(1, |o| o.extend_from_slice(&self.session_id));
        out.with_len(1, |o| o.extend_from_slice(&self.cookie));
        write_u16_list(out, &self.cipher_suites);
        out.with_len(1, |o| o.extend_from_slice(&self.compression_methods));
        write_extensions(out, &self.extensions, false);
    }

    /// The body of extension `typ`, if present.
    pub fn extension(&self, typ: u16) -> Option<&[u8]> {
        find(&self.extensions, typ)
    }
}

/// ServerHello (RFC 5246 §7.4.1.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerHello {
    /// The negotiated version.
    pub version: u16,
    /// Server random.
    pub random: [u8; 32],
    /// Session id.
    pub session_id: Vec<u8>,
    /// The chosen cipher suite.
    pub cipher_suite: u16,
    /// The chosen compression method.
    pub compression_method: u8,
    /// Extensions in order.
    pub extensions: Vec<Extension>,
}

impl ServerHello {
    /// Parses the message body.
    pub fn parse(body: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(body);
        let version = r.u16()?;
        let random = r.array()?;
        let session_id = r.vec8()?;
        if session_id.len() > 32 {
            return Err(DecodeError::Invalid("session id length"));
        }
        let cipher_suite = r.u16()?;
        let compression_method = r.u8()?;
        let extensions = parse_extensions(&mut r)?;
        r.finish()?;
        Ok(Self {
            version,
            random,
            session_id: session_id.to_vec(),
            cipher_suite,
            compression_method,
            extensions,
        })
    }

    /// Writes the message body.
    pub fn write(&self, out: &mut Vec<u8>) {
        out.u16(self.version);
        out.extend_from_slice(&self.random);
        out.with_len(1, |o| o.extend_from_slice(&self.session_id));
        out.u16(self.cipher_suite);
        out.u8(self.compression_method);
        write_extensions(out, &self.extensions, false);
    }

    /// The body of extension `typ`, if present.
    pub fn extension(&self, typ: u16) -> Option<&[u8]> {
        find(&self.extensions, typ)
    }
}

/// HelloVerifyRequest (RFC 6347 §4.2.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelloVerifyRequest {
    /// Version field (DTLS 1.0's is recommended for compatibility).
    pub version: u16,
    /// The cookie (at most 255 bytes).
    pub cookie: Vec<u8>,
}

impl HelloVerifyRequest {
    /// Parses the message body.
    pub fn parse(body: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(body);
        let version = r.u16()?;
        let cookie = r.vec8()?.to_vec();
        r.finish()?;
        Ok(Self { version, cookie })
    }

    /// Writes the message body.
    pub fn write(&self, out: &mut Vec<u8>) {
        out.u16(self.version);
        out.with_len(1, |o| o.extend_from_slice(&self.cookie));
    }
}

/// Certificate: the chain, leaf first (RFC 5246 §7.4.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateMsg {
    /// DER certificates.
    pub chain: Vec<Vec<u8>>,
}

impl CertificateMsg {
    /// Parses the message body.
    pub fn parse(body: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(body);
        let mut list = Reader::new(r.vec24()?);
        r.finish()?;
        let mut chain = Vec::new();
        while !list.is_empty() {
            let cert = list.vec24()?;
            if cert.is_empty() {
                return Err(DecodeError::Invalid("empty certificate"));
            }
            chain.push(cert.to_vec());
        }
        Ok(Self { chain })
    }

    /// Writes the message body.
    pub fn write(&self, out: &mut Vec<u8>) {
        out.with_len(3, |o| {
            for c in &self.chain {
                o.with_len(3, |o| o.extend_from_slice(c));
            }
        });
    }
}

/// A signature with its algorithm (RFC 5246 §4.7, §7.4.1.4.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigitallySigned {
    /// The SignatureScheme / SignatureAndHashAlgorithm code point (0x0403 for ECDSA P-256
    /// SHA-256).
    pub scheme: u16,
    /// The signature bytes.
    pub signature: Vec<u8>,
}

impl DigitallySigned {
    fn parse(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let scheme = r.u16()?;
        let signature = r.vec16()?.to_vec();
        Ok(Self { scheme, signature })
    }

    fn write(&self, out: &mut Vec<u8>) {
        out.u16(self.scheme);
        out.with_len(2, |o| o.extend_from_slice(&self.signature));
    }

    /// Parses a CertificateVerify body.
    pub fn parse_body(body: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(body);
        let out = Self::parse(&mut r)?;
        r.finish()?;
        Ok(out)
    }

    /// Writes a CertificateVerify body.
    pub fn write_body(&self, out: &mut Vec<u8>) {
        self.write(out);
    }
}

/// ServerKeyExchange for ECDHE with a named curve (RFC 8422 §5.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerKeyExchange {
    /// The NamedGroup.
    pub group: u16,
    /// The server's ephemeral public value.
    pub public: Vec<u8>,
    /// The signature over client_random, server_random and the params.
    pub signed: DigitallySigned,
}

impl ServerKeyExchange {
    /// The ECParameters and public value, as signed.
    pub fn params(group: u16, public: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(4 + public.len());
        out.u8(3); // curve_type named_curve
        out.u16(group);
        out.with_len(1, |o| o.extend_from_slice(public));
        out
    }

    /// Parses the message body.
    pub fn parse(body: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(body);
        if r.u8()? != 3 {
            return Err(DecodeError::Invalid("curve type (named_curve only)"));
        }
        let group = r.u16()?;
        let public = r.vec8()?.to_vec();
        if public.is_empty() {
            return Err(DecodeError::Invalid("empty ECDH public value"));
        }
        let signed = DigitallySigned::parse(&mut r)?;
        r.finish()?;
        Ok(Self {
            group,
            public,
            signed,
        })
    }

    /// Writes the message body.
    pub fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&Self::params(self.group, &self.public));
        self.signed.write(out);
    }
}

/// CertificateRequest (RFC 5246 §7.4.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateRequest {
    /// ClientCertificateType values (64 = ecdsa_sign).
    pub certificate_types: Vec<u8>,
    /// Accepted signature schemes.
    pub signature_schemes: Vec<u16>,
    /// Distinguished names of accepted CAs (raw).
    pub authorities: Vec<u8>,
}

impl CertificateRequest {
    /// Parses the message body.
    pub fn parse(body: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(body);
        let certificate_types = r.vec8()?.to_vec();
        let schemes = r.vec16()?;
        if schemes.len() % 2 != 0 {
            return Err(DecodeError::Invalid("signature algorithms length"));
        }
        let authorities = r.vec16()?.to_vec();
        r.finish()?;
        Ok(Self {
            certificate_types,
            signature_schemes: u16s(schemes),
            authorities,
        })
    }

    /// Writes the message body.
    pub fn write(&self, out: &mut Vec<u8>) {
        out.with_len(1, |o| o.extend_from_slice(&self.certificate_types));
        write_u16_list(out, &self.signature_schemes);
        out.with_len(2, |o| o.extend_from_slice(&self.authorities));
    }
}

/// ClientKeyExchange for ECDHE: the client's public value (RFC 8422 §5.7).
pub fn parse_client_key_exchange(body: &[u8]) -> Result<Vec<u8>, DecodeError> {
    let mut r = Reader::new(body);
    let public = r.vec8()?;
    r.finish()?;
    if public.is_empty() {
        return Err(DecodeError::Invalid("empty ECDH public value"));
    }
    Ok(public.to_vec())
}

/// Alert levels (RFC 5246 §7.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertLevel {
    /// 1
    Warning,
    /// 2
    Fatal,
}

/// Alert descriptions (RFC 5246 §7.2, RFC 5746, RFC 8446 for the newer ones).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AlertDescription {
    /// 0
    CloseNotify,
    /// 10
    UnexpectedMessage,
    /// 20
    BadRecordMac,
    /// 22
    RecordOverflow,
    /// 40
    HandshakeFailure,
    /// 42
    BadCertificate,
    /// 43
    UnsupportedCertificate,
    /// 46
    CertificateUnknown,
    /// 47
    IllegalParameter,
    /// 50
    DecodeError,
    /// 51
    DecryptError,
    /// 70
    ProtocolVersion,
    /// 71
    InsufficientSecurity,
    /// 80
    InternalError,
    /// 90
    UserCanceled,
    /// 100
    NoRenegotiation,
    /// 110
    UnsupportedExtension,
    /// Any other value.
    Other(u8),
}

impl AlertDescription {
    /// The wire value.
    pub fn to_u8(self) -> u8 {
        match self {
            Self::CloseNotify => 0,
            Self::UnexpectedMessage => 10,
            Self::BadRecordMac => 20,
            Self::RecordOverflow => 22,
            Self::HandshakeFailure => 40,
            Self::BadCertificate => 42,
            Self::UnsupportedCertificate => 43,
            Self::CertificateUnknown => 46,
            Self::IllegalParameter => 47,
            Self::DecodeError => 50,
            Self::DecryptError => 51,
            Self::ProtocolVersion => 70,
            Self::InsufficientSecurity => 71,
            Self::InternalError => 80,
            Self::UserCanceled => 90,
            Self::NoRenegotiation => 100,
            Self::UnsupportedExtension => 110,
            Self::Other(v) => v,
        }
    }

    /// From the wire value.
    pub fn from_u8(v: u8) -> Self {
        match v {
            0 => Self::CloseNotify,
            10 => Self::UnexpectedMessage,
            20 => Self::BadRecordMac,
            22 => Self::RecordOverflow,
            40 => Self::HandshakeFailure,
            42 => Self::BadCertificate,
            43 => Self::UnsupportedCertificate,
            46 => Self::CertificateUnknown,
            47 => Self::IllegalParameter,
            50 => Self::DecodeError,
            51 => Self::DecryptError,
            70 => Self::ProtocolVersion,
            71 => Self::InsufficientSecurity,
            80 => Self::InternalError,
            90 => Self::UserCanceled,
            100 => Self::NoRenegotiation,
            110 => Self::UnsupportedExtension,
            other => Self::Other(other),
        }
    }
}

/// Parses an alert record's plaintext.
pub fn parse_alert(bytes: &[u8]) -> Result<(AlertLevel, AlertDescription), DecodeError> {
    let mut r = Reader::new(bytes);
    let level = match r.u8()? {
        1 => AlertLevel::Warning,
        2 => AlertLevel::Fatal,
        _ => return Err(DecodeError::Invalid("alert level")),
    };
    let description = AlertDescription::from_u8(r.u8()?);
    r.finish()?;
    Ok((level, description))
}
