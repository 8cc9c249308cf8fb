//! ChannelData messages (RFC 8656 §12.4) and stream framing over TCP (RFC 8656 §12.5, §6.2.2).

use crate::Error;

/// First channel number.
pub const CHANNEL_MIN: u16 = 0x4000;
/// Last channel number.
pub const CHANNEL_MAX: u16 = 0x4FFF;

/// Last channel number of RFC 5766, which RFC 8656 narrowed to 0x4FFF; deployed clients (coturn's
/// `turnutils_uclient` among them) still pick from the old range, so a server accepts it.
pub const LEGACY_CHANNEL_MAX: u16 = 0x7FFF;

/// True for the channel numbers RFC 8656 §12 allows; a client binds only these.
pub fn is_valid_channel(number: u16) -> bool {
    (CHANNEL_MIN..=CHANNEL_MAX).contains(&number)
}

/// True for the channel numbers RFC 5766 allowed (0x4000-0x7FFF), which a server accepts.
pub fn is_legacy_channel(number: u16) -> bool {
    (CHANNEL_MIN..=LEGACY_CHANNEL_MAX).contains(&number)
}

/// A ChannelData message: 2-byte channel number, 2-byte length, the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChannelData<'a> {
    /// The channel.
    pub channel: u16,
    /// The application data.
    pub data: &'a [u8],
}

/// True when `bytes` starts like ChannelData: the first byte is 0x40-0x7F (RFC 7983 §7 puts
/// RFC 8656 channels in 64-79; RFC 5766 channels reach 127, and nothing else a TURN server
/// receives starts there).
pub fn is_channel_data(bytes: &[u8]) -> bool {
    bytes.first().is_some_and(|b| (0x40..=0x7F).contains(b))
}

impl<'a> ChannelData<'a> {
    /// Parses a ChannelData message (channel numbers of RFC 5766's range included). Over UDP the datagram may carry padding after the data
    /// (RFC 8656 §12.5 lets a sender pad); over TCP see [`frame_len`].
    pub fn parse(bytes: &'a [u8]) -> Result<Self, Error> {
        if bytes.len() < 4 {
            return Err(Error::ChannelDataTruncated {
                needed: 4,
                available: bytes.len(),
            });
        }
        let channel = u16::from_be_bytes([bytes[0], bytes[1]]);
        if !is_legacy_channel(channel) {
            return Err(Error::InvalidChannel(channel));
        }
        let len = usize::from(u16::from_be_bytes([bytes[2], bytes[3]]));
        let data = bytes.get(4..4 + len).ok_or(Error::ChannelDataTruncated {
            needed: 4 + len,
            available: bytes.len(),
        })?;
        // Up to 3 bytes of padding may follow (RFC 8656 §12.5); anything more is garbage.
        let padded = (4 + len + 3) & !3;
        if bytes.len() > padded {
            return Err(Error::ChannelDataTrailing(bytes.len() - padded));
        }
        Ok(Self { channel, data })
    }

    /// Bytes [`ChannelData::emit`] writes; `pad` rounds up to 4 as TCP framing requires.
    pub fn encoded_len(&self, pad: bool) -> usize {
        let len = 4 + self.data.len();
        if pad { (len + 3) & !3 } else { len }
    }

    /// Writes the message into `out`, returning its length.
    pub fn emit(&self, out: &mut [u8], pad: bool) -> Result<usize, Error> {
        let len = self.encoded_len(pad);
        if out.len() < len {
            return Err(Error::BufferTooSmall {
                needed: len,
                available: out.len(),
            });
        }
        if self.data.len() > usize::from(u16::MAX) {
            return Err(Error::BufferTooSmall {
                needed: self.data.len(),
                available: usize::from(u16::MAX),
            });
        }
        out[0..2].copy_from_slice(&self.channel.to_be_bytes());
        out[2..4].copy_from_slice(&(self.data.len() as u16).to_be_bytes());
        out[4..4 + self.data.len()].copy_from_slice(self.data);
        out[4 + self.data.len()..len].fill(0);
        Ok(len)
    }
}

/// Over a stream (TCP, TLS), the length of the complete STUN or ChannelData frame at the start
/// of `buffer`, or `None` if more bytes are needed. STUN messages carry their length; ChannelData
/// is padded to a multiple of 4 on streams (RFC 8656 §12.5).
pub fn frame_len(buffer: &[u8]) -> Result<Option<usize>, Error> {
    if buffer.len() < 4 {
        return Ok(None);
    }
    let len = usize::from(u16::from_be_bytes([buffer[2], buffer[3]]));
    let frame = if is_channel_data(buffer) {
        (4 + len + 3) & !3
    } else if buffer[0] < 4 {
        rtc_stun::HEADER_LEN + len
    } else {
        return Err(Error::NotTurn);
    };
    Ok((buffer.len() >= frame).then_some(frame))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emit_parse_and_frame() {
        let cd = ChannelData {
            channel: 0x4001,
            data: b"hello",
        };
        let mut buf = [0u8; 16];
        assert_eq!(cd.emit(&mut buf, false).unwrap(), 9);
        assert_eq!(ChannelData::parse(&buf[..9]).unwrap(), cd);
        assert_eq!(cd.emit(&mut buf, true).unwrap(), 12);
        assert_eq!(frame_len(&buf[..12]).unwrap(), Some(12));
        assert_eq!(frame_len(&buf[..11]).unwrap(), None);
        assert_eq!(
            ChannelData::parse(&[0x3F, 0xFF, 0, 0]),
            Err(Error::InvalidChannel(0x3FFF))
        );
        assert!(matches!(
            ChannelData::parse(&[0x40, 0x00, 0, 9, 1]),
            Err(Error::ChannelDataTruncated { .. })
        ));
        assert_eq!(frame_len(&[0x80, 0, 0, 0]), Err(Error::NotTurn));
        assert!(ChannelData::parse(&[0x61, 0x07, 0, 0]).is_ok());
        assert!(ChannelData::parse(&[0x40, 0x00, 0, 1, 9, 0, 0, 0]).is_ok());
        assert_eq!(
            ChannelData::parse(&[0x40, 0x00, 0, 1, 9, 0, 0, 0, 0]),
            Err(Error::ChannelDataTrailing(1))
        );
        assert!(!is_valid_channel(0x6107) && is_legacy_channel(0x6107));
    }
}
