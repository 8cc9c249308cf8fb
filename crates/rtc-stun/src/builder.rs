//! Writing STUN messages into a caller's buffer.

use crate::attribute::{MAX_USERNAME, padded};
use crate::integrity::{FINGERPRINT_XOR, fingerprint};
use crate::message::{ATTRIBUTE_HEADER_LEN, HEADER_LEN, MAGIC_COOKIE, message_type};
use crate::{Attribute, AttributeType, Class, Error, IntegrityKey, Message, Method, TransactionId};

/// The attributes that close a message to further ordinary attributes.
const SEALING: [AttributeType; 3] = [
    AttributeType::MESSAGE_INTEGRITY,
    AttributeType::MESSAGE_INTEGRITY_SHA256,
    AttributeType::FINGERPRINT,
];

/// Writes one STUN message into a borrowed buffer, attribute by attribute, with no allocation.
///
/// Integrity and fingerprint go last, in the order RFC 8489 §14 fixes: MESSAGE-INTEGRITY,
/// MESSAGE-INTEGRITY-SHA256, FINGERPRINT. Once one of them is added, only the ones after it can
/// follow.
///
/// ```
/// use rtc_stun::{Class, IntegrityKey, Message, MessageBuilder, Method, TransactionId, Attribute};
///
/// let key = IntegrityKey::short_term("VOkJxbRl1RmTxUk/WvJxBt");
/// let mut buf = [0u8; 256];
/// let mut b = MessageBuilder::new(&mut buf, Class::Request, Method::BINDING, TransactionId::new([7; 12]))?;
/// b.add(&Attribute::Username("evtj:h6vY"))?;
/// b.add(&Attribute::Priority(0x6e0001ff))?;
/// b.add_message_integrity(&key)?;
/// b.add_fingerprint()?;
/// let bytes = b.finish();
///
/// let message = Message::parse(bytes)?;
/// message.verify_integrity(&key)?;
/// assert_eq!(message.username(), Some("evtj:h6vY"));
/// # Ok::<(), rtc_stun::Error>(())
/// ```
#[derive(Debug)]
pub struct MessageBuilder<'b> {
    buf: &'b mut [u8],
    len: usize,
    tid: TransactionId,
    /// 0: open; 1: after MESSAGE-INTEGRITY; 2: after MESSAGE-INTEGRITY-SHA256; 3: after FINGERPRINT.
    sealed: u8,
}

impl<'b> MessageBuilder<'b> {
    /// Starts a message with the magic cookie (RFC 8489 §5).
    #[inline]
    pub fn new(
        buf: &'b mut [u8],
        class: Class,
        method: Method,
        tid: TransactionId,
    ) -> Result<Self, Error> {
        Self::with_cookie(buf, class, method, MAGIC_COOKIE.to_be_bytes(), tid)
    }

    /// Starts a message with the given 4 bytes in place of the magic cookie. A server answering a
    /// classic RFC 3489 client copies the client's bytes there (RFC 8489 §12).
    #[inline]
    pub fn with_cookie(
        buf: &'b mut [u8],
        class: Class,
        method: Method,
        cookie: [u8; 4],
        tid: TransactionId,
    ) -> Result<Self, Error> {
        if buf.len() < HEADER_LEN {
            return Err(Error::BufferTooSmall {
                needed: HEADER_LEN,
                available: buf.len(),
            });
        }
        buf[0..2].copy_from_slice(&message_type(class, method).to_be_bytes());
        buf[2..4].fill(0);
        buf[4..8].copy_from_slice(&cookie);
        buf[8..HEADER_LEN].copy_from_slice(tid.as_bytes());
        Ok(Self {
            buf,
            len: HEADER_LEN,
            tid,
            sealed: 0,
        })
    }

    /// Continues a message already written in `buf[..len]` (by this builder or another writer),
    /// for example to sign a message whose other attributes were written elsewhere. The message
    /// must be well formed and not yet carry MESSAGE-INTEGRITY(-SHA256) or FINGERPRINT.
    pub fn resume(buf: &'b mut [u8], len: usize) -> Result<Self, Error> {
        let existing = buf.get(..len).ok_or(Error::BufferTooSmall {
            needed: len,
            available: buf.len(),
        })?;
        let message = Message::parse_allow_rfc3489(existing)?;
        if let Some(t) = message
            .attributes()
            .map(|a| a.attribute_type())
            .find(|t| SEALING.contains(t))
        {
            return Err(Error::MessageSealed(t));
        }
        let tid = message.transaction_id();
        Ok(Self {
            buf,
            len,
            tid,
            sealed: 0,
        })
    }

    /// The transaction id being written.
    pub fn transaction_id(&self) -> TransactionId {
        self.tid
    }

    /// Bytes written so far.
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when nothing but the header is written.
    pub fn is_empty(&self) -> bool {
        self.len == HEADER_LEN
    }

    /// Appends an attribute. MESSAGE-INTEGRITY(-SHA256) and FINGERPRINT given here are written
    /// as they are; use the dedicated methods to compute them.
    ///
    /// A known attribute type given as [`Attribute::Unknown`] must hold a value that decodes.
    #[inline(always)]
    pub fn add(&mut self, attribute: &Attribute<'_>) -> Result<&mut Self, Error> {
        // The attributes of every ICE connectivity check are written without the generic
        // path's dispatch on the attribute (which costs more than the writing itself): with
        // the variant known at the call site, this match folds away.
        match *attribute {
            Attribute::Username(s) if s.len() <= MAX_USERNAME => {
                self.add_bytes(AttributeType::USERNAME, s.as_bytes())
            }
            Attribute::Priority(v) => self.add_fixed(AttributeType::PRIORITY, v.to_be_bytes()),
            Attribute::IceControlling(v) => {
                self.add_fixed(AttributeType::ICE_CONTROLLING, v.to_be_bytes())
            }
            Attribute::IceControlled(v) => {
                self.add_fixed(AttributeType::ICE_CONTROLLED, v.to_be_bytes())
            }
            Attribute::UseCandidate => self.add_fixed(AttributeType::USE_CANDIDATE, []),
            _ => self.add_generic(attribute),
        }
    }

    /// An ordinary (not sealing) attribute with a value of `N` bytes.
    #[inline(always)]
    fn add_fixed<const N: usize>(
        &mut self,
        t: AttributeType,
        value: [u8; N],
    ) -> Result<&mut Self, Error> {
        if self.sealed != 0 {
            return Err(Error::MessageSealed(t));
        }
        let start = self.reserve(t, N)?;
        self.buf[start..start + N].copy_from_slice(&value);
        Ok(self)
    }

    /// An ordinary (not sealing) attribute with a value of any length.
    #[inline(always)]
    fn add_bytes(&mut self, t: AttributeType, value: &[u8]) -> Result<&mut Self, Error> {
        if self.sealed != 0 {
            return Err(Error::MessageSealed(t));
        }
        let start = self.reserve(t, value.len())?;
        self.buf[start..start + value.len()].copy_from_slice(value);
        Ok(self)
    }

    #[inline(never)]
    fn add_generic(&mut self, attribute: &Attribute<'_>) -> Result<&mut Self, Error> {
        let t = attribute.attribute_type();
        let sealed = self.check_order(t)?;
        attribute.validate()?;
        if let Attribute::Unknown { value, .. } = attribute {
            if t.is_known() {
                Attribute::decode(t, value, &self.tid)?;
            }
        }
        let value_len = attribute.value_len();
        let start = self.reserve(t, value_len)?;
        attribute.encode_value(&self.tid, &mut self.buf[start..start + value_len]);
        self.sealed = sealed;
        Ok(self)
    }

    /// RFC 8489 §14.5-§14.7: nothing but MESSAGE-INTEGRITY-SHA256 and FINGERPRINT may follow
    /// MESSAGE-INTEGRITY, nothing but FINGERPRINT may follow MESSAGE-INTEGRITY-SHA256, and
    /// nothing may follow FINGERPRINT. Returns the state after adding `t`.
    #[inline]
    fn check_order(&self, t: AttributeType) -> Result<u8, Error> {
        let rank = match t {
            AttributeType::MESSAGE_INTEGRITY => 1,
            AttributeType::MESSAGE_INTEGRITY_SHA256 => 2,
            AttributeType::FINGERPRINT => 3,
            _ => 0,
        };
        if self.sealed >= rank.max(1) {
            return Err(Error::MessageSealed(t));
        }
        Ok(rank.max(self.sealed))
    }

    /// Appends an attribute from its type and raw value.
    pub fn add_raw(&mut self, attribute: AttributeType, value: &[u8]) -> Result<&mut Self, Error> {
        self.add(&Attribute::Unknown { attribute, value })
    }

    /// Appends UNKNOWN-ATTRIBUTES listing `types` (RFC 8489 §14.13), for a 420 response.
    pub fn add_unknown_attributes(&mut self, types: &[AttributeType]) -> Result<&mut Self, Error> {
        let t = AttributeType::UNKNOWN_ATTRIBUTES;
        self.check_order(t)?;
        let value_len = types.len() * 2;
        let start = self.reserve(t, value_len)?;
        for (slot, ty) in self.buf[start..start + value_len]
            .chunks_exact_mut(2)
            .zip(types)
        {
            slot.copy_from_slice(&ty.0.to_be_bytes());
        }
        Ok(self)
    }

    /// Appends MESSAGE-INTEGRITY: HMAC-SHA1 over the message so far with the length field
    /// counting this attribute (RFC 8489 §14.5).
    #[inline]
    pub fn add_message_integrity(&mut self, key: &IntegrityKey) -> Result<&mut Self, Error> {
        let sealed = self.check_order(AttributeType::MESSAGE_INTEGRITY)?;
        let t = AttributeType::MESSAGE_INTEGRITY;
        let start = self.reserve(t, 20)?;
        let mac = key.sign_sha1(&self.buf[..start + 20], start - ATTRIBUTE_HEADER_LEN);
        self.buf[start..start + 20].copy_from_slice(&mac);
        self.sealed = sealed;
        Ok(self)
    }

    /// Appends MESSAGE-INTEGRITY then FINGERPRINT, as every ICE connectivity check ends (RFC
    /// 8445 §7.1.2, §7.2.2): the same bytes as [`Self::add_message_integrity`] followed by
    /// [`Self::add_fingerprint`], written faster.
    ///
    /// The CRC-32 of everything before the HMAC's value is known before the HMAC is, and does
    /// not depend on it, so it is computed first, where the processor runs it alongside the
    /// HMAC's SHA-1 rounds; only the 20 bytes of the HMAC are left to add to it afterwards.
    #[inline]
    pub fn add_message_integrity_and_fingerprint(
        &mut self,
        key: &IntegrityKey,
    ) -> Result<&mut Self, Error> {
        self.check_order(AttributeType::MESSAGE_INTEGRITY)?;
        // Both attributes fit, or neither is written.
        let end = self.len + 2 * ATTRIBUTE_HEADER_LEN + 20 + 4;
        if end - HEADER_LEN > usize::from(u16::MAX) {
            return Err(Error::ValueTooLong {
                attribute: AttributeType::FINGERPRINT,
                length: 4,
            });
        }
        if end > self.buf.len() {
            return Err(Error::BufferTooSmall {
                needed: end,
                available: self.buf.len(),
            });
        }
        let start = self.reserve(AttributeType::MESSAGE_INTEGRITY, 20)?;
        let mac_end = start + 20;
        // RFC 8489 §14.7: the CRC covers the message up to FINGERPRINT with the length field
        // counting FINGERPRINT; §14.5: the HMAC's length field ends at MESSAGE-INTEGRITY, and is
        // patched in as the HMAC reads the message.
        let integrity_length = self.buf[2..4].try_into().unwrap_or([0; 2]);
        let final_length = (end - HEADER_LEN) as u16;
        self.buf[2..4].copy_from_slice(&final_length.to_be_bytes());
        let mut crc = crate::integrity::crc32_hasher();
        crc.update(&self.buf[..start]);
        let mac = key.sign_sha1_patched(
            &self.buf[..mac_end],
            start - ATTRIBUTE_HEADER_LEN,
            integrity_length,
        );
        crc.update(&mac);
        let value = (crc.finalize() ^ FINGERPRINT_XOR).to_be_bytes();
        self.buf[start..mac_end].copy_from_slice(&mac);
        let fp = &mut self.buf[mac_end..end];
        fp[..2].copy_from_slice(&AttributeType::FINGERPRINT.0.to_be_bytes());
        fp[2..4].copy_from_slice(&4u16.to_be_bytes());
        fp[4..].copy_from_slice(&value);
        self.len = end;
        self.sealed = 3;
        Ok(self)
    }

    /// Appends MESSAGE-INTEGRITY-SHA256 with the full 32-byte HMAC (RFC 8489 §14.6).
    pub fn add_message_integrity_sha256(&mut self, key: &IntegrityKey) -> Result<&mut Self, Error> {
        let sealed = self.check_order(AttributeType::MESSAGE_INTEGRITY_SHA256)?;
        let t = AttributeType::MESSAGE_INTEGRITY_SHA256;
        let start = self.reserve(t, 32)?;
        let mac = key.sign_sha256(&self.buf[..start - ATTRIBUTE_HEADER_LEN]);
        self.buf[start..start + 32].copy_from_slice(&mac);
        self.sealed = sealed;
        Ok(self)
    }

    /// Appends FINGERPRINT (RFC 8489 §14.7); nothing can follow it.
    #[inline]
    pub fn add_fingerprint(&mut self) -> Result<&mut Self, Error> {
        let sealed = self.check_order(AttributeType::FINGERPRINT)?;
        let t = AttributeType::FINGERPRINT;
        let start = self.reserve(t, 4)?;
        let crc = fingerprint(&self.buf[..start - ATTRIBUTE_HEADER_LEN]);
        self.buf[start..start + 4].copy_from_slice(&crc.to_be_bytes());
        self.sealed = sealed;
        Ok(self)
    }

    /// The finished message.
    #[inline]
    pub fn finish(self) -> &'b [u8] {
        &self.buf[..self.len]
    }

    /// Writes an attribute header for `value_len` bytes, zeroes the padding, updates the
    /// message length, and returns where the value goes.
    #[inline(always)]
    fn reserve(&mut self, attribute: AttributeType, value_len: usize) -> Result<usize, Error> {
        let total = ATTRIBUTE_HEADER_LEN + padded(value_len);
        let end = self.len + total;
        if value_len > usize::from(u16::MAX) || end - HEADER_LEN > usize::from(u16::MAX) {
            return Err(Error::ValueTooLong {
                attribute,
                length: value_len,
            });
        }
        if end > self.buf.len() {
            return Err(Error::BufferTooSmall {
                needed: end,
                available: self.buf.len(),
            });
        }
        let header = &mut self.buf[self.len..self.len + ATTRIBUTE_HEADER_LEN];
        header[0..2].copy_from_slice(&attribute.0.to_be_bytes());
        header[2..4].copy_from_slice(&(value_len as u16).to_be_bytes());
        let start = self.len + ATTRIBUTE_HEADER_LEN;
        // Padding is at most 3 bytes: zeroing the value's last 4-byte word (which the value then
        // overwrites) is one fixed-size store instead of a variable-length fill.
        if end > start {
            self.buf[end - 4..end].fill(0);
        }
        self.len = end;
        let length = (end - HEADER_LEN) as u16;
        self.buf[2..4].copy_from_slice(&length.to_be_bytes());
        Ok(start)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integrity_and_fingerprint_past_the_length_field_limit_are_refused_whole() {
        // A message whose MESSAGE-INTEGRITY still fits the 16-bit length but whose FINGERPRINT
        // would not: refused, as `add_fingerprint` would, and nothing written.
        let key = IntegrityKey::short_term("pw");
        let mut buf = vec![0u8; 70_000];
        let mut b = MessageBuilder::new(
            &mut buf,
            Class::Indication,
            Method::BINDING,
            TransactionId::new([1; 12]),
        )
        .unwrap();
        let value = vec![7u8; usize::from(u16::MAX) - 4 - 24 - 4];
        b.add_raw(AttributeType(0x8050), &value).unwrap();
        let before = b.len();
        assert!(matches!(
            b.add_message_integrity_and_fingerprint(&key),
            Err(Error::ValueTooLong { .. })
        ));
        assert_eq!(b.len(), before);
        b.add_message_integrity(&key).unwrap();
        assert!(b.add_fingerprint().is_err());
    }
}
