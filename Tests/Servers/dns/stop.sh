#!/usr/bin/env bash
# Stop the test DNS server that start.sh started in ROOT.
#
#   stop.sh ROOT
#
# Kills by PID only: the knotd and timeout_proxy.py of this ROOT, each checked
# against /proc (program and command line naming this ROOT) before it is
# signalled, so the system knot (/etc/knot/knot.conf) and other test
# instances are never touched. SIGTERM, up to 5 s, then SIGKILL.
# Exits 0 when nothing of ROOT is left running (also when nothing was).
set -uo pipefail

PROG="dns/stop.sh"
die() { echo "$PROG: error: $*" >&2; exit 1; }
[ $# -eq 1 ] || die "usage: stop.sh ROOT"
[ -d "$1" ] || { echo "$PROG: $1 does not exist; nothing to stop" >&2; exit 0; }
ROOT=$(cd "$1" && pwd -P)

KNOT_PIDFILE=$ROOT/run/knot.pid
PROXY_PIDFILE=$ROOT/run/proxy.pid

cmdline_has() { tr '\0' '\n' < "/proc/$1/cmdline" 2>/dev/null | grep -qxF "$2"; }
ours_knot() { [ "$(readlink "/proc/$1/exe" 2>/dev/null)" = /usr/sbin/knotd ] && cmdline_has "$1" "$ROOT/knot.conf"; }
ours_proxy() { cmdline_has "$1" "$(dirname "$(readlink -f "$0")")/timeout_proxy.py" && cmdline_has "$1" "$ROOT/proxy.log"; }
alive() { [ -d "/proc/$1" ] && ! awk '{ sub(/^.*\) /, ""); exit !($1 == "Z" || $1 == "X") }' "/proc/$1/stat" 2>/dev/null; }

# Candidates: the PID files, and instance.json (knot removes its PID file on
# a clean exit; instance.json survives a crash of the script after startup).
candidates=()
for f in "$KNOT_PIDFILE" "$PROXY_PIDFILE"; do
  [ -s "$f" ] && candidates+=("$(cat "$f")")
done
if [ -s "$ROOT/instance.json" ]; then
  for key in pid proxy_pid; do
    p=$(grep -o "\"$key\":[0-9]*" "$ROOT/instance.json" | cut -d: -f2)
    [ -n "$p" ] && candidates+=("$p")
  done
fi

PIDS=()
for p in $(printf '%s\n' "${candidates[@]}" | sort -u); do
  [[ $p =~ ^[0-9]+$ ]] || continue
  if ours_knot "$p"; then
    echo "$PROG: stopping knotd $p" >&2; PIDS+=("$p"); kill -TERM "$p" 2>/dev/null
  elif ours_proxy "$p"; then
    echo "$PROG: stopping timeout proxy $p" >&2; PIDS+=("$p"); kill -TERM "$p" 2>/dev/null
  fi
done
[ ${#PIDS[@]} -eq 0 ] && { echo "$PROG: nothing running in $ROOT" >&2; rm -f "$KNOT_PIDFILE" "$PROXY_PIDFILE"; exit 0; }

left() { for p in "${PIDS[@]}"; do alive "$p" && echo "$p"; done; }
for _ in $(seq 1 100); do
  [ -z "$(left)" ] && break
  sleep 0.05
done
rest=$(left)
if [ -n "$rest" ]; then
  echo "$PROG: killing leftovers: $(echo $rest)" >&2
  kill -KILL $rest 2>/dev/null
  for _ in $(seq 1 40); do [ -z "$(left)" ] && break; sleep 0.05; done
fi
rest=$(left)
[ -z "$rest" ] || die "processes still running: $(echo $rest)"
rm -f "$KNOT_PIDFILE" "$PROXY_PIDFILE"
echo "$PROG: stopped" >&2
