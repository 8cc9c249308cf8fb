//! The RTP header extension block (RFC 3550 §5.3.1) and its RFC 8285 element forms: one-byte
//! (§4.2, profile 0xBEDE, ids 1..=14, 1..=16 bytes) and two-byte (§4.3, profile 0x100X, ids
//! 1..=255, 0..=255 bytes). Reading yields [`HeaderExtension`] elements; writing takes a slice of
//! them ([`HeaderExtensions::auto`]) or goes element by element ([`ExtensionWriter`]).

use std::fmt;
use std::iter::FusedIterator;

use crate::wire::{Reader, Writer, be16, byte, padded4};
use crate::{ParseError, WriteError};

/// The "defined by profile" value of the one-byte form (RFC 8285 §4.2).
pub const ONE_BYTE_PROFILE: u16 = 0xBEDE;
/// The "defined by profile" value of the two-byte form, with the appbits (low 4 bits) zero
/// (RFC 8285 §4.3).
pub const TWO_BYTE_PROFILE: u16 = 0x1000;

/// How the elements of a header extension block are framed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExtensionForm {
    /// RFC 8285 §4.2: a byte of id (1..=14) and length minus one; 1..=16 bytes of data.
    OneByte,
    /// RFC 8285 §4.3: a byte of id (1..=255) and a byte of length; 0..=255 bytes of data.
    TwoByte {
        /// The 4 application bits of the profile value (§4.3; zero unless signalled).
        appbits: u8,
    },
    /// Another profile's block (RFC 3550 §5.3.1): opaque data, no elements.
    Other(u16),
}

impl ExtensionForm {
    /// The form a "defined by profile" value announces.
    pub const fn from_profile(profile: u16) -> Self {
        match profile {
            ONE_BYTE_PROFILE => Self::OneByte,
            p if p & 0xFFF0 == TWO_BYTE_PROFILE => Self::TwoByte {
                appbits: (p & 0x0F) as u8,
            },
            p => Self::Other(p),
        }
    }

    /// Its "defined by profile" value.
    pub const fn profile(self) -> u16 {
        match self {
            Self::OneByte => ONE_BYTE_PROFILE,
            Self::TwoByte { appbits } => TWO_BYTE_PROFILE | (appbits & 0x0F) as u16,
            Self::Other(p) => p,
        }
    }

    /// Whether `id` and a value of `len` bytes can be written in this form.
    pub const fn fits(self, id: u8, len: usize) -> bool {
        match self {
            Self::OneByte => matches!(id, 1..=14) && matches!(len, 1..=16),
            Self::TwoByte { .. } => id != 0 && len <= 255,
            Self::Other(_) => false,
        }
    }

    /// Bytes an element of `len` data bytes takes (its header included).
    const fn element_len(self, len: usize) -> usize {
        match self {
            Self::OneByte => 1 + len,
            _ => 2 + len,
        }
    }
}

/// One header extension element: the local id (RFC 8285 §5, mapped to a URI by SDP's
/// `a=extmap`) and its data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct HeaderExtension<'a> {
    /// The local id: 1..=14 in the one-byte form, 1..=255 in the two-byte form.
    pub id: u8,
    /// The value.
    pub data: &'a [u8],
}

impl<'a> HeaderExtension<'a> {
    /// An element with `id` and `data`.
    pub const fn new(id: u8, data: &'a [u8]) -> Self {
        Self { id, data }
    }
}

#[derive(Clone, Copy)]
enum Repr<'a> {
    None,
    /// Received (elements checked to be well framed), or another profile's data to write.
    Wire {
        profile: u16,
        data: &'a [u8],
    },
    /// To write.
    Items {
        form: ExtensionForm,
        items: &'a [HeaderExtension<'a>],
    },
}

/// The header extension block of an RTP packet: absent, received, or to write.
#[derive(Clone, Copy)]
pub struct HeaderExtensions<'a> {
    repr: Repr<'a>,
}

impl<'a> HeaderExtensions<'a> {
    /// No header extension (the X bit clear).
    pub const fn none() -> Self {
        Self { repr: Repr::None }
    }

    /// Elements in the one-byte form when every id and length fits it, in the two-byte form
    /// otherwise (which needs `a=extmap-allow-mixed`, RFC 8285 §6); none when `items` is empty.
    pub fn auto(items: &'a [HeaderExtension<'a>]) -> Self {
        if items.is_empty() {
            return Self::none();
        }
        let form = if items
            .iter()
            .all(|e| ExtensionForm::OneByte.fits(e.id, e.data.len()))
        {
            ExtensionForm::OneByte
        } else {
            ExtensionForm::TwoByte { appbits: 0 }
        };
        Self::with_form(form, items)
    }

    /// Elements in the given form (checked when written). An empty slice still writes the
    /// block's 4-byte header.
    pub const fn with_form(form: ExtensionForm, items: &'a [HeaderExtension<'a>]) -> Self {
        Self {
            repr: Repr::Items { form, items },
        }
    }

    /// A block given as its profile value and data (RFC 3550 §5.3.1), for profiles other than
    /// RFC 8285's: `data` must be a multiple of 4 bytes. With an RFC 8285 profile the elements
    /// iterate up to the first malformed one.
    pub const fn raw(profile: u16, data: &'a [u8]) -> Self {
        Self {
            repr: Repr::Wire { profile, data },
        }
    }

    /// Checks a received block's elements and wraps it. `data` is what follows the block's
    /// 4-byte header.
    pub(crate) fn parse(profile: u16, data: &'a [u8]) -> Result<Self, ParseError> {
        let mut walk = Elements {
            form: ExtensionForm::from_profile(profile),
            data,
        };
        while walk.step()?.is_some() {}
        Ok(Self {
            repr: Repr::Wire { profile, data },
        })
    }

    /// Whether there is a block (the RTP header's X bit).
    pub const fn is_present(&self) -> bool {
        !matches!(self.repr, Repr::None)
    }

    /// The block's form, if present.
    pub const fn form(&self) -> Option<ExtensionForm> {
        match self.repr {
            Repr::None => None,
            Repr::Wire { profile, .. } => Some(ExtensionForm::from_profile(profile)),
            Repr::Items { form, .. } => Some(form),
        }
    }

    /// The block's data after its 4-byte header, for a received or raw block.
    pub const fn raw_data(&self) -> Option<&'a [u8]> {
        match self.repr {
            Repr::Wire { data, .. } => Some(data),
            _ => None,
        }
    }

    /// The elements, in order. Nothing for another profile's block; a one-byte block ends at
    /// an element with id 15 (RFC 8285 §4.2). Padding is skipped.
    pub fn iter(&self) -> ExtensionIter<'a> {
        match self.repr {
            Repr::None => ExtensionIter(IterRepr::Items(&[])),
            Repr::Wire { profile, data } => ExtensionIter(IterRepr::Wire(Elements {
                form: ExtensionForm::from_profile(profile),
                data,
            })),
            Repr::Items {
                form: ExtensionForm::Other(_),
                ..
            } => ExtensionIter(IterRepr::Items(&[])),
            Repr::Items { items, .. } => ExtensionIter(IterRepr::Items(items)),
        }
    }

    /// The data of the first element with `id`.
    pub fn get(&self, id: u8) -> Option<&'a [u8]> {
        self.iter().find(|e| e.id == id).map(|e| e.data)
    }

    /// Bytes the block takes: 0 when absent, else its 4-byte header and data, padded to 32 bits.
    pub fn encoded_len(&self) -> usize {
        match self.repr {
            Repr::None => 0,
            Repr::Wire { data, .. } => 4 + padded4(data.len()),
            Repr::Items { form, items } => {
                4 + padded4(items.iter().map(|e| form.element_len(e.data.len())).sum())
            }
        }
    }

    /// Writes the block at the start of `out`; returns its length.
    pub(crate) fn write(&self, out: &mut [u8]) -> Result<usize, WriteError> {
        match self.repr {
            Repr::None => Ok(0),
            Repr::Wire { profile, data } => {
                if data.len() % 4 != 0 {
                    return Err(WriteError::InvalidField("header extension data length"));
                }
                let words = u16::try_from(data.len() / 4).map_err(|_| WriteError::TooLong {
                    what: "RTP header extension",
                    length: data.len(),
                })?;
                let mut w = Writer::new(out);
                w.u16(profile)?;
                w.u16(words)?;
                w.bytes(data)?;
                Ok(w.position())
            }
            Repr::Items { form, items } => {
                let mut w = ExtensionWriter::new(out, form)?;
                for e in items {
                    w.push(e.id, e.data)?;
                }
                w.finish()
            }
        }
    }
}

impl Default for HeaderExtensions<'_> {
    fn default() -> Self {
        Self::none()
    }
}

impl PartialEq for HeaderExtensions<'_> {
    fn eq(&self, other: &Self) -> bool {
        match (self.form(), other.form()) {
            (None, None) => true,
            (Some(ExtensionForm::Other(a)), Some(ExtensionForm::Other(b))) => {
                a == b && self.raw_data() == other.raw_data()
            }
            (Some(a), Some(b)) => a == b && self.iter().eq(other.iter()),
            _ => false,
        }
    }
}

impl Eq for HeaderExtensions<'_> {}

impl fmt::Debug for HeaderExtensions<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.form() {
            None => f.write_str("HeaderExtensions(none)"),
            Some(ExtensionForm::Other(p)) => f
                .debug_struct("HeaderExtensions")
                .field("profile", &p)
                .field("data", &self.raw_data())
                .finish(),
            Some(form) => f
                .debug_struct("HeaderExtensions")
                .field("form", &form)
                .field("elements", &self.iter().collect::<Vec<_>>())
                .finish(),
        }
    }
}

/// A walk over received element bytes.
#[derive(Clone, Copy)]
struct Elements<'a> {
    form: ExtensionForm,
    data: &'a [u8],
}

impl<'a> Elements<'a> {
    /// The next element, skipping padding; `None` at the end.
    fn step(&mut self) -> Result<Option<HeaderExtension<'a>>, ParseError> {
        let header_len = match self.form {
            ExtensionForm::Other(_) => return Ok(None),
            ExtensionForm::OneByte => 1,
            ExtensionForm::TwoByte { .. } => 2,
        };
        loop {
            let Some(&first) = self.data.first() else {
                return Ok(None);
            };
            if first == 0 {
                // RFC 8285 §4.1.1: padding bytes are 0 and may sit between elements.
                self.data = self.data.get(1..).unwrap_or_default();
                continue;
            }
            let (id, len) = match self.form {
                ExtensionForm::OneByte => {
                    let id = first >> 4;
                    if id == 15 {
                        // RFC 8285 §4.2: id 15 ends the processing of the block.
                        self.data = &[];
                        return Ok(None);
                    }
                    (id, usize::from(first & 0x0F) + 1)
                }
                _ => {
                    if self.data.len() < 2 {
                        return Err(ParseError::Truncated {
                            what: "RTP header extension element",
                            needed: 2,
                            available: self.data.len(),
                        });
                    }
                    (first, usize::from(byte(self.data, 1)))
                }
            };
            let mut r = Reader::new(self.data, "RTP header extension element");
            r.take(header_len)?;
            let data = r.take(len)?;
            self.data = r.rest();
            return Ok(Some(HeaderExtension { id, data }));
        }
    }
}

#[derive(Clone)]
enum IterRepr<'a> {
    Wire(Elements<'a>),
    Items(&'a [HeaderExtension<'a>]),
}

/// Iterator over the elements of [`HeaderExtensions`].
#[derive(Clone)]
pub struct ExtensionIter<'a>(IterRepr<'a>);

impl<'a> Iterator for ExtensionIter<'a> {
    type Item = HeaderExtension<'a>;

    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.0 {
            // Checked when parsed; an error ends the iteration.
            IterRepr::Wire(walk) => walk.step().ok().flatten(),
            IterRepr::Items(items) => {
                let (first, rest) = items.split_first()?;
                *items = rest;
                Some(*first)
            }
        }
    }
}

impl FusedIterator for ExtensionIter<'_> {}

/// Writes a header extension block element by element into a caller's buffer: the 4-byte
/// block header, the elements, zero padding to 32 bits, then the length (RFC 3550 §5.3.1).
#[derive(Debug)]
pub struct ExtensionWriter<'o> {
    w: Writer<'o>,
    form: ExtensionForm,
}

impl<'o> ExtensionWriter<'o> {
    /// Starts a block of `form` (one-byte or two-byte) at the start of `out`.
    pub fn new(out: &'o mut [u8], form: ExtensionForm) -> Result<Self, WriteError> {
        if matches!(form, ExtensionForm::Other(_)) {
            return Err(WriteError::InvalidField("header extension form"));
        }
        let mut w = Writer::new(out);
        w.u16(form.profile())?;
        w.u16(0)?;
        Ok(Self { w, form })
    }

    /// Appends an element.
    pub fn push(&mut self, id: u8, data: &[u8]) -> Result<(), WriteError> {
        if !self.form.fits(id, data.len()) {
            return Err(WriteError::InvalidField(
                "header extension id or length for its form",
            ));
        }
        self.w.reserve(self.form.element_len(data.len()))?;
        match self.form {
            ExtensionForm::OneByte => self.w.u8((id << 4) | (data.len() as u8 - 1))?,
            _ => {
                self.w.u8(id)?;
                self.w.u8(data.len() as u8)?;
            }
        }
        self.w.bytes(data)
    }

    /// Pads and closes the block; returns its length in bytes.
    pub fn finish(mut self) -> Result<usize, WriteError> {
        let len = self.w.position();
        let padded = padded4(len);
        self.w.zeros(padded - len)?;
        let words = u16::try_from((padded - 4) / 4).map_err(|_| WriteError::TooLong {
            what: "RTP header extension",
            length: padded,
        })?;
        self.w.patch_u16(2, words);
        Ok(padded)
    }
}

/// The profile value and word count of a block header at `at` in `bytes`.
pub(crate) fn block_header(bytes: &[u8], at: usize) -> (u16, usize) {
    (be16(bytes, at), usize::from(be16(bytes, at + 2)) * 4)
}
