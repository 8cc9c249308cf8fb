// Headless Debian Chromium (/usr/bin/chromium, or $CHROMIUM) driven by playwright-core, as the
// interop scripts launch it: interop/sdp/chromium.js and interop/dtls/capture_chromium.js
// (withReadyPage), interop/datachannel/chromium.js and interop/media/chromium.js
// (runSignallingPeer), interop/demo/demo.js (launch). Their page logic stays in each script.
'use strict';

const http = require('http');
const { signal, log, readSignals } = require('../datachannel/common');

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

// For pages whose <video>/<audio> play remote media without a click.
const AUTOPLAY = '--autoplay-policy=no-user-gesture-required';

// Chromium with FLAGS and then `extraFlags`; `options` go to chromium.launch as they are (e.g.
// its `timeout`).
function launch(extraFlags = [], options = {}) {
  // Required here, not above: interop/sdp/common.js takes withTimeout from this module for the
  // peers that have no browser.
  const { chromium } = require('playwright-core');
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: [...FLAGS, ...extraFlags],
    ...options,
  });
}

// Serves `html` (a string or a Buffer) at every path on 127.0.0.1, port chosen by the system: a
// secure context with an origin the fake media UI grants. Not about:blank: Chromium gathers no
// candidate at all there (its opaque origin gets no media permission, and without it no
// loopback host candidate; seen with Chromium 156).
function serve(html) {
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(html);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

function pageUrl(server) {
  return `http://127.0.0.1:${server.address().port}/`;
}

// Rejects when `promise` has not settled after `ms`.
function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no result after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

// Serves `html`, launches Chromium (an error after 30 s), opens the page with its console on
// stderr (`page: TEXT`) and waits for the page's `window.ready === true`; then resolves to
// `use(page, browser)`. The browser and the server are closed afterwards, on failure too. With
// `logVersion`, `chromium VERSION` goes to stderr once the browser runs.
async function withReadyPage(html, use, { logVersion = false } = {}) {
  const server = await serve(html);
  const browser = await withTimeout(launch(), 30000, 'launching chromium');
  try {
    if (logVersion) log(`chromium ${browser.version()}`);
    const page = await browser.newPage();
    page.on('console', (msg) => log(`page: ${msg.text()}`));
    await page.goto(pageUrl(server));
    await page.waitForFunction(() => window.ready === true);
    return await use(page, browser);
  } finally {
    await browser.close();
    server.close();
  }
}

// A peer of the signalling lines of interop/datachannel (README.md there) in a Chromium page.
// `setup()` runs first (so that a bad command line fails like anything else) and returns
//   html      the page served on 127.0.0.1 (serve);
//   flags     Chromium flags beyond FLAGS (optional);
//   exposeAs  the name of the page's function for its signalling lines: each goes to stdout
//             as one JSON line, and the last `done` among them is the result;
//   start(page)          puts the page's peer in place and starts it;
//   onSignal(page, msg)  hands one line of stdin to the page's peer; the lines go in order,
//             each after the previous one is handled;
//   timeoutMs (optional) after this long from the start, a failed `done` if the page gave none.
// When stdin ends the browser is closed and the exit status is 0 if the result is ok. Any
// failure here is logged and becomes a failed `done` naming `script`, exit status 1.
function runSignallingPeer(script, setup) {
  async function main() {
    const opts = setup();
    const server = await serve(opts.html);
    let result = null;
    const browser = await launch(opts.flags, { timeout: 30000 });
    log(`chromium ${browser.version()}`);
    const page = await browser.newPage();
    page.on('console', (msg) => log(`page: ${msg.text()}`));
    page.on('pageerror', (err) => log(`page error: ${err}`));
    await page.goto(pageUrl(server));
    await page.exposeFunction(opts.exposeAs, (msg) => {
      if (msg.type === 'done') result = msg;
      signal(msg);
    });
    await opts.start(page);
    const timer = opts.timeoutMs === undefined ? null : setTimeout(() => {
      if (!result) {
        signal({ type: 'done', ok: false, errors: [`no result after ${opts.timeoutMs} ms`] });
        result = { ok: false };
      }
    }, opts.timeoutMs);

    let chain = Promise.resolve();
    readSignals(
      (msg) => {
        chain = chain
          .then(() => opts.onSignal(page, msg))
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
    signal({ type: 'done', ok: false, errors: [`${script}: ${String(err).split('\n')[0]}`] });
    process.exit(1);
  });
}

module.exports = { FLAGS, AUTOPLAY, launch, serve, withTimeout, withReadyPage, runSignallingPeer };
