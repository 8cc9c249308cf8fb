"""aioice (aiortc's ICE agent) on one UDP socket, for `cargo xtask interop ice`.

    aioice_peer.py --role {controlling,controlled} --signal-dir DIR
                   [--name aioice] [--peer rtc-ice] [--hold 3] [--consent-interval 5]
                   [--timeout 15] [--verbose]

The same protocol as crates/rtc-ice/examples/ice_peer.rs (README.md next to this file):

1. Gathers one host candidate on 127.0.0.1 (aioice leaves loopback out, so
   `aioice.ice.get_host_addresses` is replaced), writes DIR/NAME.json
   ({"ufrag", "pwd", "candidates": ["candidate:..."]}, whole, by a rename) and waits for
   DIR/PEER.json; then sets the peer's credentials, candidates and end-of-candidates (and
   `remote_is_lite` when the peer's file says `"lite": true`) and runs `Connection.connect()`.
2. Once connected, sends `NAME hello` with `Connection.send` (over the nominated pair).
3. Holds the connection for --hold seconds (consent checks every --consent-interval seconds,
   randomised by aioice to 0.8..1.2 times that), then sends `NAME bye`.
4. Ends once `PEER hello` and `PEER bye` arrived (`Connection.recv`), and closes.

stdout: exactly one `RESULT {...}` JSON line; exit status 0 when it is ok. stderr: aioice's log
(INFO: check states; DEBUG with --verbose: every STUN message in and out).
"""

import argparse
import asyncio
import json
import logging
import os
import sys
import time

import aioice
import aioice.ice
from aioice import stun
from aioice.candidate import Candidate

# aioice skips 127.0.0.1 and ::1 when gathering; the interop namespace has nothing else.
aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]


class Stats:
    """STUN traffic of the connection, counted by wrapping aioice's StunProtocol."""

    def __init__(self):
        self.connected = False
        self.requests_received = 0
        self.use_candidate_received = 0
        self.received_without_fingerprint = 0
        self.received_without_priority = 0
        self.requests_sent = 0
        self.use_candidate_sent = 0
        self.success_sent = 0
        self.errors_sent = []
        self.success_received = 0
        self.errors_received = []
        self.peer_checks_after_connect = 0
        self.consent_sent = 0
        self.consent_answered = 0
        self.consent_failed = 0
        self.first_peer_request = None


STATS = Stats()


def attribute_names(data):
    """The attribute names of a raw STUN message, in wire order (aioice's dict loses
    attributes it does not know and those after MESSAGE-INTEGRITY)."""
    names = []
    pos = stun.HEADER_LENGTH
    while pos + 4 <= len(data):
        attr_type, attr_len = int.from_bytes(data[pos : pos + 2], "big"), int.from_bytes(
            data[pos + 2 : pos + 4], "big"
        )
        entry = stun.ATTRIBUTES_BY_TYPE.get(attr_type)
        names.append(entry[1] if entry else f"0x{attr_type:04x}")
        pos += 4 + attr_len + stun.padding_length(attr_len)
    return names


def instrument():
    """Counts what goes in and out, without changing aioice's behaviour."""
    protocol = aioice.ice.StunProtocol
    original_received = protocol.datagram_received
    original_send = protocol.send_stun
    original_request = protocol.request

    def datagram_received(self, data, addr):
        try:
            message = stun.parse_message(data)
        except ValueError:
            message = None
        if message is not None:
            if message.message_class == stun.Class.REQUEST:
                STATS.requests_received += 1
                if STATS.first_peer_request is None:
                    STATS.first_peer_request = attribute_names(data)
                if "USE-CANDIDATE" in message.attributes:
                    STATS.use_candidate_received += 1
                if "FINGERPRINT" not in message.attributes:
                    STATS.received_without_fingerprint += 1
                if "PRIORITY" not in message.attributes:
                    STATS.received_without_priority += 1
                if STATS.connected:
                    STATS.peer_checks_after_connect += 1
            elif message.message_class == stun.Class.RESPONSE:
                STATS.success_received += 1
            elif message.message_class == stun.Class.ERROR:
                STATS.errors_received.append(message.error_code)
        return original_received(self, data, addr)

    def send_stun(self, message, addr):
        if message.message_class == stun.Class.REQUEST:
            STATS.requests_sent += 1
            if "USE-CANDIDATE" in message.attributes:
                STATS.use_candidate_sent += 1
        elif message.message_class == stun.Class.RESPONSE:
            STATS.success_sent += 1
        elif message.message_class == stun.Class.ERROR:
            STATS.errors_sent.append(message.attributes.get("ERROR-CODE", (0, ""))[0])
        return original_send(self, message, addr)

    async def request(self, request, addr, integrity_key=None, retransmissions=None):
        # Connection.query_consent is the only caller with retransmissions=0.
        consent = retransmissions == 0
        if consent:
            STATS.consent_sent += 1
        try:
            result = await original_request(
                self, request, addr, integrity_key=integrity_key, retransmissions=retransmissions
            )
        except stun.TransactionError:
            if consent:
                STATS.consent_failed += 1
            raise
        if consent:
            STATS.consent_answered += 1
        return result

    protocol.datagram_received = datagram_received
    protocol.send_stun = send_stun
    protocol.request = request


def write_signal(directory, name, value):
    tmp = os.path.join(directory, f".{name}.json.tmp")
    with open(tmp, "w") as f:
        json.dump(value, f)
    os.rename(tmp, os.path.join(directory, f"{name}.json"))


async def read_signal(directory, peer, deadline):
    path = os.path.join(directory, f"{peer}.json")
    while time.monotonic() < deadline:
        try:
            with open(path) as f:
                return json.load(f)
        except FileNotFoundError:
            await asyncio.sleep(0.01)
    raise TimeoutError(f"no {path}")


def address(addr):
    return f"{addr[0]}:{addr[1]}"


async def run(args, result):
    start = time.monotonic()
    deadline = start + args.timeout
    conn = aioice.Connection(ice_controlling=args.role == "controlling", components=1, use_ipv6=False)
    result["tie_breaker"] = f"{conn._tie_breaker:016x}"
    try:
        await conn.gather_candidates()
        candidates = ["candidate:" + c.to_sdp() for c in conn.local_candidates]
        result["candidate"] = candidates[0] if candidates else None
        write_signal(
            args.signal_dir,
            args.name,
            {"ufrag": conn.local_username, "pwd": conn.local_password, "candidates": candidates},
        )
        peer = await read_signal(args.signal_dir, args.peer, deadline)
        conn.remote_username = peer["ufrag"]
        conn.remote_password = peer["pwd"]
        # a=ice-lite: aioice then nominates by regular nomination instead of aggressive.
        conn.remote_is_lite = bool(peer.get("lite", False))
        result["remote_is_lite"] = conn.remote_is_lite
        for line in peer["candidates"]:
            await conn.add_remote_candidate(Candidate.from_sdp(line.removeprefix("candidate:")))
        await conn.add_remote_candidate(None)

        checks_started = time.monotonic()
        await asyncio.wait_for(conn.connect(), deadline - time.monotonic())
        STATS.connected = True
        result["connected_ms"] = round((time.monotonic() - checks_started) * 1000)
        pair = conn._nominated[1]
        result["selected"] = {"local": address(pair.local_addr), "remote": address(pair.remote_addr)}
        result["role"] = "controlling" if conn.ice_controlling else "controlled"

        received = result["received"]

        async def receive():
            while True:
                data = await conn.recv()
                received.append(data.decode("utf8", "replace"))

        receiver = asyncio.create_task(receive())
        hello, bye = f"{args.name} hello", f"{args.name} bye"
        await conn.send(hello.encode())
        result["sent"].append(hello)
        await asyncio.sleep(args.hold)
        consent = conn._query_consent_task
        result["consent_running"] = consent is not None and not consent.done()
        await conn.send(bye.encode())
        result["sent"].append(bye)
        wanted = [f"{args.peer} hello", f"{args.peer} bye"]
        while not all(w in received for w in wanted):
            if receiver.done() or time.monotonic() >= deadline:
                break
            await asyncio.sleep(0.01)
        receiver.cancel()
        missing = [w for w in wanted if w not in received]
        if missing:
            result["errors"].append(f"missing {missing}, received {received}")
        if not result["consent_running"]:
            result["errors"].append("consent freshness stopped during the hold (connection closed)")
        result["role"] = "controlling" if conn.ice_controlling else "controlled"
    finally:
        await conn.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--role", choices=["controlling", "controlled"], required=True)
    parser.add_argument("--signal-dir", required=True)
    parser.add_argument("--name", default="aioice")
    parser.add_argument("--peer", default="rtc-ice")
    parser.add_argument("--hold", type=float, default=3.0)
    parser.add_argument("--consent-interval", type=float, default=None)
    parser.add_argument("--timeout", type=float, default=15.0)
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()

    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        stream=sys.stderr,
        format="%(relativeCreated)7.0f %(name)s %(message)s",
    )
    if args.consent_interval is not None:
        aioice.ice.CONSENT_INTERVAL = args.consent_interval
    instrument()

    result = {"ok": False, "errors": [], "sent": [], "received": [], "selected": None}
    try:
        asyncio.run(run(args, result))
    except Exception as e:  # the RESULT line says what went wrong
        result["errors"].append(f"{type(e).__name__}: {e}")
    result["ok"] = not result["errors"] and result["selected"] is not None
    result["stun"] = {
        k: v for k, v in vars(STATS).items() if k != "connected"
    }
    print("RESULT " + json.dumps(result), flush=True)
    sys.exit(0 if result["ok"] else 1)


if __name__ == "__main__":
    main()
