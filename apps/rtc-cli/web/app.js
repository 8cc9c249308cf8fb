// The rtc demo page: joins the room of its URL on the signaling server, calls the peer (the
// newcomer offers), shows both videos, and runs a chat and file transfers over data channels.
// The file protocol is the CLI's (apps/rtc-cli/src/transfer.rs): on a channel labelled
// "file", a text header {name,size,sha256}, binary chunks of 16 KiB, the text "done"; the
// receiver answers {"type":"result","ok":true|false,...}. docs/demo.md describes it all.
//
// window.rtcDemo holds the page's state for people in the console and for the interop test.
'use strict';

(() => {
  const CHUNK = 16 * 1024;
  // Sender back-pressure: wait while more than this is buffered (W3C bufferedAmount).
  const HIGH_WATER = 4 * 1024 * 1024;
  const LOW_WATER = 1024 * 1024;
  const ROOM_RE = /^[A-Za-z0-9_-]{1,64}$/;
  const params = new URLSearchParams(location.search);
  // ?relay=1: only relayed candidates (iceTransportPolicy 'relay'), to try the TURN server.
  const relayOnly = params.get('relay') === '1';
  const $ = (id) => document.getElementById(id);

  const demo = {
    status: 'starting',
    id: null,
    initiator: null,
    connectionState: 'new',
    localMedia: 'none',
    mediaRejected: null,
    path: null,
    chat: [],
    transfers: [],
    log: [],
  };
  window.rtcDemo = demo;

  let config = { iceServers: [] };
  let ws = null;
  let pc = null;
  let chat = null;
  let localStream = null;
  let remoteStream = null;
  let pendingCandidates = [];

  function log(text) {
    demo.log.push(text);
    const li = document.createElement('li');
    li.textContent = `${new Date().toLocaleTimeString()} ${text}`;
    $('log').append(li);
    console.log(text);
  }

  function setStatus(text) {
    demo.status = text;
    $('status').textContent = text;
  }

  function withTimeout(promise, ms, what) {
    return Promise.race([
      promise,
      new Promise((_, reject) => setTimeout(() => reject(new Error(`${what} timed out`)), ms)),
    ]);
  }

  function hex(buffer) {
    return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, '0')).join('');
  }

  function roomFromLocation() {
    const match = location.pathname.match(/^\/r\/([^/]+)\/?$/);
    if (match) return decodeURIComponent(match[1]);
    return params.get('room');
  }

  function showLobby(message) {
    $('lobby').hidden = false;
    setStatus(message || 'pick a room');
    $('room-input').value = `room-${Math.random().toString(36).slice(2, 8)}`;
    $('join-form').onsubmit = (e) => {
      e.preventDefault();
      const name = $('room-input').value.trim();
      if (ROOM_RE.test(name)) location.href = `/r/${name}`;
    };
  }

  // Camera and microphone when there are any (and the origin is a secure context); the page
  // works without them (chat and files only, and it still receives the peer's video).
  async function startMedia() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      log('no getUserMedia here (not a secure context?): joining without camera');
      return;
    }
    for (const constraints of [{ video: true, audio: true }, { video: true }, { audio: true }]) {
      try {
        localStream = await withTimeout(
          navigator.mediaDevices.getUserMedia(constraints), 10000, 'getUserMedia');
        $('local-video').srcObject = localStream;
        demo.localMedia = localStream.getTracks().map((t) => t.kind).join('+');
        log(`local media: ${demo.localMedia}`);
        return;
      } catch (err) {
        log(`getUserMedia(${JSON.stringify(constraints)}): ${err.name || err}`);
      }
    }
    $('local-caption').textContent = 'you (no camera or microphone)';
  }

  function send(message) {
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(message));
  }

  function connect(room) {
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    ws = new WebSocket(`${scheme}://${location.host}/ws`);
    ws.onopen = () => {
      setStatus('joining…');
      send({ type: 'join', room });
    };
    // One message at a time, in order: an answer is set before the candidates after it.
    let queue = Promise.resolve();
    ws.onmessage = (e) => {
      let message;
      try {
        message = JSON.parse(e.data);
      } catch {
        return;
      }
      queue = queue.then(() => onSignal(message)).catch((err) => log(`${message.type}: ${err}`));
    };
    ws.onclose = () => {
      log('the signaling connection closed');
      if (!pc || pc.connectionState !== 'connected') setStatus('disconnected from the server');
    };
  }

  async function onSignal(message) {
    switch (message.type) {
      case 'joined':
        demo.id = message.id;
        demo.initiator = message.initiator;
        if (!(config.iceServers || []).length && Array.isArray(message.iceServers)) {
          config.iceServers = message.iceServers;
        }
        log(`joined as ${message.id}; ${message.peers} peer(s) already here`);
        if (message.initiator) {
          setStatus('calling…');
          await call();
        } else {
          setStatus('waiting for someone to join this room…');
        }
        break;
      case 'peer-joined':
        log(`peer ${message.id} joined`);
        setStatus('the peer joined; waiting for its offer…');
        break;
      case 'offer': {
        if (pc) hangUp();
        makePeerConnection();
        await pc.setRemoteDescription({ type: 'offer', sdp: message.sdp });
        await flushCandidates();
        await pc.setLocalDescription(await pc.createAnswer());
        send({ type: 'answer', sdp: pc.localDescription.sdp });
        noteRejectedMedia();
        break;
      }
      case 'answer':
        if (!pc) return;
        await pc.setRemoteDescription({ type: 'answer', sdp: message.sdp });
        await flushCandidates();
        noteRejectedMedia();
        break;
      case 'candidate': {
        const candidate = message.candidate;
        // End-of-candidates (null or ""): nothing to do.
        if (!candidate || !candidate.candidate) return;
        if (!pc || !pc.remoteDescription) pendingCandidates.push(candidate);
        else await pc.addIceCandidate(candidate).catch((err) => log(`addIceCandidate: ${err}`));
        break;
      }
      case 'peer-left':
        log(`peer ${message.id} left`);
        hangUp();
        setStatus('the peer left; waiting for someone to join…');
        break;
      case 'left':
        break;
      case 'error':
        log(`server: ${message.reason}`);
        if (message.code === 'room-full') setStatus('this room is full');
        break;
      default:
        break;
    }
  }

  async function flushCandidates() {
    const candidates = pendingCandidates;
    pendingCandidates = [];
    for (const candidate of candidates) {
      await pc.addIceCandidate(candidate).catch((err) => log(`addIceCandidate: ${err}`));
    }
  }

  function makePeerConnection() {
    pc = new RTCPeerConnection({
      iceServers: config.iceServers || [],
      iceTransportPolicy: relayOnly ? 'relay' : 'all',
    });
    demo.pc = pc;
    remoteStream = new MediaStream();
    const video = $('remote-video');
    video.srcObject = remoteStream;
    video.hidden = false;
    if (localStream) {
      for (const track of localStream.getTracks()) pc.addTrack(track, localStream);
    }
    pc.onicecandidate = (e) => {
      send({ type: 'candidate', candidate: e.candidate ? e.candidate.toJSON() : null });
    };
    pc.ontrack = (e) => {
      remoteStream.addTrack(e.track);
      log(`remote ${e.track.kind} track`);
      $('remote-caption').textContent = 'peer';
      video.play().catch(() => {
        // Autoplay with sound needs a gesture: play muted, offer a button.
        video.muted = true;
        video.play().catch(() => {});
        $('unmute').hidden = false;
      });
    };
    pc.ondatachannel = (e) => onChannel(e.channel);
    pc.onconnectionstatechange = () => {
      if (!pc) return;
      demo.connectionState = pc.connectionState;
      log(`connection ${pc.connectionState}`);
      if (pc.connectionState === 'connected') {
        setStatus(relayOnly ? 'connected (relay only)' : 'connected');
        describePath().catch(() => {});
      } else if (['failed', 'disconnected'].includes(pc.connectionState)) {
        setStatus(`connection ${pc.connectionState}`);
      }
    };
  }

  // The newcomer's part: an offer for audio and video (receive-only for kinds without a local
  // track, so a camera-less page still gets the peer's video) and the chat channel.
  async function call() {
    makePeerConnection();
    const kinds = new Set(localStream ? localStream.getTracks().map((t) => t.kind) : []);
    for (const kind of ['audio', 'video']) {
      if (!kinds.has(kind)) pc.addTransceiver(kind, { direction: 'recvonly' });
    }
    onChannel(pc.createDataChannel('chat'));
    await pc.setLocalDescription(await pc.createOffer());
    send({ type: 'offer', sdp: pc.localDescription.sdp });
  }

  // A peer that answers audio/video sections with port 0 (rtc today: no media yet) takes
  // no media; say so rather than show a black video.
  function noteRejectedMedia() {
    const answer = demo.initiator ? pc.remoteDescription : pc.localDescription;
    const offer = demo.initiator ? pc.localDescription : pc.remoteDescription;
    if (!answer || !offer) return;
    const rejected = (answer.sdp.match(/^m=(audio|video) 0 /gm) || []).length;
    const offered = (offer.sdp.match(/^m=(audio|video) /gm) || []).length;
    demo.mediaRejected = rejected > 0 || offered === 0;
    if (demo.mediaRejected) {
      $('remote-video').hidden = true;
      $('remote-caption').textContent =
        'the peer takes no audio or video (the Rust peer has data channels only for now)';
      log(`media: ${rejected} of ${offered} audio/video section(s) rejected`);
    }
  }

  async function describePath() {
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
    if (!pair) return;
    const local = stats.get(pair.localCandidateId);
    const remote = stats.get(pair.remoteCandidateId);
    demo.path = {
      local: local ? local.candidateType : null,
      remote: remote ? remote.candidateType : null,
    };
    log(`path: local ${demo.path.local}, remote ${demo.path.remote}`);
  }

  function hangUp() {
    if (chat) chat.onclose = null;
    chat = null;
    if (pc) {
      pc.onconnectionstatechange = null;
      pc.close();
    }
    pc = null;
    pendingCandidates = [];
    demo.connectionState = 'closed';
    $('remote-video').srcObject = null;
    $('remote-video').hidden = false;
    $('remote-caption').textContent = 'waiting for the peer…';
    setChatEnabled(false);
  }

  function setChatEnabled(enabled) {
    for (const id of ['chat-input', 'chat-send', 'file-send']) $(id).disabled = !enabled;
  }

  function onChannel(channel) {
    if (channel.label === 'chat') setupChat(channel);
    else if (channel.label === 'file') receiveFile(channel);
    else log(`channel ${channel.label} ignored`);
  }

  function setupChat(channel) {
    chat = channel;
    const open = () => {
      log('chat open');
      setChatEnabled(true);
    };
    channel.onopen = open;
    if (channel.readyState === 'open') open();
    channel.onclose = () => setChatEnabled(false);
    channel.onmessage = (e) => {
      if (typeof e.data === 'string') addChat('peer', e.data);
    };
  }

  function addChat(from, text) {
    demo.chat.push({ from, text });
    const li = document.createElement('li');
    li.className = from;
    const span = document.createElement('span');
    span.textContent = text;
    li.append(span);
    $('chat-log').append(li);
    $('chat-log').scrollTop = $('chat-log').scrollHeight;
  }

  $('chat-form').onsubmit = (e) => {
    e.preventDefault();
    const text = $('chat-input').value;
    if (!text || !chat || chat.readyState !== 'open') return;
    chat.send(text);
    addChat('me', text);
    $('chat-input').value = '';
  };

  $('unmute').onclick = () => {
    $('remote-video').muted = false;
    $('unmute').hidden = true;
  };

  // A row of the transfers list, and its record in window.rtcDemo.transfers.
  function addTransfer(direction, name, size) {
    const record = { direction, name, size, bytes: 0, state: 'starting', sha256: null, reason: null };
    demo.transfers.push(record);
    const li = document.createElement('li');
    const title = document.createElement('div');
    title.textContent = `${direction === 'send' ? '→' : '←'} ${name} (${size} bytes)`;
    const bar = document.createElement('progress');
    bar.max = Math.max(size, 1);
    bar.value = 0;
    const state = document.createElement('div');
    li.append(title, bar, state);
    $('transfers').append(li);
    const show = (text, className) => {
      record.state = text;
      state.textContent = text;
      state.className = className || '';
    };
    return {
      record,
      show,
      progress(bytes) {
        record.bytes = bytes;
        bar.value = bytes;
      },
      fail(reason) {
        record.reason = reason;
        show(`failed: ${reason}`, 'failed');
        record.ok = false;
      },
      done(text, blob) {
        record.ok = true;
        bar.value = bar.max;
        show(text, 'verified');
        if (blob) {
          const a = document.createElement('a');
          a.href = URL.createObjectURL(blob);
          a.download = name;
          a.textContent = 'save';
          li.append(a);
        }
      },
    };
  }

  $('file-form').onsubmit = (e) => {
    e.preventDefault();
    const file = $('file-input').files[0];
    if (file) sendFile(file).catch((err) => log(`sending ${file.name}: ${err}`));
  };

  async function sendFile(file) {
    const transfer = addTransfer('send', file.name, file.size);
    if (!pc) return transfer.fail('not connected');
    if (!crypto.subtle) {
      return transfer.fail('crypto.subtle is missing (not a secure context: use http://localhost or https)');
    }
    transfer.show('hashing…');
    // crypto.subtle has no streaming digest: the page holds the whole file.
    const data = await file.arrayBuffer();
    const sha256 = hex(await crypto.subtle.digest('SHA-256', data));
    transfer.record.sha256 = sha256;
    const channel = pc.createDataChannel('file');
    channel.binaryType = 'arraybuffer';
    channel.bufferedAmountLowThreshold = LOW_WATER;
    const verdict = new Promise((resolve) => {
      channel.onmessage = (e) => {
        if (typeof e.data !== 'string') return;
        try {
          const message = JSON.parse(e.data);
          if (message.type === 'result') resolve(message);
        } catch {
          // The peer's echo of our own messages (rtc echo) is no verdict.
        }
      };
      channel.onclose = () => resolve(null);
    });
    await withTimeout(new Promise((resolve) => {
      if (channel.readyState === 'open') resolve();
      channel.onopen = () => resolve();
    }), 20000, 'opening the file channel');
    channel.send(JSON.stringify({ name: file.name, size: file.size, sha256 }));
    transfer.show('sending…');
    for (let offset = 0; offset < data.byteLength; offset += CHUNK) {
      if (channel.bufferedAmount > HIGH_WATER) {
        await new Promise((resolve) => {
          channel.onbufferedamountlow = () => {
            channel.onbufferedamountlow = null;
            resolve();
          };
        });
      }
      if (channel.readyState !== 'open') return transfer.fail('the channel closed');
      channel.send(data.slice(offset, offset + CHUNK));
      transfer.progress(Math.min(offset + CHUNK, data.byteLength));
    }
    channel.send('done');
    transfer.show('waiting for the receiver to check it…');
    const result = await withTimeout(verdict, 60000, 'the verdict').catch(() => null);
    if (result && result.ok) transfer.done('delivered; the receiver verified its SHA-256');
    else transfer.fail(result ? `refused: ${result.reason}` : 'no verdict from the receiver');
    channel.close();
    return undefined;
  }

  function receiveFile(channel) {
    channel.binaryType = 'arraybuffer';
    let header = null;
    let transfer = null;
    let chunks = [];
    let received = 0;
    let finished = false;
    const answer = (result) => {
      if (channel.readyState === 'open') channel.send(JSON.stringify({ type: 'result', ...result }));
    };
    const refuse = (reason) => {
      finished = true;
      chunks = [];
      answer({ ok: false, reason });
      if (transfer) transfer.fail(reason);
      else log(`file refused: ${reason}`);
    };
    channel.onmessage = async (e) => {
      if (finished) return;
      if (typeof e.data === 'string') {
        if (!header) {
          try {
            header = JSON.parse(e.data);
          } catch {
            return refuse('the header is not JSON');
          }
          if (!header || typeof header.name !== 'string' || !Number.isSafeInteger(header.size)
            || header.size < 0 || !/^[0-9a-fA-F]{64}$/.test(header.sha256)) {
            return refuse('a header needs name, size and a 64-digit sha256');
          }
          transfer = addTransfer('receive', header.name, header.size);
          transfer.show('receiving…');
          return undefined;
        }
        if (e.data !== 'done') return refuse('unexpected text message');
        finished = true;
        const blob = new Blob(chunks, { type: 'application/octet-stream' });
        chunks = [];
        if (received !== header.size) {
          return refuse(`size mismatch: ${received} bytes received, ${header.size} announced`);
        }
        if (!crypto.subtle) {
          return refuse('the receiving page cannot hash (not a secure context)');
        }
        const digest = hex(await crypto.subtle.digest('SHA-256', await blob.arrayBuffer()));
        transfer.record.sha256 = digest;
        if (digest !== header.sha256.toLowerCase()) {
          return refuse(`SHA-256 mismatch: announced ${header.sha256}, received ${digest}`);
        }
        answer({ ok: true, sha256: digest });
        transfer.done('received; SHA-256 verified', blob);
        return undefined;
      }
      if (!header) return refuse('binary data before the header');
      chunks.push(e.data);
      received += e.data.byteLength;
      if (received > header.size) return refuse(`more than the ${header.size} bytes announced`);
      transfer.progress(received);
      return undefined;
    };
    channel.onclose = () => {
      if (!finished && transfer) transfer.fail(`the channel closed after ${received} bytes`);
    };
  }

  async function main() {
    const room = roomFromLocation();
    if (!room) return showLobby();
    if (!ROOM_RE.test(room)) {
      return showLobby(`"${room}" is not a room name: 1 to 64 of A-Z a-z 0-9 _ -`);
    }
    $('call').hidden = false;
    $('room').textContent = `room ${room}`;
    document.title = `rtc: ${room}`;
    try {
      config = await (await fetch('/config.json')).json();
    } catch (err) {
      log(`no /config.json: ${err}`);
    }
    await startMedia();
    connect(room);
    return undefined;
  }

  main().catch((err) => {
    log(`${err}`);
    setStatus(`error: ${err}`);
  });
})();
