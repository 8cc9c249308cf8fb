//! `cargo xtask`: the project's automation — CI, fuzzing, interop runs against third-party
//! peers, and benchmarks — as plain Rust, so it runs the same on a laptop and in CI.
//!
//! Every subcommand prints each command before running it and exits non-zero with a message
//! on failure.

mod bench;
mod ci;
mod fuzz;
mod interop;
mod util;

use std::process::ExitCode;

const USAGE: &str = "\
Usage: cargo xtask <COMMAND> [ARGS]

Commands:
  ci                       everything CI checks, in order, stopping at the first failure:
                           fmt, sans-IO dependency check, clippy, tests, docs, fuzz smoke,
                           interop; then a summary with the time of each step
                           (env XTASK_FUZZ_SECONDS: seconds per fuzz target, default 10)
  fuzz [TARGET] [--seconds N]
                           run a cargo-fuzz target (all of fuzz/fuzz_targets/*.rs when TARGET
                           is omitted) for N seconds each (default 30); fails on a crash
                           (see docs/fuzzing.md)
  interop [LAYER] [--save] run the interop cases of LAYER (all layers when omitted) against
                           real third-party peers in a loopback-only network namespace and
                           write docs/interop.md (needs root; installs missing peers);
                           layers: stun, sdp (live SDPs from Chromium, wrtc, node-datachannel,
                           aiortc and Pion, checked by rtc-sdp's sdp_check example), ...,
                           datachannel (our RTCPeerConnection against the same five peers,
                           offering and answering), demo (the `rtc` application's page in
                           headless Chromium with `rtc echo`, `rtc receive`, `rtc send`, and
                           two pages relayed through `rtc serve`'s TURN server);
                           --save (sdp): also write every captured SDP, byte for byte, to
                           crates/rtc-sdp/tests/corpus/<peer>-<kind>.sdp and its README
  bench [NAME] [--runs N]  run the criterion benches (the workspace's, then the side-by-side
                           comparison in bench/) N times (default 3) and write
                           docs/benchmarks.md with the median over the runs; NAME selects
                           a workspace bench target and filters the comparison benches,
                           and only the groups it measured are replaced in the file
                           (env XTASK_BENCH_ARGS: extra criterion arguments for every run,
                           e.g. '--warm-up-time 1 --measurement-time 2' for a quick check)
  help                     this text
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (command, rest) = match args.split_first() {
        Some((command, rest)) => (command.as_str(), rest),
        None => ("help", &[][..]),
    };
    let result = match command {
        "help" | "-h" | "--help" => {
            print!("{USAGE}");
            Ok(())
        }
        "ci" => ci::main(rest),
        "fuzz" => fuzz::main(rest),
        "interop" => interop::main(rest),
        "bench" => bench::main(rest),
        other => Err(format!("unknown command `{other}`\n\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("\nerror: {message}");
            ExitCode::FAILURE
        }
    }
}
