//! SCTP association throughput, side by side, in memory: ours against webrtc-rs's `rtc-sctp`
//! 0.21 and `sctp-proto` 0.10 and the Rust dcSCTP (`dcsctp` 0.1), all sans-IO, each driven by
//! the same two-endpoint harness on virtual time (`rtc_bench_compare::sctp`).
//!
//! Scenario: the association is set up (not timed), then A sends 4 MiB to B as 256 reliable,
//! ordered 16 KiB messages on one stream (PPID 53, WebRTC Binary), so every message is
//! fragmented (15 DATA chunks of up to 1160-1163 bytes). A's send buffer is kept filled: the harness queues a
//! message whenever A's buffered amount is under 1 MiB (and the stack accepts it). B reads
//! every message as soon as it is complete, as one contiguous slice, and compares it with the
//! one sent (length and content), so the transfer ends only when B has exactly the 4 MiB in
//! order. Timed: from the first message queued to the last one read.
//!
//! Link profiles, the same in both directions: "clean" (no delay, no loss: pure CPU cost, what
//! a DTLS-less memory pipe would give) and "25 ms each way, 1% loss" (random, from a fixed seed,
//! each direction on its own). The criterion groups measure the wall time of a transfer; each
//! declares `Throughput::Elements(4)` with one element per MiB, so the per-second column of
//! `cargo xtask bench` (which reads element throughputs only) is MiB per second of CPU, and
//! criterion's own "elem/s" is the same figure. Under loss, what matters to a user is the
//! goodput in simulated time, which criterion cannot record: the bench prints it first, as a
//! plain table (median of 3 seeds), whenever it runs with no filter or one that names `sctp`.
//!
//! Settings made alike (see each driver): SCTP packets of at most 1191 bytes (1280 IPv6 minimum
//! MTU − IPv6, UDP, TURN ChannelData and DTLS 1.2 AES-GCM overhead; the default of `dcsctp` and
//! `rtc-sctp` 0.21), a 1 MiB receive window (a_rwnd), messages of 16 KiB allowed both ways.
//! Everything else (congestion control, initial cwnd, RTO bounds, delayed-ACK timer) is each
//! stack's default, since that is part of what is compared; the drivers list those defaults.
//!
//! Ours is behind the `ours-sctp` feature, on by default (`--no-default-features` benches the
//! others alone). It runs twice: `rtc` with its defaults, which negotiate RFC 9653 zero
//! checksum (SCTP over DTLS; Chromium does the same, the other three stacks here compute the
//! CRC32c by default), and `rtc, CRC32c on` with that turned off, the like-for-like figure.
#![allow(clippy::disallowed_methods)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{Criterion, SamplingMode, Throughput};
use rtc_bench_compare::sctp::{Profile, Session, Stack, Transfer, median, messages};

/// Bytes per transfer.
const TOTAL: usize = 4 << 20;
/// Message size: larger than a packet, so messages are fragmented and reassembled.
const MESSAGE: usize = 16 << 10;
/// The harness queues more only while the sender's buffered amount is below this.
const SEND_CAP: usize = 1 << 20;
/// WebRTC Binary (RFC 8831 §8).
const PPID_BINARY: u32 = 53;

const CLEAN: Profile = Profile {
    name: "clean link (no delay, no loss)",
    delay: Duration::ZERO,
    loss: 0.0,
};
const LOSSY: Profile = Profile {
    name: "25 ms each way, 1% loss each way",
    delay: Duration::from_millis(25),
    loss: 0.01,
};
/// Loss patterns of the goodput table; the criterion bench uses the first.
const SEEDS: [u64; 3] = [1, 2, 3];

/// Ours: `rtc_sctp::Association`, still being written: this driver follows its API as of
/// this bench's writing (fix the names here when they shift): `Association::new(Arc<Config>,
/// now)`, `connect(now)`, `handle_packet(now, &[u8])`, `handle_timeout(now)`,
/// `poll_transmit(now, &mut [u8]) -> Option<usize>`, `poll_timeout()`, `poll_event()`
/// (`Event::Connected`, `Event::Message(Message { data, .. })`, `Event::Closed(_)`),
/// `send(now, stream, ppid, Bytes, &SendOptions) -> Result<(), SendError>` (`BufferFull` is
/// back-pressure), `buffered_amount(stream)` (bytes not yet sent, as in dcSCTP).
#[cfg(feature = "ours-sctp")]
mod ours {
    use std::collections::VecDeque;
    use std::sync::Arc;
    use std::time::Instant;

    use bytes::Bytes;
    use rtc_bench_compare::sctp::{Endpoint, RECEIVE_WINDOW, SCTP_MTU, Stack};
    use rtc_sctp::{Association, Config, Event, SendError, SendOptions};

    use super::PPID_BINARY;

    pub(crate) struct Rtc {
        config: Arc<Config>,
    }

    impl Rtc {
        /// `zero_checksum`: negotiate RFC 9653 (our default) or compute every CRC32c.
        pub(crate) fn new(zero_checksum: bool) -> Self {
            // Defaults (crates/rtc-sctp/src/association/config.rs): packets of 1188 bytes,
            // a_rwnd 4 MiB, send buffer 16 MiB, messages up to 256 KiB, RTO 500 ms initial and
            // 400 ms minimum, delayed SACK 200 ms.
            let config = Config {
                max_packet_size: SCTP_MTU,
                receive_window: RECEIVE_WINDOW as u32,
                zero_checksum,
                ..Config::new()
            };
            Self {
                config: Arc::new(config),
            }
        }
    }

    pub(crate) struct Side {
        assoc: Association,
        connected: bool,
        messages: VecDeque<Bytes>,
        buf: Vec<u8>,
    }

    impl Side {
        fn process_events(&mut self) {
            while let Some(event) = self.assoc.poll_event() {
                match event {
                    Event::Connected => self.connected = true,
                    Event::Message(message) => self.messages.push_back(message.data),
                    Event::Closed(reason) => panic!("rtc: association closed: {reason:?}"),
                    _ => {}
                }
            }
        }
    }

    impl Stack for Rtc {
        type Endpoint = Side;

        fn pair(&self, now: Instant) -> (Side, Side) {
            let side = || Side {
                assoc: Association::new(self.config.clone(), now),
                connected: false,
                messages: VecDeque::new(),
                buf: vec![0; SCTP_MTU],
            };
            let (mut a, b) = (side(), side());
            a.assoc.connect(now);
            (a, b)
        }
    }

    impl Endpoint for Side {
        fn handle_packet(&mut self, now: Instant, packet: Bytes) {
            self.assoc.handle_packet(now, &packet);
            self.process_events();
        }

        fn poll_transmit(&mut self, now: Instant) -> Option<Bytes> {
            // Written into one reused buffer (in the real stack, the DTLS record's), then
            // copied into a packet of its own, as the other stacks hand theirs out.
            let len = self.assoc.poll_transmit(now, &mut self.buf)?;
            Some(Bytes::copy_from_slice(&self.buf[..len]))
        }

        fn poll_timeout(&mut self) -> Option<Instant> {
            self.assoc.poll_timeout()
        }

        fn handle_timeout(&mut self, now: Instant) {
            self.assoc.handle_timeout(now);
            self.process_events();
        }

        fn is_connected(&mut self) -> bool {
            self.process_events();
            self.connected
        }

        fn send_message(&mut self, now: Instant, message: &Bytes) -> bool {
            let options = SendOptions::default();
            match self
                .assoc
                .send(now, 0, PPID_BINARY, message.clone(), &options)
            {
                Ok(()) => true,
                Err(SendError::BufferFull) => false,
                Err(e) => panic!("rtc: send: {e:?}"),
            }
        }

        fn buffered_amount(&mut self) -> usize {
            self.assoc.buffered_amount(0)
        }

        fn recv_message(&mut self, on_message: &mut dyn FnMut(&[u8])) -> bool {
            self.process_events();
            let Some(message) = self.messages.pop_front() else {
                return false;
            };
            on_message(&message);
            true
        }
    }
}

/// webrtc-rs `rtc-sctp` 0.21 (sans-IO, the `rtc` crate's SCTP; a pion/sctp port).
///
/// Defaults: packets of 1191 bytes (DATA payload 1160 per chunk), a_rwnd 1 MiB, messages up to
/// 256 KiB, RFC 4960 Reno-style congestion control with an initial cwnd of
/// min(4·MTU, max(2·MTU, 4380)) = 4380 bytes, RTO 1 s initial and minimum (constants, not
/// configurable), delayed SACK 200 ms. `buffered_amount` counts data until it is acknowledged.
/// The endpoint/association split of quinn: packets go through `Endpoint::handle`, which
/// routes them to the association as events.
mod webrtc_rs_rtc_sctp {
    use std::collections::VecDeque;
    use std::net::SocketAddr;
    use std::sync::Arc;
    use std::time::Instant;

    use bytes::Bytes;
    use rtc_bench_compare::sctp::{Endpoint, RECEIVE_WINDOW, SCTP_MTU, Stack};
    use webrtc_rs_rtc_sctp::{
        Association, AssociationHandle, ClientConfig, DatagramEvent, EndpointConfig, Event,
        Payload, PayloadProtocolIdentifier, ServerConfig, TransportConfig,
        max_payload_size_for_mtu,
    };
    use webrtc_rs_rtc_shared::TransportProtocol;

    pub(crate) struct RtcSctp;

    pub(crate) struct Side {
        endpoint: webrtc_rs_rtc_sctp::Endpoint,
        peer: SocketAddr,
        handle: Option<AssociationHandle>,
        assoc: Option<Association>,
        out: VecDeque<Bytes>,
        connected: bool,
        /// Sender: stream 0 opened; receiver: stream 0 accepted.
        stream_ready: bool,
        buf: Vec<u8>,
    }

    const A: &str = "10.0.0.1:5000";
    const B: &str = "10.0.0.2:5000";

    fn transport() -> TransportConfig {
        TransportConfig::default()
            .with_max_receive_buffer_size(RECEIVE_WINDOW as u32)
            .with_max_message_size(super::MESSAGE as u32 * 16)
    }

    impl Stack for RtcSctp {
        type Endpoint = Side;

        fn pair(&self, now: Instant) -> (Side, Side) {
            let (a_addr, b_addr) = (A.parse().unwrap(), B.parse().unwrap());
            let mut config = EndpointConfig::new();
            config.max_payload_size(max_payload_size_for_mtu(SCTP_MTU as u32));
            let config = Arc::new(config);
            let side = |local, peer, server: Option<ServerConfig>| Side {
                endpoint: webrtc_rs_rtc_sctp::Endpoint::new(
                    local,
                    TransportProtocol::UDP,
                    config.clone(),
                    server.map(Arc::new),
                ),
                peer,
                handle: None,
                assoc: None,
                out: VecDeque::new(),
                connected: false,
                stream_ready: false,
                buf: vec![0; super::MESSAGE * 16],
            };
            let mut a = side(a_addr, b_addr, None);
            let b = side(b_addr, a_addr, Some(ServerConfig::new(transport())));
            let (handle, assoc) = a
                .endpoint
                .connect(now, ClientConfig::new(transport()), b_addr)
                .expect("connect");
            a.handle = Some(handle);
            a.assoc = Some(assoc);
            (a, b)
        }
    }

    impl Side {
        /// Applies the association's application and endpoint events.
        fn process_events(&mut self) {
            let Some(assoc) = self.assoc.as_mut() else {
                return;
            };
            while let Some(event) = assoc.poll() {
                match event {
                    Event::Connected => self.connected = true,
                    Event::HandshakeFailed { reason } | Event::AssociationLost { reason, .. } => {
                        panic!("webrtc-rs rtc-sctp: association failed: {reason:?}")
                    }
                    _ => {}
                }
            }
            while let Some(event) = assoc.poll_endpoint_event() {
                if let Some(handle) = self.handle {
                    self.endpoint.handle_event(handle, event);
                }
            }
        }
    }

    impl Endpoint for Side {
        fn handle_packet(&mut self, now: Instant, packet: Bytes) {
            match self.endpoint.handle(now, self.peer, None, packet) {
                Some((handle, DatagramEvent::NewAssociation(assoc))) => {
                    self.handle = Some(handle);
                    self.assoc = Some(assoc);
                }
                Some((_, DatagramEvent::AssociationEvent(event))) => {
                    if let Some(assoc) = self.assoc.as_mut() {
                        assoc.handle_event(event);
                    }
                }
                // `DatagramEvent` is `#[non_exhaustive]`.
                _ => {}
            }
            self.process_events();
        }

        fn poll_transmit(&mut self, now: Instant) -> Option<Bytes> {
            if self.out.is_empty() {
                // One call hands out every packet the association has ready.
                if let Some(transmit) = self.assoc.as_mut()?.poll_transmit(now)
                    && let Payload::RawEncode(packets) = transmit.message
                {
                    self.out.extend(packets);
                }
            }
            self.out.pop_front()
        }

        fn poll_timeout(&mut self) -> Option<Instant> {
            self.assoc.as_ref()?.poll_timeout()
        }

        fn handle_timeout(&mut self, now: Instant) {
            if let Some(assoc) = self.assoc.as_mut() {
                assoc.handle_timeout(now);
            }
            self.process_events();
        }

        fn is_connected(&mut self) -> bool {
            self.connected
        }

        fn send_message(&mut self, now: Instant, message: &Bytes) -> bool {
            let assoc = self.assoc.as_mut().expect("connected");
            if !self.stream_ready {
                assoc
                    .open_stream(0, PayloadProtocolIdentifier::Binary)
                    .expect("open stream 0");
                self.stream_ready = true;
            }
            let mut stream = assoc.stream(0).expect("stream 0");
            stream
                .write_sctp(now, message, PayloadProtocolIdentifier::Binary)
                .expect("write_sctp");
            true
        }

        fn buffered_amount(&mut self) -> usize {
            let Some(assoc) = self.assoc.as_mut() else {
                return 0;
            };
            assoc
                .stream(0)
                .map_or(0, |stream| stream.buffered_amount().unwrap_or(0))
        }

        fn recv_message(&mut self, on_message: &mut dyn FnMut(&[u8])) -> bool {
            let Some(assoc) = self.assoc.as_mut() else {
                return false;
            };
            if !self.stream_ready {
                self.stream_ready = assoc.accept_stream().is_some();
                if !self.stream_ready {
                    return false;
                }
            }
            let mut stream = assoc.stream(0).expect("stream 0");
            let Some(chunks) = stream.read_sctp().expect("read_sctp") else {
                return false;
            };
            // Its one copy: the fragments into one contiguous message.
            let len = chunks.read(&mut self.buf).expect("message fits the buffer");
            on_message(&self.buf[..len]);
            true
        }
    }
}

/// webrtc-rs `sctp-proto` 0.10 (sans-IO; the core of `webrtc-sctp`, also a pion/sctp port).
///
/// Defaults: DATA payload of 1200 bytes per chunk (packets up to 1228 bytes; set here to 1160,
/// packets of 1188 ≤ 1191), a_rwnd 1 MiB, messages up to 64 KiB each way, the same Reno-style
/// congestion control and 4380-byte initial cwnd as `rtc-sctp` 0.21, RTO 3 s initial and 1 s
/// minimum, unlimited DATA retransmissions, delayed SACK 200 ms. `buffered_amount` counts data
/// until it is acknowledged. `write_sctp` copies the message; reading copies the fragments into
/// the caller's buffer. Every `poll_transmit` walks the whole in-flight queue (a SipHash map
/// lookup per TSN, `get_data_packets_to_retransmit`), so its cost per packet grows with the
/// data in flight: on the clean link, where the full 1 MiB window is in flight, a transfer
/// costs it several times what the lossy link (a cwnd of a few dozen packets) does.
mod sctp_proto_driver {
    use std::collections::VecDeque;
    use std::net::SocketAddr;
    use std::sync::Arc;
    use std::time::Instant;

    use bytes::Bytes;
    use rtc_bench_compare::sctp::{Endpoint, RECEIVE_WINDOW, SCTP_MTU, Stack};
    use sctp_proto::{
        Association, AssociationHandle, ClientConfig, DatagramEvent, EndpointConfig, Event,
        Payload, PayloadProtocolIdentifier, ServerConfig, TransportConfig,
    };

    pub(crate) struct SctpProto;

    pub(crate) struct Side {
        endpoint: sctp_proto::Endpoint,
        peer: SocketAddr,
        handle: Option<AssociationHandle>,
        assoc: Option<Association>,
        out: VecDeque<Bytes>,
        connected: bool,
        /// Sender: stream 0 opened; receiver: stream 0 accepted.
        stream_ready: bool,
        buf: Vec<u8>,
    }

    const A: &str = "10.0.0.1:5000";
    const B: &str = "10.0.0.2:5000";

    fn transport() -> Arc<TransportConfig> {
        Arc::new(
            TransportConfig::default()
                .with_max_receive_buffer_size(RECEIVE_WINDOW as u32)
                .with_max_send_message_size(super::MESSAGE as u32 * 16)
                .with_max_receive_message_size(super::MESSAGE as u32 * 16),
        )
    }

    impl Stack for SctpProto {
        type Endpoint = Side;

        fn pair(&self, _now: Instant) -> (Side, Side) {
            let (a_addr, b_addr) = (A.parse().unwrap(), B.parse().unwrap());
            let mut config = EndpointConfig::new();
            // Its DATA packets are this payload + 28 bytes of headers; rounded down to 4.
            config.max_payload_size((SCTP_MTU as u32 - 28) & !3);
            let config = Arc::new(config);
            let side = |peer, server: Option<ServerConfig>| Side {
                endpoint: sctp_proto::Endpoint::new(config.clone(), server.map(Arc::new)),
                peer,
                handle: None,
                assoc: None,
                out: VecDeque::new(),
                connected: false,
                stream_ready: false,
                buf: vec![0; super::MESSAGE * 16],
            };
            let mut server = ServerConfig::new();
            server.transport = transport();
            let mut client = ClientConfig::new();
            client.transport = transport();
            let mut a = side(b_addr, None);
            let b = side(a_addr, Some(server));
            let (handle, assoc) = a.endpoint.connect(client, b_addr).expect("connect");
            a.handle = Some(handle);
            a.assoc = Some(assoc);
            (a, b)
        }
    }

    impl Side {
        /// Applies the association's application and endpoint events.
        fn process_events(&mut self) {
            let Some(assoc) = self.assoc.as_mut() else {
                return;
            };
            while let Some(event) = assoc.poll() {
                match event {
                    Event::Connected => self.connected = true,
                    Event::HandshakeFailed { reason } | Event::AssociationLost { reason } => {
                        panic!("sctp-proto: association failed: {reason:?}")
                    }
                    _ => {}
                }
            }
            while let Some(event) = assoc.poll_endpoint_event() {
                if let Some(handle) = self.handle
                    && let Some(event) = self.endpoint.handle_event(handle, event)
                {
                    assoc.handle_event(event);
                }
            }
        }
    }

    impl Endpoint for Side {
        fn handle_packet(&mut self, now: Instant, packet: Bytes) {
            match self.endpoint.handle(now, self.peer, None, None, packet) {
                Some((handle, DatagramEvent::NewAssociation(assoc))) => {
                    self.handle = Some(handle);
                    self.assoc = Some(assoc);
                }
                Some((_, DatagramEvent::AssociationEvent(event))) => {
                    if let Some(assoc) = self.assoc.as_mut() {
                        assoc.handle_event(event);
                    }
                }
                None => {}
            }
            self.process_events();
        }

        fn poll_transmit(&mut self, now: Instant) -> Option<Bytes> {
            if self.out.is_empty() {
                // The endpoint's own packets (replies to stray packets), then the association's:
                // one call hands out every packet it has ready.
                while let Some(transmit) = self.endpoint.poll_transmit() {
                    if let Payload::RawEncode(packets) = transmit.payload {
                        self.out.extend(packets);
                    }
                }
                let transmit = self.assoc.as_mut().and_then(|a| a.poll_transmit(now));
                if let Some(transmit) = transmit
                    && let Payload::RawEncode(packets) = transmit.payload
                {
                    self.out.extend(packets);
                }
            }
            self.out.pop_front()
        }

        fn poll_timeout(&mut self) -> Option<Instant> {
            self.assoc.as_ref()?.poll_timeout()
        }

        fn handle_timeout(&mut self, now: Instant) {
            if let Some(assoc) = self.assoc.as_mut() {
                assoc.handle_timeout(now);
            }
            self.process_events();
        }

        fn is_connected(&mut self) -> bool {
            self.connected
        }

        fn send_message(&mut self, _now: Instant, message: &Bytes) -> bool {
            let assoc = self.assoc.as_mut().expect("connected");
            if !self.stream_ready {
                assoc
                    .open_stream(0, PayloadProtocolIdentifier::Binary)
                    .expect("open stream 0");
                self.stream_ready = true;
            }
            let mut stream = assoc.stream(0).expect("stream 0");
            stream
                .write_sctp(message, PayloadProtocolIdentifier::Binary)
                .expect("write_sctp");
            true
        }

        fn buffered_amount(&mut self) -> usize {
            let Some(assoc) = self.assoc.as_mut() else {
                return 0;
            };
            assoc
                .stream(0)
                .map_or(0, |stream| stream.buffered_amount().unwrap_or(0))
        }

        fn recv_message(&mut self, on_message: &mut dyn FnMut(&[u8])) -> bool {
            let Some(assoc) = self.assoc.as_mut() else {
                return false;
            };
            if !self.stream_ready {
                self.stream_ready = assoc.accept_stream().is_some();
                if !self.stream_ready {
                    return false;
                }
            }
            let mut stream = assoc.stream(0).expect("stream 0");
            let Some(chunks) = stream.read_sctp().expect("read_sctp") else {
                return false;
            };
            let len = chunks.read(&mut self.buf).expect("message fits the buffer");
            on_message(&self.buf[..len]);
            true
        }
    }
}

/// `dcsctp` 0.1 (github.com/webrtc/dcsctp: the Rust dcSCTP by the authors of Chrome's C++
/// one; sans-IO, time given as a `SocketTime` since the socket's creation).
///
/// Defaults: packets of 1191 bytes, a_rwnd 5 MiB (set here to 1 MiB), messages up to 256 KiB,
/// send buffer 2 MB, initial cwnd 10 MTUs, minimum cwnd after loss 4 MTUs, RTO 500 ms initial
/// and 400 ms minimum, delayed SACK at most 200 ms, max burst 4 packets, immediate-SACK bit
/// while cwnd < 10 MTUs, partial reliability on, message interleaving off. `buffered_amount`
/// counts data not yet sent (in-flight data no longer counts). Its API takes a message as a
/// `Vec<u8>` (so the driver copies each one into a new vector), hands packets out as
/// `SocketEvent::SendPacket` events and completed messages as `Message { payload: Vec<u8> }`.
///
/// Its CPU figures are dominated by logging it cannot turn off: 0.1.16 formats every packet
/// sent and received as a hex string (`logging::log_packet`, one `write!` per byte) before
/// handing it to `log::info!`, whether or not a logger is installed; `perf` put 85-90% of its
/// time there in the clean transfer. The protocol work itself is roughly a tenth of its figure.
mod dcsctp_driver {
    use std::time::Instant;

    use bytes::Bytes;
    use dcsctp::api::{
        DcSctpSocket, Message, Options, PpId, SendError, SendOptions, Socket, SocketEvent,
        SocketState, SocketTime, StreamId,
    };
    use rtc_bench_compare::sctp::{Endpoint, RECEIVE_WINDOW, SCTP_MTU, Stack};

    pub(crate) struct Dcsctp;

    pub(crate) struct Side {
        socket: Socket,
        /// Virtual time at which both sockets were made: their `SocketTime::zero()`.
        epoch: Instant,
    }

    impl Side {
        fn advance(&mut self, now: Instant) {
            self.socket
                .advance_time(SocketTime::zero() + (now - self.epoch));
        }
    }

    impl Stack for Dcsctp {
        type Endpoint = Side;

        fn pair(&self, now: Instant) -> (Side, Side) {
            let options = Options {
                mtu: SCTP_MTU,
                max_receiver_window_buffer_size: RECEIVE_WINDOW,
                ..Options::default()
            };
            let mut a = Side {
                socket: Socket::new("A", &options),
                epoch: now,
            };
            let b = Side {
                socket: Socket::new("B", &options),
                epoch: now,
            };
            a.socket.connect();
            (a, b)
        }
    }

    impl Endpoint for Side {
        fn handle_packet(&mut self, now: Instant, packet: Bytes) {
            self.advance(now);
            self.socket.handle_input(&packet);
        }

        fn poll_transmit(&mut self, now: Instant) -> Option<Bytes> {
            self.advance(now);
            loop {
                match self.socket.poll_event()? {
                    SocketEvent::SendPacket(packet) => return Some(Bytes::from(packet)),
                    SocketEvent::OnAborted(kind, why) => {
                        panic!("dcsctp: association aborted: {kind:?} {why}")
                    }
                    _ => {}
                }
            }
        }

        fn poll_timeout(&mut self) -> Option<Instant> {
            let at = self.socket.poll_timeout();
            (at != SocketTime::infinite_future()).then(|| self.epoch + (at - SocketTime::zero()))
        }

        fn handle_timeout(&mut self, now: Instant) {
            self.advance(now);
        }

        fn is_connected(&mut self) -> bool {
            self.socket.state() == SocketState::Connected
        }

        fn send_message(&mut self, now: Instant, message: &Bytes) -> bool {
            self.advance(now);
            let message = Message::new(StreamId(0), PpId(super::PPID_BINARY), message.to_vec());
            match self.socket.send(message, &SendOptions::default()) {
                Ok(()) => true,
                Err(SendError::ResourceExhaustion) => false,
                Err(e) => panic!("dcsctp: send: {e}"),
            }
        }

        fn buffered_amount(&mut self) -> usize {
            self.socket.buffered_amount(StreamId(0))
        }

        fn recv_message(&mut self, on_message: &mut dyn FnMut(&[u8])) -> bool {
            let Some(message) = self.socket.get_next_message() else {
                return false;
            };
            on_message(&message.payload);
            true
        }
    }
}

/// One transfer on a fresh, connected pair; returns the wall time of the transfer alone.
fn timed_transfer<S: Stack>(
    stack: &S,
    profile: &Profile,
    seed: u64,
    messages: &[Bytes],
) -> Duration {
    let mut session = Session::connect(stack, profile, seed);
    let start = Instant::now();
    let transfer = session.transfer(messages, SEND_CAP);
    let elapsed = start.elapsed();
    black_box(transfer);
    drop(black_box(session));
    elapsed
}

/// A stack behind a trait object, so the list of stacks can be one slice.
trait BenchTarget {
    /// Wall time of `iters` transfers (each on a fresh pair, set up untimed).
    fn time(&self, iters: u64, profile: &Profile, messages: &[Bytes]) -> Duration;
    /// Transfers with each of `seeds` (the simulated-goodput table).
    fn transfers(&self, profile: &Profile, seeds: &[u64], messages: &[Bytes]) -> Vec<Transfer>;
}

impl<S: Stack> BenchTarget for S {
    fn time(&self, iters: u64, profile: &Profile, messages: &[Bytes]) -> Duration {
        (0..iters)
            .map(|_| timed_transfer(self, profile, SEEDS[0], messages))
            .sum()
    }

    fn transfers(&self, profile: &Profile, seeds: &[u64], messages: &[Bytes]) -> Vec<Transfer> {
        seeds
            .iter()
            .map(|&seed| Session::connect(self, profile, seed).transfer(messages, SEND_CAP))
            .collect()
    }
}

/// The stacks, by the names the report uses: `rtc` is ours (see `cargo xtask bench`).
fn stacks() -> Vec<(&'static str, Box<dyn BenchTarget>)> {
    #[cfg_attr(not(feature = "ours-sctp"), allow(unused_mut))]
    let mut stacks: Vec<(&'static str, Box<dyn BenchTarget>)> = vec![
        (
            "webrtc-rs rtc-sctp 0.21",
            Box::new(webrtc_rs_rtc_sctp::RtcSctp),
        ),
        (
            "webrtc-rs sctp-proto 0.10",
            Box::new(sctp_proto_driver::SctpProto),
        ),
        ("dcsctp 0.1", Box::new(dcsctp_driver::Dcsctp)),
    ];
    #[cfg(feature = "ours-sctp")]
    stacks.insert(0, ("rtc", Box::new(ours::Rtc::new(true))));
    #[cfg(feature = "ours-sctp")]
    stacks.insert(1, ("rtc, CRC32c on", Box::new(ours::Rtc::new(false))));
    stacks
}

/// The goodput table: simulated time of the transfer under `profile`, median over `SEEDS`.
fn goodput_table(stacks: &[(&str, Box<dyn BenchTarget>)], profile: &Profile, messages: &[Bytes]) {
    println!(
        "\nsctp: goodput in simulated time, {} MiB in {} KiB messages, {} (median of seeds {:?})\n",
        TOTAL >> 20,
        MESSAGE >> 10,
        profile.name,
        SEEDS
    );
    println!(
        "| implementation | goodput (MiB/s) | per seed (MiB/s) | transfer (s) | packets A→B | lost A→B | packets B→A |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for (name, stack) in stacks {
        let transfers = stack.transfers(profile, &SEEDS, messages);
        let goodputs: Vec<f64> = transfers.iter().map(Transfer::goodput_mib_s).collect();
        let seconds: Vec<f64> = transfers.iter().map(|t| t.elapsed.as_secs_f64()).collect();
        let per_seed: Vec<String> = goodputs.iter().map(|g| format!("{g:.3}")).collect();
        let ab: Vec<f64> = transfers.iter().map(|t| t.ab.packets as f64).collect();
        let lost: Vec<f64> = transfers.iter().map(|t| t.ab.dropped as f64).collect();
        let ba: Vec<f64> = transfers.iter().map(|t| t.ba.packets as f64).collect();
        println!(
            "| {name} | {:.3} | {} | {:.2} | {:.0} | {:.0} | {:.0} |",
            median(&goodputs),
            per_seed.join(", "),
            median(&seconds),
            median(&ab),
            median(&lost),
            median(&ba),
        );
    }
    println!();
}

/// Criterion's name filter, if the command line has one (its first free argument).
fn filter() -> Option<String> {
    const WITH_VALUE: &[&str] = &[
        "-c",
        "--color",
        "-s",
        "--save-baseline",
        "-b",
        "--baseline",
        "--baseline-lenient",
        "--load-baseline",
        "--sample-size",
        "--warm-up-time",
        "--measurement-time",
        "--nresamples",
        "--noise-threshold",
        "--confidence-level",
        "--significance-level",
        "--profile-time",
        "--plotting-backend",
        "--output-format",
        "--format",
    ];
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if WITH_VALUE.contains(&arg.as_str()) {
            args.next();
        } else if !arg.starts_with('-') {
            return Some(arg);
        }
    }
    None
}

fn main() {
    // A transfer takes 10-400 ms here: 10 samples over 3 s is plenty, and keeps `cargo xtask
    // bench sctp` (3 runs) within a few minutes. The command line overrides these.
    let mut c = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    let listing = std::env::args().any(|a| a == "--list");
    let selected = filter().is_none_or(|f| f.contains("sctp") || "sctp".contains(f.as_str()));
    let stacks = stacks();
    let messages = messages(TOTAL / MESSAGE, MESSAGE);

    // Before timing anything: every stack completes the transfer (checked message by message)
    // on both links, and the goodput table (which runs the lossy link with each seed).
    if selected && !listing {
        for (name, stack) in &stacks {
            let clean = stack.transfers(&CLEAN, &SEEDS[..1], &messages);
            assert_eq!(clean[0].bytes, TOTAL as u64, "{name}");
        }
        goodput_table(&stacks, &LOSSY, &messages);
    }

    for profile in [CLEAN, LOSSY] {
        let mut g = c.benchmark_group(format!(
            "sctp: {} MiB in {} KiB messages, {}",
            TOTAL >> 20,
            MESSAGE >> 10,
            profile.name
        ));
        // One element per MiB: the per-second column is MiB/s of CPU time.
        g.throughput(Throughput::Elements((TOTAL >> 20) as u64));
        // Iterations of up to a few hundred ms: the same count in every sample, not 1..=n.
        g.sampling_mode(SamplingMode::Flat);
        for (name, stack) in &stacks {
            g.bench_function(*name, |b| {
                b.iter_custom(|iters| stack.time(iters, &profile, &messages))
            });
        }
        g.finish();
    }
    c.final_summary();
}
