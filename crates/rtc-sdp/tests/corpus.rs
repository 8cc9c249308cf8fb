//! The corpus: real SDPs captured from Chromium, libwebrtc (@roamhq/wrtc), libdatachannel
//! (node-datachannel), aiortc and Pion on this machine by `cargo xtask interop sdp --save`, and
//! public ones from Firefox and Safari (provenance in tests/corpus/README.md). Each must
//! round-trip byte for byte, have every typed attribute written back exactly, and pass the JSEP
//! checks for its role.

#[path = "support/check.rs"]
mod check;

use std::path::PathBuf;

fn corpus() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "sdp"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_corpus_sdp_round_trips_types_and_validates() {
    let files = corpus();
    let peers = [
        "chromium",
        "wrtc",
        "node-datachannel",
        "aiortc",
        "pion",
        "firefox",
        "safari",
    ];
    for peer in peers {
        assert!(
            files
                .iter()
                .any(|f| f.file_name().unwrap().to_str().unwrap().starts_with(peer)),
            "no SDP from {peer} in the corpus"
        );
    }
    let mut failures = Vec::new();
    for file in &files {
        let path = file.to_str().unwrap();
        match check::check(path) {
            Ok(summary) => println!("ok {path}: {summary}"),
            Err(reason) => failures.push(format!("{path}: {reason}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
