//! The rooms of the signaling server as a synchronous state machine: text in from a client,
//! texts out to clients. No sockets, no clock, so every rule is testable without a network;
//! [`super::server`] feeds it WebSocket frames.
//!
//! The protocol (after apprtc's rooms; docs/demo.md has the full table):
//!
//! - `{"type":"join","room":"NAME"}` → `{"type":"joined","room":..,"id":..,"initiator":bool,
//!   "peers":N,"others":[ids],"iceServers":[..]}` to the client, `{"type":"peer-joined","id":..}`
//!   to the others in the room. `initiator` is true when others were there first: **the
//!   newcomer makes the offer** (the one rule both the page and the CLI peers follow).
//! - `offer`/`answer` (`{"type":"offer","sdp":".."}`, W3C `RTCSessionDescriptionInit`),
//!   `candidate` (`{"type":"candidate","candidate":{"candidate":..,"sdpMid":..,
//!   "sdpMLineIndex":..}}`, W3C `RTCIceCandidateInit`, `null` or an empty `candidate` for
//!   end-of-candidates) and `message` (`{"type":"message","data":any}`, for the application)
//!   go to the other members of the sender's room only, with `"from":ID` added; an optional
//!   `"to":ID` picks one member.
//! - `{"type":"bye"}` leaves the room (`{"type":"left"}` back, `peer-left` to the others); a
//!   closed socket leaves too.
//! - Anything else gets `{"type":"error","code":..,"reason":..}` and the connection carries on.

use std::collections::HashMap;
use std::fmt;

use serde_json::{Map, Value, json};

/// A client of the server, numbered from 1 in order of connection.
pub type PeerId = u64;

/// Longest room name.
pub const MAX_ROOM_NAME: usize = 64;

/// What the server accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Members of one room at most (2: a call between two peers).
    pub room_size: usize,
    /// Bytes of one WebSocket message at most (64 KiB); larger ones are refused with an error.
    pub max_message: usize,
    /// Rooms open at once at most.
    pub max_rooms: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            room_size: 2,
            max_message: 64 * 1024,
            max_rooms: 1000,
        }
    }
}

/// A text for one client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    /// The client.
    pub to: PeerId,
    /// The JSON text.
    pub text: String,
}

/// Why a client's message was refused; sent back as `{"type":"error","code":..,"reason":..}`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Refusal {
    /// Larger than [`Limits::max_message`].
    TooLarge {
        /// Its size.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A binary frame: the protocol is JSON text.
    Binary,
    /// Not JSON.
    BadJson(String),
    /// JSON, but not an object with a string `type`, or a field of the wrong shape.
    BadMessage(&'static str),
    /// A `type` the server does not know.
    UnknownType(String),
    /// A relayed message or `bye` before `join`.
    NotJoined,
    /// `join` while in a room.
    AlreadyJoined(String),
    /// A room name that is empty, too long, or has characters outside `[A-Za-z0-9_-]`.
    BadRoomName,
    /// The room has [`Limits::room_size`] members.
    RoomFull {
        /// The room.
        room: String,
        /// Its limit.
        size: usize,
    },
    /// [`Limits::max_rooms`] rooms are open.
    TooManyRooms,
    /// `to` names no other member of the sender's room.
    UnknownPeer(String),
}

impl Refusal {
    /// A stable name for programs.
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooLarge { .. } => "too-large",
            Self::Binary => "binary",
            Self::BadJson(_) => "bad-json",
            Self::BadMessage(_) => "bad-message",
            Self::UnknownType(_) => "unknown-type",
            Self::NotJoined => "not-joined",
            Self::AlreadyJoined(_) => "already-joined",
            Self::BadRoomName => "bad-room",
            Self::RoomFull { .. } => "room-full",
            Self::TooManyRooms => "too-many-rooms",
            Self::UnknownPeer(_) => "unknown-peer",
        }
    }

    /// The error message for the client.
    pub fn to_json(&self) -> String {
        json!({ "type": "error", "code": self.code(), "reason": self.to_string() }).to_string()
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooLarge { len, max } => {
                write!(f, "message of {len} bytes refused: the limit is {max}")
            }
            Self::Binary => f.write_str("binary frames are not part of the protocol"),
            Self::BadJson(e) => write!(f, "not JSON: {e}"),
            Self::BadMessage(what) => write!(f, "malformed message: {what}"),
            Self::UnknownType(t) => write!(f, "unknown message type {t:?}"),
            Self::NotJoined => f.write_str("join a room first"),
            Self::AlreadyJoined(room) => {
                write!(
                    f,
                    "already in room {room:?}; send bye before joining another"
                )
            }
            Self::BadRoomName => write!(
                f,
                "room names are 1 to {MAX_ROOM_NAME} characters of A-Z, a-z, 0-9, '_' and '-'"
            ),
            Self::RoomFull { room, size } => write!(f, "room {room:?} is full ({size} peers)"),
            Self::TooManyRooms => f.write_str("too many rooms are open; try again later"),
            Self::UnknownPeer(id) => write!(f, "no peer {id:?} in your room"),
        }
    }
}

/// Whether `name` is a valid room name.
pub fn valid_room_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_ROOM_NAME
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// The message types relayed to the other members of a room.
const RELAYED: [&str; 4] = ["offer", "answer", "candidate", "message"];

/// Every room and who is in it.
#[derive(Debug)]
pub struct Rooms {
    limits: Limits,
    /// The `iceServers` array told to each client in `joined`.
    ice_servers: Value,
    /// Members in order of joining.
    rooms: HashMap<String, Vec<PeerId>>,
    /// The room of each member.
    membership: HashMap<PeerId, String>,
}

impl Rooms {
    /// No rooms yet. `ice_servers` is a JSON array in the W3C `RTCIceServer` shape.
    pub fn new(limits: Limits, ice_servers: Value) -> Self {
        Self {
            limits,
            ice_servers,
            rooms: HashMap::new(),
            membership: HashMap::new(),
        }
    }

    /// The limits.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Rooms open now.
    pub fn room_count(&self) -> usize {
        self.rooms.len()
    }

    /// The members of `room`, in order of joining.
    pub fn members(&self, room: &str) -> &[PeerId] {
        self.rooms.get(room).map_or(&[], Vec::as_slice)
    }

    /// A text message from `from`: what to send, and to whom.
    pub fn handle_text(&mut self, from: PeerId, text: &str) -> Vec<Outgoing> {
        match self.handle(from, text) {
            Ok(out) => out,
            Err(refusal) => vec![Outgoing {
                to: from,
                text: refusal.to_json(),
            }],
        }
    }

    /// A binary message from `from`: refused.
    pub fn handle_binary(&mut self, from: PeerId, len: usize) -> Vec<Outgoing> {
        let refusal = if len > self.limits.max_message {
            Refusal::TooLarge {
                len,
                max: self.limits.max_message,
            }
        } else {
            Refusal::Binary
        };
        vec![Outgoing {
            to: from,
            text: refusal.to_json(),
        }]
    }

    /// `from` disconnected: the others in its room are told.
    pub fn disconnect(&mut self, from: PeerId) -> Vec<Outgoing> {
        self.leave(from).map(|(_, out)| out).unwrap_or_default()
    }

    fn handle(&mut self, from: PeerId, text: &str) -> Result<Vec<Outgoing>, Refusal> {
        if text.len() > self.limits.max_message {
            return Err(Refusal::TooLarge {
                len: text.len(),
                max: self.limits.max_message,
            });
        }
        let value: Value =
            serde_json::from_str(text).map_err(|e| Refusal::BadJson(e.to_string()))?;
        let Value::Object(mut message) = value else {
            return Err(Refusal::BadMessage("not a JSON object"));
        };
        let kind = match message.get("type") {
            Some(Value::String(t)) => t.clone(),
            _ => return Err(Refusal::BadMessage("no string \"type\"")),
        };
        match kind.as_str() {
            "join" => {
                let room = match message.get("room") {
                    Some(Value::String(r)) => r.clone(),
                    _ => return Err(Refusal::BadMessage("join needs a string \"room\"")),
                };
                self.join(from, room)
            }
            "bye" => {
                let (room, mut out) = self.leave(from).ok_or(Refusal::NotJoined)?;
                out.push(Outgoing {
                    to: from,
                    text: json!({ "type": "left", "room": room }).to_string(),
                });
                Ok(out)
            }
            t if RELAYED.contains(&t) => {
                check_relayed(t, &message)?;
                self.relay(from, &mut message)
            }
            _ => Err(Refusal::UnknownType(kind)),
        }
    }

    fn join(&mut self, from: PeerId, room: String) -> Result<Vec<Outgoing>, Refusal> {
        if let Some(current) = self.membership.get(&from) {
            return Err(Refusal::AlreadyJoined(current.clone()));
        }
        if !valid_room_name(&room) {
            return Err(Refusal::BadRoomName);
        }
        let others = match self.rooms.get(&room) {
            Some(members) if members.len() >= self.limits.room_size => {
                return Err(Refusal::RoomFull {
                    room,
                    size: self.limits.room_size,
                });
            }
            Some(members) => members.clone(),
            None if self.rooms.len() >= self.limits.max_rooms => {
                return Err(Refusal::TooManyRooms);
            }
            None => Vec::new(),
        };
        self.rooms.entry(room.clone()).or_default().push(from);
        self.membership.insert(from, room.clone());
        let mut out = vec![Outgoing {
            to: from,
            text: json!({
                "type": "joined",
                "room": room,
                "id": from.to_string(),
                "initiator": !others.is_empty(),
                "peers": others.len(),
                "others": others.iter().map(ToString::to_string).collect::<Vec<_>>(),
                "iceServers": self.ice_servers,
            })
            .to_string(),
        }];
        let joined = json!({ "type": "peer-joined", "id": from.to_string() }).to_string();
        out.extend(others.iter().map(|&to| Outgoing {
            to,
            text: joined.clone(),
        }));
        Ok(out)
    }

    /// Takes `from` out of its room: its name, and the `peer-left` messages for the others.
    fn leave(&mut self, from: PeerId) -> Option<(String, Vec<Outgoing>)> {
        let room = self.membership.remove(&from)?;
        let mut out = Vec::new();
        if let Some(members) = self.rooms.get_mut(&room) {
            members.retain(|&m| m != from);
            let left = json!({ "type": "peer-left", "id": from.to_string() }).to_string();
            out.extend(members.iter().map(|&to| Outgoing {
                to,
                text: left.clone(),
            }));
            if members.is_empty() {
                self.rooms.remove(&room);
            }
        }
        Some((room, out))
    }

    fn relay(
        &mut self,
        from: PeerId,
        message: &mut Map<String, Value>,
    ) -> Result<Vec<Outgoing>, Refusal> {
        let room = self.membership.get(&from).ok_or(Refusal::NotJoined)?;
        let members = self.members(room);
        let to = match message.remove("to") {
            None | Some(Value::Null) => None,
            Some(Value::String(id)) => {
                let peer = id
                    .parse::<PeerId>()
                    .ok()
                    .filter(|p| *p != from && members.contains(p))
                    .ok_or(Refusal::UnknownPeer(id))?;
                Some(peer)
            }
            Some(_) => return Err(Refusal::BadMessage("\"to\" must be a peer id string")),
        };
        // The server says who sent it; a client cannot claim another id.
        message.insert("from".to_owned(), Value::String(from.to_string()));
        let text = Value::Object(std::mem::take(message)).to_string();
        Ok(members
            .iter()
            .copied()
            .filter(|&m| m != from && to.is_none_or(|t| t == m))
            .map(|to| Outgoing {
                to,
                text: text.clone(),
            })
            .collect())
    }
}

/// The fields a relayed message must have: a string `sdp` in descriptions, a `candidate`
/// object (or `null`) in candidates.
fn check_relayed(kind: &str, message: &Map<String, Value>) -> Result<(), Refusal> {
    match kind {
        "offer" | "answer" => match message.get("sdp") {
            Some(Value::String(_)) => Ok(()),
            _ => Err(Refusal::BadMessage("a description needs a string \"sdp\"")),
        },
        "candidate" => match message.get("candidate") {
            Some(Value::Object(c)) => match c.get("candidate") {
                Some(Value::String(_)) | None => Ok(()),
                Some(_) => Err(Refusal::BadMessage("candidate.candidate must be a string")),
            },
            Some(Value::Null) => Ok(()),
            _ => Err(Refusal::BadMessage(
                "a candidate needs a \"candidate\" object (RTCIceCandidateInit) or null",
            )),
        },
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rooms() -> Rooms {
        Rooms::new(Limits::default(), json!([]))
    }

    fn parse(out: &Outgoing) -> Value {
        serde_json::from_str(&out.text).expect("the server writes JSON")
    }

    #[test]
    fn the_second_to_join_is_the_initiator() {
        let mut r = rooms();
        let out = r.handle_text(1, r#"{"type":"join","room":"a"}"#);
        assert_eq!(out.len(), 1);
        let joined = parse(&out[0]);
        assert_eq!(joined["type"], "joined");
        assert_eq!(joined["initiator"], false);
        assert_eq!(joined["peers"], 0);
        let out = r.handle_text(2, r#"{"type":"join","room":"a"}"#);
        assert_eq!(out.len(), 2);
        assert_eq!(
            (out[0].to, parse(&out[0])["initiator"].clone()),
            (2, json!(true))
        );
        assert_eq!(parse(&out[0])["others"], json!(["1"]));
        assert_eq!(
            (out[1].to, parse(&out[1])),
            (1, json!({"type":"peer-joined","id":"2"}))
        );
    }

    #[test]
    fn relayed_messages_carry_the_senders_id_and_stay_in_the_room() {
        let mut r = rooms();
        for (peer, room) in [(1, "a"), (2, "a"), (3, "b"), (4, "b")] {
            r.handle_text(peer, &format!(r#"{{"type":"join","room":"{room}"}}"#));
        }
        let out = r.handle_text(1, r#"{"type":"offer","sdp":"v=0","from":"4"}"#);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].to, 2);
        assert_eq!(
            parse(&out[0]),
            json!({"type":"offer","sdp":"v=0","from":"1"})
        );
        // A `to` outside the room is refused, not delivered.
        let out = r.handle_text(1, r#"{"type":"message","data":1,"to":"3"}"#);
        assert_eq!(
            (out[0].to, parse(&out[0])["code"].clone()),
            (1, json!("unknown-peer"))
        );
    }

    #[test]
    fn bye_and_disconnect_tell_the_others() {
        let mut r = rooms();
        r.handle_text(1, r#"{"type":"join","room":"a"}"#);
        r.handle_text(2, r#"{"type":"join","room":"a"}"#);
        let out = r.handle_text(2, r#"{"type":"bye"}"#);
        assert_eq!(parse(&out[0]), json!({"type":"peer-left","id":"2"}));
        assert_eq!(parse(&out[1]), json!({"type":"left","room":"a"}));
        // 2 may join again.
        r.handle_text(2, r#"{"type":"join","room":"a"}"#);
        let out = r.disconnect(1);
        assert_eq!(
            (out[0].to, parse(&out[0])),
            (2, json!({"type":"peer-left","id":"1"}))
        );
        r.disconnect(2);
        assert_eq!(r.room_count(), 0);
    }

    #[test]
    fn refusals() {
        let mut r = Rooms::new(
            Limits {
                room_size: 2,
                max_message: 100,
                max_rooms: 1,
            },
            json!([]),
        );
        let code = |r: &mut Rooms, peer, text: &str| {
            let out = r.handle_text(peer, text);
            assert_eq!(out.len(), 1, "{text}");
            assert_eq!(out[0].to, peer);
            parse(&out[0])["code"].as_str().unwrap_or("").to_owned()
        };
        assert_eq!(code(&mut r, 1, "{nope"), "bad-json");
        assert_eq!(code(&mut r, 1, "[1]"), "bad-message");
        assert_eq!(code(&mut r, 1, r#"{"type":"dance"}"#), "unknown-type");
        assert_eq!(
            code(&mut r, 1, r#"{"type":"offer","sdp":"x"}"#),
            "not-joined"
        );
        assert_eq!(code(&mut r, 1, r#"{"type":"bye"}"#), "not-joined");
        assert_eq!(code(&mut r, 1, r#"{"type":"join","room":""}"#), "bad-room");
        assert_eq!(
            code(&mut r, 1, r#"{"type":"join","room":"a/b"}"#),
            "bad-room"
        );
        assert_eq!(
            code(&mut r, 1, r#"{"type":"join","room":7}"#),
            "bad-message"
        );
        let long = format!(
            r#"{{"type":"join","room":"{}"}}"#,
            "x".repeat(MAX_ROOM_NAME + 1)
        );
        assert_eq!(code(&mut r, 1, &long), "bad-room");
        assert_eq!(code(&mut r, 1, &"x".repeat(101)), "too-large");
        r.handle_text(1, r#"{"type":"join","room":"a"}"#);
        assert_eq!(
            code(&mut r, 1, r#"{"type":"join","room":"a"}"#),
            "already-joined"
        );
        assert_eq!(code(&mut r, 1, r#"{"type":"offer"}"#), "bad-message");
        assert_eq!(
            code(&mut r, 1, r#"{"type":"candidate","candidate":5}"#),
            "bad-message"
        );
        assert_eq!(
            code(&mut r, 2, r#"{"type":"join","room":"b"}"#),
            "too-many-rooms"
        );
        r.handle_text(2, r#"{"type":"join","room":"a"}"#);
        assert_eq!(
            code(&mut r, 3, r#"{"type":"join","room":"a"}"#),
            "room-full"
        );
        assert!(r.handle_binary(3, 5)[0].text.contains("\"binary\""));
        assert!(r.handle_binary(3, 500)[0].text.contains("too-large"));
        // Refused clients change nothing.
        assert_eq!(r.members("a"), &[1, 2]);
    }

    #[test]
    fn room_names() {
        assert!(valid_room_name("Room_1-x"));
        assert!(valid_room_name(&"a".repeat(MAX_ROOM_NAME)));
        for bad in ["", "a b", "é", "a.b", "../x"] {
            assert!(!valid_room_name(bad), "{bad}");
        }
        assert!(!valid_room_name(&"a".repeat(MAX_ROOM_NAME + 1)));
    }
}
