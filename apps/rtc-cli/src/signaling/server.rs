//! The signaling server on axum: WebSocket rooms at `/ws`, the embedded page at `/` and
//! `/r/NAME`, the page's script at `/app.js`, and `/config.json` (the ICE servers and limits
//! the page uses).
//!
//! One [`Rooms`] state machine behind a mutex holds every room; each WebSocket connection is
//! a task that feeds it frames and writes what it is given. A client whose outbox is full (it
//! does not read) is dropped rather than let its queue grow.

use std::collections::{HashMap, VecDeque};
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

use axum::Router;
use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tracing::{debug, info};

use super::IceServer;
use super::rooms::{Limits, Outgoing, PeerId, Rooms};
use crate::web;

/// Messages waiting for one client at most before it is dropped as too slow.
const OUTBOX: usize = 256;

/// What the server runs with.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Where to listen (HTTP and WebSocket); port 0 picks one.
    pub listen: SocketAddr,
    /// Room size, message size and room count limits.
    pub limits: Limits,
    /// The STUN and TURN servers told to clients.
    pub ice_servers: Vec<IceServer>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            limits: Limits::default(),
            ice_servers: Vec::new(),
        }
    }
}

/// The rooms and the clients' outboxes.
struct Hub {
    rooms: Rooms,
    clients: HashMap<PeerId, mpsc::Sender<String>>,
    next_id: PeerId,
}

impl Hub {
    fn connect(&mut self, outbox: mpsc::Sender<String>) -> PeerId {
        self.next_id += 1;
        self.clients.insert(self.next_id, outbox);
        self.next_id
    }

    /// Hands each message to its client's outbox; a client whose outbox is full is dropped
    /// (its task sees the outbox close and ends the connection) and leaves its room.
    fn deliver(&mut self, out: Vec<Outgoing>) {
        let mut queue: VecDeque<Outgoing> = out.into();
        while let Some(Outgoing { to, text }) = queue.pop_front() {
            let Some(outbox) = self.clients.get(&to) else {
                continue;
            };
            if outbox.try_send(text).is_err() {
                info!("client {to} does not read its messages: dropped");
                self.clients.remove(&to);
                queue.extend(self.rooms.disconnect(to));
            }
        }
    }

    fn disconnect(&mut self, id: PeerId) {
        self.clients.remove(&id);
        let out = self.rooms.disconnect(id);
        self.deliver(out);
    }
}

#[derive(Clone)]
struct AppState {
    hub: Arc<Mutex<Hub>>,
    /// `/config.json`.
    config_json: Arc<String>,
    limits: Limits,
}

impl AppState {
    fn with_hub<T>(&self, f: impl FnOnce(&mut Hub) -> T) -> T {
        // A panic while holding the lock cannot leave `Rooms` half-updated in a way that
        // matters more than losing the server: keep serving.
        let mut hub = self.hub.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut hub)
    }
}

/// The running server; dropping it stops it.
#[derive(Debug)]
pub struct ServerHandle {
    local_addr: SocketAddr,
    task: JoinHandle<io::Result<()>>,
}

impl ServerHandle {
    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// `ws://ADDR/ws`.
    pub fn ws_url(&self) -> String {
        format!("ws://{}/ws", self.local_addr)
    }

    /// `http://ADDR/`.
    pub fn http_url(&self) -> String {
        format!("http://{}/", self.local_addr)
    }

    /// Runs until the server fails (it does not stop by itself otherwise).
    pub async fn wait(mut self) -> io::Result<()> {
        match (&mut self.task).await {
            Ok(result) => result,
            Err(e) => Err(io::Error::other(e)),
        }
    }

    /// Stops accepting connections.
    pub fn shutdown(&self) {
        self.task.abort();
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Binds `config.listen` and serves in a task of the current runtime.
pub async fn serve(config: ServerConfig) -> io::Result<ServerHandle> {
    let listener = TcpListener::bind(config.listen).await?;
    let local_addr = listener.local_addr()?;
    let app = router(config);
    let task = tokio::spawn(async move { axum::serve(listener, app).await });
    info!("signaling server on http://{local_addr}/ (WebSocket ws://{local_addr}/ws)");
    Ok(ServerHandle { local_addr, task })
}

/// The routes, for embedding in another axum application.
pub fn router(config: ServerConfig) -> Router {
    let config_json = json!({
        "iceServers": config.ice_servers,
        "limits": {
            "roomSize": config.limits.room_size,
            "maxMessage": config.limits.max_message,
        },
    })
    .to_string();
    let ice_servers = serde_json::to_value(&config.ice_servers).unwrap_or_else(|_| json!([]));
    let state = AppState {
        hub: Arc::new(Mutex::new(Hub {
            rooms: Rooms::new(config.limits.clone(), ice_servers),
            clients: HashMap::new(),
            next_id: 0,
        })),
        config_json: Arc::new(config_json),
        limits: config.limits,
    };
    Router::new()
        .route("/", get(index))
        .route("/r/{room}", get(index))
        .route("/app.js", get(app_js))
        .route("/config.json", get(config_json_handler))
        .route("/ws", get(ws_upgrade))
        .with_state(state)
}

async fn index() -> Response {
    ([(header::CACHE_CONTROL, "no-cache")], Html(web::INDEX_HTML)).into_response()
}

async fn app_js() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        web::APP_JS,
    )
        .into_response()
}

async fn config_json_handler(State(state): State<AppState>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        state.config_json.as_str().to_owned(),
    )
        .into_response()
}

async fn ws_upgrade(State(state): State<AppState>, ws: WebSocketUpgrade) -> Response {
    // Messages over the limit are read and refused with an error (the connection carries
    // on); the WebSocket layer closes the connection (1009, RFC 6455 §7.4.1) only beyond four
    // times the limit, which bounds what one client can make the server buffer.
    let hard = state.limits.max_message.saturating_mul(4).max(1024);
    ws.max_message_size(hard)
        .max_frame_size(hard)
        .on_upgrade(move |socket| connection(socket, state))
}

async fn connection(mut socket: WebSocket, state: AppState) {
    let (outbox, mut messages) = mpsc::channel::<String>(OUTBOX);
    let id = state.with_hub(|hub| hub.connect(outbox));
    debug!("client {id} connected");
    loop {
        tokio::select! {
            incoming = socket.recv() => {
                let out = match incoming {
                    Some(Ok(Message::Text(text))) => {
                        state.with_hub(|hub| hub.rooms.handle_text(id, text.as_str()))
                    }
                    Some(Ok(Message::Binary(data))) => {
                        state.with_hub(|hub| hub.rooms.handle_binary(id, data.len()))
                    }
                    // Pings are answered by the WebSocket layer.
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                    Some(Ok(Message::Close(_)) | Err(_)) | None => break,
                };
                state.with_hub(|hub| hub.deliver(out));
            }
            outgoing = messages.recv() => {
                let Some(text) = outgoing else { break };
                if socket.send(Message::Text(text.into())).await.is_err() {
                    break;
                }
            }
        }
    }
    state.with_hub(|hub| hub.disconnect(id));
    debug!("client {id} disconnected");
}
