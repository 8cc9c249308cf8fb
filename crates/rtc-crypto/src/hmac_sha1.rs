//! HMAC-SHA1 (RFC 2104) with the keyed pads compressed once per key.
//!
//! MESSAGE-INTEGRITY on every STUN check and the SRTP authentication tag on every packet are
//! HMAC-SHA1 with a long-lived key; `hmac::Hmac<Sha1>` re-buffers its whole state per message,
//! which measured about 15% of a STUN check's cost. Built on the `sha1` crate (SHA-NI when the CPU
//! has it).
//!
//! On x86_64 the padded blocks of a short message are put together in 16-byte SSE2 registers
//! (`safe_arch`) and stored whole: SHA-NI reads its blocks 16 bytes at a time, and a block written
//! byte by byte just before cannot be forwarded from the store buffer to those reads, which
//! stalled each compression (about 10% of the HMAC of a STUN check, measured interleaved).

use sha1::digest::generic_array::GenericArray;
use sha1::digest::generic_array::typenum::U64;
use sha1::{Digest, Sha1};

const SHA1_INITIAL: [u32; 5] = [
    0x6745_2301,
    0xEFCD_AB89,
    0x98BA_DCFE,
    0x1032_5476,
    0xC3D2_E1F0,
];

/// One compression of a 64-byte `block`.
fn sha1_block(state: &mut [u32; 5], block: &[u8]) {
    sha1::compress(state, std::slice::from_ref(GenericArray::from_slice(block)));
}

/// One 64-byte SHA-1 block, as the `sha1` crate takes it.
pub type Sha1Block = GenericArray<u8, U64>;

/// Longest message signed through the two-block path: 119 bytes leave room for the padding
/// byte and the 8-byte length in two blocks.
const SHORT_MAX: usize = 119;

/// Two SHA-1 blocks being filled.
#[derive(Default)]
struct TwoBlocks([GenericArray<u8, U64>; 2]);

impl TwoBlocks {
    /// Copies `bytes` to offset `at` (`at + bytes.len()` at most 128), across the block
    /// boundary if need be.
    fn put(&mut self, at: usize, bytes: &[u8]) {
        let mut at = at;
        let mut bytes = bytes;
        while !bytes.is_empty() {
            let (block, offset) = (at / 64, at % 64);
            let n = bytes.len().min(64 - offset);
            if let Some(b) = self.0.get_mut(block) {
                b[offset..offset + n].copy_from_slice(&bytes[..n]);
            }
            at += n;
            bytes = &bytes[n..];
        }
    }
}

/// An HMAC-SHA1 key, ready to sign.
#[derive(Clone)]
pub struct HmacSha1 {
    /// SHA-1 state after the inner pad.
    inner: [u32; 5],
    /// SHA-1 state after the outer pad.
    outer: [u32; 5],
    /// The same inner state as a streaming hasher, for long messages.
    inner_hasher: Sha1,
}

impl std::fmt::Debug for HmacSha1 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HmacSha1(..)")
    }
}

impl HmacSha1 {
    /// Prepares `key` (any length; RFC 2104 §2 hashes keys longer than a block).
    pub fn new(key: &[u8]) -> Self {
        let mut ipad = [0x36u8; 64];
        let mut opad = [0x5Cu8; 64];
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
        let mut inner_hasher = Sha1::new();
        inner_hasher.update(ipad);
        Self {
            inner,
            outer,
            inner_hasher,
        }
    }

    /// HMAC of the concatenation of `parts`.
    pub fn sign(&self, parts: &[&[u8]]) -> [u8; 20] {
        if let [one] = parts
            && one.len() <= SHORT_MAX
        {
            return self.short_one(one, one.len(), None);
        }
        let total: usize = parts.iter().map(|p| p.len()).sum();
        if total <= SHORT_MAX {
            // Short messages (every STUN check): written straight into two blocks, compressed
            // in one call, without the streaming hasher's buffering.
            let mut blocks = TwoBlocks::default();
            let mut at = 0;
            for part in parts {
                blocks.put(at, part);
                at += part.len();
            }
            return self.short(blocks, total);
        }
        let mut hasher = self.inner_hasher.clone();
        for part in parts {
            hasher.update(part);
        }
        let digest = hasher.finalize();
        let mut state = [0u32; 5];
        for (word, bytes) in state.iter_mut().zip(digest.chunks_exact(4)) {
            *word = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
        }
        self.finish(state)
    }

    /// HMAC of `message` with the two bytes at `at..at + 2` replaced by `patch`, without copying
    /// the message. STUN computes MESSAGE-INTEGRITY as if the header's length field ended at
    /// the integrity attribute (RFC 8489 §14.5).
    pub fn sign_patched(&self, message: &[u8], at: usize, patch: [u8; 2]) -> [u8; 20] {
        self.sign_prefix_patched(message, message.len(), at, patch)
    }

    /// HMAC of `buf[..len]`; the bytes of `buf` after `len` are not signed, but a short
    /// message is read from them in whole 16-byte pieces, as in
    /// [`HmacSha1::sign_prefix_patched`].
    pub fn sign_prefix(&self, buf: &[u8], len: usize) -> [u8; 20] {
        let len = len.min(buf.len());
        if len <= SHORT_MAX {
            return self.short_one(buf, len, None);
        }
        self.sign(&[&buf[..len]])
    }

    /// [`HmacSha1::sign_patched`] of `buf[..len]`; the bytes of `buf` after `len` are not
    /// signed, but a short message is read from them in whole 16-byte pieces (STUN passes the
    /// whole message, whose integrity attribute follows the signed part). `len` past the end of
    /// `buf` signs all of `buf`.
    pub fn sign_prefix_patched(
        &self,
        buf: &[u8],
        len: usize,
        at: usize,
        patch: [u8; 2],
    ) -> [u8; 20] {
        let len = len.min(buf.len());
        if len <= SHORT_MAX && at + 2 <= len {
            return self.short_one(buf, len, Some((at, patch)));
        }
        let message = &buf[..len];
        match (message.get(..at), message.get(at + 2..)) {
            (Some(head), Some(tail)) => self.sign(&[head, &patch, tail]),
            _ => self.sign(&[message]),
        }
    }

    /// HMAC of a message given as its inner hash's blocks, already padded (FIPS 180-4 §5.1.1:
    /// 0x80, zeros, and the length in bits counting the 64-byte ipad block before them). For a
    /// caller that put the message together in whole blocks itself (STUN's ICE check): nothing
    /// is copied again.
    /// The blocks are compressed in one call: between two calls the SHA-1 state would go out of
    /// the SHA-NI registers and back.
    pub fn sign_padded_blocks(&self, blocks: &[Sha1Block]) -> [u8; 20] {
        let mut state = self.inner;
        sha1::compress(&mut state, blocks);
        self.finish(state)
    }

    /// HMAC of `buf[..len]` (at most [`SHORT_MAX`] bytes, `len <= buf.len()`), with `patch`
    /// (inside `..len`) applied: the portable two-block path.
    #[cfg(not(target_arch = "x86_64"))]
    fn short_one(&self, buf: &[u8], len: usize, patch: Option<(usize, [u8; 2])>) -> [u8; 20] {
        self.short_one_portable(buf, len, patch)
    }

    /// The portable path of `short_one` (on x86_64, for a patch other than STUN's, and in the
    /// tests that compare the two).
    fn short_one_portable(
        &self,
        buf: &[u8],
        len: usize,
        patch: Option<(usize, [u8; 2])>,
    ) -> [u8; 20] {
        let mut blocks = TwoBlocks::default();
        blocks.put(0, &buf[..len]);
        if let Some((at, bytes)) = patch {
            blocks.put(at, &bytes);
        }
        self.short(blocks, len)
    }

    /// HMAC of `buf[..len]` (at most [`SHORT_MAX`] bytes, `len <= buf.len()`), with `patch`
    /// (inside `..len`) applied: the blocks are made in SSE2 registers, 16 bytes at a time.
    /// STUN patches its length field, bytes 2 and 3; a patch elsewhere takes the portable path.
    #[cfg(target_arch = "x86_64")]
    fn short_one(&self, buf: &[u8], len: usize, patch: Option<(usize, [u8; 2])>) -> [u8; 20] {
        match self.short_blocks(buf, len, patch) {
            Some((blocks, used)) => {
                let mut state = self.inner;
                sha1::compress(&mut state, &blocks[..used]);
                self.finish(state)
            }
            None => self.short_one_portable(buf, len, patch),
        }
    }

    /// The padded inner blocks of `buf[..len]` (at most [`SHORT_MAX`] bytes) with `patch`
    /// applied, and how many there are; `None` for a patch other than STUN's length field.
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    fn short_blocks(
        &self,
        buf: &[u8],
        len: usize,
        patch: Option<(usize, [u8; 2])>,
    ) -> Option<([GenericArray<u8, U64>; 2], usize)> {
        let length_patch = match patch {
            None => None,
            Some((2, bytes)) => Some(bytes),
            Some(_) => return None,
        };
        // One copy of the code per number of whole 16-byte pieces: a fixed sequence of loads
        // and stores, with no loop bound to wait for.
        Some(match len / 16 {
            0 => blocks_with::<0>(buf, len, length_patch),
            1 => blocks_with::<1>(buf, len, length_patch),
            2 => blocks_with::<2>(buf, len, length_patch),
            3 => blocks_with::<3>(buf, len, length_patch),
            4 => blocks_with::<4>(buf, len, length_patch),
            5 => blocks_with::<5>(buf, len, length_patch),
            6 => blocks_with::<6>(buf, len, length_patch),
            _ => blocks_with::<7>(buf, len, length_patch),
        })
    }

    /// [`HmacSha1::sign_prefix_patched`] and the result of `between`, which is run after the
    /// inner hash and before the outer one. A SHA-1 compression is a long chain of dependent
    /// SHA-NI rounds; work placed between two of them in program order runs alongside the
    /// chain, where work after the whole HMAC waits longer for the processor's window to reach
    /// it (STUN's parse placed there: about 3% off parse and verify, in interleaved runs).
    #[inline(always)]
    pub fn sign_prefix_patched_with<R>(
        &self,
        buf: &[u8],
        len: usize,
        at: usize,
        patch: [u8; 2],
        between: impl FnOnce() -> R,
    ) -> ([u8; 20], R) {
        let len = len.min(buf.len());
        #[cfg(target_arch = "x86_64")]
        if len <= SHORT_MAX
            && at + 2 <= len
            && let Some((blocks, used)) = self.short_blocks(buf, len, Some((at, patch)))
        {
            let mut state = self.inner;
            sha1::compress(&mut state, &blocks[..used]);
            let r = between();
            return (self.finish(state), r);
        }
        let mac = self.sign_prefix_patched(buf, len, at, patch);
        (mac, between())
    }

    /// Inner hash of the first `len` (at most [`SHORT_MAX`]) bytes of `blocks`, whose other
    /// bytes are zero, then the outer hash.
    fn short(&self, mut blocks: TwoBlocks, len: usize) -> [u8; 20] {
        // SHA-1 padding: 0x80, zeros, the length in bits (ipad block included) at the end.
        blocks.put(len, &[0x80]);
        let used = if len < 56 { 1 } else { 2 };
        let bits = (64 + len as u64) * 8;
        blocks.put(used * 64 - 8, &bits.to_be_bytes());
        let mut state = self.inner;
        sha1::compress(&mut state, &blocks.0[..used]);
        self.finish(state)
    }

    /// The outer hash over the inner digest `state`.
    #[cfg(not(target_arch = "x86_64"))]
    fn finish(&self, state: [u32; 5]) -> [u8; 20] {
        self.finish_portable(state)
    }

    /// The portable `finish` (on x86_64, compiled for the tests that compare the two).
    #[cfg(any(test, not(target_arch = "x86_64")))]
    fn finish_portable(&self, state: [u32; 5]) -> [u8; 20] {
        let mut block = [0u8; 64];
        for (out, word) in block.chunks_exact_mut(4).zip(state) {
            out.copy_from_slice(&word.to_be_bytes());
        }
        block[20] = 0x80;
        block[56..].copy_from_slice(&((64u64 + 20) * 8).to_be_bytes());
        self.outer_digest(&block)
    }

    /// The outer hash over the inner digest `state`, its block made in SSE2 registers.
    #[cfg(target_arch = "x86_64")]
    fn finish(&self, state: [u32; 5]) -> [u8; 20] {
        let mut block = [[0u8; 16]; 4];
        sse::store(
            &mut block[0],
            sse::be_words([state[0], state[1], state[2], state[3]]),
        );
        sse::store(&mut block[1], sse::be_words([state[4], 0x8000_0000, 0, 0]));
        sse::store(
            &mut block[3],
            sse::with_high_u64_be(sse::zero(), (64u64 + 20) * 8),
        );
        self.outer_digest(block.as_flattened())
    }

    fn outer_digest(&self, block: &[u8]) -> [u8; 20] {
        let mut outer = self.outer;
        sha1_block(&mut outer, block);
        let mut mac = [0u8; 20];
        for (out, word) in mac.chunks_exact_mut(4).zip(outer) {
            out.copy_from_slice(&word.to_be_bytes());
        }
        mac
    }
}

/// The padded inner blocks of `buf[..len]`, `len / 16 == FULL` (`len` at most [`SHORT_MAX`]),
/// with the length field patched, and how many blocks there are.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn blocks_with<const FULL: usize>(
    buf: &[u8],
    len: usize,
    length_patch: Option<[u8; 2]>,
) -> ([GenericArray<u8, U64>; 2], usize) {
    // SHA-1 padding (FIPS 180-4 §5.1.1): 0x80 after the message, zeros, and the length in
    // bits (the ipad block included) in the last 8 bytes of one block or of two.
    let last = if len < 56 { 3 } else { 7 };
    let bits = sse::with_high_u64_be(sse::zero(), (64 + len as u64) * 8);
    let mut blocks: [GenericArray<u8, U64>; 2] = Default::default();
    for i in 0..FULL {
        let mut v = sse::load(buf.get(16 * i..).unwrap_or_default());
        if let (0, Some(p)) = (i, length_patch) {
            v = sse::with_bytes_2_3(v, p);
        }
        put(&mut blocks, i, v);
    }
    // The piece the message ends in (or, for a multiple of 16 bytes, starts the padding).
    let mut tail = sse::chunk(buf, FULL * 16, len);
    if let (0, Some(p)) = (FULL, length_patch) {
        tail = sse::with_bytes_2_3(tail, p);
    }
    if FULL == last {
        tail = sse::or(tail, bits);
    } else {
        put(&mut blocks, last, bits);
    }
    put(&mut blocks, FULL, tail);
    (blocks, (last + 1) / 4)
}

/// Stores `v` as the 16-byte piece `i` (below 8) of two SHA-1 blocks.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn put(blocks: &mut [GenericArray<u8, U64>; 2], i: usize, v: safe_arch::m128i) {
    if let Some(piece) = blocks[i / 4 % 2][i % 4 * 16..].first_chunk_mut::<16>() {
        sse::store(piece, v);
    }
}

/// The 16-byte pieces of SHA-1 blocks, in SSE2 registers (baseline on x86_64).
#[cfg(target_arch = "x86_64")]
mod sse {
    use safe_arch::{
        bitand_m128i, bitor_m128i, cmp_eq_mask_i8_m128i, cmp_gt_mask_i8_m128i,
        insert_i16_from_i32_m128i, load_unaligned_m128i, m128i, set_i64_m128i,
        set_reversed_i8_m128i, set_reversed_i32_m128i, set_splat_i8_m128i, store_unaligned_m128i,
        zeroed_m128i,
    };

    fn iota() -> m128i {
        set_reversed_i8_m128i(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
    }

    pub(super) fn zero() -> m128i {
        zeroed_m128i()
    }

    /// The bytes of `buf` at `start..start + 16` of a message of `len` bytes, with SHA-1
    /// padding from `len` on: 0x80, then zeros.
    #[inline(always)]
    pub(super) fn chunk(buf: &[u8], start: usize, len: usize) -> m128i {
        if start >= len {
            return if start == len {
                set_i64_m128i(0, 0x80)
            } else {
                zeroed_m128i()
            };
        }
        let raw = match buf.get(start..).and_then(|rest| rest.first_chunk::<16>()) {
            Some(bytes) => load_unaligned_m128i(bytes),
            None => {
                // Fewer than 16 bytes left in `buf`: through a zeroed copy.
                let rest = buf.get(start..len).unwrap_or_default();
                let mut bytes = [0u8; 16];
                bytes[..rest.len()].copy_from_slice(rest);
                load_unaligned_m128i(&bytes)
            }
        };
        if start + 16 <= len {
            return raw;
        }
        let n = set_splat_i8_m128i((len - start) as i8);
        let keep = cmp_gt_mask_i8_m128i(n, iota());
        let pad = bitand_m128i(cmp_eq_mask_i8_m128i(n, iota()), set_splat_i8_m128i(i8::MIN));
        bitor_m128i(bitand_m128i(raw, keep), pad)
    }

    /// 16 bytes.
    #[inline(always)]
    pub(super) fn load(piece: &[u8]) -> m128i {
        match piece.first_chunk::<16>() {
            Some(bytes) => load_unaligned_m128i(bytes),
            None => zeroed_m128i(),
        }
    }

    /// `v` with bytes 2 and 3 replaced by `bytes`.
    #[inline(always)]
    pub(super) fn with_bytes_2_3(v: m128i, bytes: [u8; 2]) -> m128i {
        insert_i16_from_i32_m128i::<1>(v, i32::from(u16::from_le_bytes(bytes)))
    }

    /// Bitwise or.
    #[inline(always)]
    pub(super) fn or(a: m128i, b: m128i) -> m128i {
        bitor_m128i(a, b)
    }

    /// `v` with `value` OR-ed big-endian into its last 8 bytes (which are zero).
    #[inline(always)]
    pub(super) fn with_high_u64_be(v: m128i, value: u64) -> m128i {
        bitor_m128i(v, set_i64_m128i(i64::from_le_bytes(value.to_be_bytes()), 0))
    }

    /// Four words, each big-endian, in order.
    #[inline(always)]
    pub(super) fn be_words(w: [u32; 4]) -> m128i {
        let be = |x: u32| i32::from_le_bytes(x.to_be_bytes());
        set_reversed_i32_m128i(be(w[0]), be(w[1]), be(w[2]), be(w[3]))
    }

    /// One 16-byte store.
    #[inline(always)]
    pub(super) fn store(slot: &mut [u8; 16], v: m128i) {
        store_unaligned_m128i(slot, v);
    }
}

/// Compares without an early exit, so the time taken does not tell how many leading bytes of a
/// forged MAC were right.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    // Eight bytes at a time (a MAC is 10, 16, 20 or 32 bytes), then the rest one by one.
    let (a8, b8) = (a.chunks_exact(8), b.chunks_exact(8));
    let (a_rest, b_rest) = (a8.remainder(), b8.remainder());
    let word = |c: &[u8]| c.first_chunk::<8>().map_or(0, |w| u64::from_ne_bytes(*w));
    let wide = a8
        .zip(b8)
        .fold(0u64, |acc, (x, y)| acc | (word(x) ^ word(y)));
    let narrow = a_rest
        .iter()
        .zip(b_rest)
        .fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(wide | u64::from(narrow)) == 0
}

#[cfg(test)]
mod tests {
    use hmac::{Hmac, Mac};

    use super::*;

    #[test]
    fn matches_the_hmac_crate_for_every_length_split_and_key_length() {
        let data: Vec<u8> = (0..=255u8).cycle().take(1300).collect();
        for key_len in [0usize, 1, 16, 20, 63, 64, 65, 100] {
            let key = vec![0xA5u8; key_len];
            let ours = HmacSha1::new(&key);
            for len in [
                0usize, 1, 3, 4, 5, 55, 56, 63, 64, 65, 118, 119, 120, 128, 200, 1300,
            ] {
                let mut reference = <Hmac<Sha1> as Mac>::new_from_slice(&key).unwrap();
                reference.update(&data[..len]);
                let expected: [u8; 20] = reference.finalize().into_bytes().into();
                assert_eq!(
                    ours.sign(&[&data[..len]]),
                    expected,
                    "key {key_len} len {len}"
                );
                let (a, b) = data[..len].split_at(len / 3);
                assert_eq!(ours.sign(&[a, b, &[]]), expected);
                if len >= 4 {
                    let mut patched = data[..len].to_vec();
                    patched[2..4].copy_from_slice(&[0xEE, 0xFF]);
                    let mut reference = <Hmac<Sha1> as Mac>::new_from_slice(&key).unwrap();
                    reference.update(&patched);
                    let expected: [u8; 20] = reference.finalize().into_bytes().into();
                    assert_eq!(ours.sign_patched(&data[..len], 2, [0xEE, 0xFF]), expected);
                }
            }
        }
    }

    #[test]
    fn padded_blocks_sign_as_the_message_they_hold() {
        for len in [0usize, 1, 55, 56, 60, 63, 64, 119] {
            let message: Vec<u8> = (0..len).map(|i| (i * 7 + 3) as u8).collect();
            let mut padded = vec![0u8; (len + 9).div_ceil(64) * 64];
            padded[..len].copy_from_slice(&message);
            padded[len] = 0x80;
            let bits = ((64 + len) as u64 * 8).to_be_bytes();
            let end = padded.len();
            padded[end - 8..].copy_from_slice(&bits);
            let blocks: Vec<Sha1Block> = padded
                .chunks_exact(64)
                .map(|b| *Sha1Block::from_slice(b))
                .collect();
            let key = HmacSha1::new(b"key");
            let mut reference = Hmac::<Sha1>::new_from_slice(b"key").unwrap();
            reference.update(&message);
            assert_eq!(
                key.sign_padded_blocks(&blocks),
                reference.finalize().into_bytes()[..],
                "{len}"
            );
        }
    }

    #[test]
    fn a_prefix_of_a_longer_buffer_is_signed_alone_with_any_patch() {
        let key = b"VOkJxbRl1RmTxUk/WvJxBt";
        let ours = HmacSha1::new(key);
        let data: Vec<u8> = (0..200u32).map(|i| (i * 37 + 11) as u8).collect();
        for len in 0..=130usize {
            for slack in [0usize, 1, 5, 15, 16, 40] {
                let buf = &data[..(len + slack).min(data.len())];
                let mut ats = vec![0usize, 1, 2, 13, 14, 15, 16, 31, 47, 63, 64];
                ats.push(len.saturating_sub(2));
                for at in ats.into_iter().filter(|&at| at + 2 <= len) {
                    let mut patched = data[..len].to_vec();
                    patched[at..at + 2].copy_from_slice(&[0xEE, 0x80]);
                    let mut reference = <Hmac<Sha1> as Mac>::new_from_slice(key).unwrap();
                    reference.update(&patched);
                    let expected: [u8; 20] = reference.finalize().into_bytes().into();
                    assert_eq!(
                        ours.sign_prefix_patched(buf, len, at, [0xEE, 0x80]),
                        expected,
                        "len {len} slack {slack} at {at}"
                    );
                    let mut ran = false;
                    let (mac, r) =
                        ours.sign_prefix_patched_with(buf, len, at, [0xEE, 0x80], || {
                            ran = true;
                            len * 3
                        });
                    assert_eq!(
                        (mac, r, ran),
                        (expected, len * 3, true),
                        "len {len} at {at}"
                    );
                }
                let mut reference = <Hmac<Sha1> as Mac>::new_from_slice(key).unwrap();
                reference.update(&data[..len]);
                let unpatched: [u8; 20] = reference.finalize().into_bytes().into();
                assert_eq!(
                    ours.sign_prefix(buf, len),
                    unpatched,
                    "len {len} slack {slack}"
                );
                let mut reference = <Hmac<Sha1> as Mac>::new_from_slice(key).unwrap();
                reference.update(&data[..len]);
                let expected: [u8; 20] = reference.finalize().into_bytes().into();
                assert_eq!(ours.sign(&[&data[..len]]), expected, "len {len}");
                if len <= SHORT_MAX {
                    // The portable path (the only one off x86_64) agrees.
                    assert_eq!(ours.short_one_portable(buf, len, None), expected);
                    let state = [len as u32, 1, 2, 3, 4];
                    assert_eq!(ours.finish_portable(state), ours.finish(state));
                }
            }
        }
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
