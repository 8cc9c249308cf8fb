//! `RTCConfiguration`.

use std::net::{IpAddr, SocketAddr};

use crate::Error;

/// `RTCIceServer`: STUN or TURN URLs with the credentials for TURN.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RTCIceServer {
    /// `stun:host[:port]` or `turn:host[:port][?transport=udp]` (RFC 7064, RFC 7065).
    pub urls: Vec<String>,
    /// The TURN username.
    pub username: String,
    /// The TURN password.
    pub credential: String,
}

/// `RTCConfiguration`, with the socket settings a native peer needs.
#[derive(Debug, Clone, Default)]
pub struct RTCConfiguration {
    /// STUN and TURN servers.
    pub ice_servers: Vec<RTCIceServer>,
    /// The certificate (`certificates`); a new ECDSA P-256 one when `None`.
    pub certificate: Option<rtc_dtls::Certificate>,
    /// The local IP to bind the UDP socket to. `None`: the first non-loopback IPv4 address
    /// of the host's interfaces, or 127.0.0.1 when there is none.
    pub bind_ip: Option<IpAddr>,
    /// The local port (0: any).
    pub bind_port: u16,
    /// ICE lite (for a server with a public address).
    pub ice_lite: bool,
}

/// A parsed `stun:`/`turn:` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum IceUrl {
    Stun(String),
    Turn(String),
}

/// RFC 7064 §3.1, RFC 7065 §3.1: `stun:host[:port]`, `turn:host[:port][?transport=udp]`.
/// `turns:`, `stuns:` and TCP transports are refused.
pub(crate) fn parse_ice_url(url: &str) -> Result<IceUrl, Error> {
    let (scheme, rest) = url
        .split_once(':')
        .ok_or_else(|| Error::Config(format!("ICE server URL {url:?}: no scheme")))?;
    let (hostport, query) = rest.split_once('?').unwrap_or((rest, ""));
    if !query.is_empty() && query != "transport=udp" {
        return Err(Error::Config(format!(
            "ICE server URL {url:?}: only UDP is supported"
        )));
    }
    let with_port = |default: u16| {
        if hostport.starts_with('[') {
            // [v6] or [v6]:port
            match hostport.rsplit_once("]:") {
                Some((h, p)) => format!("{h}]:{p}"),
                None => format!("{hostport}:{default}"),
            }
        } else if hostport.contains(':') {
            hostport.to_owned()
        } else {
            format!("{hostport}:{default}")
        }
    };
    match scheme {
        "stun" => Ok(IceUrl::Stun(with_port(3478))),
        "turn" => Ok(IceUrl::Turn(with_port(3478))),
        other => Err(Error::Config(format!(
            "ICE server URL {url:?}: scheme {other:?} is not supported"
        ))),
    }
}

/// Resolves the ICE servers into the core's configuration.
pub(crate) async fn resolve(
    servers: &[RTCIceServer],
    family_v4: bool,
) -> Result<(Vec<SocketAddr>, Vec<rtc_peer::TurnServer>), Error> {
    let mut stun = Vec::new();
    let mut turn = Vec::new();
    for server in servers {
        for url in &server.urls {
            let (hostport, is_turn) = match parse_ice_url(url)? {
                IceUrl::Stun(h) => (h, false),
                IceUrl::Turn(h) => (h, true),
            };
            let address = tokio::net::lookup_host(&hostport)
                .await
                .map_err(|e| Error::Config(format!("{url}: {e}")))?
                .find(|a| a.is_ipv4() == family_v4)
                .ok_or_else(|| Error::Config(format!("{url}: no address of our family")))?;
            if is_turn {
                turn.push(rtc_peer::TurnServer {
                    address,
                    username: server.username.clone(),
                    password: server.credential.clone(),
                });
            } else {
                stun.push(address);
            }
        }
    }
    Ok((stun, turn))
}

/// The IP to bind: the configured one, else the first non-loopback IPv4 of an interface.
pub(crate) fn bind_ip(config: &RTCConfiguration) -> IpAddr {
    if let Some(ip) = config.bind_ip {
        return ip;
    }
    if_addrs::get_if_addrs()
        .ok()
        .and_then(|addrs| {
            addrs
                .into_iter()
                .map(|i| i.ip())
                .find(|ip| ip.is_ipv4() && !ip.is_loopback())
        })
        .unwrap_or(IpAddr::from([127, 0, 0, 1]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_of_rfc_7064_and_7065() {
        assert_eq!(
            parse_ice_url("stun:stun.example.org").unwrap(),
            IceUrl::Stun("stun.example.org:3478".into())
        );
        assert_eq!(
            parse_ice_url("stun:192.0.2.1:19302").unwrap(),
            IceUrl::Stun("192.0.2.1:19302".into())
        );
        assert_eq!(
            parse_ice_url("turn:[2001:db8::1]:3479?transport=udp").unwrap(),
            IceUrl::Turn("[2001:db8::1]:3479".into())
        );
        assert_eq!(
            parse_ice_url("turn:[2001:db8::1]").unwrap(),
            IceUrl::Turn("[2001:db8::1]:3478".into())
        );
        assert!(parse_ice_url("turns:example.org").is_err());
        assert!(parse_ice_url("turn:example.org?transport=tcp").is_err());
        assert!(parse_ice_url("nonsense").is_err());
    }
}
