//! Credentials and the integrity mechanisms: MESSAGE-INTEGRITY (HMAC-SHA1),
//! MESSAGE-INTEGRITY-SHA256, FINGERPRINT (CRC-32), and the short- and long-term key derivations
//! of RFC 8489 §9.

use std::borrow::Cow;
use std::fmt;

use hmac::{Hmac, Mac};
use md5::Md5;
use rtc_crypto::{HmacSha1, constant_time_eq};
use sha2::{Digest, Sha256};

use crate::message::{ATTRIBUTE_HEADER_LEN, HEADER_LEN};
use crate::{Error, PasswordAlgorithmId};

/// RFC 8489 §14.7: the CRC-32 is XORed with 0x5354554E ("STUN").
pub const FINGERPRINT_XOR: u32 = 0x5354_554E;

/// FINGERPRINT value of `bytes` (the message up to the FINGERPRINT attribute, with a length field
/// that already counts it).
pub fn fingerprint(bytes: &[u8]) -> u32 {
    let mut crc = crc32_hasher();
    crc.update(bytes);
    crc.finalize() ^ FINGERPRINT_XOR
}

/// A fresh CRC-32 hasher. `crc32fast::Hasher::new` asks the CPU-feature cache for its
/// implementation on every call (several checks); this asks once and clones the result.
#[inline]
pub(crate) fn crc32_hasher() -> crc32fast::Hasher {
    static HASHER: std::sync::LazyLock<crc32fast::Hasher> =
        std::sync::LazyLock::new(crc32fast::Hasher::new);
    HASHER.clone()
}

/// RFC 8489 §9.1.1 and §9.2.2 run passwords and realms through the OpaqueString profile
/// (RFC 8265); RFC 5389 used SASLprep (RFC 4013), which RFC 5769's vector 2.4 exercises. Both are
/// the identity on printable ASCII, which is what ICE and nearly every TURN deployment use; for
/// other strings SASLprep is applied, and a string SASLprep rejects is used as it is.
fn prepare(s: &str) -> Cow<'_, str> {
    if s.bytes().all(|b| (0x20..0x7F).contains(&b)) {
        return Cow::Borrowed(s);
    }
    stringprep::saslprep(s).unwrap_or(Cow::Borrowed(s))
}

/// A STUN integrity key with its HMAC states precomputed, so that signing or checking a message
/// costs only the message's own compression rounds.
#[derive(Clone)]
pub struct IntegrityKey {
    sha1: HmacSha1,
    sha256: Hmac<Sha256>,
}

impl fmt::Debug for IntegrityKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("IntegrityKey(..)")
    }
}

impl IntegrityKey {
    /// A key from raw bytes.
    pub fn from_bytes(key: &[u8]) -> Self {
        // HMAC accepts keys of any length, so this cannot fail.
        let sha256 = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
        Self {
            sha1: HmacSha1::new(key),
            sha256,
        }
    }

    /// Short-term credential key (RFC 8489 §9.1.1): the prepared password itself. ICE uses this
    /// with the peer's `ice-pwd`.
    pub fn short_term(password: &str) -> Self {
        Self::from_bytes(prepare(password).as_bytes())
    }

    /// Long-term credential key (RFC 8489 §9.2.2): `MD5(username ":" realm ":" password)` or the
    /// SHA-256 of the same string, with realm and password prepared. Returns `None` for an
    /// algorithm other than MD5 or SHA-256.
    pub fn long_term(
        username: &str,
        realm: &str,
        password: &str,
        algorithm: PasswordAlgorithmId,
    ) -> Option<Self> {
        let realm = prepare(realm);
        let password = prepare(password);
        let parts = [
            username.as_bytes(),
            b":",
            realm.as_bytes(),
            b":",
            password.as_bytes(),
        ];
        match algorithm {
            PasswordAlgorithmId::MD5 => {
                let mut h = Md5::new();
                parts.iter().for_each(|p| h.update(p));
                Some(Self::from_bytes(&h.finalize()))
            }
            PasswordAlgorithmId::SHA256 => {
                let mut h = Sha256::new();
                parts.iter().for_each(|p| h.update(p));
                Some(Self::from_bytes(&h.finalize()))
            }
            _ => None,
        }
    }

    /// HMAC-SHA1 of `buf[..len]` (a message whose length field already counts
    /// MESSAGE-INTEGRITY); `buf` goes on with the attribute's space, which is read, not signed.
    pub(crate) fn sign_sha1(&self, buf: &[u8], len: usize) -> [u8; 20] {
        self.sha1.sign_prefix(buf, len)
    }

    /// [`Self::sign_sha1`] with the length field (bytes 2 and 3) read as `length`.
    pub(crate) fn sign_sha1_patched(&self, buf: &[u8], len: usize, length: [u8; 2]) -> [u8; 20] {
        self.sha1.sign_prefix_patched(buf, len, 2, length)
    }

    /// MESSAGE-INTEGRITY of a message given as its padded inner-hash blocks (see
    /// [`HmacSha1::sign_padded_blocks`]).
    pub(crate) fn sign_sha1_padded_blocks(&self, blocks: &[rtc_crypto::Sha1Block]) -> [u8; 20] {
        self.sha1.sign_padded_blocks(blocks)
    }

    /// HMAC-SHA256 of `bytes`.
    pub(crate) fn sign_sha256(&self, bytes: &[u8]) -> [u8; 32] {
        let mut mac = self.sha256.clone();
        mac.update(bytes);
        mac.finalize().into_bytes().into()
    }

    /// Checks the MESSAGE-INTEGRITY at `offset` of `message`: the HMAC covers the message up to
    /// the attribute, with the header's length field set to end just after it (RFC 8489 §14.5).
    pub(crate) fn verify_sha1(
        &self,
        message: &[u8],
        offset: usize,
        value: &[u8],
    ) -> Result<(), Error> {
        check_mac(&self.mac_sha1_at(message, offset), value)
    }

    /// The MESSAGE-INTEGRITY value a sender computes for an attribute at `offset` of
    /// `message`: the HMAC covers the message up to the attribute, with the header's length
    /// field set to end just after it (RFC 8489 §14.5).
    pub(crate) fn mac_sha1_at(&self, message: &[u8], offset: usize) -> [u8; 20] {
        let length = length_through(offset, 20).to_be_bytes();
        // The whole message, read past `offset` (not signed there): see `sign_prefix_patched`.
        self.sha1.sign_prefix_patched(message, offset, 2, length)
    }

    /// [`IntegrityKey::mac_sha1_at`], with `between` run while the HMAC is computed.
    #[inline(always)]
    pub(crate) fn mac_sha1_at_with<R>(
        &self,
        message: &[u8],
        offset: usize,
        between: impl FnOnce() -> R,
    ) -> ([u8; 20], R) {
        let length = length_through(offset, 20).to_be_bytes();
        self.sha1
            .sign_prefix_patched_with(message, offset, 2, length, between)
    }

    /// Checks a (possibly truncated) MESSAGE-INTEGRITY-SHA256 (RFC 8489 §14.6).
    pub(crate) fn verify_sha256(
        &self,
        message: &[u8],
        offset: usize,
        value: &[u8],
    ) -> Result<(), Error> {
        let mut mac = self.sha256.clone();
        update_with_length(&mut mac, message, offset, value.len());
        // Constant-time comparison of the leftmost `value.len()` bytes.
        mac.verify_truncated_left(value)
            .map_err(|_| Error::IntegrityMismatch)
    }
}

/// Compares a computed MESSAGE-INTEGRITY with the received one, in constant time.
pub(crate) fn check_mac(mac: &[u8; 20], value: &[u8]) -> Result<(), Error> {
    if constant_time_eq(mac, value) {
        Ok(())
    } else {
        Err(Error::IntegrityMismatch)
    }
}

/// The message length as it was when the sender computed the HMAC: up to the end of the
/// integrity attribute at `offset`. Fits in 16 bits since the attribute lies inside a message
/// whose length field is 16 bits.
fn length_through(offset: usize, value_len: usize) -> u16 {
    (offset + ATTRIBUTE_HEADER_LEN + value_len - HEADER_LEN) as u16
}

fn update_with_length<M: Mac>(mac: &mut M, message: &[u8], offset: usize, value_len: usize) {
    mac.update(&message[0..2]);
    mac.update(&length_through(offset, value_len).to_be_bytes());
    mac.update(&message[4..offset]);
}

/// USERHASH value (RFC 8489 §14.4): `SHA-256(username ":" realm)`, both prepared.
pub fn user_hash(username: &str, realm: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(prepare(username).as_bytes());
    h.update(b":");
    h.update(prepare(realm).as_bytes());
    h.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saslprep_matches_rfc_5769_vector_2_4() {
        // "The<U+00AD>M<U+00AA>tr<U+2168>" becomes "TheMatrIX".
        assert_eq!(prepare("The\u{00AD}M\u{00AA}tr\u{2168}"), "TheMatrIX");
        assert!(matches!(prepare("plain-ascii"), Cow::Borrowed(_)));
    }

    #[test]
    fn long_term_key_is_md5_or_sha256_of_user_realm_password() {
        // RFC 8489 §9.2.2 example: MD5("user:realm:pass").
        let direct = IntegrityKey::from_bytes(&Md5::digest(b"user:realm:pass"));
        let derived =
            IntegrityKey::long_term("user", "realm", "pass", PasswordAlgorithmId::MD5).unwrap();
        assert_eq!(derived.sign_sha1(b"abc", 3), direct.sign_sha1(b"abc", 3));
        // RFC 8489 §9.2.2: with SHA-256 the key is the SHA-256 of the same string.
        let direct = IntegrityKey::from_bytes(&Sha256::digest(b"user:realm:pass"));
        let derived =
            IntegrityKey::long_term("user", "realm", "pass", PasswordAlgorithmId::SHA256).unwrap();
        assert_eq!(derived.sign_sha1(b"abcd", 4), direct.sign_sha1(b"abcd", 4));
        assert_eq!(derived.sign_sha256(b"abcd"), direct.sign_sha256(b"abcd"));
        assert!(IntegrityKey::long_term("user", "realm", "pass", PasswordAlgorithmId(7)).is_none());
    }
}
