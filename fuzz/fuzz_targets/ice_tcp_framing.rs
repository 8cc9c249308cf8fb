#![no_main]
//! The RFC 4571 decoder ICE-TCP drivers use (`rtc_ice::tcp::FrameDecoder`): arbitrary stream
//! bytes, fed in arbitrary pieces, with an arbitrary frame limit. It must never panic, never
//! hold more than a header and the largest frame, decode the same frames (and the same error)
//! whatever the pieces, and what it decodes must re-encode to the start of the stream. And any
//! list of payloads must survive encode → decode.
//!
//! Input: a byte for the frame limit, a byte for the piece size, then the stream.
use libfuzzer_sys::fuzz_target;
use rtc_ice::tcp::{self, FrameDecoder, FramingError};

fn decode_all(stream: &[u8], max: usize, piece: usize) -> (Vec<Vec<u8>>, Option<FramingError>) {
    let mut decoder = FrameDecoder::with_max_frame(max);
    let mut frames = Vec::new();
    for chunk in stream.chunks(piece) {
        if let Err(e) = decoder.decode(chunk, |f| frames.push(f.to_vec())) {
            return (frames, Some(e));
        }
        assert!(decoder.buffered() <= tcp::HEADER_LEN + max);
    }
    (frames, None)
}

fuzz_target!(|data: &[u8]| {
    let [limit, piece, stream @ ..] = data else {
        return;
    };
    let max = if *limit == 0xff {
        tcp::MAX_FRAME_LEN
    } else {
        usize::from(*limit) * 8
    };
    let piece = usize::from(*piece).max(1);
    let (frames, error) = decode_all(stream, max, piece);
    let (whole, whole_error) = decode_all(stream, max, stream.len().max(1));
    assert_eq!(frames, whole);
    assert_eq!(error, whole_error);
    let mut again = Vec::new();
    for f in &frames {
        assert!(f.len() <= max);
        again.extend_from_slice(&tcp::header(f.len()).expect("decoded frames fit"));
        again.extend_from_slice(f);
    }
    assert_eq!(&stream[..again.len()], &again[..]);
    if let Some(FramingError::FrameTooLong { length, max: m }) = error {
        assert_eq!(m, max);
        assert!(length > max);
    }

    // The stream's bytes as payloads (split at every 0x00), through encode and decode.
    let payloads: Vec<&[u8]> = stream.split(|b| *b == 0).collect();
    let mut wire = Vec::new();
    for p in &payloads {
        let mut buf = vec![0u8; tcp::encoded_len(p.len())];
        let n = tcp::encode(p, &mut buf).expect("fits");
        wire.extend_from_slice(&buf[..n]);
    }
    let (back, error) = decode_all(&wire, tcp::MAX_FRAME_LEN, piece);
    assert_eq!(error, None);
    assert_eq!(back, payloads);
});
