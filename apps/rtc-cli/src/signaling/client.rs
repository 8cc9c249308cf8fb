//! The WebSocket client of the CLI's peers: one task owns the socket; the application sends
//! JSON values and receives the server's messages through channels.

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tracing::{debug, warn};

use super::IceServer;
use crate::Error;

/// What the server said to `join`.
#[derive(Debug, Clone)]
pub struct Joined {
    /// The room.
    pub room: String,
    /// Our id in it.
    pub id: String,
    /// Others were there first: we make the offer.
    pub initiator: bool,
    /// How many others are in the room.
    pub peers: usize,
    /// The STUN and TURN servers the server recommends.
    pub ice_servers: Vec<IceServer>,
}

/// A connection to the signaling server.
#[derive(Debug)]
pub struct SignalingClient {
    outgoing: mpsc::UnboundedSender<String>,
    incoming: mpsc::UnboundedReceiver<Value>,
}

impl SignalingClient {
    /// Connects to `url` (`ws://HOST:PORT/ws`).
    pub async fn connect(url: &str) -> Result<Self, Error> {
        let (socket, _) = tokio_tungstenite::connect_async(url)
            .await
            .map_err(|e| Error::Signaling(format!("cannot connect to {url}: {e}")))?;
        let (mut sink, mut stream) = socket.split();
        let (outgoing, mut to_send) = mpsc::unbounded_channel::<String>();
        let (deliver, incoming) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    message = stream.next() => match message {
                        Some(Ok(Message::Text(text))) => {
                            match serde_json::from_str::<Value>(text.as_str()) {
                                Ok(value) => {
                                    if deliver.send(value).is_err() {
                                        break;
                                    }
                                }
                                Err(e) => warn!("signaling: not JSON from the server: {e}"),
                            }
                        }
                        Some(Ok(Message::Close(_)) | Err(_)) | None => break,
                        Some(Ok(_)) => {}
                    },
                    text = to_send.recv() => {
                        let Some(text) = text else {
                            let _ = sink.send(Message::Close(None)).await;
                            break;
                        };
                        if sink.send(Message::Text(text.into())).await.is_err() {
                            break;
                        }
                    }
                }
            }
            debug!("signaling connection closed");
        });
        Ok(Self { outgoing, incoming })
    }

    /// Sends one message.
    pub fn send(&self, message: &Value) -> Result<(), Error> {
        self.outgoing
            .send(message.to_string())
            .map_err(|_| Error::Signaling("the signaling connection is closed".to_owned()))
    }

    /// A sender for other tasks.
    pub fn sender(&self) -> mpsc::UnboundedSender<String> {
        self.outgoing.clone()
    }

    /// The next message from the server; `None` once the connection is closed.
    pub async fn recv(&mut self) -> Option<Value> {
        self.incoming.recv().await
    }

    /// Joins `room`: the server's `joined`, or its refusal.
    pub async fn join(&mut self, room: &str) -> Result<Joined, Error> {
        self.send(&json!({ "type": "join", "room": room }))?;
        loop {
            let Some(message) = self.recv().await else {
                return Err(Error::Signaling(
                    "the server closed the connection before `joined`".to_owned(),
                ));
            };
            match message.get("type").and_then(Value::as_str) {
                Some("joined") => {
                    let text = |key: &str| {
                        message
                            .get(key)
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_owned()
                    };
                    let ice_servers = message
                        .get("iceServers")
                        .cloned()
                        .and_then(|v| serde_json::from_value(v).ok())
                        .unwrap_or_default();
                    return Ok(Joined {
                        room: text("room"),
                        id: text("id"),
                        initiator: message.get("initiator") == Some(&Value::Bool(true)),
                        peers: message
                            .get("peers")
                            .and_then(Value::as_u64)
                            .and_then(|n| usize::try_from(n).ok())
                            .unwrap_or(0),
                        ice_servers,
                    });
                }
                Some("error") => {
                    return Err(Error::Refused {
                        code: message
                            .get("code")
                            .and_then(Value::as_str)
                            .unwrap_or("error")
                            .to_owned(),
                        reason: message
                            .get("reason")
                            .and_then(Value::as_str)
                            .unwrap_or("(no reason)")
                            .to_owned(),
                    });
                }
                other => debug!("signaling: {other:?} before `joined`, ignored"),
            }
        }
    }
}
