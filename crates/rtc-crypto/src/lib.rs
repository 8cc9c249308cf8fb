//! The crypto provider of the stack: one struct of constructors for the primitives the protocols
//! need, chosen once (as rustls does), so that every crate uses the same backend.
//!
//! | primitive | used by | [`RUST_CRYPTO`] | `RING` |
//! | --- | --- | --- | --- |
//! | AES-CTR (128/256) | SRTP AES-CM keystream and key derivation | `aes`, `ctr` | `aes`, `ctr` |
//! | HMAC-SHA1 | STUN MESSAGE-INTEGRITY, SRTP auth tags | `sha1` ([`HmacSha1`]) | `sha1` |
//! | AES-GCM (128/256) | SRTP (RFC 7714), DTLS records | `aes-gcm` | `ring` |
//! | ChaCha20-Poly1305 | DTLS records (RFC 7905) | `chacha20poly1305` | `ring` |
//! | SHA-256/384, HMAC | DTLS PRF, transcript, cookies | `sha2`, `hmac` | `ring` |
//! | X25519, P-256 ECDH | DTLS ECDHE key exchange | `x25519-dalek`, `p256` | `ring` |
//! | ECDSA P-256/SHA-256 | DTLS certificates and `CertificateVerify` | `p256` | `ring` |
//! | secure random bytes | nonces, randoms, cookies | `getrandom` | `ring` |
//!
//! [`RUST_CRYPTO`] is pure Rust and the default. `RING` (cargo feature `ring`) takes everything
//! but AES-CTR and HMAC-SHA1 from `ring`: its AES-GCM is about 2.6x faster on this project's
//! machines, while `ring` has no raw AES-CTR and its SHA-1 measured slower than the `sha1`
//! crate's SHA-NI code. The two backends give the same bytes for the same inputs, except that
//! `ring`'s ECDSA signatures are randomized and RustCrypto's deterministic (RFC 6979); both
//! verify either.
//!
//! Keys are expanded once, when a primitive is made; per-packet calls work in place on the
//! caller's buffer and do not allocate.
//!
//! ```
//! let provider = rtc_crypto::default_provider();
//! let gcm = (provider.aes_gcm)(&[7u8; 16])?;
//! let mut data = *b"attack at dawn";
//! let tag = gcm.seal_in_place(&[1; 12], b"header", &mut data);
//! gcm.open_in_place(&[1; 12], b"header", &mut data, &tag)?;
//! assert_eq!(&data, b"attack at dawn");
//! # Ok::<(), rtc_crypto::CryptoError>(())
//! ```
//!
//! An ECDHE exchange as DTLS does it: each side makes a fresh key, sends its public value and
//! completes with the other's; then a signature over the exchange, checked with the public key.
//!
//! ```
//! use rtc_crypto::{KeyExchangeGroup, SignatureScheme};
//!
//! let provider = rtc_crypto::default_provider();
//! let client = (provider.key_exchange)(KeyExchangeGroup::X25519)?;
//! let server = (provider.key_exchange)(KeyExchangeGroup::X25519)?;
//! let client_public = client.public_key().to_vec();
//! let client_secret = client.complete(server.public_key())?;
//! let server_secret = server.complete(&client_public)?;
//! assert_eq!(client_secret, server_secret);
//!
//! let pkcs8 = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
//!     .expect("key generation")
//!     .serialize_der();
//! let key = (provider.signing_key)(&pkcs8)?;
//! let signature = key.sign(&client_public)?;
//! (provider.verify)(
//!     SignatureScheme::EcdsaSecp256r1Sha256,
//!     key.public_key(),
//!     &client_public,
//!     &signature,
//! )?;
//! # Ok::<(), rtc_crypto::CryptoError>(())
//! ```

mod hmac_sha1;
#[cfg(feature = "ring")]
mod ring_backend;
mod rust_crypto;

pub use hmac_sha1::{HmacSha1, Sha1Block, constant_time_eq};

/// What can go wrong in a primitive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CryptoError {
    /// A key of a length the primitive does not take.
    #[error("key of {0} bytes is not a valid length for this cipher")]
    KeyLength(usize),
    /// An AEAD tag did not verify: the data or the associated data were altered, or the key is
    /// wrong.
    #[error("authentication tag does not verify")]
    TagMismatch,
    /// A peer's public key (key share or certificate key) is malformed or not on the curve.
    #[error("invalid public key")]
    InvalidPublicKey,
    /// A private key could not be loaded (not PKCS#8, or not of a supported kind).
    #[error("invalid private key")]
    InvalidPrivateKey,
    /// A signature is malformed or does not verify.
    #[error("signature does not verify")]
    BadSignature,
    /// The operating system's random source failed.
    #[error("random source failed")]
    Random,
}

/// AES in counter mode with a 128-bit big-endian counter: the keystream of SRTP's AES-CM
/// (RFC 3711 §4.1.1) and of its key derivation (§4.3.3).
pub trait AesCtr: Send + Sync {
    /// XORs `data` with the keystream that starts at counter block `iv`.
    fn apply_keystream(&self, iv: &[u8; 16], data: &mut [u8]);
}

/// An AEAD with 96-bit nonces and 128-bit tags: AES-GCM (RFC 5288 for TLS, RFC 7714 for SRTP)
/// and ChaCha20-Poly1305 (RFC 8439, RFC 7905 for TLS).
pub trait Aead: Send + Sync {
    /// Encrypts `data` in place and returns the tag over `aad` and the ciphertext.
    fn seal_in_place(&self, nonce: &[u8; 12], aad: &[u8], data: &mut [u8]) -> [u8; 16];
    /// Checks `tag` and decrypts `data` in place; on failure `data` is left unspecified.
    fn open_in_place(
        &self,
        nonce: &[u8; 12],
        aad: &[u8],
        data: &mut [u8],
        tag: &[u8; 16],
    ) -> Result<(), CryptoError>;
}

/// The name SRTP code knows [`Aead`] by.
pub use self::Aead as AesGcm;

/// HMAC-SHA1 with a fixed key.
pub trait Hmac: Send + Sync {
    /// The HMAC of the concatenation of `parts`.
    fn sign(&self, parts: &[&[u8]]) -> [u8; 20];
}

impl Hmac for HmacSha1 {
    fn sign(&self, parts: &[&[u8]]) -> [u8; 20] {
        Self::sign(self, parts)
    }
}

/// The SHA-2 hashes TLS 1.2 cipher suites use for their PRF and transcript (RFC 5246 §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HashAlgorithm {
    /// SHA-256, 32-byte output.
    Sha256,
    /// SHA-384, 48-byte output.
    Sha384,
}

impl HashAlgorithm {
    /// The digest length in bytes.
    pub const fn output_len(self) -> usize {
        match self {
            Self::Sha256 => 32,
            Self::Sha384 => 48,
        }
    }
}

/// A hash or HMAC output of up to 64 bytes, kept inline.
#[derive(Clone, Copy)]
pub struct Digest {
    bytes: [u8; 64],
    len: u8,
}

impl Digest {
    /// Wraps `bytes` (64 at most; longer input is cut to 64).
    pub fn new(bytes: &[u8]) -> Self {
        let len = bytes.len().min(64);
        let mut out = [0u8; 64];
        out[..len].copy_from_slice(&bytes[..len]);
        Self {
            bytes: out,
            len: len as u8,
        }
    }
}

impl AsRef<[u8]> for Digest {
    fn as_ref(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }
}

impl std::ops::Deref for Digest {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.as_ref()
    }
}

impl std::fmt::Debug for Digest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for b in self.as_ref() {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl PartialEq for Digest {
    fn eq(&self, other: &Self) -> bool {
        constant_time_eq(self.as_ref(), other.as_ref())
    }
}

impl Eq for Digest {}

/// The groups for ephemeral (EC)DH key agreement (RFC 8422 §5.1.1, RFC 7748).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyExchangeGroup {
    /// X25519 (TLS NamedGroup 29).
    X25519,
    /// NIST P-256 (TLS NamedGroup 23, secp256r1).
    Secp256r1,
}

/// One side of an ephemeral key agreement: a fresh private key, used once.
pub trait KeyExchange: Send + Sync {
    /// The group this key belongs to.
    fn group(&self) -> KeyExchangeGroup;
    /// Our public value as sent on the wire: 32 bytes for X25519, an uncompressed SEC1 point
    /// (65 bytes, `0x04 || x || y`) for P-256.
    fn public_key(&self) -> &[u8];
    /// The shared secret with the peer's public value: the x-coordinate for P-256 (RFC 8422
    /// §5.10), the 32-byte output for X25519 (RFC 7748 §6.1). A malformed or invalid public
    /// value, or an all-zero X25519 result, is an error.
    fn complete(self: Box<Self>, peer_public: &[u8]) -> Result<Vec<u8>, CryptoError>;
}

/// The signature schemes the stack signs and verifies with (TLS SignatureScheme names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SignatureScheme {
    /// ECDSA over P-256 with SHA-256 (TLS 0x0403); signatures DER-encoded (RFC 8422 §5.4).
    EcdsaSecp256r1Sha256,
}

/// A private key that signs.
pub trait SigningKey: Send + Sync {
    /// The scheme this key signs with.
    fn scheme(&self) -> SignatureScheme;
    /// Signs `message` (hashed inside with the scheme's hash); the DER-encoded signature.
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, CryptoError>;
    /// The public key: an uncompressed SEC1 point for ECDSA.
    fn public_key(&self) -> &[u8];
}

/// Makes an AEAD from a key.
pub type AeadConstructor = fn(key: &[u8]) -> Result<Box<dyn Aead>, CryptoError>;
/// Makes an AES-CTR keystream from a key.
pub type AesCtrConstructor = fn(key: &[u8]) -> Result<Box<dyn AesCtr>, CryptoError>;
/// Makes an AES-GCM AEAD from a key.
pub type AesGcmConstructor = AeadConstructor;
/// Makes an HMAC-SHA1 from a key.
pub type HmacConstructor = fn(key: &[u8]) -> Box<dyn Hmac>;
/// Hashes the concatenation of `parts`.
pub type HashFn = fn(algorithm: HashAlgorithm, parts: &[&[u8]]) -> Digest;
/// HMAC (RFC 2104) with `key` over the concatenation of `parts`.
pub type HmacFn = fn(algorithm: HashAlgorithm, key: &[u8], parts: &[&[u8]]) -> Digest;
/// Starts a key agreement: makes a fresh private key in `group`.
pub type KeyExchangeStart =
    fn(group: KeyExchangeGroup) -> Result<Box<dyn KeyExchange>, CryptoError>;
/// Loads a private key from PKCS#8 DER (as rcgen writes it).
pub type SigningKeyLoader = fn(pkcs8_der: &[u8]) -> Result<Box<dyn SigningKey>, CryptoError>;
/// Verifies `signature` over `message` with `public_key` (uncompressed SEC1 point for ECDSA).
pub type VerifyFn = fn(
    scheme: SignatureScheme,
    public_key: &[u8],
    message: &[u8],
    signature: &[u8],
) -> Result<(), CryptoError>;
/// Fills `out` from the operating system's secure random source.
pub type RandomFn = fn(out: &mut [u8]) -> Result<(), CryptoError>;

/// Constructors for every primitive, from a backend.
#[derive(Debug, Clone, Copy)]
pub struct CryptoProvider {
    /// The backend's name, for logs and benchmarks.
    pub name: &'static str,
    /// AES-CTR with a 16- or 32-byte key.
    pub aes_ctr: AesCtrConstructor,
    /// AES-GCM with a 16- or 32-byte key.
    pub aes_gcm: AesGcmConstructor,
    /// ChaCha20-Poly1305 with a 32-byte key.
    pub chacha20_poly1305: AeadConstructor,
    /// HMAC-SHA1 with a key of any length.
    pub hmac_sha1: HmacConstructor,
    /// SHA-256 and SHA-384.
    pub hash: HashFn,
    /// HMAC-SHA-256 and HMAC-SHA-384.
    pub hmac: HmacFn,
    /// Ephemeral X25519 and P-256 key agreement.
    pub key_exchange: KeyExchangeStart,
    /// Loads an ECDSA P-256 private key.
    pub signing_key: SigningKeyLoader,
    /// Verifies a signature.
    pub verify: VerifyFn,
    /// Secure random bytes.
    pub fill_random: RandomFn,
}

/// The pure-Rust backend.
pub static RUST_CRYPTO: CryptoProvider = CryptoProvider {
    name: "RustCrypto",
    aes_ctr: rust_crypto::aes_ctr,
    aes_gcm: rust_crypto::aes_gcm,
    chacha20_poly1305: rust_crypto::chacha20_poly1305,
    hmac_sha1: rust_crypto::hmac_sha1,
    hash: rust_crypto::hash,
    hmac: rust_crypto::hmac,
    key_exchange: rust_crypto::key_exchange,
    signing_key: rust_crypto::signing_key,
    verify: rust_crypto::verify,
    fill_random: rust_crypto::fill_random,
};

/// The `ring` backend: everything from `ring` but AES-CTR and HMAC-SHA1, which stay
/// RustCrypto's.
#[cfg(feature = "ring")]
pub static RING: CryptoProvider = CryptoProvider {
    name: "ring",
    aes_ctr: rust_crypto::aes_ctr,
    aes_gcm: ring_backend::aes_gcm,
    chacha20_poly1305: ring_backend::chacha20_poly1305,
    hmac_sha1: rust_crypto::hmac_sha1,
    hash: ring_backend::hash,
    hmac: ring_backend::hmac,
    key_exchange: ring_backend::key_exchange,
    signing_key: ring_backend::signing_key,
    verify: ring_backend::verify,
    fill_random: ring_backend::fill_random,
};

/// `RING` when the `ring` feature is on, else [`RUST_CRYPTO`].
pub fn default_provider() -> &'static CryptoProvider {
    #[cfg(feature = "ring")]
    {
        &RING
    }
    #[cfg(not(feature = "ring"))]
    {
        &RUST_CRYPTO
    }
}

/// Every backend compiled in, for tests and benchmarks that compare them.
pub fn providers() -> Vec<&'static CryptoProvider> {
    #[allow(unused_mut)]
    let mut all = vec![&RUST_CRYPTO];
    #[cfg(feature = "ring")]
    all.push(&RING);
    all
}
