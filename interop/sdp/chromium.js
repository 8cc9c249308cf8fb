// Chromium's SDPs for `cargo xtask interop sdp`: headless /usr/bin/chromium driven by
// playwright-core (interop/common/chromium.js), with the page (page.html) served on 127.0.0.1.
// See common.js for the command line and the output.
'use strict';

const fs = require('fs');
const path = require('path');
const { parseArgs, capture } = require('./common');
const { withReadyPage } = require('../common/chromium');

async function main() {
  const args = parseArgs();
  const html = fs.readFileSync(path.join(__dirname, 'page.html'));
  await withReadyPage(html, async (page) => {
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
  }, { logVersion: true });
}

main().catch((err) => {
  process.stderr.write(`${err.stack || err}\n`);
  process.exit(1);
});
