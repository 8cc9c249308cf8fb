//! `cargo xtask bench [NAME]`: runs the criterion benches — the workspace's, then the
//! side-by-side comparison crate in `bench/` (its own workspace, since it depends on other
//! stacks) — and writes docs/benchmarks.md from criterion's JSON results.
//!
//! Comparison groups hold one function named `rtc` (ours) and one per other implementation
//! (`webrtc-rs stun 0.17`, ...); the table gives each one's ratio to ours.

use std::collections::BTreeMap;
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

/// Entry point for `cargo xtask bench`.
pub(crate) fn main(args: &[String]) -> Result {
    let name = match args {
        [] => None,
        [name] if !name.starts_with('-') => Some(name.as_str()),
        _ => return Err(format!("usage: cargo xtask bench [NAME], got {args:?}")),
    };
    let root = util::repo_root();
    // Only results written by this run go into the report (file times here have ns precision).
    let started = SystemTime::now();
    let mut commands = Vec::new();

    let workspace_benches = workspace_bench_targets()?;
    match name {
        Some(name) if !workspace_benches.iter().any(|b| b == name) => println!(
            "no bench target `{name}` in the workspace (there are: {}); skipping the workspace \
             benches",
            workspace_benches.join(", ")
        ),
        _ => {
            let mut cmd = util::cargo();
            cmd.args(["bench", "--workspace", "--locked"]);
            if let Some(name) = name {
                cmd.args(["--bench", name]);
            }
            util::run(&mut cmd)?;
            commands.push(util::display(&cmd));
        }
    }

    if root.join("bench/Cargo.toml").exists() {
        let mut cmd = util::cargo();
        cmd.args(["bench", "--manifest-path", "bench/Cargo.toml", "--locked"]);
        if let Some(name) = name {
            cmd.args(["--", name]);
        }
        util::run(&mut cmd)?;
        commands.push(util::display(&cmd));
    } else {
        println!("no bench/Cargo.toml: no side-by-side comparison to run");
    }
    if commands.is_empty() {
        return Err("no benches were run".to_owned());
    }

    let mut measurements = Vec::new();
    for dir in criterion_dirs(&root) {
        collect(&dir, started, &mut measurements)?;
    }
    if measurements.is_empty() {
        return Err("the benches ran but left no criterion results newer than this run".to_owned());
    }
    let path = root.join("docs/benchmarks.md");
    let old = fs::read_to_string(&path).unwrap_or_default();
    let mut invocation = "cargo xtask bench".to_owned();
    if let Some(name) = name {
        invocation.push(' ');
        invocation.push_str(name);
    }
    let report = render(
        &old,
        &Header {
            date: util::utc_date(),
            machine: machine(),
            invocation,
            commands,
        },
        &measurements,
    );
    fs::create_dir_all(root.join("docs")).map_err(|e| format!("cannot create docs/: {e}"))?;
    fs::write(&path, &report).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    println!("\n{report}\nwrote {}", path.display());
    Ok(())
}

/// Names of the workspace's bench targets.
fn workspace_bench_targets() -> Result<Vec<String>> {
    let json = util::stdout_of(util::cargo().args([
        "metadata",
        "--format-version",
        "1",
        "--no-deps",
        "--locked",
    ]))?;
    let metadata: Value =
        serde_json::from_str(&json).map_err(|e| format!("cannot parse cargo metadata: {e}"))?;
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

/// One criterion result.
#[derive(Debug, Clone, PartialEq)]
struct Measurement {
    /// `group_id` from benchmark.json, plus `/value` for parameterised benches.
    group: String,
    /// `function_id`: the implementation in a comparison group; `None` for a lone bench.
    function: Option<String>,
    /// Median time per iteration, ns.
    median: f64,
    /// 95% (criterion's default level) confidence interval of the median, ns.
    lower: f64,
    upper: f64,
    /// The interval's level, e.g. 0.95.
    level: f64,
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
    let median = &estimates["median"];
    let number = |v: &Value, what: &str| {
        v.as_f64()
            .ok_or_else(|| format!("estimates.json has no {what}"))
    };
    Ok(Measurement {
        group,
        function: benchmark["function_id"].as_str().map(str::to_owned),
        median: number(&median["point_estimate"], "median.point_estimate")?,
        lower: number(
            &median["confidence_interval"]["lower_bound"],
            "median lower bound",
        )?,
        upper: number(
            &median["confidence_interval"]["upper_bound"],
            "median upper bound",
        )?,
        level: median["confidence_interval"]["confidence_level"]
            .as_f64()
            .unwrap_or(0.95),
    })
}

/// Adds every `**/new/` result under `dir` written after `since`.
fn collect(dir: &Path, since: SystemTime, out: &mut Vec<Measurement>) -> Result {
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
                out.push(m);
            }
        } else {
            collect(&path, since, out)?;
        }
    }
    Ok(())
}

/// What the report says about how it was made.
struct Header {
    date: String,
    machine: String,
    invocation: String,
    commands: Vec<String>,
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

/// `other / ours` in words: "3.40x slower", "1.25x faster".
fn ratio(other: f64, ours: f64) -> String {
    if ours <= 0.0 || other <= 0.0 {
        return "—".to_owned();
    }
    let r = other / ours;
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

fn render(old: &str, header: &Header, measurements: &[Measurement]) -> String {
    let notes = util::marked_block(old, NOTES_START, NOTES_END).unwrap_or(DEFAULT_NOTES);
    let mut out = format!("# Benchmarks\n\n{notes}\n\n");
    out.push_str(&format!(
        "Generated by `{}` on {} (UTC).\n\n",
        header.invocation, header.date
    ));
    out.push_str(&format!("- Machine: {}\n", header.machine));
    out.push_str("- Commands it ran:\n");
    for command in &header.commands {
        out.push_str(&format!("  - `{command}`\n"));
    }
    out.push_str(&format!(
        "- Figures: criterion's median time per iteration and the confidence interval of the \
         median, from one run; \"vs ours\" is other / ours (`{OURS}`).\n"
    ));

    let mut groups: BTreeMap<&str, Vec<&Measurement>> = BTreeMap::new();
    let mut lone: Vec<&Measurement> = Vec::new();
    for m in measurements {
        match m.function {
            Some(_) => groups.entry(m.group.as_str()).or_default().push(m),
            None => lone.push(m),
        }
    }
    for (group, mut rows) in groups {
        // Ours first, then the others by name.
        rows.sort_by_key(|m| (m.function.as_deref() != Some(OURS), m.function.clone()));
        let ours = rows
            .iter()
            .find(|m| m.function.as_deref() == Some(OURS))
            .map(|m| m.median);
        let level = rows.first().map_or(0.95, |m| m.level);
        out.push_str(&format!("\n## {group}\n\n"));
        out.push_str(&format!(
            "| implementation | median | {:.0}% CI | vs ours |\n|---|---:|---:|---:|\n",
            level * 100.0
        ));
        for m in rows {
            let function = m.function.as_deref().unwrap_or_default();
            let (name, versus) = if function == OURS {
                (format!("{OURS} (ours)"), "—".to_owned())
            } else {
                (
                    function.to_owned(),
                    ours.map_or_else(|| "— (no `rtc`)".to_owned(), |o| ratio(m.median, o)),
                )
            };
            out.push_str(&format!(
                "| {} | {} | {} – {} | {} |\n",
                util::md_cell(&name),
                format_ns(m.median),
                format_ns(m.lower),
                format_ns(m.upper),
                versus
            ));
        }
    }
    if !lone.is_empty() {
        lone.sort_by(|a, b| a.group.cmp(&b.group));
        out.push_str("\n## Other benches\n\n| bench | median | 95% CI |\n|---|---:|---:|\n");
        for m in lone {
            out.push_str(&format!(
                "| {} | {} | {} – {} |\n",
                util::md_cell(&m.group),
                format_ns(m.median),
                format_ns(m.lower),
                format_ns(m.upper)
            ));
        }
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
    const OTHER_BENCHMARK: &str = r#"{"group_id":"parse/binding request","function_id":"webrtc-rs stun 0.17","value_str":null,"throughput":null,"full_id":"parse/binding request/webrtc-rs stun 0.17","directory_name":"parse_binding request/webrtc-rs stun 0.17","title":"parse/binding request/webrtc-rs stun 0.17"}"#;
    const OTHER_ESTIMATES: &str = r#"{"mean":{"confidence_interval":{"confidence_level":0.95,"lower_bound":0.7543583023046794,"upper_bound":0.8159803969393357},"point_estimate":0.7771438663188706,"standard_error":0.017692786975694264},"median":{"confidence_interval":{"confidence_level":0.95,"lower_bound":0.7480833882678859,"upper_bound":0.7687626103697633},"point_estimate":0.7626956909018937,"standard_error":0.0066214192045832105},"median_abs_dev":{"confidence_interval":{"confidence_level":0.95,"lower_bound":0.00141045629781284,"upper_bound":0.02638131623282418},"point_estimate":0.009172053313658614,"standard_error":0.00764183538380629},"slope":{"confidence_interval":{"confidence_level":0.95,"lower_bound":0.7581583286848814,"upper_bound":0.7946921394949267},"point_estimate":0.7708058600950438,"standard_error":0.009512917691356924},"std_dev":{"confidence_interval":{"confidence_level":0.95,"lower_bound":0.007061062427217913,"upper_bound":0.09049986386725975},"point_estimate":0.05879851712173963,"standard_error":0.02951267576390274}}"#;
    const LONE_BENCHMARK: &str = r#"{"group_id":"single","function_id":null,"value_str":null,"throughput":null,"full_id":"single","directory_name":"single","title":"single"}"#;

    #[test]
    fn parses_criterion_json() {
        let m = parse_measurement(RTC_BENCHMARK, RTC_ESTIMATES).expect("parses");
        assert_eq!(m.group, "parse/binding request");
        assert_eq!(m.function.as_deref(), Some("rtc"));
        assert!((m.median - 0.825_140_760_363_278_3).abs() < 1e-12);
        assert!((m.lower - 0.677_415_831_217_404_3).abs() < 1e-12);
        assert!((m.upper - 0.840_248_057_748_391_5).abs() < 1e-12);
        assert!((m.level - 0.95).abs() < 1e-12);

        let lone = parse_measurement(LONE_BENCHMARK, RTC_ESTIMATES).expect("parses");
        assert_eq!(lone.group, "single");
        assert_eq!(lone.function, None);

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
        assert_eq!(ratio(34.0, 10.0), "3.40x slower");
        assert_eq!(ratio(8.0, 10.0), "1.25x faster");
        assert_eq!(ratio(250.0, 10.0), "25.0x slower");
    }

    #[test]
    fn report_keeps_notes_and_compares_to_ours() {
        let measurements = vec![
            parse_measurement(OTHER_BENCHMARK, OTHER_ESTIMATES).expect("parses"),
            parse_measurement(RTC_BENCHMARK, RTC_ESTIMATES).expect("parses"),
            parse_measurement(LONE_BENCHMARK, RTC_ESTIMATES).expect("parses"),
        ];
        let header = Header {
            date: "2026-01-01".to_owned(),
            machine: "2 cores".to_owned(),
            invocation: "cargo xtask bench".to_owned(),
            commands: vec!["cargo bench --workspace --locked".to_owned()],
        };
        let old = "# Benchmarks\n\n<!-- notes -->\nmine\n<!-- /notes -->\n\nold table\n";
        let report = render(old, &header, &measurements);
        assert!(report.contains("<!-- notes -->\nmine\n<!-- /notes -->"));
        assert!(!report.contains("old table"));
        assert!(report.contains("## parse/binding request"));
        let rtc_row = report.find("| rtc (ours) | 825.1 ps |").expect("our row");
        let other_row = report
            .find("| webrtc-rs stun 0.17 | 762.7 ps | 748.1 ps – 768.8 ps | 1.08x faster |")
            .expect("their row");
        assert!(rtc_row < other_row, "ours comes first");
        assert!(report.contains("| single | 825.1 ps |"));

        let fresh = render("", &header, &measurements);
        assert!(fresh.contains(DEFAULT_NOTES));
    }
}
