//! Bounds-checked reading and length-prefixed writing of TLS presentation-language fields
//! (RFC 5246 §4).

use crate::error::DecodeError;

/// A cursor over received bytes; every read checks the remaining length.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Self { bytes }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if self.bytes.len() < n {
            return Err(DecodeError::Truncated);
        }
        let (head, tail) = self.bytes.split_at(n);
        self.bytes = tail;
        Ok(head)
    }

    pub(crate) fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.take(1)?[0])
    }

    pub(crate) fn u16(&mut self) -> Result<u16, DecodeError> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    pub(crate) fn u24(&mut self) -> Result<u32, DecodeError> {
        let b = self.take(3)?;
        Ok(u32::from_be_bytes([0, b[0], b[1], b[2]]))
    }

    pub(crate) fn u48(&mut self) -> Result<u64, DecodeError> {
        let b = self.take(6)?;
        Ok(u64::from_be_bytes([
            0, 0, b[0], b[1], b[2], b[3], b[4], b[5],
        ]))
    }

    pub(crate) fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    /// A vector with a one-byte length prefix.
    pub(crate) fn vec8(&mut self) -> Result<&'a [u8], DecodeError> {
        let n = self.u8()?;
        self.take(usize::from(n))
    }

    /// A vector with a two-byte length prefix.
    pub(crate) fn vec16(&mut self) -> Result<&'a [u8], DecodeError> {
        let n = self.u16()?;
        self.take(usize::from(n))
    }

    /// A vector with a three-byte length prefix.
    pub(crate) fn vec24(&mut self) -> Result<&'a [u8], DecodeError> {
        let n = self.u24()?;
        self.take(n as usize)
    }

    /// Fails unless everything was read.
    pub(crate) fn finish(&self) -> Result<(), DecodeError> {
        if self.bytes.is_empty() {
            Ok(())
        } else {
            Err(DecodeError::TrailingBytes)
        }
    }
}

/// Appends big-endian fields and length-prefixed vectors to a `Vec<u8>`.
pub(crate) trait Writer {
    fn u8(&mut self, v: u8);
    fn u16(&mut self, v: u16);
    fn u24(&mut self, v: u32);
    fn u48(&mut self, v: u64);
    /// Writes a placeholder length of `width` bytes, runs `body`, then patches the length.
    fn with_len(&mut self, width: usize, body: impl FnOnce(&mut Self));
}

impl Writer for Vec<u8> {
    fn u8(&mut self, v: u8) {
        self.push(v);
    }

    fn u16(&mut self, v: u16) {
        self.extend_from_slice(&v.to_be_bytes());
    }

    fn u24(&mut self, v: u32) {
        self.extend_from_slice(&v.to_be_bytes()[1..]);
    }

    fn u48(&mut self, v: u64) {
        self.extend_from_slice(&v.to_be_bytes()[2..]);
    }

    fn with_len(&mut self, width: usize, body: impl FnOnce(&mut Self)) {
        let at = self.len();
        self.extend_from_slice(&[0u8; 4][..width]);
        body(self);
        let len = (self.len() - at - width) as u32;
        let bytes = len.to_be_bytes();
        self[at..at + width].copy_from_slice(&bytes[4 - width..]);
    }
}
