//! Lists inside packets, without allocation: a [`List`] is either a view over received bytes
//! (checked once when the packet was parsed) or a slice of typed entries the caller wants
//! written. Both iterate the same way and compare equal when their entries do.

use std::fmt;
use std::iter::FusedIterator;

use crate::{ParseError, WriteError};

mod sealed {
    pub trait Sealed {}
}
pub(crate) use sealed::Sealed;

/// An entry of a [`List`]: report blocks, SDES chunks and items, NACK pairs, FIR entries,
/// CCFB report blocks and metric blocks, SSRCs. Implemented by this crate only.
pub trait ListItem<'a>: Copy + Sealed {
    /// Reads one entry from the front of `bytes` and advances past it.
    fn read(bytes: &mut &'a [u8]) -> Result<Self, ParseError>;
    /// Bytes it takes on the wire.
    fn encoded_len(&self) -> usize;
    /// Writes it at the start of `out` and returns [`ListItem::encoded_len`].
    fn write(&self, out: &mut [u8]) -> Result<usize, WriteError>;
}

#[derive(Clone, Copy)]
enum Repr<'a, T> {
    /// Received bytes, already checked to hold whole entries.
    Wire(&'a [u8]),
    /// Entries to write.
    Items(&'a [T]),
}

/// A list of entries: received bytes or a caller's slice.
#[derive(Clone, Copy)]
pub struct List<'a, T> {
    repr: Repr<'a, T>,
}

impl<'a, T: ListItem<'a>> List<'a, T> {
    /// A list to write, from typed entries.
    pub const fn new(items: &'a [T]) -> Self {
        Self {
            repr: Repr::Items(items),
        }
    }

    /// Checks that `bytes` holds whole entries, each well formed, and wraps them.
    pub(crate) fn parse(bytes: &'a [u8]) -> Result<Self, ParseError> {
        let mut rest = bytes;
        while !rest.is_empty() {
            T::read(&mut rest)?;
        }
        Ok(Self {
            repr: Repr::Wire(bytes),
        })
    }

    /// Reads `count` entries from the front of `bytes`, advancing it, and wraps them.
    pub(crate) fn parse_count(bytes: &mut &'a [u8], count: usize) -> Result<Self, ParseError> {
        let start = *bytes;
        for _ in 0..count {
            T::read(bytes)?;
        }
        let used = start.len() - bytes.len();
        Ok(Self {
            repr: Repr::Wire(start.get(..used).unwrap_or_default()),
        })
    }

    /// Number of entries. For a received list this walks the entries.
    pub fn len(&self) -> usize {
        match self.repr {
            Repr::Wire(_) => self.iter().count(),
            Repr::Items(items) => items.len(),
        }
    }

    /// True when there is no entry.
    pub fn is_empty(&self) -> bool {
        match self.repr {
            Repr::Wire(b) => b.is_empty(),
            Repr::Items(items) => items.is_empty(),
        }
    }

    /// The entries, in order.
    pub fn iter(&self) -> ListIter<'a, T> {
        ListIter { repr: self.repr }
    }

    /// Bytes on the wire.
    pub fn encoded_len(&self) -> usize {
        match self.repr {
            Repr::Wire(b) => b.len(),
            Repr::Items(items) => items.iter().map(ListItem::encoded_len).sum(),
        }
    }

    /// Writes the entries at the start of `out`; returns the bytes written.
    pub(crate) fn write(&self, out: &mut [u8]) -> Result<usize, WriteError> {
        let needed = self.encoded_len();
        if out.len() < needed {
            return Err(WriteError::BufferTooSmall {
                needed,
                available: out.len(),
            });
        }
        match self.repr {
            Repr::Wire(b) => {
                if let Some(dst) = out.get_mut(..b.len()) {
                    dst.copy_from_slice(b);
                }
                Ok(b.len())
            }
            Repr::Items(items) => {
                let mut at = 0;
                for item in items {
                    at += item.write(out.get_mut(at..).unwrap_or_default())?;
                }
                Ok(at)
            }
        }
    }
}

impl<T> Default for List<'_, T> {
    fn default() -> Self {
        Self {
            repr: Repr::Items(&[]),
        }
    }
}

impl<'a, T: ListItem<'a>> From<&'a [T]> for List<'a, T> {
    fn from(items: &'a [T]) -> Self {
        Self::new(items)
    }
}

impl<'a, T: ListItem<'a>, const N: usize> From<&'a [T; N]> for List<'a, T> {
    fn from(items: &'a [T; N]) -> Self {
        Self::new(items)
    }
}

impl<'a, T: ListItem<'a> + PartialEq> PartialEq for List<'a, T> {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl<'a, T: ListItem<'a> + Eq> Eq for List<'a, T> {}

impl<'a, T: ListItem<'a> + fmt::Debug> fmt::Debug for List<'a, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<'a, T: ListItem<'a>> IntoIterator for List<'a, T> {
    type Item = T;
    type IntoIter = ListIter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// Iterator over a [`List`].
#[derive(Clone)]
pub struct ListIter<'a, T> {
    repr: Repr<'a, T>,
}

impl<'a, T: ListItem<'a>> Iterator for ListIter<'a, T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        match &mut self.repr {
            Repr::Wire(bytes) => {
                if bytes.is_empty() {
                    return None;
                }
                // Checked when the list was parsed; an error here cannot happen, and would
                // end the iteration rather than panic.
                match T::read(bytes) {
                    Ok(item) => Some(item),
                    Err(_) => {
                        *bytes = &[];
                        None
                    }
                }
            }
            Repr::Items(items) => {
                let (first, rest) = items.split_first()?;
                *items = rest;
                Some(*first)
            }
        }
    }
}

impl<'a, T: ListItem<'a>> FusedIterator for ListIter<'a, T> {}

impl Sealed for u32 {}

/// SSRCs and CSRCs.
impl ListItem<'_> for u32 {
    fn read(bytes: &mut &[u8]) -> Result<Self, ParseError> {
        let mut r = crate::wire::Reader::new(bytes, "SSRC list");
        let v = r.u32()?;
        *bytes = r.rest();
        Ok(v)
    }
    fn encoded_len(&self) -> usize {
        4
    }
    fn write(&self, out: &mut [u8]) -> Result<usize, WriteError> {
        crate::wire::Writer::new(out).u32(*self)?;
        Ok(4)
    }
}
