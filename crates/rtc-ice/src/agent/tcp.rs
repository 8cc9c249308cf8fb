//! ICE-TCP (RFC 6544) at the agent's edge: frames that arrived on a driver's TCP connection,
//! and connections that could not be opened or that closed. Pairing rules and priorities are
//! with the check list (`add_pair`) and the candidates; checks over TCP are sent without
//! retransmissions (`send_check`).

use std::net::SocketAddr;
use std::time::Instant;

use super::{Agent, IceState, PairState};
use crate::candidate::{CandidateKind, TcpType, Transport};

impl Agent {
    /// A frame that arrived on the TCP connection between our `local` address and the peer's
    /// `from` (taken off the stream with [`crate::tcp::FrameDecoder`]). `local` is the key the
    /// driver keeps the connection under: the listening address for a connection accepted on
    /// a passive candidate, the [`crate::Transmit::source`] that made the driver open it for
    /// one it opened. Returns false when it is not STUN (media or DTLS: the driver's); STUN
    /// that is malformed, unauthenticated or unexpected is dropped.
    ///
    /// A connection accepted on a passive candidate comes from the peer's active candidate's
    /// ephemeral port: its first check makes that address a peer-reflexive candidate of the
    /// peer's (RFC 6544 §7.2), answered and checked back on the same connection.
    pub fn handle_tcp_packet(
        &mut self,
        now: Instant,
        local: SocketAddr,
        from: SocketAddr,
        frame: &[u8],
    ) -> bool {
        self.handle_direct(now, local, from, frame, true)
    }

    /// The driver could not open the TCP connection between our `local` (a
    /// [`crate::Transmit::source`]) and the peer's `remote`, or it closed (or its decoder
    /// failed, [`crate::tcp::FramingError`]).
    ///
    /// A check waiting on it fails at once (RFC 6544 §7.1: "If the TCP connection cannot be
    /// established, the check is considered to have failed"), instead of after
    /// [`crate::Config::tcp_check_timeout`]; with every pair failed after end-of-candidates
    /// the agent fails. The pairs validated on it leave the valid list (so a driver that closes
    /// the connections the selected pair does not use, RFC 6544 §8, reports them here too).
    /// When the selected pair used it (RFC 6544 §11.1): with an active candidate of ours the
    /// pair is checked again at once, which makes the driver open a new connection; with a
    /// passive one the agent waits for the peer to open one. The pair validated on the new
    /// connection is nominated again (regular nomination when controlling; when controlled,
    /// the peer's USE-CANDIDATE is followed, as the old pair is no longer valid), and consent
    /// freshness fails the agent if nothing comes back within
    /// [`crate::Config::consent_timeout`].
    ///
    /// Transmits still queued for the connection (an answer to a check that arrived on it,
    /// say) are dropped: the driver is never asked to open a connection to send a response.
    pub fn tcp_closed(&mut self, now: Instant, local: SocketAddr, remote: SocketAddr) {
        let affected: Vec<usize> = (0..self.pairs.len())
            .filter(|&i| {
                let p = &self.pairs[i];
                let (ours, theirs) = (
                    &self.local_candidates[p.local],
                    &self.remote_candidates[p.remote],
                );
                ours.transport.is_tcp()
                    && theirs.transport.is_tcp()
                    && ours.base == local
                    && theirs.address == remote
            })
            .collect();
        // Only the selected pair's connection is worth reopening; others the driver may have
        // closed on purpose (RFC 6544 §8: after selection, close the unused ones).
        let lost_selected = self.selected.is_some_and(|s| affected.contains(&s));
        // What is queued for the connection goes with it: an answer to a check that came on
        // it goes back on that connection (RFC 8489 §6.3.1.2), never makes the driver open a
        // new one from an active candidate; a check queued on it was this connection's (its
        // transaction is dropped below, and a reopening check is queued afresh).
        self.transmits
            .retain(|t| !(t.transport.is_tcp() && t.source == local && t.destination == remote));
        for i in affected {
            let reopen = {
                let ours = &self.local_candidates[self.pairs[i].local];
                ours.transport == Transport::Tcp(TcpType::Active)
                    && ours.kind != CandidateKind::PeerReflexive
            };
            let p = &mut self.pairs[i];
            let in_flight = p.tid.take();
            if let Some(tid) = in_flight {
                self.transactions.remove(&tid);
            }
            p.retransmit_at = None;
            p.nominating = false;
            p.nominated = false;
            p.valid = false;
            if lost_selected && reopen && in_flight.is_none() && p.state == PairState::Succeeded {
                // §11.1: the active end reopens; a check on the pair does it.
                p.state = PairState::Waiting;
                if !self.triggered.contains(&i) {
                    self.triggered.push_back(i);
                }
            } else {
                p.state = PairState::Failed;
            }
        }
        if matches!(self.state, IceState::Checking | IceState::Connected)
            && self.next_check.is_none()
            && !self.config.lite
            && self.remote.is_some()
        {
            self.next_check = Some(now);
        }
        self.check_failed();
    }
}
