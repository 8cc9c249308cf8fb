//! The `ring` backend: AES-GCM, ChaCha20-Poly1305, SHA-2, HMAC-SHA-2, X25519 and P-256 ECDH,
//! ECDSA P-256 and the system random source.

use ring::aead::{
    AES_128_GCM, AES_256_GCM, Aad, CHACHA20_POLY1305, LessSafeKey, Nonce, Tag, UnboundKey,
};
use ring::agreement::{self, EphemeralPrivateKey, UnparsedPublicKey};
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{
    self, ECDSA_P256_SHA256_ASN1, ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair,
};

use crate::{
    Aead, CryptoError, Digest, HashAlgorithm, KeyExchange, KeyExchangeGroup, SignatureScheme,
    SigningKey,
};

/// An AEAD with its key schedule done.
struct RingAead(LessSafeKey);

impl Aead for RingAead {
    fn seal_in_place(&self, nonce: &[u8; 12], aad: &[u8], data: &mut [u8]) -> [u8; 16] {
        let nonce = Nonce::assume_unique_for_key(*nonce);
        // Only fails for data longer than the cipher's limit, which no record or packet reaches.
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

fn aead(
    algorithm: &'static ring::aead::Algorithm,
    key: &[u8],
) -> Result<Box<dyn Aead>, CryptoError> {
    let key = UnboundKey::new(algorithm, key).map_err(|_| CryptoError::KeyLength(key.len()))?;
    Ok(Box::new(RingAead(LessSafeKey::new(key))))
}

pub(crate) fn aes_gcm(key: &[u8]) -> Result<Box<dyn Aead>, CryptoError> {
    match key.len() {
        16 => aead(&AES_128_GCM, key),
        32 => aead(&AES_256_GCM, key),
        n => Err(CryptoError::KeyLength(n)),
    }
}

pub(crate) fn chacha20_poly1305(key: &[u8]) -> Result<Box<dyn Aead>, CryptoError> {
    aead(&CHACHA20_POLY1305, key)
}

pub(crate) fn hash(algorithm: HashAlgorithm, parts: &[&[u8]]) -> Digest {
    let mut context = ring::digest::Context::new(match algorithm {
        HashAlgorithm::Sha256 => &ring::digest::SHA256,
        HashAlgorithm::Sha384 => &ring::digest::SHA384,
    });
    for part in parts {
        context.update(part);
    }
    Digest::new(context.finish().as_ref())
}

pub(crate) fn hmac(algorithm: HashAlgorithm, key: &[u8], parts: &[&[u8]]) -> Digest {
    let key = ring::hmac::Key::new(
        match algorithm {
            HashAlgorithm::Sha256 => ring::hmac::HMAC_SHA256,
            HashAlgorithm::Sha384 => ring::hmac::HMAC_SHA384,
        },
        key,
    );
    let mut context = ring::hmac::Context::with_key(&key);
    for part in parts {
        context.update(part);
    }
    Digest::new(context.sign().as_ref())
}

/// A private key made by `ring` and its public value, computed once at creation.
struct RingKeyExchange {
    group: KeyExchangeGroup,
    private: EphemeralPrivateKey,
    public: agreement::PublicKey,
}

impl KeyExchange for RingKeyExchange {
    fn group(&self) -> KeyExchangeGroup {
        self.group
    }

    fn public_key(&self) -> &[u8] {
        self.public.as_ref()
    }

    fn complete(self: Box<Self>, peer_public: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let peer = UnparsedPublicKey::new(self.private.algorithm(), peer_public);
        // ring checks the peer's length, that a P-256 point is uncompressed and on the curve,
        // and that the X25519 result is not all zeros.
        let shared = agreement::agree_ephemeral(self.private, &peer, <[u8]>::to_vec)
            .map_err(|_| CryptoError::InvalidPublicKey)?;
        // RFC 7748 §6.1: checked here too, so the rule does not rest on ring's internals.
        if shared.iter().all(|&b| b == 0) {
            return Err(CryptoError::InvalidPublicKey);
        }
        Ok(shared)
    }
}

pub(crate) fn key_exchange(group: KeyExchangeGroup) -> Result<Box<dyn KeyExchange>, CryptoError> {
    let algorithm = match group {
        KeyExchangeGroup::X25519 => &agreement::X25519,
        KeyExchangeGroup::Secp256r1 => &agreement::ECDH_P256,
    };
    let private = EphemeralPrivateKey::generate(algorithm, &SystemRandom::new())
        .map_err(|_| CryptoError::Random)?;
    let public = private
        .compute_public_key()
        .map_err(|_| CryptoError::Random)?;
    Ok(Box::new(RingKeyExchange {
        group,
        private,
        public,
    }))
}

/// An ECDSA P-256 key pair; ring's signatures mix fresh randomness into the nonce.
struct RingEcdsa {
    key: EcdsaKeyPair,
    random: SystemRandom,
}

impl SigningKey for RingEcdsa {
    fn scheme(&self) -> SignatureScheme {
        SignatureScheme::EcdsaSecp256r1Sha256
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        self.key
            .sign(&self.random, message)
            .map(|signature| signature.as_ref().to_vec())
            .map_err(|_| CryptoError::Random)
    }

    fn public_key(&self) -> &[u8] {
        self.key.public_key().as_ref()
    }
}

pub(crate) fn signing_key(pkcs8_der: &[u8]) -> Result<Box<dyn SigningKey>, CryptoError> {
    let random = SystemRandom::new();
    let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8_der, &random)
        .map_err(|_| CryptoError::InvalidPrivateKey)?;
    Ok(Box::new(RingEcdsa { key, random }))
}

pub(crate) fn verify(
    scheme: SignatureScheme,
    public_key: &[u8],
    message: &[u8],
    signature: &[u8],
) -> Result<(), CryptoError> {
    match scheme {
        SignatureScheme::EcdsaSecp256r1Sha256 => {
            signature::UnparsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, public_key)
                .verify(message, signature)
                .map_err(|_| {
                    // ring does not say which input was wrong; tell a bad key from a bad
                    // signature off the fast path, with the same answer as RustCrypto.
                    if crate::rust_crypto::is_valid_p256_point(public_key) {
                        CryptoError::BadSignature
                    } else {
                        CryptoError::InvalidPublicKey
                    }
                })
        }
    }
}

pub(crate) fn fill_random(out: &mut [u8]) -> Result<(), CryptoError> {
    SystemRandom::new()
        .fill(out)
        .map_err(|_| CryptoError::Random)
}
