//! Any sequence of joins, relays, byes, disconnects and garbage from a handful of clients:
//! no room ever holds more than its limit, and a relayed message only ever reaches members
//! of its sender's room other than the sender, with the sender's id as `from`.

use std::collections::HashMap;

use proptest::prelude::*;
use rtc_cli::signaling::{Limits, PeerId, Rooms};
use serde_json::{Value, json};

#[derive(Debug, Clone)]
enum Op {
    Join(PeerId, usize),
    Relay(PeerId, &'static str, Option<PeerId>),
    Bye(PeerId),
    Disconnect(PeerId),
    Garbage(PeerId, String),
}

const ROOMS: [&str; 3] = ["a", "b", "c"];
const PEERS: PeerId = 6;

fn op() -> impl Strategy<Value = Op> {
    let peer = 1..=PEERS;
    prop_oneof![
        (peer.clone(), 0..ROOMS.len()).prop_map(|(p, r)| Op::Join(p, r)),
        (
            peer.clone(),
            prop::sample::select(vec!["offer", "answer", "candidate", "message"]),
            prop::option::of(1..=PEERS)
        )
            .prop_map(|(p, t, to)| Op::Relay(p, t, to)),
        peer.clone().prop_map(Op::Bye),
        peer.clone().prop_map(Op::Disconnect),
        (peer, ".{0,40}").prop_map(|(p, g)| Op::Garbage(p, g)),
    ]
}

proptest! {
    #[test]
    fn rooms_stay_isolated_and_bounded(ops in prop::collection::vec(op(), 1..80)) {
        let limits = Limits { room_size: 2, max_message: 1024, max_rooms: 2 };
        let mut rooms = Rooms::new(limits, json!([]));
        // Our model of who is where, from the server's own replies.
        let mut member_of: HashMap<PeerId, String> = HashMap::new();
        for op in ops {
            let (from, out) = match &op {
                Op::Join(p, r) => {
                    (*p, rooms.handle_text(*p, &json!({"type":"join","room":ROOMS[*r]}).to_string()))
                }
                Op::Relay(p, t, to) => {
                    let mut m = json!({"type": t, "sdp": "v=0", "candidate": null, "data": 1});
                    if let Some(to) = to {
                        m["to"] = json!(to.to_string());
                    }
                    (*p, rooms.handle_text(*p, &m.to_string()))
                }
                Op::Bye(p) => (*p, rooms.handle_text(*p, r#"{"type":"bye"}"#)),
                Op::Disconnect(p) => (*p, rooms.disconnect(*p)),
                Op::Garbage(p, g) => (*p, rooms.handle_text(*p, g)),
            };
            let sender_room = member_of.get(&from).cloned();
            for o in &out {
                let v: Value = serde_json::from_str(&o.text).expect("the server writes JSON");
                match v["type"].as_str().unwrap_or("") {
                    "offer" | "answer" | "candidate" | "message" => {
                        // Relayed: to another member of the sender's room, marked as the sender's.
                        prop_assert_eq!(&v["from"], &json!(from.to_string()));
                        prop_assert_ne!(o.to, from);
                        prop_assert!(sender_room.is_some());
                        prop_assert_eq!(member_of.get(&o.to), sender_room.as_ref());
                    }
                    "error" | "joined" | "left" => prop_assert_eq!(o.to, from),
                    "peer-joined" | "peer-left" => prop_assert_ne!(o.to, from),
                    other => prop_assert!(false, "unexpected message type {}", other),
                }
            }
            // Update the model from what the server said to the sender.
            match &op {
                Op::Join(p, r) if out.iter().any(|o| o.to == *p && o.text.contains("\"joined\"")) => {
                    member_of.insert(*p, ROOMS[*r].to_owned());
                }
                Op::Bye(p) if out.iter().any(|o| o.to == *p && o.text.contains("\"left\"")) => {
                    member_of.remove(p);
                }
                Op::Disconnect(p) => {
                    member_of.remove(p);
                }
                _ => {}
            }
            for room in ROOMS {
                let members = rooms.members(room);
                prop_assert!(members.len() <= 2);
                for m in members {
                    prop_assert_eq!(member_of.get(m).map(String::as_str), Some(room));
                }
            }
            prop_assert!(rooms.room_count() <= 2);
        }
    }
}
