"""aiortc as the peer of `cargo xtask interop media` (README.md): it sends a synthetic video
track (aiortc's VideoStreamTrack frames with a moving pattern, encoded by aiortc as VP8) and a
440 Hz tone (encoded as Opus), and decodes what the Rust peer sends: a row needs its decoder to
have turned our VP8 into at least `--frames` pictures and our Opus into audio frames.
Signalling lines as in interop/datachannel (aiortc does not trickle: its description carries
its candidates).

Command line: `aiortc_peer.py --offer|--answer [--frames N] [--timeout SECONDS]`.
"""

import argparse
import asyncio
import fractions
import json
import math
import sys
import time

import aioice.ice

# aioice leaves out loopback addresses when gathering; the interop namespace has nothing else.
aioice.ice.get_host_addresses = lambda use_ipv4=True, use_ipv6=True: ["127.0.0.1"]

import array  # noqa: E402

import av  # noqa: E402
from aiortc import (  # noqa: E402
    MediaStreamTrack,
    RTCPeerConnection,
    RTCRtpSender,
    RTCSessionDescription,
    VideoStreamTrack,
)
from aiortc.sdp import candidate_from_sdp  # noqa: E402


def signal(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def log(text):
    sys.stderr.write(f"{text}\n")
    sys.stderr.flush()


class Pattern(VideoStreamTrack):
    """320x240 frames whose colours move, so that the encoder has something to encode."""

    def __init__(self):
        super().__init__()
        self.n = 0

    async def recv(self):
        pts, time_base = await self.next_timestamp()
        frame = av.VideoFrame(320, 240, "yuv420p")
        row = bytearray([(self.n * 4) % 256]) * 320
        row[(self.n * 3) % 320] = 255
        for i, plane in enumerate(frame.planes):
            size = plane.line_size * plane.height
            plane.update(bytes(row[: plane.line_size]) * plane.height if i == 0 else bytes([128]) * size)
        frame.pts = pts
        frame.time_base = time_base
        self.n += 1
        return frame


class Tone(MediaStreamTrack):
    """20 ms frames of a 440 Hz tone at 48 kHz."""

    kind = "audio"

    def __init__(self):
        super().__init__()
        self.samples = 0
        self.start = None

    async def recv(self):
        if self.start is None:
            self.start = time.monotonic()
        at = self.start + self.samples / 48000
        wait = at - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        n = 960
        pcm = array.array(
            "h",
            (int(math.sin(2 * math.pi * 440 * (i + self.samples) / 48000) * 8000) for i in range(n)),
        )
        frame = av.AudioFrame(format="s16", layout="mono", samples=n)
        frame.planes[0].update(pcm.tobytes())
        frame.sample_rate = 48000
        frame.pts = self.samples
        frame.time_base = fractions.Fraction(1, 48000)
        self.samples += n
        return frame


async def run(args):
    pc = RTCPeerConnection()
    done = asyncio.get_running_loop().create_future()
    counts = {"video": 0, "audio": 0, "video_size": None}
    completed = {"us": False, "peer": None}

    def finish(ok, detail, errors=()):
        if not done.done():
            signal({"type": "done", "ok": ok, "detail": detail, "errors": list(errors)})
            done.set_result(ok)

    def check_complete():
        if (
            not completed["us"]
            and counts["video"] >= args.frames
            and counts["audio"] >= 50
        ):
            completed["us"] = True
            signal(
                {
                    "type": "complete",
                    "framesDecoded": counts["video"],
                    "frameSize": counts["video_size"],
                    "audioFrames": counts["audio"],
                }
            )

    async def consume(track):
        while True:
            try:
                frame = await track.recv()
            except Exception:  # noqa: BLE001 (the track ended)
                return
            counts[track.kind] += 1
            if track.kind == "video":
                counts["video_size"] = f"{frame.width}x{frame.height}"
            check_complete()

    @pc.on("track")
    def on_track(track):
        log(f"track {track.kind}")
        asyncio.ensure_future(consume(track))

    @pc.on("connectionstatechange")
    def on_state():
        log(f"connection {pc.connectionState}")
        if pc.connectionState == "failed":
            finish(False, "", ["the connection failed"])

    video = pc.addTrack(Pattern())
    pc.addTrack(Tone())
    # VP8 only, so the Rust side saves an IVF file of VP8.
    for t in pc.getTransceivers():
        if t.kind == "video":
            vp8 = [c for c in RTCRtpSender.getCapabilities("video").codecs if c.mimeType in ("video/VP8", "video/rtx")]
            t.setCodecPreferences(vp8)
    del video

    async def describe():
        d = pc.localDescription
        signal({"type": d.type, "sdp": d.sdp})
        signal({"type": "candidate", "candidate": {"candidate": "", "sdpMid": None, "sdpMLineIndex": 0}})

    if args.offer:
        await pc.setLocalDescription(await pc.createOffer())
        await describe()

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
            try:
                msg = json.loads(line)
            except ValueError:
                continue
            kind = msg.get("type")
            try:
                if kind in ("offer", "answer"):
                    await pc.setRemoteDescription(RTCSessionDescription(sdp=msg["sdp"], type=kind))
                    if kind == "offer":
                        await pc.setLocalDescription(await pc.createAnswer())
                        await describe()
                elif kind == "candidate":
                    c = msg.get("candidate") or {}
                    text = c.get("candidate") or ""
                    if text:
                        cand = candidate_from_sdp(text.split(":", 1)[1])
                        cand.sdpMid = c.get("sdpMid")
                        cand.sdpMLineIndex = c.get("sdpMLineIndex")
                        await pc.addIceCandidate(cand)
                elif kind == "complete":
                    completed["peer"] = msg
                elif kind == "done":
                    ok = completed["us"]
                    finish(
                        ok,
                        f"decoded {counts['video']} video frames ({counts['video_size']}) and "
                        f"{counts['audio']} audio frames",
                        [] if ok else [f"only {counts['video']} video and {counts['audio']} audio frames decoded"],
                    )
            except Exception as err:  # noqa: BLE001
                finish(False, "", [f"{kind}: {err!r}"])

    reader = asyncio.ensure_future(handle_lines())
    try:
        await asyncio.wait_for(asyncio.shield(done), args.timeout)
    except asyncio.TimeoutError:
        finish(
            False,
            "",
            [f"timed out after {args.timeout} s with {counts['video']} video and {counts['audio']} audio frames decoded"],
        )
    try:
        await asyncio.wait_for(reader, 10)
    except asyncio.TimeoutError:
        pass
    await pc.close()
    return done.result()


async def main():
    parser = argparse.ArgumentParser()
    role = parser.add_mutually_exclusive_group(required=True)
    role.add_argument("--offer", action="store_true")
    role.add_argument("--answer", action="store_true")
    parser.add_argument("--frames", type=int, default=30)
    parser.add_argument("--timeout", type=float, default=45.0)
    args = parser.parse_args()
    return 0 if await run(args) else 1


if __name__ == "__main__":
    code = asyncio.run(main())
    sys.stdout.flush()
    import os

    os._exit(code)
