// Headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core) on the `rtc serve`
// page, for `cargo xtask interop demo` (README.md here). The Rust peers (`rtc echo`,
// `rtc receive`, `rtc send`) are already waiting in their rooms when this starts. Each
// scenario prints one JSON line on stdout: {"scenario":NAME,"ok":BOOL,"detail":TEXT}; logs go
// to stderr.
//
// demo.js --url http://127.0.0.1:8080 --echo-room R --upload-room R --upload FILE
//         --download-room R --download FILE --video-room R
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const { launch, AUTOPLAY } = require('../common/chromium');

const STEP_TIMEOUT = 45000;

function log(text) {
  process.stderr.write(`${text}\n`);
}

function report(scenario, ok, detail) {
  process.stdout.write(`${JSON.stringify({ scenario, ok, detail })}\n`);
  log(`${ok ? 'PASS' : 'FAIL'} ${scenario}: ${detail}`);
}

function parseArgs(argv) {
  const args = {};
  for (let i = 0; i < argv.length; i += 2) {
    if (!argv[i].startsWith('--') || argv[i + 1] === undefined) throw new Error(`bad argument ${argv[i]}`);
    args[argv[i].slice(2)] = argv[i + 1];
  }
  for (const key of ['url', 'echo-room', 'upload-room', 'upload', 'download-room', 'download', 'video-room']) {
    if (!args[key]) throw new Error(`--${key} is required`);
  }
  return args;
}

function sha256(file) {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

// A page in a context of its own, with its console on our stderr.
async function open(browser, url, name) {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on('console', (msg) => log(`[${name}] ${msg.text()}`));
  page.on('pageerror', (err) => log(`[${name}] page error: ${err}`));
  await page.goto(url);
  return { context, page };
}

async function waitFor(page, predicate, arg, what, timeout = STEP_TIMEOUT) {
  try {
    await page.waitForFunction(predicate, arg, { timeout, polling: 100 });
  } catch (err) {
    const state = await page.evaluate(() => ({
      status: window.rtcDemo.status,
      connection: window.rtcDemo.connectionState,
      log: window.rtcDemo.log.slice(-5),
    })).catch(() => ({}));
    throw new Error(`${what}: not within ${timeout / 1000} s (page: ${JSON.stringify(state)})`);
  }
}

const connected = (page, what) => waitFor(page,
  () => window.rtcDemo && window.rtcDemo.connectionState === 'connected'
    && !document.getElementById('chat-send').disabled,
  null, `${what}: connected with the chat open`);

// 1. Chat with the Rust echo peer: every typed message comes back unchanged, in order.
async function echo(browser, args) {
  const { context, page } = await open(browser, `${args.url}/r/${args['echo-room']}`, 'echo');
  try {
    await connected(page, 'page ↔ rtc echo');
    const messages = ['hello from Chromium', 'ünïcödé ✓ 😀', 'x'.repeat(20000)];
    for (const text of messages) {
      await page.fill('#chat-input', text);
      await page.click('#chat-send');
    }
    await waitFor(page,
      (n) => window.rtcDemo.chat.filter((m) => m.from === 'peer').length >= n,
      messages.length, 'the echoes');
    const echoed = await page.evaluate(
      () => window.rtcDemo.chat.filter((m) => m.from === 'peer').map((m) => m.text));
    const same = echoed.length === messages.length && echoed.every((t, i) => t === messages[i]);
    const state = await page.evaluate(() => ({
      mediaRejected: window.rtcDemo.mediaRejected,
      localMedia: window.rtcDemo.localMedia,
      path: window.rtcDemo.path,
    }));
    if (!same) return report('echo', false, `echoes differ: ${JSON.stringify(echoed.map((t) => t.slice(0, 40)))}`);
    if (state.mediaRejected) {
      return report('echo', false, `rtc echo rejected the page's ${state.localMedia}: no video to reflect`);
    }
    // The page's camera comes back from the Rust peer: the remote video plays and advances.
    await waitFor(page, () => {
      const v = document.getElementById('remote-video');
      return v.videoWidth > 0 && v.currentTime > 0;
    }, null, 'the reflected camera in the page');
    const t0 = await page.evaluate(() => document.getElementById('remote-video').currentTime);
    await page.waitForTimeout(1500);
    const video = await page.evaluate((start) => {
      const v = document.getElementById('remote-video');
      return { width: v.videoWidth, height: v.videoHeight, advanced: v.currentTime - start };
    }, t0);
    const stats = await page.evaluate(async () => {
      const out = {};
      (await window.rtcDemo.pc.getStats()).forEach((s) => {
        if (s.type === 'inbound-rtp') out[s.kind] = s.kind === 'video' ? s.framesDecoded : s.packetsReceived;
      });
      return out;
    }).catch(() => ({}));
    if (!(video.advanced > 0.5)) {
      return report('echo', false, `the reflected video did not play (${JSON.stringify(video)})`);
    }
    return report('echo', true,
      `${messages.length} typed messages (up to 20000 characters, non-ASCII) echoed back unchanged and in order over the chat channel; the page's ${state.localMedia} reflected by rtc echo: remote video ${video.width}x${video.height} advanced ${video.advanced.toFixed(1)} s in 1.5 s (getStats: ${JSON.stringify(stats)}); path ${JSON.stringify(state.path)}`);
  } finally {
    await context.close();
  }
}

// 2. A file from the page to `rtc receive` (the xtask compares what it wrote).
async function upload(browser, args) {
  const { context, page } = await open(browser, `${args.url}/r/${args['upload-room']}`, 'upload');
  try {
    await connected(page, 'page ↔ rtc receive');
    await page.setInputFiles('#file-input', args.upload);
    await page.click('#file-send');
    await waitFor(page,
      () => window.rtcDemo.transfers.some((t) => t.direction === 'send' && t.ok !== undefined),
      null, 'the receiver\'s verdict', 90000);
    const t = await page.evaluate(() => window.rtcDemo.transfers.find((x) => x.direction === 'send'));
    const expected = sha256(args.upload);
    const ok = t.ok === true && t.sha256 === expected && t.size === fs.statSync(args.upload).size;
    return report('upload', ok, ok
      ? `page sent ${path.basename(args.upload)} (${t.size} bytes, SHA-256 ${expected.slice(0, 16)}…) and got the receiver's verdict: ${t.state}`
      : `page transfer: ${JSON.stringify(t)}; expected SHA-256 ${expected}`);
  } finally {
    await context.close();
  }
}

// 3. A file from `rtc send` to the page, hashed in the page (crypto.subtle) and here.
async function download(browser, args) {
  const { context, page } = await open(browser, `${args.url}/r/${args['download-room']}`, 'download');
  try {
    // No wait for "connected" first: `rtc send` leaves the room as soon as the receiver
    // confirmed the file, which can be before a 100 ms poll sees the connection up.
    await waitFor(page,
      () => window.rtcDemo.transfers.some((t) => t.direction === 'receive' && t.ok !== undefined),
      null, 'the file from rtc send', 90000);
    const t = await page.evaluate(() => window.rtcDemo.transfers.find((x) => x.direction === 'receive'));
    const expected = sha256(args.download);
    const size = fs.statSync(args.download).size;
    const ok = t.ok === true && t.sha256 === expected && t.size === size && t.bytes === size;
    return report('download', ok, ok
      ? `page received ${t.name} (${t.size} bytes); its SHA-256 in the page (crypto.subtle) equals the file's (${expected.slice(0, 16)}…)`
      : `page transfer: ${JSON.stringify(t)}; expected SHA-256 ${expected}, ${size} bytes`);
  } finally {
    await context.close();
  }
}

// 4. Two pages, relay only (?relay=1) through rtc serve's TURN server: each shows the other's
// fake camera (frames advancing) and gets the other's chat.
async function video(browser, args) {
  const url = `${args.url}/r/${args['video-room']}?relay=1`;
  const a = await open(browser, url, 'video A');
  // A joins first; B, the newcomer, offers.
  await waitFor(a.page, () => window.rtcDemo.id !== null, null, 'page A joined');
  const b = await open(browser, url, 'video B');
  try {
    await connected(a.page, 'page A');
    await connected(b.page, 'page B');
    const frames = async (page) => {
      await waitFor(page, () => {
        const v = document.getElementById('remote-video');
        return v.videoWidth > 0 && v.currentTime > 0;
      }, null, 'remote video frames');
      const t0 = await page.evaluate(() => document.getElementById('remote-video').currentTime);
      await page.waitForTimeout(1500);
      return page.evaluate((start) => {
        const v = document.getElementById('remote-video');
        return { width: v.videoWidth, height: v.videoHeight, advanced: v.currentTime - start };
      }, t0);
    };
    const va = await frames(a.page);
    const vb = await frames(b.page);
    await b.page.fill('#chat-input', 'hi A, from B');
    await b.page.click('#chat-send');
    await waitFor(a.page, () => window.rtcDemo.chat.some((m) => m.from === 'peer' && m.text === 'hi A, from B'),
      null, 'B\'s chat on A');
    const paths = await Promise.all([a.page, b.page].map((p) => p.evaluate(() => window.rtcDemo.path)));
    const relayed = paths.every((p) => p && p.local === 'relay');
    const playing = va.advanced > 0.5 && vb.advanced > 0.5;
    const ok = relayed && playing;
    return report('video', ok,
      `A shows B's camera at ${va.width}x${va.height} (+${va.advanced.toFixed(1)} s in 1.5 s), B shows A's at ${vb.width}x${vb.height} (+${vb.advanced.toFixed(1)} s); chat B→A arrived; selected local candidates ${paths.map((p) => p && p.local).join(' and ')}${relayed ? ' (TURN relay)' : ' — expected relay'}`);
  } finally {
    await a.context.close();
    await b.context.close();
  }
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  // The flags of interop/common/chromium.js, plus autoplay (the remote video plays without a
  // click).
  const browser = await launch([AUTOPLAY], { timeout: 30000 });
  log(`chromium ${browser.version()}`);
  let failed = 0;
  for (const [name, scenario] of [['echo', echo], ['upload', upload], ['download', download], ['video', video]]) {
    try {
      log(`--- ${name}`);
      await scenario(browser, args);
    } catch (err) {
      failed += 1;
      report(name, false, String(err && err.message ? err.message : err).split('\n')[0]);
    }
  }
  await browser.close();
  process.exit(failed ? 1 : 0);
}

main().catch((err) => {
  log(`${err.stack || err}`);
  process.exit(1);
});
