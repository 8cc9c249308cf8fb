//! Lists inside chunks, without allocation: a list is either a view over the received bytes or
//! a slice of typed entries the caller wants written. Both iterate the same way and compare
//! equal when their entries do.
//!
//! - [`WireList`]: fixed-size entries (SACK gap ack blocks and duplicate TSNs, FORWARD TSN
//!   stream entries, RE-CONFIG stream numbers, address types, HMAC identifiers).
//! - [`TlvList`]: type-length-value entries (parameters, error causes), each padded to 4 bytes.

use std::fmt;
use std::iter::FusedIterator;

use crate::codec::{
    Cursor, Reader, TLV_HEADER_LEN, be16, check_tlv_len, padded, padding, split_tlv,
};
use crate::{ParseError, WriteError};

#[derive(Clone, Copy)]
enum Repr<'a, T> {
    /// Received bytes, already checked to be well framed.
    Wire(&'a [u8]),
    /// Entries to write.
    Items(&'a [T]),
}

/// An entry of fixed size in a [`WireList`].
pub trait FixedItem: Copy {
    /// Its size on the wire.
    const SIZE: usize;
    /// Reads one from exactly [`FixedItem::SIZE`] bytes.
    fn read(bytes: &[u8]) -> Self;
    /// Writes it into exactly [`FixedItem::SIZE`] bytes.
    fn write(&self, out: &mut [u8]);
}

impl FixedItem for u16 {
    const SIZE: usize = 2;
    fn read(bytes: &[u8]) -> Self {
        be16(bytes, 0)
    }
    fn write(&self, out: &mut [u8]) {
        Cursor::new(out).u16(*self);
    }
}

impl FixedItem for u32 {
    const SIZE: usize = 4;
    fn read(bytes: &[u8]) -> Self {
        crate::codec::be32(bytes, 0)
    }
    fn write(&self, out: &mut [u8]) {
        Cursor::new(out).u32(*self);
    }
}

/// A list of fixed-size entries: received bytes or a caller's slice.
#[derive(Clone, Copy)]
pub struct WireList<'a, T> {
    repr: Repr<'a, T>,
}

impl<'a, T: FixedItem> WireList<'a, T> {
    /// A list to write, from typed entries.
    pub const fn new(items: &'a [T]) -> Self {
        Self {
            repr: Repr::Items(items),
        }
    }

    /// A view over received bytes. `bytes.len()` is a multiple of `T::SIZE` (checked by the
    /// parser; a partial entry at the end would be ignored).
    pub(crate) fn from_wire(bytes: &'a [u8]) -> Self {
        Self {
            repr: Repr::Wire(bytes),
        }
    }

    /// Checks that the rest of `r` holds whole entries and wraps them.
    pub(crate) fn parse(r: Reader<'a>) -> Result<Self, ParseError> {
        let bytes = r.rest();
        if bytes.len() % T::SIZE != 0 {
            return Err(r.bad_length());
        }
        Ok(Self::from_wire(bytes))
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        match self.repr {
            Repr::Wire(b) => b.len() / T::SIZE,
            Repr::Items(items) => items.len(),
        }
    }

    /// True when there is no entry.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The entries, in order.
    pub fn iter(&self) -> WireListIter<'a, T> {
        WireListIter { repr: self.repr }
    }

    /// Bytes on the wire.
    pub(crate) fn wire_len(&self) -> usize {
        self.len() * T::SIZE
    }

    /// Writes the entries (exactly [`WireList::wire_len`] bytes).
    pub(crate) fn emit(&self, c: &mut Cursor<'_>) {
        match self.repr {
            Repr::Wire(b) => c.bytes(&b[..self.wire_len()]),
            Repr::Items(items) => {
                for item in items {
                    item.write(c.sub(T::SIZE).rest_mut());
                }
            }
        }
    }
}

impl<T> Default for WireList<'_, T> {
    fn default() -> Self {
        Self {
            repr: Repr::Items(&[]),
        }
    }
}

impl<'a, T: FixedItem> From<&'a [T]> for WireList<'a, T> {
    fn from(items: &'a [T]) -> Self {
        Self::new(items)
    }
}

impl<'a, T: FixedItem, const N: usize> From<&'a [T; N]> for WireList<'a, T> {
    fn from(items: &'a [T; N]) -> Self {
        Self::new(items)
    }
}

impl<T: FixedItem + PartialEq> PartialEq for WireList<'_, T> {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl<T: FixedItem + Eq> Eq for WireList<'_, T> {}

impl<T: FixedItem + fmt::Debug> fmt::Debug for WireList<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<'a, T: FixedItem> IntoIterator for WireList<'a, T> {
    type Item = T;
    type IntoIter = WireListIter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<'a, T: FixedItem> IntoIterator for &WireList<'a, T> {
    type Item = T;
    type IntoIter = WireListIter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// Iterator over a [`WireList`].
#[derive(Clone)]
pub struct WireListIter<'a, T> {
    repr: Repr<'a, T>,
}

impl<T: FixedItem> Iterator for WireListIter<'_, T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        match &mut self.repr {
            Repr::Wire(b) => {
                let (head, tail) = b.split_at_checked(T::SIZE)?;
                *b = tail;
                Some(T::read(head))
            }
            Repr::Items(items) => {
                let (first, rest) = items.split_first()?;
                *items = rest;
                Some(*first)
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = match self.repr {
            Repr::Wire(b) => b.len() / T::SIZE,
            Repr::Items(items) => items.len(),
        };
        (n, Some(n))
    }
}

impl<T: FixedItem> ExactSizeIterator for WireListIter<'_, T> {}
impl<T: FixedItem> FusedIterator for WireListIter<'_, T> {}

/// An entry of a [`TlvList`]: a parameter or an error cause.
pub trait TlvItem<'a>: Copy {
    /// What a list of these is called in errors.
    const WHAT: &'static str;
    /// Decodes one from its type and value (padding removed).
    fn decode(tlv_type: u16, value: &'a [u8]) -> Result<Self, ParseError>;
    /// Its type (parameter type, cause code).
    fn tlv_type(&self) -> u16;
    /// Length of its value (without header and padding).
    fn value_len(&self) -> usize;
    /// Writes its value into exactly [`TlvItem::value_len`] bytes.
    fn emit_value(&self, out: &mut [u8]);
}

/// A list of type-length-value entries (parameters or error causes): received bytes, whose
/// framing was checked when the chunk was parsed, or a caller's slice.
///
/// Iterating decodes each entry; an entry whose value is malformed comes out as an `Err`
/// (the framing around it is sound, so iteration goes on). An entry of a type this crate does
/// not know decodes to its `Unknown` variant; the caller applies the upper-two-bits rule
/// (RFC 9260 §3.2.1) with the type's `unrecognized_action`.
#[derive(Clone, Copy)]
pub struct TlvList<'a, T> {
    repr: Repr<'a, T>,
}

impl<'a, T: TlvItem<'a>> TlvList<'a, T> {
    /// A list to write, from typed entries.
    pub const fn new(items: &'a [T]) -> Self {
        Self {
            repr: Repr::Items(items),
        }
    }

    /// Checks the framing of received bytes and wraps them.
    pub(crate) fn parse(bytes: &'a [u8]) -> Result<Self, ParseError> {
        crate::codec::validate_tlvs(bytes, T::WHAT)?;
        Ok(Self {
            repr: Repr::Wire(bytes),
        })
    }

    /// True when there is no entry.
    pub fn is_empty(&self) -> bool {
        match self.repr {
            Repr::Wire(b) => b.is_empty(),
            Repr::Items(items) => items.is_empty(),
        }
    }

    /// The entries, decoded, in order.
    pub fn iter(&self) -> TlvIter<'a, T> {
        TlvIter { repr: self.repr }
    }

    /// The entries as received: type, value and their bytes, for echoing an entry back
    /// (Unrecognized Parameter, RFC 9260 §3.3.3.1.2; Unrecognized Parameters cause, §3.3.10.8).
    /// A list built with [`TlvList::new`] has no wire form until it is written: it yields
    /// nothing here.
    pub fn raw(&self) -> RawTlvs<'a> {
        RawTlvs {
            bytes: match self.repr {
                Repr::Wire(b) => b,
                Repr::Items(_) => &[],
            },
        }
    }

    /// Bytes on the wire: every entry padded, except that the last one's padding is left out
    /// (it is the chunk's padding, RFC 9260 §3.2). Checks every entry's length field.
    pub(crate) fn wire_len(&self) -> Result<usize, WriteError> {
        match self.repr {
            Repr::Wire(b) => Ok(b.len()),
            Repr::Items(items) => {
                let mut total = 0;
                for item in items {
                    let len = TLV_HEADER_LEN + item.value_len();
                    check_tlv_len(T::WHAT, len)?;
                    total = padded(total) + len;
                }
                Ok(total)
            }
        }
    }

    /// Writes the entries (exactly [`TlvList::wire_len`] bytes).
    pub(crate) fn emit(&self, c: &mut Cursor<'_>) {
        match self.repr {
            Repr::Wire(b) => c.bytes(b),
            Repr::Items(items) => {
                for (i, item) in items.iter().enumerate() {
                    let value_len = item.value_len();
                    c.tlv_header(item.tlv_type(), value_len);
                    item.emit_value(c.sub(value_len).rest_mut());
                    if i + 1 < items.len() {
                        c.zeros(padding(value_len));
                    }
                }
            }
        }
    }
}

impl<T> Default for TlvList<'_, T> {
    fn default() -> Self {
        Self {
            repr: Repr::Items(&[]),
        }
    }
}

impl<'a, T: TlvItem<'a>> From<&'a [T]> for TlvList<'a, T> {
    fn from(items: &'a [T]) -> Self {
        Self::new(items)
    }
}

impl<'a, T: TlvItem<'a>, const N: usize> From<&'a [T; N]> for TlvList<'a, T> {
    fn from(items: &'a [T; N]) -> Self {
        Self::new(items)
    }
}

impl<'a, T: TlvItem<'a> + PartialEq> PartialEq for TlvList<'a, T> {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl<'a, T: TlvItem<'a> + Eq> Eq for TlvList<'a, T> {}

impl<'a, T: TlvItem<'a> + fmt::Debug> fmt::Debug for TlvList<'a, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<'a, T: TlvItem<'a>> IntoIterator for TlvList<'a, T> {
    type Item = Result<T, ParseError>;
    type IntoIter = TlvIter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<'a, T: TlvItem<'a>> IntoIterator for &TlvList<'a, T> {
    type Item = Result<T, ParseError>;
    type IntoIter = TlvIter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// Iterator over a [`TlvList`], decoding each entry.
#[derive(Clone)]
pub struct TlvIter<'a, T> {
    repr: Repr<'a, T>,
}

impl<'a, T: TlvItem<'a>> Iterator for TlvIter<'a, T> {
    type Item = Result<T, ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.repr {
            Repr::Wire(b) => {
                if b.is_empty() {
                    return None;
                }
                match split_tlv(b, T::WHAT) {
                    Ok((item, rest)) => {
                        *b = rest;
                        let raw = RawTlv { bytes: item };
                        Some(T::decode(raw.tlv_type(), raw.value()))
                    }
                    // Framing was checked at parse; should it fail anyway, end after the error.
                    Err(e) => {
                        *b = &[];
                        Some(Err(e))
                    }
                }
            }
            Repr::Items(items) => {
                let (first, rest) = items.split_first()?;
                *items = rest;
                Some(Ok(*first))
            }
        }
    }
}

impl<'a, T: TlvItem<'a>> FusedIterator for TlvIter<'a, T> {}

/// One type-length-value entry as received: a parameter or an error cause.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct RawTlv<'a> {
    /// Header and value, without padding.
    bytes: &'a [u8],
}

impl<'a> RawTlv<'a> {
    /// The type (parameter type or cause code).
    pub fn tlv_type(&self) -> u16 {
        be16(self.bytes, 0)
    }

    /// The value, without header and padding.
    pub fn value(&self) -> &'a [u8] {
        self.bytes.get(TLV_HEADER_LEN..).unwrap_or(&[])
    }

    /// Header and value as received, without padding: what an Unrecognized Parameter echoes.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }
}

impl fmt::Debug for RawTlv<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawTlv")
            .field("type", &format_args!("{:#06x}", self.tlv_type()))
            .field("value", &self.value())
            .finish()
    }
}

/// Iterator over the received entries of a [`TlvList`], undecoded.
#[derive(Debug, Clone)]
pub struct RawTlvs<'a> {
    bytes: &'a [u8],
}

impl<'a> Iterator for RawTlvs<'a> {
    type Item = RawTlv<'a>;

    fn next(&mut self) -> Option<RawTlv<'a>> {
        if self.bytes.is_empty() {
            return None;
        }
        match split_tlv(self.bytes, "TLV") {
            Ok((item, rest)) => {
                self.bytes = rest;
                Some(RawTlv { bytes: item })
            }
            Err(_) => {
                self.bytes = &[];
                None
            }
        }
    }
}

impl FusedIterator for RawTlvs<'_> {}
