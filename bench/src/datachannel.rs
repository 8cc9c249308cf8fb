//! Two peer connections of one stack in this process, over loopback UDP (127.0.0.1), with one
//! reliable, ordered data channel between them: the harness of benches/datachannel.rs and
//! benches/datachannel_idle.rs.
//!
//! Each stack is used through its own public API, the way its examples do:
//! - ours: the tokio facade `rtc` (`RTCPeerConnection`, one task per peer connection), built
//!   with its `ring` feature; a pre-made certificate;
//! - webrtc-rs `webrtc` 0.21 (async, on the same tokio runtime; its default ring crypto; its
//!   certificate is made by `build`, before the clock starts); its per-channel send buffer
//!   limit set to [`HIGH_WATER`] so `send` waits like ours. Twice: as it comes, and with the
//!   4 MiB UDP socket buffers ours asks for (through its `Runtime` hook): on this machine the
//!   first is its best with 1 KiB messages and the second with 64 KiB ones, each stalling on
//!   retransmission timeouts in the other case;
//! - str0m 0.25 (sans-IO, aws-lc-rs crypto, a pre-made certificate), driven by [`str0m_io`]: one
//!   tokio task per `Rtc` that owns a tokio `UdpSocket` (the loop of str0m's examples: each
//!   datagram handed in, then the output polled until a timeout; up to 64 datagrams per
//!   wake-up).
//!
//! Signalling is in-process: SDP goes over as strings (str0m's offer and answer are written
//! and parsed again, as a real signalling channel would need), trickled candidates are
//! forwarded once the descriptions are exchanged. A sender keeps writing while its stack
//! reports less than [`HIGH_WATER`] buffered (ours and webrtc-rs: `send` waits; str0m: the
//! driver writes while `buffered_amount` is under it); the receiver counts every message and
//! checks its length.
#![allow(clippy::disallowed_methods)]

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

/// Bytes a sender lets its stack buffer before it waits (every stack).
pub const HIGH_WATER: usize = 1 << 20;
/// UDP socket buffers asked for by the webrtc-rs runtime wrapper and the str0m driver: what
/// ours asks for (the kernel caps them at net.core.rmem_max / wmem_max).
const SOCKET_BUFFER: usize = 4 << 20;
/// The data channel's label.
const LABEL: &str = "bulk";
const LOCALHOST: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
/// How long a setup or a transfer may take before the bench gives up.
const DEADLINE: Duration = Duration::from_secs(60);

/// A stack under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stack {
    /// Ours (`rtc` facade, ring).
    Ours,
    /// webrtc-rs `webrtc` 0.21 as it comes.
    WebrtcRs,
    /// webrtc-rs `webrtc` 0.21 with 4 MiB UDP socket buffers (its best on 64 KiB messages).
    WebrtcRsBigBuffers,
    /// str0m 0.25.
    Str0m,
}

impl Stack {
    /// Every stack and variant, ours first.
    pub const ALL: [Self; 4] = [
        Self::Ours,
        Self::WebrtcRs,
        Self::WebrtcRsBigBuffers,
        Self::Str0m,
    ];
    /// One of each stack (the socket buffers do not matter to setup or idle memory).
    pub const EACH: [Self; 3] = [Self::Ours, Self::WebrtcRs, Self::Str0m];

    /// The function name in a comparison group (ours is `rtc`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Ours => "rtc",
            Self::WebrtcRs => "webrtc-rs webrtc 0.21 (ring)",
            Self::WebrtcRsBigBuffers => "webrtc-rs webrtc 0.21 (ring, 4 MiB socket buffers)",
            Self::Str0m => "str0m 0.25 (aws-lc-rs)",
        }
    }
}

/// What setups reuse: each stack's certificate, made once.
#[derive(Clone)]
pub struct Certificates {
    ours: rtc::rtc_dtls::Certificate,
    str0m: str0m::config::DtlsCert,
}

impl Certificates {
    /// Makes a certificate for each stack that takes one (P-256 ECDSA, the default of all).
    pub fn new() -> Self {
        let provider = str0m::crypto::from_feature_flags();
        let str0m = provider
            .dtls_provider
            .generate_certificate()
            .expect("str0m certificate");
        Self {
            ours: rtc::rtc_dtls::Certificate::generate().expect("our certificate"),
            str0m,
        }
    }
}

impl Default for Certificates {
    fn default() -> Self {
        Self::new()
    }
}

/// Two connected peer connections with an open channel from `a` to `b`.
pub enum Pair {
    /// Ours.
    Ours(ours::Pair),
    /// webrtc-rs.
    WebrtcRs(webrtc_rs::Pair),
    /// str0m.
    Str0m(str0m_io::Pair),
}

/// Connects a pair of `stack`, and returns it with the time from `createDataChannel` +
/// `createOffer` to the channel being open at both ends. The peer connections (sockets,
/// certificates) are made before the clock starts.
pub async fn setup(stack: Stack, certificates: &Certificates) -> (Duration, Pair) {
    let setup = async {
        match stack {
            Stack::Ours => {
                let (t, p) = ours::setup(&certificates.ours).await;
                (t, Pair::Ours(p))
            }
            Stack::WebrtcRs | Stack::WebrtcRsBigBuffers => {
                let big_buffers = stack == Stack::WebrtcRsBigBuffers;
                let (t, p) = webrtc_rs::setup(big_buffers).await;
                (t, Pair::WebrtcRs(p))
            }
            Stack::Str0m => {
                let (t, p) = str0m_io::setup(&certificates.str0m).await;
                (t, Pair::Str0m(p))
            }
        }
    };
    tokio::time::timeout(DEADLINE, setup)
        .await
        .unwrap_or_else(|_| panic!("{}: no open channel after {DEADLINE:?}", stack.name()))
}

impl Pair {
    /// Sends `count` messages of `size` bytes from `a` to `b`; the time from the first send to
    /// the last message received.
    pub async fn transfer(&mut self, size: usize, count: usize) -> Duration {
        let transfer = async {
            match self {
                Self::Ours(p) => p.transfer(size, count).await,
                Self::WebrtcRs(p) => p.transfer(size, count).await,
                Self::Str0m(p) => p.transfer(size, count).await,
            }
        };
        tokio::time::timeout(DEADLINE, transfer)
            .await
            .expect("transfer within the deadline")
    }

    /// Closes both peer connections.
    pub async fn close(self) {
        match self {
            Self::Ours(p) => p.close().await,
            Self::WebrtcRs(p) => p.close().await,
            Self::Str0m(p) => p.close().await,
        }
    }
}

/// Ours, through the `rtc` facade.
pub mod ours {
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    use bytes::Bytes;
    use rtc::rtc_dtls::Certificate;
    use rtc::{
        PeerConnectionEvent, RTCConfiguration, RTCDataChannel, RTCDataChannelInit,
        RTCPeerConnection,
    };
    use tokio::sync::mpsc;
    use tokio::task::JoinHandle;

    /// A connected pair.
    pub struct Pair {
        a: Arc<RTCPeerConnection>,
        b: Arc<RTCPeerConnection>,
        local: RTCDataChannel,
        remote: RTCDataChannel,
        pumps: [JoinHandle<()>; 2],
        message: Bytes,
    }

    fn config(certificate: &Certificate) -> RTCConfiguration {
        RTCConfiguration {
            bind_ip: Some(super::LOCALHOST),
            certificate: Some(certificate.clone()),
            ..RTCConfiguration::default()
        }
    }

    /// Forwards `from`'s candidates to `to`, and its announced channels to `channels`.
    fn pump(
        from: Arc<RTCPeerConnection>,
        to: Arc<RTCPeerConnection>,
        channels: Option<mpsc::UnboundedSender<RTCDataChannel>>,
    ) -> JoinHandle<()> {
        tokio::spawn(async move {
            while let Some(event) = from.next_event().await {
                match event {
                    PeerConnectionEvent::IceCandidate(c) => {
                        let _ = to.add_ice_candidate(c).await;
                    }
                    PeerConnectionEvent::DataChannel(channel) => {
                        if let Some(channels) = &channels {
                            let _ = channels.send(channel);
                        }
                    }
                    _ => {}
                }
            }
        })
    }

    pub(super) async fn setup(certificate: &Certificate) -> (Duration, Pair) {
        let a = Arc::new(RTCPeerConnection::new(config(certificate)).await.unwrap());
        let b = Arc::new(RTCPeerConnection::new(config(certificate)).await.unwrap());
        let start = Instant::now();
        let local = a
            .create_data_channel(super::LABEL, RTCDataChannelInit::default())
            .await
            .unwrap();
        let offer = a.create_offer().await.unwrap();
        a.set_local_description(offer.clone()).await.unwrap();
        b.set_remote_description(offer).await.unwrap();
        let answer = b.create_answer().await.unwrap();
        b.set_local_description(answer.clone()).await.unwrap();
        a.set_remote_description(answer).await.unwrap();
        let (channels, mut announced) = mpsc::unbounded_channel();
        let pumps = [
            pump(a.clone(), b.clone(), None),
            pump(b.clone(), a.clone(), Some(channels)),
        ];
        let remote = announced.recv().await.expect("datachannel event");
        local.opened().await.unwrap();
        remote.opened().await.unwrap();
        let elapsed = start.elapsed();
        (
            elapsed,
            Pair {
                a,
                b,
                local,
                remote,
                pumps,
                message: Bytes::new(),
            },
        )
    }

    impl Pair {
        pub(super) async fn transfer(&mut self, size: usize, count: usize) -> Duration {
            if self.message.len() != size {
                self.message = Bytes::from(vec![0x5a; size]);
            }
            let sender = self.local.sender();
            let message = self.message.clone();
            let start = Instant::now();
            let writer = tokio::spawn(async move {
                for _ in 0..count {
                    sender.send(message.clone()).await.expect("send");
                }
            });
            for _ in 0..count {
                let m = self.remote.recv().await.expect("a message");
                assert_eq!(m.data.len(), size);
            }
            let elapsed = start.elapsed();
            writer.await.expect("writer");
            elapsed
        }

        pub(super) async fn close(self) {
            self.a.close().await;
            self.b.close().await;
            drop((self.local, self.remote));
            for pump in self.pumps {
                let _ = pump.await;
            }
        }
    }
}

/// webrtc-rs `webrtc` 0.21.
pub mod webrtc_rs {
    use std::future::Future;
    use std::io;
    use std::net::SocketAddr;
    use std::pin::Pin;
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    use bytes::BytesMut;
    use tokio::sync::mpsc;
    use tokio::task::JoinHandle;
    use webrtc::data_channel::{DataChannel, DataChannelEvent, RTCDataChannelInit};
    use webrtc::peer_connection::{
        PeerConnection, PeerConnectionBuilder, PeerConnectionEventHandler, RTCConfigurationBuilder,
        RTCIceCandidateInit, RTCPeerConnectionIceEvent,
    };
    use webrtc::runtime::{
        AsyncInterval, AsyncTcpListener, AsyncTcpStream, AsyncUdpSocket, JoinHandle as RuntimeTask,
        Runtime, TokioRuntime,
    };

    struct Handler {
        candidates: mpsc::UnboundedSender<RTCIceCandidateInit>,
        channels: mpsc::UnboundedSender<Arc<dyn DataChannel>>,
    }

    #[async_trait::async_trait]
    impl PeerConnectionEventHandler for Handler {
        async fn on_ice_candidate(&self, event: RTCPeerConnectionIceEvent) {
            if let Ok(init) = event.candidate.to_json() {
                let _ = self.candidates.send(init);
            }
        }

        async fn on_data_channel(&self, data_channel: Arc<dyn DataChannel>) {
            let _ = self.channels.send(data_channel);
        }
    }

    /// A peer connection and what its handler reports.
    struct Peer {
        pc: Arc<dyn PeerConnection>,
        candidates: mpsc::UnboundedReceiver<RTCIceCandidateInit>,
        channels: mpsc::UnboundedReceiver<Arc<dyn DataChannel>>,
    }

    /// webrtc-rs's tokio runtime with one change: the UDP sockets get the 4 MiB buffers that
    /// ours and the str0m driver ask for (with the default ~200 kB, a 64 KiB-message transfer
    /// here loses datagrams and stalls on retransmission timeouts).
    #[derive(Debug)]
    struct BigSocketBuffers(TokioRuntime);

    impl Runtime for BigSocketBuffers {
        fn spawn(&self, future: Pin<Box<dyn Future<Output = ()> + Send>>) -> Box<dyn RuntimeTask> {
            self.0.spawn(future)
        }

        fn wrap_udp_socket(
            &self,
            socket: std::net::UdpSocket,
        ) -> io::Result<Arc<dyn AsyncUdpSocket>> {
            let sock = socket2::SockRef::from(&socket);
            let _ = sock.set_recv_buffer_size(super::SOCKET_BUFFER);
            let _ = sock.set_send_buffer_size(super::SOCKET_BUFFER);
            self.0.wrap_udp_socket(socket)
        }

        fn wrap_tcp_listener(
            &self,
            listener: std::net::TcpListener,
        ) -> io::Result<Arc<dyn AsyncTcpListener>> {
            self.0.wrap_tcp_listener(listener)
        }

        fn connect_tcp<'a>(
            &'a self,
            remote_addr: SocketAddr,
        ) -> Pin<Box<dyn Future<Output = io::Result<Arc<dyn AsyncTcpStream>>> + Send + 'a>>
        {
            self.0.connect_tcp(remote_addr)
        }

        fn resolve_host<'a>(
            &'a self,
            host: &'a str,
        ) -> Pin<Box<dyn Future<Output = io::Result<Vec<SocketAddr>>> + Send + 'a>> {
            self.0.resolve_host(host)
        }

        fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + 'static>> {
            self.0.sleep(duration)
        }

        fn interval(&self, period: Duration) -> Box<dyn AsyncInterval> {
            self.0.interval(period)
        }

        fn block_on(&self, future: Pin<Box<dyn Future<Output = ()> + '_>>) {
            self.0.block_on(future);
        }

        fn name(&self) -> &'static str {
            "tokio, 4 MiB socket buffers"
        }
    }

    async fn peer(big_buffers: bool) -> Peer {
        let (candidates, candidates_rx) = mpsc::unbounded_channel();
        let (channels, channels_rx) = mpsc::unbounded_channel();
        let runtime: Arc<dyn Runtime> = if big_buffers {
            Arc::new(BigSocketBuffers(TokioRuntime))
        } else {
            Arc::new(TokioRuntime)
        };
        let pc = PeerConnectionBuilder::new()
            .with_configuration(RTCConfigurationBuilder::new().build())
            .with_handler(Arc::new(Handler {
                candidates,
                channels,
            }))
            .with_runtime(runtime)
            .with_udp_addrs(vec!["127.0.0.1:0".to_owned()])
            .with_data_channel_send_buffer_limit(super::HIGH_WATER)
            .build()
            .await
            .expect("webrtc-rs peer connection");
        Peer {
            pc: Arc::new(pc),
            candidates: candidates_rx,
            channels: channels_rx,
        }
    }

    fn forward(
        mut candidates: mpsc::UnboundedReceiver<RTCIceCandidateInit>,
        to: Arc<dyn PeerConnection>,
    ) -> JoinHandle<()> {
        tokio::spawn(async move {
            while let Some(c) = candidates.recv().await {
                let _ = to.add_ice_candidate(c).await;
            }
        })
    }

    /// Waits for the channel's `OnOpen`.
    async fn opened(channel: &dyn DataChannel) {
        loop {
            match channel.poll().await {
                Some(DataChannelEvent::OnOpen) => return,
                Some(_) => {}
                None => panic!("webrtc-rs channel ended before it opened"),
            }
        }
    }

    /// A connected pair.
    pub struct Pair {
        a: Arc<dyn PeerConnection>,
        b: Arc<dyn PeerConnection>,
        local: Arc<dyn DataChannel>,
        remote: Arc<dyn DataChannel>,
        tasks: Vec<JoinHandle<()>>,
        message: BytesMut,
    }

    pub(super) async fn setup(big_buffers: bool) -> (Duration, Pair) {
        let a = peer(big_buffers).await;
        let mut b = peer(big_buffers).await;
        let start = Instant::now();
        let local =
            a.pc.create_data_channel(super::LABEL, Some(RTCDataChannelInit::default()))
                .await
                .unwrap();
        let offer = a.pc.create_offer(None).await.unwrap();
        a.pc.set_local_description(offer.clone()).await.unwrap();
        b.pc.set_remote_description(offer).await.unwrap();
        let answer = b.pc.create_answer(None).await.unwrap();
        b.pc.set_local_description(answer.clone()).await.unwrap();
        a.pc.set_remote_description(answer).await.unwrap();
        let mut tasks = vec![
            forward(a.candidates, b.pc.clone()),
            forward(b.candidates, a.pc.clone()),
        ];
        opened(local.as_ref()).await;
        let remote = b.channels.recv().await.expect("on_data_channel");
        opened(remote.as_ref()).await;
        let elapsed = start.elapsed();
        // The sender's channel reports buffered-amount events: keep its queue drained.
        let events = local.clone();
        tasks.push(tokio::spawn(async move {
            while events.poll().await.is_some() {}
        }));
        drop(a.channels);
        (
            elapsed,
            Pair {
                a: a.pc,
                b: b.pc,
                local,
                remote,
                tasks,
                message: BytesMut::new(),
            },
        )
    }

    impl Pair {
        pub(super) async fn transfer(&mut self, size: usize, count: usize) -> Duration {
            if self.message.len() != size {
                self.message = BytesMut::from(&vec![0x5a; size][..]);
            }
            let local = self.local.clone();
            let message = self.message.clone();
            let start = Instant::now();
            // `send` takes the message by value (`BytesMut`): a copy per message, as the API
            // requires of any caller that sends the same bytes again.
            let writer = tokio::spawn(async move {
                for _ in 0..count {
                    local.send(message.clone()).await.expect("send");
                }
            });
            let mut received = 0;
            while received < count {
                match self.remote.poll().await {
                    Some(DataChannelEvent::OnMessage(m)) => {
                        assert_eq!(m.data.len(), size);
                        received += 1;
                    }
                    Some(_) => {}
                    None => panic!("webrtc-rs channel ended during the transfer"),
                }
            }
            let elapsed = start.elapsed();
            writer.await.expect("writer");
            elapsed
        }

        pub(super) async fn close(self) {
            let _ = self.a.close().await;
            let _ = self.b.close().await;
            drop((self.local, self.remote));
            for task in self.tasks {
                task.abort();
            }
        }
    }
}

/// str0m 0.25, sans-IO, with a small tokio UDP driver per `Rtc`.
pub mod str0m_io {
    use std::net::SocketAddr;
    use std::time::{Duration, Instant};

    use str0m::change::{SdpAnswer, SdpOffer};
    use str0m::channel::ChannelId;
    use str0m::config::DtlsCert;
    use str0m::net::{Protocol, Receive};
    use str0m::{Candidate, Event, Input, Output, Rtc, RtcConfig};
    use tokio::net::UdpSocket;
    use tokio::sync::{mpsc, oneshot};
    use tokio::task::JoinHandle;

    /// Datagrams read per wake-up at most (the `Rtc` is polled after each).
    const READ_BATCH: usize = 64;

    /// What the application asks of a driver.
    enum Command {
        /// Write `count` messages of `size` bytes on the channel; `done` when all are queued.
        Send {
            size: usize,
            count: usize,
            done: oneshot::Sender<()>,
        },
        /// Say when `count` messages of `size` bytes were received.
        Receive {
            size: usize,
            count: usize,
            done: oneshot::Sender<()>,
        },
        /// Close the `Rtc` and end the task.
        Close,
    }

    /// One `Rtc` and its socket, run by [`Driver::run`].
    struct Driver {
        rtc: Rtc,
        socket: UdpSocket,
        local: SocketAddr,
        channel: Option<ChannelId>,
        opened: Option<oneshot::Sender<()>>,
        /// The message, how many are left to write, and who to tell when none are.
        sending: Option<(Vec<u8>, usize, oneshot::Sender<()>)>,
        /// The size expected, how many are left to read, and who to tell when none are.
        receiving: Option<(usize, usize, oneshot::Sender<()>)>,
        /// Messages (and their bytes) that came before the `Receive` command they belong to
        /// (the driver may see the sender's first datagrams before that command).
        early: (usize, usize),
        commands: mpsc::UnboundedReceiver<Command>,
    }

    impl Driver {
        /// Writes while the channel takes messages and holds less than the high-water mark.
        fn fill(&mut self) {
            let (Some(id), Some((message, left, _))) = (self.channel, &mut self.sending) else {
                return;
            };
            let Some(mut channel) = self.rtc.channel(id) else {
                return;
            };
            while *left > 0 && channel.buffered_amount() < super::HIGH_WATER {
                if !channel.write(true, message).expect("str0m write") {
                    break;
                }
                *left -= 1;
            }
            if *left == 0
                && let Some((_, _, done)) = self.sending.take()
            {
                let _ = done.send(());
            }
        }

        fn event(&mut self, event: Event) {
            match event {
                Event::ChannelOpen(id, _) => {
                    self.channel = Some(id);
                    if let Some(opened) = self.opened.take() {
                        let _ = opened.send(());
                    }
                }
                Event::ChannelData(data) => match &mut self.receiving {
                    Some((size, left, _)) => {
                        assert_eq!(data.data.len(), *size);
                        *left -= 1;
                        if *left == 0
                            && let Some((_, _, done)) = self.receiving.take()
                        {
                            let _ = done.send(());
                        }
                    }
                    None => {
                        self.early.0 += 1;
                        self.early.1 += data.data.len();
                    }
                },
                _ => {}
            }
        }

        /// Polls the `Rtc` until it wants a timeout: sends its datagrams, handles its events.
        async fn poll(&mut self) -> Option<Instant> {
            loop {
                match self.rtc.poll_output().expect("str0m poll_output") {
                    Output::Timeout(t) => return Some(t),
                    Output::Transmit(t) => {
                        let _ = self.socket.send_to(&t.contents, t.destination).await;
                    }
                    Output::Event(e) => self.event(e),
                }
                if !self.rtc.is_alive() {
                    return None;
                }
            }
        }

        fn receive(&mut self, source: SocketAddr, datagram: &[u8]) {
            if let Ok(contents) = Receive::new(Protocol::Udp, source, self.local, datagram) {
                let input = Input::Receive(Instant::now(), contents);
                self.rtc.handle_input(input).expect("str0m handle_input");
            }
        }

        async fn run(mut self) {
            let mut buf = vec![0u8; 2048];
            loop {
                self.fill();
                let Some(timeout) = self.poll().await else {
                    return;
                };
                tokio::select! {
                    received = self.socket.recv_from(&mut buf) => {
                        let Ok((n, source)) = received else { return };
                        self.receive(source, &buf[..n]);
                        // More that are already there, each followed by a poll (str0m's
                        // DTLS queue is short: input and output alternate).
                        for _ in 1..READ_BATCH {
                            self.fill();
                            if self.poll().await.is_none() {
                                return;
                            }
                            match self.socket.try_recv_from(&mut buf) {
                                Ok((n, source)) => self.receive(source, &buf[..n]),
                                Err(_) => break,
                            }
                        }
                    }
                    () = tokio::time::sleep_until(timeout.into()) => {
                        self.rtc
                            .handle_input(Input::Timeout(Instant::now()))
                            .expect("str0m timeout");
                    }
                    command = self.commands.recv() => match command {
                        Some(Command::Send { size, count, done }) => {
                            self.sending = Some((vec![0x5a; size], count, done));
                        }
                        Some(Command::Receive { size, count, done }) => {
                            let (early, bytes) = std::mem::take(&mut self.early);
                            assert!(early <= count && bytes == early * size);
                            if early == count {
                                let _ = done.send(());
                            } else {
                                self.receiving = Some((size, count - early, done));
                            }
                        }
                        Some(Command::Close) | None => {
                            self.rtc.disconnect();
                            return;
                        }
                    },
                }
            }
        }
    }

    /// A connected pair.
    pub struct Pair {
        a: mpsc::UnboundedSender<Command>,
        b: mpsc::UnboundedSender<Command>,
        tasks: [JoinHandle<()>; 2],
    }

    async fn rtc(certificate: &DtlsCert) -> (Rtc, UdpSocket, SocketAddr) {
        let socket = UdpSocket::bind((super::LOCALHOST, 0)).await.unwrap();
        // The socket buffers ours asks for: str0m sends a whole congestion window at once,
        // which overflows the default ~200 kB receive buffer (lost datagrams, 300 ms RTOs).
        let sock = socket2::SockRef::from(&socket);
        let _ = sock.set_recv_buffer_size(super::SOCKET_BUFFER);
        let _ = sock.set_send_buffer_size(super::SOCKET_BUFFER);
        let local = socket.local_addr().unwrap();
        let mut rtc = RtcConfig::new()
            .set_dtls_cert(certificate.clone())
            .build(Instant::now());
        rtc.add_local_candidate(Candidate::host(local, "udp").unwrap())
            .expect("host candidate");
        (rtc, socket, local)
    }

    fn spawn(
        rtc: Rtc,
        socket: UdpSocket,
        local: SocketAddr,
    ) -> (
        mpsc::UnboundedSender<Command>,
        oneshot::Receiver<()>,
        JoinHandle<()>,
    ) {
        let (commands, commands_rx) = mpsc::unbounded_channel();
        let (opened, opened_rx) = oneshot::channel();
        let driver = Driver {
            rtc,
            socket,
            local,
            channel: None,
            opened: Some(opened),
            sending: None,
            receiving: None,
            early: (0, 0),
            commands: commands_rx,
        };
        (commands, opened_rx, tokio::spawn(driver.run()))
    }

    pub(super) async fn setup(certificate: &DtlsCert) -> (Duration, Pair) {
        let (mut a, socket_a, local_a) = rtc(certificate).await;
        let (mut b, socket_b, local_b) = rtc(certificate).await;
        let start = Instant::now();
        let mut change = a.sdp_api();
        change.add_channel(super::LABEL.to_owned());
        let (offer, pending) = change.apply().expect("an offer");
        let offer = SdpOffer::from_sdp_string(&offer.to_sdp_string()).expect("offer parses");
        let answer = b.sdp_api().accept_offer(offer).expect("answer");
        let answer = SdpAnswer::from_sdp_string(&answer.to_sdp_string()).expect("answer parses");
        a.sdp_api()
            .accept_answer(pending, answer)
            .expect("answer accepted");
        let (a, a_open, task_a) = spawn(a, socket_a, local_a);
        let (b, b_open, task_b) = spawn(b, socket_b, local_b);
        a_open.await.expect("channel open at a");
        b_open.await.expect("channel open at b");
        let elapsed = start.elapsed();
        (
            elapsed,
            Pair {
                a,
                b,
                tasks: [task_a, task_b],
            },
        )
    }

    impl Pair {
        pub(super) async fn transfer(&mut self, size: usize, count: usize) -> Duration {
            let (received, all_received) = oneshot::channel();
            let (queued, all_queued) = oneshot::channel();
            self.b
                .send(Command::Receive {
                    size,
                    count,
                    done: received,
                })
                .expect("b's driver");
            let start = Instant::now();
            self.a
                .send(Command::Send {
                    size,
                    count,
                    done: queued,
                })
                .expect("a's driver");
            all_received.await.expect("b received everything");
            let elapsed = start.elapsed();
            all_queued.await.expect("a queued everything");
            elapsed
        }

        pub(super) async fn close(self) {
            let _ = self.a.send(Command::Close);
            let _ = self.b.send(Command::Close);
            for task in self.tasks {
                let _ = task.await;
            }
        }
    }
}

/// The time of `count` transfers of `size`-byte messages on one pair (for criterion's
/// `iter_custom`).
pub async fn time_transfers(pair: &mut Pair, size: usize, count: usize, iters: u64) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        total += pair.transfer(size, count).await;
    }
    total
}
