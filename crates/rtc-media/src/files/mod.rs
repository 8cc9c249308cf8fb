//! Media files, read from bytes in memory and written onto a `Vec<u8>`: IVF (VP8, VP9, AV1),
//! Ogg Opus (RFC 3533, RFC 7845) and H.264/H.265 Annex B byte streams.

pub mod annexb;
mod ivf;
mod ogg;

pub use annexb::{
    AccessUnit, AnnexBCodec, AnnexBReader, NalUnit, NalUnits, nal_units, write_nal_unit,
};
pub use ivf::{
    IVF_FRAME_HEADER_LEN, IVF_HEADER_LEN, IvfFrame, IvfHeader, IvfReader, IvfWriter, fourcc,
};
pub use ogg::{
    OggOpusReader, OggOpusWriter, OggPacket, OggPacketReader, OggPage, OggWriter,
    OpusChannelMapping, OpusHead, OpusPacket, OpusTags,
};
