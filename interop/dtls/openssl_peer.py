#!/usr/bin/env python3
"""OpenSSL behind the command line of rtc-dtls's `dtls_peer` example: a stand-in for our side.

`cargo xtask interop dtls --stand-in` runs this instead of `crates/rtc-dtls/examples/dtls_peer.rs`,
so the layer itself (the OpenSSL command lines it runs, its waits and its verdicts) can be checked
with OpenSSL on both sides. It is not a test of rtc-dtls.

    openssl_peer.py --role client --connect 127.0.0.1:PORT | --role server --listen 127.0.0.1:PORT
        [--suite aes128gcm|aes256gcm|chacha20] [--group x25519|p256] [--srtp] [--cookie]
        [--cert-out PATH] [--peer-fingerprint HEX:WITH:COLONS] [--message TEXT]

prints CIPHER / SRTP / EXPORT / RECV / DONE lines like dtls_peer, or `ERROR <reason>` and exits 1.

Differences from dtls_peer, all from s_client/s_server: the handshake finishes before the peer's
certificate fingerprint is checked (a mismatch then stops before any application data); as a
server, OpenSSL always does the HelloVerifyRequest exchange (--cookie picks -listen, the
stateless DTLSv1_listen path); --group restricts the ECDHE choice by preference (-serverpref on
a server) but still lists P-256, which OpenSSL needs for the ECDSA P-256 certificates.
"""

import argparse
import base64
import hashlib
import os
import queue
import re
import subprocess
import sys
import tempfile
import threading
import time

SUITES = {  # our name: (OpenSSL name, IANA name)
    "aes128gcm": ("ECDHE-ECDSA-AES128-GCM-SHA256", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"),
    "aes256gcm": ("ECDHE-ECDSA-AES256-GCM-SHA384", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"),
    "chacha20": ("ECDHE-ECDSA-CHACHA20-POLY1305",
                 "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"),
}
IANA = {openssl: iana for openssl, iana in SUITES.values()}
GROUPS = {"x25519": "X25519:P-256", "p256": "P-256:X25519"}
# Profile: exported keying material length, 2 * (key + salt).
SRTP = {
    "SRTP_AEAD_AES_128_GCM": 56,
    "SRTP_AEAD_AES_256_GCM": 88,
    "SRTP_AES128_CM_SHA1_80": 60,
    "SRTP_AES128_CM_SHA1_32": 60,
}
LABEL = "EXTRACTOR-dtls_srtp"
# OpenSSL's own lines after the handshake, which are not application data.
NOT_DATA = re.compile(
    r"^(DONE|ACCEPT|shutting down SSL|CONNECTION CLOSED|---|read R BLOCK|Read BLOCK|"
    r"\s+\d+ (items|client|server|session|callback|cache).*|"
    r"(Post-Handshake|Read|Write|SSL_|closed|CONNECTION|verify|depth=).*)$"
)


def fingerprint(pem):
    body = "".join(l for l in pem.splitlines() if l and not l.startswith("-----"))
    digest = hashlib.sha256(base64.b64decode(body)).hexdigest().upper()
    return ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--role", choices=["client", "server"], required=True)
    ap.add_argument("--connect")
    ap.add_argument("--listen")
    ap.add_argument("--suite", choices=sorted(SUITES))
    ap.add_argument("--group", choices=sorted(GROUPS))
    ap.add_argument("--srtp", action="store_true")
    ap.add_argument("--cookie", action="store_true")
    ap.add_argument("--cert-out")
    ap.add_argument("--peer-fingerprint")
    ap.add_argument("--message", default="hello from rtc-dtls")
    args = ap.parse_args()
    client = args.role == "client"
    addr = args.connect if client else args.listen
    if not addr:
        fail("--connect (client) or --listen (server) is required")

    tmp = tempfile.mkdtemp(prefix="openssl-peer-")
    cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-days", "30", "-subj", "/CN=openssl-peer", "-keyout", key, "-out", cert],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if args.cert_out:
        with open(cert) as src, open(args.cert_out, "w") as dst:
            dst.write(src.read())

    cmd = ["openssl", "s_client" if client else "s_server", "-dtls1_2",
           "-connect" if client else "-accept", addr, "-cert", cert, "-key", key,
           "-keymatexport", LABEL, "-keymatexportlen", "88"]
    if not client:
        cmd += ["-Verify", "1", "-naccept", "1"]
        if args.cookie:
            cmd.append("-listen")
        if args.group:
            cmd.append("-serverpref")
    cmd += ["-cipher", SUITES[args.suite][0] if args.suite else
            ":".join(s for s, _ in SUITES.values())]
    if args.group:
        cmd += ["-groups", GROUPS[args.group]]
    if args.srtp:
        cmd += ["-use_srtp", ":".join(SRTP)]
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, bufsize=1)
    lines = queue.Queue()
    threading.Thread(target=lambda: [lines.put(l) for l in proc.stdout] + [lines.put(None)],
                     daemon=True).start()

    def next_line(deadline):
        try:
            return lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            return ""

    # The handshake summary: certificate, cipher, SRTP profile, keying material (last).
    deadline = time.monotonic() + 10
    cipher = profile = material = None
    pem, in_pem, transcript = [], False, []
    while material is None:
        line = next_line(deadline)
        if line is None or time.monotonic() > deadline:
            proc.kill()
            fail("handshake failed: " + last_error(transcript))
        transcript.append(line)
        text = line.strip()
        if text == "-----BEGIN CERTIFICATE-----" and not pem:
            in_pem = True
        if in_pem:
            pem.append(text)
            in_pem = text != "-----END CERTIFICATE-----"
        m = re.search(r"(?:CIPHER is|Cipher is) (\S+)", text)
        if m and m.group(1) != "(NONE)":
            cipher = m.group(1)
        m = re.search(r"SRTP Extension negotiated, profile=(\S+)", text)
        if m:
            profile = m.group(1)
        m = re.search(r"Keying material: ([0-9A-F]+)", text)
        if m:
            material = m.group(1)
    if args.peer_fingerprint:
        got = fingerprint("\n".join(pem)) if pem else "(no certificate)"
        if got.upper() != args.peer_fingerprint.upper():
            proc.kill()
            fail(f"peer certificate fingerprint mismatch: expected {args.peer_fingerprint}, "
                 f"got {got}")
    print(f"CIPHER {IANA.get(cipher, cipher)}", flush=True)
    if profile:
        print(f"SRTP {profile}", flush=True)
        print(f"EXPORT {material[:2 * SRTP[profile]]}", flush=True)

    proc.stdin.write(args.message + "\n")
    proc.stdin.flush()
    received = 0
    deadline = time.monotonic() + (5 if client else 10)
    while True:
        line = next_line(deadline)
        if line is None or time.monotonic() > deadline:
            break
        text = line.rstrip("\n")
        if text and not NOT_DATA.match(text):
            print(f"RECV {text}", flush=True)
            received += 1
            if client:
                break
    # Closing stdin makes s_client/s_server send close_notify and end the connection.
    proc.stdin.close()
    try:
        proc.wait(timeout=3)
    except subprocess.TimeoutExpired:
        proc.kill()
    print("DONE", flush=True)


def last_error(transcript):
    for line in reversed(transcript):
        if "error" in line.lower() or "alert" in line.lower():
            return line.strip()
    return (transcript[-1].strip() if transcript else "no output") or "no output"


def fail(reason):
    print(f"ERROR {reason}", flush=True)
    sys.exit(1)


if __name__ == "__main__":
    main()
