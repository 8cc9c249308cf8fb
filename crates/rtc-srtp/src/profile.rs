//! SRTP protection profiles negotiated by DTLS-SRTP (RFC 5764 §4.1.2, RFC 7714 §14.2).

/// The profiles WebRTC uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProtectionProfile {
    /// `SRTP_AES128_CM_HMAC_SHA1_80` (0x0001).
    Aes128CmHmacSha1_80,
    /// `SRTP_AES128_CM_HMAC_SHA1_32` (0x0002): 32-bit tag on SRTP, 80-bit on SRTCP.
    Aes128CmHmacSha1_32,
    /// `SRTP_AEAD_AES_128_GCM` (0x0007).
    AeadAes128Gcm,
    /// `SRTP_AEAD_AES_256_GCM` (0x0008).
    AeadAes256Gcm,
}

impl ProtectionProfile {
    /// Every profile.
    pub const ALL: [Self; 4] = [
        Self::Aes128CmHmacSha1_80,
        Self::Aes128CmHmacSha1_32,
        Self::AeadAes128Gcm,
        Self::AeadAes256Gcm,
    ];

    /// The profile of a DTLS `use_srtp` id.
    pub fn from_id(id: u16) -> Option<Self> {
        Some(match id {
            0x0001 => Self::Aes128CmHmacSha1_80,
            0x0002 => Self::Aes128CmHmacSha1_32,
            0x0007 => Self::AeadAes128Gcm,
            0x0008 => Self::AeadAes256Gcm,
            _ => return None,
        })
    }

    /// The DTLS `use_srtp` id.
    pub fn id(self) -> u16 {
        match self {
            Self::Aes128CmHmacSha1_80 => 0x0001,
            Self::Aes128CmHmacSha1_32 => 0x0002,
            Self::AeadAes128Gcm => 0x0007,
            Self::AeadAes256Gcm => 0x0008,
        }
    }

    /// True for the AES-GCM profiles.
    pub fn is_aead(self) -> bool {
        matches!(self, Self::AeadAes128Gcm | Self::AeadAes256Gcm)
    }

    /// Master (and session) encryption key length.
    pub fn key_len(self) -> usize {
        match self {
            Self::AeadAes256Gcm => 32,
            _ => 16,
        }
    }

    /// Master (and session) salt length: 112 bits for AES-CM, 96 for AES-GCM.
    pub fn salt_len(self) -> usize {
        if self.is_aead() { 12 } else { 14 }
    }

    /// Authentication tag length on SRTP packets.
    pub fn rtp_tag_len(self) -> usize {
        match self {
            Self::Aes128CmHmacSha1_80 => 10,
            Self::Aes128CmHmacSha1_32 => 4,
            Self::AeadAes128Gcm | Self::AeadAes256Gcm => 16,
        }
    }

    /// Authentication tag length on SRTCP packets (80 bits for both AES-CM profiles, RFC 5764
    /// §4.1.2).
    pub fn rtcp_tag_len(self) -> usize {
        if self.is_aead() { 16 } else { 10 }
    }

    /// Bytes of DTLS keying material the profile takes: client key, server key, client salt,
    /// server salt (RFC 5764 §4.2).
    pub fn keying_material_len(self) -> usize {
        2 * (self.key_len() + self.salt_len())
    }
}
