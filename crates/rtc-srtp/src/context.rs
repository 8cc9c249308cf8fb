//! SRTP/SRTCP contexts: one per direction, with per-SSRC state created on demand.

use rtc_crypto::{AesCtr, AesGcm, CryptoProvider, Hmac, constant_time_eq};

use crate::replay::ReplayWindow;
use crate::{Error, ProtectionProfile, SessionKeys};

/// Limits of a context.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SrtpConfig {
    /// Indices remembered for replay protection, per SSRC (RFC 3711 §3.3.2 asks for at least
    /// 64; video bursts reorder more, so the default is 1024).
    pub replay_window: usize,
    /// SSRCs a context tracks at most; packets of further SSRCs are refused.
    pub max_streams: usize,
}

impl Default for SrtpConfig {
    fn default() -> Self {
        Self {
            replay_window: 1024,
            max_streams: 256,
        }
    }
}

enum Cipher {
    /// AES-CM with HMAC-SHA1 (RFC 3711 §4.1.1, §4.2.1).
    Cm {
        ctr: Box<dyn AesCtr>,
        mac: Box<dyn Hmac>,
        salt: [u8; 14],
    },
    /// AES-GCM (RFC 7714).
    Gcm {
        aead: Box<dyn AesGcm>,
        salt: [u8; 12],
    },
}

impl Cipher {
    fn new(
        profile: ProtectionProfile,
        keys: &SessionKeys,
        provider: &CryptoProvider,
    ) -> Result<Self, Error> {
        if profile.is_aead() {
            let mut salt = [0u8; 12];
            copy_salt(&mut salt, &keys.salt)?;
            Ok(Self::Gcm {
                aead: (provider.aes_gcm)(&keys.encryption_key)?,
                salt,
            })
        } else {
            let mut salt = [0u8; 14];
            copy_salt(&mut salt, &keys.salt)?;
            Ok(Self::Cm {
                ctr: (provider.aes_ctr)(&keys.encryption_key)?,
                mac: (provider.hmac_sha1)(&keys.authentication_key),
                salt,
            })
        }
    }
}

fn copy_salt(out: &mut [u8], salt: &[u8]) -> Result<(), Error> {
    if salt.len() != out.len() {
        return Err(Error::KeyLength {
            what: "session salt",
            got: salt.len(),
            expected: out.len(),
        });
    }
    out.copy_from_slice(salt);
    Ok(())
}

/// AES-CM IV (RFC 3711 §4.1.1): `(k_s * 2^16) XOR (SSRC * 2^64) XOR (index * 2^16)`.
fn cm_iv(salt: &[u8; 14], ssrc: u32, index: u64) -> [u8; 16] {
    let mut iv = [0u8; 16];
    iv[..14].copy_from_slice(salt);
    for (b, s) in iv[4..8].iter_mut().zip(ssrc.to_be_bytes()) {
        *b ^= s;
    }
    for (b, i) in iv[8..14].iter_mut().zip(&index.to_be_bytes()[2..]) {
        *b ^= i;
    }
    iv
}

/// AES-GCM SRTP IV (RFC 7714 §8.1): `00 00 || SSRC || ROC || SEQ` XOR salt.
fn gcm_rtp_iv(salt: &[u8; 12], ssrc: u32, roc: u32, seq: u16) -> [u8; 12] {
    let mut iv = [0u8; 12];
    iv[2..6].copy_from_slice(&ssrc.to_be_bytes());
    iv[6..10].copy_from_slice(&roc.to_be_bytes());
    iv[10..12].copy_from_slice(&seq.to_be_bytes());
    for (b, s) in iv.iter_mut().zip(salt) {
        *b ^= s;
    }
    iv
}

/// AES-GCM SRTCP IV (RFC 7714 §9.1): `00 00 || SSRC || 00 00 || 0 + index` XOR salt.
fn gcm_rtcp_iv(salt: &[u8; 12], ssrc: u32, index: u32) -> [u8; 12] {
    let mut iv = [0u8; 12];
    iv[2..6].copy_from_slice(&ssrc.to_be_bytes());
    iv[8..12].copy_from_slice(&(index & 0x7FFF_FFFF).to_be_bytes());
    for (b, s) in iv.iter_mut().zip(salt) {
        *b ^= s;
    }
    iv
}

/// RTP sequence state of one direction (RFC 3711 §3.3.1): the rollover counter and the highest
/// sequence number, and for receivers the replay window.
#[derive(Debug, Clone)]
struct RtpState {
    roc: u32,
    s_l: u16,
}

impl RtpState {
    /// RFC 3711 Appendix A: the ROC guessed for `seq`, relative to `s_l`.
    fn estimate(&self, seq: u16) -> u32 {
        if self.s_l < 0x8000 {
            if seq > self.s_l && seq - self.s_l > 0x8000 {
                self.roc.wrapping_sub(1)
            } else {
                self.roc
            }
        } else if self.s_l - 0x8000 > seq {
            self.roc.wrapping_add(1)
        } else {
            self.roc
        }
    }

    /// Moves forward when (`roc`, `seq`) is newer than what was seen (RFC 3711 §3.3.1).
    fn advance(&mut self, roc: u32, seq: u16) {
        if roc == self.roc.wrapping_add(1) || (roc == self.roc && seq > self.s_l) {
            self.roc = roc;
            self.s_l = seq;
        }
    }
}

fn index(roc: u32, seq: u16) -> u64 {
    (u64::from(roc) << 16) | u64::from(seq)
}

/// State of one SSRC.
#[derive(Debug)]
struct Stream {
    ssrc: u32,
    rtp_tx: Option<RtpState>,
    rtp_rx: Option<(RtpState, ReplayWindow)>,
    rtcp_tx_index: u32,
    rtcp_rx: Option<ReplayWindow>,
}

/// An SRTP/SRTCP context for one direction: made with the master key and salt of the side whose
/// packets it protects (ours, to send) or unprotects (the peer's, to receive).
///
/// All calls work in place on the caller's buffer and allocate only when a new SSRC appears.
pub struct SrtpContext {
    profile: ProtectionProfile,
    rtp: Cipher,
    rtcp: Cipher,
    config: SrtpConfig,
    streams: Vec<Stream>,
    /// Index in `streams` of the SSRC last used: most packets come from one or two SSRCs.
    last: usize,
}

impl std::fmt::Debug for SrtpContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SrtpContext")
            .field("profile", &self.profile)
            .field("streams", &self.streams.len())
            .finish_non_exhaustive()
    }
}

/// Length of the RTP header with CSRCs and header extension (RFC 3550 §5.1, §5.3.1).
fn rtp_header_len(packet: &[u8]) -> Result<usize, Error> {
    if packet.len() < 12 {
        return Err(Error::TooShort(packet.len()));
    }
    if packet[0] >> 6 != 2 {
        return Err(Error::BadVersion);
    }
    let mut len = 12 + 4 * usize::from(packet[0] & 0x0F);
    if packet[0] & 0x10 != 0 {
        let ext = packet
            .get(len + 2..len + 4)
            .ok_or(Error::TooShort(packet.len()))?;
        len += 4 + 4 * usize::from(u16::from_be_bytes([ext[0], ext[1]]));
    }
    if len > packet.len() {
        return Err(Error::TooShort(packet.len()));
    }
    Ok(len)
}

fn rtcp_check(packet: &[u8], min: usize) -> Result<u32, Error> {
    if packet.len() < min {
        return Err(Error::TooShort(packet.len()));
    }
    if packet[0] >> 6 != 2 {
        return Err(Error::BadVersion);
    }
    Ok(u32::from_be_bytes([
        packet[4], packet[5], packet[6], packet[7],
    ]))
}

impl SrtpContext {
    /// A context from a master key and salt (RFC 3711 §4.3), as DTLS-SRTP exports them.
    pub fn new(
        profile: ProtectionProfile,
        master_key: &[u8],
        master_salt: &[u8],
        config: SrtpConfig,
        provider: &CryptoProvider,
    ) -> Result<Self, Error> {
        let rtp = SessionKeys::derive(profile, master_key, master_salt, false, provider)?;
        let rtcp = SessionKeys::derive(profile, master_key, master_salt, true, provider)?;
        Self::from_session_keys(profile, &rtp, &rtcp, config, provider)
    }

    /// A context from already derived session keys (RFC 7714's test vectors give those).
    pub fn from_session_keys(
        profile: ProtectionProfile,
        rtp: &SessionKeys,
        rtcp: &SessionKeys,
        config: SrtpConfig,
        provider: &CryptoProvider,
    ) -> Result<Self, Error> {
        Ok(Self {
            profile,
            rtp: Cipher::new(profile, rtp, provider)?,
            rtcp: Cipher::new(profile, rtcp, provider)?,
            config,
            streams: Vec::new(),
            last: 0,
        })
    }

    /// The profile.
    pub fn profile(&self) -> ProtectionProfile {
        self.profile
    }

    /// SSRCs tracked.
    pub fn stream_count(&self) -> usize {
        self.streams.len()
    }

    /// The rollover counter of an outbound SSRC, if it has sent.
    pub fn send_roc(&self, ssrc: u32) -> Option<u32> {
        let stream = self.streams.iter().find(|s| s.ssrc == ssrc)?;
        stream.rtp_tx.as_ref().map(|s| s.roc)
    }

    fn find(&mut self, ssrc: u32) -> Option<usize> {
        if self.streams.get(self.last).is_some_and(|s| s.ssrc == ssrc) {
            return Some(self.last);
        }
        let i = self.streams.iter().position(|s| s.ssrc == ssrc)?;
        self.last = i;
        Some(i)
    }

    fn find_or_create(&mut self, ssrc: u32) -> Result<usize, Error> {
        if let Some(i) = self.find(ssrc) {
            return Ok(i);
        }
        if self.streams.len() >= self.config.max_streams {
            return Err(Error::TooManyStreams(self.config.max_streams));
        }
        self.streams.push(Stream {
            ssrc,
            rtp_tx: None,
            rtp_rx: None,
            rtcp_tx_index: 0,
            rtcp_rx: None,
        });
        self.last = self.streams.len() - 1;
        Ok(self.last)
    }

    /// Protects the RTP packet in `buf[..len]` in place and appends the tag; returns the SRTP
    /// packet's length. `buf` must have room for the tag ([`ProtectionProfile::rtp_tag_len`]).
    pub fn protect_rtp(&mut self, buf: &mut [u8], len: usize) -> Result<usize, Error> {
        let packet = buf.get(..len).ok_or(Error::BufferTooSmall {
            needed: len,
            available: buf.len(),
        })?;
        let header_len = rtp_header_len(packet)?;
        let tag_len = self.profile.rtp_tag_len();
        if buf.len() < len + tag_len {
            return Err(Error::BufferTooSmall {
                needed: len + tag_len,
                available: buf.len(),
            });
        }
        let seq = u16::from_be_bytes([buf[2], buf[3]]);
        let ssrc = u32::from_be_bytes([buf[8], buf[9], buf[10], buf[11]]);
        let i = self.find_or_create(ssrc)?;
        let state = self.streams[i]
            .rtp_tx
            .get_or_insert(RtpState { roc: 0, s_l: seq });
        let roc = state.estimate(seq);
        state.advance(roc, seq);
        match &self.rtp {
            Cipher::Cm { ctr, mac, salt } => {
                let iv = cm_iv(salt, ssrc, index(roc, seq));
                ctr.apply_keystream(&iv, &mut buf[header_len..len]);
                // RFC 3711 §4.2: the tag covers the packet and the ROC.
                let tag = mac.sign(&[&buf[..len], &roc.to_be_bytes()]);
                buf[len..len + tag_len].copy_from_slice(&tag[..tag_len]);
            }
            Cipher::Gcm { aead, salt } => {
                let iv = gcm_rtp_iv(salt, ssrc, roc, seq);
                let (header, rest) = buf.split_at_mut(header_len);
                let tag = aead.seal_in_place(&iv, header, &mut rest[..len - header_len]);
                buf[len..len + 16].copy_from_slice(&tag);
            }
        }
        Ok(len + tag_len)
    }

    /// Checks and decrypts the SRTP packet that fills `buf`, in place; returns the RTP packet's
    /// length. Replays, packets older than the window and forgeries are refused, and leave the
    /// context as it was.
    pub fn unprotect_rtp(&mut self, buf: &mut [u8]) -> Result<usize, Error> {
        let len = buf.len();
        let tag_len = self.profile.rtp_tag_len();
        let header_len = rtp_header_len(buf)?;
        if len < header_len + tag_len {
            return Err(Error::TooShort(len));
        }
        let body_end = len - tag_len;
        let seq = u16::from_be_bytes([buf[2], buf[3]]);
        let ssrc = u32::from_be_bytes([buf[8], buf[9], buf[10], buf[11]]);
        let existing = self.find(ssrc);
        let roc = match existing.and_then(|i| self.streams[i].rtp_rx.as_ref()) {
            Some((state, window)) => {
                let roc = state.estimate(seq);
                window.check(index(roc, seq))?;
                roc
            }
            None => 0,
        };
        match &self.rtp {
            Cipher::Cm { ctr, mac, salt } => {
                let expected = mac.sign(&[&buf[..body_end], &roc.to_be_bytes()]);
                if !constant_time_eq(&expected[..tag_len], &buf[body_end..]) {
                    return Err(Error::AuthenticationFailed);
                }
                let iv = cm_iv(salt, ssrc, index(roc, seq));
                ctr.apply_keystream(&iv, &mut buf[header_len..body_end]);
            }
            Cipher::Gcm { aead, salt } => {
                let iv = gcm_rtp_iv(salt, ssrc, roc, seq);
                let (header, rest) = buf.split_at_mut(header_len);
                let (body, tag) = rest.split_at_mut(body_end - header_len);
                let tag: &[u8; 16] = (&*tag).try_into().map_err(|_| Error::TooShort(len))?;
                aead.open_in_place(&iv, header, body, tag)
                    .map_err(|_| Error::AuthenticationFailed)?;
            }
        }
        // Authentic: only now may a new SSRC take a slot and the state move.
        let i = match existing {
            Some(i) => i,
            None => self.find_or_create(ssrc)?,
        };
        let window_size = self.config.replay_window;
        let (state, window) = self.streams[i]
            .rtp_rx
            .get_or_insert_with(|| (RtpState { roc, s_l: seq }, ReplayWindow::new(window_size)));
        window.accept(index(roc, seq));
        state.advance(roc, seq);
        Ok(body_end)
    }

    /// Protects the RTCP compound packet in `buf[..len]` in place, appending the E flag and
    /// SRTCP index and the tag (RFC 3711 §3.4; RFC 7714 §9.2 for AES-GCM). `buf` needs room for
    /// 4 + [`ProtectionProfile::rtcp_tag_len`] more bytes.
    pub fn protect_rtcp(&mut self, buf: &mut [u8], len: usize) -> Result<usize, Error> {
        let packet = buf.get(..len).ok_or(Error::BufferTooSmall {
            needed: len,
            available: buf.len(),
        })?;
        let ssrc = rtcp_check(packet, 8)?;
        let tag_len = self.profile.rtcp_tag_len();
        let total = len + 4 + tag_len;
        if buf.len() < total {
            return Err(Error::BufferTooSmall {
                needed: total,
                available: buf.len(),
            });
        }
        let i = self.find_or_create(ssrc)?;
        let srtcp_index = self.streams[i].rtcp_tx_index;
        if srtcp_index > 0x7FFF_FFFF {
            return Err(Error::IndexExhausted);
        }
        self.streams[i].rtcp_tx_index += 1;
        // E flag set: this implementation always encrypts SRTCP.
        let e_index = (0x8000_0000 | srtcp_index).to_be_bytes();
        match &self.rtcp {
            Cipher::Cm { ctr, mac, salt } => {
                let iv = cm_iv(salt, ssrc, u64::from(srtcp_index));
                ctr.apply_keystream(&iv, &mut buf[8..len]);
                buf[len..len + 4].copy_from_slice(&e_index);
                let tag = mac.sign(&[&buf[..len + 4]]);
                buf[len + 4..total].copy_from_slice(&tag[..tag_len]);
            }
            Cipher::Gcm { aead, salt } => {
                let iv = gcm_rtcp_iv(salt, ssrc, srtcp_index);
                let mut aad = [0u8; 12];
                aad[..8].copy_from_slice(&buf[..8]);
                aad[8..].copy_from_slice(&e_index);
                let tag = aead.seal_in_place(&iv, &aad, &mut buf[8..len]);
                // RFC 7714 §9.2: the tag, then the E flag and index.
                buf[len..len + 16].copy_from_slice(&tag);
                buf[len + 16..total].copy_from_slice(&e_index);
            }
        }
        Ok(total)
    }

    /// Checks and decrypts the SRTCP packet that fills `buf`, in place; returns the RTCP
    /// compound packet's length. Unencrypted SRTCP (E flag 0) is authenticated and accepted.
    pub fn unprotect_rtcp(&mut self, buf: &mut [u8]) -> Result<usize, Error> {
        let len = buf.len();
        let tag_len = self.profile.rtcp_tag_len();
        let ssrc = rtcp_check(buf, 8 + 4 + tag_len)?;
        let body_end = len - 4 - tag_len;
        let e_index_at = match self.rtcp {
            Cipher::Cm { .. } => body_end,
            Cipher::Gcm { .. } => len - 4,
        };
        let e_index: [u8; 4] = [
            buf[e_index_at],
            buf[e_index_at + 1],
            buf[e_index_at + 2],
            buf[e_index_at + 3],
        ];
        let word = u32::from_be_bytes(e_index);
        let encrypted = word & 0x8000_0000 != 0;
        let srtcp_index = word & 0x7FFF_FFFF;
        let existing = self.find(ssrc);
        if let Some(window) = existing.and_then(|i| self.streams[i].rtcp_rx.as_ref()) {
            window.check(u64::from(srtcp_index))?;
        }
        match &self.rtcp {
            Cipher::Cm { ctr, mac, salt } => {
                let expected = mac.sign(&[&buf[..body_end + 4]]);
                if !constant_time_eq(&expected[..tag_len], &buf[body_end + 4..]) {
                    return Err(Error::AuthenticationFailed);
                }
                if encrypted {
                    let iv = cm_iv(salt, ssrc, u64::from(srtcp_index));
                    ctr.apply_keystream(&iv, &mut buf[8..body_end]);
                }
            }
            Cipher::Gcm { aead, salt } => {
                let iv = gcm_rtcp_iv(salt, ssrc, srtcp_index);
                let mut tag = [0u8; 16];
                tag.copy_from_slice(&buf[body_end..body_end + 16]);
                let result = if encrypted {
                    let mut aad = [0u8; 12];
                    aad[..8].copy_from_slice(&buf[..8]);
                    aad[8..].copy_from_slice(&e_index);
                    aead.open_in_place(&iv, &aad, &mut buf[8..body_end], &tag)
                } else {
                    // RFC 7714 §9.3: everything is associated data, the plaintext is empty.
                    let (packet, _) = buf.split_at_mut(body_end);
                    let mut aad_tail = [0u8; 0];
                    aead.open_in_place(
                        &iv,
                        &[packet as &[u8], &e_index].concat(),
                        &mut aad_tail,
                        &tag,
                    )
                };
                result.map_err(|_| Error::AuthenticationFailed)?;
            }
        }
        let i = match existing {
            Some(i) => i,
            None => self.find_or_create(ssrc)?,
        };
        let window_size = self.config.replay_window;
        self.streams[i]
            .rtcp_rx
            .get_or_insert_with(|| ReplayWindow::new(window_size))
            .accept(u64::from(srtcp_index));
        Ok(body_end)
    }
}
