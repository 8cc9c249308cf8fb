//! Bounds-checked big-endian reading, a writing cursor, and the type-length-value framing that
//! chunks (RFC 9260 §3.2), parameters (§3.2.1) and error causes (§3.3.10) share.

use crate::{ParseError, WriteError};

/// Length of a chunk, parameter or error cause header: type, (flags,) length.
pub(crate) const TLV_HEADER_LEN: usize = 4;

/// Largest value a 16-bit length field holds.
pub(crate) const MAX_TLV_LEN: usize = u16::MAX as usize;

/// `len` rounded up to a multiple of 4 (RFC 9260 §3.2: chunks and parameters are padded to 4
/// bytes, with at most 3 bytes of padding).
pub(crate) const fn padded(len: usize) -> usize {
    (len + 3) & !3
}

/// The padding after an item of `len` bytes.
pub(crate) const fn padding(len: usize) -> usize {
    padded(len) - len
}

/// Big-endian u16 at `at`; 0 where the bytes are missing. Used only at offsets the caller has
/// checked, so the fallback never shows; it keeps reads total (nothing the peer sends panics).
pub(crate) fn be16(bytes: &[u8], at: usize) -> u16 {
    match bytes.get(at..at + 2) {
        Some(&[a, b]) => u16::from_be_bytes([a, b]),
        _ => 0,
    }
}

/// Big-endian u32 at `at`; 0 where the bytes are missing (see [`be16`]).
pub(crate) fn be32(bytes: &[u8], at: usize) -> u32 {
    match bytes.get(at..at + 4) {
        Some(&[a, b, c, d]) => u32::from_be_bytes([a, b, c, d]),
        _ => 0,
    }
}

/// A cursor over received bytes; every read checks the remaining length and names `what` in
/// its error.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    what: &'static str,
    /// The length field of the chunk, parameter or cause whose value this reads (value plus
    /// its 4-byte header), for [`ParseError::BadLength`].
    tlv_len: usize,
}

impl<'a> Reader<'a> {
    /// A reader over the value of a chunk, parameter or error cause named `what`.
    pub(crate) fn new(bytes: &'a [u8], what: &'static str) -> Self {
        Self {
            bytes,
            what,
            tlv_len: bytes.len() + TLV_HEADER_LEN,
        }
    }

    /// A [`ParseError::BadLength`] for what this reads.
    pub(crate) fn bad_length(&self) -> ParseError {
        ParseError::BadLength {
            what: self.what,
            length: self.tlv_len,
        }
    }

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

    pub(crate) fn u16(&mut self) -> Result<u16, ParseError> {
        Ok(be16(self.take(2)?, 0))
    }

    pub(crate) fn u32(&mut self) -> Result<u32, ParseError> {
        Ok(be32(self.take(4)?, 0))
    }

    /// Everything not read yet.
    pub(crate) fn rest(self) -> &'a [u8] {
        self.bytes
    }

    /// Fails unless exactly `len` bytes are left: the structure has a fixed size.
    pub(crate) fn expect_len(&self, len: usize) -> Result<(), ParseError> {
        if self.bytes.len() < len {
            return Err(ParseError::Truncated {
                what: self.what,
                needed: len,
                available: self.bytes.len(),
            });
        }
        if self.bytes.len() > len {
            return Err(self.bad_length());
        }
        Ok(())
    }
}

/// Writes big-endian fields into a buffer that the caller sized from `encoded_len`; writes past
/// its end are dropped (a length computation bug shows in the round-trip tests, not as a panic).
pub(crate) struct Cursor<'o> {
    out: &'o mut [u8],
    at: usize,
}

impl<'o> Cursor<'o> {
    pub(crate) fn new(out: &'o mut [u8]) -> Self {
        Self { out, at: 0 }
    }

    pub(crate) fn bytes(&mut self, b: &[u8]) {
        let end = self.at + b.len();
        debug_assert!(end <= self.out.len(), "write past the sized buffer");
        if let Some(dst) = self.out.get_mut(self.at..end) {
            dst.copy_from_slice(b);
        }
        self.at = end;
    }

    pub(crate) fn u8(&mut self, v: u8) {
        self.bytes(&[v]);
    }

    pub(crate) fn u16(&mut self, v: u16) {
        self.bytes(&v.to_be_bytes());
    }

    pub(crate) fn u32(&mut self, v: u32) {
        self.bytes(&v.to_be_bytes());
    }

    /// `n` zero bytes (padding, reserved fields).
    pub(crate) fn zeros(&mut self, n: usize) {
        let end = self.at + n;
        debug_assert!(end <= self.out.len(), "write past the sized buffer");
        if let Some(dst) = self.out.get_mut(self.at..end) {
            dst.fill(0);
        }
        self.at = end;
    }

    /// The next `n` bytes, for a nested writer; the cursor moves past them.
    pub(crate) fn sub(&mut self, n: usize) -> Cursor<'_> {
        let start = self.at.min(self.out.len());
        let end = (self.at + n).min(self.out.len());
        debug_assert!(self.at + n <= self.out.len(), "write past the sized buffer");
        self.at += n;
        Cursor::new(&mut self.out[start..end])
    }

    /// The rest of the buffer, from the cursor on.
    pub(crate) fn rest_mut(self) -> &'o mut [u8] {
        let at = self.at.min(self.out.len());
        &mut self.out[at..]
    }

    /// A type-length-value header: 16-bit type and the length of header and value.
    pub(crate) fn tlv_header(&mut self, tlv_type: u16, value_len: usize) {
        self.u16(tlv_type);
        self.u16((TLV_HEADER_LEN + value_len) as u16);
    }
}

/// Splits the first type-length-value item (a chunk, parameter or error cause: the length is
/// bytes 2..4 and counts the header) off `bytes`. Returns the item without its padding and the
/// bytes after the padding.
///
/// RFC 9260 §3.2: the length excludes the padding, and "a robust implementation is expected to
/// accept the chunk whether or not the final padding has been included in the Chunk Length";
/// so the last item may lack some or all of its padding, which is how a chunk's last parameter
/// looks when the chunk length stops at the parameter's end. Padding content is ignored.
pub(crate) fn split_tlv<'a>(
    bytes: &'a [u8],
    what: &'static str,
) -> Result<(&'a [u8], &'a [u8]), ParseError> {
    if bytes.len() < TLV_HEADER_LEN {
        return Err(ParseError::Truncated {
            what,
            needed: TLV_HEADER_LEN,
            available: bytes.len(),
        });
    }
    let len = usize::from(be16(bytes, 2));
    if len < TLV_HEADER_LEN {
        return Err(ParseError::BadLength { what, length: len });
    }
    if len > bytes.len() {
        return Err(ParseError::Truncated {
            what,
            needed: len,
            available: bytes.len(),
        });
    }
    let (item, rest) = bytes.split_at(len);
    let skip = padding(len).min(rest.len());
    Ok((item, &rest[skip..]))
}

/// Checks that `bytes` is a sequence of well-framed type-length-value items.
pub(crate) fn validate_tlvs(mut bytes: &[u8], what: &'static str) -> Result<(), ParseError> {
    while !bytes.is_empty() {
        bytes = split_tlv(bytes, what)?.1;
    }
    Ok(())
}

/// Fails with [`WriteError::TooLong`] when a type-length-value item of `len` bytes (header
/// included, padding not) does not fit its 16-bit length field.
pub(crate) fn check_tlv_len(what: &'static str, len: usize) -> Result<(), WriteError> {
    if len > MAX_TLV_LEN {
        return Err(WriteError::TooLong { what, length: len });
    }
    Ok(())
}
