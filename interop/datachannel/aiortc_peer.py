"""aiortc as the peer of `cargo xtask interop datachannel`: the peer's half of the data
channel scenario (README.md; the same as scenario.js for the Node peers), signalling with one
JSON object per line on stdin and stdout, logs on stderr.

Command line: `aiortc_peer.py --offer|--answer [--big BYTES] [--timeout SECONDS]`.

aiortc gathers every candidate during setLocalDescription and puts them into the description
(no trickle), so its description carries them and a null candidate (end-of-candidates)
follows.
"""

import argparse
import asyncio
import json
import sys
import time

import aioice.ice

# aioice leaves out loopback addresses when gathering; the interop namespace has nothing else.
aioice.ice.get_host_addresses = lambda use_ipv4=True, use_ipv6=True: ["127.0.0.1"]

from aiortc import RTCPeerConnection, RTCSessionDescription  # noqa: E402
from aiortc.sdp import candidate_from_sdp  # noqa: E402

OURS = ord("P")
THEIRS = ord("R")
# label, ordered, negotiated id (None: in band, opened by the offerer)
CHANNELS = [("ordered", True, None), ("unordered", False, None), ("negotiated", True, 5)]


def message(origin, is_string, length):
    """`origin`, then a..z repeated (text) or (7 i + 3) mod 256 (binary)."""
    if is_string:
        body = bytes(0x61 + (i % 26) for i in range(1, length))
    else:
        body = bytes((i * 7 + 3) & 0xFF for i in range(1, length))
    return bytes([origin]) + body


def kinds(big):
    return [(s, n) for s in (True, False) for n in (1, 16 * 1024, big)]


def kind_name(kind):
    return f"{'text' if kind[0] else 'binary'} {kind[1]} B"


def signal(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


class Channel:
    def __init__(self, scenario, channel, label, ordered):
        self.sc = scenario
        self.dc = channel
        self.label = label
        self.ordered = ordered
        self.kinds = kinds(scenario.big)
        self.echoed = set()
        self.received = []
        self.opened = False
        self.closed = False
        self.complete = False

    def send(self, is_string, data):
        self.dc.send(data.decode("ascii") if is_string else data)

    def on_open(self):
        if self.opened:
            return
        self.opened = True
        self.sc.log(f"channel `{self.label}` open")
        try:
            for is_string, length in self.kinds:
                self.send(is_string, message(OURS, is_string, length))
        except Exception as err:  # noqa: BLE001
            self.sc.fail(f"{self.label}: sending: {err!r}")

    def on_message(self, msg):
        if self.sc.finished:
            return
        is_string = isinstance(msg, str)
        data = msg.encode("utf-8") if is_string else bytes(msg)
        kind = (is_string, len(data))
        what = f"{self.label}: {kind_name(kind)}"
        if kind not in self.kinds:
            return self.sc.fail(f"{what}: no message of this kind was expected")
        origin = data[0]
        if origin not in (OURS, THEIRS):
            return self.sc.fail(f"{what}: starts with byte {origin}")
        expected = message(origin, is_string, len(data))
        if data != expected:
            at = next(i for i in range(len(data)) if data[i] != expected[i])
            source = "us (echo)" if origin == OURS else "the Rust side"
            return self.sc.fail(
                f"{what} from {source}: byte {at} is {data[at]}, expected {expected[at]}"
            )
        if origin == OURS:
            if kind in self.echoed:
                return self.sc.fail(f"{what}: echoed twice")
            self.echoed.add(kind)
        else:
            if kind in self.received:
                return self.sc.fail(f"{what}: arrived twice")
            self.received.append(kind)
            if self.ordered and len(self.received) == len(self.kinds) and self.received != self.kinds:
                names = ", ".join(kind_name(k) for k in self.received)
                return self.sc.fail(f"{self.label}: ordered channel delivered {names}")
            try:
                self.send(is_string, data)
            except Exception as err:  # noqa: BLE001
                return self.sc.fail(f"{what}: echo: {err!r}")
        if (
            not self.complete
            and len(self.echoed) == len(self.kinds)
            and len(self.received) == len(self.kinds)
        ):
            self.complete = True
            self.sc.log(f"channel `{self.label}` complete")
            self.sc.check_complete()

    def on_close(self):
        if self.closed or self.sc.finished:
            return
        self.closed = True
        self.sc.log(f"channel `{self.label}` closed")
        if not self.complete:
            return self.sc.fail(f"`{self.label}` closed before its messages were done")
        if all(c.closed for c in self.sc.channels.values()) and len(self.sc.channels) == len(CHANNELS):
            self.sc.finish(True)

    def progress(self):
        n = len(self.kinds)
        return (
            f"{self.label}: open {self.opened}, {len(self.echoed)}/{n} echoed back, "
            f"{len(self.received)}/{n} received, closed {self.closed}"
        )


class Scenario:
    def __init__(self, args):
        self.offerer = args.offer
        self.big = args.big
        self.start = time.monotonic()
        self.channels = {}
        self.errors = []
        self.facts = []
        self.we_complete = False
        self.peer_complete = False
        self.close_sent = False
        self.finished = False
        self.connected_at = None
        self.completed_at = None
        self.done = asyncio.get_running_loop().create_future()
        self.pc = RTCPeerConnection()

    def log(self, text):
        sys.stderr.write(f"[{time.monotonic() - self.start:7.3f}] {text}\n")
        sys.stderr.flush()

    def fail(self, error):
        if self.finished:
            return
        self.errors.append(str(error))
        self.finish(False)

    def finish(self, ok):
        if self.finished:
            return
        self.finished = True

        def secs(t):
            return "-" if t is None else f"{t - self.start:.2f} s"

        facts = list(self.facts)
        if not ok:
            for label, _, _ in CHANNELS:
                ch = self.channels.get(label)
                facts.append(ch.progress() if ch else f"{label}: never seen")
            if not self.peer_complete:
                facts.append("the Rust side never said complete")
        detail = (
            f"connected after {secs(self.connected_at)}, messages done after "
            f"{secs(self.completed_at)}, closed by {'us' if self.offerer else 'the Rust side'} "
            f"after {secs(time.monotonic())}"
        )
        if facts:
            detail += "; " + "; ".join(facts)
        done = {"type": "done", "ok": ok and not self.errors, "detail": detail, "errors": self.errors}
        self.log(f"done: {json.dumps(done)}")
        signal(done)
        if not self.done.done():
            self.done.set_result(done)

    def wire(self, channel, ordered):
        label = channel.label
        spec = next((c for c in CHANNELS if c[0] == label), None)
        if spec is None:
            return self.fail(f"unexpected channel `{label}`")
        if label in self.channels:
            return self.fail(f"a second channel `{label}`")
        if ordered is not None and ordered != spec[1]:
            self.fail(f"channel `{label}` has ordered={ordered}, expected {spec[1]}")
        ch = Channel(self, channel, label, spec[1])
        self.channels[label] = ch
        channel.on("open", ch.on_open)
        channel.on("message", ch.on_message)
        channel.on("close", ch.on_close)
        if channel.readyState == "open":
            ch.on_open()

    def create_channel(self, label, ordered, channel_id):
        if channel_id is None:
            channel = self.pc.createDataChannel(label, ordered=ordered)
        else:
            channel = self.pc.createDataChannel(label, ordered=ordered, negotiated=True, id=channel_id)
        self.wire(channel, None)

    def check_complete(self):
        if not self.we_complete and len(self.channels) == len(CHANNELS) and all(
            c.complete for c in self.channels.values()
        ):
            self.we_complete = True
            self.completed_at = time.monotonic()
            self.log("every channel is complete")
            # The size aiortc sends up to, from our a=max-message-size (private attribute).
            size = getattr(self.pc.sctp, "_remote_max_message_size", None)
            self.facts.append(f"remote max-message-size {size}")
            signal({"type": "complete"})
        self.maybe_close()

    def maybe_close(self):
        if self.offerer and self.we_complete and self.peer_complete and not self.close_sent:
            self.close_sent = True
            self.log("both sides complete: closing the channels")
            for ch in self.channels.values():
                ch.dc.close()

    async def describe(self):
        desc = self.pc.localDescription
        signal({"type": desc.type, "sdp": desc.sdp})
        # Every candidate is in the description: end-of-candidates.
        signal({"type": "candidate", "candidate": None})

    async def handle(self, msg):
        kind = msg.get("type")
        if kind == "complete":
            self.log("the Rust side is complete")
            self.peer_complete = True
            self.maybe_close()
        elif kind == "done":
            self.log(f"the Rust side is done: {json.dumps(msg)}")
        elif kind == "offer":
            await self.pc.setRemoteDescription(RTCSessionDescription(sdp=msg["sdp"], type="offer"))
            label, ordered, channel_id = CHANNELS[2]
            self.create_channel(label, ordered, channel_id)
            await self.pc.setLocalDescription(await self.pc.createAnswer())
            await self.describe()
        elif kind == "answer":
            await self.pc.setRemoteDescription(RTCSessionDescription(sdp=msg["sdp"], type="answer"))
        elif kind == "candidate":
            c = msg.get("candidate")
            try:
                if not c or not c.get("candidate"):
                    await self.pc.addIceCandidate(None)
                else:
                    candidate = candidate_from_sdp(c["candidate"].split(":", 1)[1])
                    candidate.sdpMid = c.get("sdpMid")
                    candidate.sdpMLineIndex = c.get("sdpMLineIndex")
                    await self.pc.addIceCandidate(candidate)
            except Exception as err:  # noqa: BLE001
                self.log(f"addIceCandidate({c}): {err!r}")
        else:
            raise ValueError(f"unexpected signalling line {msg}")

    async def run(self, timeout):
        pc = self.pc

        @pc.on("connectionstatechange")
        def on_state():
            self.log(f"connection {pc.connectionState}")
            if pc.connectionState == "connected" and self.connected_at is None:
                self.connected_at = time.monotonic()
            if pc.connectionState == "failed":
                self.fail("the connection failed")

        @pc.on("datachannel")
        def on_datachannel(channel):
            self.log(f"datachannel `{channel.label}` (id {channel.id}, ordered {channel.ordered})")
            if self.offerer:
                self.fail(f"the Rust answerer opened channel `{channel.label}`")
            self.wire(channel, channel.ordered)

        if self.offerer:
            for label, ordered, channel_id in CHANNELS:
                self.create_channel(label, ordered, channel_id)
            await pc.setLocalDescription(await pc.createOffer())
            await self.describe()

        lines = asyncio.Queue()
        loop = asyncio.get_running_loop()

        def read_stdin():
            for line in sys.stdin:
                loop.call_soon_threadsafe(lines.put_nowait, line)
            loop.call_soon_threadsafe(lines.put_nowait, None)

        loop.run_in_executor(None, read_stdin)

        async def handle_lines():
            while True:
                line = await lines.get()
                if line is None:
                    return
                if not line.strip():
                    continue
                try:
                    msg = json.loads(line)
                except ValueError as err:
                    self.log(f"bad signalling line {line!r}: {err}")
                    continue
                try:
                    await self.handle(msg)
                except Exception as err:  # noqa: BLE001
                    self.fail(f"{msg.get('type')}: {err!r}")

        reader = asyncio.ensure_future(handle_lines())
        try:
            await asyncio.wait_for(asyncio.shield(self.done), timeout)
        except asyncio.TimeoutError:
            self.fail(f"timed out after {timeout} s")
        # Keep the connection up until the xtask has both results (it ends our stdin).
        try:
            await asyncio.wait_for(reader, 10)
        except asyncio.TimeoutError:
            pass
        await pc.close()
        return self.done.result()


async def main():
    parser = argparse.ArgumentParser()
    role = parser.add_mutually_exclusive_group(required=True)
    role.add_argument("--offer", action="store_true")
    role.add_argument("--answer", action="store_true")
    parser.add_argument("--big", type=int, default=256 * 1024)
    parser.add_argument("--timeout", type=float, default=50.0)
    args = parser.parse_args()
    scenario = Scenario(args)
    done = await scenario.run(args.timeout)
    return 0 if done["ok"] else 1


if __name__ == "__main__":
    code = asyncio.run(main())
    # The stdin thread may still block in readline.
    sys.stdout.flush()
    import os

    os._exit(code)
