//! A progress bar on stderr: redrawn in place at most ten times a second on a terminal, a
//! line every 25% otherwise (logs, CI).

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

const WIDTH: usize = 30;
const REDRAW: Duration = Duration::from_millis(100);

/// Bytes of a transfer so far, shown against the total.
#[derive(Debug)]
pub struct Progress {
    label: String,
    total: u64,
    done: u64,
    start: Instant,
    last_draw: Option<Instant>,
    /// The last quarter printed when stderr is not a terminal.
    quarter: u64,
    enabled: bool,
    terminal: bool,
}

impl Progress {
    /// A bar for `total` bytes; draws nothing when `enabled` is false.
    pub fn new(label: impl Into<String>, total: u64, enabled: bool) -> Self {
        Self {
            label: label.into(),
            total,
            done: 0,
            start: Instant::now(),
            last_draw: None,
            quarter: 0,
            enabled,
            terminal: std::io::stderr().is_terminal(),
        }
    }

    /// `n` more bytes.
    pub fn advance(&mut self, n: u64) {
        self.done += n;
        if !self.enabled {
            return;
        }
        if self.terminal {
            let now = Instant::now();
            if self.last_draw.is_none_or(|t| now - t >= REDRAW) {
                self.last_draw = Some(now);
                self.draw(false);
            }
        } else {
            let quarter = (self.done * 4).checked_div(self.total).unwrap_or(4);
            if quarter > self.quarter && quarter < 4 {
                self.quarter = quarter;
                eprintln!("{}", self.line());
            }
        }
    }

    /// The final state, on its own line.
    pub fn finish(&mut self) {
        if self.enabled {
            self.draw(true);
        }
    }

    /// Bytes so far.
    pub fn done(&self) -> u64 {
        self.done
    }

    fn draw(&self, last: bool) {
        let mut err = std::io::stderr().lock();
        if self.terminal {
            let _ = write!(err, "\r{}\x1b[K", self.line());
            if last {
                let _ = writeln!(err);
            }
        } else if last {
            let _ = writeln!(err, "{}", self.line());
        }
        let _ = err.flush();
    }

    fn line(&self) -> String {
        let fraction = if self.total == 0 {
            1.0
        } else {
            (self.done as f64 / self.total as f64).min(1.0)
        };
        let filled = (fraction * WIDTH as f64).round() as usize;
        let secs = self.start.elapsed().as_secs_f64().max(1e-3);
        format!(
            "{} [{}{}] {:3.0}% {} / {} {}/s",
            self.label,
            "#".repeat(filled),
            ".".repeat(WIDTH - filled),
            fraction * 100.0,
            bytes(self.done),
            bytes(self.total),
            bytes((self.done as f64 / secs) as u64),
        )
    }
}

/// `512 B`, `1.5 KiB`, `3.2 MiB`, `1.1 GiB`.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut value = n as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(bytes(0), "0 B");
        assert_eq!(bytes(1023), "1023 B");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(bytes(3 * 1024 * 1024), "3.0 MiB");
    }

    #[test]
    fn the_bar_fills() {
        let mut p = Progress::new("x", 100, false);
        p.advance(50);
        assert!(p.line().contains(" 50%"));
        assert!(
            p.line()
                .contains(&format!("[{}{}]", "#".repeat(15), ".".repeat(15)))
        );
        p.advance(60);
        assert!(p.line().contains("100%"), "never past 100%");
        assert_eq!(p.done(), 110);
    }
}
