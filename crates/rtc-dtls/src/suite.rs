//! Cipher suites, the TLS 1.2 PRF and key schedule (RFC 5246 §5, §6.3, §8.1; RFC 7627 §4;
//! RFC 5705), and record protection with AEADs (RFC 5288 §3 for AES-GCM, RFC 7905 §2 for
//! ChaCha20-Poly1305; the sequence number is DTLS's epoch and 48-bit sequence, RFC 6347 §4.1.2.1).

use rtc_crypto::{Aead, CryptoProvider, HashAlgorithm};

use crate::error::Error;
use crate::message::{ContentType, write_record_header};

/// The cipher suites this implementation speaks: ECDHE key exchange, ECDSA certificates, AEAD
/// records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CipherSuite {
    /// TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 (0xC02B, RFC 5289): the one every WebRTC peer has.
    EcdheEcdsaAes128GcmSha256,
    /// TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 (0xC02C, RFC 5289).
    EcdheEcdsaAes256GcmSha384,
    /// TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 (0xCCA9, RFC 7905).
    EcdheEcdsaChacha20Poly1305Sha256,
}

impl CipherSuite {
    /// Every suite, in our default preference order.
    pub const ALL: [Self; 3] = [
        Self::EcdheEcdsaAes128GcmSha256,
        Self::EcdheEcdsaAes256GcmSha384,
        Self::EcdheEcdsaChacha20Poly1305Sha256,
    ];

    /// The wire code point.
    pub fn id(self) -> u16 {
        match self {
            Self::EcdheEcdsaAes128GcmSha256 => 0xc02b,
            Self::EcdheEcdsaAes256GcmSha384 => 0xc02c,
            Self::EcdheEcdsaChacha20Poly1305Sha256 => 0xcca9,
        }
    }

    /// From the wire code point.
    pub fn from_id(id: u16) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.id() == id)
    }

    /// The IANA name.
    pub fn name(self) -> &'static str {
        match self {
            Self::EcdheEcdsaAes128GcmSha256 => "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
            Self::EcdheEcdsaAes256GcmSha384 => "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
            Self::EcdheEcdsaChacha20Poly1305Sha256 => {
                "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"
            }
        }
    }

    /// The PRF and transcript hash.
    pub fn hash(self) -> HashAlgorithm {
        match self {
            Self::EcdheEcdsaAes256GcmSha384 => HashAlgorithm::Sha384,
            _ => HashAlgorithm::Sha256,
        }
    }

    fn key_len(self) -> usize {
        match self {
            Self::EcdheEcdsaAes128GcmSha256 => 16,
            _ => 32,
        }
    }

    /// The implicit IV: GCM's 4-byte salt, ChaCha20's 12-byte IV.
    fn fixed_iv_len(self) -> usize {
        match self {
            Self::EcdheEcdsaChacha20Poly1305Sha256 => 12,
            _ => 4,
        }
    }

    /// Bytes of explicit nonce in each record: 8 for GCM, none for ChaCha20.
    fn explicit_nonce_len(self) -> usize {
        match self {
            Self::EcdheEcdsaChacha20Poly1305Sha256 => 0,
            _ => 8,
        }
    }

    /// Bytes a record's protection adds to its plaintext.
    pub fn overhead(self) -> usize {
        self.explicit_nonce_len() + 16
    }
}

/// P_hash (RFC 5246 §5) filling `out`.
fn p_hash(
    provider: &CryptoProvider,
    hash: HashAlgorithm,
    secret: &[u8],
    seed: &[&[u8]],
    out: &mut [u8],
) {
    // A(1) = HMAC(secret, seed); A(i) = HMAC(secret, A(i-1)).
    let mut a = (provider.hmac)(hash, secret, seed);
    let mut filled = 0;
    while filled < out.len() {
        let mut parts: Vec<&[u8]> = Vec::with_capacity(seed.len() + 1);
        parts.push(&a);
        parts.extend_from_slice(seed);
        let block = (provider.hmac)(hash, secret, &parts);
        let n = block.len().min(out.len() - filled);
        out[filled..filled + n].copy_from_slice(&block[..n]);
        filled += n;
        a = (provider.hmac)(hash, secret, &[&a]);
    }
}

/// PRF(secret, label, seed) (RFC 5246 §5) of `len` bytes.
pub(crate) fn prf(
    provider: &CryptoProvider,
    hash: HashAlgorithm,
    secret: &[u8],
    label: &[u8],
    seed: &[&[u8]],
    len: usize,
) -> Vec<u8> {
    let mut parts: Vec<&[u8]> = Vec::with_capacity(seed.len() + 1);
    parts.push(label);
    parts.extend_from_slice(seed);
    let mut out = vec![0u8; len];
    p_hash(provider, hash, secret, &parts, &mut out);
    out
}

/// The extended master secret (RFC 7627 §4): PRF(pre_master_secret, "extended master
/// secret", session_hash).
pub(crate) fn extended_master_secret(
    provider: &CryptoProvider,
    suite: CipherSuite,
    pre_master_secret: &[u8],
    session_hash: &[u8],
) -> Vec<u8> {
    prf(
        provider,
        suite.hash(),
        pre_master_secret,
        b"extended master secret",
        &[session_hash],
        48,
    )
}

/// verify_data of a Finished message (RFC 5246 §7.4.9): 12 bytes.
pub(crate) fn verify_data(
    provider: &CryptoProvider,
    suite: CipherSuite,
    master_secret: &[u8],
    client: bool,
    transcript_hash: &[u8],
) -> Vec<u8> {
    let label: &[u8] = if client {
        b"client finished"
    } else {
        b"server finished"
    };
    prf(
        provider,
        suite.hash(),
        master_secret,
        label,
        &[transcript_hash],
        12,
    )
}

/// Keying material exporter (RFC 5705 §4): `PRF(master_secret, label, client_random +
/// server_random [+ context_length + context])`.
pub(crate) fn export(
    provider: &CryptoProvider,
    suite: CipherSuite,
    master_secret: &[u8],
    (client_random, server_random): (&[u8; 32], &[u8; 32]),
    label: &str,
    context: Option<&[u8]>,
    len: usize,
) -> Vec<u8> {
    match context {
        None => prf(
            provider,
            suite.hash(),
            master_secret,
            label.as_bytes(),
            &[client_random, server_random],
            len,
        ),
        Some(ctx) => {
            let ctx_len = (ctx.len() as u16).to_be_bytes();
            prf(
                provider,
                suite.hash(),
                master_secret,
                label.as_bytes(),
                &[client_random, server_random, &ctx_len, ctx],
                len,
            )
        }
    }
}

/// One direction's record protection.
pub(crate) struct RecordCipher {
    suite: CipherSuite,
    aead: Box<dyn Aead>,
    iv: [u8; 12],
}

impl std::fmt::Debug for RecordCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordCipher")
            .field("suite", &self.suite)
            .finish_non_exhaustive()
    }
}

/// Both directions' keys from the key block (RFC 5246 §6.3).
pub(crate) struct KeyBlock {
    pub(crate) client: RecordCipher,
    pub(crate) server: RecordCipher,
}

impl KeyBlock {
    pub(crate) fn derive(
        provider: &CryptoProvider,
        suite: CipherSuite,
        master_secret: &[u8],
        client_random: &[u8; 32],
        server_random: &[u8; 32],
    ) -> Result<Self, Error> {
        let (k, iv) = (suite.key_len(), suite.fixed_iv_len());
        let block = prf(
            provider,
            suite.hash(),
            master_secret,
            b"key expansion",
            &[server_random, client_random],
            2 * k + 2 * iv,
        );
        let (client_key, rest) = block.split_at(k);
        let (server_key, rest) = rest.split_at(k);
        let (client_iv, server_iv) = rest.split_at(iv);
        Ok(Self {
            client: RecordCipher::new(provider, suite, client_key, client_iv)?,
            server: RecordCipher::new(provider, suite, server_key, server_iv)?,
        })
    }
}

impl RecordCipher {
    fn new(
        provider: &CryptoProvider,
        suite: CipherSuite,
        key: &[u8],
        fixed_iv: &[u8],
    ) -> Result<Self, Error> {
        let aead = match suite {
            CipherSuite::EcdheEcdsaChacha20Poly1305Sha256 => (provider.chacha20_poly1305)(key)?,
            _ => (provider.aes_gcm)(key)?,
        };
        let mut iv = [0u8; 12];
        iv[..fixed_iv.len()].copy_from_slice(fixed_iv);
        Ok(Self { suite, aead, iv })
    }

    fn nonce(&self, seq64: u64) -> [u8; 12] {
        let mut nonce = self.iv;
        match self.suite {
            CipherSuite::EcdheEcdsaChacha20Poly1305Sha256 => {
                // RFC 7905 §2: the padded sequence number XORed into the IV.
                for (n, s) in nonce[4..].iter_mut().zip(seq64.to_be_bytes()) {
                    *n ^= s;
                }
            }
            _ => nonce[4..].copy_from_slice(&seq64.to_be_bytes()),
        }
        nonce
    }

    fn aad(seq64: u64, content_type: ContentType, version: u16, len: usize) -> [u8; 13] {
        let mut aad = [0u8; 13];
        aad[..8].copy_from_slice(&seq64.to_be_bytes());
        aad[8] = content_type.to_u8();
        aad[9..11].copy_from_slice(&version.to_be_bytes());
        aad[11..13].copy_from_slice(&(len as u16).to_be_bytes());
        aad
    }

    /// Appends a protected record (header, explicit nonce, ciphertext, tag) to `out`.
    pub(crate) fn seal(
        &self,
        out: &mut Vec<u8>,
        content_type: ContentType,
        version: u16,
        epoch: u16,
        sequence: u64,
        plaintext: &[u8],
    ) {
        let seq64 = (u64::from(epoch) << 48) | sequence;
        let explicit = self.suite.explicit_nonce_len();
        write_record_header(
            out,
            content_type,
            version,
            epoch,
            sequence,
            explicit + plaintext.len() + 16,
        );
        if explicit > 0 {
            out.extend_from_slice(&seq64.to_be_bytes());
        }
        let start = out.len();
        out.extend_from_slice(plaintext);
        let aad = Self::aad(seq64, content_type, version, plaintext.len());
        let tag = self
            .aead
            .seal_in_place(&self.nonce(seq64), &aad, &mut out[start..]);
        out.extend_from_slice(&tag);
    }

    /// Authenticates and decrypts a record's fragment; the plaintext.
    pub(crate) fn open(
        &self,
        content_type: ContentType,
        version: u16,
        epoch: u16,
        sequence: u64,
        fragment: &[u8],
    ) -> Result<Vec<u8>, Error> {
        let explicit = self.suite.explicit_nonce_len();
        if fragment.len() < explicit + 16 {
            return Err(Error::BadRecordMac);
        }
        let seq64 = (u64::from(epoch) << 48) | sequence;
        let mut nonce = self.nonce(seq64);
        if explicit > 0 {
            nonce[4..].copy_from_slice(&fragment[..8]);
        }
        let body = &fragment[explicit..];
        let (ciphertext, tag) = body.split_at(body.len() - 16);
        let mut tag_arr = [0u8; 16];
        tag_arr.copy_from_slice(tag);
        let mut data = ciphertext.to_vec();
        let aad = Self::aad(seq64, content_type, version, data.len());
        self.aead
            .open_in_place(&nonce, &aad, &mut data, &tag_arr)
            .map_err(|_| Error::BadRecordMac)?;
        Ok(data)
    }
}

/// SRTP protection profiles negotiated by use_srtp (RFC 5764 §4.1.2, RFC 7714 §14.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SrtpProfile {
    /// SRTP_AES128_CM_HMAC_SHA1_80 (0x0001).
    Aes128CmHmacSha1_80,
    /// SRTP_AES128_CM_HMAC_SHA1_32 (0x0002).
    Aes128CmHmacSha1_32,
    /// SRTP_AEAD_AES_128_GCM (0x0007).
    AeadAes128Gcm,
    /// SRTP_AEAD_AES_256_GCM (0x0008).
    AeadAes256Gcm,
}

impl SrtpProfile {
    /// Every profile, in our default preference order (AEAD first).
    pub const ALL: [Self; 4] = [
        Self::AeadAes128Gcm,
        Self::AeadAes256Gcm,
        Self::Aes128CmHmacSha1_80,
        Self::Aes128CmHmacSha1_32,
    ];

    /// The wire code point.
    pub fn id(self) -> u16 {
        match self {
            Self::Aes128CmHmacSha1_80 => 0x0001,
            Self::Aes128CmHmacSha1_32 => 0x0002,
            Self::AeadAes128Gcm => 0x0007,
            Self::AeadAes256Gcm => 0x0008,
        }
    }

    /// From the wire code point.
    pub fn from_id(id: u16) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.id() == id)
    }

    /// The name as RFC 5764 and OpenSSL spell it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Aes128CmHmacSha1_80 => "SRTP_AES128_CM_SHA1_80",
            Self::Aes128CmHmacSha1_32 => "SRTP_AES128_CM_SHA1_32",
            Self::AeadAes128Gcm => "SRTP_AEAD_AES_128_GCM",
            Self::AeadAes256Gcm => "SRTP_AEAD_AES_256_GCM",
        }
    }

    /// Master key and master salt lengths.
    pub fn key_and_salt_len(self) -> (usize, usize) {
        match self {
            Self::Aes128CmHmacSha1_80 | Self::Aes128CmHmacSha1_32 => (16, 14),
            Self::AeadAes128Gcm => (16, 12),
            Self::AeadAes256Gcm => (32, 12),
        }
    }

    /// Bytes to export with "EXTRACTOR-dtls_srtp" (RFC 5764 §4.2): both sides' key and salt.
    pub fn keying_material_len(self) -> usize {
        let (k, s) = self.key_and_salt_len();
        2 * (k + s)
    }
}
