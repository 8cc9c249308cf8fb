// Shared by the Node peer scripts of `cargo xtask interop sdp`.
//
// Command line of every peer script: `offers` makes it print its own offers; each
// `LABEL=FILE` makes it answer the offer in FILE (raw SDP) and print that answer as
// `answer-to-LABEL`. Each SDP is one JSON line on stdout:
//   {"name": "offer-av-data", "type": "offer", "sdp": "v=0\r\n..."}
// and a capture that failed is {"name": ..., "type": ..., "error": "..."}.
'use strict';

const fs = require('fs');
const { withTimeout } = require('../common/chromium');

function parseArgs(argv = process.argv.slice(2)) {
  const args = { offers: false, answers: [] };
  for (const arg of argv) {
    if (arg === 'offers') {
      args.offers = true;
    } else if (arg.includes('=')) {
      const i = arg.indexOf('=');
      const label = arg.slice(0, i);
      args.answers.push({ label, name: `answer-to-${label}`, sdp: fs.readFileSync(arg.slice(i + 1), 'utf8') });
    } else {
      throw new Error(`usage: ${process.argv[1]} [offers] [LABEL=OFFER_FILE ...], got ${arg}`);
    }
  }
  return args;
}

function emit(name, type, sdp) {
  process.stdout.write(JSON.stringify({ name, type, sdp }) + '\n');
}

function emitError(name, type, err) {
  const error = String((err && err.stack) || err);
  process.stderr.write(`${name}: ${error}\n`);
  process.stdout.write(JSON.stringify({ name, type, error: error.split('\n')[0] }) + '\n');
}

// Runs one capture, printing its SDP or its error; never throws.
async function capture(name, type, make, ms = 10000) {
  try {
    emit(name, type, await withTimeout(Promise.resolve().then(make), ms, name));
  } catch (err) {
    emitError(name, type, err);
  }
}

module.exports = { parseArgs, emit, emitError, withTimeout, capture };
