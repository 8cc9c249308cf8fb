//! ICE (RFC 8445) for WebRTC, sans-IO: an [`Agent`] takes candidates (its own host addresses
//! from the driver, the peer's from signalling), sends connectivity checks over rtc-stun through
//! [`Agent::poll_transmit`], answers the peer's, nominates a pair (regular nomination when
//! controlling, accepting the peer's USE-CANDIDATE when controlled), repairs role conflicts, and
//! keeps the selected pair alive with consent checks (RFC 7675). It reads no clock; tie breaker
//! and transaction ids come from the crypto provider.
//!
//! [`Candidate`] holds a candidate with its RFC 8445 priority and foundation and converts to and
//! from rtc-sdp's `a=candidate` form.
//!
//! It gathers server-reflexive candidates from configured STUN servers ([`Config::stun_servers`],
//! [`Event::LocalCandidate`], [`Event::GatheringComplete`]). Not there yet (see docs/ice.md):
//! relayed candidates, ICE lite, ICE-TCP, frozen check-list states per foundation, mDNS for
//! local addresses.

#![forbid(unsafe_code)]

mod agent;
mod candidate;

pub use agent::{Agent, Config, Credentials, Event, IceState, Transmit, TurnServer};
pub use candidate::{Candidate, CandidateError, CandidateKind, candidate_priority, pair_priority};
