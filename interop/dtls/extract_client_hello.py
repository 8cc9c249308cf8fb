#!/usr/bin/env python3
"""Extracts the DTLS client's first ClientHello from a pcap and decodes it.

Usage: extract_client_hello.py CAPTURE.pcap OUT_DIR [--connection JSON] [--tcpdump VERSION]
       extract_client_hello.py --decode FILE.bin [FILE.bin ...]

Reads a classic pcap (tcpdump -w) of UDP on loopback, finds the first datagram carrying a DTLS
handshake record with a ClientHello, and keeps every datagram from that source whose records
carry fragments of that same ClientHello (same message_seq), first transmission only, until the
message is complete. A ClientHello sent again after a HelloVerifyRequest has a higher
message_seq and is not kept. Writes OUT_DIR/chromium_client_hello_<n>.bin (the raw UDP
payloads, in the order sent) and OUT_DIR/README.md with the decoded hello.

With --decode it only prints the summary of already extracted datagram files.

Standard library only.
"""

import argparse
import datetime
import hashlib
import json
import os
import struct
import sys

# Names for the code points seen in the capture (IANA TLS registries). Unknown codes are
# printed as hex; GREASE values (RFC 8701) are labelled as such.
CIPHER_SUITES = {
    0x1301: "TLS_AES_128_GCM_SHA256",
    0x1302: "TLS_AES_256_GCM_SHA384",
    0x1303: "TLS_CHACHA20_POLY1305_SHA256",
    0xC02B: "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    0xC02F: "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    0xC02C: "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    0xC030: "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    0xCCA9: "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
    0xCCA8: "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
    0xC009: "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
    0xC013: "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
    0xC00A: "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
    0xC014: "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
    0xC023: "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256",
    0xC027: "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
    0x009C: "TLS_RSA_WITH_AES_128_GCM_SHA256",
    0x009D: "TLS_RSA_WITH_AES_256_GCM_SHA384",
    0x002F: "TLS_RSA_WITH_AES_128_CBC_SHA",
    0x0035: "TLS_RSA_WITH_AES_256_CBC_SHA",
    0x000A: "TLS_RSA_WITH_3DES_EDE_CBC_SHA",
    0x00FF: "TLS_EMPTY_RENEGOTIATION_INFO_SCSV",
    0x5600: "TLS_FALLBACK_SCSV",
}
EXTENSIONS = {
    0: "server_name",
    5: "status_request",
    10: "supported_groups",
    11: "ec_point_formats",
    13: "signature_algorithms",
    14: "use_srtp",
    16: "application_layer_protocol_negotiation",
    18: "signed_certificate_timestamp",
    21: "padding",
    22: "encrypt_then_mac",
    23: "extended_master_secret",
    27: "compress_certificate",
    28: "record_size_limit",
    35: "session_ticket",
    41: "pre_shared_key",
    42: "early_data",
    43: "supported_versions",
    44: "cookie",
    45: "psk_key_exchange_modes",
    49: "post_handshake_auth",
    50: "signature_algorithms_cert",
    51: "key_share",
    17513: "application_settings (old)",
    17613: "application_settings",
    65037: "encrypted_client_hello",
    65281: "renegotiation_info",
}
GROUPS = {
    23: "secp256r1",
    24: "secp384r1",
    25: "secp521r1",
    29: "x25519",
    30: "x448",
    0x0200: "MLKEM512",
    0x0201: "MLKEM768",
    0x0202: "MLKEM1024",
    0x11EC: "X25519MLKEM768",
    0x11EB: "SecP256r1MLKEM768",
    0x6399: "X25519Kyber768Draft00",
}
SIGNATURE_SCHEMES = {
    0x0201: "rsa_pkcs1_sha1",
    0x0203: "ecdsa_sha1",
    0x0401: "rsa_pkcs1_sha256",
    0x0403: "ecdsa_secp256r1_sha256",
    0x0501: "rsa_pkcs1_sha384",
    0x0503: "ecdsa_secp384r1_sha384",
    0x0601: "rsa_pkcs1_sha512",
    0x0603: "ecdsa_secp521r1_sha512",
    0x0804: "rsa_pss_rsae_sha256",
    0x0805: "rsa_pss_rsae_sha384",
    0x0806: "rsa_pss_rsae_sha512",
    0x0807: "ed25519",
    0x0808: "ed448",
    0x0809: "rsa_pss_pss_sha256",
}
SRTP_PROFILES = {
    0x0001: "SRTP_AES128_CM_HMAC_SHA1_80",
    0x0002: "SRTP_AES128_CM_HMAC_SHA1_32",
    0x0007: "SRTP_AEAD_AES_128_GCM",
    0x0008: "SRTP_AEAD_AES_256_GCM",
}
VERSIONS = {
    0xFEFF: "DTLS 1.0",
    0xFEFD: "DTLS 1.2",
    0xFEFC: "DTLS 1.3",
    0x0303: "TLS 1.2",
    0x0304: "TLS 1.3",
}


def is_grease(code):
    return (code & 0x0F0F) == 0x0A0A and (code >> 8) == (code & 0xFF)


def name(table, code):
    if code in table:
        return f"{table[code]} (0x{code:04x})"
    if is_grease(code):
        return f"GREASE (0x{code:04x})"
    return f"unknown (0x{code:04x})"


# ---------------------------------------------------------------------------------------------
# pcap

def read_pcap(path):
    """Yields (timestamp, src, dst, udp_payload) for the IPv4/IPv6 UDP packets of a pcap."""
    with open(path, "rb") as f:
        data = f.read()
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        endian = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        endian = ">"
    else:
        raise SystemExit(f"{path}: not a classic pcap file (magic {magic.hex()})")
    nanos = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    pos = 24
    while pos + 16 <= len(data):
        sec, frac, caplen, _ = struct.unpack(endian + "IIII", data[pos:pos + 16])
        pos += 16
        frame = data[pos:pos + caplen]
        pos += caplen
        ts = sec + frac / (1e9 if nanos else 1e6)
        if linktype == 1:  # Ethernet (Linux lo)
            ethertype = struct.unpack(">H", frame[12:14])[0]
            ip = frame[14:]
        elif linktype == 113:  # Linux cooked v1
            ethertype = struct.unpack(">H", frame[14:16])[0]
            ip = frame[16:]
        elif linktype == 276:  # Linux cooked v2
            ethertype = struct.unpack(">H", frame[0:2])[0]
            ip = frame[20:]
        elif linktype in (101, 12):  # raw IP
            ip = frame
            ethertype = 0x0800 if ip[0] >> 4 == 4 else 0x86DD
        else:
            raise SystemExit(f"{path}: unsupported link type {linktype}")
        if ethertype == 0x0800 and ip[9] == 17:
            ihl = (ip[0] & 0x0F) * 4
            src = ".".join(map(str, ip[12:16]))
            dst = ".".join(map(str, ip[16:20]))
            udp = ip[ihl:]
        elif ethertype == 0x86DD and ip[6] == 17:
            src = "[" + ip[8:24].hex() + "]"
            dst = "[" + ip[24:40].hex() + "]"
            udp = ip[40:]
        else:
            continue
        sport, dport, length = struct.unpack(">HHH", udp[:6])
        yield ts, f"{src}:{sport}", f"{dst}:{dport}", udp[8:length]


# ---------------------------------------------------------------------------------------------
# DTLS records and handshake fragments

def records(datagram):
    """The DTLS records of a datagram: dicts with type, version, epoch, seq, fragment."""
    out = []
    pos = 0
    while pos + 13 <= len(datagram):
        ctype, version, epoch = struct.unpack(">BHH", datagram[pos:pos + 5])
        seq = int.from_bytes(datagram[pos + 5:pos + 11], "big")
        length = struct.unpack(">H", datagram[pos + 11:pos + 13])[0]
        out.append({
            "offset": pos,
            "type": ctype,
            "version": version,
            "epoch": epoch,
            "seq": seq,
            "length": length,
            "fragment": datagram[pos + 13:pos + 13 + length],
        })
        pos += 13 + length
    return out


def is_dtls(datagram):
    return (len(datagram) >= 13 and 20 <= datagram[0] <= 63
            and datagram[1:3] in (b"\xfe\xfd", b"\xfe\xff"))


def handshake_fragments(record):
    """The handshake fragments of a handshake record."""
    out = []
    body = record["fragment"]
    pos = 0
    while pos + 12 <= len(body):
        msg_type = body[pos]
        length = int.from_bytes(body[pos + 1:pos + 4], "big")
        message_seq = struct.unpack(">H", body[pos + 4:pos + 6])[0]
        frag_offset = int.from_bytes(body[pos + 6:pos + 9], "big")
        frag_length = int.from_bytes(body[pos + 9:pos + 12], "big")
        out.append({
            "msg_type": msg_type,
            "length": length,
            "message_seq": message_seq,
            "fragment_offset": frag_offset,
            "fragment_length": frag_length,
            "data": body[pos + 12:pos + 12 + frag_length],
        })
        pos += 12 + frag_length
    return out


def first_client_hello(packets, client=None):
    """The datagrams (ts, src, dst, payload) of the first transmission of the first ClientHello
    sent by `client` (by default: whoever sends the first ClientHello in the capture)."""
    message_seq = None
    length = None
    covered = set()
    seen = set()
    kept = []
    for ts, src, dst, payload in packets:
        if not is_dtls(payload) or (client is not None and src != client):
            continue
        frags = [f for r in records(payload) if r["type"] == 22 and r["epoch"] == 0
                 for f in handshake_fragments(r) if f["msg_type"] == 1]
        if not frags:
            continue
        if message_seq is None:
            client, message_seq, length = src, frags[0]["message_seq"], frags[0]["length"]
        mine = [f for f in frags if f["message_seq"] == message_seq]
        if not mine or payload in seen:
            continue
        new = [f for f in mine
               if not set(range(f["fragment_offset"], f["fragment_offset"] + f["fragment_length"]))
               <= covered]
        if not new:
            continue  # a retransmission (possibly re-fragmented) of what we have
        seen.add(payload)
        kept.append((ts, src, dst, payload))
        for f in mine:
            covered |= set(range(f["fragment_offset"], f["fragment_offset"] + f["fragment_length"]))
        if len(covered) >= length:
            break
    if message_seq is None:
        raise SystemExit("no DTLS ClientHello in the capture")
    if len(covered) < length:
        raise SystemExit(f"the ClientHello is incomplete: {len(covered)} of {length} bytes")
    return kept


def clients(packets):
    """The sources of DTLS ClientHellos, in the order of their first one."""
    out = []
    for _, src, _, payload in packets:
        if src not in out and is_dtls(payload) and any(
                f["msg_type"] == 1 for r in records(payload) if r["type"] == 22
                for f in handshake_fragments(r)):
            out.append(src)
    return out


def server_hello(packets, client):
    """A one-line description of the first ServerHello (or HelloVerifyRequest) sent to client."""
    for _, _, dst, payload in packets:
        if dst != client or not is_dtls(payload):
            continue
        for r in records(payload):
            for f in handshake_fragments(r) if r["type"] == 22 and r["epoch"] == 0 else []:
                if f["msg_type"] == 3:
                    return "a HelloVerifyRequest"
                if f["msg_type"] != 2 or f["fragment_offset"] != 0 or f["fragment_length"] != f["length"]:
                    continue
                body = f["data"]
                version = struct.unpack(">H", body[:2])[0]
                pos = 34
                pos += 1 + body[pos]
                suite = struct.unpack(">H", body[pos:pos + 2])[0]
                pos += 3
                exts = []
                if pos < len(body):
                    end = pos + 2 + struct.unpack(">H", body[pos:pos + 2])[0]
                    pos += 2
                    while pos < end:
                        t, n = struct.unpack(">HH", body[pos:pos + 4])
                        exts.append((t, body[pos + 4:pos + 4 + n]))
                        pos += 4 + n
                selected = [struct.unpack(">H", d)[0] for t, d in exts if t == 43 and len(d) == 2]
                negotiated = VERSIONS.get(selected[0] if selected else version, "?")
                ext_names = ", ".join(name(EXTENSIONS, t).split(" (")[0] for t, _ in exts)
                return (f"a ServerHello for {negotiated} with {name(CIPHER_SUITES, suite)} "
                        f"(plaintext extensions: {ext_names or 'none'})")
    return "no ServerHello (not in the capture)"


def reassemble(datagrams):
    """(body, layout): the ClientHello body and a description of each record's fragment."""
    body = None
    layout = []
    for n, payload in enumerate(datagrams, 1):
        for r in records(payload):
            for f in handshake_fragments(r) if r["type"] == 22 else []:
                if f["msg_type"] != 1:
                    continue
                if body is None:
                    body = bytearray(f["length"])
                body[f["fragment_offset"]:f["fragment_offset"] + f["fragment_length"]] = f["data"]
                layout.append({
                    "datagram": n,
                    "datagram_length": len(payload),
                    "record_offset": r["offset"],
                    "record_version": r["version"],
                    "epoch": r["epoch"],
                    "record_seq": r["seq"],
                    "record_length": r["length"],
                    "message_seq": f["message_seq"],
                    "length": f["length"],
                    "fragment_offset": f["fragment_offset"],
                    "fragment_length": f["fragment_length"],
                })
    return bytes(body), layout


# ---------------------------------------------------------------------------------------------
# ClientHello

def u16_list(data):
    return [struct.unpack(">H", data[i:i + 2])[0] for i in range(0, len(data) - 1, 2)]


def parse_client_hello(body):
    pos = 0

    def take(n):
        nonlocal pos
        if pos + n > len(body):
            raise SystemExit(f"ClientHello truncated at {pos} (+{n}) of {len(body)}")
        out = body[pos:pos + n]
        pos += n
        return out

    hello = {}
    hello["client_version"] = struct.unpack(">H", take(2))[0]
    hello["random"] = take(32)
    hello["session_id"] = take(take(1)[0])
    hello["cookie"] = take(take(1)[0])
    hello["cipher_suites"] = u16_list(take(struct.unpack(">H", take(2))[0]))
    hello["compression_methods"] = list(take(take(1)[0]))
    hello["extensions"] = []
    if pos < len(body):
        total = struct.unpack(">H", take(2))[0]
        end = pos + total
        while pos < end:
            ext_type, ext_len = struct.unpack(">HH", take(4))
            hello["extensions"].append((ext_type, take(ext_len)))
    if pos != len(body):
        raise SystemExit(f"{len(body) - pos} bytes after the extensions")
    return hello


def describe_extension(ext_type, data):
    """A one-line decoding of an extension's body."""
    try:
        if ext_type == 10:
            return ", ".join(name(GROUPS, g) for g in u16_list(data[2:]))
        if ext_type == 11:
            formats = {0: "uncompressed", 1: "ansiX962_compressed_prime", 2: "ansiX962_compressed_char2"}
            return ", ".join(formats.get(b, str(b)) for b in data[1:1 + data[0]])
        if ext_type in (13, 50):
            return ", ".join(name(SIGNATURE_SCHEMES, s) for s in u16_list(data[2:]))
        if ext_type == 14:
            n = struct.unpack(">H", data[:2])[0]
            profiles = ", ".join(name(SRTP_PROFILES, p) for p in u16_list(data[2:2 + n]))
            mki = data[2 + n]
            return f"{profiles}; MKI length {mki}"
        if ext_type == 43:
            return ", ".join(name(VERSIONS, v) for v in u16_list(data[1:1 + data[0]]))
        if ext_type == 51:
            shares = []
            pos = 2
            while pos < len(data):
                group, n = struct.unpack(">HH", data[pos:pos + 4])
                shares.append(f"{name(GROUPS, group)}: {n} bytes")
                pos += 4 + n
            return ", ".join(shares)
        if ext_type == 45:
            modes = {0: "psk_ke", 1: "psk_dhe_ke"}
            return ", ".join(modes.get(b, str(b)) for b in data[1:1 + data[0]])
        if ext_type == 16:
            out, pos = [], 2
            while pos < len(data):
                n = data[pos]
                out.append(data[pos + 1:pos + 1 + n].decode("ascii", "replace"))
                pos += 1 + n
            return ", ".join(out)
        if ext_type == 65281:
            return f"renegotiated_connection: {len(data) - 1} bytes" if data else "(malformed: empty)"
        if ext_type == 0:
            return data[5:].decode("ascii", "replace")
        if ext_type == 27:
            algs = {1: "zlib", 2: "brotli", 3: "zstd"}
            return ", ".join(algs.get(a, str(a)) for a in u16_list(data[1:1 + data[0]]))
    except (IndexError, struct.error) as e:
        return f"(cannot decode: {e})"
    return "empty" if not data else data.hex()


def summary(datagrams):
    """The decoded ClientHello as Markdown lines."""
    body, layout = reassemble(datagrams)
    hello = parse_client_hello(body)
    lines = []
    total = sum(len(d) for d in datagrams)
    lines.append(f"- {len(datagrams)} datagram(s), {total} bytes of UDP payload in all: "
                 + ", ".join(f"`chromium_client_hello_{n}.bin` {len(d)} bytes (sha256 "
                             f"`{hashlib.sha256(d).hexdigest()[:16]}…`)"
                             for n, d in enumerate(datagrams, 1)) + ".")
    lines.append(f"- ClientHello body: {len(body)} bytes (handshake length field), "
                 f"message_seq {layout[0]['message_seq']}.")
    lines.append("- Fragment layout (one DTLS record per line):")
    lines.append("")
    lines.append("  | datagram | bytes | record at | record version | epoch | record seq | "
                 "record length | message_seq | fragment_offset | fragment_length |")
    lines.append("  |---|---|---|---|---|---|---|---|---|---|")
    for f in layout:
        lines.append(f"  | {f['datagram']} | {f['datagram_length']} | {f['record_offset']} | "
                     f"0x{f['record_version']:04x} | {f['epoch']} | {f['record_seq']} | "
                     f"{f['record_length']} | {f['message_seq']} | {f['fragment_offset']} | "
                     f"{f['fragment_length']} |")
    lines.append("")
    lines.append(f"- client_version: {name(VERSIONS, hello['client_version'])}")
    lines.append(f"- session_id: {len(hello['session_id'])} bytes; cookie: "
                 f"{len(hello['cookie'])} bytes; compression_methods: "
                 f"{hello['compression_methods']}")
    lines.append(f"- cipher_suites ({len(hello['cipher_suites'])}, in order):")
    for c in hello["cipher_suites"]:
        lines.append(f"  - {name(CIPHER_SUITES, c)}")
    lines.append(f"- extensions ({len(hello['extensions'])}, in order; type, body length, "
                 "decoded body):")
    for ext_type, data in hello["extensions"]:
        lines.append(f"  - {name(EXTENSIONS, ext_type)} "
                     f"[{len(data)} bytes]: {describe_extension(ext_type, data)}")
    return lines


# ---------------------------------------------------------------------------------------------

README = """# Captured DTLS handshake data

Written by `interop/dtls/capture_client_hello.sh` (which runs `extract_client_hello.py`); re-run
it (as root) to capture again. Do not edit by hand: the numbers below are decoded from the
capture.

## `chromium_client_hello_<n>.bin`

The first ClientHello of a real Chromium DTLS client, one file per UDP datagram (the raw UDP
payload: DTLS records, nothing else), in the order Chromium sent them.

- Chromium: {chromium} (`/usr/bin/chromium`, headless, driven by playwright-core)
- Captured: {date} (UTC) on this project's build machine, with {tcpdump}
- How: in a loopback-only network namespace, `tcpdump -i lo -w` recorded UDP while one page's
  two `RTCPeerConnection`s (a data channel only) connected to each other over 127.0.0.1
  (`interop/dtls/loopback.html`, `capture_chromium.js`). The offer said `a=setup:{offerer_setup}`,
  the answer `a=setup:{answerer_setup}`: the answerer is the DTLS client. Selected candidate
  pair of the first connection: {pair}; its data channel then carried a message each way
  (DTLS state `{dtls_state}`). The page made three such connections one after the other; the
  files hold the first one's hello, the last section compares all three.
- Kept: the DTLS client's first ClientHello (message_seq {message_seq}), first transmission
  only{hvr_note}.

## Decoded

{summary}

## Between connections

{variation}

What the Chromium DTLS server (the offerer) answered: {answers}.
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("pcap", nargs="?")
    ap.add_argument("out", nargs="?")
    ap.add_argument("--connection", help="capture_chromium.js's JSON output")
    ap.add_argument("--tcpdump", default="tcpdump")
    ap.add_argument("--decode", nargs="+", metavar="BIN")
    args = ap.parse_args()

    if args.decode:
        datagrams = [open(p, "rb").read() for p in args.decode]
        print("\n".join(summary(datagrams)))
        return

    if not args.pcap or not args.out:
        ap.error("give CAPTURE.pcap and OUT_DIR, or --decode FILES")
    packets = list(read_pcap(args.pcap))
    kept = first_client_hello(packets)
    client = kept[0][1]
    # The other connections' hellos: what varies between connections.
    others = [first_client_hello(packets, c) for c in clients(packets) if c != client]
    # Was there a HelloVerifyRequest (handshake type 3) towards the client?
    hvr = any(is_dtls(p) and dst == client and any(
        f["msg_type"] == 3 for r in records(p) if r["type"] == 22 for f in handshake_fragments(r))
        for _, _, dst, p in packets)
    datagrams = [p for _, _, _, p in kept]
    for old in os.listdir(args.out):
        if old.startswith("chromium_client_hello_") and old.endswith(".bin"):
            os.remove(os.path.join(args.out, old))
    for n, payload in enumerate(datagrams, 1):
        path = os.path.join(args.out, f"chromium_client_hello_{n}.bin")
        with open(path, "wb") as f:
            f.write(payload)
        print(f"wrote {path} ({len(payload)} bytes)")

    connection = {}
    if args.connection:
        with open(args.connection) as f:
            run = json.loads(f.read().strip().splitlines()[-1])
        # The first connection's details, and the browser's version.
        connection = run["connections"][0] | {"chromium": run["chromium"]}
    lines = summary(datagrams)
    _, layout = reassemble(datagrams)
    hellos = [parse_client_hello(reassemble([p for *_, p in d])[0]) for d in [kept] + others]
    ext_orders = ["`" + ", ".join(str(t) for t, _ in h["extensions"]) + "`" for h in hellos]
    same_set = all(sorted(t for t, _ in h["extensions"]) == sorted(t for t, _ in hellos[0]["extensions"])
                   for h in hellos)
    same_rest = all((h["cipher_suites"], dict(h["extensions"]).get(10), dict(h["extensions"]).get(13),
                     dict(h["extensions"]).get(14), dict(h["extensions"]).get(43))
                    == (hellos[0]["cipher_suites"], dict(hellos[0]["extensions"]).get(10),
                        dict(hellos[0]["extensions"]).get(13), dict(hellos[0]["extensions"]).get(14),
                        dict(hellos[0]["extensions"]).get(43)) for h in hellos)
    sizes = sorted({sum(len(p) for *_, p in d) for d in [kept] + others})
    variation = (
        f"Across the {len(hellos)} connections of this capture (each a fresh pair of peer "
        f"connections) the extension types, in the order sent, were: {'; '.join(ext_orders)}. "
        + ("The same set of extensions each time" if same_set else "The SETS of extensions differ")
        + (", with the same cipher suites, supported_groups, signature_algorithms, use_srtp and "
           "supported_versions" if same_rest else ", but other fields differ too")
        + f"; total UDP payload sizes: {', '.join(map(str, sizes))} bytes. "
        + ("The order differs between connections: Chromium permutes its ClientHello "
           "extensions, so a parser must not depend on their order."
           if len(set(ext_orders)) > 1 else "The order was the same each time.")
    )
    answers = "; ".join(f"connection {i}: {server_hello(packets, d[0][1])}"
                        for i, d in enumerate([kept] + others, 1))
    text = README.format(
        chromium=connection.get("chromium", "(version not recorded)"),
        date=datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d"),
        tcpdump=args.tcpdump.strip(),
        offerer_setup=connection.get("offererSetup", "?"),
        answerer_setup=connection.get("answererSetup", "?"),
        pair=f"`{connection.get('pair', '?')}`",
        dtls_state=connection.get("dtlsState", "?"),
        message_seq=layout[0]["message_seq"],
        hvr_note=("; the server sent a HelloVerifyRequest, so a second ClientHello with the "
                  "cookie followed (not kept)") if hvr else
                 " (no HelloVerifyRequest was seen in the capture)",
        summary="\n".join(lines),
        variation=variation,
        answers=answers,
    )
    readme = os.path.join(args.out, "README.md")
    with open(readme, "w") as f:
        f.write(text)
    print(f"wrote {readme}")
    print("\n".join(lines))
    print(variation)
    print(answers)


if __name__ == "__main__":
    sys.exit(main())
