#!/usr/bin/env bash
# Probe benchmark: N SMTP endpoints on loopback (several listeners, each
# delaying its banner by 100 ms), probed at the default concurrency; printed
# beside the concurrency bound ceil(N / c) x per-endpoint latency and beside
# swaks --quit-after AUTH run sequentially on a sample of 20 (scaled). Each
# measurement is the median of BENCH_RUNS runs; a failed run stops the bench.
#   bench/probe.sh [N]   (default 1000)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
N=${1:-1000}
LISTENERS=10
DELAY_MS=100
OUT=bench/out
mkdir -p "$OUT"
MAILFORM=${MAILFORM:-$(swift build -c release --show-bin-path)/mailform}

# The main case is the one that matters in production: STARTTLS + AUTH.
openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1" \
  -keyout "$OUT/bench.key" -out "$OUT/bench.crt" >/dev/null 2>&1 || { echo "FAILED: openssl could not make the bench certificate" >&2; exit 1; }
FIFO=$(mktemp -u /tmp/mailform-bench-fifo.XXXXXX)
mkfifo "$FIFO"
/usr/bin/python3 bench/smtp_delay_server.py "$LISTENERS" "$DELAY_MS" "$OUT/bench.crt" "$OUT/bench.key" <"$FIFO" >"$OUT/ports.json" &
SERVER=$!
exec 3>"$FIFO"
trap 'exec 3>&-; kill $SERVER 2>/dev/null || true; rm -f "$FIFO"' EXIT
for _ in $(seq 50); do [ -s "$OUT/ports.json" ] && break; sleep 0.1; done

W="$OUT/probe$N"
rm -rf "$W"; mkdir -p "$W/companies" "$W/secrets"
printf 'mode: on-premise\nprobe:\n  timeout: 10s\n  ca_file: %s\n' "$PWD/$OUT/bench.crt" > "$W/mailform.yaml"
echo "bench-password" > "$W/secrets/p.txt"
/usr/bin/python3 - "$N" "$W" "$OUT/ports.json" <<'PY'
import json, sys
n, w, ports = int(sys.argv[1]), sys.argv[2], json.load(open(sys.argv[3]))
for i in range(n):
    port = ports[i % len(ports)]
    with open(f"{w}/companies/p{i:05d}.yaml", "w") as f:
        f.write(f"company: p{i:05d}\nsender:\n  email: a@p{i}.bench.test\nprovider: smtp\nsmtp:\n  host: 127.0.0.1\n  port: {port}\n"
                f"  username: u{i}\n  password: ${{file:../secrets/p.txt}}\n  starttls: required\n")
PY
C=64  # the default probe.concurrency
echo
echo "== probe: $N SMTP endpoints (STARTTLS + AUTH PLAIN + NOOP + QUIT), $LISTENERS listeners, banner delayed ${DELAY_MS} ms, concurrency $C"
# The timed runs write their JSON; the last one gives the OK count and, from
# its own stage timings, the per-endpoint latency (the median session length,
# connect to QUIT) — measured in the same process as the total.
measure "mailform probe --send-credentials (release)" bash -c '"$0" probe --send-credentials "$1" --format json > "$2"' \
  "$MAILFORM" "$W/companies" "$OUT/probe.json"
P=$LAST_SECONDS; PKB=$LAST_KB
read -r OKCOUNT LATENCY < <(/usr/bin/python3 -c "
import json, statistics
results = json.load(open('$OUT/probe.json'))['results']
ok = sum(1 for r in results if r['ok'])
sessions = [max(s['ms'] for s in r['stages']) / 1000 for r in results if r['stages']]
print(ok, f'{statistics.median(sessions):.3f}')")
[ "$OKCOUNT" -eq "$N" ] || { echo "FAILED: only $OKCOUNT of $N endpoints passed the timed probe" >&2; exit 1; }
BOUND=$(/usr/bin/python3 -c "import math; print(f'{math.ceil($N/$C) * $LATENCY:.3f}')")
echo "  endpoints ok (from the timed run)          $OKCOUNT / $N"
echo "  per-endpoint latency (median session, same run)  ${LATENCY} s"
echo "  concurrency bound ceil($N/$C) x latency     ${BOUND} s"
echo "  mailform / bound = $(ratio "$P" "$BOUND")x   (target <= 1.3x); peak memory $(echo "$PKB / 1024" | bc) MB (target < 150 MB)"
if command -v swaks >/dev/null; then
  PORT=$(/usr/bin/python3 -c "import json; print(json.load(open('$OUT/ports.json'))[0])")
  # One measured run = 20 sequential swaks sessions; the first that fails fails the run.
  sample "$BENCH_RUNS" bash -c 'for i in $(seq 20); do
      swaks -s "127.0.0.1:$1" -tls -a PLAIN -au "u$i" -ap bench-password --quit-after AUTH >/dev/null \
        || { echo "swaks session $i of 20 failed (exit $?)" >&2; exit 1; }
    done' swaks-sample "$PORT"
  S=$(echo "$LAST_SECONDS * $N / 20" | bc -l)
  printf "  %-44s %8.2f s   (20 sequential, scaled to %d; median of %d)\n" "swaks -tls --quit-after AUTH" "$S" "$N" "$BENCH_RUNS"
  echo "  swaks (scaled) / mailform = $(ratio "$S" "$P")x"
fi
