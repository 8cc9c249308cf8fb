//! RTP packets (RFC 3550 §5.1): [`RtpPacket`], a view over received bytes checked once, and
//! [`RtpHeader`], the header to write into a caller's buffer.

mod header_ext;

pub use header_ext::{
    ExtensionForm, ExtensionIter, ExtensionWriter, HeaderExtension, HeaderExtensions,
    ONE_BYTE_PROFILE, TWO_BYTE_PROFILE,
};

use crate::list::List;
use crate::wire::{Writer, be16, be32, byte};
use crate::{ParseError, WriteError};

/// The RTP version this crate reads and writes (RFC 3550 §5.1).
pub const RTP_VERSION: u8 = 2;
/// Length of the fixed RTP header.
pub const RTP_FIXED_HEADER_LEN: usize = 12;

/// A received RTP packet, checked once by [`RtpPacket::parse`]: version 2, the CSRC list, the
/// header extension block and its RFC 8285 elements, and the padding all lie within the bytes.
/// The accessors cannot fail.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct RtpPacket<'a> {
    bytes: &'a [u8],
    /// Fixed header, CSRCs and extension block.
    header_len: usize,
    /// Where the padding starts (the end of the payload).
    payload_end: usize,
    extensions: HeaderExtensions<'a>,
}

impl<'a> RtpPacket<'a> {
    /// Checks `bytes` as one RTP packet (RFC 3550 §5.1, §5.3.1; RFC 8285 §4).
    pub fn parse(bytes: &'a [u8]) -> Result<Self, ParseError> {
        if bytes.len() < RTP_FIXED_HEADER_LEN {
            return Err(ParseError::Truncated {
                what: "RTP header",
                needed: RTP_FIXED_HEADER_LEN,
                available: bytes.len(),
            });
        }
        let b0 = byte(bytes, 0);
        let version = b0 >> 6;
        if version != RTP_VERSION {
            return Err(ParseError::BadVersion {
                what: "RTP header",
                version,
            });
        }
        let csrc_count = usize::from(b0 & 0x0F);
        let mut header_len = RTP_FIXED_HEADER_LEN + 4 * csrc_count;
        if bytes.len() < header_len {
            return Err(ParseError::Truncated {
                what: "RTP CSRC list",
                needed: header_len,
                available: bytes.len(),
            });
        }
        let mut extensions = HeaderExtensions::none();
        if b0 & 0x10 != 0 {
            if bytes.len() < header_len + 4 {
                return Err(ParseError::Truncated {
                    what: "RTP header extension",
                    needed: header_len + 4,
                    available: bytes.len(),
                });
            }
            let (profile, len) = header_ext::block_header(bytes, header_len);
            let start = header_len + 4;
            let data = bytes.get(start..start + len).ok_or(ParseError::Truncated {
                what: "RTP header extension",
                needed: start + len,
                available: bytes.len(),
            })?;
            extensions = HeaderExtensions::parse(profile, data)?;
            header_len = start + len;
        }
        let mut payload_end = bytes.len();
        if b0 & 0x20 != 0 {
            // RFC 3550 §5.1: the last octet counts the padding octets, itself included.
            let count = usize::from(byte(bytes, bytes.len() - 1));
            if count == 0 || count > bytes.len() - header_len {
                return Err(ParseError::InvalidField("RTP padding length"));
            }
            payload_end -= count;
        }
        Ok(Self {
            bytes,
            header_len,
            payload_end,
            extensions,
        })
    }

    /// The packet's bytes.
    pub const fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The P bit.
    pub fn has_padding(&self) -> bool {
        byte(self.bytes, 0) & 0x20 != 0
    }

    /// The X bit.
    pub fn has_extension(&self) -> bool {
        byte(self.bytes, 0) & 0x10 != 0
    }

    /// The CC field: how many CSRCs follow the fixed header.
    pub fn csrc_count(&self) -> u8 {
        byte(self.bytes, 0) & 0x0F
    }

    /// The M bit (for video, the last packet of a frame; RFC 3551 §4.1).
    pub fn marker(&self) -> bool {
        byte(self.bytes, 1) & 0x80 != 0
    }

    /// The payload type (7 bits).
    pub fn payload_type(&self) -> u8 {
        byte(self.bytes, 1) & 0x7F
    }

    /// The sequence number.
    pub fn sequence_number(&self) -> u16 {
        be16(self.bytes, 2)
    }

    /// The RTP timestamp.
    pub fn timestamp(&self) -> u32 {
        be32(self.bytes, 4)
    }

    /// The synchronization source.
    pub fn ssrc(&self) -> u32 {
        be32(self.bytes, 8)
    }

    /// The contributing sources.
    pub fn csrcs(&self) -> List<'a, u32> {
        let end = RTP_FIXED_HEADER_LEN + 4 * usize::from(self.csrc_count());
        // Whole SSRCs: checked by `parse`.
        List::parse(
            self.bytes
                .get(RTP_FIXED_HEADER_LEN..end)
                .unwrap_or_default(),
        )
        .unwrap_or_default()
    }

    /// The header extension block (absent when the X bit is clear).
    pub const fn extensions(&self) -> HeaderExtensions<'a> {
        self.extensions
    }

    /// The data of the first header extension element with `id`.
    pub fn extension(&self, id: u8) -> Option<&'a [u8]> {
        self.extensions.get(id)
    }

    /// The header's length: fixed part, CSRCs and extension block.
    pub const fn header_len(&self) -> usize {
        self.header_len
    }

    /// The payload, without the padding.
    pub fn payload(&self) -> &'a [u8] {
        self.bytes
            .get(self.header_len..self.payload_end)
            .unwrap_or_default()
    }

    /// The number of padding bytes, the count byte included.
    pub const fn padding_len(&self) -> usize {
        self.bytes.len() - self.payload_end
    }

    /// The header as a value to write again (with another sequence number, say).
    pub fn header(&self) -> RtpHeader<'a> {
        RtpHeader {
            marker: self.marker(),
            payload_type: self.payload_type(),
            sequence_number: self.sequence_number(),
            timestamp: self.timestamp(),
            ssrc: self.ssrc(),
            csrcs: self.csrcs(),
            extensions: self.extensions,
        }
    }
}

impl std::fmt::Debug for RtpPacket<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RtpPacket")
            .field("marker", &self.marker())
            .field("payload_type", &self.payload_type())
            .field("sequence_number", &self.sequence_number())
            .field("timestamp", &self.timestamp())
            .field("ssrc", &self.ssrc())
            .field("csrcs", &self.csrcs())
            .field("extensions", &self.extensions)
            .field("payload_len", &self.payload().len())
            .field("padding_len", &self.padding_len())
            .finish()
    }
}

/// An RTP header to write (RFC 3550 §5.1). The version is 2; the P, X and CC fields follow from
/// what is written.
///
/// ```
/// use rtc_media::{HeaderExtension, HeaderExtensions, RtpHeader, RtpPacket};
///
/// let mid = [HeaderExtension::new(1, b"0")];
/// let header = RtpHeader {
///     marker: true,
///     extensions: HeaderExtensions::auto(&mid),
///     ..RtpHeader::new(111, 7, 960, 0x1234_5678)
/// };
/// let mut buf = [0u8; 1500];
/// let len = header.emit_packet(b"opus", 0, &mut buf)?;
/// let packet = RtpPacket::parse(&buf[..len])?;
/// assert_eq!(packet.extension(1), Some(&b"0"[..]));
/// assert_eq!(packet.payload(), b"opus");
/// assert_eq!(packet.header(), header);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtpHeader<'a> {
    /// The M bit.
    pub marker: bool,
    /// The payload type, 0..=127.
    pub payload_type: u8,
    /// The sequence number.
    pub sequence_number: u16,
    /// The RTP timestamp.
    pub timestamp: u32,
    /// The synchronization source.
    pub ssrc: u32,
    /// The contributing sources, at most 15.
    pub csrcs: List<'a, u32>,
    /// The header extension block.
    pub extensions: HeaderExtensions<'a>,
}

impl<'a> RtpHeader<'a> {
    /// A header with no marker, CSRC or extension.
    pub fn new(payload_type: u8, sequence_number: u16, timestamp: u32, ssrc: u32) -> Self {
        Self {
            marker: false,
            payload_type,
            sequence_number,
            timestamp,
            ssrc,
            csrcs: List::default(),
            extensions: HeaderExtensions::none(),
        }
    }

    /// Bytes the header takes.
    pub fn encoded_len(&self) -> usize {
        RTP_FIXED_HEADER_LEN + self.csrcs.encoded_len() + self.extensions.encoded_len()
    }

    /// Writes the header (P bit clear) at the start of `out`; returns its length. The payload
    /// goes right after it; [`set_padding`] pads the packet afterwards.
    pub fn emit(&self, out: &mut [u8]) -> Result<usize, WriteError> {
        if self.payload_type > 0x7F {
            return Err(WriteError::InvalidField("RTP payload type"));
        }
        let csrc_count = self.csrcs.len();
        if csrc_count > 15 {
            return Err(WriteError::TooMany {
                what: "RTP CSRC list",
                count: csrc_count,
            });
        }
        let needed = self.encoded_len();
        if out.len() < needed {
            return Err(WriteError::BufferTooSmall {
                needed,
                available: out.len(),
            });
        }
        let mut w = Writer::new(out);
        let x = if self.extensions.is_present() {
            0x10
        } else {
            0
        };
        w.u8((RTP_VERSION << 6) | x | csrc_count as u8)?;
        w.u8(u8::from(self.marker) << 7 | self.payload_type)?;
        w.u16(self.sequence_number)?;
        w.u32(self.timestamp)?;
        w.u32(self.ssrc)?;
        let mut at = w.position();
        at += self.csrcs.write(out.get_mut(at..).unwrap_or_default())?;
        at += self
            .extensions
            .write(out.get_mut(at..).unwrap_or_default())?;
        Ok(at)
    }

    /// Writes a whole packet: the header, `payload`, and `padding` bytes of padding (0 for
    /// none; otherwise zeros ending in the count, RFC 3550 §5.1). Returns its length.
    pub fn emit_packet(
        &self,
        payload: &[u8],
        padding: u8,
        out: &mut [u8],
    ) -> Result<usize, WriteError> {
        let needed = self.encoded_len() + payload.len() + usize::from(padding);
        if out.len() < needed {
            return Err(WriteError::BufferTooSmall {
                needed,
                available: out.len(),
            });
        }
        let at = self.emit(out)?;
        let end = at + payload.len();
        if let Some(dst) = out.get_mut(at..end) {
            dst.copy_from_slice(payload);
        }
        set_padding(out, end, padding)
    }
}

/// Pads the RTP packet of `len` bytes at the start of `out` with `padding` bytes (zeros ending
/// in the count) and sets its P bit; returns the new length. `padding == 0` changes nothing.
pub fn set_padding(out: &mut [u8], len: usize, padding: u8) -> Result<usize, WriteError> {
    if padding == 0 {
        return Ok(len);
    }
    let end = len + usize::from(padding);
    if out.len() < end || len == 0 {
        return Err(WriteError::BufferTooSmall {
            needed: end.max(RTP_FIXED_HEADER_LEN),
            available: out.len(),
        });
    }
    if let Some(pad) = out.get_mut(len..end) {
        pad.fill(0);
    }
    if let Some(last) = out.get_mut(end - 1) {
        *last = padding;
    }
    if let Some(first) = out.get_mut(0) {
        *first |= 0x20;
    }
    Ok(end)
}
