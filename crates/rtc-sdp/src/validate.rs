//! Checks of offers and answers against the rules of JSEP (RFC 8829) and the specifications it
//! relies on: ICE credentials (RFC 8839 §5.4), DTLS fingerprints and roles (RFC 8122, RFC 8842),
//! mids (RFC 5888) and BUNDLE (RFC 8843).

use crate::attributes::Setup;
use crate::{Error, MediaDescription, SessionDescription};

/// Which rule a description breaks. `media` is the index of the `m=` section concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ValidationError {
    /// A WebRTC attribute does not parse.
    #[error(transparent)]
    Syntax(#[from] Error),
    /// No `a=ice-ufrag` for a section, at media or session level.
    #[error("m-section {media}: no a=ice-ufrag")]
    MissingIceUfrag {
        /// Section index.
        media: usize,
    },
    /// No `a=ice-pwd` for a section.
    #[error("m-section {media}: no a=ice-pwd")]
    MissingIcePwd {
        /// Section index.
        media: usize,
    },
    /// `ice-ufrag` must be 4 to 256 ice-chars (RFC 8839 §5.4).
    #[error(
        "m-section {media}: ice-ufrag of {length} characters, or with a character outside ALPHA / DIGIT / + /"
    )]
    InvalidIceUfrag {
        /// Section index.
        media: usize,
        /// Its length.
        length: usize,
    },
    /// `ice-pwd` must be 22 to 256 ice-chars (RFC 8839 §5.4).
    #[error(
        "m-section {media}: ice-pwd of {length} characters, or with a character outside ALPHA / DIGIT / + /"
    )]
    InvalidIcePwd {
        /// Section index.
        media: usize,
        /// Its length.
        length: usize,
    },
    /// No `a=fingerprint` for a section (RFC 8829 §5.2.1, RFC 8122 §5).
    #[error("m-section {media}: no a=fingerprint")]
    MissingFingerprint {
        /// Section index.
        media: usize,
    },
    /// A fingerprint whose value is not the hash's length in colon-separated hex.
    #[error("m-section {media}: a=fingerprint value does not fit its hash function")]
    InvalidFingerprint {
        /// Section index.
        media: usize,
    },
    /// No `a=setup` for a section (RFC 8842 §5).
    #[error("m-section {media}: no a=setup")]
    MissingSetup {
        /// Section index.
        media: usize,
    },
    /// A setup value the role does not allow: an answer must say active or passive, an offer
    /// must not say holdconn (RFC 8842 §5.2, §5.3).
    #[error("m-section {media}: a=setup:{setup:?} is not allowed in an {role}")]
    InvalidSetup {
        /// Section index.
        media: usize,
        /// The value found.
        setup: Setup,
        /// "offer" or "answer".
        role: &'static str,
    },
    /// A section without `a=mid` (JSEP requires one in every section, RFC 8829 §5.2.1).
    #[error("m-section {media}: no a=mid")]
    MissingMid {
        /// Section index.
        media: usize,
    },
    /// Two sections with the same mid (RFC 5888 §4).
    #[error("m-section {media}: a=mid repeats that of m-section {first}")]
    DuplicateMid {
        /// Section index.
        media: usize,
        /// The earlier section with the same mid.
        first: usize,
    },
    /// A BUNDLE group names a mid no section has (RFC 8843 §7.1).
    #[error("a=group:BUNDLE names mid number {position} that no m-section has")]
    UnknownBundleMid {
        /// Position of the mid in the group.
        position: usize,
    },
    /// A mid in more than one BUNDLE group (RFC 8843 §7.2).
    #[error("m-section {media} is in more than one BUNDLE group")]
    MidInTwoBundles {
        /// Section index.
        media: usize,
    },
    /// A section marked `a=bundle-only` that no BUNDLE group holds (RFC 8843 §6).
    #[error("m-section {media} is bundle-only but in no BUNDLE group")]
    BundleOnlyOutsideBundle {
        /// Section index.
        media: usize,
    },
    /// An answer with a different number of sections than the offer (RFC 3264 §6, RFC 8829
    /// §5.3.1).
    #[error("the answer has {answer} m-sections, the offer {offer}")]
    MediaCountMismatch {
        /// Sections in the offer.
        offer: usize,
        /// Sections in the answer.
        answer: usize,
    },
    /// An answer section whose media type or mid differs from the offer's section at the same
    /// index.
    #[error("m-section {media} of the answer does not match the offer's (media type or mid)")]
    MediaMismatch {
        /// Section index.
        media: usize,
    },
    /// An answer's BUNDLE group holds a mid the offer's BUNDLE group did not (RFC 8843 §7.3).
    #[error("the answer bundles m-section {media}, which the offer did not bundle")]
    BundleNotOffered {
        /// Section index.
        media: usize,
    },
}

/// Which side wrote the description.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Offer,
    Answer,
}

fn is_ice_chars(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
}

fn check_section(
    sd: &SessionDescription<'_>,
    index: usize,
    m: &MediaDescription<'_>,
    role: Role,
) -> Result<(), ValidationError> {
    let ufrag = m
        .ice_ufrag()
        .or(sd.ice_ufrag())
        .ok_or(ValidationError::MissingIceUfrag { media: index })?;
    let length = ufrag.chars().count();
    if !(4..=256).contains(&length) || !is_ice_chars(ufrag) {
        return Err(ValidationError::InvalidIceUfrag {
            media: index,
            length,
        });
    }
    let pwd = m
        .ice_pwd()
        .or(sd.ice_pwd())
        .ok_or(ValidationError::MissingIcePwd { media: index })?;
    let length = pwd.chars().count();
    if !(22..=256).contains(&length) || !is_ice_chars(pwd) {
        return Err(ValidationError::InvalidIcePwd {
            media: index,
            length,
        });
    }

    let mut fingerprints = m.fingerprints().peekable();
    let mut session_fingerprints = sd.fingerprints().peekable();
    let fingerprints: &mut dyn Iterator<Item = _> = if fingerprints.peek().is_some() {
        &mut fingerprints
    } else {
        &mut session_fingerprints
    };
    let mut any = false;
    for fingerprint in fingerprints {
        any = true;
        if !fingerprint?.is_valid_length() {
            return Err(ValidationError::InvalidFingerprint { media: index });
        }
    }
    if !any {
        return Err(ValidationError::MissingFingerprint { media: index });
    }

    let setup = match m.setup()? {
        Some(setup) => setup,
        None => sd
            .setup()?
            .ok_or(ValidationError::MissingSetup { media: index })?,
    };
    let allowed = match role {
        Role::Offer => setup != Setup::HoldConn,
        Role::Answer => matches!(setup, Setup::Active | Setup::Passive),
    };
    if !allowed {
        return Err(ValidationError::InvalidSetup {
            media: index,
            setup,
            role: match role {
                Role::Offer => "offer",
                Role::Answer => "answer",
            },
        });
    }
    Ok(())
}

fn check(sd: &SessionDescription<'_>, role: Role) -> Result<(), ValidationError> {
    for (index, m) in sd.media.iter().enumerate() {
        let mid = m
            .mid()
            .ok_or(ValidationError::MissingMid { media: index })?;
        if let Some(first) = sd.media[..index].iter().position(|o| o.mid() == Some(mid)) {
            return Err(ValidationError::DuplicateMid {
                media: index,
                first,
            });
        }
        if !m.is_rejected() {
            check_section(sd, index, m, role)?;
        }
    }
    let mut bundled = vec![false; sd.media.len()];
    for group in sd.groups() {
        let group = group?;
        if !group.semantics.eq_ignore_ascii_case("BUNDLE") {
            continue;
        }
        for (position, mid) in group.mids.iter().enumerate() {
            let media = sd
                .media
                .iter()
                .position(|m| m.mid() == Some(mid))
                .ok_or(ValidationError::UnknownBundleMid { position })?;
            if bundled[media] {
                return Err(ValidationError::MidInTwoBundles { media });
            }
            bundled[media] = true;
        }
    }
    for (media, m) in sd.media.iter().enumerate() {
        if m.bundle_only() && m.port == 0 && !bundled[media] {
            return Err(ValidationError::BundleOnlyOutsideBundle { media });
        }
    }
    Ok(())
}

/// Checks an offer on its own.
pub fn offer(offer: &SessionDescription<'_>) -> Result<(), ValidationError> {
    check(offer, Role::Offer)
}

/// Checks an answer on its own, when the offer is not at hand.
pub fn answer_alone(answer: &SessionDescription<'_>) -> Result<(), ValidationError> {
    check(answer, Role::Answer)
}

/// Checks an answer on its own and against the offer it answers.
pub fn answer(
    offer: &SessionDescription<'_>,
    answer: &SessionDescription<'_>,
) -> Result<(), ValidationError> {
    check(answer, Role::Answer)?;
    if offer.media.len() != answer.media.len() {
        return Err(ValidationError::MediaCountMismatch {
            offer: offer.media.len(),
            answer: answer.media.len(),
        });
    }
    for (media, (o, a)) in offer.media.iter().zip(&answer.media).enumerate() {
        if o.media != a.media || o.mid() != a.mid() {
            return Err(ValidationError::MediaMismatch { media });
        }
    }
    let offered = offer.bundle_group()?;
    if let Some(group) = answer.bundle_group()? {
        for mid in &group.mids {
            let in_offer = offered
                .as_ref()
                .is_some_and(|o| o.mids.iter().any(|m| m == mid));
            if !in_offer {
                let media = answer
                    .media
                    .iter()
                    .position(|m| m.mid() == Some(mid))
                    .unwrap_or_default();
                return Err(ValidationError::BundleNotOffered { media });
            }
        }
    }
    Ok(())
}
