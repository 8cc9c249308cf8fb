//! Bounds-checked reading and writing of big-endian fields, shared by every wire format here.
//! Every read checks the remaining length and names the structure in its error; every write
//! checks the room left, so a length computation bug is an error, never a panic.

use crate::{ParseError, WriteError};

/// Big-endian u16 at `at`; 0 where the bytes are missing. Used only at offsets the caller has
/// checked, so the fallback never shows; it keeps accessors total.
pub(crate) fn be16(bytes: &[u8], at: usize) -> u16 {
    match bytes.get(at..at.saturating_add(2)) {
        Some(&[a, b]) => u16::from_be_bytes([a, b]),
        _ => 0,
    }
}

/// Big-endian u32 at `at`; 0 where the bytes are missing (see [`be16`]).
pub(crate) fn be32(bytes: &[u8], at: usize) -> u32 {
    match bytes.get(at..at.saturating_add(4)) {
        Some(&[a, b, c, d]) => u32::from_be_bytes([a, b, c, d]),
        _ => 0,
    }
}

/// The byte at `at`; 0 where it is missing (see [`be16`]).
pub(crate) fn byte(bytes: &[u8], at: usize) -> u8 {
    bytes.get(at).copied().unwrap_or(0)
}

/// A cursor over received bytes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    what: &'static str,
}

impl<'a> Reader<'a> {
    /// A reader over `bytes`, naming `what` in its errors.
    pub(crate) fn new(bytes: &'a [u8], what: &'static str) -> Self {
        Self { bytes, what }
    }

    /// The next `n` bytes.
    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], ParseError> {
        if self.bytes.len() < n {
            return Err(ParseError::Truncated {
                what: self.what,
                needed: n,
                available: self.bytes.len(),
            });
        }
        let (head, tail) = self.bytes.split_at(n);
        self.bytes = tail;
        Ok(head)
    }

    /// The next `N` bytes as an array.
    pub(crate) fn array<const N: usize>(&mut self) -> Result<[u8; N], ParseError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    pub(crate) fn u8(&mut self) -> Result<u8, ParseError> {
        Ok(byte(self.take(1)?, 0))
    }

    pub(crate) fn u16(&mut self) -> Result<u16, ParseError> {
        Ok(be16(self.take(2)?, 0))
    }

    pub(crate) fn u24(&mut self) -> Result<u32, ParseError> {
        let b = self.take(3)?;
        Ok(u32::from_be_bytes([0, byte(b, 0), byte(b, 1), byte(b, 2)]))
    }

    pub(crate) fn u32(&mut self) -> Result<u32, ParseError> {
        Ok(be32(self.take(4)?, 0))
    }

    pub(crate) fn u64(&mut self) -> Result<u64, ParseError> {
        let b = self.take(8)?;
        Ok((u64::from(be32(b, 0)) << 32) | u64::from(be32(b, 4)))
    }

    /// Little-endian reads, for the file formats (IVF, Ogg).
    pub(crate) fn u16_le(&mut self) -> Result<u16, ParseError> {
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([byte(b, 0), byte(b, 1)]))
    }

    pub(crate) fn u32_le(&mut self) -> Result<u32, ParseError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([
            byte(b, 0),
            byte(b, 1),
            byte(b, 2),
            byte(b, 3),
        ]))
    }

    pub(crate) fn u64_le(&mut self) -> Result<u64, ParseError> {
        let lo = self.u32_le()?;
        let hi = self.u32_le()?;
        Ok((u64::from(hi) << 32) | u64::from(lo))
    }

    /// Bytes not read yet.
    pub(crate) fn remaining(&self) -> usize {
        self.bytes.len()
    }

    /// Everything not read yet.
    pub(crate) fn rest(self) -> &'a [u8] {
        self.bytes
    }

    /// Fails when bytes are left: the structure must fill what it was given.
    pub(crate) fn finish(self) -> Result<(), ParseError> {
        if self.bytes.is_empty() {
            Ok(())
        } else {
            Err(ParseError::TrailingBytes {
                what: self.what,
                count: self.bytes.len(),
            })
        }
    }
}

/// A cursor writing into a caller's buffer.
#[derive(Debug)]
pub(crate) struct Writer<'o> {
    out: &'o mut [u8],
    at: usize,
}

impl<'o> Writer<'o> {
    pub(crate) fn new(out: &'o mut [u8]) -> Self {
        Self { out, at: 0 }
    }

    /// Bytes written so far.
    pub(crate) fn position(&self) -> usize {
        self.at
    }

    /// Fails unless `n` more bytes fit.
    pub(crate) fn reserve(&self, n: usize) -> Result<(), WriteError> {
        let needed = self.at.saturating_add(n);
        if needed > self.out.len() {
            return Err(WriteError::BufferTooSmall {
                needed,
                available: self.out.len(),
            });
        }
        Ok(())
    }

    pub(crate) fn bytes(&mut self, b: &[u8]) -> Result<(), WriteError> {
        self.reserve(b.len())?;
        let end = self.at + b.len();
        if let Some(dst) = self.out.get_mut(self.at..end) {
            dst.copy_from_slice(b);
        }
        self.at = end;
        Ok(())
    }

    /// `n` zero bytes.
    pub(crate) fn zeros(&mut self, n: usize) -> Result<(), WriteError> {
        self.reserve(n)?;
        let end = self.at + n;
        if let Some(dst) = self.out.get_mut(self.at..end) {
            dst.fill(0);
        }
        self.at = end;
        Ok(())
    }

    pub(crate) fn u8(&mut self, v: u8) -> Result<(), WriteError> {
        self.bytes(&[v])
    }

    pub(crate) fn u16(&mut self, v: u16) -> Result<(), WriteError> {
        self.bytes(&v.to_be_bytes())
    }

    /// The low 24 bits of `v`.
    pub(crate) fn u24(&mut self, v: u32) -> Result<(), WriteError> {
        self.bytes(&v.to_be_bytes()[1..])
    }

    pub(crate) fn u32(&mut self, v: u32) -> Result<(), WriteError> {
        self.bytes(&v.to_be_bytes())
    }

    pub(crate) fn u64(&mut self, v: u64) -> Result<(), WriteError> {
        self.bytes(&v.to_be_bytes())
    }

    /// Overwrites a byte already written (a count or flag known only at the end).
    pub(crate) fn patch_u8(&mut self, at: usize, v: u8) {
        if at < self.at {
            if let Some(b) = self.out.get_mut(at) {
                *b = v;
            }
        }
    }

    /// Overwrites a big-endian u16 already written (a length known only at the end).
    pub(crate) fn patch_u16(&mut self, at: usize, v: u16) {
        let [a, b] = v.to_be_bytes();
        self.patch_u8(at, a);
        self.patch_u8(at + 1, b);
    }
}

/// `len` rounded up to a multiple of 4: RTP header extensions and RTCP packets are counted in
/// 32-bit words (RFC 3550 §5.3.1, §6.4.1).
pub(crate) const fn padded4(len: usize) -> usize {
    (len + 3) & !3
}

/// Appends `v` as LEB128 (AV1 §4.10.5) to `out`.
pub(crate) fn leb128_push(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// Bytes of `v` as LEB128.
pub(crate) const fn leb128_len(mut v: u64) -> usize {
    let mut n = 1;
    while v >= 0x80 {
        v >>= 7;
        n += 1;
    }
    n
}

/// Reads a LEB128 value of at most 8 bytes (AV1 §4.10.5: `leb128()` reads up to 8 bytes and
/// the value fits 32 bits).
pub(crate) fn leb128_read(r: &mut Reader<'_>) -> Result<u64, ParseError> {
    let mut value = 0u64;
    for i in 0..8 {
        let b = r.u8()?;
        value |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            if value > u64::from(u32::MAX) {
                return Err(ParseError::InvalidField("leb128 value"));
            }
            return Ok(value);
        }
    }
    Err(ParseError::InvalidField("leb128 value"))
}
