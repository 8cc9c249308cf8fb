//! Session key derivation (RFC 3711 §4.3; RFC 7714 §11 uses the same AES-CM PRF for GCM).

use rtc_crypto::CryptoProvider;

use crate::{Error, ProtectionProfile};

/// Keys of one direction and one protocol (SRTP or SRTCP), derived from the master key and salt.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionKeys {
    /// Encryption key (16 or 32 bytes).
    pub encryption_key: Vec<u8>,
    /// HMAC-SHA1 key (20 bytes; empty for the AEAD profiles, which have none).
    pub authentication_key: Vec<u8>,
    /// Salt (14 bytes for AES-CM, 12 for AES-GCM).
    pub salt: Vec<u8>,
}

impl std::fmt::Debug for SessionKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionKeys(..)")
    }
}

/// Key derivation labels (RFC 3711 §4.3.1; RFC 3711 §4.3.2 for SRTCP).
const RTP_ENCRYPTION: u8 = 0x00;
const RTP_AUTHENTICATION: u8 = 0x01;
const RTP_SALT: u8 = 0x02;
const RTCP_ENCRYPTION: u8 = 0x03;
const RTCP_AUTHENTICATION: u8 = 0x04;
const RTCP_SALT: u8 = 0x05;

/// HMAC-SHA1 session authentication key length (RFC 3711 §5.2: n_a = 160).
const AUTH_KEY_LEN: usize = 20;

/// The AES-CM PRF (RFC 3711 §4.3.3) with key derivation rate 0: `x = label XOR master_salt`
/// (the label in byte 7 of the 112-bit salt, a 96-bit GCM salt padded with two zero bytes), and
/// the output is the keystream from `x * 2^16`.
fn prf(
    provider: &CryptoProvider,
    master_key: &[u8],
    master_salt: &[u8],
    label: u8,
    len: usize,
) -> Result<Vec<u8>, Error> {
    let mut iv = [0u8; 16];
    iv[..master_salt.len()].copy_from_slice(master_salt);
    iv[7] ^= label;
    let ctr = (provider.aes_ctr)(master_key)?;
    let mut out = vec![0u8; len];
    ctr.apply_keystream(&iv, &mut out);
    Ok(out)
}

impl SessionKeys {
    /// Derives the SRTP (`rtcp == false`) or SRTCP session keys.
    pub fn derive(
        profile: ProtectionProfile,
        master_key: &[u8],
        master_salt: &[u8],
        rtcp: bool,
        provider: &CryptoProvider,
    ) -> Result<Self, Error> {
        check_lengths(profile, master_key, master_salt)?;
        let (enc, auth, salt) = if rtcp {
            (RTCP_ENCRYPTION, RTCP_AUTHENTICATION, RTCP_SALT)
        } else {
            (RTP_ENCRYPTION, RTP_AUTHENTICATION, RTP_SALT)
        };
        let prf = |label, len| prf(provider, master_key, master_salt, label, len);
        Ok(Self {
            encryption_key: prf(enc, profile.key_len())?,
            authentication_key: if profile.is_aead() {
                Vec::new()
            } else {
                prf(auth, AUTH_KEY_LEN)?
            },
            salt: prf(salt, profile.salt_len())?,
        })
    }
}

pub(crate) fn check_lengths(
    profile: ProtectionProfile,
    key: &[u8],
    salt: &[u8],
) -> Result<(), Error> {
    if key.len() != profile.key_len() {
        return Err(Error::KeyLength {
            what: "master key",
            got: key.len(),
            expected: profile.key_len(),
        });
    }
    if salt.len() != profile.salt_len() {
        return Err(Error::KeyLength {
            what: "master salt",
            got: salt.len(),
            expected: profile.salt_len(),
        });
    }
    Ok(())
}
