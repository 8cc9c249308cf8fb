#![no_main]
//! Arbitrary bytes through every DTLS wire parser: records, handshake fragments, every
//! handshake message body, alerts and the use_srtp extension. Typed errors only, never a
//! panic; whatever parses writes back to bytes that parse to the same value.
use libfuzzer_sys::fuzz_target;
use rtc_dtls::message::{
    CertificateMsg, CertificateRequest, ClientHello, DigitallySigned, HandshakeFragment,
    HelloVerifyRequest, Record, ServerHello, ServerKeyExchange, UseSrtp, parse_alert,
    parse_client_key_exchange,
};

macro_rules! round_trip {
    ($t:ty, $data:expr) => {
        if let Ok(v) = <$t>::parse($data) {
            let mut out = Vec::new();
            v.write(&mut out);
            assert_eq!(<$t>::parse(&out).expect("own output parses"), v);
        }
    };
}

fuzz_target!(|data: &[u8]| {
    let (records, _) = Record::parse_datagram(data);
    for r in &records {
        let mut out = Vec::new();
        r.write(&mut out);
        let (again, err) = Record::parse_datagram(&out);
        assert!(err.is_none());
        assert_eq!(again, [*r]);
        if let Ok(fragments) = HandshakeFragment::parse_all(r.fragment) {
            let mut out = Vec::new();
            for f in &fragments {
                f.write(&mut out);
            }
            assert_eq!(
                HandshakeFragment::parse_all(&out).expect("parses"),
                fragments
            );
        }
    }
    round_trip!(ClientHello, data);
    round_trip!(ServerHello, data);
    round_trip!(HelloVerifyRequest, data);
    round_trip!(CertificateMsg, data);
    round_trip!(ServerKeyExchange, data);
    round_trip!(CertificateRequest, data);
    round_trip!(UseSrtp, data);
    if let Ok(v) = DigitallySigned::parse_body(data) {
        let mut out = Vec::new();
        v.write_body(&mut out);
        assert_eq!(DigitallySigned::parse_body(&out).expect("parses"), v);
    }
    let _ = parse_alert(data);
    let _ = parse_client_key_exchange(data);
});
