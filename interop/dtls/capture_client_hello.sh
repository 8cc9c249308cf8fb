#!/bin/sh
# Captures a real Chromium DTLS ClientHello on this machine and writes it, one raw UDP payload
# per file, to crates/rtc-dtls/tests/data/chromium_client_hello_<n>.bin, with a README.md that
# decodes it (written by extract_client_hello.py from the capture itself).
#
# Usage (root: it makes a network namespace and runs tcpdump):
#   interop/dtls/capture_client_hello.sh [OUT_DIR]
#
# How: in a loopback-only network namespace, tcpdump records UDP on `lo` while headless
# Chromium (/usr/bin/chromium, driven by playwright-core from interop/node_modules) connects two
# RTCPeerConnections of one page to each other with a data channel (capture_chromium.js,
# loopback.html). The answerer is the DTLS client; extract_client_hello.py keeps the datagrams
# of its first ClientHello (message_seq 0, before any HelloVerifyRequest), in the order sent.
# Missing tools (tcpdump, node/npm, the npm packages) are installed.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${1:-$root/crates/rtc-dtls/tests/data}

if [ "$(id -u)" != 0 ]; then
    echo "run as root (network namespace, tcpdump)" >&2
    exit 2
fi
need() { # program debian-package
    command -v "$1" >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive apt-get install -y "$2"
}
need tcpdump tcpdump
need node nodejs
need npm npm
need python3 python3
[ -x /usr/bin/chromium ] || DEBIAN_FRONTEND=noninteractive apt-get install -y chromium
[ -d "$root/interop/node_modules/playwright-core" ] \
    || (cd "$root/interop" && npm ci --no-audit --no-fund --loglevel=warn)

work=$(mktemp -d)
ns=rtc-dtls-capture-$$
tcpdump_pid=
cleanup() {
    [ -n "$tcpdump_pid" ] && kill "$tcpdump_pid" 2>/dev/null || true
    ip netns delete "$ns" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

ip netns add "$ns"
ip netns exec "$ns" ip link set lo up

# -U, --immediate-mode: write each packet as it comes; -Z root: keep writing into our root-owned temp dir.
ip netns exec "$ns" tcpdump -i lo -n -U --immediate-mode -Z root -s 0 -w "$work/handshake.pcap" udp \
    2>"$work/tcpdump.log" &
tcpdump_pid=$!
# Wait until tcpdump listens.
i=0
until grep -q "listening on" "$work/tcpdump.log" 2>/dev/null; do
    i=$((i + 1))
    [ $i -lt 100 ] || { cat "$work/tcpdump.log" >&2; exit 1; }
    sleep 0.1
done

ip netns exec "$ns" timeout 60 node "$here/capture_chromium.js" >"$work/connection.json"
cat "$work/connection.json"
sleep 1
kill "$tcpdump_pid"
wait "$tcpdump_pid" 2>/dev/null || true
tcpdump_pid=
cat "$work/tcpdump.log" >&2

mkdir -p "$out"
python3 "$here/extract_client_hello.py" "$work/handshake.pcap" "$out" \
    --connection "$work/connection.json" --tcpdump "$(tcpdump --version 2>&1 | head -1)"
