//! `RTCDataChannel`: a handle on one channel of a peer connection's driver task.

use bytes::Bytes;
use tokio::sync::{mpsc, oneshot, watch};

use crate::Error;
use crate::driver::Command;
pub use rtc_peer::{ChannelId, DataChannelInit as RTCDataChannelInit, DataChannelState};

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

/// The sending half of a data channel: cheap to clone, usable from any task.
#[derive(Debug, Clone)]
pub struct DataChannelSender {
    pub(crate) id: ChannelId,
    pub(crate) commands: mpsc::UnboundedSender<Command>,
    pub(crate) state: watch::Receiver<DataChannelState>,
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
        let (reply, rx) = oneshot::channel();
        self.commands
            .send(Command::Send {
                id: self.id,
                binary,
                data,
                reply,
            })
            .map_err(|_| Error::Closed)?;
        rx.await.map_err(|_| Error::Closed)?
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
