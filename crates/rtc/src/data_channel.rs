//! `RTCDataChannel`: a handle on one channel of a peer connection's driver task.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;
use tokio::sync::{Semaphore, mpsc, oneshot, watch};

use crate::Error;
use crate::driver::Command;
pub use rtc_peer::{ChannelId, DataChannelInit as RTCDataChannelInit, DataChannelState};

/// Bytes that may wait to be sent on a channel before `send` waits (W3C leaves the high-water
/// mark to the application; 1 MiB keeps a loopback path busy).
pub(crate) const HIGH_WATER: usize = 1024 * 1024;

/// The credit a message of `len` bytes takes (an empty message takes one unit).
pub(crate) fn credit_for(len: usize) -> u32 {
    len.clamp(1, HIGH_WATER) as u32
}

/// A message received on a data channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataChannelMessage {
    /// Binary, or UTF-8 text.
    pub is_string: bool,
    /// The payload.
    pub data: Bytes,
}

impl DataChannelMessage {
    /// The text of a string message (lossy for invalid UTF-8 from a misbehaving peer).
    pub fn text(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.data)
    }
}

/// What a channel's handles and the driver share: the send credit and the peer's limit.
#[derive(Debug)]
pub(crate) struct Shared {
    /// Bytes that may be queued (in the command channel or the SCTP send buffer) before
    /// `send` waits: permits are taken by `send` and given back by the driver as the
    /// association's `bufferedAmount` falls.
    pub(crate) credit: Semaphore,
    /// The peer's `a=max-message-size` (0: no limit).
    pub(crate) max_message_size: AtomicUsize,
}

/// The sending half of a data channel: cheap to clone, usable from any task.
#[derive(Debug, Clone)]
pub struct DataChannelSender {
    pub(crate) id: ChannelId,
    pub(crate) commands: mpsc::UnboundedSender<Command>,
    pub(crate) state: watch::Receiver<DataChannelState>,
    pub(crate) shared: Arc<Shared>,
}

impl DataChannelSender {
    /// Sends a text message. Waits while more than the high-water mark is buffered
    /// (back-pressure from `bufferedAmount`).
    pub async fn send_text(&self, text: &str) -> Result<(), Error> {
        self.send_inner(false, Bytes::copy_from_slice(text.as_bytes()))
            .await
    }

    /// Sends a binary message, with the same back-pressure.
    pub async fn send(&self, data: impl Into<Bytes>) -> Result<(), Error> {
        self.send_inner(true, data.into()).await
    }

    async fn send_inner(&self, binary: bool, data: Bytes) -> Result<(), Error> {
        match *self.state.borrow() {
            DataChannelState::Open => {}
            DataChannelState::Connecting => {
                return Err(rtc_peer::Error::from(rtc_peer::ChannelError::NotOpen(0)).into());
            }
            _ => return Err(Error::Closed),
        }
        let max = self.shared.max_message_size.load(Ordering::Relaxed);
        if max != 0 && data.len() > max {
            return Err(rtc_peer::Error::MessageTooLong {
                len: data.len(),
                max,
            }
            .into());
        }
        // Back-pressure: a message takes credit for its size (at most all of it); the
        // driver returns credit as the association drains. No round trip per message.
        let permits = credit_for(data.len());
        self.shared
            .credit
            .acquire_many(permits)
            .await
            .map_err(|_| Error::Closed)?
            .forget();
        self.commands
            .send(Command::Send {
                id: self.id,
                binary,
                data,
                credit: permits,
            })
            .map_err(|_| Error::Closed)
    }

    /// `readyState`.
    pub fn ready_state(&self) -> DataChannelState {
        *self.state.borrow()
    }

    /// Waits until the channel is open; an error if it closes first.
    pub async fn opened(&self) -> Result<(), Error> {
        let mut state = self.state.clone();
        loop {
            match *state.borrow_and_update() {
                DataChannelState::Open => return Ok(()),
                DataChannelState::Closed | DataChannelState::Closing => return Err(Error::Closed),
                DataChannelState::Connecting => {}
            }
            state.changed().await.map_err(|_| Error::Closed)?;
        }
    }

    /// `bufferedAmount`.
    pub async fn buffered_amount(&self) -> usize {
        let (reply, rx) = oneshot::channel();
        if self
            .commands
            .send(Command::BufferedAmount { id: self.id, reply })
            .is_err()
        {
            return 0;
        }
        rx.await.unwrap_or(0)
    }

    /// `close()`: resets the channel's streams; the peer's side closes too.
    pub fn close(&self) {
        let _ = self.commands.send(Command::CloseChannel(self.id));
    }
}

/// `RTCDataChannel`: send through it (or a [`DataChannelSender`] clone) and receive with
/// [`RTCDataChannel::recv`].
#[derive(Debug)]
pub struct RTCDataChannel {
    pub(crate) sender: DataChannelSender,
    pub(crate) label: String,
    pub(crate) protocol: String,
    pub(crate) messages: mpsc::UnboundedReceiver<DataChannelMessage>,
}

impl RTCDataChannel {
    /// `label`.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// `protocol`.
    pub fn protocol(&self) -> &str {
        &self.protocol
    }

    /// The handle of the channel in its peer connection.
    pub fn id(&self) -> ChannelId {
        self.sender.id
    }

    /// A sending half for other tasks.
    pub fn sender(&self) -> DataChannelSender {
        self.sender.clone()
    }

    /// The next message; `None` once the channel is closed and every message was read.
    pub async fn recv(&mut self) -> Option<DataChannelMessage> {
        self.messages.recv().await
    }

    /// See [`DataChannelSender::send_text`].
    pub async fn send_text(&self, text: &str) -> Result<(), Error> {
        self.sender.send_text(text).await
    }

    /// See [`DataChannelSender::send`].
    pub async fn send(&self, data: impl Into<Bytes>) -> Result<(), Error> {
        self.sender.send(data).await
    }

    /// `readyState`.
    pub fn ready_state(&self) -> DataChannelState {
        self.sender.ready_state()
    }

    /// Waits until the channel is open.
    pub async fn opened(&self) -> Result<(), Error> {
        self.sender.opened().await
    }

    /// `bufferedAmount`.
    pub async fn buffered_amount(&self) -> usize {
        self.sender.buffered_amount().await
    }

    /// `close()`.
    pub fn close(&self) {
        self.sender.close();
    }
}
