"""Decode usrsctp's packet dumps into one line per SCTP packet.

usrsctp programs (ekr_server, ekr_client, ekr_peer) write every packet they send or receive to
stderr as `usrsctp_dumppacket` text (the text2pcap format):

    O 22:51:42.696968 0000 ca 1e 13 89 ... # SCTP_PACKET

where O is outbound and I inbound. aiortc_peer.py writes the same lines with `--dump`.

Usage: python3 sctp_dump.py FILE [FILE ...]   (or - for stdin). Standard library only.
Output per packet: direction, time, ports, verification tag, size, then each chunk, e.g.
    I 22:51:42.697223 51742->5001 vtag=0x00000000 100B INIT(tag=0x2ad4da5b a_rwnd=131072 os=10 mis=2048 tsn=2007829658 params=[FORWARD-TSN-SUPPORTED, SUPPORTED-EXTENSIONS(...), ...])
"""

import struct
import sys

CHUNKS = {
    0: "DATA", 1: "INIT", 2: "INIT-ACK", 3: "SACK", 4: "HEARTBEAT", 5: "HEARTBEAT-ACK",
    6: "ABORT", 7: "SHUTDOWN", 8: "SHUTDOWN-ACK", 9: "ERROR", 10: "COOKIE-ECHO",
    11: "COOKIE-ACK", 12: "ECNE", 13: "CWR", 14: "SHUTDOWN-COMPLETE", 15: "AUTH",
    64: "I-DATA", 128: "ASCONF-ACK", 130: "RE-CONFIG", 132: "PAD", 192: "FORWARD-TSN",
    193: "ASCONF", 194: "I-FORWARD-TSN",
}
PARAMS = {
    5: "IPV4", 6: "IPV6", 7: "STATE-COOKIE", 8: "UNRECOGNIZED", 9: "COOKIE-PRESERVATIVE",
    11: "HOSTNAME", 12: "SUPPORTED-ADDRESS-TYPES", 13: "OUTGOING-SSN-RESET",
    14: "INCOMING-SSN-RESET", 15: "SSN-TSN-RESET", 16: "RECONFIG-RESPONSE",
    17: "ADD-OUTGOING-STREAMS", 18: "ADD-INCOMING-STREAMS", 0x8000: "ECN-CAPABLE",
    0x8001: "ZERO-CHECKSUM-ACCEPTABLE", 0x8002: "RANDOM", 0x8003: "CHUNK-LIST",
    0x8004: "REQUESTED-HMAC-ALGORITHM", 0x8005: "PADDING", 0x8008: "SUPPORTED-EXTENSIONS",
    0xC000: "FORWARD-TSN-SUPPORTED", 0xC004: "SET-PRIMARY", 0xC005: "SUPPORTED-ADDRESS",
    0xC006: "ADAPTATION-LAYER-INDICATION",
}


def params(body):
    out = []
    pos = 0
    while pos + 4 <= len(body):
        ptype, plen = struct.unpack_from("!HH", body, pos)
        if plen < 4:
            break
        value = body[pos + 4 : pos + plen]
        name = PARAMS.get(ptype, f"0x{ptype:04x}")
        if ptype == 0x8008:
            name += "(" + " ".join(CHUNKS.get(c, f"0x{c:02x}") for c in value) + ")"
        elif ptype == 0x8003:
            name += "(" + " ".join(CHUNKS.get(c, f"0x{c:02x}") for c in value) + ")"
        elif ptype == 0x8004:
            name += "(" + " ".join(str(x) for x in struct.unpack(f"!{len(value) // 2}H", value)) + ")"
        elif ptype == 13 and len(value) >= 12:
            req, resp, last = struct.unpack_from("!LLL", value)
            sids = struct.unpack(f"!{(len(value) - 12) // 2}H", value[12 : 12 + (len(value) - 12) // 2 * 2])
            name += f"(req={req} resp={resp} last_tsn={last} streams={list(sids)})"
        elif ptype == 16 and len(value) >= 8:
            resp, result = struct.unpack_from("!LL", value)
            name += f"(resp={resp} result={result})"
        else:
            name += f"[{len(value)}]"
        out.append(name)
        pos += plen + (-plen % 4)
    return out


def chunk_text(ctype, flags, body):
    name = CHUNKS.get(ctype, f"0x{ctype:02x}")
    if ctype in (1, 2) and len(body) >= 16:
        tag, rwnd, os_, mis, tsn = struct.unpack_from("!LLHHL", body)
        return (f"{name}(tag=0x{tag:08x} a_rwnd={rwnd} os={os_} mis={mis} tsn={tsn} "
                f"params=[{', '.join(params(body[16:]))}])")
    if ctype == 0 and len(body) >= 12:
        tsn, sid, ssn, ppid = struct.unpack_from("!LHHL", body)
        fl = "".join(c for c, b in (("U", 4), ("B", 2), ("E", 1)) if flags & b)
        return f"DATA({fl} tsn={tsn} sid={sid} ssn={ssn} ppid={ppid} len={len(body) - 12})"
    if ctype == 3 and len(body) >= 12:
        cum, rwnd, ngap, ndup = struct.unpack_from("!LLHH", body)
        return f"SACK(cum={cum} a_rwnd={rwnd} gaps={ngap} dups={ndup})"
    if ctype == 7 and len(body) >= 4:
        return f"SHUTDOWN(cum={struct.unpack_from('!L', body)[0]})"
    if ctype == 192 and len(body) >= 4:
        return f"FORWARD-TSN(cum={struct.unpack_from('!L', body)[0]} streams={(len(body) - 4) // 4})"
    if ctype == 130:
        return f"RE-CONFIG({', '.join(params(body))})"
    if ctype in (6, 14):
        return f"{name}(T={flags & 1})"
    return f"{name}[{len(body)}]"


def decode(data):
    if len(data) < 12:
        return f"short packet {len(data)}B"
    sport, dport, vtag = struct.unpack_from("!HHL", data)
    chunks = []
    pos = 12
    while pos + 4 <= len(data):
        ctype, flags, clen = struct.unpack_from("!BBH", data, pos)
        if clen < 4:
            chunks.append("bad chunk length")
            break
        chunks.append(chunk_text(ctype, flags, data[pos + 4 : pos + clen]))
        pos += clen + (-clen % 4)
    return f"{sport}->{dport} vtag=0x{vtag:08x} {len(data)}B " + " ".join(chunks)


def main(paths):
    for path in paths or ["-"]:
        f = sys.stdin if path == "-" else open(path, encoding="utf-8", errors="replace")
        for line in f:
            line = line.strip()
            if not line.endswith("# SCTP_PACKET") or line[:2] not in ("I ", "O "):
                continue
            fields = line[: -len("# SCTP_PACKET")].split()
            direction, stamp = fields[0], fields[1]
            data = bytes(int(x, 16) for x in fields[3:])
            print(direction, stamp, decode(data))


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except BrokenPipeError:
        pass
