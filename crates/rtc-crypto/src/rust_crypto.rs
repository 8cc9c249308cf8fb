//! The RustCrypto backend.

use aes::cipher::{InnerIvInit, KeyInit, StreamCipher};
use aes::{Aes128Enc, Aes256Enc};
use aes_gcm::aead::AeadInPlace;
use aes_gcm::{Aes128Gcm, Aes256Gcm};
use chacha20poly1305::ChaCha20Poly1305;
use hmac::Mac;
use p256::ecdsa::signature::{Signer, Verifier};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::elliptic_curve::zeroize::Zeroize;
use p256::pkcs8::DecodePrivateKey;
use sha2::{Sha256, Sha384};

use crate::{
    Aead, AesCtr, CryptoError, Digest, HashAlgorithm, Hmac, HmacSha1, KeyExchange,
    KeyExchangeGroup, SignatureScheme, SigningKey,
};

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

/// An AEAD with its key schedule done.
struct RcAead<C>(C);

macro_rules! aead {
    ($t:ty) => {
        impl Aead for RcAead<$t> {
            fn seal_in_place(&self, nonce: &[u8; 12], aad: &[u8], data: &mut [u8]) -> [u8; 16] {
                // Only fails for data longer than GCM's 64 GiB (ChaCha20's 256 GiB) limit, which
                // no record or packet reaches.
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

aead!(Aes128Gcm);
aead!(Aes256Gcm);
aead!(ChaCha20Poly1305);

pub(crate) fn aes_gcm(key: &[u8]) -> Result<Box<dyn Aead>, CryptoError> {
    match key.len() {
        16 => Ok(Box::new(RcAead(
            Aes128Gcm::new_from_slice(key).map_err(|_| CryptoError::KeyLength(16))?,
        ))),
        32 => Ok(Box::new(RcAead(
            Aes256Gcm::new_from_slice(key).map_err(|_| CryptoError::KeyLength(32))?,
        ))),
        n => Err(CryptoError::KeyLength(n)),
    }
}

pub(crate) fn chacha20_poly1305(key: &[u8]) -> Result<Box<dyn Aead>, CryptoError> {
    ChaCha20Poly1305::new_from_slice(key)
        .map(|cipher| Box::new(RcAead(cipher)) as Box<dyn Aead>)
        .map_err(|_| CryptoError::KeyLength(key.len()))
}

pub(crate) fn hmac_sha1(key: &[u8]) -> Box<dyn Hmac> {
    Box::new(HmacSha1::new(key))
}

pub(crate) fn hash(algorithm: HashAlgorithm, parts: &[&[u8]]) -> Digest {
    fn run<D: sha2::Digest>(parts: &[&[u8]]) -> Digest {
        let mut hasher = D::new();
        for part in parts {
            hasher.update(part);
        }
        Digest::new(&hasher.finalize())
    }
    match algorithm {
        HashAlgorithm::Sha256 => run::<Sha256>(parts),
        HashAlgorithm::Sha384 => run::<Sha384>(parts),
    }
}

pub(crate) fn hmac(algorithm: HashAlgorithm, key: &[u8], parts: &[&[u8]]) -> Digest {
    fn run<M: Mac + KeyInit>(key: &[u8], parts: &[&[u8]]) -> Digest {
        // HMAC takes keys of any length (RFC 2104 §2), so this cannot fail.
        let Ok(mut mac) = <M as Mac>::new_from_slice(key) else {
            return Digest::new(&[]);
        };
        for part in parts {
            mac.update(part);
        }
        Digest::new(&mac.finalize().into_bytes())
    }
    match algorithm {
        HashAlgorithm::Sha256 => run::<hmac::Hmac<Sha256>>(key, parts),
        HashAlgorithm::Sha384 => run::<hmac::Hmac<Sha384>>(key, parts),
    }
}

/// An X25519 private key and its public value. `StaticSecret` rather than `EphemeralSecret`
/// because it can be made from bytes we drew ourselves, so a failing random source is an error
/// rather than `OsRng`'s panic; `complete` consumes it all the same.
struct X25519 {
    secret: x25519_dalek::StaticSecret,
    public: [u8; 32],
}

impl KeyExchange for X25519 {
    fn group(&self) -> KeyExchangeGroup {
        KeyExchangeGroup::X25519
    }

    fn public_key(&self) -> &[u8] {
        &self.public
    }

    fn complete(self: Box<Self>, peer_public: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let peer: [u8; 32] = peer_public
            .try_into()
            .map_err(|_| CryptoError::InvalidPublicKey)?;
        let shared = self
            .secret
            .diffie_hellman(&x25519_dalek::PublicKey::from(peer));
        // RFC 7748 §6.1 / RFC 8422 §5.11: a low-order peer value gives the all-zero secret.
        if !shared.was_contributory() {
            return Err(CryptoError::InvalidPublicKey);
        }
        Ok(shared.as_bytes().to_vec())
    }
}

/// A P-256 private key and its uncompressed public point (a `SecretKey` rather than an
/// `EphemeralSecret`, for the reason given at [`X25519`]).
struct P256 {
    secret: p256::SecretKey,
    public: [u8; 65],
}

impl KeyExchange for P256 {
    fn group(&self) -> KeyExchangeGroup {
        KeyExchangeGroup::Secp256r1
    }

    fn public_key(&self) -> &[u8] {
        &self.public
    }

    fn complete(self: Box<Self>, peer_public: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let peer = p256_public_key(peer_public)?;
        let shared = p256::ecdh::diffie_hellman(self.secret.to_nonzero_scalar(), peer.as_affine());
        Ok(shared.raw_secret_bytes().to_vec())
    }
}

/// Parses an uncompressed SEC1 point (RFC 8422 §5.4.1 deprecates the compressed forms, and
/// `ring` takes only this one), checking that it is on the curve and not the identity.
fn p256_public_key(bytes: &[u8]) -> Result<p256::PublicKey, CryptoError> {
    if bytes.len() != 65 || bytes[0] != 0x04 {
        return Err(CryptoError::InvalidPublicKey);
    }
    p256::PublicKey::from_sec1_bytes(bytes).map_err(|_| CryptoError::InvalidPublicKey)
}

/// Whether `bytes` is an uncompressed P-256 point on the curve (for the `ring` backend, which
/// does not say why a verification failed).
#[cfg(feature = "ring")]
pub(crate) fn is_valid_p256_point(bytes: &[u8]) -> bool {
    p256_public_key(bytes).is_ok()
}

fn uncompressed(point: &p256::EncodedPoint) -> [u8; 65] {
    let mut out = [0u8; 65];
    // Always 65 bytes: the point was encoded uncompressed from a non-identity key.
    if let Some(dst) = out.get_mut(..point.len()) {
        dst.copy_from_slice(point.as_bytes());
    }
    out
}

pub(crate) fn key_exchange(group: KeyExchangeGroup) -> Result<Box<dyn KeyExchange>, CryptoError> {
    let mut bytes = [0u8; 32];
    let made = match group {
        KeyExchangeGroup::X25519 => fill_random(&mut bytes).map(|()| {
            // Clamped inside (RFC 7748 §5), so any 32 bytes are a key.
            let secret = x25519_dalek::StaticSecret::from(bytes);
            let public = x25519_dalek::PublicKey::from(&secret).to_bytes();
            Box::new(X25519 { secret, public }) as Box<dyn KeyExchange>
        }),
        KeyExchangeGroup::Secp256r1 => loop {
            if let Err(e) = fill_random(&mut bytes) {
                break Err(e);
            }
            // Zero or at least the group order (odds about 2^-32) is drawn again.
            if let Ok(secret) = p256::SecretKey::from_bytes(&bytes.into()) {
                let public = uncompressed(&secret.public_key().to_encoded_point(false));
                break Ok(Box::new(P256 { secret, public }) as Box<dyn KeyExchange>);
            }
        },
    };
    bytes.zeroize();
    made
}

/// An ECDSA P-256 key; signs deterministically (RFC 6979).
struct EcdsaP256 {
    key: p256::ecdsa::SigningKey,
    public: [u8; 65],
}

impl SigningKey for EcdsaP256 {
    fn scheme(&self) -> SignatureScheme {
        SignatureScheme::EcdsaSecp256r1Sha256
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let signature: p256::ecdsa::Signature = self
            .key
            .try_sign(message)
            .map_err(|_| CryptoError::InvalidPrivateKey)?;
        Ok(signature.to_der().as_bytes().to_vec())
    }

    fn public_key(&self) -> &[u8] {
        &self.public
    }
}

pub(crate) fn signing_key(pkcs8_der: &[u8]) -> Result<Box<dyn SigningKey>, CryptoError> {
    let key = p256::ecdsa::SigningKey::from_pkcs8_der(pkcs8_der)
        .map_err(|_| CryptoError::InvalidPrivateKey)?;
    let public = uncompressed(&key.verifying_key().to_encoded_point(false));
    Ok(Box::new(EcdsaP256 { key, public }))
}

pub(crate) fn verify(
    scheme: SignatureScheme,
    public_key: &[u8],
    message: &[u8],
    signature: &[u8],
) -> Result<(), CryptoError> {
    match scheme {
        SignatureScheme::EcdsaSecp256r1Sha256 => {
            let key = p256::ecdsa::VerifyingKey::from(p256_public_key(public_key)?);
            let signature = p256::ecdsa::Signature::from_der(signature)
                .map_err(|_| CryptoError::BadSignature)?;
            key.verify(message, &signature)
                .map_err(|_| CryptoError::BadSignature)
        }
    }
}

pub(crate) fn fill_random(out: &mut [u8]) -> Result<(), CryptoError> {
    getrandom::fill(out).map_err(|_| CryptoError::Random)
}
