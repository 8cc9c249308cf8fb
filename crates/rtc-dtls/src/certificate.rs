//! Certificates: our self-signed ECDSA P-256 one (made with rcgen), the peer's (read with
//! x509-parser), and SDP fingerprints (RFC 8122 §5, RFC 8827 §6.5: WebRTC pins the peer's
//! certificate by its hash instead of a CA chain).

use std::fmt;

use sha2::Digest as _;

use crate::error::Error;

/// A certificate and its private key.
#[derive(Clone)]
pub struct Certificate {
    der: Vec<u8>,
    key_pkcs8: Vec<u8>,
}

impl fmt::Debug for Certificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Certificate")
            .field(
                "fingerprint",
                &Fingerprint::of(FingerprintAlgorithm::Sha256, &self.der),
            )
            .finish_non_exhaustive()
    }
}

impl Certificate {
    /// A fresh self-signed ECDSA P-256 certificate, as browsers make for each peer connection
    /// (RFC 8827 §6.5). Valid from now for 30 days (the validity is not checked by peers that
    /// pin fingerprints, but some log it).
    pub fn generate() -> Result<Self, Error> {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
            .map_err(|e| Error::Config(format!("key generation: {e}")))?;
        let mut params = rcgen::CertificateParams::new(vec!["rtc".to_owned()])
            .map_err(|e| Error::Config(format!("certificate parameters: {e}")))?;
        params.distinguished_name = rcgen::DistinguishedName::new();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "rtc-dtls");
        let cert = params
            .self_signed(&key)
            .map_err(|e| Error::Config(format!("self-signing: {e}")))?;
        Ok(Self {
            der: cert.der().to_vec(),
            key_pkcs8: key.serialize_der(),
        })
    }

    /// A certificate from its DER and its private key's PKCS#8 DER (ECDSA P-256).
    pub fn from_der(certificate: Vec<u8>, private_key_pkcs8: Vec<u8>) -> Result<Self, Error> {
        let public = public_key_of(&certificate)?;
        let key = (rtc_crypto::default_provider().signing_key)(&private_key_pkcs8)?;
        if key.public_key() != public.as_slice() {
            return Err(Error::Config(
                "private key does not belong to the certificate".into(),
            ));
        }
        Ok(Self {
            der: certificate,
            key_pkcs8: private_key_pkcs8,
        })
    }

    /// The certificate's DER.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The private key's PKCS#8 DER.
    pub fn private_key_pkcs8(&self) -> &[u8] {
        &self.key_pkcs8
    }

    /// The certificate as PEM.
    pub fn pem(&self) -> String {
        pem("CERTIFICATE", &self.der)
    }

    /// The private key as PEM (PKCS#8).
    pub fn private_key_pem(&self) -> String {
        pem("PRIVATE KEY", &self.key_pkcs8)
    }

    /// The certificate's fingerprint with `algorithm`, for `a=fingerprint`.
    pub fn fingerprint(&self, algorithm: FingerprintAlgorithm) -> Fingerprint {
        Fingerprint::of(algorithm, &self.der)
    }
}

fn pem(label: &str, der: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut b64 = String::new();
    for chunk in der.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                b64.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                b64.push('=');
            }
        }
    }
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// The hash functions `a=fingerprint` names (RFC 8122 §5 lists these; RFC 8827 requires
/// SHA-256 support).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FingerprintAlgorithm {
    /// "sha-1"
    Sha1,
    /// "sha-224"
    Sha224,
    /// "sha-256"
    Sha256,
    /// "sha-384"
    Sha384,
    /// "sha-512"
    Sha512,
}

impl FingerprintAlgorithm {
    /// The name used in SDP.
    pub fn name(self) -> &'static str {
        match self {
            Self::Sha1 => "sha-1",
            Self::Sha224 => "sha-224",
            Self::Sha256 => "sha-256",
            Self::Sha384 => "sha-384",
            Self::Sha512 => "sha-512",
        }
    }

    /// From the SDP name (case-insensitive).
    pub fn from_name(name: &str) -> Option<Self> {
        [
            Self::Sha1,
            Self::Sha224,
            Self::Sha256,
            Self::Sha384,
            Self::Sha512,
        ]
        .into_iter()
        .find(|a| a.name().eq_ignore_ascii_case(name))
    }
}

/// A certificate fingerprint: algorithm and hash.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Fingerprint {
    /// The hash function.
    pub algorithm: FingerprintAlgorithm,
    /// The hash of the certificate's DER.
    pub value: Vec<u8>,
}

impl Fingerprint {
    /// The fingerprint of `der` with `algorithm`.
    pub fn of(algorithm: FingerprintAlgorithm, der: &[u8]) -> Self {
        let value = match algorithm {
            FingerprintAlgorithm::Sha1 => sha1::Sha1::digest(der).to_vec(),
            FingerprintAlgorithm::Sha224 => sha2::Sha224::digest(der).to_vec(),
            FingerprintAlgorithm::Sha256 => sha2::Sha256::digest(der).to_vec(),
            FingerprintAlgorithm::Sha384 => sha2::Sha384::digest(der).to_vec(),
            FingerprintAlgorithm::Sha512 => sha2::Sha512::digest(der).to_vec(),
        };
        Self { algorithm, value }
    }

    /// Parses the SDP form: `sha-256 AB:CD:...` (algorithm, space, colon-separated hex).
    pub fn parse(sdp_value: &str) -> Result<Self, Error> {
        let (alg, hex) = sdp_value
            .trim()
            .split_once(' ')
            .ok_or_else(|| Error::Config(format!("fingerprint {sdp_value:?}: no algorithm")))?;
        let algorithm = FingerprintAlgorithm::from_name(alg)
            .ok_or_else(|| Error::Config(format!("unknown fingerprint algorithm {alg:?}")))?;
        Ok(Self {
            algorithm,
            value: parse_hex_colons(hex.trim())?,
        })
    }

    /// The colon-separated uppercase hex (`AB:CD:...`), without the algorithm.
    pub fn hex(&self) -> String {
        self.value
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect::<Vec<_>>()
            .join(":")
    }
}

/// Parses `AB:CD:...` (colons optional between pairs? no: required, as RFC 8122 §5 writes it;
/// case-insensitive).
pub(crate) fn parse_hex_colons(hex: &str) -> Result<Vec<u8>, Error> {
    hex.split(':')
        .map(|pair| {
            if pair.len() != 2 {
                return Err(Error::Config(format!("fingerprint byte {pair:?}")));
            }
            u8::from_str_radix(pair, 16)
                .map_err(|_| Error::Config(format!("fingerprint byte {pair:?}")))
        })
        .collect()
}

impl fmt::Display for Fingerprint {
    /// The SDP form: `sha-256 AB:CD:...`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.algorithm.name(), self.hex())
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::str::FromStr for Fingerprint {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Self::parse(s)
    }
}

/// The ECDSA P-256 public key (uncompressed SEC1 point) of a DER certificate.
pub(crate) fn public_key_of(der: &[u8]) -> Result<Vec<u8>, Error> {
    use x509_parser::prelude::FromDer;
    let (rest, cert) = x509_parser::certificate::X509Certificate::from_der(der)
        .map_err(|e| Error::BadCertificate(format!("not a DER certificate: {e}")))?;
    if !rest.is_empty() {
        return Err(Error::BadCertificate("bytes after the certificate".into()));
    }
    let spki = cert.public_key();
    // id-ecPublicKey with the prime256v1 curve (RFC 5480 §2.1.1).
    const EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
    const PRIME256V1: &str = "1.2.840.10045.3.1.7";
    if spki.algorithm.algorithm.to_id_string() != EC_PUBLIC_KEY {
        return Err(Error::BadCertificate(format!(
            "public key algorithm {} (only ECDSA P-256 is supported)",
            spki.algorithm.algorithm
        )));
    }
    let curve = spki
        .algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.as_oid().ok())
        .map(|oid| oid.to_id_string());
    if curve.as_deref() != Some(PRIME256V1) {
        return Err(Error::BadCertificate(format!(
            "curve {} (only P-256 is supported)",
            curve.unwrap_or_else(|| "missing".into())
        )));
    }
    let key = spki.subject_public_key.data.to_vec();
    if key.len() != 65 || key[0] != 4 {
        return Err(Error::BadCertificate(
            "P-256 key is not an uncompressed point".into(),
        ));
    }
    Ok(key)
}
