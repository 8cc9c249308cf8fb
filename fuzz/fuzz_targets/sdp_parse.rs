#![no_main]
//! Parse anything as SDP; what parses must write back to text that parses to the same model,
//! and every typed accessor and validation must return (errors allowed) without panicking.
use libfuzzer_sys::fuzz_target;
use rtc_sdp::attributes::{Candidate, TypedAttribute};
use rtc_sdp::{SessionDescription, validate};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // The typed parsers on their own, with arbitrary values.
    let _ = Candidate::parse_init(text);
    let Ok(sd) = SessionDescription::parse(text) else {
        return;
    };
    let written = sd.to_string();
    let again = SessionDescription::parse(&written).expect("written SDP parses");
    assert_eq!(again, sd);
    let _ = sd.groups().count();
    let _ = sd.msid_semantic();
    let _ = sd.fingerprints().count();
    for m in &sd.media {
        let _ = m.rtpmaps().count();
        let _ = m
            .fmtps()
            .filter_map(Result::ok)
            .map(|f| f.params().count())
            .sum::<usize>();
        let _ = m.rtcp_fbs().count();
        let _ = m.extmaps().count();
        let _ = m.ssrcs().count();
        let _ = m.ssrc_groups().count();
        let _ = m.rids().count();
        let _ = m.simulcast();
        let _ = m.rtcp();
        let _ = m.sctp_port();
        let _ = m.max_message_size();
        let _ = m.setup();
        let _ = m.ice_options();
        for c in m.candidates().flatten() {
            let line = c.to_string();
            assert_eq!(Candidate::parse(&line).as_ref(), Ok(&c));
        }
    }
    let _ = validate::offer(&sd);
    let _ = validate::answer(&sd, &again);
});
