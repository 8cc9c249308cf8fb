// Connects two RTCPeerConnections (three times) of headless Chromium to each other over loopback (see
// loopback.html), so Chromium does a real DTLS handshake on 127.0.0.1, which
// capture_client_hello.sh records with tcpdump. Prints the Chromium version and a summary
// of the connection (JSON) on stdout; exits 1 on failure.
'use strict';

const http = require('http');
const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');

// The flags of the shared INTEROP notes (as interop/sdp/chromium.js); playwright adds
// --headless, --no-sandbox and its own --user-data-dir.
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

// Connections made one after the other, each with two fresh RTCPeerConnections.
const CONNECTIONS = 3;

function serve() {
  const page = fs.readFileSync(path.join(__dirname, 'loopback.html'));
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(page);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no result after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

async function main() {
  const server = await serve();
  const browser = await withTimeout(
    chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: FLAGS }),
    30000,
    'launching chromium',
  );
  try {
    const page = await browser.newPage();
    page.on('console', (msg) => process.stderr.write(`page: ${msg.text()}\n`));
    await page.goto(`http://127.0.0.1:${server.address().port}/`);
    await page.waitForFunction(() => window.ready === true);
    // The first connection's ClientHello is the one kept; the others show what varies
    // between connections (the extension order).
    const connections = [];
    for (let i = 0; i < CONNECTIONS; i++) {
      connections.push(await withTimeout(page.evaluate(() => window.connect()), 20000, 'connecting'));
    }
    const userAgent = await page.evaluate(() => navigator.userAgent);
    process.stdout.write(JSON.stringify({ chromium: browser.version(), userAgent, connections }) + '\n');
  } finally {
    await browser.close();
    server.close();
  }
}

main().catch((err) => {
  process.stderr.write(`${err.stack || err}\n`);
  process.exit(1);
});
