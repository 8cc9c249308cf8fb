//! Ogg (RFC 3533) pages and packets, and Ogg Opus (RFC 7845): the identification header
//! (OpusHead), the comment header (OpusTags) and audio packets with granule positions.

use std::borrow::Cow;

use crate::codecs::opus_packet_samples;
use crate::wire::Reader;
use crate::{ParseError, WriteError};

/// The capture pattern that starts every page (RFC 3533 §6).
const CAPTURE: &[u8; 4] = b"OggS";
/// Length of a page header before its segment table.
const PAGE_HEADER_LEN: usize = 27;
/// Header type flags (RFC 3533 §6).
const CONTINUED: u8 = 0x01;
const FIRST: u8 = 0x02;
const LAST: u8 = 0x04;
/// The page size this crate's writer aims for; a page may carry up to 255 segments.
const TARGET_PAGE_DATA: usize = 4096;

/// The Ogg CRC-32 table: polynomial 0x04C11DB7, not reflected (RFC 3533 §6).
const CRC_TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut r = (i as u32) << 24;
        let mut k = 0;
        while k < 8 {
            r = if r & 0x8000_0000 != 0 {
                (r << 1) ^ 0x04C1_1DB7
            } else {
                r << 1
            };
            k += 1;
        }
        table[i] = r;
        i += 1;
    }
    table
};

/// Continues the Ogg CRC `c` over `bytes`.
fn crc_update(c: u32, bytes: &[u8]) -> u32 {
    bytes.iter().fold(c, |c, &b| {
        (c << 8) ^ CRC_TABLE[usize::from((c >> 24) as u8 ^ b)]
    })
}

/// The Ogg CRC of `bytes` (initial value 0, no final XOR).
fn crc(bytes: &[u8]) -> u32 {
    crc_update(0, bytes)
}

/// One Ogg page (RFC 3533 §6), checked: capture pattern, version 0, segment table, CRC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OggPage<'a> {
    /// The header type flags: 0x01 continued packet, 0x02 first page, 0x04 last page.
    pub header_type: u8,
    /// The granule position: for Opus, 48 kHz samples up to the end of the last packet that
    /// ends on the page; -1 when none does.
    pub granule_position: i64,
    /// The bitstream serial number.
    pub serial: u32,
    /// The page sequence number.
    pub sequence: u32,
    /// The segment table (lacing values).
    pub segments: &'a [u8],
    /// The page's data.
    pub data: &'a [u8],
}

impl<'a> OggPage<'a> {
    /// Reads the page at the start of `bytes`; returns it and its length.
    pub fn parse(bytes: &'a [u8]) -> Result<(Self, usize), ParseError> {
        let mut r = Reader::new(bytes, "Ogg page header");
        if r.take(4)? != CAPTURE {
            return Err(ParseError::InvalidField("Ogg capture pattern"));
        }
        let version = r.u8()?;
        if version != 0 {
            return Err(ParseError::BadVersion {
                what: "Ogg page",
                version,
            });
        }
        let header_type = r.u8()?;
        let granule_position = r.u64_le()? as i64;
        let serial = r.u32_le()?;
        let sequence = r.u32_le()?;
        let received = r.u32_le()?;
        let count = r.u8()?;
        let mut r = Reader::new(r.rest(), "Ogg page");
        let segments = r.take(usize::from(count))?;
        let data_len: usize = segments.iter().map(|&s| usize::from(s)).sum();
        let data = r.take(data_len)?;
        let len = PAGE_HEADER_LEN + segments.len() + data_len;
        let page = bytes.get(..len).unwrap_or_default();
        // The CRC covers the page with its CRC field zeroed.
        let computed = crc_update(crc(page.get(..22).unwrap_or_default()), &[0; 4]);
        let computed = crc_update(computed, page.get(26..).unwrap_or_default());
        if computed != received {
            return Err(ParseError::BadChecksum { received, computed });
        }
        Ok((
            Self {
                header_type,
                granule_position,
                serial,
                sequence,
                segments,
                data,
            },
            len,
        ))
    }

    /// Whether the page starts with the rest of a packet from the previous page.
    pub const fn is_continued(&self) -> bool {
        self.header_type & CONTINUED != 0
    }

    /// Whether it is the first page of its logical bitstream.
    pub const fn is_first(&self) -> bool {
        self.header_type & FIRST != 0
    }

    /// Whether it is the last page of its logical bitstream.
    pub const fn is_last(&self) -> bool {
        self.header_type & LAST != 0
    }

    /// Appends the page to `out`, with its CRC.
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<(), WriteError> {
        let count = u8::try_from(self.segments.len()).map_err(|_| WriteError::TooMany {
            what: "Ogg segment table",
            count: self.segments.len(),
        })?;
        let data_len: usize = self.segments.iter().map(|&s| usize::from(s)).sum();
        if data_len != self.data.len() {
            return Err(WriteError::InvalidField("Ogg segment table"));
        }
        let start = out.len();
        out.extend_from_slice(CAPTURE);
        out.push(0);
        out.push(self.header_type);
        out.extend_from_slice(&self.granule_position.to_le_bytes());
        out.extend_from_slice(&self.serial.to_le_bytes());
        out.extend_from_slice(&self.sequence.to_le_bytes());
        out.extend_from_slice(&[0; 4]);
        out.push(count);
        out.extend_from_slice(self.segments);
        out.extend_from_slice(self.data);
        let sum = crc(out.get(start..).unwrap_or_default());
        if let Some(field) = out.get_mut(start + 22..start + 26) {
            field.copy_from_slice(&sum.to_le_bytes());
        }
        Ok(())
    }
}

/// One packet of a logical bitstream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OggPacket<'a> {
    /// The packet: borrowed when it lies in one page, copied when it spans pages.
    pub data: Cow<'a, [u8]>,
    /// The granule position of the page it ends on, when it is the last packet to end there.
    pub granule_position: Option<i64>,
    /// Whether it ends on the stream's last page.
    pub end_of_stream: bool,
}

/// Reads the packets of the first logical bitstream of an Ogg file held in memory (pages of
/// other serial numbers are skipped).
#[derive(Debug, Clone)]
pub struct OggPacketReader<'a> {
    rest: &'a [u8],
    serial: Option<u32>,
    page: Option<OggPage<'a>>,
    /// Position in the current page: segment index and data offset.
    segment: usize,
    offset: usize,
    /// The start of a packet that continues on the next page.
    pending: Vec<u8>,
    has_pending: bool,
    /// A page with the end-of-stream flag was read.
    seen_last: bool,
    failed: bool,
}

impl<'a> OggPacketReader<'a> {
    /// A reader over a whole file.
    pub fn new(file: &'a [u8]) -> Self {
        Self {
            rest: file,
            serial: None,
            page: None,
            segment: 0,
            offset: 0,
            pending: Vec::new(),
            has_pending: false,
            seen_last: false,
            failed: false,
        }
    }

    /// The serial number of the stream being read (known after the first page).
    pub const fn serial(&self) -> Option<u32> {
        self.serial
    }

    /// Loads the next page of the stream; `Ok(false)` at the end of the file.
    fn next_page(&mut self) -> Result<bool, ParseError> {
        loop {
            if self.rest.is_empty() {
                if self.has_pending {
                    return Err(ParseError::Truncated {
                        what: "Ogg packet",
                        needed: self.pending.len() + 1,
                        available: self.pending.len(),
                    });
                }
                if !self.seen_last {
                    // RFC 3533 §6: the last page of a stream carries the eos flag; without
                    // it the file was cut at a page boundary.
                    return Err(ParseError::Truncated {
                        what: "Ogg stream (no last page)",
                        needed: PAGE_HEADER_LEN,
                        available: 0,
                    });
                }
                return Ok(false);
            }
            let (page, len) = OggPage::parse(self.rest)?;
            self.rest = self.rest.get(len..).unwrap_or_default();
            match self.serial {
                None => self.serial = Some(page.serial),
                Some(s) if s != page.serial => continue,
                Some(_) => {}
            }
            let entering = self.page.is_none();
            if page.is_continued() != self.has_pending && !(page.is_continued() && entering) {
                // A packet cut short, or a continuation of nothing.
                return Err(ParseError::InvalidField("Ogg continued packet flag"));
            }
            self.seen_last |= page.is_last();
            self.segment = 0;
            self.offset = 0;
            if page.is_continued() && !self.has_pending {
                // The stream was entered mid-packet: skip the rest of that packet.
                while let Some(&l) = page.segments.get(self.segment) {
                    self.segment += 1;
                    self.offset += usize::from(l);
                    if l < 255 {
                        break;
                    }
                }
            }
            self.page = Some(page);
            return Ok(true);
        }
    }

    fn read(&mut self) -> Result<Option<OggPacket<'a>>, ParseError> {
        loop {
            let Some(page) = self.page.filter(|p| self.segment < p.segments.len()) else {
                if !self.next_page()? {
                    return Ok(None);
                }
                continue;
            };
            let start = self.offset;
            let mut ended = false;
            while let Some(&l) = page.segments.get(self.segment) {
                self.segment += 1;
                self.offset += usize::from(l);
                if l < 255 {
                    ended = true;
                    break;
                }
            }
            let piece = page.data.get(start..self.offset).unwrap_or_default();
            if !ended {
                if !self.has_pending {
                    self.pending.clear();
                }
                self.pending.extend_from_slice(piece);
                self.has_pending = true;
                continue;
            }
            let data = if self.has_pending {
                self.pending.extend_from_slice(piece);
                self.has_pending = false;
                Cow::Owned(std::mem::take(&mut self.pending))
            } else {
                Cow::Borrowed(piece)
            };
            // The page's granule position belongs to the last packet that ends on it.
            let last_on_page = page
                .segments
                .get(self.segment..)
                .is_none_or(|rest| rest.iter().all(|&l| l == 255));
            return Ok(Some(OggPacket {
                data,
                granule_position: last_on_page.then_some(page.granule_position),
                end_of_stream: page.is_last() && last_on_page,
            }));
        }
    }
}

impl<'a> Iterator for OggPacketReader<'a> {
    type Item = Result<OggPacket<'a>, ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let r = self.read().transpose();
        if matches!(r, Some(Err(_))) {
            self.failed = true;
        }
        r
    }
}

/// Writes the pages of one logical bitstream onto a `Vec<u8>`.
#[derive(Debug, Clone)]
pub struct OggWriter {
    serial: u32,
    sequence: u32,
    segments: Vec<u8>,
    data: Vec<u8>,
    /// The granule position of the last packet that ended on the pending page.
    granule: Option<i64>,
    /// The pending page begins with the rest of a packet.
    continued: bool,
    wrote_first: bool,
    last_granule: i64,
}

impl OggWriter {
    /// A writer for the bitstream `serial`.
    pub fn new(serial: u32) -> Self {
        Self {
            serial,
            sequence: 0,
            segments: Vec::new(),
            data: Vec::new(),
            granule: None,
            continued: false,
            wrote_first: false,
            last_granule: 0,
        }
    }

    /// Adds a packet ending at `granule_position`; pages fill up and are written as they go
    /// (the last one stays pending until [`OggWriter::flush`] or [`OggWriter::finish`]).
    pub fn write_packet(&mut self, packet: &[u8], granule_position: i64, out: &mut Vec<u8>) {
        if self.data.len() >= TARGET_PAGE_DATA {
            self.write_page(false, out);
        }
        // RFC 3533 §6: lacing values of 255 while the packet continues, then one below 255.
        let mut left = packet;
        let mut started = false;
        loop {
            if self.segments.len() == 255 {
                self.write_page(false, out);
                // The next page continues this packet if part of it went on this one.
                self.continued = started;
            }
            started = true;
            let n = left.len().min(255);
            self.segments.push(n as u8);
            let (chunk, tail) = left.split_at(n);
            self.data.extend_from_slice(chunk);
            left = tail;
            if n < 255 {
                break;
            }
        }
        self.granule = Some(granule_position);
        self.last_granule = granule_position;
    }

    /// Writes the pending page, if any, so that the next packet starts a new page.
    pub fn flush(&mut self, out: &mut Vec<u8>) {
        if !self.segments.is_empty() {
            self.write_page(false, out);
        }
    }

    /// Writes the last page (with the end-of-stream flag; empty if nothing was pending).
    pub fn finish(mut self, out: &mut Vec<u8>) {
        if self.segments.is_empty() {
            self.granule = Some(self.last_granule);
        }
        self.write_page(true, out);
    }

    fn write_page(&mut self, last: bool, out: &mut Vec<u8>) {
        let flag = |on: bool, bit: u8| if on { bit } else { 0 };
        let header_type =
            flag(self.continued, CONTINUED) | flag(!self.wrote_first, FIRST) | flag(last, LAST);
        let page = OggPage {
            header_type,
            granule_position: self.granule.unwrap_or(-1),
            serial: self.serial,
            sequence: self.sequence,
            segments: &self.segments,
            data: &self.data,
        };
        // The table has at most 255 entries summing to the data: cannot fail.
        let _ = page.emit(out);
        self.sequence = self.sequence.wrapping_add(1);
        self.wrote_first = true;
        self.continued = false;
        self.granule = None;
        self.segments.clear();
        self.data.clear();
    }
}

/// The identification header of an Ogg Opus stream (RFC 7845 §5.1).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OpusHead {
    /// The version: major 0 (the high nibble) is what this crate reads.
    pub version: u8,
    /// Output channels, 1..=255.
    pub channels: u8,
    /// Samples (48 kHz) to discard from the decoder's output at the start.
    pub pre_skip: u16,
    /// The sample rate of the original input (informational).
    pub input_sample_rate: u32,
    /// Gain to apply, Q7.8 dB.
    pub output_gain: i16,
    /// The channel mapping family (0: mono or stereo, 1: Vorbis order, 255: undefined).
    pub mapping_family: u8,
    /// For families other than 0: streams, coupled streams and the channel mapping.
    pub mapping: Option<OpusChannelMapping>,
}

/// The channel mapping table of an [`OpusHead`] (RFC 7845 §5.1.1).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OpusChannelMapping {
    /// Opus streams per packet.
    pub stream_count: u8,
    /// How many of them are stereo.
    pub coupled_count: u8,
    /// One entry per output channel.
    pub channel_mapping: Vec<u8>,
}

const OPUS_HEAD: &[u8; 8] = b"OpusHead";
const OPUS_TAGS: &[u8; 8] = b"OpusTags";

impl OpusHead {
    /// A mono or stereo header (mapping family 0) for 48 kHz input.
    pub fn new(channels: u8, pre_skip: u16) -> Self {
        Self {
            version: 1,
            channels,
            pre_skip,
            input_sample_rate: 48_000,
            output_gain: 0,
            mapping_family: 0,
            mapping: None,
        }
    }

    /// Reads the header packet.
    pub fn parse(packet: &[u8]) -> Result<Self, ParseError> {
        let mut r = Reader::new(packet, "OpusHead");
        if r.take(8)? != OPUS_HEAD {
            return Err(ParseError::InvalidField("OpusHead signature"));
        }
        let version = r.u8()?;
        if version >> 4 != 0 {
            return Err(ParseError::BadVersion {
                what: "OpusHead",
                version,
            });
        }
        let channels = r.u8()?;
        if channels == 0 {
            return Err(ParseError::InvalidField("OpusHead channel count"));
        }
        let pre_skip = r.u16_le()?;
        let input_sample_rate = r.u32_le()?;
        let output_gain = r.u16_le()? as i16;
        let mapping_family = r.u8()?;
        let mapping = if mapping_family == 0 {
            if channels > 2 {
                return Err(ParseError::InvalidField("OpusHead channel count"));
            }
            None
        } else {
            let stream_count = r.u8()?;
            let coupled_count = r.u8()?;
            if stream_count == 0 || coupled_count > stream_count {
                return Err(ParseError::InvalidField("OpusHead stream counts"));
            }
            Some(OpusChannelMapping {
                stream_count,
                coupled_count,
                channel_mapping: r.take(usize::from(channels))?.to_vec(),
            })
        };
        // RFC 7845 §5.1: a later minor version may append fields; they are ignored.
        Ok(Self {
            version,
            channels,
            pre_skip,
            input_sample_rate,
            output_gain,
            mapping_family,
            mapping,
        })
    }

    /// The header packet.
    pub fn to_bytes(&self) -> Result<Vec<u8>, WriteError> {
        let mut b = Vec::with_capacity(19);
        b.extend_from_slice(OPUS_HEAD);
        b.push(self.version);
        b.push(self.channels);
        b.extend_from_slice(&self.pre_skip.to_le_bytes());
        b.extend_from_slice(&self.input_sample_rate.to_le_bytes());
        b.extend_from_slice(&self.output_gain.to_le_bytes());
        b.push(self.mapping_family);
        match (&self.mapping, self.mapping_family) {
            (None, 0) => {}
            (Some(m), f) if f != 0 && m.channel_mapping.len() == usize::from(self.channels) => {
                b.push(m.stream_count);
                b.push(m.coupled_count);
                b.extend_from_slice(&m.channel_mapping);
            }
            _ => return Err(WriteError::InvalidField("OpusHead channel mapping")),
        }
        Ok(b)
    }
}

/// The comment header of an Ogg Opus stream (RFC 7845 §5.2).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct OpusTags {
    /// The encoder's name.
    pub vendor: String,
    /// `NAME=value` comments.
    pub comments: Vec<String>,
}

impl OpusTags {
    /// Reads the header packet (data after the comments is ignored, RFC 7845 §5.2).
    pub fn parse(packet: &[u8]) -> Result<Self, ParseError> {
        let mut r = Reader::new(packet, "OpusTags");
        if r.take(8)? != OPUS_TAGS {
            return Err(ParseError::InvalidField("OpusTags signature"));
        }
        let string = |r: &mut Reader<'_>| -> Result<String, ParseError> {
            let len = r.u32_le()?;
            let bytes = r.take(usize::try_from(len).unwrap_or(usize::MAX))?;
            String::from_utf8(bytes.to_vec()).map_err(|_| ParseError::InvalidField("OpusTags text"))
        };
        let vendor = string(&mut r)?;
        let count = r.u32_le()?;
        // Each comment takes at least its 4-byte length: do not trust the count for capacity.
        let mut comments = Vec::with_capacity((count as usize).min(r.remaining() / 4));
        for _ in 0..count {
            comments.push(string(&mut r)?);
        }
        Ok(Self { vendor, comments })
    }

    /// The header packet.
    pub fn to_bytes(&self) -> Result<Vec<u8>, WriteError> {
        let mut b = Vec::new();
        b.extend_from_slice(OPUS_TAGS);
        let string = |b: &mut Vec<u8>, s: &str| -> Result<(), WriteError> {
            let len = u32::try_from(s.len()).map_err(|_| WriteError::TooLong {
                what: "OpusTags text",
                length: s.len(),
            })?;
            b.extend_from_slice(&len.to_le_bytes());
            b.extend_from_slice(s.as_bytes());
            Ok(())
        };
        string(&mut b, &self.vendor)?;
        let count = u32::try_from(self.comments.len()).map_err(|_| WriteError::TooMany {
            what: "OpusTags comments",
            count: self.comments.len(),
        })?;
        b.extend_from_slice(&count.to_le_bytes());
        for c in &self.comments {
            string(&mut b, c)?;
        }
        Ok(b)
    }
}

/// An audio packet of an Ogg Opus stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpusPacket<'a> {
    /// The Opus packet.
    pub data: Cow<'a, [u8]>,
    /// The granule position of its page, when it is the last packet to end there.
    pub granule_position: Option<i64>,
}

/// Reads an Ogg Opus file held in memory (RFC 7845 §3): OpusHead on the first page, OpusTags,
/// then the audio packets.
#[derive(Debug, Clone)]
pub struct OggOpusReader<'a> {
    packets: OggPacketReader<'a>,
    head: OpusHead,
    tags: OpusTags,
}

impl<'a> OggOpusReader<'a> {
    /// Reads the two header packets of `file`.
    pub fn new(file: &'a [u8]) -> Result<Self, ParseError> {
        let mut packets = OggPacketReader::new(file);
        fn header<'a>(
            packets: &mut OggPacketReader<'a>,
            what: &'static str,
        ) -> Result<OggPacket<'a>, ParseError> {
            packets.next().unwrap_or(Err(ParseError::Truncated {
                what,
                needed: 8,
                available: 0,
            }))
        }
        let head = OpusHead::parse(&header(&mut packets, "OpusHead")?.data)?;
        if !packets.page.is_some_and(|p| p.is_first()) {
            // RFC 7845 §3: OpusHead is alone on the stream's first page.
            return Err(ParseError::InvalidField("Ogg Opus first page"));
        }
        let tags = OpusTags::parse(&header(&mut packets, "OpusTags")?.data)?;
        Ok(Self {
            packets,
            head,
            tags,
        })
    }

    /// The identification header.
    pub const fn head(&self) -> &OpusHead {
        &self.head
    }

    /// The comment header.
    pub const fn tags(&self) -> &OpusTags {
        &self.tags
    }
}

impl<'a> Iterator for OggOpusReader<'a> {
    type Item = Result<OpusPacket<'a>, ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        Some(self.packets.next()?.map(|p| OpusPacket {
            data: p.data,
            granule_position: p.granule_position,
        }))
    }
}

/// Writes an Ogg Opus file onto a `Vec<u8>` (RFC 7845 §3): OpusHead alone on the first page,
/// OpusTags on its own pages, then audio pages whose granule positions count the samples of
/// the packets (their TOC bytes say how many).
#[derive(Debug, Clone)]
pub struct OggOpusWriter {
    ogg: OggWriter,
    granule: i64,
}

impl OggOpusWriter {
    /// Appends the header pages for stream `serial` to `out`.
    pub fn new(
        serial: u32,
        head: &OpusHead,
        tags: &OpusTags,
        out: &mut Vec<u8>,
    ) -> Result<Self, WriteError> {
        let mut ogg = OggWriter::new(serial);
        ogg.write_packet(&head.to_bytes()?, 0, out);
        ogg.flush(out);
        ogg.write_packet(&tags.to_bytes()?, 0, out);
        ogg.flush(out);
        Ok(Self { ogg, granule: 0 })
    }

    /// Adds an audio packet.
    pub fn write_packet(&mut self, packet: &[u8], out: &mut Vec<u8>) -> Result<(), WriteError> {
        let samples =
            opus_packet_samples(packet).map_err(|_| WriteError::InvalidFrame("Opus packet TOC"))?;
        self.granule += i64::from(samples);
        self.ogg.write_packet(packet, self.granule, out);
        Ok(())
    }

    /// The granule position so far: pre-skip included, 48 kHz samples.
    pub const fn granule_position(&self) -> i64 {
        self.granule
    }

    /// Writes the last page.
    pub fn finish(self, out: &mut Vec<u8>) {
        self.ogg.finish(out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_matches_the_ogg_reference_value() {
        // CRC-32/MPEG-2 without the init and final XOR: check value of "123456789" for
        // poly 0x04C11DB7, init 0, no reflection, no XOR out (CRC-32/CKSUM core).
        assert_eq!(crc(b"123456789"), 0x89A1_897F);
    }

    #[test]
    fn packets_spanning_pages_read_back() {
        let mut out = Vec::new();
        let mut w = OggWriter::new(7);
        let big: Vec<u8> = (0..70_000u32).map(|i| i as u8).collect();
        w.write_packet(b"first", 0, &mut out);
        w.flush(&mut out);
        w.write_packet(&big, 10, &mut out);
        w.write_packet(&[0xAB; 255], 20, &mut out);
        w.write_packet(&[], 30, &mut out);
        w.finish(&mut out);
        let packets: Vec<_> = OggPacketReader::new(&out)
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(packets.len(), 4);
        assert_eq!(&*packets[0].data, b"first");
        assert_eq!(&*packets[1].data, &big[..]);
        assert_eq!(&*packets[2].data, &[0xAB; 255][..]);
        assert!(packets[3].data.is_empty());
        assert_eq!(packets[3].granule_position, Some(30));
        assert!(packets[3].end_of_stream);
        // Every page parses alone with its CRC; a flipped byte breaks it.
        let mut rest = &out[..];
        let mut pages = 0;
        while !rest.is_empty() {
            let (_, len) = OggPage::parse(rest).unwrap();
            rest = &rest[len..];
            pages += 1;
        }
        assert!(pages >= 4);
        let mut bad = out.clone();
        bad[30] ^= 1;
        assert!(matches!(
            OggPage::parse(&bad),
            Err(ParseError::BadChecksum { .. })
        ));
    }

    #[test]
    fn a_packet_after_a_full_page_starts_a_fresh_page() {
        let mut out = Vec::new();
        let mut w = OggWriter::new(3);
        for i in 0..255 {
            w.write_packet(&[i as u8], i, &mut out);
        }
        w.write_packet(&[0xAA; 300], 255, &mut out);
        w.finish(&mut out);
        let (first, len) = OggPage::parse(&out).unwrap();
        assert_eq!(first.segments.len(), 255);
        let (second, _) = OggPage::parse(&out[len..]).unwrap();
        assert!(!second.is_continued() && second.is_last());
        let packets: Vec<_> = OggPacketReader::new(&out)
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(packets.len(), 256);
        assert_eq!(packets[254].granule_position, Some(254));
        assert_eq!(&*packets[255].data, &[0xAA; 300][..]);
    }

    #[test]
    fn truncated_files_are_errors() {
        let mut out = Vec::new();
        let mut w =
            OggOpusWriter::new(1, &OpusHead::new(2, 312), &OpusTags::default(), &mut out).unwrap();
        w.write_packet(&[0xFC, 1, 2, 3], &mut out).unwrap();
        w.finish(&mut out);
        let whole: Vec<_> = OggOpusReader::new(&out)
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(whole.len(), 1);
        assert_eq!(whole[0].granule_position, Some(960));
        for cut in 1..out.len() {
            let r = OggOpusReader::new(&out[..cut]).and_then(|r| r.collect::<Result<Vec<_>, _>>());
            assert!(r.is_err(), "cut at {cut}");
        }
    }

    #[test]
    fn opus_head_with_a_mapping_table_round_trips() {
        let head = OpusHead {
            mapping_family: 1,
            mapping: Some(OpusChannelMapping {
                stream_count: 2,
                coupled_count: 1,
                channel_mapping: vec![0, 2, 1],
            }),
            ..OpusHead::new(3, 3840)
        };
        let bytes = head.to_bytes().unwrap();
        assert_eq!(bytes.len(), 19 + 2 + 3);
        assert_eq!(OpusHead::parse(&bytes), Ok(head));
        assert!(OpusHead::parse(&bytes[..20]).is_err());
    }
}
