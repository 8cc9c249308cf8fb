// @roamhq/wrtc (libwebrtc in Node) as the peer of `cargo xtask interop datachannel`: the W3C
// half of the scenario (w3c.js), signalling on stdin and stdout (README.md).
'use strict';

const wrtc = require('@roamhq/wrtc');
const { parseArgs, signal, log, readSignals } = require('./common');
const { runW3C } = require('./w3c');

const args = parseArgs();
let result = null;
const peer = runW3C(wrtc.RTCPeerConnection, {
  ...args,
  signal,
  log,
  onDone: (done) => {
    result = done;
  },
});
// Once the xtask has both results it ends our stdin.
readSignals(peer.onSignal, () => {
  peer.close();
  // wrtc's threads keep the process alive.
  setTimeout(() => process.exit(result && result.ok ? 0 : 1), 100);
});
