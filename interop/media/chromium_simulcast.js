// Chromium sending simulcast to the Rust `simulcast` example (`cargo xtask interop media`,
// README.md): its fake camera at 1280x720 in three layers (rid q at a quarter, h at half, f
// at full size), offered by Chromium. The page says `complete` when every layer has sent
// enough frames, with each layer's size and Chromium's send-side bandwidth estimate
// (`availableOutgoingBitrate`), which climbs past its 300 kbit/s start only on feedback from
// the receiver (transport-cc). Signalling lines as in interop/datachannel.
'use strict';

const http = require('http');
const { chromium } = require('playwright-core');
const { signal, log, readSignals } = require('../datachannel/common');

const FLAGS = [
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  '--allow-loopback-in-peer-connection',
];

function parseArgs(argv = process.argv.slice(2)) {
  const args = { timeoutMs: 40000, frames: 30 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--offer') continue;
    else if (a === '--timeout') args.timeoutMs = Number(argv[++i]) * 1000;
    else if (a === '--frames') args.frames = Number(argv[++i]);
    else throw new Error(`unknown argument ${a}`);
  }
  return args;
}

// The page's side: one send-only video transceiver with three encodings.
function pageMain(opts) {
  const pc = new RTCPeerConnection();
  const send = (m) => window.mediaSignal(m);
  const log = (t) => console.log(t);
  let completed = false;
  let maxBitrate = 0;
  let last = {};
  pc.onicecandidate = (e) => send({ type: 'candidate', candidate: e.candidate ? e.candidate.toJSON() : { candidate: '' } });
  pc.onconnectionstatechange = () => {
    log(`connection ${pc.connectionState}`);
    if (pc.connectionState === 'failed') send({ type: 'done', ok: false, errors: ['connection failed'] });
  };
  const ready = navigator.mediaDevices
    .getUserMedia({ video: { width: 1280, height: 720, frameRate: 30 } })
    .then((stream) => {
      pc.addTransceiver(stream.getVideoTracks()[0], {
        direction: 'sendonly',
        streams: [stream],
        sendEncodings: [
          { rid: 'q', scaleResolutionDownBy: 4 },
          { rid: 'h', scaleResolutionDownBy: 2 },
          { rid: 'f' },
        ],
      });
    });
  const poll = setInterval(async () => {
    const stats = await pc.getStats();
    const now = {};
    stats.forEach((s) => {
      if (s.type === 'outbound-rtp' && s.kind === 'video' && s.rid) {
        now[s.rid] = { framesSent: s.framesSent || 0, frameWidth: s.frameWidth || 0, frameHeight: s.frameHeight || 0 };
      }
      if (s.type === 'candidate-pair' && s.nominated && s.availableOutgoingBitrate) {
        maxBitrate = Math.max(maxBitrate, s.availableOutgoingBitrate);
      }
    });
    last = now;
    const rids = Object.keys(now);
    if (!completed && rids.length === 3 && rids.every((r) => now[r].framesSent >= opts.frames)) {
      completed = true;
      send({ type: 'complete', layers: now, availableOutgoingBitrate: maxBitrate });
    }
  }, 250);
  return {
    async start() {
      await ready;
      const offer = await pc.createOffer();
      await pc.setLocalDescription(offer);
      send({ type: 'offer', sdp: offer.sdp });
    },
    async onSignal(m) {
      await ready;
      if (m.type === 'answer') {
        await pc.setRemoteDescription(m);
      } else if (m.type === 'candidate') {
        if (m.candidate && m.candidate.candidate) await pc.addIceCandidate(m.candidate);
      } else if (m.type === 'done') {
        clearInterval(poll);
        send({
          type: 'done',
          ok: completed,
          availableOutgoingBitrate: maxBitrate,
          errors: completed ? [] : [`the Rust side ended first; layers sent ${JSON.stringify(last)}, estimate ${maxBitrate}`],
        });
      }
    },
  };
}

function serve() {
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><meta charset="utf-8"><title>rtc interop: simulcast</title><body></body>');
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function main() {
  const args = parseArgs();
  const server = await serve();
  let result = null;
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: FLAGS,
    timeout: 30000,
  });
  log(`chromium ${browser.version()}`);
  const page = await browser.newPage();
  page.on('console', (msg) => log(`page: ${msg.text()}`));
  page.on('pageerror', (err) => log(`page error: ${err}`));
  await page.goto(`http://127.0.0.1:${server.address().port}/`);
  await page.exposeFunction('mediaSignal', (msg) => {
    if (msg.type === 'done') result = msg;
    signal(msg);
  });
  await page.addScriptTag({ content: `window.pageMain = ${pageMain.toString()};` });
  await page.evaluate((opts) => {
    window.peer = window.pageMain(opts);
    return window.peer.start();
  }, args);
  const timer = setTimeout(() => {
    if (!result) {
      signal({ type: 'done', ok: false, errors: [`no result after ${args.timeoutMs} ms`] });
      result = { ok: false };
    }
  }, args.timeoutMs);
  let chain = Promise.resolve();
  readSignals(
    (msg) => {
      chain = chain
        .then(() => page.evaluate((m) => window.peer.onSignal(m), msg))
        .catch((err) => log(`evaluate: ${err}`));
    },
    () => {
      clearTimeout(timer);
      chain
        .then(() => browser.close())
        .catch((err) => log(`close: ${err}`))
        .finally(() => process.exit(result && result.ok ? 0 : 1));
    },
  );
}

main().catch((err) => {
  log(`${err.stack || err}`);
  signal({ type: 'done', ok: false, errors: [`chromium_simulcast.js: ${String(err).split('\n')[0]}`] });
  process.exit(1);
});
