// Chromium (headless /usr/bin/chromium driven by playwright-core) as the peer of `cargo xtask
// interop datachannel`: the W3C half of the scenario (scenario.js and w3c.js) runs in a blank
// page served on 127.0.0.1; its signalling lines go through page.exposeFunction to our
// stdout, and stdin's lines into the page with page.evaluate (README.md).
//
// Not about:blank: Chromium gathers no candidate at all there (its opaque origin gets no media
// permission, and without it no loopback host candidate; seen with Chromium 156).
'use strict';

const fs = require('fs');
const http = require('http');
const path = require('path');
const { chromium } = require('playwright-core');
const { parseArgs, signal, log, readSignals } = require('./common');

// The flags of the shared INTEROP notes: the loopback host candidate needs
// --allow-loopback-in-peer-connection and the media permission of --use-fake-ui-for-media-stream
// (which also keeps the address from being hidden behind an mDNS name). playwright adds
// --headless, --no-sandbox and its own --user-data-dir and talks over a pipe.
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

// A blank page on 127.0.0.1 (a secure context with an origin the fake media UI grants).
function serve() {
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><meta charset="utf-8"><title>rtc interop: data channels</title>');
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
  await page.goto(`http://127.0.0.1:${server.address().port}/`);
  page.on('console', (msg) => log(`page: ${msg.text()}`));
  page.on('pageerror', (err) => log(`page error: ${err}`));
  page.on('crash', () => {
    signal({ type: 'done', ok: false, errors: ['the page crashed'] });
  });
  await page.exposeFunction('dcSignal', (msg) => {
    if (msg.type === 'done') result = msg;
    signal(msg);
  });
  for (const file of ['scenario.js', 'w3c.js']) {
    await page.addScriptTag({ content: fs.readFileSync(path.join(__dirname, file), 'utf8') });
  }
  await page.evaluate((opts) => {
    window.dcPeer = window.DcW3C.runW3C(RTCPeerConnection, {
      ...opts,
      signal: (msg) => window.dcSignal(msg),
      log: (text) => console.log(text),
    });
  }, args);

  // In order: each line is handed to the page after the previous one.
  let chain = Promise.resolve();
  readSignals(
    (msg) => {
      chain = chain
        .then(() => page.evaluate((m) => window.dcPeer.onSignal(m), msg))
        .catch((err) => log(`evaluate: ${err}`));
    },
    () => {
      chain
        .then(() => browser.close())
        .catch((err) => log(`close: ${err}`))
        .finally(() => process.exit(result && result.ok ? 0 : 1));
    },
  );
}

main().catch((err) => {
  log(`${err.stack || err}`);
  signal({ type: 'done', ok: false, errors: [`chromium.js: ${String(err).split('\n')[0]}`] });
  process.exit(1);
});
