//! The one task that owns a peer connection's sans-IO core and its socket. Handles talk to it
//! through a command channel; it answers on oneshot channels and pushes events and messages
//! into per-receiver channels. No locks are shared with the application.

#![allow(clippy::disallowed_methods)] // the driver owns the clock

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::time::Instant;

use bytes::Bytes;
use rtc_peer::{
    ChannelId, DataChannelInit, DataChannelState, Event, PeerConnection, RtcIceCandidateInit,
    RtcSessionDescriptionInit, StatsReport,
};
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot, watch};
use tracing::{debug, trace, warn};

use crate::data_channel::{DataChannelMessage, DataChannelSender, RTCDataChannel};
use crate::{Error, PeerConnectionEvent};

/// Above this many buffered bytes, `send` waits until the channel drains to half of it.
pub(crate) const HIGH_WATER: usize = 1024 * 1024;

type Reply<T> = oneshot::Sender<Result<T, Error>>;

/// What a handle asks of the driver.
#[derive(Debug)]
pub(crate) enum Command {
    CreateOffer(Reply<RtcSessionDescriptionInit>),
    CreateAnswer(Reply<RtcSessionDescriptionInit>),
    SetLocal(RtcSessionDescriptionInit, Reply<()>),
    SetRemote(RtcSessionDescriptionInit, Reply<()>),
    AddCandidate(RtcIceCandidateInit, Reply<()>),
    LocalDescription(oneshot::Sender<Option<RtcSessionDescriptionInit>>),
    CreateChannel {
        label: String,
        init: DataChannelInit,
        reply: Reply<RTCDataChannel>,
    },
    Send {
        id: ChannelId,
        binary: bool,
        data: Bytes,
        reply: Reply<()>,
    },
    BufferedAmount {
        id: ChannelId,
        reply: oneshot::Sender<usize>,
    },
    CloseChannel(ChannelId),
    Stats(oneshot::Sender<StatsReport>),
    Close(oneshot::Sender<()>),
}

struct ChannelPipes {
    state: watch::Sender<DataChannelState>,
    messages: mpsc::UnboundedSender<DataChannelMessage>,
    /// Senders waiting for the channel to drain below the low-water mark.
    waiting: Vec<Reply<()>>,
}

pub(crate) struct Driver {
    pc: PeerConnection,
    socket: UdpSocket,
    local: SocketAddr,
    /// Weak, so that the driver ends when every handle is gone.
    commands_tx: mpsc::WeakUnboundedSender<Command>,
    events: mpsc::UnboundedSender<PeerConnectionEvent>,
    channels: HashMap<ChannelId, ChannelPipes>,
}

impl Driver {
    pub(crate) fn new(
        pc: PeerConnection,
        socket: UdpSocket,
        commands_tx: mpsc::WeakUnboundedSender<Command>,
        events: mpsc::UnboundedSender<PeerConnectionEvent>,
    ) -> io::Result<Self> {
        let local = socket.local_addr()?;
        Ok(Self {
            pc,
            socket,
            local,
            commands_tx,
            events,
            channels: HashMap::new(),
        })
    }

    pub(crate) async fn run(mut self, mut commands: mpsc::UnboundedReceiver<Command>) {
        // It ends on close(), or when every handle (the peer connection's and its channels')
        // is gone and the command channel with them.
        let mut buf = vec![0u8; 65536];
        loop {
            self.dispatch();
            self.flush().await;
            if self.pc.is_closed() {
                break;
            }
            let timeout = self.pc.poll_timeout();
            let sleep = async {
                match timeout {
                    Some(t) => tokio::time::sleep_until(t.into()).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                received = self.socket.recv_from(&mut buf) => {
                    match received {
                        Ok((n, from)) => {
                            let now = Instant::now();
                            self.pc.handle_input(now, self.local, from, &buf[..n]);
                            // Drain what else is queued before flushing (fewer wake-ups).
                            for _ in 0..64 {
                                match self.socket.try_recv_from(&mut buf) {
                                    Ok((n, from)) => self.pc.handle_input(now, self.local, from, &buf[..n]),
                                    Err(_) => break,
                                }
                            }
                        }
                        Err(e) => trace!("recv: {e}"),
                    }
                }
                command = commands.recv() => {
                    match command {
                        Some(c) => self.command(c),
                        None => break,
                    }
                    // More commands queued (a burst of sends): take them now.
                    for _ in 0..256 {
                        match commands.try_recv() {
                            Ok(c) => self.command(c),
                            Err(_) => break,
                        }
                    }
                }
                () = sleep => self.pc.handle_timeout(Instant::now()),
            }
        }
        if !self.pc.is_closed() {
            self.pc.close(Instant::now());
            self.flush().await;
        }
        debug!("peer connection driver ends");
    }

    async fn flush(&mut self) {
        while let Some(t) = self.pc.poll_transmit() {
            if let Err(e) = self.socket.send_to(&t.contents, t.destination).await {
                trace!("send to {}: {e}", t.destination);
            }
        }
    }

    fn dispatch(&mut self) {
        while let Some(e) = self.pc.poll_event() {
            match e {
                Event::ChannelMessage { id, binary, data } => {
                    if let Some(p) = self.channels.get(&id) {
                        let _ = p.messages.send(DataChannelMessage {
                            is_string: !binary,
                            data,
                        });
                    }
                }
                Event::ChannelOpen(id) => {
                    if let Some(p) = self.channels.get(&id) {
                        let _ = p.state.send(DataChannelState::Open);
                    }
                }
                Event::ChannelClosed(id) => {
                    if let Some(p) = self.channels.remove(&id) {
                        let _ = p.state.send(DataChannelState::Closed);
                        for w in p.waiting {
                            let _ = w.send(Err(Error::Closed));
                        }
                    }
                }
                Event::BufferedAmountLow(id) => {
                    if let Some(p) = self.channels.get_mut(&id) {
                        for w in p.waiting.drain(..) {
                            let _ = w.send(Ok(()));
                        }
                    }
                }
                Event::DataChannel {
                    id,
                    label,
                    protocol,
                } => {
                    if let Some(channel) = self.pipes(id, label, protocol, DataChannelState::Open) {
                        let _ = self.events.send(PeerConnectionEvent::DataChannel(channel));
                    }
                }
                Event::IceCandidate(c) => {
                    let _ = self.events.send(PeerConnectionEvent::IceCandidate(c));
                }
                Event::IceGatheringStateChange(s) => {
                    let _ = self
                        .events
                        .send(PeerConnectionEvent::IceGatheringStateChange(s));
                }
                Event::IceConnectionStateChange(s) => {
                    let _ = self
                        .events
                        .send(PeerConnectionEvent::IceConnectionStateChange(s));
                }
                Event::ConnectionStateChange(s) => {
                    debug!("connection state {s:?}");
                    let _ = self
                        .events
                        .send(PeerConnectionEvent::ConnectionStateChange(s));
                }
                Event::SignalingStateChange(s) => {
                    let _ = self
                        .events
                        .send(PeerConnectionEvent::SignalingStateChange(s));
                }
                Event::NegotiationNeeded => {
                    let _ = self.events.send(PeerConnectionEvent::NegotiationNeeded);
                }
                other => trace!("event {other:?}"),
            }
        }
    }

    fn pipes(
        &mut self,
        id: ChannelId,
        label: String,
        protocol: String,
        state: DataChannelState,
    ) -> Option<RTCDataChannel> {
        let commands = self.commands_tx.upgrade()?;
        let (state_tx, state_rx) = watch::channel(state);
        let (messages_tx, messages_rx) = mpsc::unbounded_channel();
        self.pc
            .set_buffered_amount_low_threshold(id, HIGH_WATER / 2);
        self.channels.insert(
            id,
            ChannelPipes {
                state: state_tx,
                messages: messages_tx,
                waiting: Vec::new(),
            },
        );
        Some(RTCDataChannel {
            sender: DataChannelSender {
                id,
                commands,
                state: state_rx,
            },
            label,
            protocol,
            messages: messages_rx,
        })
    }

    fn command(&mut self, c: Command) {
        let now = Instant::now();
        match c {
            Command::CreateOffer(r) => {
                let _ = r.send(self.pc.create_offer().map_err(Into::into));
            }
            Command::CreateAnswer(r) => {
                let _ = r.send(self.pc.create_answer().map_err(Into::into));
            }
            Command::SetLocal(d, r) => {
                let _ = r.send(self.pc.set_local_description(now, d).map_err(Into::into));
            }
            Command::SetRemote(d, r) => {
                let _ = r.send(self.pc.set_remote_description(now, d).map_err(Into::into));
            }
            Command::AddCandidate(c, r) => {
                let _ = r.send(self.pc.add_ice_candidate(now, &c).map_err(Into::into));
            }
            Command::LocalDescription(r) => {
                let _ = r.send(self.pc.local_description());
            }
            Command::CreateChannel { label, init, reply } => {
                let protocol = init.protocol.clone();
                match self.pc.create_data_channel(now, &label, init) {
                    Ok(id) => {
                        let state = self.pc.channel_state(id);
                        let channel = self.pipes(id, label, protocol, state).ok_or(Error::Closed);
                        let _ = reply.send(channel);
                    }
                    Err(e) => {
                        let _ = reply.send(Err(e.into()));
                    }
                }
            }
            Command::Send {
                id,
                binary,
                data,
                reply,
            } => {
                let result = if binary {
                    self.pc.send_binary(now, id, data)
                } else {
                    match std::str::from_utf8(&data) {
                        Ok(text) => self.pc.send_text(now, id, text),
                        Err(_) => Err(rtc_peer::Error::ChannelParameters("text")),
                    }
                };
                match result {
                    Ok(()) if self.pc.buffered_amount(id) > HIGH_WATER => {
                        if let Some(p) = self.channels.get_mut(&id) {
                            p.waiting.push(reply);
                        }
                    }
                    other => {
                        let _ = reply.send(other.map_err(Into::into));
                    }
                }
            }
            Command::BufferedAmount { id, reply } => {
                let _ = reply.send(self.pc.buffered_amount(id));
            }
            Command::CloseChannel(id) => {
                if self.pc.close_channel(now, id).is_err() {
                    warn!("close of unknown channel {id:?}");
                }
            }
            Command::Stats(r) => {
                let timestamp = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0.0, |d| d.as_secs_f64() * 1000.0);
                let _ = r.send(self.pc.stats(timestamp));
            }
            Command::Close(r) => {
                self.pc.close(now);
                for (_, p) in self.channels.drain() {
                    let _ = p.state.send(DataChannelState::Closed);
                    for w in p.waiting {
                        let _ = w.send(Err(Error::Closed));
                    }
                }
                let _ = r.send(());
            }
        }
    }
}
