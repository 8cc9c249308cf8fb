// node-datachannel's (libdatachannel's) SDPs for `cargo xtask interop sdp`; see common.js for
// the command line and the output.
'use strict';

const ndc = require('node-datachannel');
const { parseArgs, capture } = require('./common');

ndc.initLogger('Warning', (level, message) => process.stderr.write(`libdatachannel ${level}: ${message}\n`));

const CONFIG = { iceServers: [], bindAddress: '127.0.0.1' };

// Resolves with the local description once gathering is complete (libdatachannel then puts
// the candidates into it).
function gathered(pc) {
  return new Promise((resolve, reject) => {
    const done = () => {
      const desc = pc.localDescription();
      if (desc) resolve(desc.sdp);
      else reject(new Error('gathering complete without a local description'));
    };
    pc.onGatheringStateChange((state) => state === 'complete' && done());
    if (pc.gatheringState() === 'complete') done();
  });
}

// Kept open until the process exits.
const open = [];

// A video track (VP8 and H.264, sendrecv, one SSRC), an audio track (Opus) and a data channel.
function offerMedia() {
  const pc = new ndc.PeerConnection('offerer', CONFIG);
  open.push(pc);
  const result = gathered(pc);
  const audio = new ndc.Audio('0', 'SendRecv');
  audio.addOpusCodec(111);
  audio.addSSRC(1111, 'ndc-cname', 'ndc-stream', 'ndc-audio');
  pc.addTrack(audio);
  const video = new ndc.Video('1', 'SendRecv');
  video.addVP8Codec(96);
  video.addH264Codec(102);
  video.addSSRC(2222, 'ndc-cname', 'ndc-stream', 'ndc-video');
  pc.addTrack(video);
  pc.createDataChannel('data');
  return result;
}

function offerData() {
  const pc = new ndc.PeerConnection('offerer-data', CONFIG);
  open.push(pc);
  const result = gathered(pc);
  pc.createDataChannel('data');
  return result;
}

// libdatachannel answers by itself once the remote offer is set (auto-negotiation).
function answer(sdp) {
  const pc = new ndc.PeerConnection('answerer', CONFIG);
  open.push(pc);
  const result = gathered(pc);
  pc.onTrack(() => {});
  pc.onDataChannel(() => {});
  pc.setRemoteDescription(sdp, 'offer');
  return result;
}

async function main() {
  const args = parseArgs();
  if (args.offers) {
    await capture('offer-av-data', 'offer', offerMedia);
    await capture('offer-data', 'offer', offerData);
  }
  for (const { name, sdp } of args.answers) {
    await capture(name, 'answer', () => answer(sdp));
  }
  // Closing these peer connections (or ndc.cleanup()) crashes node-datachannel 0.33.4 at
  // exit (SIGSEGV) once a media track was added; stdout is flushed (synchronous pipe), so
  // just leave.
  process.exit(0);
}

main().catch((err) => {
  process.stderr.write(`${err.stack || err}\n`);
  process.exit(1);
});
