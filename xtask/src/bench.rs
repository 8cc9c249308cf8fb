//! `cargo xtask bench [NAME] [--runs N]`: runs the criterion benches — the workspace's, then
//! the side-by-side comparison crate in `bench/` (its own workspace, since it depends on other
//! stacks) — N times, and writes docs/benchmarks.md from criterion's JSON results: one `## `
//! section per group, sorted by name, each with a line saying which command made it and when.
//! A full run rewrites every section; a run with NAME replaces only the groups it measured and
//! keeps the other sections of the existing file as they are.
//!
//! The machine may be noisy, so each benchmark's figure is the median over the runs of
//! criterion's median in each run, with the spread (min–max) of those per-run medians.
//! Comparison groups hold one function named `rtc` (ours) and one per other implementation
//! (`webrtc-rs stun 0.17`, ...); each one's ratio to ours is taken within a run (the two ran
//! side by side) and the report gives the median of those per-run ratios.
//!
//! A group whose benches declare a criterion throughput in elements (`Throughput::Elements`,
//! e.g. one DTLS handshake pair per iteration) gets a "per second" column: elements per
//! iteration divided by the median time; one in bytes (`Throughput::Bytes`) gets MiB/s there.
//!
//! Figures criterion cannot hold (percentiles, bytes of memory, one-off transfers, other
//! languages' stacks): every command runs with `XTASK_BENCH_FIGURES` naming a file, and a bench
//! may append JSON lines to it, `{"group", "function", "value", "unit": "ns"|"bytes",
//! "throughput_bytes"?}` (bench/src/figures.rs writes them). They join that run's results as if
//! criterion had measured them: a value in ns is a time per iteration, one in bytes is shown as
//! bytes ("2.40x more" in the ratio column). After the cargo commands, a run with no NAME or
//! `datachannel` runs the node stacks' data channel bench (interop/bench/datachannel.js, for
//! node-datachannel and @roamhq/wrtc; their npm packages installed as `cargo xtask interop`
//! installs them), which reports the same way.
//!
//! `XTASK_BENCH_ARGS` (split on whitespace) is passed to criterion after `--` in every
//! `cargo bench`, e.g. `--warm-up-time 1 --measurement-time 2` for a quick check.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde_json::Value;

use crate::util::{self, Result};

/// The function name of our implementation in a comparison group.
const OURS: &str = "rtc";
const NOTES_START: &str = "<!-- notes -->";
const NOTES_END: &str = "<!-- /notes -->";
const DEFAULT_NOTES: &str = "<!-- notes -->
Hand-written notes (kept when the file is regenerated): what is compared, and how to read it.
<!-- /notes -->";
/// Extra criterion arguments for every `cargo bench`, split on whitespace.
const ARGS_ENV: &str = "XTASK_BENCH_ARGS";
const DEFAULT_RUNS: usize = 3;
/// The variable naming the file benches append figures to.
const FIGURES_ENV: &str = "XTASK_BENCH_FIGURES";
/// The node data channel bench, and the stacks it is run for.
const NODE_DATACHANNEL: &str = "interop/bench/datachannel.js";
const NODE_STACKS: [&str; 2] = ["ndc", "wrtc"];
const USAGE: &str = "usage: cargo xtask bench [NAME] [--runs N]";

/// What `cargo xtask bench` was asked for.
#[derive(Debug, PartialEq)]
struct Options {
    /// A workspace bench target, and a filter for the comparison benches.
    name: Option<String>,
    /// How many times to run each `cargo bench` (at least 1).
    runs: usize,
}

fn parse_args(args: &[String]) -> Result<Options> {
    let mut name = None;
    let mut runs = DEFAULT_RUNS;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let value = if arg == "--runs" {
            Some(
                args.next()
                    .ok_or_else(|| format!("--runs needs a number\n{USAGE}"))?
                    .as_str(),
            )
        } else {
            arg.strip_prefix("--runs=")
        };
        if let Some(value) = value {
            runs = value
                .parse()
                .map_err(|_| format!("--runs takes a whole number, got `{value}`\n{USAGE}"))?;
            if runs == 0 {
                return Err(format!("--runs must be at least 1\n{USAGE}"));
            }
        } else if arg.starts_with('-') || name.is_some() {
            return Err(format!("unexpected argument `{arg}`\n{USAGE}"));
        } else {
            name = Some(arg.clone());
        }
    }
    Ok(Options { name, runs })
}

/// `XTASK_BENCH_ARGS` split on whitespace.
fn extra_args() -> Vec<String> {
    std::env::var(ARGS_ENV)
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

/// The `cargo bench` argument lists to run (each of them once per run).
///
/// Only bench targets are selected (`--bench '*'`): the libtest harness that the library and
/// binaries would otherwise run in bench mode measures nothing here and rejects criterion's
/// options.
fn bench_commands(
    name: Option<&str>,
    workspace_benches: &[String],
    comparison: bool,
    extra: &[String],
) -> Vec<Vec<String>> {
    let owned = |args: &[&str]| args.iter().map(|&a| a.to_owned()).collect::<Vec<_>>();
    let mut commands = Vec::new();
    match name {
        Some(name) if !workspace_benches.iter().any(|b| b == name) => println!(
            "no bench target `{name}` in the workspace (there are: {}); skipping the workspace \
             benches",
            workspace_benches.join(", ")
        ),
        _ => {
            let mut args = owned(&["bench", "--workspace", "--locked", "--bench"]);
            args.push(name.unwrap_or("*").to_owned());
            if !extra.is_empty() {
                args.push("--".to_owned());
                args.extend_from_slice(extra);
            }
            commands.push(args);
        }
    }
    if comparison {
        let mut args = owned(&[
            "bench",
            "--manifest-path",
            "bench/Cargo.toml",
            "--locked",
            "--bench",
            "*",
        ]);
        if name.is_some() || !extra.is_empty() {
            args.push("--".to_owned());
            args.extend(name.map(str::to_owned));
            args.extend_from_slice(extra);
        }
        commands.push(args);
    } else {
        println!("no bench/Cargo.toml: no side-by-side comparison to run");
    }
    commands
}

/// Entry point for `cargo xtask bench`.
pub(crate) fn main(args: &[String]) -> Result {
    let Options { name, runs } = parse_args(args)?;
    let name = name.as_deref();
    let root = util::repo_root();
    let extra = extra_args();
    let commands = bench_commands(
        name,
        &workspace_bench_targets()?,
        root.join("bench/Cargo.toml").exists(),
        &extra,
    );
    if commands.is_empty() {
        return Err("no benches to run".to_owned());
    }
    // The TURN relay comparison runs our example server (release) beside coturn.
    if root.join("bench/benches/turn.rs").exists() && name.is_none_or(|n| n == "turn") {
        util::ensure_programs(&[("turnserver", "coturn")])?;
        util::run(util::cargo().args([
            "build",
            "--release",
            "--locked",
            "-p",
            "rtc-turn",
            "--example",
            "turn_server",
        ]))?;
    }

    let node = node_commands(&root, name);
    if !node.is_empty() {
        util::npm_install(&root.join("interop"))?;
    }

    let dirs = criterion_dirs(&root);
    let figures = util::target_dir().join("xtask-bench-figures.jsonl");
    let mut results: Vec<Run> = Vec::new();
    let mut info = Info::default();
    for run in 1..=runs {
        println!("\n== run {run} of {runs} ==");
        let mut medians = Run::new();
        let cargo_commands = commands.iter().map(|args| {
            let mut cmd = util::cargo();
            cmd.args(args);
            (cmd, true)
        });
        let node_commands = node.iter().map(|args| {
            let mut cmd = std::process::Command::new("node");
            cmd.current_dir(&root).args(args);
            (cmd, false)
        });
        for (mut cmd, criterion) in cargo_commands.chain(node_commands) {
            // Criterion rewrites `new/` each time, so read this command's results now, and only
            // those written since it started (file times here have ns precision).
            let started = SystemTime::now();
            if let Some(dir) = figures.parent() {
                fs::create_dir_all(dir)
                    .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
            }
            fs::write(&figures, "")
                .map_err(|e| format!("cannot write {}: {e}", figures.display()))?;
            util::run(cmd.env(FIGURES_ENV, &figures))?;
            if criterion {
                for dir in &dirs {
                    collect(dir, started, &mut medians, &mut info)?;
                }
            }
            let text = fs::read_to_string(&figures)
                .map_err(|e| format!("cannot read {}: {e}", figures.display()))?;
            add_figures(&text, &mut medians, &mut info)
                .map_err(|e| format!("{}: {e}", figures.display()))?;
        }
        if medians.is_empty() {
            return Err(format!(
                "run {run} ran the benches but left no criterion results newer than it"
            ));
        }
        results.push(medians);
    }

    let path = root.join("docs/benchmarks.md");
    let old = fs::read_to_string(&path).unwrap_or_default();
    let mut invocation = String::new();
    if !extra.is_empty() {
        invocation.push_str(&format!("{ARGS_ENV}='{}' ", extra.join(" ")));
    }
    invocation.push_str("cargo xtask bench");
    if let Some(name) = name {
        invocation.push(' ');
        invocation.push_str(name);
    }
    invocation.push_str(&format!(" --runs {runs}"));
    let report = render(
        &old,
        &Header {
            date: util::utc_date(),
            machine: machine(),
            invocation,
        },
        &results,
        &info,
        name.is_some(),
    );
    fs::create_dir_all(root.join("docs")).map_err(|e| format!("cannot create docs/: {e}"))?;
    fs::write(&path, &report).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    println!("\n{report}\nwrote {}", path.display());
    Ok(())
}

/// The node bench commands (arguments of `node`, run from the repository root) of a run with
/// `name`: the data channel bench for each node stack, when it exists and `name` is none or
/// `datachannel`.
fn node_commands(root: &Path, name: Option<&str>) -> Vec<Vec<String>> {
    if !root.join(NODE_DATACHANNEL).exists() || name.is_some_and(|n| n != "datachannel") {
        return Vec::new();
    }
    NODE_STACKS
        .iter()
        .map(|stack| {
            vec![
                "--expose-gc".to_owned(),
                NODE_DATACHANNEL.to_owned(),
                (*stack).to_owned(),
            ]
        })
        .collect()
}

/// Names of the workspace's bench targets.
fn workspace_bench_targets() -> Result<Vec<String>> {
    let metadata = util::cargo_metadata()?;
    let mut names: Vec<String> = metadata["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|p| p["targets"].as_array().into_iter().flatten())
        .filter(|t| {
            t["kind"]
                .as_array()
                .is_some_and(|kinds| kinds.iter().any(|k| k == "bench"))
        })
        .filter_map(|t| t["name"].as_str().map(str::to_owned))
        .collect();
    names.sort();
    names.dedup();
    Ok(names)
}

/// Where criterion writes its results for the workspace and for `bench/`.
fn criterion_dirs(root: &Path) -> Vec<PathBuf> {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return vec![root.join(home)];
    }
    let mut dirs = vec![util::target_dir().join("criterion")];
    if std::env::var_os("CARGO_TARGET_DIR").is_none() {
        dirs.push(root.join("bench/target/criterion"));
    }
    dirs
}

/// A benchmark: `group_id` from benchmark.json (plus `/value` for parameterised benches), and
/// `function_id` (the implementation in a comparison group; `None` for a lone bench).
type Key = (String, Option<String>);

/// One run's results: criterion's median time per iteration (ns) of each benchmark (or a
/// figure's value, in its unit).
type Run = BTreeMap<Key, f64>;

/// What a benchmark moves per iteration, when it declares it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Throughput {
    /// Criterion's `Throughput::Elements`: the per-second column counts them.
    Elements(u64),
    /// Criterion's `Throughput::Bytes` (or `BytesDecimal`): the per-second column is MiB/s.
    Bytes(u64),
}

impl Throughput {
    /// The per-second cell for a median time of `ns` per iteration.
    fn rate(self, ns: f64) -> String {
        match self {
            Self::Elements(e) => format_rate(e as f64 * 1e9 / ns),
            Self::Bytes(b) => {
                let rate = format_rate(b as f64 * 1e9 / ns / f64::from(1 << 20));
                if rate == "—" {
                    rate
                } else {
                    format!("{rate} MiB/s")
                }
            }
        }
    }
}

/// What a benchmark's value is: a time per iteration (criterion's, the default) or bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Unit {
    #[default]
    Nanoseconds,
    Bytes,
}

impl Unit {
    fn format(self, value: f64) -> String {
        match self {
            Self::Nanoseconds => format_ns(value),
            Self::Bytes => format_bytes(value),
        }
    }
}

/// How to read the benchmarks' values, gathered over the runs.
#[derive(Debug, Default)]
struct Info {
    /// What the benchmarks that declare one move per iteration.
    throughput: BTreeMap<Key, Throughput>,
    /// The benchmarks whose value is not a time.
    unit: BTreeMap<Key, Unit>,
}

impl Info {
    fn unit(&self, key: &Key) -> Unit {
        self.unit.get(key).copied().unwrap_or_default()
    }
}

/// One criterion result.
#[derive(Debug, Clone, PartialEq)]
struct Measurement {
    group: String,
    function: Option<String>,
    /// Criterion's median time per iteration, ns.
    median: f64,
    /// What one iteration moves, when the bench declared it.
    throughput: Option<Throughput>,
}

/// Reads criterion's `new/benchmark.json` (names, unsanitised) and `new/estimates.json`.
fn parse_measurement(benchmark: &str, estimates: &str) -> Result<Measurement> {
    let benchmark: Value =
        serde_json::from_str(benchmark).map_err(|e| format!("bad benchmark.json: {e}"))?;
    let estimates: Value =
        serde_json::from_str(estimates).map_err(|e| format!("bad estimates.json: {e}"))?;
    let group_id = benchmark["group_id"]
        .as_str()
        .ok_or("benchmark.json has no group_id")?;
    let group = match benchmark["value_str"].as_str() {
        Some(value) => format!("{group_id}/{value}"),
        None => group_id.to_owned(),
    };
    Ok(Measurement {
        group,
        function: benchmark["function_id"].as_str().map(str::to_owned),
        median: estimates["median"]["point_estimate"]
            .as_f64()
            .ok_or("estimates.json has no median.point_estimate")?,
        throughput: parse_throughput(&benchmark["throughput"]),
    })
}

/// Criterion's `throughput` field: `{"Elements": n}`, `{"Bytes": n}`, `{"BytesDecimal": n}`.
fn parse_throughput(value: &Value) -> Option<Throughput> {
    if let Some(n) = value["Elements"].as_u64() {
        return Some(Throughput::Elements(n));
    }
    value["Bytes"]
        .as_u64()
        .or_else(|| value["BytesDecimal"].as_u64())
        .map(Throughput::Bytes)
}

/// One figure from a bench's `XTASK_BENCH_FIGURES` line.
#[derive(Debug, Clone, PartialEq)]
struct Figure {
    group: String,
    function: String,
    value: f64,
    unit: Unit,
    throughput_bytes: Option<u64>,
}

fn parse_figure(line: &str) -> Result<Figure> {
    let v: Value = serde_json::from_str(line).map_err(|e| format!("bad figure line: {e}"))?;
    let text = |field: &str| {
        v[field]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("figure without `{field}`: {line}"))
    };
    let value = v["value"]
        .as_f64()
        .filter(|x| x.is_finite())
        .ok_or_else(|| format!("figure without a finite `value`: {line}"))?;
    let unit = match text("unit")?.as_str() {
        "ns" => Unit::Nanoseconds,
        "bytes" => Unit::Bytes,
        other => {
            return Err(format!(
                "figure unit `{other}` is neither ns nor bytes: {line}"
            ));
        }
    };
    Ok(Figure {
        group: text("group")?,
        function: text("function")?,
        value,
        unit,
        throughput_bytes: v["throughput_bytes"].as_u64(),
    })
}

/// Adds the figures of `text` (one JSON object a line) to a run's results.
fn add_figures(text: &str, out: &mut Run, info: &mut Info) -> Result {
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let figure = parse_figure(line)?;
        let key = (figure.group, Some(figure.function));
        if let Some(bytes) = figure.throughput_bytes {
            info.throughput
                .insert(key.clone(), Throughput::Bytes(bytes));
        }
        if figure.unit != Unit::Nanoseconds {
            info.unit.insert(key.clone(), figure.unit);
        }
        if out.insert(key.clone(), figure.value).is_some() {
            println!(
                "warning: the figure {}/{} repeats one already seen in this run; keeping the last",
                key.0,
                key.1.unwrap_or_default()
            );
        }
    }
    Ok(())
}

/// Adds every `**/new/` result under `dir` written after `since` to `out`, and its throughput
/// (if it declares one) to `info`.
fn collect(dir: &Path, since: SystemTime, out: &mut Run, info: &mut Info) -> Result {
    let Ok(entries) = fs::read_dir(dir) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if !path.is_dir() {
            continue;
        }
        let benchmark = path.join("benchmark.json");
        let estimates = path.join("estimates.json");
        if path.file_name().is_some_and(|n| n == "new") && estimates.is_file() {
            let fresh = fs::metadata(&estimates)
                .and_then(|m| m.modified())
                .is_ok_and(|t| t >= since);
            if fresh {
                let read = |p: &Path| {
                    fs::read_to_string(p).map_err(|e| format!("cannot read {}: {e}", p.display()))
                };
                let m = parse_measurement(&read(&benchmark)?, &read(&estimates)?)
                    .map_err(|e| format!("{}: {e}", path.display()))?;
                let key = (m.group, m.function);
                if let Some(throughput) = m.throughput {
                    info.throughput.insert(key.clone(), throughput);
                }
                if out.insert(key, m.median).is_some() {
                    println!(
                        "warning: {} repeats a benchmark already seen in this run; keeping it",
                        path.display()
                    );
                }
            }
        } else {
            collect(&path, since, out, info)?;
        }
    }
    Ok(())
}

/// The median of `values` (the mean of the middle two for an even count).
fn median(values: &[f64]) -> Option<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    match sorted.len() {
        0 => None,
        n if n % 2 == 1 => Some(sorted[mid]),
        _ => Some((sorted[mid - 1] + sorted[mid]) / 2.0),
    }
}

/// One benchmark summarised over the runs.
#[derive(Debug, PartialEq)]
struct Summary {
    function: Option<String>,
    /// Criterion's median in each run that has this benchmark, in run order.
    medians: Vec<f64>,
    /// other / ours in each run that has both (comparison groups only, not for ours).
    ratios: Vec<f64>,
}

impl Summary {
    fn median(&self) -> f64 {
        median(&self.medians).unwrap_or(f64::NAN)
    }

    fn range(&self) -> (f64, f64) {
        let min = self.medians.iter().copied().fold(f64::INFINITY, f64::min);
        let max = self
            .medians
            .iter()
            .copied()
            .fold(f64::NEG_INFINITY, f64::max);
        (min, max)
    }
}

/// Groups the runs' results: group → (whether ours is in it, its benchmarks).
fn summarize(runs: &[Run]) -> BTreeMap<&str, (bool, Vec<Summary>)> {
    let keys: BTreeSet<&Key> = runs.iter().flat_map(BTreeMap::keys).collect();
    let mut groups: BTreeMap<&str, (bool, Vec<Summary>)> = BTreeMap::new();
    for key in keys {
        let (group, function) = key;
        let ours_key = (group.clone(), Some(OURS.to_owned()));
        let ratios = match function.as_deref() {
            Some(f) if f != OURS => runs
                .iter()
                .filter_map(|run| Some(run.get(key)? / run.get(&ours_key)?))
                .filter(|r| r.is_finite() && *r > 0.0)
                .collect(),
            _ => Vec::new(),
        };
        let entry = groups.entry(group.as_str()).or_default();
        entry.0 |= function.as_deref() == Some(OURS);
        entry.1.push(Summary {
            function: function.clone(),
            medians: runs
                .iter()
                .filter_map(|run| run.get(key).copied())
                .collect(),
            ratios,
        });
    }
    groups
}

/// What the report says about how it was made.
struct Header {
    date: String,
    machine: String,
    invocation: String,
}

fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let cpu = fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find_map(|l| l.strip_prefix("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, model)| model.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let rustc = std::process::Command::new("rustc")
        .arg("--version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    format!("{cores} cores (`nproc`), {cpu}, {rustc}")
}

/// Nanoseconds as a short human figure: `825.1 ps`, `1.234 µs`.
fn format_ns(ns: f64) -> String {
    let (value, unit) = if ns < 1.0 {
        (ns * 1000.0, "ps")
    } else if ns < 1e3 {
        (ns, "ns")
    } else if ns < 1e6 {
        (ns / 1e3, "µs")
    } else if ns < 1e9 {
        (ns / 1e6, "ms")
    } else {
        (ns / 1e9, "s")
    };
    if value < 10.0 {
        format!("{value:.3} {unit}")
    } else if value < 100.0 {
        format!("{value:.2} {unit}")
    } else {
        format!("{value:.1} {unit}")
    }
}

/// Bytes as a short human figure: `812 B`, `45.2 KiB`, `1.50 MiB` (binary units).
fn format_bytes(bytes: f64) -> String {
    let (value, unit) = if bytes.abs() < 1024.0 {
        return format!("{bytes:.0} B");
    } else if bytes.abs() < f64::from(1 << 20) {
        (bytes / 1024.0, "KiB")
    } else {
        (bytes / f64::from(1 << 20), "MiB")
    };
    if value.abs() < 10.0 {
        format!("{value:.2} {unit}")
    } else {
        format!("{value:.1} {unit}")
    }
}

/// A rate per second: a whole number with thousands separators from 100 on (`2,043`),
/// three significant digits below (`12.3`, `0.456`).
fn format_rate(per_second: f64) -> String {
    if !(per_second.is_finite() && per_second > 0.0) {
        return "—".to_owned();
    }
    if per_second < 100.0 {
        let decimals = if per_second < 1.0 {
            3
        } else if per_second < 10.0 {
            2
        } else {
            1
        };
        return format!("{per_second:.decimals$}");
    }
    let digits = format!("{per_second:.0}");
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A ratio other / ours in words: "3.40x slower", "1.25x faster" (times), "2.10x more",
/// "1.50x less" (bytes).
fn ratio(r: f64, unit: Unit) -> String {
    if !(r.is_finite() && r > 0.0) {
        return "—".to_owned();
    }
    let (above, below) = match unit {
        Unit::Nanoseconds => ("slower", "faster"),
        Unit::Bytes => ("more", "less"),
    };
    let (factor, word) = if r >= 1.0 {
        (r, above)
    } else {
        (1.0 / r, below)
    };
    if factor >= 10.0 {
        format!("{factor:.1}x {word}")
    } else {
        format!("{factor:.2}x {word}")
    }
}

/// The spread cell: min – max of the per-run medians, and how many runs had the benchmark
/// when some did not.
fn spread(summary: &Summary, runs: usize, unit: Unit) -> String {
    let (min, max) = summary.range();
    let mut cell = if summary.medians.len() > 1 {
        format!("{} – {}", unit.format(min), unit.format(max))
    } else {
        "—".to_owned()
    };
    if summary.medians.len() < runs {
        cell.push_str(&format!(" ({} of {runs} runs)", summary.medians.len()));
    }
    cell
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// Heading of the table of lone benches (no function id), which comes after the groups.
const LONE_HEADING: &str = "Other benches";
/// How a section's provenance line starts.
const PROVENANCE: &str = "_Run: ";

/// The line under a section's heading saying which run produced it.
fn provenance(invocation: &str, date: &str, runs: &str) -> String {
    format!("{PROVENANCE}`{invocation}` on {date} (UTC), {runs}._")
}

/// The `## ` sections of an existing report, after its notes block: heading → the section's
/// text from its heading line up to the next heading (trailing blank lines dropped, one `\n`
/// kept). Sections of a report written before sections carried their own provenance line get
/// one made from that report's `Generated by` header, when it has one.
fn old_sections(doc: &str) -> BTreeMap<String, String> {
    let body = match doc.find(NOTES_END) {
        Some(at) => &doc[at + NOTES_END.len()..],
        None => doc,
    };
    // The old single header: "Generated by `INVOCATION` on DATE (UTC)." and "median over N runs".
    let legacy = body.lines().find_map(|l| {
        let rest = l.strip_prefix("Generated by `")?;
        let (invocation, rest) = rest.split_once("` on ")?;
        let date = rest.strip_suffix(" (UTC).")?;
        let runs = body.lines().find_map(|l| {
            let rest = l.split_once("median over ")?.1;
            rest.split_once(" of ").map(|(runs, _)| runs.to_owned())
        })?;
        Some(provenance(invocation, date, &runs))
    });
    let mut sections = BTreeMap::new();
    let mut current: Option<(String, String)> = None;
    let mut finish = |section: Option<(String, String)>| {
        if let Some((heading, text)) = section {
            let mut text = text.trim_end().to_owned();
            text.push('\n');
            if let Some(legacy) = &legacy {
                if !text.lines().any(|l| l.starts_with(PROVENANCE)) {
                    let (first, rest) = text.split_once('\n').unwrap_or((&text, ""));
                    text = format!("{first}\n\n{legacy}\n{rest}");
                }
            }
            sections.insert(heading, text);
        }
    };
    for line in body.split_inclusive('\n') {
        if let Some(heading) = line.strip_prefix("## ") {
            finish(current.take());
            current = Some((heading.trim_end().to_owned(), line.to_owned()));
        } else if let Some((_, text)) = &mut current {
            text.push_str(line);
        }
    }
    finish(current);
    sections
}

/// This run's sections: heading → text (heading, provenance line, table).
fn new_sections(header: &Header, runs: &[Run], info: &Info) -> BTreeMap<String, String> {
    let n = runs.len();
    let made_by = provenance(&header.invocation, &header.date, &plural(n, "run"));
    let mut sections = BTreeMap::new();
    let mut lone = Vec::new();
    for (group, (has_ours, rows)) in summarize(runs) {
        // A lone bench (no function id) goes to the table at the end.
        let (alone, mut rows): (Vec<_>, Vec<_>) =
            rows.into_iter().partition(|s| s.function.is_none());
        lone.extend(alone.into_iter().map(|s| (group, s)));
        if rows.is_empty() {
            continue;
        }
        let key = |s: &Summary| (group.to_owned(), s.function.clone());
        let throughput = |s: &Summary| info.throughput.get(&key(s)).copied();
        let per_second = rows.iter().any(|s| throughput(s).is_some());
        let mut columns = vec![
            if has_ours {
                "implementation"
            } else {
                "benchmark"
            },
            "median",
        ];
        if per_second {
            columns.push("per second");
        }
        columns.push("spread");
        if has_ours {
            columns.push("vs ours");
        }
        let mut out = format!(
            "## {group}\n\n{made_by}\n\n| {} |\n|---|{}\n",
            columns.join(" | "),
            "---:|".repeat(columns.len() - 1)
        );
        if has_ours {
            // Ours first, then the others by name.
            rows.sort_by_key(|s| (s.function.as_deref() != Some(OURS), s.function.clone()));
        }
        for s in &rows {
            let function = s.function.as_deref().unwrap_or_default();
            let name = if function == OURS {
                format!("{OURS} (ours)")
            } else {
                function.to_owned()
            };
            let unit = info.unit(&key(s));
            out.push_str(&format!(
                "| {} | {} |",
                util::md_cell(&name),
                unit.format(s.median())
            ));
            if per_second {
                let rate = match throughput(s) {
                    Some(t) if unit == Unit::Nanoseconds => t.rate(s.median()),
                    _ => "—".to_owned(),
                };
                out.push_str(&format!(" {rate} |"));
            }
            out.push_str(&format!(" {} |", spread(s, n, unit)));
            if has_ours {
                let versus = if function == OURS {
                    "—".to_owned()
                } else {
                    median(&s.ratios).map_or_else(|| "—".to_owned(), |r| ratio(r, unit))
                };
                out.push_str(&format!(" {versus} |"));
            }
            out.push('\n');
        }
        sections.insert(group.to_owned(), out);
    }
    if !lone.is_empty() {
        let mut out = format!(
            "## {LONE_HEADING}\n\n{made_by}\n\n| bench | median | spread |\n|---|---:|---:|\n"
        );
        for (group, s) in lone {
            let unit = info.unit(&(group.to_owned(), None));
            out.push_str(&format!(
                "| {} | {} | {} |\n",
                util::md_cell(group),
                unit.format(s.median()),
                spread(&s, n, unit)
            ));
        }
        sections.insert(LONE_HEADING.to_owned(), out);
    }
    sections
}

/// The report: the notes block of `old`, a generic header, then one section per group sorted
/// by name (lone benches last). With `keep_old` (a run of one NAME), the sections of `old` that
/// this run did not measure are kept as they are; otherwise only this run's sections are written.
/// The lone-bench section is one section: a run that measured a lone bench replaces all of it.
fn render(old: &str, header: &Header, runs: &[Run], info: &Info, keep_old: bool) -> String {
    let notes = util::marked_block(old, NOTES_START, NOTES_END).unwrap_or(DEFAULT_NOTES);
    let mut out = format!("# Benchmarks\n\n{notes}\n\n");
    out.push_str(
        "Generated by `cargo xtask bench [NAME] [--runs N]`; the line under each heading says \
         which command made that section, when, and over how many runs. `cargo xtask bench` \
         rewrites every section; `cargo xtask bench NAME` replaces only the sections it \
         measured and keeps the others.\n\n",
    );
    out.push_str(&format!("- Machine: {}\n", header.machine));
    out.push_str(&format!(
        "- Commands a run makes, each N times over: `cargo bench --workspace --locked --bench \
         NAME` (every bench target without NAME; skipped when NAME is not one), then the \
         side-by-side comparison `cargo bench --manifest-path bench/Cargo.toml --locked --bench \
         '*' -- NAME`; `XTASK_BENCH_ARGS` (shown before the command when set) is passed to \
         criterion in both; with no NAME or `datachannel`, then `node --expose-gc \
         {NODE_DATACHANNEL} STACK` for each node stack.\n\
         - Figures: median over the section's runs of criterion's median per run (or of the \
         figure a bench reported, for what criterion cannot hold); spread is min–max over runs \
         (\"k of N runs\" when some runs lacked it); ratio (\"vs ours\", ours is `{OURS}`) = \
         median over runs of other/ours measured in the same run.\n"
    ));

    let mut sections = if keep_old {
        old_sections(old)
    } else {
        BTreeMap::new()
    };
    sections.extend(new_sections(header, runs, info));
    let lone = sections.remove(LONE_HEADING);
    for section in sections.values().chain(&lone) {
        out.push('\n');
        out.push_str(section);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    // Captured from a real criterion 0.5.1 run (a throwaway bench with a group
    // "parse/binding request"; criterion names the directory "parse_binding request/...").
    const RTC_BENCHMARK: &str = r#"{"group_id":"parse/binding request","function_id":"rtc","value_str":null,"throughput":null,"full_id":"parse/binding request/rtc","directory_name":"parse_binding request/rtc","title":"parse/binding request/rtc"}"#;
    const RTC_ESTIMATES: &str = r#"{"mean":{"confidence_interval":{"confidence_level":0.95,"lower_bound":0.731401330598945,"upper_bound":0.8221169744555084},"point_estimate":0.7791343888012776,"standard_error":0.02319942136136044},"median":{"confidence_interval":{"confidence_level":0.95,"lower_bound":0.6774158312174043,"upper_bound":0.8402480577483915},"point_estimate":0.8251407603632783,"standard_error":0.04521571492962688},"median_abs_dev":{"confidence_interval":{"confidence_level":0.95,"lower_bound":0.0029750551555723205,"upper_bound":0.11271477301816718},"point_estimate":0.035834026783107466,"standard_error":0.03385755367234298},"slope":{"confidence_interval":{"confidence_level":0.95,"lower_bound":0.6898582067032766,"upper_bound":0.7876701418931387},"point_estimate":0.7215703051278154,"standard_error":0.02536788985009633},"std_dev":{"confidence_interval":{"confidence_level":0.95,"lower_bound":0.044039007180995335,"upper_bound":0.08658909144598137},"point_estimate":0.07719622336925375,"standard_error":0.011309670324593932}}"#;
    const LONE_BENCHMARK: &str = r#"{"group_id":"single","function_id":null,"value_str":null,"throughput":null,"full_id":"single","directory_name":"single","title":"single"}"#;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|&a| a.to_owned()).collect()
    }

    fn key(group: &str, function: Option<&str>) -> Key {
        (group.to_owned(), function.map(str::to_owned))
    }

    fn header() -> Header {
        Header {
            date: "2026-01-01".to_owned(),
            machine: "2 cores".to_owned(),
            invocation: "cargo xtask bench --runs 3".to_owned(),
        }
    }

    /// The table row that starts with `| name |`.
    fn row<'a>(report: &'a str, name: &str) -> &'a str {
        let start = format!("| {name} |");
        report
            .lines()
            .find(|l| l.starts_with(&start))
            .unwrap_or_else(|| panic!("no row for {name} in\n{report}"))
    }

    #[test]
    fn parses_args() {
        let parsed = |list: &[&str]| parse_args(&args(list));
        assert_eq!(
            parsed(&[]),
            Ok(Options {
                name: None,
                runs: 3
            })
        );
        assert_eq!(
            parsed(&["stun", "--runs", "5"]),
            Ok(Options {
                name: Some("stun".to_owned()),
                runs: 5
            })
        );
        assert_eq!(
            parsed(&["--runs=1", "stun"]),
            Ok(Options {
                name: Some("stun".to_owned()),
                runs: 1
            })
        );
        for bad in [
            &["--runs", "0"][..],
            &["--runs"],
            &["--runs", "x"],
            &["--runs=-1"],
            &["a", "b"],
            &["--fast"],
        ] {
            assert!(parsed(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn commands_select_bench_targets_and_pass_extra_args() {
        let benches = args(&["stun"]);
        let extra = args(&["--warm-up-time", "1"]);
        assert_eq!(
            bench_commands(None, &benches, true, &[]),
            vec![
                args(&["bench", "--workspace", "--locked", "--bench", "*"]),
                args(&[
                    "bench",
                    "--manifest-path",
                    "bench/Cargo.toml",
                    "--locked",
                    "--bench",
                    "*"
                ]),
            ]
        );
        assert_eq!(
            bench_commands(Some("stun"), &benches, true, &extra),
            vec![
                args(&[
                    "bench",
                    "--workspace",
                    "--locked",
                    "--bench",
                    "stun",
                    "--",
                    "--warm-up-time",
                    "1"
                ]),
                args(&[
                    "bench",
                    "--manifest-path",
                    "bench/Cargo.toml",
                    "--locked",
                    "--bench",
                    "*",
                    "--",
                    "stun",
                    "--warm-up-time",
                    "1"
                ]),
            ]
        );
        // NAME is not a workspace bench target: only the comparison runs, filtered by it.
        assert_eq!(
            bench_commands(Some("parse"), &benches, false, &[]),
            Vec::<Vec<String>>::new()
        );
        assert_eq!(bench_commands(Some("parse"), &benches, true, &[]).len(), 1);
    }

    #[test]
    fn parses_criterion_json() {
        let m = parse_measurement(RTC_BENCHMARK, RTC_ESTIMATES).expect("parses");
        assert_eq!(m.group, "parse/binding request");
        assert_eq!(m.function.as_deref(), Some("rtc"));
        assert!((m.median - 0.825_140_760_363_278_3).abs() < 1e-12);

        assert_eq!(m.throughput, None);

        let lone = parse_measurement(LONE_BENCHMARK, RTC_ESTIMATES).expect("parses");
        assert_eq!(lone.group, "single");
        assert_eq!(lone.function, None);

        // Captured from criterion 0.5.1 (`group.throughput(Throughput::Elements(1))`).
        let pair = r#"{"group_id":"dtls: handshake pair","function_id":"rtc","value_str":null,"throughput":{"Elements":1},"full_id":"dtls: handshake pair/rtc","directory_name":"dtls_ handshake pair/rtc","title":"dtls: handshake pair/rtc"}"#;
        assert_eq!(
            parse_measurement(pair, RTC_ESTIMATES)
                .expect("parses")
                .throughput,
            Some(Throughput::Elements(1))
        );
        // Captured from criterion 0.5.1 (`g.throughput(Throughput::Bytes(32 << 20))`).
        let transfer = r#"{"group_id":"datachannel: 32 MiB","function_id":"rtc","value_str":null,"throughput":{"Bytes":33554432},"full_id":"datachannel: 32 MiB/rtc","directory_name":"datachannel_ 32 MiB/rtc","title":"datachannel: 32 MiB/rtc"}"#;
        assert_eq!(
            parse_measurement(transfer, RTC_ESTIMATES)
                .expect("parses")
                .throughput,
            Some(Throughput::Bytes(32 << 20))
        );
        assert_eq!(
            parse_throughput(&serde_json::json!({"BytesDecimal": 1000})),
            Some(Throughput::Bytes(1000))
        );

        assert!(parse_measurement("{}", RTC_ESTIMATES).is_err());
        assert!(parse_measurement(RTC_BENCHMARK, "{}").is_err());
    }

    #[test]
    fn parameterised_group() {
        let benchmark = r#"{"group_id":"emit","function_id":"rtc","value_str":"1200","throughput":null,"full_id":"emit/rtc/1200","directory_name":"emit/rtc/1200","title":"emit/rtc/1200"}"#;
        let m = parse_measurement(benchmark, RTC_ESTIMATES).expect("parses");
        assert_eq!(m.group, "emit/1200");
    }

    #[test]
    fn formats() {
        assert_eq!(format_ns(0.825_14), "825.1 ps");
        assert_eq!(format_ns(12.345), "12.35 ns");
        assert_eq!(format_ns(1_234.5), "1.234 µs");
        assert_eq!(format_ns(2_500_000.0), "2.500 ms");
        assert_eq!(ratio(3.4, Unit::Nanoseconds), "3.40x slower");
        assert_eq!(ratio(0.8, Unit::Nanoseconds), "1.25x faster");
        assert_eq!(ratio(25.0, Unit::Nanoseconds), "25.0x slower");
        assert_eq!(ratio(f64::NAN, Unit::Nanoseconds), "—");
        assert_eq!(ratio(2.1, Unit::Bytes), "2.10x more");
        assert_eq!(ratio(0.5, Unit::Bytes), "2.00x less");
        assert_eq!(format_bytes(812.4), "812 B");
        assert_eq!(format_bytes(46_285.0), "45.2 KiB");
        assert_eq!(format_bytes(1_572_864.0), "1.50 MiB");
        assert_eq!(Throughput::Bytes(32 << 20).rate(100e6), "320 MiB/s");
        assert_eq!(Throughput::Elements(1).rate(490_000.0), "2,041");
        assert_eq!(format_rate(2_043.4), "2,043");
        assert_eq!(format_rate(1_234_567.8), "1,234,568");
        assert_eq!(format_rate(100.0), "100");
        assert_eq!(format_rate(12.34), "12.3");
        assert_eq!(format_rate(0.4567), "0.457");
        assert_eq!(format_rate(f64::NAN), "—");
    }

    #[test]
    fn throughput_adds_a_per_second_column() {
        let g = "dtls: handshake pair";
        let runs: Vec<Run> = [(500_000.0, 1_800_000.0), (480_000.0, 2_000_000.0)]
            .into_iter()
            .map(|(ours, other)| {
                Run::from([
                    (key(g, Some("rtc")), ours),
                    (key(g, Some("webrtc-rs webrtc-dtls 0.12")), other),
                    (key("plain", Some("rtc")), 10.0),
                ])
            })
            .collect();
        let info = Info {
            throughput: BTreeMap::from([
                (key(g, Some("rtc")), Throughput::Elements(1)),
                (
                    key(g, Some("webrtc-rs webrtc-dtls 0.12")),
                    Throughput::Elements(1),
                ),
            ]),
            ..Info::default()
        };
        let report = render("", &header(), &runs, &info, false);
        // 1 pair / 490 µs = 2,041 per second; ratios 3.6 and 4.17 → 3.88.
        assert!(
            report.contains(
                "| implementation | median | per second | spread | vs ours |\n\
             |---|---:|---:|---:|---:|\n\
             | rtc (ours) | 490.0 µs | 2,041 | 480.0 µs – 500.0 µs | — |\n\
             | webrtc-rs webrtc-dtls 0.12 | 1.900 ms | 526 | 1.800 ms – 2.000 ms | 3.88x slower |\n"
            ),
            "{report}"
        );
        // A group without a throughput keeps its columns.
        assert!(report.contains(
            "| implementation | median | spread | vs ours |\n|---|---:|---:|---:|\n\
             | rtc (ours) | 10.00 ns | 10.00 ns – 10.00 ns | — |\n"
        ));
    }

    #[test]
    fn figures_join_the_run() {
        let text = concat!(
            r#"{"group":"dc: 32 MiB","function":"node-datachannel 0.33.4","value":400000000.0,"unit":"ns","throughput_bytes":33554432}"#,
            "\n\n",
            r#"{"group":"dc: heap per idle","function":"rtc","value":40960,"unit":"bytes"}"#,
            "\n",
        );
        let mut run = Run::from([(key("dc: 32 MiB", Some("rtc")), 100e6)]);
        let mut info = Info::default();
        info.throughput
            .insert(key("dc: 32 MiB", Some("rtc")), Throughput::Bytes(32 << 20));
        add_figures(text, &mut run, &mut info).expect("parses");
        let node = key("dc: 32 MiB", Some("node-datachannel 0.33.4"));
        assert_eq!(run[&node], 400e6);
        assert_eq!(info.throughput[&node], Throughput::Bytes(32 << 20));
        assert_eq!(info.unit(&node), Unit::Nanoseconds);
        assert_eq!(
            info.unit(&key("dc: heap per idle", Some("rtc"))),
            Unit::Bytes
        );

        // A second run, and a report: MiB/s for the transfer, bytes for the memory.
        let mut second = run.clone();
        second.insert(key("dc: heap per idle", Some("rtc")), 45_056.0);
        add_figures(
            r#"{"group":"dc: heap per idle","function":"str0m 0.25","value":57344,"unit":"bytes"}"#,
            &mut second,
            &mut info,
        )
        .expect("parses");
        let report = render("", &header(), &[run, second], &info, false);
        assert_eq!(
            row(&report, "rtc (ours)"),
            "| rtc (ours) | 100.0 ms | 320 MiB/s | 100.0 ms – 100.0 ms | — |"
        );
        assert_eq!(
            row(&report, "node-datachannel 0.33.4"),
            "| node-datachannel 0.33.4 | 400.0 ms | 80.0 MiB/s | 400.0 ms – 400.0 ms | 4.00x slower |"
        );
        assert!(
            report.contains(
                "| implementation | median | spread | vs ours |\n|---|---:|---:|---:|\n\
             | rtc (ours) | 42.0 KiB | 40.0 KiB – 44.0 KiB | — |\n\
             | str0m 0.25 | 56.0 KiB | — (1 of 2 runs) | 1.27x more |\n"
            ),
            "{report}"
        );

        for bad in [
            "not json",
            r#"{"group":"g","function":"f","value":1,"unit":"furlongs"}"#,
            r#"{"group":"g","value":1,"unit":"ns"}"#,
            r#"{"group":"g","function":"f","unit":"ns"}"#,
        ] {
            assert!(parse_figure(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn node_benches_run_for_datachannel() {
        let root = util::repo_root();
        if !root.join(NODE_DATACHANNEL).exists() {
            return;
        }
        let all = node_commands(&root, None);
        assert_eq!(
            all,
            vec![
                args(&["--expose-gc", NODE_DATACHANNEL, "ndc"]),
                args(&["--expose-gc", NODE_DATACHANNEL, "wrtc"]),
            ]
        );
        assert_eq!(node_commands(&root, Some("datachannel")), all);
        assert!(node_commands(&root, Some("stun")).is_empty());
    }

    #[test]
    fn medians() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[3.0]), Some(3.0));
        assert_eq!(median(&[9.0, 1.0, 3.0]), Some(3.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 10.0]), Some(3.5));
    }

    #[test]
    fn ratio_is_the_median_of_per_run_ratios() {
        // Per-run ratios 3.0, 2.0 and ~9.09: their median is 3.0, while the ratio of the
        // medians (400 / 110) would be 3.64.
        let g = "stun: parse";
        let runs: Vec<Run> = [(100.0, 300.0), (200.0, 400.0), (110.0, 1000.0)]
            .into_iter()
            .map(|(ours, other)| {
                Run::from([
                    (key(g, Some("rtc")), ours),
                    (key(g, Some("webrtc-rs stun 0.17")), other),
                ])
            })
            .collect();
        let report = render("", &header(), &runs, &Info::default(), false);
        assert!(report.contains(
            "- Figures: median over the section's runs of criterion's median per run (or of the \
             figure a bench reported, for what criterion cannot hold); spread is min–max over \
             runs (\"k of N runs\" when some runs lacked it); ratio (\"vs ours\", ours is `rtc`) \
             = median over runs of other/ours measured in the same run.\n"
        ));
        assert!(report.contains(
            "## stun: parse\n\n_Run: `cargo xtask bench --runs 3` on 2026-01-01 (UTC), 3 runs._\n\n\
             | implementation | median | spread | vs ours |\n|---|---:|---:|---:|\n"
        ));
        assert_eq!(
            row(&report, "rtc (ours)"),
            "| rtc (ours) | 110.0 ns | 100.0 ns – 200.0 ns | — |"
        );
        assert_eq!(
            row(&report, "webrtc-rs stun 0.17"),
            "| webrtc-rs stun 0.17 | 400.0 ns | 300.0 ns – 1.000 µs | 3.00x slower |"
        );
        assert!(
            report.find("| rtc (ours) |") < report.find("| webrtc-rs stun 0.17 |"),
            "ours comes first"
        );
    }

    #[test]
    fn ratio_only_pairs_results_of_the_same_run() {
        // Run 2 lost ours: its other result counts for the median and spread, not the ratio.
        let g = "g";
        let other = key(g, Some("other"));
        let runs = vec![
            Run::from([(key(g, Some("rtc")), 10.0), (other.clone(), 20.0)]),
            Run::from([(other.clone(), 1000.0)]),
            Run::from([(key(g, Some("rtc")), 10.0), (other, 40.0)]),
        ];
        let report = render("", &header(), &runs, &Info::default(), false);
        assert_eq!(
            row(&report, "rtc (ours)"),
            "| rtc (ours) | 10.00 ns | 10.00 ns – 10.00 ns (2 of 3 runs) | — |"
        );
        // Ratios 2.0 and 4.0 → 3.0; median of 20, 40, 1000 → 40.
        assert_eq!(
            row(&report, "other"),
            "| other | 40.00 ns | 20.00 ns – 1.000 µs | 3.00x slower |"
        );
    }

    #[test]
    fn groups_without_ours_have_no_ratio_column() {
        let runs: Vec<Run> = [232.0, 240.0]
            .into_iter()
            .map(|build| {
                Run::from([
                    (
                        key("rtc-stun", Some("build binding request (MI + FINGERPRINT)")),
                        build,
                    ),
                    (key("rtc-stun", Some("parse binding request")), 71.5),
                    (key("single", None), 5.0),
                ])
            })
            .collect();
        let report = render("", &header(), &runs, &Info::default(), false);
        assert!(report.contains(
            "## rtc-stun\n\n_Run: `cargo xtask bench --runs 3` on 2026-01-01 (UTC), 2 runs._\n\n\
             | benchmark | median | spread |\n|---|---:|---:|\n\
             | build binding request (MI + FINGERPRINT) | 236.0 ns | 232.0 ns – 240.0 ns |\n\
             | parse binding request | 71.50 ns | 71.50 ns – 71.50 ns |\n"
        ));
        assert!(!report.contains("vs ours |\n"));
        assert!(!report.contains("no `rtc`"));
        assert!(report.contains(
            "## Other benches\n\n_Run: `cargo xtask bench --runs 3` on 2026-01-01 (UTC), 2 runs._\n\n\
             | bench | median | spread |\n|---|---:|---:|\n\
             | single | 5.000 ns | 5.000 ns – 5.000 ns |\n"
        ));
        assert!(!report.contains("## single"));
    }

    #[test]
    fn single_run_and_notes() {
        let runs = vec![Run::from([
            (key("g", Some("rtc")), 10.0),
            (key("g", Some("other")), 8.0),
        ])];
        let old = "# Benchmarks\n\n<!-- notes -->\nmine\n<!-- /notes -->\n\nold table\n";
        let report = render(old, &header(), &runs, &Info::default(), false);
        assert!(report.contains("<!-- notes -->\nmine\n<!-- /notes -->"));
        assert!(!report.contains("old table"));
        assert!(report.contains("(UTC), 1 run._\n"));
        assert_eq!(
            row(&report, "other"),
            "| other | 8.000 ns | — | 1.25x faster |"
        );

        let fresh = render("", &header(), &runs, &Info::default(), false);
        assert!(fresh.contains(DEFAULT_NOTES));
    }

    /// A report of groups A and B made by one full run, each with its provenance line.
    fn report_a_b() -> String {
        let runs = vec![Run::from([
            (key("A", Some("rtc")), 10.0),
            (key("A", Some("other")), 20.0),
            (key("B", Some("rtc")), 30.0),
        ])];
        let old = "# Benchmarks\n\n<!-- notes -->\nmine\n<!-- /notes -->\n";
        render(old, &header(), &runs, &Info::default(), false)
    }

    #[test]
    fn a_named_run_replaces_only_its_groups() {
        let old = report_a_b();
        let old_a = &old_sections(&old)["A"];
        assert!(old_a.starts_with("## A\n\n_Run: `cargo xtask bench --runs 3` on 2026-01-01"));

        let partial = Header {
            date: "2026-02-02".to_owned(),
            machine: "2 cores".to_owned(),
            invocation: "cargo xtask bench b --runs 5".to_owned(),
        };
        let runs = vec![Run::from([
            (key("B", Some("rtc")), 99.0),
            (key("C", Some("rtc")), 7.0),
        ])];
        let report = render(&old, &partial, &runs, &Info::default(), true);
        assert!(report.contains("<!-- notes -->\nmine\n<!-- /notes -->"));
        let sections = old_sections(&report);
        assert_eq!(
            sections.keys().collect::<Vec<_>>(),
            ["A", "B", "C"],
            "{report}"
        );
        // A is kept as it was, B and C come from this run.
        assert_eq!(&sections["A"], old_a);
        assert!(report.contains(&format!("\n{old_a}\n## B\n")), "{report}");
        assert!(sections["B"].contains("_Run: `cargo xtask bench b --runs 5` on 2026-02-02"));
        assert!(sections["B"].contains("| rtc (ours) | 99.00 ns |"));
        assert!(!report.contains("30.00 ns"));
        assert!(sections["C"].contains("on 2026-02-02 (UTC), 1 run._"));
        assert!(report.find("## A") < report.find("## B"));
        assert!(report.find("## B") < report.find("## C"));

        // A full run rewrites everything: A is gone.
        let full = render(&old, &partial, &runs, &Info::default(), false);
        assert_eq!(old_sections(&full).keys().collect::<Vec<_>>(), ["B", "C"]);
    }

    #[test]
    fn lone_benches_stay_last() {
        let old = render(
            "",
            &header(),
            &[Run::from([
                (key("single", None), 5.0),
                (key("z", Some("f")), 1.0),
            ])],
            &Info::default(),
            false,
        );
        let report = render(
            &old,
            &header(),
            &[Run::from([(key("B", Some("rtc")), 1.0)])],
            &Info::default(),
            true,
        );
        let headings: Vec<_> = report.lines().filter(|l| l.starts_with("## ")).collect();
        assert_eq!(headings, ["## B", "## z", "## Other benches"]);
        assert!(report.contains("| single | 5.000 ns |"));
    }

    #[test]
    fn sections_of_a_report_with_one_header_get_its_provenance() {
        let old = "# Benchmarks\n\n<!-- notes -->\n## not a section\n<!-- /notes -->\n\n\
                   Generated by `cargo xtask bench --runs 3` on 2026-11-21 (UTC).\n\n\
                   - Figures: median over 3 runs of criterion's median per run; spread ...\n\n\
                   ## A\n\n| benchmark | median | spread |\n|---|---:|---:|\n| x | 1 | 2 |\n\n\n\
                   ## B\n\n| benchmark | median | spread |\n|---|---:|---:|\n| y | 3 | 4 |\n";
        let sections = old_sections(old);
        assert_eq!(sections.keys().collect::<Vec<_>>(), ["A", "B"]);
        assert_eq!(
            sections["A"],
            "## A\n\n_Run: `cargo xtask bench --runs 3` on 2026-11-21 (UTC), 3 runs._\n\n\
             | benchmark | median | spread |\n|---|---:|---:|\n| x | 1 | 2 |\n"
        );
    }

    /// docs/benchmarks.md as it is now parses into one section per `## ` heading after the
    /// notes, each with a table and a provenance line.
    #[test]
    fn the_real_report_parses() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/benchmarks.md");
        let Ok(doc) = fs::read_to_string(&path) else {
            return;
        };
        let after_notes = doc.split(NOTES_END).last().unwrap_or_default();
        let headings = after_notes.lines().filter(|l| l.starts_with("## ")).count();
        let sections = old_sections(&doc);
        assert_eq!(sections.len(), headings);
        for (heading, text) in &sections {
            assert!(text.starts_with(&format!("## {heading}\n")), "{text}");
            assert!(text.contains(PROVENANCE), "{text}");
            assert!(text.contains("\n|---|"), "{text}");
        }
    }
}
