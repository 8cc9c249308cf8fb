//! `rtc echo`: a Rust peer that sits in a room and sends every data channel message back on
//! the channel it came from, as the same type (text or binary). When the peer leaves it
//! rejoins and waits for the next one.
//!
//! Media: the echo peer has a video and an audio track of its own (negotiated in its offer,
//! or reusing the transceivers of the peer's offer); every frame a remote track delivers is
//! written back on our track of the same kind with the sender's timing ([`reflect`]), and the
//! peer's keyframe requests for our tracks go back to its sender.

use std::collections::HashMap;
use std::time::Duration;

use rtc::{KeyframeRequester, MediaKind, RTCDataChannel, Sample, TrackLocal, TrackRemote};
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
        let mut requesters: HashMap<MediaKind, KeyframeRequester> = HashMap::new();
        if let Some(chat) = session.chat.take() {
            tokio::spawn(echo_channel(chat));
        }
        while let Some(event) = session.next().await {
            match event {
                SessionEvent::DataChannel(dc) => {
                    info!("echoing channel {:?}", dc.label());
                    tokio::spawn(echo_channel(dc));
                }
                SessionEvent::Connected => info!("connected"),
                SessionEvent::Track(track) => {
                    let kind = track.kind();
                    info!("reflecting the peer's {kind:?} (mid {})", track.mid());
                    requesters.insert(kind, track.keyframe_requester());
                    if let Some(ours) = session.tracks.iter().find(|t| t.kind() == kind) {
                        tokio::spawn(reflect(track, ours.clone()));
                    }
                }
                SessionEvent::KeyframeRequest(id) => {
                    let kind = session
                        .tracks
                        .iter()
                        .find(|t| t.transceiver() == id)
                        .map(TrackLocal::kind);
                    if let Some(r) = kind.and_then(|k| requesters.get(&k)) {
                        r.request_keyframe();
                    }
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

/// Writes every frame of `remote` on `local`, each lasting until the next one's RTP
/// timestamp (so the reflection keeps the sender's timing); ends with either track.
pub async fn reflect(mut remote: TrackRemote, local: TrackLocal) {
    let mut previous: Option<rtc::MediaFrame> = None;
    let mut reflected = 0u64;
    while let Some(frame) = remote.recv().await {
        if let Some(last) = previous.take() {
            let clock = u64::from(last.codec.clock_rate.max(1));
            let ticks = u64::from(frame.timestamp.wrapping_sub(last.timestamp));
            let duration = Duration::from_micros(ticks * 1_000_000 / clock);
            let sample = Sample {
                data: last.data.into(),
                duration: duration.min(Duration::from_millis(200)),
            };
            match local.write_sample(sample).await {
                Ok(()) => reflected += 1,
                Err(rtc::Error::Closed) => break,
                Err(e) => debug!("reflect: {e}"),
            }
        }
        previous = Some(frame);
    }
    debug!("reflected {reflected} frames");
}
