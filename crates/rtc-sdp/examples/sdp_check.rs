//! Checks SDP files the way the interop runs need: byte-for-byte round trip, every typed
//! attribute parsed and written back identically, and the JSEP rules for an offer or an answer
//! (told by the file name: `*offer*` or `*answer*`).
//!
//! ```text
//! cargo run -p rtc-sdp --example sdp_check -- crates/rtc-sdp/tests/corpus/*.sdp
//! ok crates/rtc-sdp/tests/corpus/chromium-offer-av-data.sdp: 3 m-sections (audio video application), ...
//! ```
//! Exits with 1 if any file fails.

use std::process::ExitCode;

#[path = "../tests/support/check.rs"]
mod check;

fn main() -> ExitCode {
    let files: Vec<String> = std::env::args().skip(1).collect();
    if files.is_empty() {
        eprintln!("usage: sdp_check FILE...");
        return ExitCode::from(2);
    }
    let mut failed = false;
    for file in &files {
        match check::check(file) {
            Ok(summary) => println!("ok {file}: {summary}"),
            Err(reason) => {
                failed = true;
                println!("FAIL {file}: {reason}");
            }
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
