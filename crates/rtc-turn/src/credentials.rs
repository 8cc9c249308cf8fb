//! Ephemeral credentials of the "TURN REST API" (draft-uberti-behave-turn-rest-00, as coturn's
//! `--use-auth-secret` implements it): username `expiry:user`, password
//! `base64(HMAC-SHA1(secret, username))`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rtc_crypto::HmacSha1;

/// The username for `user`, valid until `expiry` (seconds since the Unix epoch).
pub fn rest_username(expiry: u64, user: &str) -> String {
    format!("{expiry}:{user}")
}

/// The password the shared `secret` gives `username`.
pub fn rest_password(secret: &[u8], username: &str) -> String {
    STANDARD.encode(HmacSha1::new(secret).sign(&[username.as_bytes()]))
}

/// The expiry encoded in a REST username (`expiry` or `expiry:user`).
pub fn rest_expiry(username: &str) -> Option<u64> {
    username.split(':').next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_is_base64_hmac_sha1_of_the_username() {
        let username = rest_username(1_700_000_000, "alice");
        assert_eq!(username, "1700000000:alice");
        assert_eq!(rest_expiry(&username), Some(1_700_000_000));
        let password = rest_password(b"north", &username);
        // 20 bytes of HMAC are 28 base64 characters.
        assert_eq!(password.len(), 28);
        assert_ne!(password, rest_password(b"south", &username));
        assert_eq!(rest_expiry("alice"), None);
    }
}
