//! ICE (RFC 8445) for WebRTC, sans-IO. This crate contains no networking code and reads no
//! clock: the driver owns the sockets (UDP, and TCP connections for ICE-TCP) and the time; it
//! feeds an [`Agent`] what arrives and when, and sends what the agent returns. The tie
//! breaker, credentials, mDNS names and transaction ids come from the crypto provider.
//!
//! A UDP run loop:
//!
//! ```no_run
//! # use std::{io::ErrorKind, net::UdpSocket, time::{Duration, Instant}};
//! // `now()` is the driver's clock (std::time::Instant::now in a real program).
//! # fn run(socket: UdpSocket, mut agent: rtc_ice::Agent, now: impl Fn() -> Instant) -> std::io::Result<()> {
//! let (local, mut buf) = (socket.local_addr()?, [0u8; 1500]);
//! loop {
//!     while let Some(t) = agent.poll_transmit() {
//!         socket.send_to(&t.contents, t.destination)?;
//!     }
//!     while let Some(_event) = agent.poll_event() { /* trickle candidates, follow the state */ }
//!     let wait = agent.poll_timeout().map_or(Duration::from_millis(100), |t| {
//!         t.saturating_duration_since(now())
//!     });
//!     socket.set_read_timeout(Some(wait.max(Duration::from_millis(1))))?;
//!     match socket.recv_from(&mut buf) {
//!         Ok((n, from)) => {
//!             if !agent.handle_packet(now(), local, from, &buf[..n]) {
//!                 // Not STUN: DTLS or media, the application's.
//!             }
//!         }
//!         Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
//!         Err(e) => return Err(e),
//!     }
//!     agent.handle_timeout(now()); // a spurious call does nothing
//! }
//! # }
//! ```
//!
//! What the agent does (docs/ice.md has the details and what is not done):
//!
//! - [`Candidate`]s with RFC 8445 priorities and foundations, UDP or TCP, to and from
//!   rtc-sdp's `a=candidate` form.
//! - Gathering: server-reflexive candidates from STUN servers ([`Config::stun_servers`]),
//!   relayed ones from TURN servers ([`Config::turn_servers`]), trickled as
//!   [`Event::LocalCandidate`] until [`Event::GatheringComplete`]; host addresses behind mDNS
//!   names ([`Config::mdns_hostnames`]) and the peer's `.local` names resolved by the driver
//!   ([`Event::ResolveHostname`], [`Agent::resolved`]).
//! - Connectivity checks over rtc-stun on a check list frozen per foundation, triggered
//!   checks, role conflict repair, peer-reflexive candidates on both sides (the peer's from
//!   its checks, ours from the mapped address of its answers), regular nomination when
//!   controlling and the peer's nomination when controlled, consent freshness (RFC 7675),
//!   trickle (RFC 8838) and ICE restart. [`Agent::send_data`] and
//!   [`Agent::poll_relayed_data`] carry application data over a relayed pair.
//! - ICE lite ([`Config::lite`]).
//! - ICE-TCP (RFC 6544): active and passive TCP candidates ([`Candidate::tcp_host`]; `so` is
//!   parsed and kept, not checked), paired active with passive, ranked below UDP. The driver
//!   keeps the TCP connections: a [`Transmit`] with [`Transport::Tcp`] goes, framed by
//!   [`tcp::encode`], on the connection for its (`source`, `destination`), which the driver
//!   opens when the transport says `active` and there is none; frames taken off a connection
//!   with a [`tcp::FrameDecoder`] go to [`Agent::handle_tcp_packet`]; a connection that fails
//!   or closes is reported with [`Agent::tcp_closed`].

#![forbid(unsafe_code)]

mod agent;
mod candidate;
pub mod tcp;

pub use agent::{Agent, Config, Credentials, Event, IceState, Transmit, TurnServer};
pub use candidate::{
    Candidate, CandidateError, CandidateKind, TCP_ACTIVE_PORT, TcpType, Transport,
    candidate_priority, pair_priority, tcp_candidate_priority, tcp_local_preference,
};
