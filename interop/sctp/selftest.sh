#!/bin/sh
# The third-party SCTP peers of `cargo xtask interop sctp` against each other, no DTLS, each in a
# loopback-only network namespace (run as root; needs libusrsctp-examples and interop/.venv):
#   1. usrsctp ekr_client -> ekr_server            (raw SCTP in UDP, one 80-byte message)
#   2. aiortc_peer.py client <-> aiortc_peer.py server  (DCEP channels, echo, stream resets)
#   3. aiortc_peer.py --scenario discard -> ekr_server  (aiortc and usrsctp on the same framing)
# Usage: sh interop/sctp/selftest.sh [OUTDIR]; ends with `sctp selftest: ok` or `... FAILED`.
set -u
DIR=$(cd "$(dirname "$0")" && pwd)
OUT=${1:-$(mktemp -d)}
mkdir -p "$OUT/ekr" "$OUT/aiortc" "$OUT/discard"
PY=${PYTHON:-$DIR/../.venv/bin/python}
EKR=/usr/lib/usrsctp
FAILED=0

# 1. ekr_client -> ekr_server. ekr_server: UDP 127.0.0.1:11111 talking to UDP 127.0.0.1:22222,
# SCTP port 5001, runs until killed (stdbuf: its stdout would be lost in the buffer otherwise).
unshare -n sh -s <<INNER
ip link set lo up
stdbuf -oL $EKR/ekr_server 127.0.0.1 11111 127.0.0.1 22222 >$OUT/ekr/server.out 2>$OUT/ekr/server.err &
SV=\$!
sleep 0.3
timeout 10 $EKR/ekr_client 127.0.0.1 22222 127.0.0.1 11111 >$OUT/ekr/client.out 2>$OUT/ekr/client.err
echo \$? >$OUT/ekr/client.rc
sleep 0.2
kill \$SV
INNER
python3 "$DIR/sctp_dump.py" "$OUT/ekr/client.err" >"$OUT/ekr/client.packets"
if [ "$(cat "$OUT/ekr/client.rc")" = 0 ] \
  && grep -q '^Msg of length 80 received .* on stream 1 with SSN 0 .* PPID 39, context 0\.$' "$OUT/ekr/server.out" \
  && grep -q '^I .* SHUTDOWN-ACK' "$OUT/ekr/client.packets"; then
  echo "1. ekr_client -> ekr_server: ok"
else
  echo "1. ekr_client -> ekr_server: FAILED (see $OUT/ekr)"; FAILED=1
fi

# 2. aiortc client <-> aiortc server, UDP 6002 <-> 6001, SCTP port 5000 on both sides.
unshare -n sh -s <<INNER
ip link set lo up
nice $PY $DIR/aiortc_peer.py --role server --local-port 6001 --remote-port 6002 >$OUT/aiortc/server.out 2>$OUT/aiortc/server.err &
SV=\$!
sleep 0.5
nice $PY $DIR/aiortc_peer.py --role client --local-port 6002 --remote-port 6001 >$OUT/aiortc/client.out 2>$OUT/aiortc/client.err
echo \$? >$OUT/aiortc/client.rc
wait \$SV
echo \$? >$OUT/aiortc/server.rc
INNER
if [ "$(cat "$OUT/aiortc/client.rc")" = 0 ] && [ "$(cat "$OUT/aiortc/server.rc")" = 0 ] \
  && grep -q '^RESULT {"ok": true' "$OUT/aiortc/client.out" && grep -q '^RESULT {"ok": true' "$OUT/aiortc/server.out"; then
  echo "2. aiortc client <-> aiortc server: ok"
else
  echo "2. aiortc client <-> aiortc server: FAILED (see $OUT/aiortc)"; FAILED=1
fi

# 3. aiortc (client, scenario discard) -> ekr_server: 16 messages on stream 1, then a stream reset.
unshare -n sh -s <<INNER
ip link set lo up
stdbuf -oL $EKR/ekr_server 127.0.0.1 11111 127.0.0.1 22222 >$OUT/discard/server.out 2>$OUT/discard/server.err &
SV=\$!
sleep 0.3
nice $PY $DIR/aiortc_peer.py --role client --scenario discard --local-port 22222 --remote-port 11111 --remote-sctp-port 5001 >$OUT/discard/client.out 2>$OUT/discard/client.err
echo \$? >$OUT/discard/client.rc
sleep 0.2
kill \$SV
INNER
if [ "$(cat "$OUT/discard/client.rc")" = 0 ] && [ "$(grep -c '^Msg of length .* on stream 1 with SSN' "$OUT/discard/server.out")" = 16 ] \
  && grep -q '^Msg of length 65536 received .* PPID 53, context 0\.$' "$OUT/discard/server.out"; then
  echo "3. aiortc discard -> ekr_server: ok"
else
  echo "3. aiortc discard -> ekr_server: FAILED (see $OUT/discard)"; FAILED=1
fi

if [ $FAILED = 0 ]; then echo "sctp selftest: ok ($OUT)"; else echo "sctp selftest: FAILED ($OUT)"; exit 1; fi
