// The peer's half of the data channel scenario on the W3C API (RTCPeerConnection,
// RTCDataChannel): used inside the Chromium page (chromium.js injects scenario.js and this
// file) and in Node with @roamhq/wrtc (wrtc.js).
(function (root) {
  'use strict';

  const { Scenario, CHANNELS } = typeof module !== 'undefined' && module.exports
    ? require('./scenario')
    : root.DcScenario;

  // opts: { offerer, big, timeoutMs, signal(obj), log(text), onDone(done) }. Returns
  // { onSignal(msg), close() }; signalling lines from the Rust side go to onSignal.
  function runW3C(RTCPeerConnection, opts) {
    const sc = new Scenario({
      ...opts,
      onComplete: (scenario) => {
        if (pc.sctp && pc.sctp.maxMessageSize !== undefined) {
          scenario.fact(`sctp.maxMessageSize ${pc.sctp.maxMessageSize}`);
        }
      },
    });
    // With opts.turn: relay candidates only, through that TURN server (and the row checks in
    // getStats that the selected pair's local candidate is a relay one).
    const pc = new RTCPeerConnection(opts.turn
      ? { iceServers: [opts.turn], iceTransportPolicy: 'relay' }
      : { iceServers: [] });
    let relayChecked = false;
    async function checkRelay() {
      const stats = await pc.getStats();
      let pair = null;
      stats.forEach((s) => {
        if (s.type === 'transport' && s.selectedCandidatePairId) pair = stats.get(s.selectedCandidatePairId);
      });
      if (!pair) {
        stats.forEach((s) => {
          if (s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded') pair = s;
        });
      }
      const local = pair && stats.get(pair.localCandidateId);
      const remote = pair && stats.get(pair.remoteCandidateId);
      if (!local) return sc.fail('relay only: no selected candidate pair in getStats');
      sc.fact(`selected pair: ${local.candidateType} ${local.address}:${local.port} (via ${opts.turn.urls}) -> ${remote ? `${remote.candidateType} ${remote.address}:${remote.port}` : '?'}`);
      if (local.candidateType !== 'relay') sc.fail(`relay only, but the selected local candidate is ${local.candidateType}`);
      return undefined;
    }

    // Candidates wait until our description is out: the Rust side takes candidates only
    // after the description they belong to.
    let described = false;
    const held = [];
    const sendCandidate = (line) => (described ? opts.signal(line) : held.push(line));
    const describe = (desc) => {
      opts.signal({ type: desc.type, sdp: desc.sdp });
      described = true;
      for (const line of held.splice(0)) opts.signal(line);
    };

    pc.onicecandidate = (e) => {
      const c = e.candidate;
      sendCandidate({
        type: 'candidate',
        // null at the end of gathering: end-of-candidates.
        candidate: c && c.candidate
          ? { candidate: c.candidate, sdpMid: c.sdpMid, sdpMLineIndex: c.sdpMLineIndex, usernameFragment: c.usernameFragment || null }
          : null,
      });
    };
    const onState = () => {
      sc.log(`connection ${pc.connectionState}, ICE ${pc.iceConnectionState}`);
      if (pc.connectionState === 'connected' || pc.iceConnectionState === 'connected' || pc.iceConnectionState === 'completed') {
        sc.connected();
        if (opts.turn && !relayChecked) {
          relayChecked = true;
          checkRelay().catch((err) => sc.fail(`getStats: ${err}`));
        }
      }
      if (pc.connectionState === 'failed' || pc.iceConnectionState === 'failed') sc.fail('the connection failed');
    };
    pc.onconnectionstatechange = onState;
    pc.oniceconnectionstatechange = onState;

    const toBuffer = (bytes) => (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
      ? bytes.buffer
      : bytes.slice().buffer);
    const encoder = new TextEncoder();
    function wire(dc, ordered) {
      dc.binaryType = 'arraybuffer';
      const h = sc.addChannel(dc.label, ordered, {
        sendText: (text) => dc.send(text),
        sendBinary: (bytes) => dc.send(toBuffer(bytes)),
        close: () => dc.close(),
      });
      dc.onopen = () => h.open();
      dc.onmessage = (e) => {
        if (typeof e.data === 'string') h.message(true, encoder.encode(e.data));
        else h.message(false, new Uint8Array(e.data));
      };
      dc.onclose = () => h.closed();
      if (dc.readyState === 'open') h.open();
    }
    pc.ondatachannel = (e) => {
      sc.log(`datachannel \`${e.channel.label}\` (id ${e.channel.id}, ordered ${e.channel.ordered})`);
      if (opts.offerer) sc.fail(`the Rust answerer opened channel \`${e.channel.label}\``);
      wire(e.channel, e.channel.ordered);
    };
    const negotiated = () => {
      const c = CHANNELS.find((x) => x.id !== null);
      wire(pc.createDataChannel(c.label, { ordered: c.ordered, negotiated: true, id: c.id }), undefined);
    };

    async function handle(msg) {
      if (sc.onSignal(msg)) return;
      switch (msg.type) {
        case 'offer': {
          await pc.setRemoteDescription({ type: 'offer', sdp: msg.sdp });
          negotiated();
          await pc.setLocalDescription(await pc.createAnswer());
          describe(pc.localDescription);
          break;
        }
        case 'answer':
          await pc.setRemoteDescription({ type: 'answer', sdp: msg.sdp });
          break;
        case 'candidate': {
          const c = msg.candidate;
          if (!c) break;
          try {
            await pc.addIceCandidate(c);
          } catch (err) {
            sc.log(`addIceCandidate(${JSON.stringify(c.candidate)}): ${err}`);
          }
          break;
        }
        default:
          throw new Error(`unexpected signalling line ${JSON.stringify(msg)}`);
      }
    }
    let queue = Promise.resolve();
    function onSignal(msg) {
      queue = queue.then(() => handle(msg)).catch((err) => sc.fail(`${msg.type}: ${err}`));
    }

    (async () => {
      if (!opts.offerer) return;
      for (const c of CHANNELS) {
        const init = c.id === null ? { ordered: c.ordered } : { ordered: c.ordered, negotiated: true, id: c.id };
        wire(pc.createDataChannel(c.label, init), undefined);
      }
      await pc.setLocalDescription(await pc.createOffer());
      describe(pc.localDescription);
    })().catch((err) => sc.fail(`offer: ${err}`));

    return { onSignal, close: () => pc.close(), scenario: sc };
  }

  const api = { runW3C };
  if (typeof module !== 'undefined' && module.exports) module.exports = api;
  else root.DcW3C = api;
})(typeof window !== 'undefined' ? window : globalThis);
