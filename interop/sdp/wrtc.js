// @roamhq/wrtc's (libwebrtc in Node) SDPs for `cargo xtask interop sdp`; see common.js for
// the command line and the output.
'use strict';

const wrtc = require('@roamhq/wrtc');
const { parseArgs, capture } = require('./common');

const { RTCPeerConnection } = wrtc;
const { RTCAudioSource, RTCVideoSource } = wrtc.nonstandard;

function gathered(pc) {
  return new Promise((resolve) => {
    const check = () => pc.iceGatheringState === 'complete' && resolve();
    pc.addEventListener('icegatheringstatechange', check);
    check();
  });
}

const open = [];

async function localSdp(pc, description) {
  await pc.setLocalDescription(description);
  await gathered(pc);
  return pc.localDescription.sdp;
}

// Tracks from the nonstandard sources (no frames need to flow for the SDP).
function tracks() {
  return {
    audio: new RTCAudioSource().createTrack(),
    video: new RTCVideoSource().createTrack(),
  };
}

async function offerAvData() {
  const pc = new RTCPeerConnection();
  open.push(pc);
  const { audio, video } = tracks();
  const stream = new wrtc.MediaStream([audio, video]);
  pc.addTrack(audio, stream);
  pc.addTrack(video, stream);
  pc.createDataChannel('data');
  return localSdp(pc, await pc.createOffer());
}

async function answer(sdp) {
  const pc = new RTCPeerConnection();
  open.push(pc);
  pc.ondatachannel = () => {};
  await pc.setRemoteDescription({ type: 'offer', sdp });
  const sources = tracks();
  for (const transceiver of pc.getTransceivers()) {
    const track = sources[transceiver.receiver.track.kind];
    if (!track) continue;
    await transceiver.sender.replaceTrack(track);
    transceiver.direction = 'sendrecv';
  }
  return localSdp(pc, await pc.createAnswer());
}

async function main() {
  const args = parseArgs();
  if (args.offers) {
    await capture('offer-av-data', 'offer', offerAvData);
  }
  for (const { name, sdp } of args.answers) {
    await capture(name, 'answer', () => answer(sdp));
  }
  for (const pc of open) pc.close();
  // The nonstandard sources keep the event loop alive.
  process.exit(0);
}

main().catch((err) => {
  process.stderr.write(`${err.stack || err}\n`);
  process.exit(1);
});
