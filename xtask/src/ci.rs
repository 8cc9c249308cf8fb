//! `cargo xtask ci`: every check CI makes, in order, stopping at the first failure, then a
//! summary with the time each step took.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::util::{self, Result};

/// One CI step: a name for the summary and what it runs.
struct Step {
    name: &'static str,
    run: fn() -> Result,
}

const STEPS: &[Step] = &[
    Step {
        name: "fmt",
        run: fmt,
    },
    Step {
        name: "sans-IO (no tokio in protocol crates)",
        run: sans_io,
    },
    Step {
        name: "clippy",
        run: clippy,
    },
    Step {
        name: "test",
        run: test,
    },
    Step {
        name: "doc",
        run: doc,
    },
    Step {
        name: "fuzz smoke",
        run: crate::fuzz::ci_smoke,
    },
    Step {
        name: "interop",
        run: interop,
    },
];

/// Entry point for `cargo xtask ci`.
pub(crate) fn main(args: &[String]) -> Result {
    if let Some(arg) = args.first() {
        return Err(format!("`ci` takes no arguments, got `{arg}`"));
    }
    let started = Instant::now();
    let mut results: Vec<(&str, Duration, Option<String>)> = Vec::new();
    for step in STEPS {
        println!("\n==== ci: {}", step.name);
        let t = Instant::now();
        let outcome = (step.run)();
        let failed = outcome.err();
        let stop = failed.is_some();
        if let Some(e) = &failed {
            eprintln!("\nerror in step `{}`: {e}", step.name);
        }
        results.push((step.name, t.elapsed(), failed));
        if stop {
            break;
        }
    }
    print_summary(&results, started.elapsed());
    match results.iter().find(|(_, _, failed)| failed.is_some()) {
        Some((name, _, _)) => Err(format!("ci failed at step `{name}`")),
        None => Ok(()),
    }
}

fn print_summary(results: &[(&str, Duration, Option<String>)], total: Duration) {
    let width = STEPS.iter().map(|s| s.name.len()).max().unwrap_or(0);
    println!("\n==== ci summary");
    for step in STEPS {
        match results.iter().find(|(name, _, _)| *name == step.name) {
            Some((name, elapsed, None)) => {
                println!(
                    "  {name:<width$}  pass      {}",
                    util::format_elapsed(*elapsed)
                );
            }
            Some((name, elapsed, Some(_))) => {
                println!(
                    "  {name:<width$}  FAIL      {}",
                    util::format_elapsed(*elapsed)
                );
            }
            None => println!("  {:<width$}  not run", step.name),
        }
    }
    println!(
        "  {:<width$}            {}",
        "total",
        util::format_elapsed(total)
    );
}

fn fmt() -> Result {
    util::run(util::cargo().args(["fmt", "--all", "--", "--check"]))?;
    // The fuzz and comparison-bench crates are workspaces of their own.
    for manifest in ["fuzz/Cargo.toml", "bench/Cargo.toml"] {
        util::run(util::cargo().args(["fmt", "--manifest-path", manifest, "--", "--check"]))?;
    }
    Ok(())
}

/// The one rule of DESIGN.md: protocol crates are sans-IO. Every package under `crates/` but
/// the facade `rtc` must not depend on tokio, even transitively. (Applications on the facade,
/// such as `rtc-cli`, live under `apps/`.)
fn sans_io() -> Result {
    let root = util::repo_root();
    let packages = protocol_packages(&root)?;
    if packages.is_empty() {
        return Err("found no packages under crates/".to_owned());
    }
    let mut offenders = Vec::new();
    for package in &packages {
        let tree = util::stdout_of(util::cargo().args([
            "tree",
            "-p",
            package,
            "-e",
            "normal,build",
            "--prefix",
            "none",
            "--locked",
        ]))?;
        if tree.lines().any(|line| line.starts_with("tokio ")) {
            offenders.push(package.as_str());
        }
    }
    if offenders.is_empty() {
        println!("ok: no tokio in {}", packages.join(", "));
        Ok(())
    } else {
        Err(format!(
            "protocol crates must be sans-IO, but these depend on tokio: {} \
             (see why with `cargo tree -e normal,build -i tokio -p NAME`)",
            offenders.join(", ")
        ))
    }
}

/// The package under `crates/` that may use tokio: the facade.
const IO_PACKAGES: &[&str] = &["rtc"];

/// Names of the workspace packages under `crates/`, except [`IO_PACKAGES`].
fn protocol_packages(root: &Path) -> Result<Vec<String>> {
    let metadata = util::cargo_metadata()?;
    Ok(crate_packages(&metadata, &root.join("crates")))
}

fn crate_packages(metadata: &Value, crates_dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = metadata["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| {
            p["manifest_path"]
                .as_str()
                .is_some_and(|m| Path::new(m).starts_with(crates_dir))
        })
        .filter_map(|p| p["name"].as_str())
        .filter(|name| !IO_PACKAGES.contains(name))
        .map(str::to_owned)
        .collect();
    names.sort();
    names
}

/// Packages built, linted and tested on their own: `rtc-cli` depends on `rtc` with its `ring`
/// feature, and cargo unifies the features of everything built together, so in a
/// `--workspace` run it would switch every crate to the ring backend and the default
/// (RustCrypto) one would go untested.
const SEPARATE: &[&str] = &["rtc-cli"];

/// `--workspace --exclude P` for each of [`SEPARATE`].
fn workspace_but_separate(cmd: &mut std::process::Command) {
    cmd.arg("--workspace");
    for package in SEPARATE {
        cmd.args(["--exclude", package]);
    }
}

/// Clippy with default features (the workspace, then [`SEPARATE`] on their own) and with
/// every feature (the `ring` crypto backend).
fn clippy() -> Result {
    let mut cmd = util::cargo();
    cmd.arg("clippy");
    workspace_but_separate(&mut cmd);
    cmd.args(["--all-targets", "--locked", "--", "-D", "warnings"]);
    util::run(&mut cmd)?;
    for package in SEPARATE {
        util::run(util::cargo().args([
            "clippy",
            "-p",
            package,
            "--all-targets",
            "--locked",
            "--",
            "-D",
            "warnings",
        ]))?;
    }
    util::run(util::cargo().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--locked",
        "--all-features",
        "--",
        "-D",
        "warnings",
    ]))
}

/// All tests with default features (the workspace, then [`SEPARATE`] on their own), then the
/// crates that have a `ring` backend again with it, so that both crypto providers pass the
/// same tests.
fn test() -> Result {
    let mut cmd = util::cargo();
    cmd.arg("test");
    workspace_but_separate(&mut cmd);
    cmd.arg("--locked");
    util::run(&mut cmd)?;
    for package in SEPARATE {
        util::run(util::cargo().args(["test", "-p", package, "--locked"]))?;
    }
    util::run(util::cargo().args([
        "test",
        "--locked",
        "-p",
        "rtc-crypto",
        "-p",
        "rtc-srtp",
        "-p",
        "rtc-dtls",
        "--features",
        "rtc-crypto/ring,rtc-srtp/ring,rtc-dtls/ring",
    ]))
}

fn doc() -> Result {
    util::run(util::cargo().env("RUSTDOCFLAGS", "-D warnings").args([
        "doc",
        "--workspace",
        "--no-deps",
        "--locked",
    ]))
}

fn interop() -> Result {
    crate::interop::main(&[])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocol_crates_exclude_facade_and_others() {
        let metadata = serde_json::json!({
            "packages": [
                { "name": "rtc-stun", "manifest_path": "/r/crates/rtc-stun/Cargo.toml" },
                { "name": "rtc", "manifest_path": "/r/crates/rtc/Cargo.toml" },
                { "name": "rtc-cli", "manifest_path": "/r/apps/rtc-cli/Cargo.toml" },
                { "name": "xtask", "manifest_path": "/r/xtask/Cargo.toml" },
                { "name": "rtc-ice", "manifest_path": "/r/crates/rtc-ice/Cargo.toml" }
            ]
        });
        assert_eq!(
            crate_packages(&metadata, Path::new("/r/crates")),
            ["rtc-ice", "rtc-stun"]
        );
    }
}
