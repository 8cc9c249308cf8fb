// Shared by the Node peer scripts of `cargo xtask interop datachannel`: the command line and
// the signalling lines on stdin and stdout (README.md).
'use strict';

const readline = require('readline');

// `--offer|--answer [--big BYTES] [--timeout SECONDS]`
function parseArgs(argv = process.argv.slice(2)) {
  const args = { offerer: null, big: 256 * 1024, timeoutMs: 50000 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--offer') args.offerer = true;
    else if (arg === '--answer') args.offerer = false;
    else if (arg === '--big') args.big = Number(argv[++i]);
    else if (arg === '--timeout') args.timeoutMs = Number(argv[++i]) * 1000;
    // Relay only, through this TURN server (W3C iceTransportPolicy 'relay').
    else if (arg === '--turn') {
      args.turn = { urls: argv[++i], username: argv[++i], credential: argv[++i] };
    }
    else throw new Error(`unknown argument ${arg}`);
  }
  if (args.offerer === null || !(args.big > 16384) || !(args.timeoutMs > 0)) {
    throw new Error('usage: --offer|--answer [--big BYTES] [--timeout SECONDS]');
  }
  return args;
}

function signal(obj) {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
}

function log(text) {
  process.stderr.write(`${text}\n`);
}

// Calls `onLine(obj)` for each JSON line of stdin and `onEnd()` when stdin ends.
function readSignals(onLine, onEnd) {
  const rl = readline.createInterface({ input: process.stdin, terminal: false });
  rl.on('line', (line) => {
    if (!line.trim()) return;
    let msg;
    try {
      msg = JSON.parse(line);
    } catch (err) {
      log(`bad signalling line ${line}: ${err}`);
      return;
    }
    onLine(msg);
  });
  rl.on('close', onEnd);
}

module.exports = { parseArgs, signal, log, readSignals };
