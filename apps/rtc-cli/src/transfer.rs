//! File transfer over a data channel, the same protocol in the CLI and the page.
//!
//! The sender opens a channel labelled [`FILE_LABEL`] (ordered and reliable, the W3C
//! `RTCDataChannelInit` defaults) and sends, in order:
//!
//! 1. a text message with the header `{"name":"..","size":N,"sha256":"<64 hex digits>"}`;
//! 2. the content as binary messages of [`CHUNK`] bytes (the last one shorter), waiting
//!    whenever more than the facade's high-water mark is buffered (back-pressure from
//!    `bufferedAmount`);
//! 3. the text message `done`.
//!
//! The receiver counts and hashes what arrives and answers on the same channel with its
//! verdict, `{"type":"result","ok":true,"sha256":".."}` or
//! `{"type":"result","ok":false,"reason":".."}`; the sender closes the channel once it has it.
//! 16 KiB chunks fit every stack's message size limit and keep one message from holding up
//! the channel (RFC 8831 §6.6 suggests limiting message sizes for interleaving).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bytes::Bytes;
use rtc::{RTCDataChannel, RTCDataChannelInit};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::fs::File;
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufWriter};
use tracing::{debug, info};

use crate::Error;
use crate::progress::{Progress, bytes};
use crate::session::{PeerOptions, Session, SessionEvent};

/// The label of a file transfer's channel.
pub const FILE_LABEL: &str = "file";
/// Bytes of one binary message.
pub const CHUNK: usize = 16 * 1024;
/// The text message that ends the content.
pub const DONE: &str = "done";
/// How long the sender waits for the receiver's verdict after `done`.
const VERDICT_TIMEOUT: Duration = Duration::from_secs(60);
/// How long the receiver waits for the sender to close the channel after its verdict.
const LINGER: Duration = Duration::from_secs(5);

/// The header message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileHeader {
    /// The file's name (no directories).
    pub name: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its SHA-256, 64 lowercase hex digits.
    pub sha256: String,
}

/// What a transfer moved.
#[derive(Debug, Clone)]
pub struct TransferReport {
    /// The file's name.
    pub name: String,
    /// Where the receiver wrote it (`None` on the sending side).
    pub path: Option<PathBuf>,
    /// Bytes.
    pub size: u64,
    /// Its SHA-256 (hex), checked by the receiver.
    pub sha256: String,
    /// From the header to the verdict.
    pub elapsed: Duration,
}

impl TransferReport {
    /// MiB/s over [`Self::elapsed`].
    pub fn mib_per_second(&self) -> f64 {
        self.size as f64 / 1_048_576.0 / self.elapsed.as_secs_f64().max(1e-6)
    }
}

/// `rtc send`.
#[derive(Debug, Clone)]
pub struct SendOptions {
    /// The room to send through.
    pub peer: PeerOptions,
    /// The file.
    pub path: PathBuf,
    /// Draw a progress bar.
    pub progress: bool,
    /// Give up after this long (waiting for a peer included).
    pub timeout: Option<Duration>,
}

impl SendOptions {
    /// Sends `path` through `peer`'s room; no progress bar, no timeout.
    pub fn new(peer: PeerOptions, path: impl Into<PathBuf>) -> Self {
        Self {
            peer,
            path: path.into(),
            progress: false,
            timeout: None,
        }
    }
}

/// `rtc receive`.
#[derive(Debug, Clone)]
pub struct ReceiveOptions {
    /// The room to receive in.
    pub peer: PeerOptions,
    /// Where to write the file.
    pub out_dir: PathBuf,
    /// Largest file taken.
    pub max_size: u64,
    /// Draw a progress bar.
    pub progress: bool,
    /// Give up after this long (waiting for a peer included).
    pub timeout: Option<Duration>,
}

impl ReceiveOptions {
    /// Receives one file into `out_dir`; at most 64 GiB, no progress bar, no timeout.
    pub fn new(peer: PeerOptions, out_dir: impl Into<PathBuf>) -> Self {
        Self {
            peer,
            out_dir: out_dir.into(),
            max_size: 64 << 30,
            progress: false,
            timeout: None,
        }
    }
}

async fn with_timeout<T>(
    timeout: Option<Duration>,
    what: &str,
    work: impl Future<Output = Result<T, Error>>,
) -> Result<T, Error> {
    match timeout {
        Some(limit) => tokio::time::timeout(limit, work).await.map_err(|_| {
            Error::Timeout(format!(
                "{what} did not finish in {} s",
                limit.as_secs_f64()
            ))
        })?,
        None => work.await,
    }
}

/// Joins the room, waits for a peer and the connection, and sends the file.
pub async fn send_file(options: SendOptions) -> Result<TransferReport, Error> {
    let (size, sha256) = hash_file(&options.path).await?;
    let name = options
        .path
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(sanitize_name)
        .ok_or_else(|| {
            Error::Transfer(format!(
                "{}: not a file name that can be sent",
                options.path.display()
            ))
        })?;
    let header = FileHeader { name, size, sha256 };
    with_timeout(options.timeout, "sending", async {
        let mut session = Session::start(&options.peer).await?;
        session
            .connected(|dc| debug!("the peer opened channel {:?}", dc.label()))
            .await?;
        info!("connected; sending {} ({})", header.name, bytes(size));
        let outcome = async {
            let mut dc = session
                .pc
                .create_data_channel(FILE_LABEL, RTCDataChannelInit::default())
                .await?;
            dc.opened().await?;
            send_over(&mut dc, &options.path, &header, options.progress).await
        }
        .await;
        session.close().await;
        outcome
    })
    .await
}

/// Joins the room, waits for a peer's file channel and receives one file into the output
/// directory.
pub async fn receive_file(options: ReceiveOptions) -> Result<TransferReport, Error> {
    tokio::fs::create_dir_all(&options.out_dir).await?;
    with_timeout(options.timeout, "receiving", async {
        let mut session = Session::start(&options.peer).await?;
        let outcome = async {
            let dc = loop {
                match session.next().await {
                    Some(SessionEvent::DataChannel(dc)) if dc.label() == FILE_LABEL => break dc,
                    Some(SessionEvent::DataChannel(dc)) => {
                        debug!("the peer opened channel {:?}", dc.label());
                    }
                    Some(SessionEvent::Connected) => info!("connected; waiting for a file"),
                    Some(SessionEvent::PeerJoined(id)) => info!("peer {id} joined"),
                    Some(SessionEvent::Track(_) | SessionEvent::KeyframeRequest(_)) => {}
                    Some(SessionEvent::PeerLeft(id)) => {
                        return Err(Error::Peer(format!("peer {id} left without sending")));
                    }
                    Some(SessionEvent::Failed(why)) => return Err(Error::Peer(why)),
                    Some(SessionEvent::Closed) | None => {
                        return Err(Error::Peer("the connection closed".to_owned()));
                    }
                }
            };
            receive_over(dc, &options.out_dir, options.max_size, options.progress).await
        }
        .await;
        session.close().await;
        outcome
    })
    .await
}

/// The size and SHA-256 (hex) of a file.
pub async fn hash_file(path: &Path) -> Result<(u64, String), Error> {
    let mut file = File::open(path)
        .await
        .map_err(|e| Error::Transfer(format!("{}: {e}", path.display())))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut size = 0u64;
    loop {
        let n = file.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        size += n as u64;
    }
    Ok((size, hex(&hasher.finalize())))
}

/// Sends the file on an open channel and waits for the receiver's verdict.
pub async fn send_over(
    dc: &mut RTCDataChannel,
    path: &Path,
    header: &FileHeader,
    progress: bool,
) -> Result<TransferReport, Error> {
    let start = Instant::now();
    let text =
        serde_json::to_string(header).map_err(|e| Error::Transfer(format!("header: {e}")))?;
    dc.send_text(&text).await?;
    let mut file = File::open(path).await?;
    let mut bar = Progress::new(format!("sending {}", header.name), header.size, progress);
    let mut buf = vec![0u8; CHUNK];
    let mut sent = 0u64;
    loop {
        let n = read_full(&mut file, &mut buf).await?;
        if n == 0 {
            break;
        }
        sent += n as u64;
        if sent > header.size {
            break;
        }
        dc.send(Bytes::copy_from_slice(&buf[..n])).await?;
        bar.advance(n as u64);
    }
    if sent != header.size {
        return Err(Error::Transfer(format!(
            "{} changed while it was sent ({} bytes, {sent} now)",
            path.display(),
            header.size
        )));
    }
    dc.send_text(DONE).await?;
    bar.finish();
    let verdict = tokio::time::timeout(VERDICT_TIMEOUT, async {
        while let Some(message) = dc.recv().await {
            if !message.is_string {
                continue;
            }
            let Ok(value) = serde_json::from_str::<Value>(&message.text()) else {
                continue;
            };
            if value.get("type").and_then(Value::as_str) == Some("result") {
                return Some(value);
            }
        }
        None
    })
    .await
    .map_err(|_| Error::Timeout("no verdict from the receiver after `done`".to_owned()))?
    .ok_or_else(|| Error::Transfer("the receiver closed the channel without a verdict".into()))?;
    dc.close();
    if verdict.get("ok") == Some(&Value::Bool(true)) {
        Ok(TransferReport {
            name: header.name.clone(),
            path: None,
            size: header.size,
            sha256: header.sha256.clone(),
            elapsed: start.elapsed(),
        })
    } else {
        Err(Error::Transfer(format!(
            "the receiver refused the file: {}",
            verdict
                .get("reason")
                .and_then(Value::as_str)
                .unwrap_or("(no reason)")
        )))
    }
}

/// Reads until `buf` is full or the file ends.
async fn read_full(file: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        let n = file.read(&mut buf[filled..]).await?;
        if n == 0 {
            break;
        }
        filled += n;
    }
    Ok(filled)
}

/// Tells the sender why the file is refused; the error to return.
async fn refuse(dc: &RTCDataChannel, part: Option<&Path>, reason: String) -> Error {
    if let Some(part) = part {
        let _ = tokio::fs::remove_file(part).await;
    }
    let verdict = json!({ "type": "result", "ok": false, "reason": reason }).to_string();
    let _ = dc.send_text(&verdict).await;
    Error::Transfer(reason)
}

/// Receives one file on a channel into `out_dir`: header, chunks, `done`; checks the size and
/// SHA-256, sends the verdict and waits (a little) for the sender to close the channel.
pub async fn receive_over(
    mut dc: RTCDataChannel,
    out_dir: &Path,
    max_size: u64,
    progress: bool,
) -> Result<TransferReport, Error> {
    let start = Instant::now();
    let header = match dc.recv().await {
        Some(m) if m.is_string => match serde_json::from_str::<FileHeader>(&m.text()) {
            Ok(h) => h,
            Err(e) => return Err(refuse(&dc, None, format!("bad header: {e}")).await),
        },
        Some(_) => {
            return Err(refuse(&dc, None, "binary data before the header".to_owned()).await);
        }
        None => {
            return Err(Error::Transfer(
                "the file channel closed before the header".to_owned(),
            ));
        }
    };
    let Some(name) = sanitize_name(&header.name) else {
        return Err(refuse(&dc, None, format!("unusable file name {:?}", header.name)).await);
    };
    if header.size > max_size {
        let reason = format!(
            "{} is larger than the {} this receiver takes",
            bytes(header.size),
            bytes(max_size)
        );
        return Err(refuse(&dc, None, reason).await);
    }
    let expected = header.sha256.to_ascii_lowercase();
    if expected.len() != 64 || !expected.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(refuse(&dc, None, "sha256 is not 64 hex digits".to_owned()).await);
    }
    info!("receiving {name} ({})", bytes(header.size));
    let part = out_dir.join(format!(".rtc-receive-{}.part", std::process::id()));
    let mut writer = BufWriter::with_capacity(256 * 1024, File::create(&part).await?);
    let mut hasher = Sha256::new();
    let mut got = 0u64;
    let mut bar = Progress::new(format!("receiving {name}"), header.size, progress);
    loop {
        let Some(message) = dc.recv().await else {
            let _ = tokio::fs::remove_file(&part).await;
            return Err(Error::Transfer(format!(
                "the channel closed after {got} of {} bytes",
                header.size
            )));
        };
        if message.is_string {
            if message.data.as_ref() == DONE.as_bytes() {
                break;
            }
            let reason = format!("unexpected text message {:?}", truncate(&message.text()));
            return Err(refuse(&dc, Some(&part), reason).await);
        }
        got += message.data.len() as u64;
        if got > header.size {
            let reason = format!("more than the {} bytes announced", header.size);
            return Err(refuse(&dc, Some(&part), reason).await);
        }
        hasher.update(&message.data);
        if let Err(e) = writer.write_all(&message.data).await {
            return Err(refuse(&dc, Some(&part), format!("cannot write: {e}")).await);
        }
        bar.advance(message.data.len() as u64);
    }
    bar.finish();
    if let Err(e) = writer.flush().await {
        return Err(refuse(&dc, Some(&part), format!("cannot write: {e}")).await);
    }
    drop(writer);
    let actual = hex(&hasher.finalize());
    if got != header.size {
        let reason = format!(
            "size mismatch: {got} bytes received, {} announced",
            header.size
        );
        return Err(refuse(&dc, Some(&part), reason).await);
    }
    if actual != expected {
        let reason = format!("SHA-256 mismatch: announced {expected}, received {actual}");
        return Err(refuse(&dc, Some(&part), reason).await);
    }
    let path = unique_path(out_dir, &name).await;
    tokio::fs::rename(&part, &path).await?;
    let verdict = json!({ "type": "result", "ok": true, "sha256": actual }).to_string();
    dc.send_text(&verdict).await?;
    let elapsed = start.elapsed();
    // The sender closes the channel when it has the verdict; closing the connection sooner
    // could lose the verdict.
    let _ = tokio::time::timeout(LINGER, async { while dc.recv().await.is_some() {} }).await;
    Ok(TransferReport {
        name,
        path: Some(path),
        size: got,
        sha256: actual,
        elapsed,
    })
}

fn truncate(text: &str) -> String {
    text.chars().take(80).collect()
}

/// The file name to write for a name a peer sent: its last path component, without control
/// characters; `None` for nothing usable (empty, `.`, `..`, over 255 bytes).
pub fn sanitize_name(name: &str) -> Option<String> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = base.chars().filter(|c| !c.is_control()).collect();
    let cleaned = cleaned.trim();
    if cleaned.is_empty() || cleaned == "." || cleaned == ".." || cleaned.len() > 255 {
        None
    } else {
        Some(cleaned.to_owned())
    }
}

/// `dir/name`, or `dir/stem (N).ext` when that exists: a received file never replaces one.
async fn unique_path(dir: &Path, name: &str) -> PathBuf {
    let first = dir.join(name);
    if !tokio::fs::try_exists(&first).await.unwrap_or(false) {
        return first;
    }
    let (stem, ext) = match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => (stem, format!(".{ext}")),
        _ => (name, String::new()),
    };
    for n in 1..10_000 {
        let candidate = dir.join(format!("{stem} ({n}){ext}"));
        if !tokio::fs::try_exists(&candidate).await.unwrap_or(false) {
            return candidate;
        }
    }
    dir.join(format!("{stem} ({}){ext}", std::process::id()))
}

/// Lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_lose_their_directories() {
        assert_eq!(sanitize_name("a.txt").as_deref(), Some("a.txt"));
        assert_eq!(sanitize_name("../../etc/passwd").as_deref(), Some("passwd"));
        assert_eq!(sanitize_name("C:\\x\\y.bin").as_deref(), Some("y.bin"));
        assert_eq!(sanitize_name("a\u{0}b\nc").as_deref(), Some("abc"));
        for bad in ["", "..", ".", "dir/", "  "] {
            assert_eq!(sanitize_name(bad), None, "{bad:?}");
        }
        assert_eq!(sanitize_name(&"x".repeat(256)), None);
    }

    #[test]
    fn sha256_of_abc() {
        // FIPS 180-4 example "abc".
        assert_eq!(
            hex(&Sha256::digest(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn headers_have_the_pages_shape() {
        let h: FileHeader =
            serde_json::from_str(r#"{"name":"a","size":3,"sha256":"00"}"#).expect("parses");
        assert_eq!(h.size, 3);
        assert_eq!(
            serde_json::to_value(&h).expect("serializes"),
            json!({"name":"a","size":3,"sha256":"00"})
        );
    }
}
