#!/usr/bin/env bash
# Differential test: mailform's DNS stage vs checkdmarc 6.0.4 on the corpus of
# bench/differential/corpus.py (SPF, DMARC, MTA-STS, TLS-RPT per domain).
#
#   bash bench/differential/run.sh        (as root: DNS on 127.0.0.1:53, HTTPS on :443)
#
# Generates the zones, policies and workspace into $OUT (default
# bench/out/differential), starts Knot and the HTTPS policy server, runs both
# tools 3 times (timing: median wall seconds), compares their verdicts with
# each other and with the corpus's RFC expectation (compare.py), stops both
# servers by PID, exits 0. MAILFORM: the mailform binary (default: a release build).
set -euo pipefail
cd "$(dirname "$0")/../.."
HERE=bench/differential
OUT=${OUT:-bench/out/differential}
VENV=bench/out/venv
PY=/usr/bin/python3
RUNS=${RUNS:-3}
if [ -z "${MAILFORM:-}" ]; then
  echo "building release..."
  swift build -c release >/dev/null
  MAILFORM=$(swift build -c release --show-bin-path)/mailform
fi
[ -x "$MAILFORM" ] || { echo "no mailform binary at $MAILFORM (set MAILFORM=)" >&2; exit 1; }
if ! "$VENV/bin/python" -c 'import checkdmarc, sys; sys.exit(checkdmarc.__version__ != "6.0.4")' 2>/dev/null; then
  echo "installing checkdmarc 6.0.4 (PyPI) into $VENV..."
  [ -x "$VENV/bin/pip" ] || $PY -m venv "$VENV"
  "$VENV/bin/pip" install -q checkdmarc==6.0.4
fi

in_use() { # port -> 0 if something listens on 127.0.0.1/0.0.0.0 (UDP or TCP)
  local hex; hex=$(printf '%04X' "$1")
  awk -v h=":$hex" 'FNR > 1 && ($2 == "0100007F" h || $2 == "00000000" h) &&
      (FILENAME ~ /udp/ || $4 == "0A") { f = 1 } END { exit !f }' /proc/net/udp /proc/net/tcp
}
for p in 53 443; do in_use $p && { echo "port $p on 127.0.0.1 is in use" >&2; exit 1; }; done

rm -rf "$OUT"; mkdir -p "$OUT/run" "$OUT/db" "$OUT/sts"
OUT=$(cd "$OUT" && pwd -P)
$PY $HERE/gen.py "$OUT" 53

KNOT_PID=""; STS_PID=""
stop() {
  for pid in $STS_PID $KNOT_PID; do
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  done
  for pid in $STS_PID $KNOT_PID; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
  done
}
trap stop EXIT

setsid /usr/sbin/knotd -c "$OUT/knot.conf" </dev/null >"$OUT/knotd.out" 2>&1 &
KNOT_PID=$!
setsid $PY $HERE/sts_server.py "$OUT/sts" 443 "$OUT/policies.json" </dev/null >"$OUT/sts.out" 2>&1 &
STS_PID=$!
# Ready: every zone loaded (serial shown) and the HTTPS server printed its line.
for _ in $(seq 150); do
  loaded=$(/usr/sbin/knotc -s "$OUT/run/knot.sock" zone-status 2>/dev/null | grep -c 'serial: [0-9]' || true)
  [ "$loaded" -ge 4 ] && [ -s "$OUT/sts.out" ] && break
  sleep 0.1
done
[ "${loaded:-0}" -ge 4 ] || { cat "$OUT/knot.log" >&2; echo "knot did not load the zones" >&2; exit 1; }
[ -s "$OUT/sts.out" ] || { echo "the HTTPS policy server did not start" >&2; exit 1; }
CA=$($PY -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["ca_file"])' "$OUT/sts.out")

median() { sort -n | awk '{ a[NR] = $1 } END { printf "%.2f", a[int((NR + 1) / 2)] }'; }
now() { date +%s.%N; }
MT=(); CT=()
for i in $(seq "$RUNS"); do
  t0=$(now)
  rc=0; MAILFORM_DNS=on "$MAILFORM" probe "$OUT/ws/companies" --dns-server 127.0.0.1:53 --format json --ca-file "$CA" \
    >"$OUT/mailform.json" 2>"$OUT/mailform.err" || rc=$?
  t1=$(now)
  [ "$rc" -eq 0 ] || [ "$rc" -eq 3 ] || { cat "$OUT/mailform.err" >&2; echo "mailform exited $rc" >&2; exit 1; }
  "$VENV/bin/python" $HERE/checkdmarc_run.py "$OUT/domains.txt" "$CA" >"$OUT/checkdmarc.json" 2>"$OUT/checkdmarc.err"
  t2=$(now)
  MT+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')")
  CT+=("$(awk -v a="$t1" -v b="$t2" 'BEGIN { print b - a }')")
done
M=$(printf '%s\n' "${MT[@]}" | median); C=$(printf '%s\n' "${CT[@]}" | median)

stop; trap - EXIT
$PY $HERE/compare.py "$OUT" --results "$OUT/table.md"
echo
printf 'timing (wall seconds, median of %s, %s domains):\n' "$RUNS" "$(wc -l <"$OUT/domains.txt")"
printf '  %-44s %8s s   runs: %s\n' "mailform probe (DNS stage + MTA-STS fetch)" "$M" "${MT[*]}"
printf '  %-44s %8s s   runs: %s\n' "checkdmarc check_domains (same server)" "$C" "${CT[*]}"
exit 0
