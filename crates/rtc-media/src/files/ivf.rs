//! IVF, the container libvpx and libaom write: a 32-byte file header, then frames each with a
//! 12-byte header (size, timestamp). All fields little-endian.

use crate::wire::Reader;
use crate::{ParseError, WriteError};

/// The file signature.
const SIGNATURE: &[u8; 4] = b"DKIF";
/// Length of the file header.
pub const IVF_HEADER_LEN: usize = 32;
/// Length of a frame header.
pub const IVF_FRAME_HEADER_LEN: usize = 12;

/// Codec four-character codes.
pub mod fourcc {
    /// VP8.
    pub const VP8: [u8; 4] = *b"VP80";
    /// VP9.
    pub const VP9: [u8; 4] = *b"VP90";
    /// AV1.
    pub const AV1: [u8; 4] = *b"AV01";
}

/// The IVF file header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IvfHeader {
    /// The format version (0).
    pub version: u16,
    /// The codec ([`fourcc`]).
    pub fourcc: [u8; 4],
    /// Width in pixels.
    pub width: u16,
    /// Height in pixels.
    pub height: u16,
    /// The timebase denominator (the "rate": 30 for a 1/30 s timebase).
    pub timebase_denominator: u32,
    /// The timebase numerator (the "scale").
    pub timebase_numerator: u32,
    /// Number of frames, as the writer announced it (not checked).
    pub frame_count: u32,
    /// The unused last 4 bytes, kept so that a file writes back as it was.
    pub unused: u32,
}

impl IvfHeader {
    /// A version 0 header with a 1/`rate` timebase and no frame count.
    pub const fn new(fourcc: [u8; 4], width: u16, height: u16, rate: u32) -> Self {
        Self {
            version: 0,
            fourcc,
            width,
            height,
            timebase_denominator: rate,
            timebase_numerator: 1,
            frame_count: 0,
            unused: 0,
        }
    }

    /// Reads the header at the start of a file; returns it and the header length (at least
    /// 32; a longer header's extra bytes are skipped).
    pub fn parse(file: &[u8]) -> Result<(Self, usize), ParseError> {
        let mut r = Reader::new(file, "IVF header");
        if r.take(4)? != SIGNATURE {
            return Err(ParseError::InvalidField("IVF signature"));
        }
        let version = r.u16_le()?;
        let header_len = usize::from(r.u16_le()?);
        if header_len < IVF_HEADER_LEN {
            return Err(ParseError::BadLength {
                what: "IVF header",
                length: header_len,
            });
        }
        let header = Self {
            version,
            fourcc: r.array()?,
            width: r.u16_le()?,
            height: r.u16_le()?,
            timebase_denominator: r.u32_le()?,
            timebase_numerator: r.u32_le()?,
            frame_count: r.u32_le()?,
            unused: r.u32_le()?,
        };
        if file.len() < header_len {
            return Err(ParseError::Truncated {
                what: "IVF header",
                needed: header_len,
                available: file.len(),
            });
        }
        Ok((header, header_len))
    }

    /// The 32 header bytes.
    pub fn to_bytes(&self) -> [u8; IVF_HEADER_LEN] {
        let mut b = [0u8; IVF_HEADER_LEN];
        let fields: [&[u8]; 10] = [
            SIGNATURE,
            &self.version.to_le_bytes(),
            &(IVF_HEADER_LEN as u16).to_le_bytes(),
            &self.fourcc,
            &self.width.to_le_bytes(),
            &self.height.to_le_bytes(),
            &self.timebase_denominator.to_le_bytes(),
            &self.timebase_numerator.to_le_bytes(),
            &self.frame_count.to_le_bytes(),
            &self.unused.to_le_bytes(),
        ];
        let mut at = 0;
        for f in fields {
            if let Some(dst) = b.get_mut(at..at + f.len()) {
                dst.copy_from_slice(f);
            }
            at += f.len();
        }
        b
    }
}

/// One frame of an IVF file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IvfFrame<'a> {
    /// Its presentation timestamp, in the header's timebase.
    pub timestamp: u64,
    /// The encoded frame.
    pub data: &'a [u8],
}

/// Reads an IVF file held in memory: the header, then the frames.
///
/// ```
/// use rtc_media::files::{IvfHeader, IvfReader, IvfWriter, fourcc};
///
/// let mut file = Vec::new();
/// let mut writer = IvfWriter::new(IvfHeader::new(fourcc::VP8, 160, 120, 30), &mut file);
/// writer.write_frame(0, &[0x10, 0x02, 0x00], &mut file)?;
/// let reader = IvfReader::new(&file)?;
/// assert_eq!(reader.header().width, 160);
/// let frames: Vec<_> = reader.collect::<Result<_, _>>()?;
/// assert_eq!(frames[0].data, [0x10, 0x02, 0x00]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct IvfReader<'a> {
    header: IvfHeader,
    rest: &'a [u8],
}

impl<'a> IvfReader<'a> {
    /// Reads the header of `file`.
    pub fn new(file: &'a [u8]) -> Result<Self, ParseError> {
        let (header, len) = IvfHeader::parse(file)?;
        Ok(Self {
            header,
            rest: file.get(len..).unwrap_or_default(),
        })
    }

    /// The file header.
    pub const fn header(&self) -> &IvfHeader {
        &self.header
    }
}

impl<'a> Iterator for IvfReader<'a> {
    type Item = Result<IvfFrame<'a>, ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let mut r = Reader::new(self.rest, "IVF frame");
        let frame = (|| {
            let size = r.u32_le()?;
            let timestamp = r.u64_le()?;
            let data = r.take(usize::try_from(size).unwrap_or(usize::MAX))?;
            Ok(IvfFrame { timestamp, data })
        })();
        // After an error there is nothing more to read.
        self.rest = if frame.is_ok() { r.rest() } else { &[] };
        Some(frame)
    }
}

/// Writes an IVF file onto a `Vec<u8>`.
#[derive(Debug, Clone)]
pub struct IvfWriter {
    frames: u32,
}

impl IvfWriter {
    /// Appends `header` to `out`. Its frame count is written as given (set it beforehand, or
    /// patch the 4 bytes at offset 24 with [`IvfWriter::frames`] once done).
    pub fn new(header: IvfHeader, out: &mut Vec<u8>) -> Self {
        out.extend_from_slice(&header.to_bytes());
        Self { frames: 0 }
    }

    /// Appends a frame.
    pub fn write_frame(
        &mut self,
        timestamp: u64,
        frame: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), WriteError> {
        let size = u32::try_from(frame.len()).map_err(|_| WriteError::TooLong {
            what: "IVF frame",
            length: frame.len(),
        })?;
        out.extend_from_slice(&size.to_le_bytes());
        out.extend_from_slice(&timestamp.to_le_bytes());
        out.extend_from_slice(frame);
        self.frames = self.frames.saturating_add(1);
        Ok(())
    }

    /// Frames written so far.
    pub const fn frames(&self) -> u32 {
        self.frames
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncated_files_are_errors() {
        let mut file = Vec::new();
        let mut w = IvfWriter::new(IvfHeader::new(fourcc::AV1, 64, 48, 25), &mut file);
        w.write_frame(7, &[1, 2, 3], &mut file).unwrap();
        assert_eq!(w.frames(), 1);
        for cut in 0..file.len() {
            let prefix = &file[..cut];
            let ok = IvfReader::new(prefix).and_then(|r| r.collect::<Result<Vec<_>, _>>());
            if cut == IVF_HEADER_LEN {
                assert_eq!(ok, Ok(vec![]));
            } else {
                assert!(ok.is_err(), "cut at {cut}");
            }
        }
        let mut bad = file.clone();
        bad[0] = b'X';
        assert_eq!(
            IvfReader::new(&bad).err(),
            Some(ParseError::InvalidField("IVF signature"))
        );
    }
}
