//! Figures that criterion cannot hold (percentiles, bytes, one-off transfers), handed to
//! `cargo xtask bench`: it sets `XTASK_BENCH_FIGURES` to a file and reads one JSON object per
//! line from it after each command, next to criterion's results (see xtask/src/bench.rs).
//! Every figure is printed as well, so a plain `cargo bench` shows it.

use std::io::Write;

/// The variable naming the file that figures are appended to.
pub const FIGURES_ENV: &str = "XTASK_BENCH_FIGURES";

/// What a figure's value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Nanoseconds (a time per iteration, like criterion's).
    Nanoseconds,
    /// Bytes.
    Bytes,
}

impl Unit {
    fn name(self) -> &'static str {
        match self {
            Self::Nanoseconds => "ns",
            Self::Bytes => "bytes",
        }
    }
}

/// One figure: `function` in comparison group `group` (ours is `rtc`), with the bytes it moved
/// when it is a transfer time (for a per-second column).
pub fn record(group: &str, function: &str, value: f64, unit: Unit, throughput_bytes: Option<u64>) {
    let shown = match unit {
        Unit::Nanoseconds => format!("{:.3} ms", value / 1e6),
        Unit::Bytes => format!("{:.0} bytes", value),
    };
    let rate = throughput_bytes
        .filter(|_| unit == Unit::Nanoseconds && value > 0.0)
        .map(|bytes| {
            format!(
                " ({:.1} MiB/s)",
                bytes as f64 / (1 << 20) as f64 / (value / 1e9)
            )
        })
        .unwrap_or_default();
    println!("{group}/{function}: {shown}{rate}");
    let Some(path) = std::env::var_os(FIGURES_ENV) else {
        return;
    };
    let mut line = serde_json::json!({
        "group": group,
        "function": function,
        "value": value,
        "unit": unit.name(),
    });
    if let Some(bytes) = throughput_bytes {
        line["throughput_bytes"] = bytes.into();
    }
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut f| writeln!(f, "{line}"));
    if let Err(e) = written {
        panic!("cannot append to {}: {e}", path.to_string_lossy());
    }
}

/// The `p`-th percentile (0-100) of `values` by the nearest-rank method.
pub fn percentile(values: &[f64], p: f64) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Criterion's name filter, if the command line has one (its first free argument).
pub fn criterion_filter() -> Option<String> {
    const WITH_VALUE: &[&str] = &[
        "-c",
        "--color",
        "-s",
        "--save-baseline",
        "-b",
        "--baseline",
        "--baseline-lenient",
        "--load-baseline",
        "--sample-size",
        "--warm-up-time",
        "--measurement-time",
        "--nresamples",
        "--noise-threshold",
        "--confidence-level",
        "--significance-level",
        "--profile-time",
        "--plotting-backend",
        "--output-format",
        "--format",
    ];
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if WITH_VALUE.contains(&arg.as_str()) {
            args.next();
        } else if !arg.starts_with('-') {
            return Some(arg);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let values: Vec<f64> = (1..=200).map(f64::from).collect();
        assert_eq!(percentile(&values, 50.0), 100.0);
        assert_eq!(percentile(&values, 99.0), 198.0);
        assert_eq!(percentile(&[3.0], 99.0), 3.0);
        assert!(percentile(&[], 50.0).is_nan());
    }
}
