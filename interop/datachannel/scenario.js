// The data channel scenario of `cargo xtask interop datachannel`, the peer's half, shared by
// chromium.js (inside the page), wrtc.js (both through w3c.js) and ndc.js. It knows nothing
// of a particular stack: the peer script wraps each channel and feeds it the channel's
// events. See README.md for the scenario and the signalling lines; crates/rtc/examples/
// dc_interop.rs is the Rust half and aiortc_peer.py and pion/main.go do the same in Python
// and Go.
(function (root) {
  'use strict';

  // Our messages start with 'P' (the peer), the Rust side's with 'R'.
  const OURS = 0x50;
  const THEIRS = 0x52;
  // The channels: label, ordered, negotiated id (null: in band, opened by the offerer).
  const CHANNELS = [
    { label: 'ordered', ordered: true, id: null },
    { label: 'unordered', ordered: false, id: null },
    { label: 'negotiated', ordered: true, id: 5 },
  ];

  // `origin`, then 'a'..'z' repeated (text) or (7 i + 3) mod 256 (binary).
  function message(origin, isString, len) {
    const out = new Uint8Array(len);
    for (let i = 0; i < len; i++) {
      if (i === 0) out[i] = origin;
      else if (isString) out[i] = 0x61 + (i % 26);
      else out[i] = (i * 7 + 3) & 0xff;
    }
    return out;
  }

  // What each side sends on each channel, in order.
  function kinds(big) {
    const out = [];
    for (const isString of [true, false]) {
      for (const len of [1, 16 * 1024, big]) out.push({ isString, len });
    }
    return out;
  }

  const key = (isString, len) => `${isString ? 'text' : 'binary'} ${len} B`;

  function ascii(bytes) {
    let s = '';
    for (let i = 0; i < bytes.length; i += 8192) {
      s += String.fromCharCode.apply(null, bytes.subarray(i, i + 8192));
    }
    return s;
  }

  class Scenario {
    // opts: { offerer, big, timeoutMs, signal(obj), log(text), onComplete(scenario),
    // onDone(done) }
    constructor(opts) {
      this.opts = opts;
      this.start = Date.now();
      this.channels = new Map(); // label -> state
      this.errors = [];
      this.facts = [];
      this.weComplete = false;
      this.peerComplete = false;
      this.closeSent = false;
      this.finished = false;
      this.connectedAt = null;
      this.completedAt = null;
      this.timer = setTimeout(() => this.fail(`timed out after ${opts.timeoutMs / 1000} s`), opts.timeoutMs);
    }

    log(text) {
      this.opts.log(`[${((Date.now() - this.start) / 1000).toFixed(3)}] ${text}`);
    }

    connected() {
      if (this.connectedAt === null) this.connectedAt = Date.now();
    }

    // Registers a channel. `ops` sends and closes: { sendText(str), sendBinary(Uint8Array),
    // close() }. Returns the handlers the peer script calls: open(), message(isString,
    // Uint8Array), closed().
    addChannel(label, ordered, ops) {
      const spec = CHANNELS.find((c) => c.label === label);
      if (!spec) {
        this.fail(`unexpected channel \`${label}\``);
        return { open() {}, message() {}, closed() {} };
      }
      if (this.channels.has(label)) {
        this.fail(`a second channel \`${label}\``);
        return { open() {}, message() {}, closed() {} };
      }
      if (ordered !== undefined && ordered !== null && ordered !== spec.ordered) {
        this.fail(`channel \`${label}\` has ordered=${ordered}, expected ${spec.ordered}`);
      }
      const ch = {
        label,
        ordered: spec.ordered,
        ops,
        kinds: kinds(this.opts.big),
        echoed: new Set(),
        received: [],
        opened: false,
        closed: false,
        complete: false,
      };
      this.channels.set(label, ch);
      return {
        open: () => this.onOpen(ch),
        message: (isString, data) => this.onMessage(ch, isString, data),
        closed: () => this.onClosed(ch),
      };
    }

    onOpen(ch) {
      if (ch.opened) return;
      ch.opened = true;
      this.log(`channel \`${ch.label}\` open`);
      try {
        for (const { isString, len } of ch.kinds) {
          const data = message(OURS, isString, len);
          if (isString) ch.ops.sendText(ascii(data));
          else ch.ops.sendBinary(data);
        }
      } catch (err) {
        this.fail(`${ch.label}: sending: ${err}`);
      }
    }

    onMessage(ch, isString, data) {
      if (this.finished) return;
      const what = `${ch.label}: ${key(isString, data.length)}`;
      if (!ch.kinds.some((k) => k.isString === isString && k.len === data.length)) {
        return this.fail(`${what}: no message of this kind was expected`);
      }
      const origin = data[0];
      if (origin !== OURS && origin !== THEIRS) {
        return this.fail(`${what}: starts with byte ${origin}`);
      }
      const expected = message(origin, isString, data.length);
      for (let i = 0; i < data.length; i++) {
        if (data[i] !== expected[i]) {
          return this.fail(`${what} from ${origin === OURS ? 'us (echo)' : 'the Rust side'}: byte ${i} is ${data[i]}, expected ${expected[i]}`);
        }
      }
      const k = key(isString, data.length);
      if (origin === OURS) {
        if (ch.echoed.has(k)) return this.fail(`${what}: echoed twice`);
        ch.echoed.add(k);
      } else {
        if (ch.received.includes(k)) return this.fail(`${what}: arrived twice`);
        ch.received.push(k);
        if (ch.ordered && ch.received.length === ch.kinds.length) {
          const want = ch.kinds.map((x) => key(x.isString, x.len));
          if (ch.received.join() !== want.join()) {
            return this.fail(`${ch.label}: ordered channel delivered ${ch.received.join(', ')}`);
          }
        }
        try {
          if (isString) ch.ops.sendText(ascii(data));
          else ch.ops.sendBinary(data);
        } catch (err) {
          return this.fail(`${what}: echo: ${err}`);
        }
      }
      if (!ch.complete && ch.echoed.size === ch.kinds.length && ch.received.length === ch.kinds.length) {
        ch.complete = true;
        this.log(`channel \`${ch.label}\` complete`);
        this.checkComplete();
      }
    }

    checkComplete() {
      const all = CHANNELS.every((c) => this.channels.has(c.label) && this.channels.get(c.label).complete);
      if (all && !this.weComplete) {
        this.weComplete = true;
        this.completedAt = Date.now();
        this.log('every channel is complete');
        // What the transport says now that it is up (the negotiated message size...).
        if (this.opts.onComplete) this.opts.onComplete(this);
        this.opts.signal({ type: 'complete' });
      }
      this.maybeClose();
    }

    maybeClose() {
      if (this.opts.offerer && this.weComplete && this.peerComplete && !this.closeSent) {
        this.closeSent = true;
        this.log('both sides complete: closing the channels');
        for (const ch of this.channels.values()) {
          try {
            ch.ops.close();
          } catch (err) {
            this.fail(`${ch.label}: close: ${err}`);
          }
        }
      }
    }

    onClosed(ch) {
      if (ch.closed || this.finished) return;
      ch.closed = true;
      this.log(`channel \`${ch.label}\` closed`);
      if (!ch.complete) {
        return this.fail(`\`${ch.label}\` closed before its messages were done`);
      }
      if (CHANNELS.every((c) => this.channels.has(c.label) && this.channels.get(c.label).closed)) {
        this.finish(true);
      }
    }

    // Handles the scenario's own signalling lines; false for the others.
    onSignal(msg) {
      if (msg.type === 'complete') {
        this.log('the Rust side is complete');
        this.peerComplete = true;
        this.maybeClose();
        return true;
      }
      if (msg.type === 'done') {
        this.log(`the Rust side is done: ${JSON.stringify(msg)}`);
        return true;
      }
      return false;
    }

    fact(text) {
      this.facts.push(text);
    }

    fail(error) {
      if (this.finished) return;
      this.errors.push(String(error));
      this.finish(false);
    }

    finish(ok) {
      if (this.finished) return;
      this.finished = true;
      clearTimeout(this.timer);
      const secs = (t) => (t === null ? '-' : `${((t - this.start) / 1000).toFixed(2)} s`);
      const facts = this.facts.slice();
      if (!ok) {
        for (const c of CHANNELS) {
          const ch = this.channels.get(c.label);
          facts.push(ch
            ? `${c.label}: open ${ch.opened}, ${ch.echoed.size}/${ch.kinds.length} echoed back, ${ch.received.length}/${ch.kinds.length} received, closed ${ch.closed}`
            : `${c.label}: never seen`);
        }
        if (!this.peerComplete) facts.push('the Rust side never said complete');
      }
      const detail = `connected after ${secs(this.connectedAt)}, messages done after ${secs(this.completedAt)}, ` +
        `closed by ${this.opts.offerer ? 'us' : 'the Rust side'} after ${secs(Date.now())}` +
        (facts.length ? `; ${facts.join('; ')}` : '');
      const done = { type: 'done', ok: ok && this.errors.length === 0, detail, errors: this.errors };
      this.log(`done: ${JSON.stringify(done)}`);
      this.opts.signal(done);
      if (this.opts.onDone) this.opts.onDone(done);
    }
  }

  const api = { Scenario, CHANNELS, message, kinds, OURS, THEIRS };
  if (typeof module !== 'undefined' && module.exports) module.exports = api;
  else root.DcScenario = api;
})(typeof window !== 'undefined' ? window : globalThis);
