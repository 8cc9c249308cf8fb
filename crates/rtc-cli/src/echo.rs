//! `rtc echo`: a Rust peer that sits in a room and sends every data channel message back on
//! the channel it came from, as the same type (text or binary). When the peer leaves it
//! rejoins and waits for the next one.
//!
//! Media: the page offers audio and video; `rtc` rejects those sections today (port 0 in
//! the answer) because the peer connection has no transceivers yet. [`reflect_media`] is
//! where the reflection goes once it has: every received track sent back on a transceiver
//! of the same kind.

use rtc::{RTCDataChannel, RTCPeerConnection};
use tracing::{debug, info, warn};

use crate::Error;
use crate::session::{PeerOptions, Session, SessionEvent};

/// `rtc echo`.
#[derive(Debug, Clone)]
pub struct EchoOptions {
    /// The room.
    pub peer: PeerOptions,
    /// Return after the first peer leaves instead of waiting for the next.
    pub once: bool,
}

/// Echoes in the room until an error (or, with `once`, the first peer's departure).
pub async fn run_echo(options: EchoOptions) -> Result<(), Error> {
    loop {
        let mut session = Session::start(&options.peer).await?;
        if let Some(chat) = session.chat.take() {
            tokio::spawn(echo_channel(chat));
        }
        while let Some(event) = session.next().await {
            match event {
                SessionEvent::DataChannel(dc) => {
                    info!("echoing channel {:?}", dc.label());
                    tokio::spawn(echo_channel(dc));
                }
                SessionEvent::Connected => {
                    info!("connected");
                    reflect_media(&session.pc).await;
                }
                SessionEvent::PeerJoined(id) => info!("peer {id} joined"),
                SessionEvent::PeerLeft(id) => {
                    info!("peer {id} left");
                    break;
                }
                SessionEvent::Failed(why) => {
                    warn!("{why}");
                    break;
                }
                SessionEvent::Closed => break,
            }
        }
        session.close().await;
        if options.once {
            return Ok(());
        }
        info!("waiting for the next peer");
    }
}

/// Sends each message back where it came from until the channel closes.
async fn echo_channel(mut dc: RTCDataChannel) {
    let label = dc.label().to_owned();
    if dc.opened().await.is_err() {
        return;
    }
    let sender = dc.sender();
    let mut count = 0u64;
    while let Some(message) = dc.recv().await {
        let sent = if message.is_string {
            sender.send_text(&message.text()).await
        } else {
            sender.send(message.data).await
        };
        if let Err(e) = sent {
            debug!("echo on {label:?}: {e}");
            break;
        }
        count += 1;
    }
    debug!("channel {label:?} closed after {count} echoed messages");
}

/// The media reflection hook. The facade has no transceivers yet (issue 11), so audio and
/// video sections a peer offers are answered with port 0 and nothing arrives to reflect; this
/// says so. With transceivers it will add one per offered audio/video section and send every
/// received RTP packet back on it (a loopback for the page's camera and microphone).
pub async fn reflect_media(pc: &RTCPeerConnection) {
    let Some(local) = pc.local_description().await else {
        return;
    };
    let rejected = local
        .sdp
        .lines()
        .filter(|l| l.starts_with("m=audio 0 ") || l.starts_with("m=video 0 "))
        .count();
    if rejected > 0 {
        info!(
            "the peer offered {rejected} audio/video section(s); rtc rejects them today \
             (port 0): only data channels are echoed until media lands"
        );
    }
}
