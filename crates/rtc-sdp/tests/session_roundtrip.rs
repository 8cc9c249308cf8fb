//! Generated sessions survive write → parse → write unchanged; every line of RFC 8866 is covered.

use std::borrow::Cow;

use proptest::prelude::*;
use rtc_sdp::{
    Attribute, Bandwidth, Connection, LineEnding, MediaDescription, Origin, SessionDescription,
    Timing,
};

/// A token: no spaces, no line breaks, not empty.
fn token() -> impl Strategy<Value = String> {
    "[A-Za-z0-9+/._-]{1,12}"
}

/// Free text for `s=`, `i=`, `u=`, `e=`, `p=`, `z=`, `k=`, `r=`: anything but line breaks.
fn text() -> impl Strategy<Value = String> {
    "[ -~]{1,30}"
}

fn connection() -> impl Strategy<Value = Connection<'static>> {
    (token(), token(), token()).prop_map(|(n, a, addr)| Connection {
        nettype: n.into(),
        addrtype: a.into(),
        address: addr.into(),
    })
}

fn bandwidth() -> impl Strategy<Value = Bandwidth<'static>> {
    ("[A-Za-z0-9-]{1,6}", any::<u64>()).prop_map(|(t, b)| Bandwidth {
        bwtype: t.into(),
        bandwidth: b,
    })
}

fn attribute() -> impl Strategy<Value = Attribute<'static>> {
    prop_oneof![
        "[a-z0-9-]{1,15}".prop_map(Attribute::flag),
        ("[a-z0-9-]{1,15}", "[ -~]{0,40}").prop_map(|(n, v)| Attribute::new(n, v)),
    ]
}

fn media() -> impl Strategy<Value = MediaDescription<'static>> {
    (
        (
            token(),
            any::<u16>(),
            prop::option::of(any::<u16>()),
            token(),
            prop::collection::vec(token(), 1..6),
        ),
        (
            prop::option::of(text()),
            prop::collection::vec(connection(), 0..2),
            prop::collection::vec(bandwidth(), 0..2),
            prop::option::of(text()),
            prop::collection::vec(attribute(), 0..12),
        ),
    )
        .prop_map(
            |(
                (media, port, port_count, protocol, formats),
                (title, connections, bandwidths, key, attributes),
            )| {
                MediaDescription {
                    media: media.into(),
                    port,
                    port_count,
                    protocol: protocol.into(),
                    formats: formats.into_iter().map(Cow::Owned).collect(),
                    title: title.map(Cow::Owned),
                    connections,
                    bandwidths,
                    key: key.map(Cow::Owned),
                    attributes,
                }
            },
        )
}

fn session() -> impl Strategy<Value = SessionDescription<'static>> {
    (
        (
            (
                token(),
                any::<u64>(),
                any::<u64>(),
                token(),
                token(),
                token(),
            ),
            text(),
            prop::option::of(text()),
            prop::option::of(text()),
            prop::collection::vec(text(), 0..2),
            prop::collection::vec(text(), 0..2),
        ),
        (
            prop::option::of(connection()),
            prop::collection::vec(bandwidth(), 0..2),
            prop::collection::vec(
                (
                    any::<u64>(),
                    any::<u64>(),
                    prop::collection::vec(text(), 0..2),
                ),
                1..3,
            ),
            prop::option::of(text()),
            prop::option::of(text()),
            prop::collection::vec(attribute(), 0..10),
            prop::collection::vec(media(), 0..5),
            any::<bool>(),
            any::<bool>(),
        ),
    )
        .prop_map(
            |(
                ((user, id, version, net, addrtype, addr), name, info, uri, emails, phones),
                (connection, bandwidths, timings, zones, key, attributes, media, lf, final_ending),
            )| SessionDescription {
                version: 0,
                origin: Origin {
                    username: user.into(),
                    session_id: id.to_string().into(),
                    session_version: version.to_string().into(),
                    nettype: net.into(),
                    addrtype: addrtype.into(),
                    address: addr.into(),
                },
                session_name: name.into(),
                information: info.map(Cow::Owned),
                uri: uri.map(Cow::Owned),
                emails: emails.into_iter().map(Cow::Owned).collect(),
                phones: phones.into_iter().map(Cow::Owned).collect(),
                connection,
                bandwidths,
                timings: timings
                    .into_iter()
                    .map(|(start, stop, repeats)| Timing {
                        start,
                        stop,
                        repeats: repeats.into_iter().map(Cow::Owned).collect(),
                    })
                    .collect(),
                time_zones: zones.map(Cow::Owned),
                key: key.map(Cow::Owned),
                attributes,
                media,
                line_ending: if lf { LineEnding::Lf } else { LineEnding::CrLf },
                final_line_ending: final_ending,
            },
        )
}

proptest! {
    #[test]
    fn generated_sessions_round_trip(sd in session()) {
        let text = sd.to_string();
        prop_assert_eq!(&sd.to_sdp_string(), &text);
        let parsed = SessionDescription::parse(&text).unwrap();
        prop_assert_eq!(&parsed, &sd);
        prop_assert_eq!(&parsed.to_string(), &text);
        prop_assert_eq!(parsed.into_owned(), sd);
    }

    #[test]
    fn arbitrary_text_never_panics(text in "(?s).{0,300}") {
        let _ = SessionDescription::parse(&text);
    }

    #[test]
    fn line_soup_never_panics_and_what_parses_round_trips(
        lines in prop::collection::vec(("[vosiuepcbtrzkam]", "[ -~]{0,20}"), 0..30),
        crlf in any::<bool>(),
    ) {
        let ending = if crlf { "\r\n" } else { "\n" };
        let text: String = lines.iter().map(|(t, v)| format!("{t}={v}{ending}")).collect();
        if let Ok(sd) = SessionDescription::parse(&text) {
            // Whatever is accepted is written back to the same bytes unless it used a form the
            // model normalises (none exists for lines that parse: numbers are canonical).
            prop_assert_eq!(sd.to_string(), text);
        }
    }
}
