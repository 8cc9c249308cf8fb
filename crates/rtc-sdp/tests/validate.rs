//! JSEP checks of offers and answers, one broken rule at a time.

use rtc_sdp::SessionDescription;
use rtc_sdp::attributes::Setup;
use rtc_sdp::validate::{self, ValidationError};

const FP: &str = "sha-256 19:E2:1C:3B:4B:9F:81:E6:B8:5C:F4:A5:A8:D8:73:04:BB:05:2F:70:9F:04:A9:0E:05:E9:26:33:E8:70:88:A2";

fn sdp(setup: &str, extra_session: &str, sections: &[(&str, &str)]) -> String {
    let mut s = format!("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n{extra_session}");
    for (mid, extra) in sections {
        s.push_str(&format!(
            "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=ice-ufrag:EsAw\r\n\
             a=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Y\r\na=fingerprint:{FP}\r\na=setup:{setup}\r\n\
             a=mid:{mid}\r\na=rtpmap:111 opus/48000/2\r\n{extra}"
        ));
    }
    s
}

fn offer_result(text: &str) -> Result<(), ValidationError> {
    validate::offer(&SessionDescription::parse(text).unwrap())
}

#[test]
fn good_offer_and_answer_pass() {
    let offer = sdp("actpass", "a=group:BUNDLE 0 1\r\n", &[("0", ""), ("1", "")]);
    let answer = sdp("active", "a=group:BUNDLE 0 1\r\n", &[("0", ""), ("1", "")]);
    let (offer, answer) = (
        SessionDescription::parse(&offer).unwrap(),
        SessionDescription::parse(&answer).unwrap(),
    );
    assert_eq!(validate::offer(&offer), Ok(()));
    assert_eq!(validate::answer(&offer, &answer), Ok(()));
}

#[test]
fn each_rule_is_checked() {
    let good = sdp("actpass", "a=group:BUNDLE 0\r\n", &[("0", "")]);
    let cases: Vec<(String, ValidationError)> = vec![
        (
            good.replace("a=ice-ufrag:EsAw\r\n", ""),
            ValidationError::MissingIceUfrag { media: 0 },
        ),
        (
            good.replace("a=ice-ufrag:EsAw", "a=ice-ufrag:abc"),
            ValidationError::InvalidIceUfrag {
                media: 0,
                length: 3,
            },
        ),
        (
            good.replace("a=ice-ufrag:EsAw", "a=ice-ufrag:Es-w"),
            ValidationError::InvalidIceUfrag {
                media: 0,
                length: 4,
            },
        ),
        (
            good.replace("a=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Y", "a=ice-pwd:short"),
            ValidationError::InvalidIcePwd {
                media: 0,
                length: 5,
            },
        ),
        (
            good.replace(&format!("a=fingerprint:{FP}\r\n"), ""),
            ValidationError::MissingFingerprint { media: 0 },
        ),
        (
            good.replace("sha-256 19:E2", "sha-256 E2"),
            ValidationError::InvalidFingerprint { media: 0 },
        ),
        (
            good.replace("a=setup:actpass\r\n", ""),
            ValidationError::MissingSetup { media: 0 },
        ),
        (
            good.replace("a=setup:actpass", "a=setup:holdconn"),
            ValidationError::InvalidSetup {
                media: 0,
                setup: Setup::HoldConn,
                role: "offer",
            },
        ),
        (
            good.replace("a=mid:0\r\n", ""),
            ValidationError::MissingMid { media: 0 },
        ),
        (
            sdp("actpass", "", &[("0", ""), ("0", "")]),
            ValidationError::DuplicateMid { media: 1, first: 0 },
        ),
        (
            sdp("actpass", "a=group:BUNDLE 0 7\r\n", &[("0", "")]),
            ValidationError::UnknownBundleMid { position: 1 },
        ),
        (
            sdp(
                "actpass",
                "a=group:BUNDLE 0\r\na=group:BUNDLE 0\r\n",
                &[("0", "")],
            ),
            ValidationError::MidInTwoBundles { media: 0 },
        ),
        (
            sdp("actpass", "", &[("0", "a=bundle-only\r\n")]).replace("m=audio 9", "m=audio 0"),
            ValidationError::BundleOnlyOutsideBundle { media: 0 },
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(offer_result(&text), Err(expected), "{text}");
    }
    // Session-level credentials, fingerprint and setup count for every section.
    let session_level = format!(
        "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=ice-ufrag:EsAw\r\n\
         a=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Y\r\na=fingerprint:{FP}\r\na=setup:actpass\r\n\
         m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:a\r\n"
    );
    assert_eq!(offer_result(&session_level), Ok(()));
    // A rejected section (port 0) needs no credentials.
    let rejected = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n\
                    m=video 0 UDP/TLS/RTP/SAVPF 96\r\na=mid:1\r\n";
    assert_eq!(offer_result(rejected), Ok(()));
}

#[test]
fn answers_are_checked_against_their_offer() {
    let offer_text = sdp("actpass", "a=group:BUNDLE 0\r\n", &[("0", ""), ("1", "")]);
    let offer = SessionDescription::parse(&offer_text).unwrap();
    let answer = |setup: &str, session: &str, sections: &[(&str, &str)]| {
        let text = sdp(setup, session, sections);
        validate::answer(&offer, &SessionDescription::parse(&text).unwrap())
    };
    assert_eq!(
        answer("actpass", "", &[("0", ""), ("1", "")]),
        Err(ValidationError::InvalidSetup {
            media: 0,
            setup: Setup::ActPass,
            role: "answer"
        })
    );
    assert_eq!(
        answer("passive", "", &[("0", "")]),
        Err(ValidationError::MediaCountMismatch {
            offer: 2,
            answer: 1
        })
    );
    assert_eq!(
        answer("passive", "", &[("0", ""), ("x", "")]),
        Err(ValidationError::MediaMismatch { media: 1 })
    );
    assert_eq!(
        answer("passive", "a=group:BUNDLE 0 1\r\n", &[("0", ""), ("1", "")]),
        Err(ValidationError::BundleNotOffered { media: 1 })
    );
    assert_eq!(
        answer("passive", "a=group:BUNDLE 0\r\n", &[("0", ""), ("1", "")]),
        Ok(())
    );
}
