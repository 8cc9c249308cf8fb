//! `cargo xtask fuzz [TARGET] [--seconds N]`: runs cargo-fuzz targets on the stable toolchain.
//!
//! cargo-fuzz passes `-Z` flags (sanitizers, coverage instrumentation) that only a nightly rustc
//! accepts; `RUSTC_BOOTSTRAP=1` makes the stable rustc accept them. The fuzz crate is its own
//! workspace (`fuzz/Cargo.toml`) so those flags never touch the main build. See
//! docs/fuzzing.md.

use std::fs;
use std::path::PathBuf;

use crate::util::{self, Result, TempDir};

/// Seconds per target when `--seconds` is not given.
const DEFAULT_SECONDS: u64 = 30;

/// libFuzzer's limit for one input (seconds): an input that takes longer is reported as a
/// hang (a `timeout-*` artifact), which is a bug for a parser.
const PER_INPUT_TIMEOUT: u64 = 30;

/// Entry point for `cargo xtask fuzz`.
pub(crate) fn main(args: &[String]) -> Result {
    let mut target = None;
    let mut seconds = DEFAULT_SECONDS;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        if let Some(value) = arg.strip_prefix("--seconds=") {
            seconds = parse_seconds(value)?;
        } else if arg == "--seconds" {
            let value = args.next().ok_or("--seconds needs a value")?;
            seconds = parse_seconds(value)?;
        } else if arg.starts_with('-') {
            return Err(format!("unknown option `{arg}` for `fuzz`"));
        } else if target.is_none() {
            target = Some(arg.clone());
        } else {
            return Err(format!("unexpected argument `{arg}` for `fuzz`"));
        }
    }
    let all = targets()?;
    let selected = match target {
        Some(name) if all.contains(&name) => vec![name],
        Some(name) => {
            return Err(format!(
                "no fuzz target `{name}`; the targets are: {}",
                all.join(", ")
            ));
        }
        None => all,
    };
    run_targets(&selected, seconds)
}

fn parse_seconds(value: &str) -> Result<u64> {
    value
        .parse()
        .map_err(|_| format!("--seconds needs a whole number, got `{value}`"))
}

/// The fuzz targets: the file stems of `fuzz/fuzz_targets/*.rs`, sorted.
pub(crate) fn targets() -> Result<Vec<String>> {
    let dir = util::repo_root().join("fuzz/fuzz_targets");
    let entries = fs::read_dir(&dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    let mut names: Vec<String> = entries
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "rs"))
        .filter_map(|path| Some(path.file_stem()?.to_str()?.to_owned()))
        .collect();
    names.sort();
    if names.is_empty() {
        return Err(format!("no fuzz targets in {}", dir.display()));
    }
    Ok(names)
}

/// Runs each target for `seconds`; every target runs even when an earlier one fails, and the
/// result is an error naming the failed ones.
pub(crate) fn run_targets(targets: &[String], seconds: u64) -> Result {
    ensure_cargo_fuzz()?;
    let mut failed = Vec::new();
    for target in targets {
        println!("\n== fuzz {target} for {seconds} s");
        if let Err(e) = run_target(target, seconds) {
            eprintln!("fuzz target `{target}` failed: {e}");
            failed.push(target.as_str());
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "fuzz target(s) failed: {}. A crash leaves its input in fuzz/artifacts/<target>/; \
             reproduce it with `RUSTC_BOOTSTRAP=1 cargo fuzz run <target> --fuzz-dir fuzz \
             <artifact>` (docs/fuzzing.md)",
            failed.join(", ")
        ))
    }
}

fn ensure_cargo_fuzz() -> Result {
    if util::succeeds(util::cargo().args(["fuzz", "--version"])) {
        return Ok(());
    }
    println!("cargo-fuzz is not installed; installing it");
    util::run(util::cargo().args(["install", "cargo-fuzz", "--locked"]))
}

fn run_target(target: &str, seconds: u64) -> Result {
    let root = util::repo_root();
    let seeds: PathBuf = root.join("fuzz/seeds").join(target);
    // libFuzzer adds what it finds to the first corpus directory: fuzz a copy of the seeds so
    // the committed ones stay as they are. Without seeds, cargo-fuzz uses fuzz/corpus/TARGET
    // (ignored by git), which grows from run to run on a developer's machine.
    let corpus = if seeds.is_dir() {
        let dir = TempDir::new(&format!("rtc-fuzz-corpus-{target}"))?;
        util::copy_dir(&seeds, dir.path())?;
        Some(dir)
    } else {
        None
    };
    let mut cmd = util::cargo();
    cmd.env("RUSTC_BOOTSTRAP", "1")
        .args(["fuzz", "run", target, "--fuzz-dir", "fuzz"]);
    if let Some(corpus) = &corpus {
        cmd.arg(corpus.path());
    }
    cmd.arg("--")
        .arg(format!("-max_total_time={seconds}"))
        .arg(format!("-timeout={PER_INPUT_TIMEOUT}"))
        .arg("-print_final_stats=1");
    util::run(&mut cmd)
}

/// Seconds per target for `cargo xtask ci`: env `XTASK_FUZZ_SECONDS`, else 10.
pub(crate) fn ci_seconds() -> Result<u64> {
    match std::env::var("XTASK_FUZZ_SECONDS") {
        Ok(value) => value
            .trim()
            .parse()
            .map_err(|_| format!("XTASK_FUZZ_SECONDS must be a whole number, got `{value}`")),
        Err(_) => Ok(10),
    }
}

/// Runs `cargo xtask fuzz` for every target for the CI smoke run.
pub(crate) fn ci_smoke() -> Result {
    run_targets(&targets()?, ci_seconds()?)
}

#[cfg(test)]
mod tests {
    #[test]
    fn seconds() {
        assert_eq!(super::parse_seconds("12"), Ok(12));
        assert!(super::parse_seconds("1.5").is_err());
    }

    #[test]
    fn unknown_option() {
        assert!(super::main(&["--bogus".to_owned()]).is_err());
    }
}
