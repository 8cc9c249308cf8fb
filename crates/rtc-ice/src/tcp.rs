//! RFC 4571 framing for ICE-TCP (RFC 6544 §7.1, §10): on a TCP connection every STUN message
//! and every media or DTLS datagram goes behind a 16-bit big-endian length. The agent speaks
//! in datagrams and never sees a socket; the driver owns the TCP connections and uses
//! [`encode`] (or [`header`]) to put a [`crate::Transmit`] on a stream and a [`FrameDecoder`]
//! per connection to take whole frames off it for [`crate::Agent::handle_tcp_packet`].
//!
//! ```
//! use rtc_ice::tcp::{self, FrameDecoder};
//!
//! let mut wire = [0u8; 64];
//! let n = tcp::encode(b"stun or dtls", &mut wire).unwrap();
//! let mut decoder = FrameDecoder::new();
//! let mut frames = Vec::new();
//! // Stream bytes arrive in any split.
//! for chunk in wire[..n].chunks(5) {
//!     decoder.decode(chunk, |frame| frames.push(frame.to_vec())).unwrap();
//! }
//! assert_eq!(frames, [b"stun or dtls".to_vec()]);
//! ```

/// The length prefix: 2 bytes (RFC 4571 §2).
pub const HEADER_LEN: usize = 2;

/// The largest payload a frame can carry: the 16-bit length's maximum.
pub const MAX_FRAME_LEN: usize = 65535;

/// What went wrong framing or deframing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FramingError {
    /// A payload to send is longer than a frame can carry (local misuse).
    #[error("payload of {length} bytes does not fit a frame (at most {MAX_FRAME_LEN})")]
    PayloadTooLong {
        /// The payload's length.
        length: usize,
    },
    /// The caller's buffer is too small for the frame (local misuse).
    #[error("buffer of {available} bytes, the frame needs {needed}")]
    BufferTooSmall {
        /// Bytes the frame needs.
        needed: usize,
        /// Bytes the buffer has.
        available: usize,
    },
    /// The peer announced a frame longer than this decoder accepts
    /// ([`FrameDecoder::with_max_frame`]). The stream cannot be resynchronised: close the
    /// connection.
    #[error("the peer announced a frame of {length} bytes, at most {max} accepted")]
    FrameTooLong {
        /// The announced length.
        length: usize,
        /// The decoder's limit.
        max: usize,
    },
}

/// The bytes a frame of `payload_len` takes on the stream.
pub const fn encoded_len(payload_len: usize) -> usize {
    HEADER_LEN + payload_len
}

/// The 2-byte length prefix for a payload of `payload_len` bytes, for a driver that writes the
/// header and the payload separately (vectored writes, no copy).
pub fn header(payload_len: usize) -> Result<[u8; HEADER_LEN], FramingError> {
    let len = u16::try_from(payload_len).map_err(|_| FramingError::PayloadTooLong {
        length: payload_len,
    })?;
    Ok(len.to_be_bytes())
}

/// Writes `payload` as one frame at the start of `out`; returns the bytes written
/// ([`encoded_len`]).
pub fn encode(payload: &[u8], out: &mut [u8]) -> Result<usize, FramingError> {
    let header = header(payload.len())?;
    let needed = encoded_len(payload.len());
    let Some(out) = out.get_mut(..needed) else {
        return Err(FramingError::BufferTooSmall {
            needed,
            available: out.len(),
        });
    };
    out[..HEADER_LEN].copy_from_slice(&header);
    out[HEADER_LEN..].copy_from_slice(payload);
    Ok(needed)
}

/// Takes RFC 4571 frames off a TCP byte stream: feed it what the socket read, in whatever
/// pieces, and whole frames come out. One per connection.
///
/// Its memory is bounded: it holds at most [`HEADER_LEN`] + the largest accepted frame
/// (65,537 bytes by default; less with [`FrameDecoder::with_max_frame`]). A length above the
/// limit is the peer's error ([`FramingError::FrameTooLong`]), and every later call returns
/// it again. Zero-length frames are returned like any other (they are not STUN: the
/// driver's to ignore).
#[derive(Debug, Clone)]
pub struct FrameDecoder {
    /// Bytes received and not yet returned start at `start`.
    buf: Vec<u8>,
    start: usize,
    max_frame: usize,
    failed: Option<FramingError>,
}

impl Default for FrameDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl FrameDecoder {
    /// A decoder accepting frames up to [`MAX_FRAME_LEN`].
    pub fn new() -> Self {
        Self::with_max_frame(MAX_FRAME_LEN)
    }

    /// A decoder accepting frames up to `max_frame` bytes (at most [`MAX_FRAME_LEN`]): less
    /// memory per connection when the datagrams are known to be small (STUN, DTLS records
    /// and SRTP fit in 1,500).
    pub fn with_max_frame(max_frame: usize) -> Self {
        Self {
            buf: Vec::new(),
            start: 0,
            max_frame: max_frame.min(MAX_FRAME_LEN),
            failed: None,
        }
    }

    /// The largest frame accepted.
    pub fn max_frame(&self) -> usize {
        self.max_frame
    }

    /// Bytes held (a partial frame, or frames not yet taken with
    /// [`FrameDecoder::next_frame`]).
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.start
    }

    fn capacity(&self) -> usize {
        HEADER_LEN + self.max_frame
    }

    /// Takes stream bytes, as many as the bounded buffer holds, and returns how many it
    /// took. After [`FrameDecoder::next_frame`] has returned every whole frame, it takes at
    /// least one byte; [`FrameDecoder::decode`] does that loop.
    pub fn feed(&mut self, bytes: &[u8]) -> usize {
        if self.failed.is_some() {
            return bytes.len(); // the stream is dead: swallow it
        }
        if self.start > 0 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        let room = self.capacity().saturating_sub(self.buf.len());
        let n = room.min(bytes.len());
        self.buf.extend_from_slice(&bytes[..n]);
        n
    }

    /// The next whole frame's payload, or `None` until more bytes arrive.
    pub fn next_frame(&mut self) -> Result<Option<&[u8]>, FramingError> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        let available = &self.buf[self.start..];
        let Some(&[hi, lo]) = available.get(..HEADER_LEN) else {
            return Ok(None);
        };
        let length = usize::from(u16::from_be_bytes([hi, lo]));
        if length > self.max_frame {
            let e = FramingError::FrameTooLong {
                length,
                max: self.max_frame,
            };
            self.failed = Some(e);
            self.buf = Vec::new();
            self.start = 0;
            return Err(e);
        }
        if available.len() < HEADER_LEN + length {
            return Ok(None);
        }
        let from = self.start + HEADER_LEN;
        self.start = from + length;
        Ok(Some(&self.buf[from..from + length]))
    }

    /// Feeds all of `bytes` and calls `on_frame` with each whole frame, in order.
    pub fn decode(
        &mut self,
        mut bytes: &[u8],
        mut on_frame: impl FnMut(&[u8]),
    ) -> Result<(), FramingError> {
        loop {
            let n = self.feed(bytes);
            bytes = &bytes[n..];
            while let Some(frame) = self.next_frame()? {
                on_frame(frame);
            }
            if bytes.is_empty() {
                return Ok(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_behind_a_big_endian_length() {
        let mut out = [0u8; 8];
        assert_eq!(encode(&[0xaa, 0xbb, 0xcc], &mut out), Ok(5));
        assert_eq!(out[..5], [0, 3, 0xaa, 0xbb, 0xcc]);
        assert_eq!(encode(&[], &mut out), Ok(2));
        assert_eq!(out[..2], [0, 0]);
        assert_eq!(
            encode(&[1; 7], &mut out),
            Err(FramingError::BufferTooSmall {
                needed: 9,
                available: 8
            })
        );
        assert_eq!(header(300), Ok([1, 44]));
        assert_eq!(header(65535), Ok([0xff, 0xff]));
        assert_eq!(
            header(65536),
            Err(FramingError::PayloadTooLong { length: 65536 })
        );
    }

    #[test]
    fn decodes_frames_split_anywhere() {
        let stream = [0, 2, b'h', b'i', 0, 0, 0, 3, b'a', b'b', b'c'];
        for split in 0..=stream.len() {
            let mut d = FrameDecoder::new();
            let mut frames = Vec::new();
            d.decode(&stream[..split], |f| frames.push(f.to_vec()))
                .unwrap();
            d.decode(&stream[split..], |f| frames.push(f.to_vec()))
                .unwrap();
            assert_eq!(
                frames,
                [b"hi".to_vec(), Vec::new(), b"abc".to_vec()],
                "{split}"
            );
            assert_eq!(d.buffered(), 0);
        }
    }

    #[test]
    fn memory_stays_bounded_and_long_frames_are_the_peers_error() {
        let mut d = FrameDecoder::with_max_frame(4);
        // More than fits before draining: only the bounded part is taken.
        let stream = [0, 1, 7, 0, 1, 8, 0, 1, 9];
        assert_eq!(d.feed(&stream), 6);
        assert_eq!(d.buffered(), 6);
        assert_eq!(d.next_frame(), Ok(Some(&[7u8][..])));
        assert_eq!(d.next_frame(), Ok(Some(&[8u8][..])));
        assert_eq!(d.next_frame(), Ok(None));
        assert_eq!(d.feed(&stream[6..]), 3);
        assert_eq!(d.next_frame(), Ok(Some(&[9u8][..])));
        // A length above the limit: an error, then the same error for good.
        let e = FramingError::FrameTooLong { length: 5, max: 4 };
        assert_eq!(d.decode(&[0, 5, 1, 2, 3, 4, 5], |_| {}), Err(e));
        assert_eq!(d.next_frame(), Err(e));
        assert_eq!(d.decode(&[0, 1, 1], |_| panic!("no frame")), Err(e));
        assert_eq!(d.buffered(), 0);
        // The default accepts the largest frame a header can announce.
        let mut d = FrameDecoder::new();
        let big = vec![0x5a; MAX_FRAME_LEN];
        let mut wire = vec![0; encoded_len(big.len())];
        encode(&big, &mut wire).unwrap();
        let mut n = 0;
        d.decode(&wire, |f| {
            assert_eq!(f, &big[..]);
            n += 1;
        })
        .unwrap();
        assert_eq!(n, 1);
    }
}
