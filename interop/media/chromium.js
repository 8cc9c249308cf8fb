// Chromium (headless /usr/bin/chromium driven by playwright-core) as the peer of `cargo xtask
// interop media` (README.md): its fake camera and microphone (--use-fake-device-for-media-stream)
// go to the Rust peer, and what the Rust peer sends is played in <video>/<audio> elements;
// getStats says when enough was decoded. Signalling lines as in interop/datachannel.
//
// --mode says what the page does (default `both`):
//   both     sends its camera and microphone and receives ours (media_interop);
//   receive  sends nothing, receives (play_from_disk; offering, recvonly transceivers);
//   send     sends its camera and microphone, receives nothing (save_to_disk);
//   reflect  sends its camera and microphone and receives them back (reflect): the picture
//            it decodes must have the size of the one it sends;
//   simulcast  offers its camera at 1280x720 in three layers (rid q at a quarter, h at half,
//            f at full size) and receives nothing (simulcast). Its send-side bandwidth
//            estimate (`availableOutgoingBitrate`) climbs past its 300 kbit/s start, and the
//            full layer is sent, only on the receiver's feedback (transport-cc).
// It says `complete` when it decoded --frames of the video it receives and got 50 audio
// packets (both, receive, reflect), or when it has sent --frames video frames and 50 audio
// packets (send), or when each of the three layers has sent --frames frames and its send-side
// estimate has reached --min-estimate bit/s (simulcast; 0 by default).
'use strict';

const { runSignallingPeer, AUTOPLAY } = require('../common/chromium');

function parseArgs(argv = process.argv.slice(2)) {
  const args = { offerer: null, timeoutMs: 40000, frames: 30, mode: 'both', minEstimate: 0 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--offer') args.offerer = true;
    else if (a === '--answer') args.offerer = false;
    else if (a === '--timeout') args.timeoutMs = Number(argv[++i]) * 1000;
    else if (a === '--frames') args.frames = Number(argv[++i]);
    else if (a === '--mode') args.mode = argv[++i];
    else if (a === '--min-estimate') args.minEstimate = Number(argv[++i]);
    else throw new Error(`unknown argument ${a}`);
  }
  const modes = ['both', 'receive', 'send', 'reflect', 'simulcast'];
  if (args.offerer === null || !modes.includes(args.mode) || (args.mode === 'simulcast' && !args.offerer)) {
    throw new Error('usage: --offer|--answer [--timeout S] [--frames N] [--mode both|receive|send|reflect|simulcast (offering)] [--min-estimate BITS]');
  }
  return args;
}

// The page's side: a W3C peer connection with the fake devices' tracks.
function pageMain(opts) {
  const pc = new RTCPeerConnection();
  const send = (m) => window.mediaSignal(m);
  const log = (t) => console.log(t);
  let completed = false;
  pc.onicecandidate = (e) => send({ type: 'candidate', candidate: e.candidate ? e.candidate.toJSON() : { candidate: '' } });
  pc.ontrack = (e) => {
    log(`track ${e.track.kind} mid ${e.transceiver.mid}`);
    const el = document.createElement(e.track.kind === 'video' ? 'video' : 'audio');
    el.autoplay = true;
    el.muted = true;
    el.srcObject = new MediaStream([e.track]);
    document.body.appendChild(el);
    el.play().catch((err) => log(`play: ${err}`));
  };
  pc.onconnectionstatechange = () => {
    log(`connection ${pc.connectionState}`);
    if (pc.connectionState === 'failed') send({ type: 'done', ok: false, errors: ['connection failed'] });
  };
  const sends = opts.mode !== 'receive';
  const simulcast = () =>
    navigator.mediaDevices.getUserMedia({ video: { width: 1280, height: 720, frameRate: 30 } }).then((stream) => {
      pc.addTransceiver(stream.getVideoTracks()[0], {
        direction: 'sendonly',
        streams: [stream],
        sendEncodings: [
          { rid: 'q', scaleResolutionDownBy: 4 },
          { rid: 'h', scaleResolutionDownBy: 2 },
          { rid: 'f' },
        ],
      });
    });
  let layers = {};
  let estimate = 0;
  const ready = opts.mode === 'simulcast'
    ? simulcast()
    : sends
    ? navigator.mediaDevices
        .getUserMedia({ audio: true, video: { width: 320, height: 240, frameRate: 30 } })
        .then((stream) => {
          for (const t of stream.getTracks()) pc.addTrack(t, stream);
        })
    : Promise.resolve().then(() => {
        // Nothing to send: offering, receive-only sections for what we want.
        if (opts.offerer) {
          pc.addTransceiver('video', { direction: 'recvonly' });
          pc.addTransceiver('audio', { direction: 'recvonly' });
        }
      });
  const poll = setInterval(async () => {
    const stats = await pc.getStats();
    let video = null;
    let audio = null;
    let outVideo = null;
    let outAudio = null;
    const sent = {};
    stats.forEach((s) => {
      if (s.type === 'outbound-rtp' && s.kind === 'video' && s.rid) {
        sent[s.rid] = { framesSent: s.framesSent || 0, frameWidth: s.frameWidth || 0, frameHeight: s.frameHeight || 0 };
      }
      if (s.type === 'candidate-pair' && s.nominated && s.availableOutgoingBitrate) {
        estimate = Math.max(estimate, s.availableOutgoingBitrate);
      }
      if (s.type === 'inbound-rtp' && s.kind === 'video') video = s;
      if (s.type === 'inbound-rtp' && s.kind === 'audio') audio = s;
      if (s.type === 'outbound-rtp' && s.kind === 'video') outVideo = s;
      if (s.type === 'outbound-rtp' && s.kind === 'audio') outAudio = s;
    });
    const framesDecoded = video ? video.framesDecoded || 0 : 0;
    const audioSamples = audio ? audio.totalSamplesReceived || 0 : 0;
    const audioPackets = audio ? audio.packetsReceived || 0 : 0;
    const framesSent = outVideo ? outVideo.framesSent || 0 : 0;
    const audioPacketsSent = outAudio ? outAudio.packetsSent || 0 : 0;
    const sentWidth = outVideo ? outVideo.frameWidth : null;
    layers = sent;
    let enough;
    if (opts.mode === 'simulcast') {
      const rids = Object.keys(sent);
      // The estimate climbs while the layers run; on a loaded machine it takes longer, so wait
      // for it (up to --timeout) rather than reading it once.
      enough = rids.length === 3 && rids.every((r) => sent[r].framesSent >= opts.frames)
        && estimate >= opts.minEstimate;
    } else if (opts.mode === 'send') {
      enough = framesSent >= opts.frames && audioPacketsSent >= 50;
    } else {
      enough = framesDecoded >= opts.frames && audioPackets >= 50 && audioSamples > 0;
      // Reflected: the picture that comes back is the one we send (its size; ours are 160x120).
      if (opts.mode === 'reflect') enough = enough && sentWidth && video.frameWidth === sentWidth;
    }
    if (!completed && enough) {
      completed = true;
      send({
        type: 'complete',
        mode: opts.mode,
        framesDecoded,
        videoCodec: video && stats.get(video.codecId) ? stats.get(video.codecId).mimeType : null,
        frameWidth: video ? video.frameWidth : null,
        frameHeight: video ? video.frameHeight : null,
        audioPackets,
        audioSamples,
        framesSent,
        sentWidth,
        sentHeight: outVideo ? outVideo.frameHeight : null,
        audioPacketsSent,
        layers: opts.mode === 'simulcast' ? layers : undefined,
        availableOutgoingBitrate: estimate,
      });
    }
  }, 250);
  return {
    async start() {
      await ready;
      if (opts.offerer) {
        const offer = await pc.createOffer();
        await pc.setLocalDescription(offer);
        send({ type: 'offer', sdp: offer.sdp });
      }
    },
    async onSignal(m) {
      await ready;
      if (m.type === 'offer') {
        await pc.setRemoteDescription(m);
        const answer = await pc.createAnswer();
        await pc.setLocalDescription(answer);
        send({ type: 'answer', sdp: answer.sdp });
      } else if (m.type === 'answer') {
        await pc.setRemoteDescription(m);
      } else if (m.type === 'candidate') {
        if (m.candidate && m.candidate.candidate) await pc.addIceCandidate(m.candidate);
      } else if (m.type === 'done') {
        clearInterval(poll);
        const why = `the Rust side ended before this side had enough (layers sent ${JSON.stringify(layers)}, estimate ${estimate} bit/s)`;
        const sizes = Object.keys(layers)
          .sort()
          .map((r) => `${r} ${layers[r].frameWidth}x${layers[r].frameHeight} (${layers[r].framesSent} frames)`);
        const detail = opts.mode === 'simulcast'
          ? `sent ${sizes.join(', ')}; send-side estimate ${(estimate / 1e6).toFixed(2)} Mbit/s`
          : undefined;
        send({ type: 'done', ok: completed, detail, layers, availableOutgoingBitrate: estimate, errors: completed ? [] : [why] });
      }
    },
  };
}

// The launch, the page and the signalling pump: interop/common/chromium.js.
runSignallingPeer('chromium.js', () => {
  const args = parseArgs();
  return {
    html: '<!doctype html><meta charset="utf-8"><title>rtc interop: media</title><body></body>',
    flags: [AUTOPLAY],
    exposeAs: 'mediaSignal',
    async start(page) {
      await page.addScriptTag({ content: `window.pageMain = ${pageMain.toString()};` });
      await page.evaluate((opts) => {
        window.peer = window.pageMain(opts);
        return window.peer.start();
      }, args);
    },
    onSignal: (page, msg) => page.evaluate((m) => window.peer.onSignal(m), msg),
    timeoutMs: args.timeoutMs,
  };
});
