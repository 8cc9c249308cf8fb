//! Media tracks: [`TrackLocal`] writes encoded frames (samples) on a transceiver's sender,
//! [`TrackRemote`] reads the frames a transceiver receives, depacketized and in playout
//! order.

use std::time::Duration;

use tokio::sync::mpsc;

use crate::Error;
use crate::driver::Command;
pub use rtc_peer::{
    Codec, Direction as RTCRtpTransceiverDirection, MediaFrame, MediaKind, TrackInfo,
    TransceiverId, TransceiverInit as RTCRtpTransceiverInit,
};

/// An encoded frame to send and how long it lasts (the RTP timestamp advances by it).
#[derive(Debug, Clone)]
pub struct Sample {
    /// The encoded frame (a VP8 frame, an Opus packet, an H.264 access unit in Annex B...).
    pub data: bytes::Bytes,
    /// Its duration.
    pub duration: Duration,
}

/// The sending side of a transceiver (`RTCRtpSender` with its track).
#[derive(Debug, Clone)]
pub struct TrackLocal {
    pub(crate) id: TransceiverId,
    pub(crate) kind: MediaKind,
    pub(crate) commands: mpsc::UnboundedSender<Command>,
}

impl TrackLocal {
    /// The transceiver it sends on.
    pub fn transceiver(&self) -> TransceiverId {
        self.id
    }

    /// Audio or video.
    pub fn kind(&self) -> MediaKind {
        self.kind
    }

    /// Sends one encoded frame: packetized for the negotiated codec, protected, sent. Fails
    /// before the connection is up or when the transceiver does not send.
    pub async fn write_sample(&self, sample: Sample) -> Result<(), Error> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.commands
            .send(Command::WriteSample {
                id: self.id,
                sample,
                reply: tx,
            })
            .map_err(|_| Error::Closed)?;
        rx.await.map_err(|_| Error::Closed)?
    }

    /// The codec frames must be in, once negotiated.
    pub async fn codec(&self) -> Option<Codec> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.commands.send(Command::SendCodec(self.id, tx)).ok()?;
        rx.await.ok().flatten()
    }
}

/// The receiving side of a transceiver (`RTCRtpReceiver`'s track), from the `track` event.
#[derive(Debug)]
pub struct TrackRemote {
    pub(crate) id: TransceiverId,
    pub(crate) kind: MediaKind,
    pub(crate) mid: String,
    pub(crate) info: Option<TrackInfo>,
    pub(crate) rid: Option<String>,
    pub(crate) frames: mpsc::UnboundedReceiver<MediaFrame>,
    pub(crate) commands: mpsc::UnboundedSender<Command>,
}

impl TrackRemote {
    /// The transceiver it arrives on.
    pub fn transceiver(&self) -> TransceiverId {
        self.id
    }

    /// Audio or video.
    pub fn kind(&self) -> MediaKind {
        self.kind
    }

    /// Its transceiver's mid.
    pub fn mid(&self) -> &str {
        &self.mid
    }

    /// The peer's stream and track ids (`a=msid`), if it sent them.
    pub fn info(&self) -> Option<&TrackInfo> {
        self.info.as_ref()
    }

    /// The simulcast layer (`a=rid`) this track is, when the peer sends simulcast: each layer
    /// is a track of its own (as Pion and libwebrtc's SFUs present them).
    pub fn rid(&self) -> Option<&str> {
        self.rid.as_deref()
    }

    /// The next frame; `None` once the peer connection is closed.
    pub async fn recv(&mut self) -> Option<MediaFrame> {
        self.frames.recv().await
    }

    /// Asks the sender for a keyframe (PLI) of this track (its layer, for simulcast).
    pub fn request_keyframe(&self) {
        let _ = self
            .commands
            .send(Command::RequestKeyframe(self.id, self.rid.clone()));
    }

    /// A handle that asks for keyframes, for when the track itself moved into a task.
    pub fn keyframe_requester(&self) -> KeyframeRequester {
        KeyframeRequester {
            id: self.id,
            rid: self.rid.clone(),
            commands: self.commands.clone(),
        }
    }
}

/// Asks a remote track's sender for keyframes ([`TrackRemote::keyframe_requester`]).
#[derive(Debug, Clone)]
pub struct KeyframeRequester {
    id: TransceiverId,
    rid: Option<String>,
    commands: mpsc::UnboundedSender<Command>,
}

impl KeyframeRequester {
    /// Sends a PLI for the track.
    pub fn request_keyframe(&self) {
        let _ = self
            .commands
            .send(Command::RequestKeyframe(self.id, self.rid.clone()));
    }
}
