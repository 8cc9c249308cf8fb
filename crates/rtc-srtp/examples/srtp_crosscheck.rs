//! Byte-for-byte cross-check of rtc-srtp against libsrtp2, in every profile and with every
//! crypto backend compiled in (RustCrypto always, ring with `--features ring`).
//!
//! ```text
//! gcc -O2 -o target/interop/srtp-harness interop/srtp/harness.c $(pkg-config --cflags --libs libsrtp2)
//! cargo run -p rtc-srtp --features ring --example srtp_crosscheck -- target/interop/srtp-harness
//! libsrtp: libsrtp2 2.5.0
//! seed: 0x53525450
//! ok SRTP_AES128_CM_HMAC_SHA1_80 RustCrypto: 2000 RTP + 500 RTCP packets byte-equal both ways; ...
//! ```
//!
//! The harness (`interop/srtp/harness.c`) runs libsrtp behind a line protocol on its stdin and
//! stdout. For each profile and backend, seeded random sessions (random master key and salt, one
//! or two random SSRCs) send random RTP packets (payloads of 0 to 1400 bytes, 0 to 15 CSRCs,
//! one-byte `0xBEDE` and two-byte `0x100X` header extensions of random lengths, random marker,
//! payload type and padding) and RTCP compound packets (SR or RR, then SDES, BYE, APP and
//! feedback packets of random lengths). Most streams start a few packets short of sequence
//! number 65535, so the rollover counter goes to 1; some sessions jump 1100 to 2000 sequence
//! numbers ahead. Every packet is checked three ways:
//!
//! 1. our `protect` output equals libsrtp's `srtp_protect` output, byte for byte;
//! 2. libsrtp's `srtp_unprotect` of ours gives back the original packet;
//! 3. our `unprotect` of libsrtp's gives back the original packet.
//!
//! Packets are received slightly reordered (never across a jump, never before a stream's first
//! packet). Negative checks: a copy with one bit flipped is refused by both receivers (before
//! the real packet, which must then still be accepted); a packet delivered again is refused by
//! both as a replay; after a jump, the stream's first packet is refused by both as too old. At
//! the end of a session, libsrtp's rollover counters (sender and receiver) equal ours.
//!
//! Two smaller kinds of session per profile and backend (a quarter as many as the main ones):
//! - the replay window's edge: seq `b`, `b + 1025`, then `b + 2` (1023 behind: accepted by
//!   both) and `b + 1` (1024 behind: refused by both; both windows hold 1024 indices);
//! - unencrypted SRTCP: libsrtp with an authentication-only SRTCP policy sends E=0 packets
//!   (RFC 3711 §3.4, RFC 7714 §9.3), which we never send; our receiver must give back the
//!   original and refuse flipped bits and replays. (libsrtp's own receiver refuses E=0 with
//!   status 14, `cant_check`, in the AES-CM profiles when its policy encrypts, and accepts it
//!   in the AES-GCM ones; ours accepts it in all four.)
//!
//! libsrtp numbers the first SRTCP packet of a stream 1, where RFC 3711 §3.4 says 0 (which is
//! what we send). To compare SRTCP byte for byte, our sender first protects as many warm-up
//! packets as libsrtp's first index says; they are delivered to both receivers like the others.
//!
//! One line per profile and backend: `ok PROFILE BACKEND: ...`, or `FAIL PROFILE BACKEND: ...`
//! followed by a hex dump of the case (seed, session, master key and salt, the packets), and
//! then the exit status is 1 (2 when the harness cannot be used: `FAIL setup: ...`).
//!
//! Options: `--sessions N` (default 20) sessions of `--rtp N` (100) RTP and `--rtcp N` (25)
//! RTCP packets each; `--seed N` (decimal or 0x hex).

use std::io::{BufRead, BufReader, BufWriter, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use rtc_crypto::CryptoProvider;
use rtc_srtp::{Error, ProtectionProfile, SrtpConfig, SrtpContext};

type Result<T> = std::result::Result<T, String>;

/// Room for the longest trailer (SRTCP with AES-GCM: 16-byte tag and 4-byte index).
const TRAILER_ROOM: usize = 32;

/// libsrtp's `srtp_err_status_t` values the checks expect.
const LIBSRTP_REPLAY_FAIL: i32 = 9;
const LIBSRTP_REPLAY_OLD: i32 = 10;

/// The harness's session slots.
const LIB_OUT: u32 = 0;
const LIB_IN: u32 = 1;
const LIB_OUT_AUTH_ONLY: u32 = 2;

fn profile_name(profile: ProtectionProfile) -> &'static str {
    match profile {
        ProtectionProfile::Aes128CmHmacSha1_80 => "SRTP_AES128_CM_HMAC_SHA1_80",
        ProtectionProfile::Aes128CmHmacSha1_32 => "SRTP_AES128_CM_HMAC_SHA1_32",
        ProtectionProfile::AeadAes128Gcm => "SRTP_AEAD_AES_128_GCM",
        ProtectionProfile::AeadAes256Gcm => "SRTP_AEAD_AES_256_GCM",
    }
}

// ---------------------------------------------------------------------------------------------
// Random numbers: xorshift64*, seeded.

struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        // Never zero, and different seeds differ from the first number on.
        let mut rng = Self(seed ^ 0x9E37_79B9_7F4A_7C15 | 1);
        for _ in 0..4 {
            rng.next();
        }
        rng
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `0..n` (n > 0); the bias is negligible for the small `n` used here.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below((hi - lo + 1) as u64) as usize
    }

    /// True with probability `num / den`.
    fn chance(&mut self, num: u64, den: u64) -> bool {
        self.below(den) < num
    }

    fn u8(&mut self) -> u8 {
        self.next() as u8
    }

    fn u16(&mut self) -> u16 {
        self.next() as u16
    }

    fn u32(&mut self) -> u32 {
        (self.next() >> 32) as u32
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.u8()).collect()
    }
}

// ---------------------------------------------------------------------------------------------
// Random packets.

/// The elements of an RTP header extension (RFC 8285), `words` 32-bit words long, zero padded.
fn extension_body(rng: &mut Rng, two_byte: bool, words: usize) -> Vec<u8> {
    let size = words * 4;
    let mut body = Vec::with_capacity(size);
    loop {
        let room = size - body.len();
        if two_byte {
            if room < 2 {
                break;
            }
            let len = rng.range(0, (room - 2).min(255));
            body.push(rng.range(1, 255) as u8);
            body.push(len as u8);
            body.extend(rng.bytes(len));
        } else {
            if room < 2 {
                break;
            }
            let len = rng.range(1, (room - 1).min(16));
            body.push((rng.range(1, 14) as u8) << 4 | (len - 1) as u8);
            body.extend(rng.bytes(len));
        }
        if rng.chance(1, 4) {
            break;
        }
    }
    body.resize(size, 0);
    body
}

fn rtp_packet(rng: &mut Rng, ssrc: u32, seq: u16) -> Vec<u8> {
    let csrcs = rng.range(0, 15);
    let extension = rng.chance(1, 2);
    let padding = if rng.chance(1, 8) {
        rng.range(1, 32)
    } else {
        0
    };
    let mut p = vec![
        0x80 | u8::from(padding > 0) << 5 | u8::from(extension) << 4 | csrcs as u8,
        u8::from(rng.chance(1, 4)) << 7 | rng.range(0, 127) as u8,
    ];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&rng.u32().to_be_bytes());
    p.extend_from_slice(&ssrc.to_be_bytes());
    for _ in 0..csrcs {
        p.extend_from_slice(&rng.u32().to_be_bytes());
    }
    if extension {
        let two_byte = rng.chance(1, 2);
        let words = if rng.chance(1, 10) {
            rng.range(16, 64)
        } else {
            rng.range(0, 8)
        };
        let profile: u16 = if two_byte {
            0x1000 | rng.range(0, 15) as u16
        } else {
            0xBEDE
        };
        p.extend_from_slice(&profile.to_be_bytes());
        p.extend_from_slice(&(words as u16).to_be_bytes());
        p.extend(extension_body(rng, two_byte, words));
    }
    let payload = if rng.chance(1, 10) {
        rng.range(0, 16)
    } else {
        rng.range(0, 1400)
    };
    p.extend(rng.bytes(payload));
    if padding > 0 {
        p.extend(std::iter::repeat_n(0, padding - 1));
        p.push(padding as u8);
    }
    p
}

/// One RTCP packet: version 2, `count` in the first byte, the length field filled in.
fn rtcp_packet(first: u8, pt: u8, body: &[u8]) -> Vec<u8> {
    debug_assert_eq!(body.len() % 4, 0);
    let words = (4 + body.len()) / 4 - 1;
    let mut p = vec![0x80 | first, pt];
    p.extend_from_slice(&(words as u16).to_be_bytes());
    p.extend_from_slice(body);
    p
}

/// An RTCP compound packet (RFC 3550 §6.1): an SR or RR first, then 0 to 3 of SDES, BYE, APP,
/// RTPFB and PSFB packets.
fn rtcp_compound(rng: &mut Rng, ssrc: u32) -> Vec<u8> {
    let reports = rng.range(0, 4);
    let mut body = ssrc.to_be_bytes().to_vec();
    let sr = rng.chance(1, 2);
    if sr {
        body.extend(rng.bytes(20)); // NTP and RTP timestamps, packet and octet counts
    }
    body.extend(rng.bytes(24 * reports));
    let mut compound = rtcp_packet(reports as u8, if sr { 200 } else { 201 }, &body);
    for _ in 0..rng.range(0, 3) {
        let packet = match rng.below(5) {
            0 => {
                // SDES with a CNAME chunk.
                let mut chunk = ssrc.to_be_bytes().to_vec();
                let len = rng.range(1, 60);
                chunk.extend_from_slice(&[1, len as u8]);
                chunk.extend((0..len).map(|_| b'a' + (rng.below(26) as u8)));
                chunk.push(0);
                chunk.resize(chunk.len().div_ceil(4) * 4, 0);
                rtcp_packet(1, 202, &chunk)
            }
            1 => {
                let mut bye = ssrc.to_be_bytes().to_vec();
                if rng.chance(1, 2) {
                    let len = rng.range(1, 40);
                    bye.push(len as u8);
                    bye.extend((0..len).map(|_| b'a' + (rng.below(26) as u8)));
                    bye.resize(bye.len().div_ceil(4) * 4, 0);
                }
                rtcp_packet(1, 203, &bye)
            }
            2 => {
                let mut app = ssrc.to_be_bytes().to_vec();
                app.extend_from_slice(b"test");
                let words = rng.range(0, 64);
                app.extend(rng.bytes(4 * words));
                rtcp_packet(rng.range(0, 31) as u8, 204, &app)
            }
            kind => {
                // Transport-layer (NACK) or payload-specific (PLI, REMB, ...) feedback.
                let mut fb = ssrc.to_be_bytes().to_vec();
                fb.extend_from_slice(&rng.u32().to_be_bytes());
                let words = rng.range(0, 20);
                fb.extend(rng.bytes(4 * words));
                let (fmt, pt) = if kind == 3 { (1, 205) } else { (15, 206) };
                rtcp_packet(fmt, pt, &fb)
            }
        };
        compound.extend(packet);
    }
    compound
}

// ---------------------------------------------------------------------------------------------
// The libsrtp harness.

#[derive(Debug, Clone, PartialEq, Eq)]
enum Reply {
    Ok(Vec<u8>),
    Err(i32),
}

struct Harness {
    child: Child,
    stdin: BufWriter<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    line: String,
}

impl Harness {
    fn spawn(path: &str) -> Result<Self> {
        let mut child = Command::new(path)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start the harness {path}: {e}"))?;
        let stdin = child.stdin.take().ok_or("no harness stdin")?;
        let stdout = child.stdout.take().ok_or("no harness stdout")?;
        Ok(Self {
            child,
            stdin: BufWriter::new(stdin),
            stdout: BufReader::new(stdout),
            line: String::new(),
        })
    }

    /// Queues a command; [`Self::recv`] flushes.
    fn send(&mut self, command: &str) -> Result<()> {
        writeln!(self.stdin, "{command}").map_err(|e| format!("writing to the harness: {e}"))
    }

    /// The text after `ok` of the next answer, or the status of an `err`.
    fn recv_text(&mut self) -> Result<std::result::Result<String, i32>> {
        self.stdin
            .flush()
            .map_err(|e| format!("writing to the harness: {e}"))?;
        self.line.clear();
        let n = self
            .stdout
            .read_line(&mut self.line)
            .map_err(|e| format!("reading from the harness: {e}"))?;
        if n == 0 {
            return Err("the harness exited (end of its output)".to_owned());
        }
        let line = self.line.trim_end();
        if line == "ok" {
            return Ok(Ok(String::new()));
        }
        if let Some(rest) = line.strip_prefix("ok ") {
            return Ok(Ok(rest.to_owned()));
        }
        let status = line
            .strip_prefix("err ")
            .ok_or_else(|| format!("unexpected harness answer `{line}`"))?;
        match status.parse::<i32>() {
            Ok(code) if code >= 0 => Ok(Err(code)),
            _ => Err(format!("the harness refused a command: `{line}`")),
        }
    }

    fn recv(&mut self) -> Result<Reply> {
        Ok(match self.recv_text()? {
            Ok(text) => Reply::Ok(from_hex(&text)?),
            Err(code) => Reply::Err(code),
        })
    }

    fn call(&mut self, command: &str) -> Result<Reply> {
        self.send(command)?;
        self.recv()
    }

    fn version(&mut self) -> Result<String> {
        self.send("version")?;
        self.recv_text()?
            .map_err(|code| format!("`version` answered err {code}"))
    }

    /// A libsrtp session in `slot`; `dir` is `in`, `out`, or `out rtcp-auth-only` (SRTCP
    /// authenticated, not encrypted).
    fn session(
        &mut self,
        slot: u32,
        profile: ProtectionProfile,
        dir: &str,
        key: &[u8],
    ) -> Result<()> {
        let (dir, option) = dir.split_once(' ').unwrap_or((dir, ""));
        let command = format!(
            "session {slot} {} {dir} {} {option}",
            profile.id(),
            hex(key)
        );
        let command = command.trim_end();
        match self.call(command)? {
            Reply::Ok(_) => Ok(()),
            Reply::Err(code) => Err(format!(
                "libsrtp refused a {} session: srtp_create returned {code}",
                profile_name(profile)
            )),
        }
    }

    fn roc(&mut self, slot: u32, ssrc: u32) -> Result<std::result::Result<u32, i32>> {
        self.send(&format!("roc {slot} {ssrc}"))?;
        Ok(match self.recv_text()? {
            Ok(text) => Ok(text
                .parse()
                .map_err(|_| format!("`roc` answered `{text}`"))?),
            Err(code) => Err(code),
        })
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        // End of stdin makes it exit; kill it in case it does not.
        let _ = self.stdin.flush();
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(2 * bytes.len());
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 15)] as char);
    }
    out
}

fn from_hex(text: &str) -> Result<Vec<u8>> {
    if text.len() % 2 != 0 {
        return Err(format!("odd-length hex from the harness: {text}"));
    }
    (0..text.len())
        .step_by(2)
        .map(|i| {
            u8::from_str_radix(&text[i..i + 2], 16)
                .map_err(|_| format!("bad hex from the harness: {text}"))
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The checks.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Rtp,
    Rtcp,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Self::Rtp => "rtp",
            Self::Rtcp => "rtcp",
        }
    }
}

/// A packet sent: the plaintext and the SRTP/SRTCP packet (ours, equal to libsrtp's unless it
/// is an SRTCP warm-up packet).
struct Sent {
    kind: Kind,
    stream: usize,
    plain: Vec<u8>,
    protected: Vec<u8>,
    /// Starts a new segment of the delivery order: reordering does not cross it.
    barrier: bool,
}

#[derive(Debug, Default)]
struct Stats {
    rtp: usize,
    rtcp: usize,
    rtcp_warmup: usize,
    wrapped_streams: usize,
    reordered: usize,
    forged: usize,
    replayed: usize,
    too_old: usize,
    unencrypted_rtcp: usize,
    window_edges: usize,
}

/// What a failure dump shows about the case.
struct Case<'a> {
    profile: ProtectionProfile,
    provider: &'a CryptoProvider,
    seed: u64,
    session: usize,
    key: Vec<u8>,
    ssrcs: Vec<u32>,
}

impl Case<'_> {
    /// Prints the failure with a hex dump of the case and exits with status 1.
    fn fail(&self, what: &str, dump: &[(&str, &[u8])]) -> ! {
        println!(
            "FAIL {} {}: {what}",
            profile_name(self.profile),
            self.provider.name
        );
        println!(
            "  case: seed {:#x}, session {}, ssrcs {:08x?}",
            self.seed, self.session, self.ssrcs
        );
        println!(
            "  master key||salt ({}+{} bytes): {}",
            self.profile.key_len(),
            self.profile.salt_len(),
            hex(&self.key)
        );
        for (name, bytes) in dump {
            println!("  {name} ({} bytes): {}", bytes.len(), hex(bytes));
        }
        if let [(a_name, a), (b_name, b), ..] = dump {
            if let Some(at) = (0..a.len().max(b.len())).find(|&i| a.get(i) != b.get(i)) {
                println!("  {a_name} and {b_name} differ first at byte {at}");
            }
        }
        std::process::exit(1);
    }
}

fn ours_protect(
    ctx: &mut SrtpContext,
    kind: Kind,
    plain: &[u8],
) -> std::result::Result<Vec<u8>, Error> {
    let mut buf = plain.to_vec();
    buf.resize(plain.len() + TRAILER_ROOM, 0);
    let len = match kind {
        Kind::Rtp => ctx.protect_rtp(&mut buf, plain.len())?,
        Kind::Rtcp => ctx.protect_rtcp(&mut buf, plain.len())?,
    };
    buf.truncate(len);
    Ok(buf)
}

fn ours_unprotect(
    ctx: &mut SrtpContext,
    kind: Kind,
    packet: &[u8],
) -> std::result::Result<Vec<u8>, Error> {
    let mut buf = packet.to_vec();
    let len = match kind {
        Kind::Rtp => ctx.unprotect_rtp(&mut buf)?,
        Kind::Rtcp => ctx.unprotect_rtcp(&mut buf)?,
    };
    buf.truncate(len);
    Ok(buf)
}

/// The SRTCP index libsrtp put in a packet (the E flag cleared).
fn srtcp_index(profile: ProtectionProfile, packet: &[u8]) -> u32 {
    let at = if profile.is_aead() {
        packet.len() - 4
    } else {
        packet.len() - 4 - profile.rtcp_tag_len()
    };
    u32::from_be_bytes([packet[at], packet[at + 1], packet[at + 2], packet[at + 3]]) & 0x7FFF_FFFF
}

/// The sequence state of one SSRC on the sending side.
struct Stream {
    ssrc: u32,
    seq: u16,
    rtp_sent: usize,
    rtcp_sent: usize,
    /// Sequence numbers still to jump, once: 1100 to 2000 ahead.
    jump_at: Option<usize>,
}

struct Run<'a> {
    harness: &'a mut Harness,
    profile: ProtectionProfile,
    provider: &'a CryptoProvider,
    seed: u64,
    stats: Stats,
}

impl Run<'_> {
    fn session(&mut self, index: usize, rtp_count: usize, rtcp_count: usize) -> Result<()> {
        let profile = self.profile;
        let mut rng = Rng::new(self.seed ^ (index as u64).wrapping_mul(0xD1B5_4A32_D192_ED03));
        let key = rng.bytes(profile.key_len() + profile.salt_len());
        let (master_key, master_salt) = key.split_at(profile.key_len());
        let stream_count = if rng.chance(1, 3) { 2 } else { 1 };
        let mut streams: Vec<Stream> = Vec::new();
        while streams.len() < stream_count {
            let ssrc = rng.u32();
            if streams.iter().any(|s| s.ssrc == ssrc) {
                continue;
            }
            let seq = if rng.chance(3, 4) {
                65_535 - rng.range(0, 30) as u16
            } else {
                rng.u16()
            };
            let jump_at = (index % 4 == 3).then(|| rng.range(10, 40));
            streams.push(Stream {
                ssrc,
                seq,
                rtp_sent: 0,
                rtcp_sent: 0,
                jump_at,
            });
        }
        let case = Case {
            profile,
            provider: self.provider,
            seed: self.seed,
            session: index,
            key: key.clone(),
            ssrcs: streams.iter().map(|s| s.ssrc).collect(),
        };
        let new_ctx = || {
            SrtpContext::new(
                profile,
                master_key,
                master_salt,
                SrtpConfig::default(),
                self.provider,
            )
            .map_err(|e| format!("SrtpContext::new: {e}"))
        };
        let mut ours_out = new_ctx()?;
        let mut ours_in = new_ctx()?;
        self.harness.session(LIB_OUT, profile, "out", &key)?;
        self.harness.session(LIB_IN, profile, "in", &key)?;

        // 1. Send: ours and libsrtp protect every packet, in order.
        let mut sent: Vec<Sent> = Vec::new();
        let (mut rtp_left, mut rtcp_left) = (rtp_count, rtcp_count);
        while rtp_left + rtcp_left > 0 {
            let kind = if rng.below((rtp_left + rtcp_left) as u64) < rtp_left as u64 {
                rtp_left -= 1;
                Kind::Rtp
            } else {
                rtcp_left -= 1;
                Kind::Rtcp
            };
            let s = rng.below(streams.len() as u64) as usize;
            let stream = &mut streams[s];
            let mut barrier = false;
            let plain = match kind {
                Kind::Rtp => {
                    if stream.rtp_sent > 0 {
                        let step = if stream.jump_at == Some(stream.rtp_sent) {
                            barrier = true;
                            rng.range(1100, 2000)
                        } else if rng.chance(1, 12) {
                            rng.range(2, 4)
                        } else {
                            1
                        };
                        stream.seq = stream.seq.wrapping_add(step as u16);
                    }
                    stream.rtp_sent += 1;
                    rtp_packet(&mut rng, stream.ssrc, stream.seq)
                }
                Kind::Rtcp => rtcp_compound(&mut rng, stream.ssrc),
            };
            let command = format!("protect_{} {LIB_OUT} {}", kind.name(), hex(&plain));
            let theirs = match self.harness.call(&command)? {
                Reply::Ok(bytes) => bytes,
                Reply::Err(code) => case.fail(
                    &format!(
                        "libsrtp refused to protect a {} packet: {code}",
                        kind.name()
                    ),
                    &[("plaintext", &plain)],
                ),
            };
            if kind == Kind::Rtcp && stream.rtcp_sent == 0 {
                // Align our SRTCP index with libsrtp's first one (1 in libsrtp 2.5).
                for _ in 0..srtcp_index(profile, &theirs) {
                    let warmup = rtcp_compound(&mut rng, stream.ssrc);
                    let protected = match ours_protect(&mut ours_out, kind, &warmup) {
                        Ok(p) => p,
                        Err(e) => case.fail(
                            &format!("our protect_rtcp failed: {e}"),
                            &[("plaintext", &warmup)],
                        ),
                    };
                    self.stats.rtcp_warmup += 1;
                    sent.push(Sent {
                        kind,
                        stream: s,
                        plain: warmup,
                        protected,
                        barrier: false,
                    });
                }
            }
            stream.rtcp_sent += usize::from(kind == Kind::Rtcp);
            let ours = match ours_protect(&mut ours_out, kind, &plain) {
                Ok(p) => p,
                Err(e) => case.fail(
                    &format!("our protect_{} failed: {e}", kind.name()),
                    &[("plaintext", &plain), ("libsrtp", &theirs)],
                ),
            };
            if ours != theirs {
                case.fail(
                    &format!(
                        "protect_{}: ours differs from libsrtp's (packet {} of the session)",
                        kind.name(),
                        sent.len()
                    ),
                    &[("ours", &ours), ("libsrtp", &theirs), ("plaintext", &plain)],
                );
            }
            match kind {
                Kind::Rtp => self.stats.rtp += 1,
                Kind::Rtcp => self.stats.rtcp += 1,
            }
            sent.push(Sent {
                kind,
                stream: s,
                plain,
                protected: ours,
                barrier,
            });
        }

        // 2. Receive, slightly reordered: both receivers get every packet.
        let order = delivery_order(&mut rng, &sent);
        self.stats.reordered += order.iter().enumerate().filter(|(i, j)| i != *j).count();
        for &i in &order {
            let packet = &sent[i];
            if rng.chance(1, 8) {
                self.forged(&case, &mut rng, &mut ours_in, packet)?;
            }
            self.deliver(&case, &mut ours_in, packet)?;
            if rng.chance(1, 8) {
                self.replayed(&case, &mut ours_in, packet)?;
            }
        }

        // 3. After a jump, a stream's first packet is too old for both.
        for (s, stream) in streams.iter().enumerate() {
            if stream.jump_at.is_none_or(|at| stream.rtp_sent <= at) {
                continue;
            }
            let Some(first) = sent.iter().find(|p| p.kind == Kind::Rtp && p.stream == s) else {
                continue;
            };
            self.too_old(&case, &mut ours_in, first, 1100)?;
        }

        // 4. The rollover counters agree.
        for stream in &streams {
            if stream.rtp_sent == 0 {
                continue;
            }
            let ours = ours_out.send_roc(stream.ssrc);
            let lib_out = self.harness.roc(LIB_OUT, stream.ssrc)?;
            let lib_in = self.harness.roc(LIB_IN, stream.ssrc)?;
            if ours.map(Ok) != Some(lib_out) || lib_in != lib_out {
                case.fail(
                    &format!(
                        "rollover counter of SSRC {:#010x}: ours {ours:?}, libsrtp sender \
                         {lib_out:?}, libsrtp receiver {lib_in:?}",
                        stream.ssrc
                    ),
                    &[],
                );
            }
            if ours.is_some_and(|roc| roc > 0) {
                self.stats.wrapped_streams += 1;
            }
        }
        Ok(())
    }

    /// The edge of the 1024-packet replay window: after seq `b` and `b + 1025` arrived,
    /// `b + 2` (1023 behind) is accepted by both and `b + 1` (1024 behind) refused by both.
    fn window_edge_session(&mut self, index: usize) -> Result<()> {
        let profile = self.profile;
        let seed = self.seed.rotate_left(17);
        let mut rng = Rng::new(seed ^ (index as u64).wrapping_mul(0xD1B5_4A32_D192_ED03));
        let key = rng.bytes(profile.key_len() + profile.salt_len());
        let (master_key, master_salt) = key.split_at(profile.key_len());
        let ssrc = rng.u32();
        let base = if rng.chance(1, 2) {
            65_535 - rng.range(0, 4) as u16
        } else {
            rng.u16()
        };
        let case = Case {
            profile,
            provider: self.provider,
            seed,
            session: index,
            key: key.clone(),
            ssrcs: vec![ssrc],
        };
        let new_ctx = || {
            SrtpContext::new(
                profile,
                master_key,
                master_salt,
                SrtpConfig::default(),
                self.provider,
            )
            .map_err(|e| format!("SrtpContext::new: {e}"))
        };
        let (mut ours_out, mut ours_in) = (new_ctx()?, new_ctx()?);
        self.harness.session(LIB_OUT, profile, "out", &key)?;
        self.harness.session(LIB_IN, profile, "in", &key)?;
        let mut sent = Vec::new();
        for step in [0u16, 1, 2, 1025] {
            let plain = rtp_packet(&mut rng, ssrc, base.wrapping_add(step));
            let theirs = match self
                .harness
                .call(&format!("protect_rtp {LIB_OUT} {}", hex(&plain)))?
            {
                Reply::Ok(bytes) => bytes,
                Reply::Err(code) => case.fail(
                    &format!("libsrtp refused to protect an rtp packet: {code}"),
                    &[("plaintext", &plain)],
                ),
            };
            let ours = match ours_protect(&mut ours_out, Kind::Rtp, &plain) {
                Ok(p) => p,
                Err(e) => case.fail(
                    &format!("our protect_rtp failed: {e}"),
                    &[("plaintext", &plain), ("libsrtp", &theirs)],
                ),
            };
            if ours != theirs {
                case.fail(
                    &format!("protect_rtp: ours differs from libsrtp's (seq base + {step})"),
                    &[("ours", &ours), ("libsrtp", &theirs), ("plaintext", &plain)],
                );
            }
            sent.push(Sent {
                kind: Kind::Rtp,
                stream: 0,
                plain,
                protected: ours,
                barrier: false,
            });
        }
        self.deliver(&case, &mut ours_in, &sent[0])?;
        self.deliver(&case, &mut ours_in, &sent[3])?;
        self.deliver(&case, &mut ours_in, &sent[2])?;
        self.too_old(&case, &mut ours_in, &sent[1], 1024)?;
        self.stats.window_edges += 1;
        Ok(())
    }

    /// libsrtp sends SRTCP authenticated but not encrypted (E flag 0), which we never send:
    /// our receiver must give back the original, and still refuse forgeries and replays.
    fn unencrypted_rtcp_session(&mut self, index: usize, count: usize) -> Result<()> {
        let profile = self.profile;
        let mut rng = Rng::new(!self.seed ^ (index as u64).wrapping_mul(0xD1B5_4A32_D192_ED03));
        let key = rng.bytes(profile.key_len() + profile.salt_len());
        let (master_key, master_salt) = key.split_at(profile.key_len());
        let ssrcs = [rng.u32(), rng.u32()];
        let case = Case {
            profile,
            provider: self.provider,
            seed: !self.seed,
            session: index,
            key: key.clone(),
            ssrcs: ssrcs.to_vec(),
        };
        let mut ours_in = SrtpContext::new(
            profile,
            master_key,
            master_salt,
            SrtpConfig::default(),
            self.provider,
        )
        .map_err(|e| format!("SrtpContext::new: {e}"))?;
        self.harness
            .session(LIB_OUT_AUTH_ONLY, profile, "out rtcp-auth-only", &key)?;
        for _ in 0..count {
            let ssrc = ssrcs[rng.below(2) as usize];
            let plain = rtcp_compound(&mut rng, ssrc);
            let command = format!("protect_rtcp {LIB_OUT_AUTH_ONLY} {}", hex(&plain));
            let protected = match self.harness.call(&command)? {
                Reply::Ok(bytes) => bytes,
                Reply::Err(code) => case.fail(
                    &format!("libsrtp refused to protect an unencrypted rtcp packet: {code}"),
                    &[("plaintext", &plain)],
                ),
            };
            let e_flag_at = if profile.is_aead() {
                protected.len() - 4
            } else {
                plain.len()
            };
            if protected[e_flag_at] & 0x80 != 0 || protected[8..plain.len()] != plain[8..] {
                case.fail(
                    "libsrtp's rtcp-auth-only SRTCP packet is encrypted",
                    &[("srtp", &protected), ("plaintext", &plain)],
                );
            }
            let packet = Sent {
                kind: Kind::Rtcp,
                stream: 0,
                plain,
                protected,
                barrier: false,
            };
            if rng.chance(1, 4) {
                let mut forged = packet.protected.clone();
                let bit = rng.below(8 * forged.len() as u64) as usize;
                forged[bit / 8] ^= 0x80 >> (bit % 8);
                if ours_unprotect(&mut ours_in, Kind::Rtcp, &forged).is_ok() {
                    case.fail(
                        &format!("we accepted an unencrypted rtcp packet with bit {bit} flipped"),
                        &[("forged", &forged), ("srtp", &packet.protected)],
                    );
                }
            }
            match ours_unprotect(&mut ours_in, Kind::Rtcp, &packet.protected) {
                Ok(plain) if plain == packet.plain => {}
                Ok(plain) => case.fail(
                    "our unprotect_rtcp of libsrtp's unencrypted SRTCP differs from the original",
                    &[
                        ("ours unprotected", &plain),
                        ("original", &packet.plain),
                        ("srtp", &packet.protected),
                    ],
                ),
                Err(e) => case.fail(
                    &format!("our unprotect_rtcp refused libsrtp's unencrypted SRTCP: {e}"),
                    &[("srtp", &packet.protected), ("original", &packet.plain)],
                ),
            }
            if rng.chance(1, 8) {
                let again = ours_unprotect(&mut ours_in, Kind::Rtcp, &packet.protected);
                if !matches!(again, Err(Error::Replayed(_))) {
                    case.fail(
                        &format!(
                            "a replayed unencrypted rtcp packet: ours {}",
                            describe_ours(&again)
                        ),
                        &[("srtp", &packet.protected)],
                    );
                }
            }
            self.stats.unencrypted_rtcp += 1;
        }
        Ok(())
    }

    fn deliver(&mut self, case: &Case<'_>, ours_in: &mut SrtpContext, packet: &Sent) -> Result<()> {
        let name = packet.kind.name();
        let command = format!("unprotect_{name} {LIB_IN} {}", hex(&packet.protected));
        match self.harness.call(&command)? {
            Reply::Ok(plain) if plain == packet.plain => {}
            Reply::Ok(plain) => case.fail(
                &format!("libsrtp's unprotect_{name} of ours differs from the original"),
                &[
                    ("libsrtp unprotected", &plain),
                    ("original", &packet.plain),
                    ("srtp", &packet.protected),
                ],
            ),
            Reply::Err(code) => case.fail(
                &format!("libsrtp's unprotect_{name} refused ours: status {code}"),
                &[("srtp", &packet.protected), ("original", &packet.plain)],
            ),
        }
        match ours_unprotect(ours_in, packet.kind, &packet.protected) {
            Ok(plain) if plain == packet.plain => Ok(()),
            Ok(plain) => case.fail(
                &format!("our unprotect_{name} of libsrtp's differs from the original"),
                &[
                    ("ours unprotected", &plain),
                    ("original", &packet.plain),
                    ("srtp", &packet.protected),
                ],
            ),
            Err(e) => case.fail(
                &format!("our unprotect_{name} refused libsrtp's: {e}"),
                &[("srtp", &packet.protected), ("original", &packet.plain)],
            ),
        }
    }

    /// One bit flipped anywhere: both refuse it (and the real packet still passes after).
    fn forged(
        &mut self,
        case: &Case<'_>,
        rng: &mut Rng,
        ours_in: &mut SrtpContext,
        packet: &Sent,
    ) -> Result<()> {
        let name = packet.kind.name();
        let mut forged = packet.protected.clone();
        let bit = rng.below(8 * forged.len() as u64) as usize;
        forged[bit / 8] ^= 0x80 >> (bit % 8);
        let lib = self
            .harness
            .call(&format!("unprotect_{name} {LIB_IN} {}", hex(&forged)))?;
        let ours = ours_unprotect(ours_in, packet.kind, &forged);
        if let Reply::Ok(_) = lib {
            case.fail(
                &format!("libsrtp accepted a {name} packet with bit {bit} flipped"),
                &[("forged", &forged), ("srtp", &packet.protected)],
            );
        }
        if ours.is_ok() {
            case.fail(
                &format!("we accepted a {name} packet with bit {bit} flipped"),
                &[("forged", &forged), ("srtp", &packet.protected)],
            );
        }
        self.stats.forged += 1;
        Ok(())
    }

    /// The same packet again: both refuse it as a replay.
    fn replayed(
        &mut self,
        case: &Case<'_>,
        ours_in: &mut SrtpContext,
        packet: &Sent,
    ) -> Result<()> {
        let name = packet.kind.name();
        let lib = self.harness.call(&format!(
            "unprotect_{name} {LIB_IN} {}",
            hex(&packet.protected)
        ))?;
        let ours = ours_unprotect(ours_in, packet.kind, &packet.protected);
        if lib != Reply::Err(LIBSRTP_REPLAY_FAIL) || !matches!(ours, Err(Error::Replayed(_))) {
            case.fail(
                &format!(
                    "a replayed {name} packet: libsrtp {}, ours {}",
                    describe_lib(&lib),
                    describe_ours(&ours)
                ),
                &[("srtp", &packet.protected)],
            );
        }
        self.stats.replayed += 1;
        Ok(())
    }

    /// A packet at least `behind` indices behind the newest: both refuse it as too old.
    fn too_old(
        &mut self,
        case: &Case<'_>,
        ours_in: &mut SrtpContext,
        packet: &Sent,
        behind: usize,
    ) -> Result<()> {
        let lib = self.harness.call(&format!(
            "unprotect_rtp {LIB_IN} {}",
            hex(&packet.protected)
        ))?;
        let ours = ours_unprotect(ours_in, Kind::Rtp, &packet.protected);
        if lib != Reply::Err(LIBSRTP_REPLAY_OLD) || !matches!(ours, Err(Error::TooOld(_))) {
            case.fail(
                &format!(
                    "an RTP packet {behind}+ behind the newest: libsrtp {}, ours {}",
                    describe_lib(&lib),
                    describe_ours(&ours)
                ),
                &[("srtp", &packet.protected)],
            );
        }
        self.stats.too_old += 1;
        Ok(())
    }
}

fn describe_lib(reply: &Reply) -> String {
    match reply {
        Reply::Ok(_) => "accepted it".to_owned(),
        Reply::Err(code) => format!("status {code}"),
    }
}

fn describe_ours(result: &std::result::Result<Vec<u8>, Error>) -> String {
    match result {
        Ok(_) => "accepted it".to_owned(),
        Err(e) => format!("`{e}`"),
    }
}

/// The order the receivers get the packets in: the sending order with 1 in 8 packets swapped
/// with one up to 4 places later, never across a barrier (a jump) and never before the first
/// RTP packet of every stream (a receiver takes the first packet's rollover counter as 0).
fn delivery_order(rng: &mut Rng, sent: &[Sent]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..sent.len()).collect();
    let mut seen = Vec::new();
    let mut start = 0;
    for (i, p) in sent.iter().enumerate() {
        if p.kind == Kind::Rtp && !seen.contains(&p.stream) {
            seen.push(p.stream);
            start = i + 1;
        }
    }
    for i in start..sent.len() {
        if !rng.chance(1, 8) {
            continue;
        }
        let j = i + rng.range(1, 4);
        if j < sent.len() && !sent[i + 1..=j].iter().any(|p| p.barrier) {
            order.swap(i, j);
        }
    }
    order
}

// ---------------------------------------------------------------------------------------------

fn parse_number(text: &str) -> Result<u64> {
    let parsed = match text.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => text.parse(),
    };
    parsed.map_err(|_| format!("`{text}` is not a number"))
}

fn main() {
    if let Err(e) = run() {
        println!("FAIL setup: {e}");
        std::process::exit(2);
    }
}

fn run() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let mut harness_path = None;
    let (mut sessions, mut rtp, mut rtcp, mut seed) = (20usize, 100usize, 25usize, 0x5352_5450u64);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| {
            args.next()
                .ok_or_else(|| format!("{name} needs a value"))
                .and_then(|v| parse_number(&v))
        };
        match arg.as_str() {
            "--sessions" => sessions = value("--sessions")? as usize,
            "--rtp" => rtp = value("--rtp")? as usize,
            "--rtcp" => rtcp = value("--rtcp")? as usize,
            "--seed" => seed = value("--seed")?,
            _ if arg.starts_with("--") => return Err(format!("unknown option {arg}")),
            _ => harness_path = Some(arg),
        }
    }
    let harness_path = harness_path
        .ok_or("usage: srtp_crosscheck HARNESS [--sessions N] [--rtp N] [--rtcp N] [--seed N]")?;
    let mut harness = Harness::spawn(&harness_path)?;
    println!("libsrtp: {}", harness.version()?);
    println!("seed: {seed:#x}");
    for profile in ProtectionProfile::ALL {
        for provider in rtc_crypto::providers() {
            // The same cases for every backend.
            let mut run = Run {
                harness: &mut harness,
                profile,
                provider,
                seed: seed ^ u64::from(profile.id()) << 48,
                stats: Stats::default(),
            };
            for session in 0..sessions {
                run.session(session, rtp, rtcp)?;
            }
            for session in 0..sessions.div_ceil(4) {
                run.unencrypted_rtcp_session(session, rtcp)?;
                run.window_edge_session(session)?;
            }
            let s = run.stats;
            println!(
                "ok {} {}: {} RTP + {} RTCP packets byte-equal both ways; ROC 0→1 on {} streams \
                 (= libsrtp's); {} received reordered; refused by both: {} forged, {} replayed, \
                 {} too old; {} replay window edges (1023 behind accepted, 1024 refused, by \
                 both); {} SRTCP index-0 warm-ups accepted by libsrtp; {} unencrypted (E=0) \
                 SRTCP from libsrtp accepted",
                profile_name(profile),
                provider.name,
                s.rtp,
                s.rtcp,
                s.wrapped_streams,
                s.reordered,
                s.forged,
                s.replayed,
                s.too_old,
                s.window_edges,
                s.rtcp_warmup,
                s.unencrypted_rtcp
            );
        }
    }
    Ok(())
}
