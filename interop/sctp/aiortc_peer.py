"""aiortc's SCTP association (RTCSctpTransport) over a plain UDP socket, for `cargo xtask interop sctp`.

Each UDP datagram carries one raw SCTP packet (common header + chunks), exactly what would be the
DTLS application data in WebRTC: no DTLS, no RFC 6951 UDP encapsulation header. usrsctp's
ekr_server / ekr_client / ekr_peer frame their packets the same way.

    aiortc_peer.py --role {client,server} --local-port N --remote-port M
                   [--scenario channels|discard] [--dtls-role {client,server}]
                   [--sctp-port 5000] [--remote-sctp-port 5000] [--address 127.0.0.1]
                   [--timeout 10] [--dump] [--verbose]

stdout: `READY {...}` once the UDP socket is bound, then exactly one `RESULT {...}` JSON line.
Exit status 0 when the result is ok, 1 otherwise. The protocol each role follows is written down
in README.md next to this file; the Rust peer implements the same one.
"""

import argparse
import asyncio
import collections
import json
import logging
import socket
import sys
import time
import traceback

from aiortc.rtcdatachannel import RTCDataChannel, RTCDataChannelParameters
from aiortc.rtcsctptransport import RTCSctpCapabilities, RTCSctpTransport

# The channels the client opens in-band (DCEP), in this order, with their RTCDataChannelInit.
DCEP_CHANNELS = [
    ("reliable", {"ordered": True}),
    ("unordered", {"ordered": False}),
    ("rexmit", {"ordered": False, "maxRetransmits": 0}),
    ("lifetime", {"ordered": True, "maxPacketLifeTime": 1000}),
]
# The channel both sides create out-of-band (negotiated=True) with the same id.
NEGOTIATED_LABEL = "negotiated"
NEGOTIATED_ID = 100
# RFC 8841 section 6: the maximum message size when the peer advertises none (no SDP here).
MAX_MESSAGE_SIZE = 65536
# How long the server waits, after every channel closed, for the client to end the association.
END_GRACE = 2.0
# Bytes asked for the UDP receive buffer (see grow_receive_buffer).
RECEIVE_BUFFER = 4 * 1024 * 1024


def messages(label):
    """The messages the opener sends on the channel `label`, in order (str = text, bytes = binary)."""
    msgs = [
        f"hello {label}",
        "",
        b"",
        bytes(range(256)),
        "ünïcödé €𝄞",
        "0123456789" * 300,
        bytes(i % 251 for i in range(65536)),
    ]
    msgs += [f"{label} #{i}" for i in range(len(msgs), 16)]
    return msgs


def expected_params(label):
    """(ordered, maxRetransmits, maxPacketLifeTime) of the channel `label`."""
    if label == NEGOTIATED_LABEL:
        return True, None, None
    init = dict(DCEP_CHANNELS)[label]
    return init.get("ordered", True), init.get("maxRetransmits"), init.get("maxPacketLifeTime")


def describe(msg):
    kind = "text" if isinstance(msg, str) else "binary"
    raw = msg.encode("utf8") if isinstance(msg, str) else msg
    return f"{kind}[{len(raw)}]{raw[:16]!r}"


def compare(label, expected, got):
    """None when `got` equals `expected` (in order on ordered channels), else the difference."""
    if not expected_params(label)[0]:
        # unordered channel: the same messages, in any order
        def key(m):
            return (isinstance(m, str), m.encode("utf8") if isinstance(m, str) else m)

        if sorted(expected, key=key) == sorted(got, key=key):
            return None
        missing = [describe(m) for m in expected if m not in got]  # str never equals bytes
        return (f"{label}: got {len(got)} messages, expected {len(expected)} (unordered, compared "
                f"as a multiset); missing or different: {missing[:3]}")
    for i, (e, g) in enumerate(zip(expected, got)):
        if type(e) is not type(g) or e != g:
            return f"{label}: message {i}: expected {describe(e)}, got {describe(g)}"
    if len(got) != len(expected):
        return f"{label}: {len(got)} messages, expected {len(expected)}"
    return None


def grow_receive_buffer(sock):
    """A 4 MiB UDP receive buffer: the kernel's default (208 KiB) overflows on loopback.

    aiortc's congestion window grows on every SACK and a lossless loopback never shrinks it, so
    a peer bursts hundreds of packets while the (Python) receiver is busy echoing; with the default
    buffer the kernel dropped ~180 datagrams per run (UDP RcvbufErrors), which the partially
    reliable channels then never recover. SO_RCVBUFFORCE (root) ignores net.core.rmem_max.
    """
    for option in (getattr(socket, "SO_RCVBUFFORCE", 33), socket.SO_RCVBUF):
        try:
            sock.setsockopt(socket.SOL_SOCKET, option, RECEIVE_BUFFER)
            break
        except OSError:
            continue
    return sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)


class Dumper:
    """usrsctp_dumppacket-style lines on stderr (sctp_dump.py and text2pcap read them)."""

    def __init__(self, enabled):
        self.enabled = enabled

    def __call__(self, direction, data):
        if self.enabled:
            t = time.time()
            stamp = time.strftime("%H:%M:%S", time.localtime(t)) + f".{int(t % 1 * 1e6):06d}"
            sys.stderr.write(f"\n{direction} {stamp} 0000 {data.hex(' ')} # SCTP_PACKET\n")


class UdpDtlsStandIn:
    """What RTCSctpTransport uses of RTCDtlsTransport, over a plain UDP socket.

    aiortc only reads `state`, `_role` (RFC 8832 stream id parity: the DTLS client uses even
    ids) and calls `_register_data_receiver`, `_unregister_data_receiver` and `_send_data`; the
    DTLS transport feeds received application data to `receiver._handle_data(data)` one packet at
    a time, which `run` does here in arrival order.
    """

    def __init__(self, role, remote, dump, fail):
        self._role = role
        self.state = "connected"
        self._receiver = None
        self._remote = remote
        self._dump = dump
        self._fail = fail
        self._udp = None
        self._queue = asyncio.Queue()

    # asyncio.DatagramProtocol
    def connection_made(self, transport):
        self._udp = transport

    def datagram_received(self, data, addr):
        if addr[:2] == self._remote:
            self._queue.put_nowait(data)

    def error_received(self, exc):
        pass  # ICMP port unreachable before the peer is up: SCTP retransmits

    def connection_lost(self, exc):
        pass

    # RTCDtlsTransport's side
    def _register_data_receiver(self, receiver):
        self._receiver = receiver

    def _unregister_data_receiver(self, receiver):
        if self._receiver is receiver:
            self._receiver = None

    async def _send_data(self, data):
        self._dump("O", data)
        if self._udp is not None and not self._udp.is_closing():
            self._udp.sendto(data, self._remote)

    async def run(self):
        while True:
            data = await self._queue.get()
            self._dump("I", data)
            if self._receiver is not None:
                try:
                    await self._receiver._handle_data(data)
                except Exception as err:  # noqa: BLE001 - aiortc choked on a packet: report it
                    traceback.print_exc()
                    self._fail(f"aiortc raised {type(err).__name__}: {err} on a packet")


class CountingSctpTransport(RTCSctpTransport):
    """RTCSctpTransport that counts the chunk types it sends and receives (for the result)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.chunks_received = collections.Counter()
        self.chunks_sent = collections.Counter()

    async def _receive_chunk(self, chunk):
        self.chunks_received[type(chunk).__name__.removesuffix("Chunk")] += 1
        await super()._receive_chunk(chunk)

    async def _send_chunk(self, chunk):
        self.chunks_sent[type(chunk).__name__.removesuffix("Chunk")] += 1
        await super()._send_chunk(chunk)

    @property
    def closed(self):
        return self._association_state == self.State.CLOSED


class Peer:
    def __init__(self, args):
        self.args = args
        self.errors = []
        self.done = asyncio.Event()
        self.started = time.monotonic()
        self.channels = {}  # label -> record for the result
        self.received = {}  # label -> messages received (client: echoes, server: originals)
        self.objects = {}  # label -> RTCDataChannel
        self.finished = False  # set once the scenario is over (closes after that are ours)

    def fail(self, reason):
        if reason not in self.errors:
            self.errors.append(reason)
        self.done.set()

    def result(self, sctp, extra):
        record = {
            "ok": not self.errors,
            "role": self.args.role,
            "scenario": self.args.scenario,
            "dtls_role": self.args.dtls_role,
            "reason": "; ".join(self.errors) or None,
            "channels": self.channels,
            "elapsed": round(time.monotonic() - self.started, 3),
            "chunks_received": dict(sorted(sctp.chunks_received.items())),
            "chunks_sent": dict(sorted(sctp.chunks_sent.items())),
        }
        record.update(extra)
        return record

    # client, scenario "channels"

    def client_channels(self, sctp):
        def attach(label, channel):
            self.objects[label] = channel
            self.received[label] = []
            rec = self.channels[label] = {
                "id": channel.id, "open": False, "sent": 0, "echoed": 0, "closed": False,
            }
            expected = messages(label)

            @channel.on("open")
            def on_open():
                rec["open"] = True
                rec["id"] = channel.id
                for msg in expected:
                    channel.send(msg)
                    rec["sent"] += 1

            @channel.on("message")
            def on_message(msg):
                got = self.received[label]
                got.append(msg)
                rec["echoed"] = len(got)
                if len(got) > len(expected):
                    self.fail(f"{label}: more echoes than messages sent")
                elif len(got) == len(expected):
                    diff = compare(label, expected, got)
                    if diff:
                        self.fail(diff)
                    elif all(len(self.received[x]) == len(messages(x)) for x in self.labels):
                        # every echo is in: close every channel at once (RFC 6525 stream resets)
                        for other in self.objects.values():
                            other.close()
                elif expected_params(label)[0]:
                    diff = compare(label, expected[: len(got)], got)
                    if diff:
                        self.fail(diff)

            @channel.on("close")
            def on_close():
                if self.finished:
                    return
                rec["closed"] = True
                if len(self.received[label]) != len(expected):
                    self.fail(f"{label}: closed after {len(self.received[label])} of "
                              f"{len(expected)} echoes")
                if all(r["closed"] for r in self.channels.values()):
                    self.done.set()

        self.labels = [label for label, _ in DCEP_CHANNELS] + [NEGOTIATED_LABEL]
        for label, init in DCEP_CHANNELS:
            attach(label, RTCDataChannel(sctp, RTCDataChannelParameters(label=label, **init)))
        attach(NEGOTIATED_LABEL, RTCDataChannel(sctp, RTCDataChannelParameters(
            label=NEGOTIATED_LABEL, negotiated=True, id=NEGOTIATED_ID)))

    def client_check(self):
        parity = 0 if self.args.dtls_role == "client" else 1
        for label, rec in self.channels.items():
            if label != NEGOTIATED_LABEL and rec["id"] is not None and rec["id"] % 2 != parity:
                self.errors.append(f"{label}: aiortc picked stream id {rec['id']}, wrong parity")

    # server, scenario "channels"

    def server_channels(self, sctp):
        parity = 0 if self.args.dtls_role == "server" else 1  # the peer opens the DCEP channels
        self.labels = [label for label, _ in DCEP_CHANNELS] + [NEGOTIATED_LABEL]

        def attach(channel):
            label = channel.label
            self.objects[label] = channel
            self.received[label] = []
            expected = messages(label)
            rec = self.channels[label] = {
                "id": channel.id, "negotiated": channel.negotiated, "ordered": channel.ordered,
                "max_retransmits": channel.maxRetransmits,
                "max_packet_lifetime": channel.maxPacketLifeTime, "protocol": channel.protocol,
                "received": 0, "echoed": 0, "closed": False,
            }
            want = expected_params(label)
            have = (channel.ordered, channel.maxRetransmits, channel.maxPacketLifeTime)
            if have != want or channel.protocol != "":
                self.fail(f"{label}: opened as ordered/maxRetransmits/maxPacketLifeTime="
                          f"{have} protocol={channel.protocol!r}, expected {want} and ''")
            if not channel.negotiated and channel.id % 2 != parity:
                self.fail(f"{label}: DCEP stream id {channel.id} has the wrong parity for a "
                          f"DTLS {'client' if parity == 0 else 'server'} opener")

            @channel.on("message")
            def on_message(msg):
                got = self.received[label]
                got.append(msg)
                rec["received"] = len(got)
                if len(got) > len(expected):
                    self.fail(f"{label}: more than {len(expected)} messages")
                    return
                if want[0]:
                    diff = compare(label, expected[: len(got)], got)
                    if diff:
                        self.fail(diff)
                elif len(got) == len(expected):
                    diff = compare(label, expected, got)
                    if diff:
                        self.fail(diff)
                if channel.readyState == "open":
                    channel.send(msg)
                    rec["echoed"] += 1
                else:
                    self.fail(f"{label}: message {len(got) - 1} arrived on a {channel.readyState} "
                              "channel, cannot echo it")

            @channel.on("close")
            def on_close():
                if self.finished:
                    return
                rec["closed"] = True
                if len(self.received[label]) != len(expected):
                    self.fail(f"{label}: closed after {len(self.received[label])} of "
                              f"{len(expected)} messages")
                if all(x in self.channels and self.channels[x]["closed"] for x in self.labels):
                    self.done.set()

        @sctp.on("datachannel")
        def on_datachannel(channel):
            if channel.label not in dict(DCEP_CHANNELS):
                self.fail(f"unexpected in-band channel {channel.label!r} (id {channel.id})")
                return
            if channel.label in self.channels:
                self.fail(f"channel {channel.label!r} opened twice")
                return
            attach(channel)

        attach(RTCDataChannel(sctp, RTCDataChannelParameters(
            label=NEGOTIATED_LABEL, negotiated=True, id=NEGOTIATED_ID)))

    # client, scenario "discard" (against usrsctp's ekr_server, which only prints what it gets)

    def client_discard(self, sctp):
        label = "discard"
        channel = RTCDataChannel(sctp, RTCDataChannelParameters(
            label=label, negotiated=True, id=1))
        rec = self.channels[label] = {"id": 1, "sent": 0, "acked": False, "closed": False}

        @channel.on("open")
        def on_open():
            for msg in messages(label):
                channel.send(msg)
                rec["sent"] += 1

            async def wait_acked():
                while sctp._data_channel_queue or sctp._outbound_queue or sctp._sent_queue:
                    await asyncio.sleep(0.01)
                rec["acked"] = True
                # Then reset the stream (RE-CONFIG), and give usrsctp a moment to answer it.
                channel.close()
                end = time.monotonic() + 1.0
                while channel.readyState != "closed" and time.monotonic() < end:
                    await asyncio.sleep(0.01)
                rec["closed"] = channel.readyState == "closed"
                self.done.set()

            asyncio.ensure_future(wait_acked())

    # main

    async def run(self):
        args = self.args
        loop = asyncio.get_running_loop()
        remote = (args.address, args.remote_port)
        dtls = UdpDtlsStandIn(args.dtls_role, remote, Dumper(args.dump), self.fail)
        udp, _ = await loop.create_datagram_endpoint(
            lambda: dtls, local_addr=(args.address, args.local_port))
        rcvbuf = grow_receive_buffer(udp.get_extra_info("socket"))
        pump = asyncio.ensure_future(dtls.run())
        print("READY " + json.dumps({"role": args.role, "udp": [args.address, args.local_port],
                                     "rcvbuf": rcvbuf}), flush=True)

        sctp = CountingSctpTransport(dtls, port=args.sctp_port)
        if args.scenario == "discard":
            self.client_discard(sctp)
        elif args.role == "client":
            self.client_channels(sctp)
        else:
            self.server_channels(sctp)
        # aiortc sends its INIT at once in both roles (RFC 8841 section 9.3).
        await sctp.start(RTCSctpCapabilities(maxMessageSize=MAX_MESSAGE_SIZE), args.remote_sctp_port)

        deadline = self.started + args.timeout
        try:
            await asyncio.wait_for(self.done.wait(), max(0.1, deadline - time.monotonic()))
        except asyncio.TimeoutError:
            self.errors.append(f"timeout after {args.timeout} s: association "
                               f"{sctp._association_state.name}, " + self.progress())
        if args.role == "server" and not self.errors:
            # The client ends the association (ABORT or SHUTDOWN) once every channel closed.
            end = time.monotonic() + END_GRACE
            while not sctp.closed and time.monotonic() < end:
                await asyncio.sleep(0.01)
            if not sctp.closed:
                self.errors.append(f"association still up {END_GRACE} s after every channel "
                                   "closed: the client must end it (ABORT or SHUTDOWN)")
        self.finished = True  # what our own ABORT closes below is not the peer's doing
        if sctp.chunks_received["Abort"]:
            association_end = "abort"  # the peer's
        elif sctp.chunks_received["Shutdown"]:
            association_end = "shutdown"  # the peer's, answered with SHUTDOWN-ACK
        elif sctp.closed:
            association_end = "closed"  # T1/T2/reconfig retransmissions gave up
        else:
            association_end = "abort-sent"  # aiortc cannot SHUTDOWN: stop() sends ABORT
            await sctp.stop()
        if args.scenario == "channels" and args.role == "client":
            self.client_check()
        if self.errors and sctp.chunks_received["Abort"]:
            self.errors.insert(0, "the peer sent ABORT")
        await asyncio.sleep(0.05)  # let the last packet leave
        pump.cancel()
        return self.result(sctp, {"association_end": association_end})

    def progress(self):
        missing = [x for x in getattr(self, "labels", []) if x not in self.channels]
        parts = [f"{label}={rec}" for label, rec in self.channels.items()]
        if missing:
            parts.append(f"never seen: {missing}")
        closing = [label for label, ch in self.objects.items() if ch.readyState == "closing"]
        if closing:
            parts.append(f"still closing (no stream reset from the peer for them?): {closing}")
        return ", ".join(parts)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--role", choices=["client", "server"], required=True)
    parser.add_argument("--local-port", type=int, required=True, help="local UDP port")
    parser.add_argument("--remote-port", type=int, required=True, help="the peer's UDP port")
    parser.add_argument("--scenario", choices=["channels", "discard"], default="channels")
    parser.add_argument("--dtls-role", choices=["client", "server"],
                        help="the DTLS role aiortc believes it has (stream id parity, RFC 8832): "
                        "defaults to --role")
    parser.add_argument("--sctp-port", type=int, default=5000, help="local SCTP port (5000)")
    parser.add_argument("--remote-sctp-port", type=int, default=5000,
                        help="the peer's SCTP port (5000; ekr_server listens on 5001)")
    parser.add_argument("--address", default="127.0.0.1", help="local and remote IP address")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds for the scenario")
    parser.add_argument("--dump", action="store_true",
                        help="write every packet to stderr in usrsctp's text2pcap format")
    parser.add_argument("--verbose", action="store_true", help="aiortc debug log on stderr")
    args = parser.parse_args()
    args.dtls_role = args.dtls_role or args.role
    if args.scenario == "discard" and args.role != "client":
        parser.error("--scenario discard is client only (its peer is usrsctp's ekr_server)")
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        stream=sys.stderr, format="%(asctime)s %(name)s %(message)s")
    try:
        record = asyncio.run(Peer(args).run())
    except Exception as err:  # noqa: BLE001 - any crash is a failed run with a reason
        traceback.print_exc()
        record = {"ok": False, "role": args.role, "scenario": args.scenario,
                  "reason": f"{type(err).__name__}: {err}"}
    print("RESULT " + json.dumps(record), flush=True)
    sys.exit(0 if record["ok"] else 1)


if __name__ == "__main__":
    main()
