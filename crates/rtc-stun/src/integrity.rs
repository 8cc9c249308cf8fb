//! Credentials and the integrity mechanisms: MESSAGE-INTEGRITY (HMAC-SHA1),
//! MESSAGE-INTEGRITY-SHA256, FINGERPRINT (CRC-32), and the short- and long-term key derivations
//! of RFC 8489 §9.

use std::borrow::Cow;
use std::fmt;

use hmac::{Hmac, Mac};
use md5::Md5;
use sha1::Sha1;
use sha1::digest::generic_array::GenericArray;
use sha1::digest::generic_array::typenum::U64;
use sha2::{Digest, Sha256};

use crate::message::{ATTRIBUTE_HEADER_LEN, HEADER_LEN};
use crate::{Error, PasswordAlgorithmId};

/// RFC 8489 §14.7: the CRC-32 is XORed with 0x5354554E ("STUN").
pub const FINGERPRINT_XOR: u32 = 0x5354_554E;

/// FINGERPRINT value of `bytes` (the message up to the FINGERPRINT attribute, with a length field
/// that already counts it).
pub fn fingerprint(bytes: &[u8]) -> u32 {
    crc32fast::hash(bytes) ^ FINGERPRINT_XOR
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

    /// HMAC-SHA1 of `bytes` (a message whose length field already counts MESSAGE-INTEGRITY).
    pub(crate) fn sign_sha1(&self, bytes: &[u8]) -> [u8; 20] {
        let length = [
            bytes.get(2).copied().unwrap_or(0),
            bytes.get(3).copied().unwrap_or(0),
        ];
        self.sha1.mac_with_length(bytes, length)
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
        let length = length_through(offset, value.len()).to_be_bytes();
        let mac = self.sha1.mac_with_length(&message[..offset], length);
        if constant_time_eq(&mac, value) {
            Ok(())
        } else {
            Err(Error::IntegrityMismatch)
        }
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

/// Compares without an early exit, so the time taken does not tell how many leading bytes of a
/// forged MAC were right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
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

/// HMAC-SHA1 (RFC 2104) over the `sha1` crate's compression function, with the keyed inner and
/// outer states computed once per key. MESSAGE-INTEGRITY on every ICE check is the hot path of
/// STUN; compared with `hmac::Hmac<Sha1>` this avoids cloning and re-buffering the whole HMAC
/// state per message, which measured about 15% of the cost here (see docs/benchmarks.md).
#[derive(Clone)]
struct HmacSha1 {
    inner: [u32; 5],
    outer: [u32; 5],
}

const SHA1_INITIAL: [u32; 5] = [
    0x6745_2301,
    0xEFCD_AB89,
    0x98BA_DCFE,
    0x1032_5476,
    0xC3D2_E1F0,
];

fn sha1_block(state: &mut [u32; 5], block: &[u8; 64]) {
    sha1::compress(state, std::slice::from_ref(GenericArray::from_slice(block)));
}

impl HmacSha1 {
    fn new(key: &[u8]) -> Self {
        let mut ipad = [0x36u8; 64];
        let mut opad = [0x5Cu8; 64];
        // RFC 2104 §2: keys longer than the block are hashed first.
        let hashed;
        let key = if key.len() > 64 {
            hashed = Sha1::digest(key);
            &hashed[..]
        } else {
            key
        };
        for (i, k) in key.iter().enumerate() {
            ipad[i] ^= k;
            opad[i] ^= k;
        }
        let mut inner = SHA1_INITIAL;
        sha1_block(&mut inner, &ipad);
        let mut outer = SHA1_INITIAL;
        sha1_block(&mut outer, &opad);
        Self { inner, outer }
    }

    /// HMAC of `message`, with bytes 2..4 (the STUN length field) replaced by `length`: the
    /// integrity attributes are computed as if the message ended right after them (RFC 8489
    /// §14.5), without copying the message to patch it.
    fn mac_with_length(&self, message: &[u8], length: [u8; 2]) -> [u8; 20] {
        let mut state = self.inner;
        // Fast path for messages of up to 119 bytes (every ICE check): the message and its
        // padding fill two blocks, compressed in one call.
        if (4..=119).contains(&message.len()) {
            let n = message.len();
            let mut blocks = [GenericArray::<u8, U64>::default(); 2];
            let (first, second) = message.split_at(n.min(64));
            blocks[0][..first.len()].copy_from_slice(first);
            blocks[1][..second.len()].copy_from_slice(second);
            blocks[0][2..4].copy_from_slice(&length);
            blocks[n / 64][n % 64] = 0x80;
            let used = if n < 56 { 1 } else { 2 };
            let bits = (64 + n as u64) * 8;
            blocks[used - 1][56..].copy_from_slice(&bits.to_be_bytes());
            sha1::compress(&mut state, &blocks[..used]);
            return self.finish(state);
        }
        let mut block = [0u8; 64];
        let head = message.len().min(64);
        block[..head].copy_from_slice(&message[..head]);
        if head >= 4 {
            block[2..4].copy_from_slice(&length);
        }
        let mut filled = head;
        if head == 64 {
            sha1_block(&mut state, &block);
            let mut chunks = message[64..].chunks_exact(64);
            for chunk in &mut chunks {
                let chunk: &[u8; 64] = chunk.try_into().unwrap_or_else(|_| unreachable!());
                sha1_block(&mut state, chunk);
            }
            let tail = chunks.remainder();
            block[..tail.len()].copy_from_slice(tail);
            filled = tail.len();
        }
        let total = 64 + message.len() as u64; // the ipad block, then the message
        // SHA-1 padding: 0x80, zeros, then the length in bits in the last 8 bytes.
        block[filled] = 0x80;
        block[filled + 1..].fill(0);
        if filled >= 56 {
            sha1_block(&mut state, &block);
            block = [0u8; 64];
        }
        block[56..].copy_from_slice(&(total * 8).to_be_bytes());
        sha1_block(&mut state, &block);
        self.finish(state)
    }

    /// The outer hash over the inner digest `state`.
    fn finish(&self, state: [u32; 5]) -> [u8; 20] {
        let mut outer_block = [0u8; 64];
        for (out, word) in outer_block.chunks_exact_mut(4).zip(state) {
            out.copy_from_slice(&word.to_be_bytes());
        }
        outer_block[20] = 0x80;
        outer_block[56..].copy_from_slice(&((64u64 + 20) * 8).to_be_bytes());
        let mut outer = self.outer;
        sha1_block(&mut outer, &outer_block);
        let mut mac = [0u8; 20];
        for (out, word) in mac.chunks_exact_mut(4).zip(outer) {
            out.copy_from_slice(&word.to_be_bytes());
        }
        mac
    }
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
    fn hmac_sha1_matches_the_hmac_crate_for_every_length_and_key_length() {
        let data: Vec<u8> = (0..200u8).collect();
        for key_len in [0usize, 1, 20, 63, 64, 65, 100] {
            let key = vec![0xA5u8; key_len];
            let ours = HmacSha1::new(&key);
            for len in [0usize, 1, 3, 4, 5, 55, 56, 63, 64, 65, 119, 120, 128, 200] {
                let mut patched = data[..len].to_vec();
                if len >= 4 {
                    patched[2..4].copy_from_slice(&[0xEE, 0xFF]);
                }
                let mut reference = <Hmac<Sha1> as Mac>::new_from_slice(&key).unwrap();
                reference.update(&patched);
                let expected: [u8; 20] = reference.finalize().into_bytes().into();
                assert_eq!(
                    ours.mac_with_length(&data[..len], [0xEE, 0xFF]),
                    expected,
                    "key {key_len} len {len}"
                );
            }
        }
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }

    #[test]
    fn long_term_key_is_md5_or_sha256_of_user_realm_password() {
        // RFC 8489 §9.2.2 example: MD5("user:realm:pass").
        let direct = IntegrityKey::from_bytes(&Md5::digest(b"user:realm:pass"));
        let derived =
            IntegrityKey::long_term("user", "realm", "pass", PasswordAlgorithmId::MD5).unwrap();
        assert_eq!(derived.sign_sha1(b"abc"), direct.sign_sha1(b"abc"));
        // RFC 8489 §9.2.2: with SHA-256 the key is the SHA-256 of the same string.
        let direct = IntegrityKey::from_bytes(&Sha256::digest(b"user:realm:pass"));
        let derived =
            IntegrityKey::long_term("user", "realm", "pass", PasswordAlgorithmId::SHA256).unwrap();
        assert_eq!(derived.sign_sha1(b"abcd"), direct.sign_sha1(b"abcd"));
        assert_eq!(derived.sign_sha256(b"abcd"), direct.sign_sha256(b"abcd"));
        assert!(IntegrityKey::long_term("user", "realm", "pass", PasswordAlgorithmId(7)).is_none());
    }
}
