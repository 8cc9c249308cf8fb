// Chromium (headless /usr/bin/chromium driven by playwright-core) as the peer of `cargo xtask
// interop datachannel`: the W3C half of the scenario (scenario.js and w3c.js) runs in a blank
// page served on 127.0.0.1; its signalling lines go through page.exposeFunction to our
// stdout, and stdin's lines into the page with page.evaluate (README.md). The launch, the page
// and the signalling pump are interop/common/chromium.js's runSignallingPeer.
'use strict';

const fs = require('fs');
const path = require('path');
const { parseArgs, signal } = require('./common');
const { runSignallingPeer } = require('../common/chromium');

runSignallingPeer('chromium.js', () => {
  const args = parseArgs();
  return {
    html: '<!doctype html><meta charset="utf-8"><title>rtc interop: data channels</title>',
    exposeAs: 'dcSignal',
    async start(page) {
      page.on('crash', () => {
        signal({ type: 'done', ok: false, errors: ['the page crashed'] });
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
    },
    onSignal: (page, msg) => page.evaluate((m) => window.dcPeer.onSignal(m), msg),
  };
});
