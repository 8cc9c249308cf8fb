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
//! iteration divided by the median time.
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

    let dirs = criterion_dirs(&root);
    let mut results: Vec<Run> = Vec::new();
    let mut throughputs = Throughputs::new();
    for run in 1..=runs {
        println!("\n== run {run} of {runs} ==");
        let mut medians = Run::new();
        for args in &commands {
            // Criterion rewrites `new/` each time, so read this command's results now, and only
            // those written since it started (file times here have ns precision).
            let started = SystemTime::now();
            util::run(util::cargo().args(args))?;
            for dir in &dirs {
                collect(dir, started, &mut medians, &mut throughputs)?;
            }
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
        &throughputs,
        name.is_some(),
    );
    fs::create_dir_all(root.join("docs")).map_err(|e| format!("cannot create docs/: {e}"))?;
    fs::write(&path, &report).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    println!("\n{report}\nwrote {}", path.display());
    Ok(())
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

/// One run's results: criterion's median time per iteration (ns) of each benchmark.
type Run = BTreeMap<Key, f64>;

/// Elements per iteration of the benchmarks that declare a criterion throughput in elements.
type Throughputs = BTreeMap<Key, u64>;

/// One criterion result.
#[derive(Debug, Clone, PartialEq)]
struct Measurement {
    group: String,
    function: Option<String>,
    /// Criterion's median time per iteration, ns.
    median: f64,
    /// Elements per iteration, when the bench declared `Throughput::Elements`.
    elements: Option<u64>,
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
        elements: benchmark["throughput"]["Elements"].as_u64(),
    })
}

/// Adds every `**/new/` result under `dir` written after `since` to `out`, and its throughput
/// (if it declares one) to `throughputs`.
fn collect(dir: &Path, since: SystemTime, out: &mut Run, throughputs: &mut Throughputs) -> Result {
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
                if let Some(elements) = m.elements {
                    throughputs.insert(key.clone(), elements);
                }
                if out.insert(key, m.median).is_some() {
                    println!(
                        "warning: {} repeats a benchmark already seen in this run; keeping it",
                        path.display()
                    );
                }
            }
        } else {
            collect(&path, since, out, throughputs)?;
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

/// A ratio other / ours in words: "3.40x slower", "1.25x faster".
fn ratio(r: f64) -> String {
    if !(r.is_finite() && r > 0.0) {
        return "—".to_owned();
    }
    let (factor, word) = if r >= 1.0 {
        (r, "slower")
    } else {
        (1.0 / r, "faster")
    };
    if factor >= 10.0 {
        format!("{factor:.1}x {word}")
    } else {
        format!("{factor:.2}x {word}")
    }
}

/// The spread cell: min – max of the per-run medians, and how many runs had the benchmark
/// when some did not.
fn spread(summary: &Summary, runs: usize) -> String {
    let (min, max) = summary.range();
    let mut cell = if summary.medians.len() > 1 {
        format!("{} – {}", format_ns(min), format_ns(max))
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
fn new_sections(
    header: &Header,
    runs: &[Run],
    throughputs: &Throughputs,
) -> BTreeMap<String, String> {
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
        let elements = |s: &Summary| throughputs.get(&(group.to_owned(), s.function.clone()));
        let per_second = rows.iter().any(|s| elements(s).is_some());
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
            out.push_str(&format!(
                "| {} | {} |",
                util::md_cell(&name),
                format_ns(s.median())
            ));
            if per_second {
                let rate = elements(s).map_or(f64::NAN, |&e| e as f64 * 1e9 / s.median());
                out.push_str(&format!(" {} |", format_rate(rate)));
            }
            out.push_str(&format!(" {} |", spread(s, n)));
            if has_ours {
                let versus = if function == OURS {
                    "—".to_owned()
                } else {
                    median(&s.ratios).map_or_else(|| "—".to_owned(), ratio)
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
            out.push_str(&format!(
                "| {} | {} | {} |\n",
                util::md_cell(group),
                format_ns(s.median()),
                spread(&s, n)
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
fn render(
    old: &str,
    header: &Header,
    runs: &[Run],
    throughputs: &Throughputs,
    keep_old: bool,
) -> String {
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
         criterion in both.\n\
         - Figures: median over the section's runs of criterion's median per run; spread is \
         min–max over runs (\"k of N runs\" when some runs lacked it); ratio (\"vs ours\", ours \
         is `{OURS}`) = median over runs of other/ours measured in the same run.\n"
    ));

    let mut sections = if keep_old {
        old_sections(old)
    } else {
        BTreeMap::new()
    };
    sections.extend(new_sections(header, runs, throughputs));
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

        assert_eq!(m.elements, None);

        let lone = parse_measurement(LONE_BENCHMARK, RTC_ESTIMATES).expect("parses");
        assert_eq!(lone.group, "single");
        assert_eq!(lone.function, None);

        // Captured from criterion 0.5.1 (`group.throughput(Throughput::Elements(1))`).
        let pair = r#"{"group_id":"dtls: handshake pair","function_id":"rtc","value_str":null,"throughput":{"Elements":1},"full_id":"dtls: handshake pair/rtc","directory_name":"dtls_ handshake pair/rtc","title":"dtls: handshake pair/rtc"}"#;
        assert_eq!(
            parse_measurement(pair, RTC_ESTIMATES)
                .expect("parses")
                .elements,
            Some(1)
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
        assert_eq!(ratio(3.4), "3.40x slower");
        assert_eq!(ratio(0.8), "1.25x faster");
        assert_eq!(ratio(25.0), "25.0x slower");
        assert_eq!(ratio(f64::NAN), "—");
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
        let throughputs = Throughputs::from([
            (key(g, Some("rtc")), 1),
            (key(g, Some("webrtc-rs webrtc-dtls 0.12")), 1),
        ]);
        let report = render("", &header(), &runs, &throughputs, false);
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
        let report = render("", &header(), &runs, &Throughputs::new(), false);
        assert!(report.contains(
            "- Figures: median over the section's runs of criterion's median per run; spread is \
             min–max over runs (\"k of N runs\" when some runs lacked it); ratio (\"vs ours\", \
             ours is `rtc`) = median over runs of other/ours measured in the same run.\n"
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
        let report = render("", &header(), &runs, &Throughputs::new(), false);
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
        let report = render("", &header(), &runs, &Throughputs::new(), false);
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
        let report = render(old, &header(), &runs, &Throughputs::new(), false);
        assert!(report.contains("<!-- notes -->\nmine\n<!-- /notes -->"));
        assert!(!report.contains("old table"));
        assert!(report.contains("(UTC), 1 run._\n"));
        assert_eq!(
            row(&report, "other"),
            "| other | 8.000 ns | — | 1.25x faster |"
        );

        let fresh = render("", &header(), &runs, &Throughputs::new(), false);
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
        render(old, &header(), &runs, &Throughputs::new(), false)
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
        let report = render(&old, &partial, &runs, &Throughputs::new(), true);
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
        let full = render(&old, &partial, &runs, &Throughputs::new(), false);
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
            &Throughputs::new(),
            false,
        );
        let report = render(
            &old,
            &header(),
            &[Run::from([(key("B", Some("rtc")), 1.0)])],
            &Throughputs::new(),
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
