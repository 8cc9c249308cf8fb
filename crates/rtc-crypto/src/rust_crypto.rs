//! The RustCrypto backend.

use aes::cipher::{InnerIvInit, KeyInit, StreamCipher};
use aes::{Aes128Enc, Aes256Enc};
use aes_gcm::aead::AeadInPlace;
use aes_gcm::{Aes128Gcm, Aes256Gcm};

use crate::{AesCtr, AesGcm, CryptoError, Hmac, HmacSha1};

/// The expanded AES key is kept; each call only sets up a counter over a copy of it.
struct Ctr<C>(C);

impl AesCtr for Ctr<Aes128Enc> {
    fn apply_keystream(&self, iv: &[u8; 16], data: &mut [u8]) {
        let mut cipher = ctr::Ctr128BE::<Aes128Enc>::from_core(ctr::CtrCore::inner_iv_init(
            self.0.clone(),
            iv.into(),
        ));
        cipher.apply_keystream(data);
    }
}

impl AesCtr for Ctr<Aes256Enc> {
    fn apply_keystream(&self, iv: &[u8; 16], data: &mut [u8]) {
        let mut cipher = ctr::Ctr128BE::<Aes256Enc>::from_core(ctr::CtrCore::inner_iv_init(
            self.0.clone(),
            iv.into(),
        ));
        cipher.apply_keystream(data);
    }
}

pub(crate) fn aes_ctr(key: &[u8]) -> Result<Box<dyn AesCtr>, CryptoError> {
    match key.len() {
        16 => Ok(Box::new(Ctr(
            Aes128Enc::new_from_slice(key).map_err(|_| CryptoError::KeyLength(16))?
        ))),
        32 => Ok(Box::new(Ctr(
            Aes256Enc::new_from_slice(key).map_err(|_| CryptoError::KeyLength(32))?
        ))),
        n => Err(CryptoError::KeyLength(n)),
    }
}

struct Gcm<C>(C);

macro_rules! gcm {
    ($t:ty) => {
        impl AesGcm for Gcm<$t> {
            fn seal_in_place(&self, nonce: &[u8; 12], aad: &[u8], data: &mut [u8]) -> [u8; 16] {
                // Only fails for data longer than GCM's 64 GiB limit, which no packet reaches.
                self.0
                    .encrypt_in_place_detached(nonce.into(), aad, data)
                    .map(Into::into)
                    .unwrap_or([0; 16])
            }

            fn open_in_place(
                &self,
                nonce: &[u8; 12],
                aad: &[u8],
                data: &mut [u8],
                tag: &[u8; 16],
            ) -> Result<(), CryptoError> {
                self.0
                    .decrypt_in_place_detached(nonce.into(), aad, data, tag.into())
                    .map_err(|_| CryptoError::TagMismatch)
            }
        }
    };
}

gcm!(Aes128Gcm);
gcm!(Aes256Gcm);

pub(crate) fn aes_gcm(key: &[u8]) -> Result<Box<dyn AesGcm>, CryptoError> {
    match key.len() {
        16 => Ok(Box::new(Gcm(
            Aes128Gcm::new_from_slice(key).map_err(|_| CryptoError::KeyLength(16))?
        ))),
        32 => Ok(Box::new(Gcm(
            Aes256Gcm::new_from_slice(key).map_err(|_| CryptoError::KeyLength(32))?
        ))),
        n => Err(CryptoError::KeyLength(n)),
    }
}

pub(crate) fn hmac_sha1(key: &[u8]) -> Box<dyn Hmac> {
    Box::new(HmacSha1::new(key))
}
