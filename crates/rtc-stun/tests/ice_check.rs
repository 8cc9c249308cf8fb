//! `IceCheck::write` against `MessageBuilder`: the same bytes and the same errors, for any
//! username length (both sides of the 32-byte limit of its fast path), role, USE-CANDIDATE, key
//! and buffer size, whatever the buffer held before.

use proptest::prelude::*;
use rtc_stun::{
    Attribute, Class, IceCheck, IceRole, IntegrityKey, Message, MessageBuilder, Method,
    TransactionId,
};

fn with_builder(
    check: &IceCheck<'_>,
    buf: &mut [u8],
    key: &IntegrityKey,
) -> Result<usize, rtc_stun::Error> {
    let mut m = MessageBuilder::new(buf, Class::Request, Method::BINDING, check.transaction_id)?;
    m.add(&Attribute::Username(check.username))?
        .add(&Attribute::Priority(check.priority))?;
    match check.role {
        IceRole::Controlling(t) => m.add(&Attribute::IceControlling(t))?,
        IceRole::Controlled(t) => m.add(&Attribute::IceControlled(t))?,
    };
    if check.use_candidate {
        m.add(&Attribute::UseCandidate)?;
    }
    m.add_message_integrity_and_fingerprint(key)?;
    Ok(m.len())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn writes_what_the_builder_writes(
        name in "[a-zA-Z0-9+/]{0,20}:[a-zA-Z0-9+/é]{0,20}",
        priority in any::<u32>(),
        controlling in any::<bool>(),
        tie_breaker in any::<u64>(),
        use_candidate in any::<bool>(),
        tid in any::<[u8; 12]>(),
        password in "[ -~]{0,24}",
        len in 0usize..160,
        stale in any::<u8>(),
    ) {
        let key = IntegrityKey::short_term(&password);
        let check = IceCheck {
            transaction_id: TransactionId::new(tid),
            username: &name,
            priority,
            role: if controlling {
                IceRole::Controlling(tie_breaker)
            } else {
                IceRole::Controlled(tie_breaker)
            },
            use_candidate,
        };
        let mut ours = vec![stale; len];
        let mut theirs = vec![stale; len];
        let written = check.write(&mut ours, &key);
        let expected = with_builder(&check, &mut theirs, &key);
        prop_assert_eq!(written, expected);
        if let Ok(n) = written {
            prop_assert_eq!(&ours[..n], &theirs[..n]);
            let m = Message::parse_verified(&ours[..n], &key).unwrap();
            prop_assert_eq!(m.username(), Some(name.as_str()));
            prop_assert!(m.has_fingerprint());
        }
    }
}
