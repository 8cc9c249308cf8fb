//! The signaling server in-process on port 0, driven by raw WebSocket clients: joining, the
//! initiator rule, relaying, refusals that leave the connection usable, full rooms, isolated
//! rooms, message size limits, and the page's routes.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use rtc_cli::signaling::{IceServer, Limits, ServerConfig, ServerHandle, serve};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

const WAIT: Duration = Duration::from_secs(5);
/// How long "nothing arrives" is watched for.
const SILENCE: Duration = Duration::from_millis(300);

async fn server() -> ServerHandle {
    serve(ServerConfig {
        listen: "127.0.0.1:0".parse().expect("an address"),
        limits: Limits::default(),
        ice_servers: vec![IceServer {
            urls: vec!["stun:127.0.0.1:3478".to_owned()],
            ..IceServer::default()
        }],
    })
    .await
    .expect("the server binds port 0")
}

struct Client(WebSocketStream<MaybeTlsStream<TcpStream>>);

impl Client {
    async fn connect(server: &ServerHandle) -> Self {
        let (ws, _) = tokio_tungstenite::connect_async(server.ws_url())
            .await
            .expect("connects");
        Self(ws)
    }

    async fn send(&mut self, text: &str) {
        self.0
            .send(Message::Text(text.into()))
            .await
            .expect("sends");
    }

    /// The next text message as JSON; panics on anything else or after [`WAIT`].
    async fn recv(&mut self) -> Value {
        loop {
            let message = tokio::time::timeout(WAIT, self.0.next())
                .await
                .expect("a message in time")
                .expect("the connection is open")
                .expect("a frame");
            match message {
                Message::Text(text) => return serde_json::from_str(text.as_str()).expect("JSON"),
                Message::Ping(_) | Message::Pong(_) => {}
                other => panic!("unexpected frame {other:?}"),
            }
        }
    }

    /// Asserts that nothing arrives for a while.
    async fn silent(&mut self) {
        if let Ok(message) = tokio::time::timeout(SILENCE, self.0.next()).await {
            panic!("expected nothing, got {message:?}");
        }
    }

    async fn join(&mut self, room: &str) -> Value {
        self.send(&json!({ "type": "join", "room": room }).to_string())
            .await;
        let joined = self.recv().await;
        assert_eq!(joined["type"], "joined", "{joined}");
        joined
    }

    async fn expect_error(&mut self, text: &str, code: &str) -> Value {
        self.send(text).await;
        let reply = self.recv().await;
        assert_eq!(reply["type"], "error", "{text} → {reply}");
        assert_eq!(reply["code"], code, "{text} → {reply}");
        assert!(reply["reason"].as_str().is_some_and(|r| !r.is_empty()));
        reply
    }
}

#[tokio::test]
async fn the_newcomer_is_told_to_offer_and_messages_are_relayed_with_its_id() {
    let server = server().await;
    let mut a = Client::connect(&server).await;
    let mut b = Client::connect(&server).await;
    let first = a.join("call").await;
    assert_eq!(first["initiator"], false);
    assert_eq!(first["peers"], 0);
    assert_eq!(first["iceServers"][0]["urls"][0], "stun:127.0.0.1:3478");
    let second = b.join("call").await;
    assert_eq!(second["initiator"], true);
    assert_eq!(second["peers"], 1);
    let joined = a.recv().await;
    assert_eq!(joined, json!({ "type": "peer-joined", "id": second["id"] }));

    b.send(r#"{"type":"offer","sdp":"v=0\r\n"}"#).await;
    let offer = a.recv().await;
    assert_eq!(
        offer,
        json!({ "type": "offer", "sdp": "v=0\r\n", "from": second["id"] })
    );
    a.send(r#"{"type":"candidate","candidate":{"candidate":"candidate:1 1 udp 1 127.0.0.1 9 typ host","sdpMid":"0","sdpMLineIndex":0}}"#)
        .await;
    let candidate = b.recv().await;
    assert_eq!(candidate["candidate"]["sdpMid"], "0");
    assert_eq!(candidate["from"], first["id"]);
    // End-of-candidates as null.
    a.send(r#"{"type":"candidate","candidate":null}"#).await;
    assert_eq!(b.recv().await["candidate"], Value::Null);

    // Leaving: bye, then a closed socket.
    b.send(r#"{"type":"bye"}"#).await;
    assert_eq!(
        a.recv().await,
        json!({ "type": "peer-left", "id": second["id"] })
    );
    assert_eq!(b.recv().await["type"], "left");
    b.join("call").await;
    assert_eq!(a.recv().await["type"], "peer-joined");
    drop(b);
    assert_eq!(a.recv().await["type"], "peer-left");
}

#[tokio::test]
async fn malformed_messages_get_errors_and_the_connection_carries_on() {
    let server = server().await;
    let mut c = Client::connect(&server).await;
    c.expect_error("not json", "bad-json").await;
    c.expect_error("[1,2]", "bad-message").await;
    c.expect_error(r#"{"kind":"join"}"#, "bad-message").await;
    c.expect_error(r#"{"type":"dance"}"#, "unknown-type").await;
    c.expect_error(r#"{"type":"offer","sdp":"v=0"}"#, "not-joined")
        .await;
    c.expect_error(r#"{"type":"bye"}"#, "not-joined").await;
    c.expect_error(r#"{"type":"join","room":""}"#, "bad-room")
        .await;
    c.expect_error(r#"{"type":"join","room":"../etc"}"#, "bad-room")
        .await;
    c.expect_error(
        &format!(r#"{{"type":"join","room":"{}"}}"#, "r".repeat(65)),
        "bad-room",
    )
    .await;
    c.expect_error(r#"{"type":"join","room":42}"#, "bad-message")
        .await;
    c.0.send(Message::Binary(vec![1, 2, 3].into()))
        .await
        .expect("sends");
    assert_eq!(c.recv().await["code"], "binary");
    // Still usable: it joins, and a relayed message of the wrong shape is refused too.
    c.join("ok").await;
    c.expect_error(r#"{"type":"answer"}"#, "bad-message").await;
    c.expect_error(r#"{"type":"candidate","candidate":"x"}"#, "bad-message")
        .await;
    c.expect_error(r#"{"type":"join","room":"other"}"#, "already-joined")
        .await;
    c.expect_error(r#"{"type":"message","data":1,"to":"999"}"#, "unknown-peer")
        .await;
}

#[tokio::test]
async fn a_third_client_in_a_full_room_is_refused() {
    let server = server().await;
    let mut a = Client::connect(&server).await;
    let mut b = Client::connect(&server).await;
    let mut c = Client::connect(&server).await;
    a.join("pair").await;
    b.join("pair").await;
    a.recv().await; // peer-joined
    let refusal = c
        .expect_error(r#"{"type":"join","room":"pair"}"#, "room-full")
        .await;
    assert!(refusal["reason"].as_str().unwrap_or("").contains("full"));
    // The two in the room heard nothing of it, and c can use another room.
    a.silent().await;
    c.send(r#"{"type":"message","data":"let me in"}"#).await;
    assert_eq!(c.recv().await["code"], "not-joined");
    b.silent().await;
    c.join("elsewhere").await;
    // Once one leaves, there is room.
    drop(a);
    assert_eq!(b.recv().await["type"], "peer-left");
    let mut d = Client::connect(&server).await;
    assert_eq!(d.join("pair").await["initiator"], true);
}

#[tokio::test]
async fn nothing_crosses_from_one_room_to_another() {
    let server = server().await;
    let mut a1 = Client::connect(&server).await;
    let mut a2 = Client::connect(&server).await;
    let mut b1 = Client::connect(&server).await;
    let mut b2 = Client::connect(&server).await;
    a1.join("room-a").await;
    b1.join("room-b").await;
    let a2_id = a2.join("room-a").await["id"].clone();
    let b2_id = b2.join("room-b").await["id"].clone();
    assert_eq!(a1.recv().await["type"], "peer-joined");
    assert_eq!(b1.recv().await["type"], "peer-joined");

    // Everything a client of room A can send, including a `to` naming room B's client.
    a1.send(r#"{"type":"offer","sdp":"secret-a"}"#).await;
    a1.send(r#"{"type":"candidate","candidate":{"candidate":"candidate:a"}}"#)
        .await;
    a1.send(r#"{"type":"message","data":"for A only"}"#).await;
    a1.send(&json!({ "type": "message", "data": "to B?", "to": b2_id }).to_string())
        .await;
    a1.send(r#"{"type":"bye"}"#).await;
    for expected in ["offer", "candidate", "message", "peer-left"] {
        assert_eq!(a2.recv().await["type"], expected);
    }
    assert_eq!(a1.recv().await["code"], "unknown-peer");
    assert_eq!(a1.recv().await["type"], "left");
    b1.silent().await;
    b2.silent().await;

    // And the other way.
    b2.send(r#"{"type":"answer","sdp":"secret-b"}"#).await;
    assert_eq!(b1.recv().await["sdp"], "secret-b");
    a2.silent().await;
    // A spoofed `from` is replaced by the sender's id.
    b2.send(&json!({ "type": "message", "data": 1, "from": a2_id }).to_string())
        .await;
    assert_eq!(b1.recv().await["from"], b2_id);
}

#[tokio::test]
async fn an_oversize_message_is_refused() {
    let server = server().await;
    let mut a = Client::connect(&server).await;
    let mut b = Client::connect(&server).await;
    a.join("big").await;
    b.join("big").await;
    a.recv().await; // peer-joined
    let limit = Limits::default().max_message;
    let sdp = "x".repeat(limit);
    let reply = b
        .expect_error(
            &json!({ "type": "offer", "sdp": sdp }).to_string(),
            "too-large",
        )
        .await;
    assert!(
        reply["reason"]
            .as_str()
            .unwrap_or("")
            .contains(&limit.to_string())
    );
    a.silent().await;
    // Just under the limit passes.
    let fits = json!({ "type": "offer", "sdp": "x".repeat(limit - 100) }).to_string();
    assert!(fits.len() <= limit);
    b.send(&fits).await;
    assert_eq!(
        a.recv().await["sdp"].as_str().map(str::len),
        Some(limit - 100)
    );
    // Far beyond the limit (over 4x) the WebSocket layer closes the connection.
    let huge = "y".repeat(limit * 4 + 1);
    let _ = b.0.send(Message::Text(huge.into())).await;
    let closed = tokio::time::timeout(WAIT, async {
        loop {
            match b.0.next().await {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return true,
                Some(Ok(_)) => {}
            }
        }
    })
    .await
    .unwrap_or(false);
    assert!(
        closed,
        "the connection is closed after a message over the hard limit"
    );
    assert_eq!(a.recv().await["type"], "peer-left");
}

async fn http_get(server: &ServerHandle, path: &str) -> String {
    let mut stream = TcpStream::connect(server.local_addr())
        .await
        .expect("connects");
    stream
        .write_all(
            format!("GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n").as_bytes(),
        )
        .await
        .expect("writes");
    let mut response = String::new();
    tokio::time::timeout(WAIT, stream.read_to_string(&mut response))
        .await
        .expect("in time")
        .expect("reads");
    response
}

#[tokio::test]
async fn the_page_and_its_configuration_are_served() {
    let server = server().await;
    for path in ["/", "/r/demo", "/?room=demo"] {
        let page = http_get(&server, path).await;
        assert!(page.starts_with("HTTP/1.1 200"), "{path}: {page:.80}");
        assert!(page.contains("<script src=\"/app.js\">"), "{path}");
    }
    let script = http_get(&server, "/app.js").await;
    assert!(script.contains("text/javascript"));
    assert!(script.contains("crypto.subtle.digest"));
    let config = http_get(&server, "/config.json").await;
    let body = config.split("\r\n\r\n").nth(1).expect("a body");
    let value: Value = serde_json::from_str(body).expect("JSON");
    assert_eq!(value["iceServers"][0]["urls"][0], "stun:127.0.0.1:3478");
    assert_eq!(value["limits"]["roomSize"], 2);
    assert!(http_get(&server, "/nope").await.starts_with("HTTP/1.1 404"));
}
