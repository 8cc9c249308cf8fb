//! The `ring` backend: AES-GCM.

use ring::aead::{AES_128_GCM, AES_256_GCM, Aad, LessSafeKey, Nonce, Tag, UnboundKey};

use crate::{AesGcm, CryptoError};

struct RingGcm(LessSafeKey);

impl AesGcm for RingGcm {
    fn seal_in_place(&self, nonce: &[u8; 12], aad: &[u8], data: &mut [u8]) -> [u8; 16] {
        let nonce = Nonce::assume_unique_for_key(*nonce);
        // Only fails for data longer than GCM's limit, which no packet reaches.
        match self
            .0
            .seal_in_place_separate_tag(nonce, Aad::from(aad), data)
        {
            Ok(tag) => {
                let mut out = [0u8; 16];
                out.copy_from_slice(tag.as_ref());
                out
            }
            Err(_) => [0; 16],
        }
    }

    fn open_in_place(
        &self,
        nonce: &[u8; 12],
        aad: &[u8],
        data: &mut [u8],
        tag: &[u8; 16],
    ) -> Result<(), CryptoError> {
        let nonce = Nonce::assume_unique_for_key(*nonce);
        let tag = Tag::from(*tag);
        self.0
            .open_in_place_separate_tag(nonce, Aad::from(aad), tag, data, 0..)
            .map(|_| ())
            .map_err(|_| CryptoError::TagMismatch)
    }
}

pub(crate) fn aes_gcm(key: &[u8]) -> Result<Box<dyn AesGcm>, CryptoError> {
    let algorithm = match key.len() {
        16 => &AES_128_GCM,
        32 => &AES_256_GCM,
        n => return Err(CryptoError::KeyLength(n)),
    };
    let key = UnboundKey::new(algorithm, key).map_err(|_| CryptoError::KeyLength(key.len()))?;
    Ok(Box::new(RingGcm(LessSafeKey::new(key))))
}
