#![no_main]
//! The candidate grammar: arbitrary `candidate:` strings through rtc-sdp's parser and
//! rtc-ice's conversion. Whatever converts must write back to a string that parses and
//! converts to the same candidate.
use libfuzzer_sys::fuzz_target;
use rtc_ice::Candidate;
use rtc_sdp::attributes::Candidate as SdpCandidate;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(parsed) = SdpCandidate::parse_init(text) else {
        return;
    };
    let Ok(candidate) = Candidate::from_sdp(&parsed) else {
        return;
    };
    let written = candidate.to_sdp().to_init_string();
    let reparsed = SdpCandidate::parse_init(&written).expect("our own candidate line parses");
    let again = Candidate::from_sdp(&reparsed).expect("and converts");
    assert_eq!(again.address, candidate.address);
    assert_eq!(again.transport, candidate.transport);
    assert_eq!(again.priority, candidate.priority);
    assert_eq!(again.kind, candidate.kind);
    assert_eq!(again.foundation, candidate.foundation);
    assert_eq!(again.component, candidate.component);
    assert_eq!(again.related, candidate.related);
});
