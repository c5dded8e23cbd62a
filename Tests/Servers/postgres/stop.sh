#!/usr/bin/env bash
# Stop the test PostgreSQL server that start.sh started in ROOT, by its PID
# (checked against /proc: a postgres whose data folder is ROOT/data), never
# any other cluster. pg_ctl stop -m immediate, then SIGKILL if need be.
#
#   stop.sh ROOT
set -uo pipefail
PROG="postgres/stop.sh"
[ $# -eq 1 ] || { echo "$PROG: usage: stop.sh ROOT" >&2; exit 1; }
[ -d "$1" ] || exit 0
ROOT=$(cd "$1" && pwd -P)
PID=""
[ -s "$ROOT/data/postmaster.pid" ] && PID=$(head -1 "$ROOT/data/postmaster.pid")
[ -z "$PID" ] && [ -s "$ROOT/instance.json" ] && PID=$(grep -o '"pid":[0-9]*' "$ROOT/instance.json" | cut -d: -f2)
[[ $PID =~ ^[0-9]+$ ]] || { echo "$PROG: nothing running in $ROOT" >&2; exit 0; }
ours() { tr '\0' '\n' < "/proc/$1/cmdline" 2>/dev/null | grep -qxF "$ROOT/data"; }
ours "$PID" || { echo "$PROG: $PID is not this server; nothing stopped" >&2; exit 0; }
kill -QUIT "$PID" 2>/dev/null   # immediate shutdown
for _ in $(seq 1 100); do [ -d "/proc/$PID" ] || break; sleep 0.05; done
if [ -d "/proc/$PID" ]; then kill -KILL "$PID" 2>/dev/null; sleep 0.2; fi
# Its children end with it; any left of this data folder are killed by PID.
for p in $(pgrep -f "$ROOT/data" 2>/dev/null); do ours "$p" && kill -KILL "$p" 2>/dev/null; done
echo "$PROG: stopped" >&2
