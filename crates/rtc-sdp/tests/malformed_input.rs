//! Broken SDPs get a typed error naming the line and the reason.

use rtc_sdp::{Error, ErrorKind, SessionDescription};

const GOOD: &str = "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n\
a=group:BUNDLE 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\n\
a=rtpmap:111 opus/48000/2\r\n";

fn error(sdp: &str) -> Error {
    SessionDescription::parse(sdp).unwrap_err()
}

#[test]
fn good_sdp_round_trips() {
    let sd = SessionDescription::parse(GOOD).unwrap();
    assert_eq!(sd.to_string(), GOOD);
    assert_eq!(sd.media.len(), 1);
    assert_eq!(sd.media[0].formats, ["111"]);
    assert_eq!(sd.origin.session_id_u64(), Some(4611731400430051336));
}

#[test]
fn lf_only_and_missing_final_newline_are_kept() {
    let lf = GOOD.replace("\r\n", "\n");
    assert_eq!(SessionDescription::parse(&lf).unwrap().to_string(), lf);
    let unterminated = GOOD.trim_end();
    assert_eq!(
        SessionDescription::parse(unterminated).unwrap().to_string(),
        unterminated
    );
}

#[test]
fn each_broken_line_is_named() {
    let cases: &[(&str, usize, ErrorKind)] = &[
        ("", 0, ErrorKind::Empty),
        ("o=- 1 1 IN IP4 x\r\n", 1, ErrorKind::MissingVersion),
        ("v=1\r\n", 1, ErrorKind::UnsupportedVersion),
        ("v=0\r\ns=-\r\n", 2, ErrorKind::MissingLine('o')),
        (
            "v=0\r\no=- 1 1 IN IP4 x\r\nt=0 0\r\n",
            3,
            ErrorKind::MissingLine('s'),
        ),
        (
            "v=0\r\no=- 1 1 IN IP4 x\r\ns=-\r\na=x\r\n",
            4,
            ErrorKind::MissingLine('t'),
        ),
        (
            "v=0\r\no=- 1 1 IN IP4 x\r\ns=-\r\n",
            3,
            ErrorKind::MissingLine('t'),
        ),
        ("v=0\r\n\r\n", 2, ErrorKind::EmptyLine),
        ("v=0\r\nhello\r\n", 2, ErrorKind::Malformed),
        ("v=0\r\nx=1\r\n", 2, ErrorKind::UnknownType('x')),
        ("v=0\r\nO=1\r\n", 2, ErrorKind::Malformed),
        (
            "v=0\r\no=- 1 1 IN IP4\r\n",
            2,
            ErrorKind::MissingField {
                line_type: 'o',
                field: "address",
            },
        ),
        (
            "v=0\r\no=- x 1 IN IP4 a\r\n",
            2,
            ErrorKind::InvalidField {
                line_type: 'o',
                field: "session id",
            },
        ),
        (
            "v=0\r\no=-  1 1 IN IP4 a\r\n",
            2,
            ErrorKind::InvalidField {
                line_type: 'o',
                field: "session id",
            },
        ),
        (
            "v=0\r\no=- 1 1 IN IP4 a extra\r\n",
            2,
            ErrorKind::InvalidField {
                line_type: 'o',
                field: "trailing data",
            },
        ),
        (
            "v=0\r\no=- 1 1 IN IP4 a\r\ns=-\r\nt=0 0\r\ns=again\r\n",
            5,
            ErrorKind::OutOfOrder('s'),
        ),
        (
            "v=0\r\no=- 1 1 IN IP4 a\r\ns=-\r\nt=0 0\r\nc=IN IP4 a\r\n",
            5,
            ErrorKind::OutOfOrder('c'),
        ),
        (
            "v=0\r\no=- 1 1 IN IP4 a\r\ns=-\r\nr=1\r\n",
            4,
            ErrorKind::OutOfOrder('r'),
        ),
        (
            "v=0\r\no=- 1 1 IN IP4 a\r\ns=-\r\nt=0 x\r\n",
            4,
            ErrorKind::InvalidField {
                line_type: 't',
                field: "stop time",
            },
        ),
        (
            "v=0\r\no=- 1 1 IN IP4 a\r\ns=-\r\nb=AS\r\n",
            4,
            ErrorKind::MissingField {
                line_type: 'b',
                field: "bandwidth",
            },
        ),
        (
            "v=0\r\no=- 1 1 IN IP4 a\r\ns=-\r\nb=AS:012\r\n",
            4,
            ErrorKind::InvalidField {
                line_type: 'b',
                field: "bandwidth",
            },
        ),
        (
            "v=0\r\no=- 1 1 IN IP4 a\r\ns=-\r\nt=0 0\r\nm=audio 99999 RTP/AVP 0\r\n",
            5,
            ErrorKind::InvalidField {
                line_type: 'm',
                field: "port",
            },
        ),
        (
            "v=0\r\no=- 1 1 IN IP4 a\r\ns=-\r\nt=0 0\r\nm=audio 9\r\n",
            5,
            ErrorKind::MissingField {
                line_type: 'm',
                field: "protocol",
            },
        ),
        (
            "v=0\r\no=- 1 1 IN IP4 a\r\ns=-\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\na=mid:0\r\nc=IN IP4 a\r\n",
            7,
            ErrorKind::OutOfOrder('c'),
        ),
        (
            "v=0\r\no=- 1 1 IN IP4 a\r\ns=-\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\nt=0 0\r\n",
            6,
            ErrorKind::OutOfOrder('t'),
        ),
        (
            "v=0\r\no=- 1 1 IN IP4 a\r\ns=-\r\nt=0 0\r\na=:x\r\n",
            5,
            ErrorKind::InvalidField {
                line_type: 'a',
                field: "attribute name",
            },
        ),
    ];
    for (sdp, line, kind) in cases {
        let e = error(sdp);
        assert_eq!((e.line, e.kind), (*line, *kind), "for {sdp:?}");
        // The message names the line.
        assert!(e.to_string().starts_with(&format!("SDP line {line}: ")));
    }
}
