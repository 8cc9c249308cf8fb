//! The State Cookie (RFC 9260 §5.1.3): everything the INIT ACK's sender needs to build the
//! association from a COOKIE ECHO, so that an INIT alone allocates nothing. Authenticated
//! with HMAC-SHA-256 under a per-association random key; stamped with its creation time
//! for Valid.Cookie.Life (§5.1.5).

use std::time::Duration;

use rtc_crypto::{CryptoProvider, HashAlgorithm};

const VERSION: u8 = 1;
const BODY_LEN: usize = 1 + 8 + 4 * 5 + 2 + 2 + 1;
const MAC_LEN: usize = 32;
/// Length of the cookie on the wire.
pub(crate) const COOKIE_LEN: usize = BODY_LEN + MAC_LEN;

const FLAG_FORWARD_TSN: u8 = 1;
const FLAG_RECONFIG: u8 = 2;
const FLAG_ZERO_CHECKSUM: u8 = 4;

/// The association's parameters, as the INIT and our INIT ACK fixed them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CookieParams {
    /// When it was made, as time since the association's epoch.
    pub(crate) created: Duration,
    pub(crate) my_tag: u32,
    pub(crate) peer_tag: u32,
    pub(crate) my_initial_tsn: u32,
    pub(crate) peer_initial_tsn: u32,
    pub(crate) peer_a_rwnd: u32,
    pub(crate) outbound_streams: u16,
    pub(crate) inbound_streams: u16,
    pub(crate) peer_forward_tsn: bool,
    pub(crate) peer_reconfig: bool,
    /// The peer accepts zero checksums with the DTLS method (RFC 9653).
    pub(crate) peer_zero_checksum: bool,
}

/// Why a cookie was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CookieError {
    /// Wrong length, version or MAC: not ours.
    Invalid,
    /// Ours but older than its lifetime, by this much (RFC 9260 §3.3.10.3).
    Stale(Duration),
}

impl CookieParams {
    pub(crate) fn seal(&self, provider: &CryptoProvider, key: &[u8]) -> [u8; COOKIE_LEN] {
        let mut out = [0u8; COOKIE_LEN];
        out[0] = VERSION;
        out[1..9].copy_from_slice(&(self.created.as_millis() as u64).to_be_bytes());
        out[9..13].copy_from_slice(&self.my_tag.to_be_bytes());
        out[13..17].copy_from_slice(&self.peer_tag.to_be_bytes());
        out[17..21].copy_from_slice(&self.my_initial_tsn.to_be_bytes());
        out[21..25].copy_from_slice(&self.peer_initial_tsn.to_be_bytes());
        out[25..29].copy_from_slice(&self.peer_a_rwnd.to_be_bytes());
        out[29..31].copy_from_slice(&self.outbound_streams.to_be_bytes());
        out[31..33].copy_from_slice(&self.inbound_streams.to_be_bytes());
        let mut flags = 0;
        if self.peer_forward_tsn {
            flags |= FLAG_FORWARD_TSN;
        }
        if self.peer_reconfig {
            flags |= FLAG_RECONFIG;
        }
        if self.peer_zero_checksum {
            flags |= FLAG_ZERO_CHECKSUM;
        }
        out[33] = flags;
        let mac = (provider.hmac)(HashAlgorithm::Sha256, key, &[&out[..BODY_LEN]]);
        out[BODY_LEN..].copy_from_slice(&mac);
        out
    }

    /// Checks the MAC and the lifetime (`now` and `lifetime` as time since the epoch).
    pub(crate) fn open(
        cookie: &[u8],
        provider: &CryptoProvider,
        key: &[u8],
        now: Duration,
        lifetime: Duration,
    ) -> Result<Self, CookieError> {
        if cookie.len() != COOKIE_LEN || cookie[0] != VERSION {
            return Err(CookieError::Invalid);
        }
        let mac = (provider.hmac)(HashAlgorithm::Sha256, key, &[&cookie[..BODY_LEN]]);
        if mac != rtc_crypto::Digest::new(&cookie[BODY_LEN..]) {
            return Err(CookieError::Invalid);
        }
        let u32_at =
            |i: usize| u32::from_be_bytes([cookie[i], cookie[i + 1], cookie[i + 2], cookie[i + 3]]);
        let u16_at = |i: usize| u16::from_be_bytes([cookie[i], cookie[i + 1]]);
        let mut ms = [0u8; 8];
        ms.copy_from_slice(&cookie[1..9]);
        let created = Duration::from_millis(u64::from_be_bytes(ms));
        let age = now.saturating_sub(created);
        if age > lifetime {
            return Err(CookieError::Stale(age - lifetime));
        }
        Ok(Self {
            created,
            my_tag: u32_at(9),
            peer_tag: u32_at(13),
            my_initial_tsn: u32_at(17),
            peer_initial_tsn: u32_at(21),
            peer_a_rwnd: u32_at(25),
            outbound_streams: u16_at(29),
            inbound_streams: u16_at(31),
            peer_forward_tsn: cookie[33] & FLAG_FORWARD_TSN != 0,
            peer_reconfig: cookie[33] & FLAG_RECONFIG != 0,
            peer_zero_checksum: cookie[33] & FLAG_ZERO_CHECKSUM != 0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params() -> CookieParams {
        CookieParams {
            created: Duration::from_millis(1500),
            my_tag: 1,
            peer_tag: 2,
            my_initial_tsn: 3,
            peer_initial_tsn: 4,
            peer_a_rwnd: 5,
            outbound_streams: 6,
            inbound_streams: 7,
            peer_forward_tsn: true,
            peer_reconfig: false,
            peer_zero_checksum: true,
        }
    }

    #[test]
    fn round_trip_and_refusals() {
        let provider = rtc_crypto::default_provider();
        let key = [7u8; 32];
        let sealed = params().seal(provider, &key);
        let life = Duration::from_secs(60);
        let now = Duration::from_secs(2);
        assert_eq!(
            CookieParams::open(&sealed, provider, &key, now, life),
            Ok(params())
        );
        for i in 0..COOKIE_LEN {
            let mut bad = sealed;
            bad[i] ^= 1;
            assert_eq!(
                CookieParams::open(&bad, provider, &key, now, life),
                Err(CookieError::Invalid)
            );
        }
        assert_eq!(
            CookieParams::open(&sealed, provider, &[8u8; 32], now, life),
            Err(CookieError::Invalid)
        );
        assert_eq!(
            CookieParams::open(&sealed[1..], provider, &key, now, life),
            Err(CookieError::Invalid)
        );
        assert_eq!(
            CookieParams::open(&sealed, provider, &key, Duration::from_millis(61_600), life),
            Err(CookieError::Stale(Duration::from_millis(100)))
        );
    }
}
