#!/usr/bin/env bash
# Start a throw-away PostgreSQL server for tests: initdb into ROOT/data as the
# postgres user (PostgreSQL refuses to run as root), listening on
# 127.0.0.1:PORT only, its socket in ROOT/run. Never touches the system
# cluster (/etc/postgresql, /var/lib/postgresql, port 5432).
#
#   start.sh ROOT PORT
#
# Two roles: `mailform` (the store owner, password `mailform-test-pw`, md5...
# scram over TCP) and the superuser `postgres` (socket only, for the tests'
# checks). Databases are made by the tests (createdb over the socket).
# Prints one JSON object on stdout and writes it to ROOT/instance.json:
#   {"root":..., "host":"127.0.0.1", "port":N, "pid":N, "socket_dir":...,
#    "user":"mailform", "password":..., "log":..., "startup_seconds":F}
# Stop with stop.sh ROOT; with MAILFORM_PG_WATCH_PID=PID in the environment
# the server also stops by itself when process PID ends.
set -euo pipefail
for fd in /proc/$$/fd/*; do
  n=${fd##*/}
  if [ "$n" -gt 2 ] 2>/dev/null && [ "$n" -lt 250 ]; then eval "exec $n>&-" 2>/dev/null || true; fi
done
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PROG="postgres/start.sh"
die() { echo "$PROG: error: $*" >&2; exit 1; }
[ $# -eq 2 ] || die "usage: start.sh ROOT PORT"
ROOT=$1; PORT=$2
[[ $PORT =~ ^[0-9]+$ ]] || die "PORT must be a number"
BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$BIN/postgres" ] || die "no PostgreSQL server in /usr/lib/postgresql/*/bin (apt-get install -y postgresql)"
start=$(date +%s.%N)
mkdir -p "$ROOT/run"
ROOT=$(cd "$ROOT" && pwd -P)
as_pg=()
if [ "$(id -u)" -eq 0 ]; then
  id postgres >/dev/null 2>&1 || die "no postgres user (apt-get install -y postgresql)"
  chown postgres "$ROOT" "$ROOT/run"
  as_pg=(runuser -u postgres --)
fi
PASSWORD=mailform-test-pw
printf '%s\n' "$PASSWORD" > "$ROOT/pwfile"
[ ${#as_pg[@]} -eq 0 ] || chown postgres "$ROOT/pwfile"
"${as_pg[@]}" "$BIN/initdb" -D "$ROOT/data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
  -E UTF8 --locale=C.UTF-8 >"$ROOT/initdb.log" 2>&1 || { cat "$ROOT/initdb.log" >&2; die "initdb failed"; }
cat >> "$ROOT/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$ROOT/run'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 60
CONF
"${as_pg[@]}" "$BIN/pg_ctl" -D "$ROOT/data" -l "$ROOT/server.log" -w -t 30 -o "-c listen_addresses=127.0.0.1" start >"$ROOT/pg_ctl.log" 2>&1 \
  || { cat "$ROOT/pg_ctl.log" "$ROOT/server.log" >&2 2>/dev/null; die "the server did not start"; }
PID=$(head -1 "$ROOT/data/postmaster.pid")
"${as_pg[@]}" "$BIN/psql" -h "$ROOT/run" -p "$PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -q \
  -c "CREATE ROLE mailform LOGIN PASSWORD '$PASSWORD' CREATEDB" >/dev/null || die "cannot create the mailform role"
if [ -n "${MAILFORM_PG_WATCH_PID:-}" ]; then
  setsid bash -c "while kill -0 $MAILFORM_PG_WATCH_PID 2>/dev/null; do sleep 1; done; bash '$HERE/stop.sh' '$ROOT' >/dev/null 2>&1" \
    </dev/null >/dev/null 2>&1 &
fi
elapsed=$(LC_NUMERIC=C printf "%.3f" "$(echo "$(date +%s.%N) - $start" | bc)")
json=$(printf '{"root":"%s","host":"127.0.0.1","port":%s,"pid":%s,"socket_dir":"%s","bin":"%s","user":"mailform","password":"%s","log":"%s","startup_seconds":%s}' \
  "$ROOT" "$PORT" "$PID" "$ROOT/run" "$BIN" "$PASSWORD" "$ROOT/server.log" "$elapsed")
echo "$json" > "$ROOT/instance.json"
echo "$json"
