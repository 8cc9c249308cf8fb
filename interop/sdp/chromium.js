// Chromium's SDPs for `cargo xtask interop sdp`: headless /usr/bin/chromium driven by
// playwright-core, with the page (page.html) served on 127.0.0.1. See common.js for the
// command line and the output.
'use strict';

const http = require('http');
const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');
const { parseArgs, capture, withTimeout } = require('./common');

// The flags of the shared INTEROP notes; playwright adds --headless, --no-sandbox and its own
// --user-data-dir and talks to the browser over a pipe.
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

function serve() {
  const page = fs.readFileSync(path.join(__dirname, 'page.html'));
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(page);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function main() {
  const args = parseArgs();
  const server = await serve();
  const browser = await withTimeout(
    chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: FLAGS }),
    30000,
    'launching chromium',
  );
  try {
    process.stderr.write(`chromium ${browser.version()}\n`);
    const page = await browser.newPage();
    page.on('console', (msg) => process.stderr.write(`page: ${msg.text()}\n`));
    await page.goto(`http://127.0.0.1:${server.address().port}/`);
    await page.waitForFunction(() => window.ready === true);
    const call = (fn, arg) => page.evaluate(([f, a]) => window[f](a), [fn, arg]);
    if (args.offers) {
      await capture('offer-av-data', 'offer', () => call('offerAvData'));
      await capture('offer-data', 'offer', () => call('offerData'));
      await capture('offer-simulcast', 'offer', () => call('offerSimulcast'));
      await capture('answer-to-chromium-simulcast', 'answer', () => call('answerSimulcast'));
    }
    for (const { name, sdp } of args.answers) {
      await capture(name, 'answer', () => call('answer', sdp));
    }
  } finally {
    await browser.close();
    server.close();
  }
}

main().catch((err) => {
  process.stderr.write(`${err.stack || err}\n`);
  process.exit(1);
});
