// node-datachannel (libdatachannel: usrsctp, libjuice) as the peer of `cargo xtask interop
// datachannel`, on its own API (not its W3C polyfill): the scenario of scenario.js,
// signalling on stdin and stdout (README.md).
'use strict';

const ndc = require('node-datachannel');
const { parseArgs, signal, log, readSignals } = require('./common');
const { Scenario, CHANNELS } = require('./scenario');

ndc.initLogger('Warning', (level, message) => log(`libdatachannel ${level}: ${message}`));

const args = parseArgs();
let result = null;
const sc = new Scenario({
  ...args,
  signal,
  log,
  onComplete: (scenario) => scenario.fact(`maxMessageSize ${pc.maxMessageSize()}`),
  onDone: (done) => {
    result = done;
  },
});

// The interop namespace has only lo; libdatachannel must be told to use it.
const pc = new ndc.PeerConnection(args.offerer ? 'offerer' : 'answerer', {
  iceServers: [],
  bindAddress: '127.0.0.1',
});

// Candidates wait until our description is out (the Rust side takes a candidate only after
// the description it belongs to).
let described = false;
const held = [];
const sendCandidate = (line) => (described ? signal(line) : held.push(line));
let mid = '0';
pc.onLocalDescription((sdp, type) => {
  signal({ type: type.toLowerCase(), sdp });
  described = true;
  for (const line of held.splice(0)) signal(line);
});
pc.onLocalCandidate((candidate, candidateMid) => {
  mid = candidateMid;
  const text = candidate.startsWith('a=') ? candidate.slice(2) : candidate;
  sendCandidate({ type: 'candidate', candidate: { candidate: text, sdpMid: candidateMid, sdpMLineIndex: 0 } });
});
pc.onGatheringStateChange((state) => {
  if (state === 'complete') {
    sendCandidate({ type: 'candidate', candidate: { candidate: '', sdpMid: mid, sdpMLineIndex: 0 } });
  }
});
pc.onStateChange((state) => {
  sc.log(`connection ${state}`);
  if (state === 'connected') {
    sc.connected();
  }
  if (state === 'failed') sc.fail('the connection failed');
});

// libdatachannel does not say whether a channel is ordered: `ordered` is not checked here.
function wire(dc) {
  const h = sc.addChannel(dc.getLabel(), undefined, {
    // false means "buffered", not refused (libdatachannel throws on an error).
    sendText: (text) => dc.sendMessage(text),
    sendBinary: (bytes) => dc.sendMessageBinary(bytes),
    close: () => dc.close(),
  });
  dc.onOpen(() => h.open());
  dc.onMessage((msg) => {
    if (typeof msg === 'string') h.message(true, Buffer.from(msg, 'utf8'));
    else h.message(false, new Uint8Array(msg));
  });
  dc.onClosed(() => h.closed());
  dc.onError((err) => sc.fail(`${dc.getLabel()}: ${err}`));
  if (dc.isOpen()) h.open();
}
pc.onDataChannel((dc) => {
  sc.log(`datachannel \`${dc.getLabel()}\` (id ${dc.getId()})`);
  if (args.offerer) sc.fail(`the Rust answerer opened channel \`${dc.getLabel()}\``);
  wire(dc);
});
const negotiated = CHANNELS.find((c) => c.id !== null);
const init = (c) => (c.id === null
  ? { unordered: !c.ordered }
  : { unordered: !c.ordered, negotiated: true, id: c.id });

function handle(msg) {
  if (sc.onSignal(msg)) return;
  switch (msg.type) {
    case 'offer':
      // Auto-negotiation answers at once (onLocalDescription).
      pc.setRemoteDescription(msg.sdp, 'offer');
      wire(pc.createDataChannel(negotiated.label, init(negotiated)));
      break;
    case 'answer':
      pc.setRemoteDescription(msg.sdp, 'answer');
      break;
    case 'candidate': {
      const c = msg.candidate;
      // libdatachannel takes the end of candidates from the description only.
      if (!c || !c.candidate) break;
      try {
        pc.addRemoteCandidate(c.candidate, c.sdpMid || '0');
      } catch (err) {
        sc.log(`addRemoteCandidate(${c.candidate}): ${err}`);
      }
      break;
    }
    default:
      throw new Error(`unexpected signalling line ${JSON.stringify(msg)}`);
  }
}

readSignals(
  (msg) => {
    try {
      handle(msg);
    } catch (err) {
      sc.fail(`${msg.type}: ${err}`);
    }
  },
  () => {
    pc.close();
    setTimeout(() => process.exit(result && result.ok ? 0 : 1), 100);
  },
);

if (args.offerer) {
  // The first channel makes libdatachannel offer (onLocalDescription).
  for (const c of CHANNELS) wire(pc.createDataChannel(c.label, init(c)));
}
