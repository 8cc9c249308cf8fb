//! Helpers shared by the subcommands: running commands (echoed first), child processes with
//! deadlines, finding programs, installing packages, temporary directories.

use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::fmt::Write as _;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// Every subcommand reports failure as a message for the user.
pub(crate) type Result<T = ()> = std::result::Result<T, String>;

/// The repository root (the parent of the `xtask` crate).
pub(crate) fn repo_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.parent().unwrap_or(manifest_dir).to_path_buf()
}

/// The cargo that runs us (cargo sets `CARGO` for `cargo run`), else `cargo` from `PATH`.
pub(crate) fn cargo() -> Command {
    let program = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(program);
    cmd.current_dir(repo_root());
    cmd
}

/// `cargo metadata --no-deps` of the workspace, parsed.
pub(crate) fn cargo_metadata() -> Result<serde_json::Value> {
    let json =
        stdout_of(cargo().args(["metadata", "--format-version", "1", "--no-deps", "--locked"]))?;
    serde_json::from_str(&json).map_err(|e| format!("cannot parse cargo metadata: {e}"))
}

/// The main workspace's target directory (`CARGO_TARGET_DIR` or `<root>/target`).
pub(crate) fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => repo_root().join(dir),
        None => repo_root().join("target"),
    }
}

fn quote(arg: &OsStr) -> String {
    let s = arg.to_string_lossy();
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=,@+%".contains(c))
    {
        s.into_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// A command as a shell line: the environment it sets, the program, the arguments.
pub(crate) fn display(cmd: &Command) -> String {
    let mut line = String::new();
    for (key, value) in cmd.get_envs() {
        if let Some(value) = value {
            let _ = write!(line, "{}={} ", key.to_string_lossy(), quote(value));
        }
    }
    // `cargo xtask` runs cargo through the `CARGO` path; show it as plain `cargo`.
    if std::env::var_os("CARGO").is_some_and(|cargo| cargo == cmd.get_program()) {
        line.push_str("cargo");
    } else {
        line.push_str(&quote(cmd.get_program()));
    }
    for arg in cmd.get_args() {
        line.push(' ');
        line.push_str(&quote(arg));
    }
    line
}

/// Prints the command the way a shell transcript would.
pub(crate) fn echo(cmd: &Command) {
    println!("$ {}", display(cmd));
}

fn describe_status(status: ExitStatus) -> String {
    match status.code() {
        Some(code) => format!("exit status {code}"),
        None => format!("{status} (killed by a signal)"),
    }
}

/// Echoes and runs a command with inherited stdio; an error unless it exits 0.
pub(crate) fn run(cmd: &mut Command) -> Result {
    echo(cmd);
    let status = cmd
        .status()
        .map_err(|e| format!("cannot start `{}`: {e}", display(cmd)))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!(
            "`{}` failed: {}",
            display(cmd),
            describe_status(status)
        ))
    }
}

/// Echoes and runs a command, capturing its stdout; stderr goes to ours. An error unless it
/// exits 0.
pub(crate) fn stdout_of(cmd: &mut Command) -> Result<String> {
    echo(cmd);
    let output = cmd
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot start `{}`: {e}", display(cmd)))?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        Err(format!(
            "`{}` failed: {}",
            display(cmd),
            describe_status(output.status)
        ))
    }
}

/// Echoes and runs a command with its output discarded; whether it started and exited 0.
pub(crate) fn succeeds(cmd: &mut Command) -> bool {
    echo(cmd);
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// The path of `program` found in `PATH`, like the shell's `command -v`.
pub(crate) fn which(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Whether we run as root (the real user id in `/proc/self/status`).
pub(crate) fn is_root() -> bool {
    fs::read_to_string("/proc/self/status").is_ok_and(|status| {
        status
            .lines()
            .find_map(|line| line.strip_prefix("Uid:"))
            .and_then(|ids| ids.split_whitespace().next())
            == Some("0")
    })
}

/// `apt-get update` runs at most once per xtask process.
static APT_UPDATED: AtomicBool = AtomicBool::new(false);

/// Installs Debian packages non-interactively; runs `apt-get update` once and retries when
/// the first attempt fails (a fresh machine has no package lists). Never skips: without root
/// this is an error that says what to install.
pub(crate) fn apt_install(packages: &[&str]) -> Result {
    if packages.is_empty() {
        return Ok(());
    }
    if !is_root() {
        return Err(format!(
            "missing Debian packages {packages:?} and not running as root; install them with \
             `sudo apt-get install -y {}`",
            packages.join(" ")
        ));
    }
    let install = || {
        let mut cmd = Command::new("apt-get");
        cmd.env("DEBIAN_FRONTEND", "noninteractive")
            .args(["install", "-y"])
            .args(packages)
            .stdin(Stdio::null());
        run(&mut cmd)
    };
    match install() {
        Ok(()) => Ok(()),
        Err(first) if !APT_UPDATED.swap(true, Ordering::SeqCst) => {
            println!("{first}; running `apt-get update` and trying again");
            run(Command::new("apt-get")
                .env("DEBIAN_FRONTEND", "noninteractive")
                .args(["update", "-q"])
                .stdin(Stdio::null()))?;
            install()
        }
        Err(e) => Err(e),
    }
}

/// Makes sure every `(program, debian_package)` pair has its program in `PATH`, installing
/// the packages of the missing ones.
pub(crate) fn ensure_programs(pairs: &[(&str, &str)]) -> Result {
    let missing: BTreeSet<&str> = pairs
        .iter()
        .filter(|(program, _)| which(program).is_none())
        .map(|&(_, package)| package)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    apt_install(&missing.into_iter().collect::<Vec<_>>())?;
    match pairs.iter().find(|(program, _)| which(program).is_none()) {
        Some((program, package)) => Err(format!(
            "`{program}` is still not in PATH after installing the Debian package `{package}`"
        )),
        None => Ok(()),
    }
}

/// Whether the Debian package `package` is installed (`dpkg-query`'s status).
pub(crate) fn deb_installed(package: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", package])
        .output()
        .is_ok_and(|o| o.status.success() && o.stdout.ends_with(b" installed"))
}

/// The file a package manager helper writes after a successful install: a copy of the lock or
/// requirements file it installed from, so an unchanged one is not installed again.
fn stamp_matches(stamp: &Path, wanted: &[u8]) -> bool {
    fs::read(stamp).is_ok_and(|had| had == wanted)
}

/// `npm ci` in `dir` (which holds package.json and package-lock.json) unless its node_modules
/// was installed from the same package-lock.json already. Needs `node` and `npm`: installs
/// Debian's when missing.
pub(crate) fn npm_install(dir: &Path) -> Result {
    let lock_path = dir.join("package-lock.json");
    let lock =
        fs::read(&lock_path).map_err(|e| format!("cannot read {}: {e}", lock_path.display()))?;
    let stamp = dir.join("node_modules/.xtask-package-lock.json");
    if stamp_matches(&stamp, &lock) {
        return Ok(());
    }
    ensure_programs(&[("node", "nodejs"), ("npm", "npm")])?;
    run(Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--loglevel=warn"])
        .current_dir(dir)
        .stdin(Stdio::null()))?;
    fs::write(&stamp, &lock).map_err(|e| format!("cannot write {}: {e}", stamp.display()))
}

/// A Python virtual environment at `venv` with the packages of `requirements` installed from
/// wheels only, unless it was already made from the same requirements file. The venv is made
/// with `python3 -m venv`; Debian's `python3-venv` is installed when that fails.
pub(crate) fn pip_install(venv: &Path, requirements: &Path) -> Result {
    let wanted = fs::read(requirements)
        .map_err(|e| format!("cannot read {}: {e}", requirements.display()))?;
    let python = venv.join("bin/python");
    let stamp = venv.join(".xtask-requirements.txt");
    if stamp_matches(&stamp, &wanted) && succeeds(Command::new(&python).args(["-c", ""])) {
        return Ok(());
    }
    ensure_programs(&[("python3", "python3")])?;
    let make_venv = || {
        if venv.exists() {
            fs::remove_dir_all(venv)
                .map_err(|e| format!("cannot remove {}: {e}", venv.display()))?;
        }
        run(Command::new("python3")
            .args(["-m", "venv"])
            .arg(venv)
            .stdin(Stdio::null()))
    };
    if let Err(first) = make_venv() {
        // Debian's own python3 has no ensurepip without python3-venv.
        println!("{first}; installing python3-venv and trying again");
        apt_install(&["python3-venv"])?;
        make_venv()?;
    }
    run(Command::new(&python)
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-input",
            "--only-binary=:all:",
            "-r",
        ])
        .arg(requirements)
        .stdin(Stdio::null()))?;
    fs::write(&stamp, &wanted).map_err(|e| format!("cannot write {}: {e}", stamp.display()))
}

/// What a command printed and how it ended, from [`run_with_timeout`].
#[derive(Debug)]
pub(crate) struct Captured {
    /// Exit status, `None` when it was killed at the deadline.
    pub(crate) status: Option<ExitStatus>,
    /// Everything written to stdout.
    pub(crate) stdout: String,
    /// Everything written to stderr.
    pub(crate) stderr: String,
}

impl Captured {
    /// "exit status 0", "timed out", ...
    pub(crate) fn describe(&self) -> String {
        self.status
            .map_or_else(|| "timed out (killed)".to_owned(), describe_status)
    }

    /// Whether it exited by itself with status 0.
    pub(crate) fn success(&self) -> bool {
        self.status.is_some_and(|s| s.success())
    }
}

/// Reads a pipe to its end in a thread; the bytes so far are readable at any time, so output
/// is not lost when a grandchild keeps the pipe open after the child was killed.
struct PipeReader {
    bytes: Arc<Mutex<Vec<u8>>>,
    thread: thread::JoinHandle<()>,
}

impl PipeReader {
    fn spawn(mut pipe: impl Read + Send + 'static) -> Self {
        let bytes = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&bytes);
        let thread = thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n @ 1..) = pipe.read(&mut buf) {
                if let Ok(mut sink) = sink.lock() {
                    sink.extend_from_slice(&buf[..n]);
                }
            }
        });
        Self { bytes, thread }
    }

    /// Waits up to `grace` for the end of the pipe, then returns what was read.
    fn finish(self, grace: Duration) -> String {
        let deadline = Instant::now() + grace;
        while !self.thread.is_finished() && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(10));
        }
        let bytes = self.bytes.lock().map(|b| b.clone()).unwrap_or_default();
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

/// Echoes and runs a command, capturing stdout and stderr, and kills it when it has not ended
/// after `timeout`: a hung peer fails its case instead of hanging the run.
pub(crate) fn run_with_timeout(cmd: &mut Command, timeout: Duration) -> Result<Captured> {
    echo(cmd);
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start `{}`: {e}", display(cmd)))?;
    let stdout = child.stdout.take().map(PipeReader::spawn);
    let stderr = child.stderr.take().map(PipeReader::spawn);
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(20)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            Err(e) => return Err(format!("waiting for `{}`: {e}", display(cmd))),
        }
    };
    // A grandchild could keep a pipe open; do not wait for it forever.
    let collect = |reader: Option<PipeReader>| {
        reader.map_or_else(String::new, |r| r.finish(Duration::from_secs(1)))
    };
    Ok(Captured {
        status,
        stdout: collect(stdout),
        stderr: collect(stderr),
    })
}

/// A long-running child (a server) whose stdout and stderr go to a log file; killed and reaped
/// when dropped.
#[derive(Debug)]
pub(crate) struct Background {
    name: String,
    child: Child,
    log: PathBuf,
}

impl Background {
    /// Echoes and starts `cmd`, sending its output to `log`.
    pub(crate) fn spawn(name: &str, cmd: &mut Command, log: &Path) -> Result<Self> {
        let file = fs::File::create(log)
            .map_err(|e| format!("cannot create log file {}: {e}", log.display()))?;
        let file2 = file
            .try_clone()
            .map_err(|e| format!("cannot duplicate log file handle: {e}"))?;
        echo(cmd);
        println!("  (output in {})", log.display());
        let child = cmd
            .stdin(Stdio::null())
            .stdout(file)
            .stderr(file2)
            .spawn()
            .map_err(|e| format!("cannot start `{}`: {e}", display(cmd)))?;
        Ok(Self {
            name: name.to_owned(),
            child,
            log: log.to_path_buf(),
        })
    }

    /// What it has written so far.
    pub(crate) fn log(&self) -> String {
        fs::read(&self.log)
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .unwrap_or_default()
    }

    /// The last `n` lines it wrote, for error messages.
    pub(crate) fn log_tail(&self, n: usize) -> String {
        tail(&self.log(), n)
    }

    /// `Some(status)` once it has exited.
    pub(crate) fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// Waits until a line of its log satisfies `ready`; an error when it exits first or
    /// `timeout` passes.
    pub(crate) fn wait_for_line(
        &mut self,
        ready: impl Fn(&str) -> bool,
        timeout: Duration,
    ) -> Result {
        let deadline = Instant::now() + timeout;
        loop {
            if self.log().lines().any(&ready) {
                return Ok(());
            }
            if let Some(status) = self.exited() {
                return Err(format!(
                    "{} exited ({}) before it was ready; its last output:\n{}",
                    self.name,
                    describe_status(status),
                    self.log_tail(15)
                ));
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "{} was not ready after {} s; its last output:\n{}",
                    self.name,
                    timeout.as_secs(),
                    self.log_tail(15)
                ));
            }
            thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        if self.exited().is_none() {
            println!("stopping {} (pid {})", self.name, self.child.id());
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// The last `n` lines of `text`.
pub(crate) fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// A directory removed (with its contents) when dropped.
#[derive(Debug)]
pub(crate) struct TempDir {
    path: PathBuf,
}

impl TempDir {
    /// Creates a fresh, empty `$TMPDIR/<prefix>-<pid>`.
    pub(crate) fn new(prefix: &str) -> Result<Self> {
        let path = std::env::temp_dir().join(format!("{prefix}-{}", std::process::id()));
        if path.exists() {
            fs::remove_dir_all(&path)
                .map_err(|e| format!("cannot remove stale {}: {e}", path.display()))?;
        }
        fs::create_dir_all(&path).map_err(|e| format!("cannot create {}: {e}", path.display()))?;
        Ok(Self { path })
    }

    /// Where it is.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.path);
    }
}

/// Copies the files of `from` (recursively) into `to`.
pub(crate) fn copy_dir(from: &Path, to: &Path) -> Result {
    fs::create_dir_all(to).map_err(|e| format!("cannot create {}: {e}", to.display()))?;
    let entries = fs::read_dir(from).map_err(|e| format!("cannot read {}: {e}", from.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot read {}: {e}", from.display()))?;
        let source = entry.path();
        let dest = to.join(entry.file_name());
        if source.is_dir() {
            copy_dir(&source, &dest)?;
        } else {
            fs::copy(&source, &dest).map_err(|e| {
                format!(
                    "cannot copy {} to {}: {e}",
                    source.display(),
                    dest.display()
                )
            })?;
        }
    }
    Ok(())
}

/// `1.2 s`, `340 ms`, `2m 05s`: for step timings.
pub(crate) fn format_elapsed(elapsed: Duration) -> String {
    let secs = elapsed.as_secs();
    if secs >= 60 {
        format!("{}m {:02}s", secs / 60, secs % 60)
    } else if secs >= 1 {
        format!("{:.1} s", elapsed.as_secs_f64())
    } else {
        format!("{} ms", elapsed.as_millis())
    }
}

/// Today's date in UTC as `YYYY-MM-DD` (what `date -u +%F` prints).
pub(crate) fn utc_date() -> String {
    let days = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() / 86_400);
    let (y, m, d) = civil_from_days(i64::try_from(days).unwrap_or(0));
    format!("{y:04}-{m:02}-{d:02}")
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    // Both are in range by construction (1..=31, 1..=12).
    (
        y,
        u32::try_from(m).unwrap_or(1),
        u32::try_from(d).unwrap_or(1),
    )
}

/// Replaces `|` and newlines so `text` fits in a markdown table cell.
pub(crate) fn md_cell(text: &str) -> String {
    text.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// The block from `start` through `end` (both markers included) in `text`, if present.
pub(crate) fn marked_block<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = text.find(start)?;
    let to = text[from..].find(end)? + from + end.len();
    Some(&text[from..to])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
        assert_eq!(civil_from_days(20_454), (2026, 1, 1));
    }

    #[test]
    fn quoting() {
        let mut cmd = Command::new("ip");
        cmd.env("A", "1").args(["netns", "exec", "x y", "it's"]);
        assert_eq!(display(&cmd), r"A=1 ip netns exec 'x y' 'it'\''s'");
    }

    #[test]
    fn blocks() {
        let text = "a\n<!-- notes -->\nkeep\n<!-- /notes -->\nb";
        assert_eq!(
            marked_block(text, "<!-- notes -->", "<!-- /notes -->"),
            Some("<!-- notes -->\nkeep\n<!-- /notes -->")
        );
        assert_eq!(
            marked_block("none", "<!-- notes -->", "<!-- /notes -->"),
            None
        );
    }

    #[test]
    fn timeout_kills() {
        let out = run_with_timeout(
            Command::new("sh").args(["-c", "echo hi; sleep 3"]),
            Duration::from_millis(300),
        )
        .expect("sh runs");
        assert!(out.status.is_none());
        assert_eq!(out.stdout, "hi\n");
    }
}
