//! The crypto provider of the stack: one struct of constructors for the primitives the protocols
//! need, chosen once (as rustls does), so that every crate uses the same backend.
//!
//! - [`RUST_CRYPTO`]: pure Rust (RustCrypto's `aes`, `ctr`, `aes-gcm`, `sha1`), the default.
//! - `RING` (cargo feature `ring`): `ring`'s AES-GCM, about 2.6x faster on this project's
//!   machines; AES-CTR and HMAC-SHA1 stay RustCrypto's (`ring` has no raw AES-CTR, and its SHA-1
//!   measured slower than the `sha1` crate's SHA-NI code).
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

mod hmac_sha1;
#[cfg(feature = "ring")]
mod ring_backend;
mod rust_crypto;

pub use hmac_sha1::{HmacSha1, constant_time_eq};

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
}

/// AES in counter mode with a 128-bit big-endian counter: the keystream of SRTP's AES-CM
/// (RFC 3711 §4.1.1) and of its key derivation (§4.3.3).
pub trait AesCtr: Send + Sync {
    /// XORs `data` with the keystream that starts at counter block `iv`.
    fn apply_keystream(&self, iv: &[u8; 16], data: &mut [u8]);
}

/// AES-GCM with 96-bit nonces and 128-bit tags (RFC 7714 for SRTP, RFC 5288 for TLS).
pub trait AesGcm: Send + Sync {
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

/// Makes an AES-CTR keystream from a key.
pub type AesCtrConstructor = fn(key: &[u8]) -> Result<Box<dyn AesCtr>, CryptoError>;
/// Makes an AES-GCM AEAD from a key.
pub type AesGcmConstructor = fn(key: &[u8]) -> Result<Box<dyn AesGcm>, CryptoError>;
/// Makes an HMAC-SHA1 from a key.
pub type HmacConstructor = fn(key: &[u8]) -> Box<dyn Hmac>;

/// Constructors for every primitive, from a backend.
#[derive(Debug, Clone, Copy)]
pub struct CryptoProvider {
    /// The backend's name, for logs and benchmarks.
    pub name: &'static str,
    /// AES-CTR with a 16- or 32-byte key.
    pub aes_ctr: AesCtrConstructor,
    /// AES-GCM with a 16- or 32-byte key.
    pub aes_gcm: AesGcmConstructor,
    /// HMAC-SHA1 with a key of any length.
    pub hmac_sha1: HmacConstructor,
}

/// The pure-Rust backend.
pub static RUST_CRYPTO: CryptoProvider = CryptoProvider {
    name: "RustCrypto",
    aes_ctr: rust_crypto::aes_ctr,
    aes_gcm: rust_crypto::aes_gcm,
    hmac_sha1: rust_crypto::hmac_sha1,
};

/// The `ring` backend (AES-GCM from `ring`).
#[cfg(feature = "ring")]
pub static RING: CryptoProvider = CryptoProvider {
    name: "ring",
    aes_ctr: rust_crypto::aes_ctr,
    aes_gcm: ring_backend::aes_gcm,
    hmac_sha1: rust_crypto::hmac_sha1,
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
