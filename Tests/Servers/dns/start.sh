#!/usr/bin/env bash
# Start a throw-away authoritative DNS server (Knot DNS) for tests, with the
# zones in zones/ on 127.0.0.1, plus a relay in front of it that never answers
# queries under timeout.test.
#
#   start.sh ROOT PORT
#
# ROOT  folder for everything of this instance (created if missing): knot.conf,
#       run/ (PID file, control socket), db/ (timer database), logs.
# PORT  knotd listens on 127.0.0.1:PORT (UDP and TCP): every zone in zones/,
#       REFUSED for anything else (timeout.test included).
#       timeout_proxy.py listens on 127.0.0.1:PORT+1 (UDP and TCP): knot's
#       answers relayed, except that queries under timeout.test are never
#       answered. Point a client at PORT+1 when a run needs timeout.test.
#
# Prints one JSON object on stdout (everything else goes to stderr), and
# writes the same to ROOT/instance.json:
#   {"root":..., "host":"127.0.0.1", "port":N, "pid":N, "proxy_port":N,
#    "proxy_pid":N, "control_socket":..., "log":..., "proxy_log":...,
#    "startup_seconds":F}
# Stop with stop.sh ROOT; with MAILFORM_DNS_WATCH_PID=PID in the environment
# the instance also stops by itself when process PID ends. Both daemons run in their own sessions with their
# standard streams on files, so a caller reading this script's stdout sees
# EOF as soon as the script exits. Never touches the system knot instance
# (/etc/knot, /run/knot, /var/lib/knot).
set -euo pipefail
# Keep none of the test process's other files open: a daemon or watcher
# started below would hold them as long as it lives, and a test reading a
# pipe to its end (another child's output) would wait for it forever.
for fd in /proc/$$/fd/*; do
  n=${fd##*/}
  # (Not bash's own, from 250 up: 255 is the script it reads.)
  if [ "$n" -gt 2 ] 2>/dev/null && [ "$n" -lt 250 ]; then eval "exec $n>&-" 2>/dev/null || true; fi
done

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PROG="dns/start.sh"
die() { echo "$PROG: error: $*" >&2; exit 1; }

[ $# -eq 2 ] || die "usage: start.sh ROOT PORT"
ROOT_ARG=$1
PORT=$2
T0=$(date +%s.%N)

# --- prerequisites ---------------------------------------------------------
KNOTD=/usr/sbin/knotd
KNOTC=/usr/sbin/knotc
PY=/usr/bin/python3
[ -x "$KNOTD" ] && [ -x "$KNOTC" ] || die "Knot DNS is not installed: DEBIAN_FRONTEND=noninteractive apt-get install -y knot"
[ -x "$PY" ] || die "$PY is missing: apt-get install -y python3 python3-dnslib"
"$PY" -c 'import dnslib' 2>/dev/null || die "python3-dnslib is missing for $PY: apt-get install -y python3-dnslib"
command -v setsid >/dev/null || die "setsid (util-linux) is missing"

[[ $PORT =~ ^[0-9]+$ ]] || die "PORT must be a number, got '$PORT'"
{ [ "$PORT" -ge 1 ] && [ "$PORT" -le 65534 ]; } || die "PORT must be in 1..65534 (PORT+1 is the timeout proxy)"
{ [ "$PORT" -ge 1024 ] || [ "$(id -u)" -eq 0 ]; } || die "PORT below 1024 needs root (bench/dns.sh uses 53 for checkdmarc, which takes no port)"
PROXY_PORT=$((PORT + 1))

mkdir -p "$ROOT_ARG"
ROOT=$(cd "$ROOT_ARG" && pwd -P)
# Used in knot.conf and sed replacements: no quoting needed.
[[ $ROOT =~ ^/[A-Za-z0-9_./+-]+$ ]] || die "ROOT '$ROOT' must be an absolute path of [A-Za-z0-9_./+-] only"
[ "$ROOT" != / ] || die "ROOT must not be /"
# The control socket path must fit in sun_path (108 bytes).
[ ${#ROOT} -le 80 ] || die "ROOT '$ROOT' is too long (the control socket path must stay under 108 bytes)"

RUN=$ROOT/run
CONF=$ROOT/knot.conf
LOG=$ROOT/knot.log
PLOG=$ROOT/proxy.log
KNOT_PIDFILE=$RUN/knot.pid
PROXY_PIDFILE=$RUN/proxy.pid
SOCK=$RUN/knot.sock

# Refuse to start twice in one ROOT.
for f in "$KNOT_PIDFILE" "$PROXY_PIDFILE"; do
  if [ -s "$f" ]; then
    p=$(cat "$f")
    if [ -n "$p" ] && kill -0 "$p" 2>/dev/null; then
      die "an instance is already running in $ROOT (PID $p); run stop.sh $ROOT first"
    fi
  fi
done

# Ports must be free: UDP (/proc/net/udp) and TCP LISTEN (/proc/net/tcp) on
# 127.0.0.1 or the wildcard address.
in_use() { # port -> 0 if something is bound there
  local hex; hex=$(printf '%04X' "$1")
  awk -v h=":$hex" 'FNR > 1 && ($2 == "0100007F" h || $2 == "00000000" h) &&
      (FILENAME ~ /udp/ || $4 == "0A") { f = 1 } END { exit !f }' /proc/net/udp /proc/net/tcp
}
for p in "$PORT" "$PROXY_PORT"; do
  in_use "$p" && die "port $p on 127.0.0.1 is already in use; choose another PORT"
done

# Fresh state (only our own files; stale runs are wiped).
rm -rf "$RUN" "$ROOT/db" "$LOG" "$PLOG" "$ROOT/instance.json" "$ROOT/knotd.out" "$ROOT/proxy.out"
umask 022
mkdir -p "$RUN" "$ROOT/db"

sed -e "s|@ROOT@|$ROOT|g" -e "s|@PORT@|$PORT|g" -e "s|@ZONEDIR@|$HERE/zones|g" "$HERE/knot.conf.in" > "$CONF"
if grep -n '@[A-Z_]*@' "$CONF" >&2; then die "unfilled placeholder in $CONF"; fi
"$KNOTC" -c "$CONF" conf-check >"$ROOT/conf-check.out" 2>&1 || { cat "$ROOT/conf-check.out" >&2; die "knot.conf does not check"; }

# Every zone in the configuration must have its file (servfail.test's is broken on purpose).
ZONES=$(awk '$1 == "-" && $2 == "domain:" { print $3 }' "$CONF")
for z in $ZONES; do
  [ -f "$HERE/zones/$z.zone" ] || die "zone file $HERE/zones/$z.zone is missing"
done

cleanup_and_die() {
  "$HERE/stop.sh" "$ROOT" >&2 || true
  die "$@"
}

# --- daemons ------------------------------------------------------------------
# setsid: own session, so they outlive the caller's session and are not in its
# process group; stdio on files: nobody reading our stdout waits for them.
setsid "$KNOTD" -c "$CONF" </dev/null >"$ROOT/knotd.out" 2>&1 &
KNOT_PID=$!
setsid "$PY" "$HERE/timeout_proxy.py" "$PROXY_PORT" "$PORT" "$PLOG" </dev/null >"$ROOT/proxy.out" 2>&1 &
PROXY_PID=$!
echo "$PROXY_PID" > "$PROXY_PIDFILE"

# --- wait until ready (bounded) ----------------------------------------------
# Ready = knotd answers on its control socket, every zone but servfail.test is
# loaded, and both knotd and the proxy (relaying to knotd) answer a UDP query
# for good.test SOA.
query_ok() { # port
  "$PY" - "$1" <<'PYEOF' 2>/dev/null
import sys
from dnslib import DNSRecord, RCODE
reply = DNSRecord.parse(DNSRecord.question("good.test", "SOA").send("127.0.0.1", int(sys.argv[1]), timeout=0.5))
sys.exit(0 if reply.header.rcode == RCODE.NOERROR and reply.rr else 1)
PYEOF
}
unloaded() { # prints zones (but servfail.test) without a serial
  "$KNOTC" -s "$SOCK" zone-status 2>/dev/null |
    awk '/^\[/ { z = $1; gsub(/[\[\]]/, "", z); sub(/\.$/, "", z); if (z != "servfail.test" && $0 !~ /serial: [0-9]/) print z }'
}
DEADLINE=$(( $(date +%s) + 15 ))
while :; do
  kill -0 "$KNOT_PID" 2>/dev/null || { cat "$ROOT/knotd.out" >&2; tail -n 30 "$LOG" >&2 2>/dev/null || true; cleanup_and_die "knotd exited during startup"; }
  kill -0 "$PROXY_PID" 2>/dev/null || { cat "$ROOT/proxy.out" >&2; cleanup_and_die "timeout_proxy.py exited during startup"; }
  missing=()
  if [ -S "$SOCK" ] && "$KNOTC" -s "$SOCK" status >/dev/null 2>&1; then
    left=$(unloaded | tr '\n' ' ')
    [ -z "$left" ] || missing+=("zones: $left")
    query_ok "$PORT" || missing+=("knotd's answer to good.test SOA")
    query_ok "$PROXY_PORT" || missing+=("the proxy's answer to good.test SOA")
  else
    missing+=("control socket")
  fi
  [ ${#missing[@]} -eq 0 ] && break
  if [ "$(date +%s)" -ge "$DEADLINE" ]; then
    echo "--- $LOG (tail) ---" >&2; tail -n 40 "$LOG" >&2 2>/dev/null || true
    cleanup_and_die "not ready after 15 s, still waiting for: ${missing[*]}"
  fi
  sleep 0.05
done

T1=$(date +%s.%N)
ELAPSED=$(awk -v a="$T0" -v b="$T1" 'BEGIN { printf "%.2f", b - a }')
printf '{"root":"%s","host":"127.0.0.1","port":%s,"pid":%s,"proxy_port":%s,"proxy_pid":%s,"control_socket":"%s","log":"%s","proxy_log":"%s","startup_seconds":%s}\n' \
  "$ROOT" "$PORT" "$KNOT_PID" "$PROXY_PORT" "$PROXY_PID" "$SOCK" "$LOG" "$PLOG" "$ELAPSED" > "$ROOT/instance.json"
# MAILFORM_DNS_WATCH_PID: stop this instance when that process (a test run)
# ends, whatever way it ends, so no daemon outlives the tests that started it.
if [[ ${MAILFORM_DNS_WATCH_PID:-} =~ ^[0-9]+$ ]]; then
  setsid bash -c 'while kill -0 "$1" 2>/dev/null; do sleep 1; done; "$2" "$3"' watch \
    "$MAILFORM_DNS_WATCH_PID" "$HERE/stop.sh" "$ROOT" </dev/null >/dev/null 2>&1 &
fi
cat "$ROOT/instance.json"
