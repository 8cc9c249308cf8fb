"""aiortc's SDPs for `cargo xtask interop sdp`.

Command line: `offers` prints aiortc's own offers; each `LABEL=FILE` answers the offer in FILE
and prints the answer as `answer-to-LABEL`. Each SDP is one JSON line on stdout:
{"name": "offer-av-data", "type": "offer", "sdp": "v=0\\r\\n..."}; a capture that failed is
{"name": ..., "type": ..., "error": "..."} (same as common.js for the Node peers).
"""

import asyncio
import json
import sys
import traceback

import aioice.ice

# aioice leaves out loopback addresses when gathering; the interop namespace has nothing else.
aioice.ice.get_host_addresses = lambda use_ipv4=True, use_ipv6=True: ["127.0.0.1"]

from aiortc import RTCPeerConnection, RTCSessionDescription  # noqa: E402
from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack  # noqa: E402

TIMEOUT = 10.0
OPEN = []


def emit(record):
    sys.stdout.write(json.dumps(record) + "\n")
    sys.stdout.flush()


async def capture(name, kind, make):
    try:
        sdp = await asyncio.wait_for(make(), TIMEOUT)
        emit({"name": name, "type": kind, "sdp": sdp})
    except Exception as err:  # noqa: BLE001 - every failure becomes an error record
        traceback.print_exc()
        emit({"name": name, "type": kind, "error": f"{type(err).__name__}: {err}"})


async def offer_av_data():
    pc = RTCPeerConnection()
    OPEN.append(pc)
    pc.addTrack(AudioStreamTrack())
    pc.addTrack(VideoStreamTrack())
    pc.createDataChannel("data")
    # aiortc gathers every candidate in setLocalDescription.
    await pc.setLocalDescription(await pc.createOffer())
    return pc.localDescription.sdp


async def answer(sdp):
    pc = RTCPeerConnection()
    OPEN.append(pc)
    await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
    for transceiver in pc.getTransceivers():
        if transceiver.kind == "audio":
            pc.addTrack(AudioStreamTrack())
        elif transceiver.kind == "video":
            pc.addTrack(VideoStreamTrack())
    await pc.setLocalDescription(await pc.createAnswer())
    return pc.localDescription.sdp


async def main(argv):
    offers = False
    answers = []
    for arg in argv:
        if arg == "offers":
            offers = True
        elif "=" in arg:
            label, path = arg.split("=", 1)
            with open(path, encoding="utf-8", newline="") as f:
                answers.append((label, f.read()))
        else:
            sys.exit(f"usage: aiortc_peer.py [offers] [LABEL=OFFER_FILE ...], got {arg}")
    if offers:
        await capture("offer-av-data", "offer", offer_av_data)
    for label, sdp in answers:
        await capture(f"answer-to-{label}", "answer", lambda sdp=sdp: answer(sdp))
    for pc in OPEN:
        await pc.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
