// Connects two RTCPeerConnections (three times) of headless Chromium to each other over loopback (see
// loopback.html), so Chromium does a real DTLS handshake on 127.0.0.1, which
// capture_client_hello.sh records with tcpdump. Prints the Chromium version and a summary
// of the connection (JSON) on stdout; exits 1 on failure. Chromium is launched as for the other
// interop scripts (interop/common/chromium.js).
'use strict';

const fs = require('fs');
const path = require('path');
const { withReadyPage, withTimeout } = require('../common/chromium');

// Connections made one after the other, each with two fresh RTCPeerConnections.
const CONNECTIONS = 3;

async function main() {
  const html = fs.readFileSync(path.join(__dirname, 'loopback.html'));
  await withReadyPage(html, async (page, browser) => {
    // The first connection's ClientHello is the one kept; the others show what varies
    // between connections (the extension order).
    const connections = [];
    for (let i = 0; i < CONNECTIONS; i++) {
      connections.push(await withTimeout(page.evaluate(() => window.connect()), 20000, 'connecting'));
    }
    const userAgent = await page.evaluate(() => navigator.userAgent);
    process.stdout.write(JSON.stringify({ chromium: browser.version(), userAgent, connections }) + '\n');
  });
}

main().catch((err) => {
  process.stderr.write(`${err.stack || err}\n`);
  process.exit(1);
});
