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

FIFO=$(mktemp -u /tmp/mailform-bench-fifo.XXXXXX)
mkfifo "$FIFO"
/usr/bin/python3 bench/smtp_delay_server.py "$LISTENERS" "$DELAY_MS" <"$FIFO" >"$OUT/ports.json" &
SERVER=$!
exec 3>"$FIFO"
trap 'exec 3>&-; kill $SERVER 2>/dev/null || true; rm -f "$FIFO"' EXIT
for _ in $(seq 50); do [ -s "$OUT/ports.json" ] && break; sleep 0.1; done

W="$OUT/probe$N"
rm -rf "$W"; mkdir -p "$W/companies" "$W/secrets"
printf 'mode: on-premise\nprobe:\n  timeout: 10s\n' > "$W/mailform.yaml"
echo "bench-password" > "$W/secrets/p.txt"
/usr/bin/python3 - "$N" "$W" "$OUT/ports.json" <<'PY'
import json, sys
n, w, ports = int(sys.argv[1]), sys.argv[2], json.load(open(sys.argv[3]))
for i in range(n):
    port = ports[i % len(ports)]
    with open(f"{w}/companies/p{i:05d}.yaml", "w") as f:
        f.write(f"company: p{i:05d}\nsender:\n  email: a@p{i}.bench.test\nprovider: smtp\nsmtp:\n  host: 127.0.0.1\n  port: {port}\n"
                f"  username: u{i}\n  password: ${{file:../secrets/p.txt}}\n  starttls: off\n")
PY
C=64  # the default probe.concurrency
echo
echo "== probe: $N SMTP endpoints, $LISTENERS listeners, banner delayed ${DELAY_MS} ms, concurrency $C"
# The per-endpoint latency: one endpoint probed alone.
measure "mailform probe (1 endpoint alone)" "$MAILFORM" probe "$W/companies/p00000.yaml"
SINGLE=$LAST_SECONDS
measure "mailform probe (release)" "$MAILFORM" probe "$W/companies" --format json
P=$LAST_SECONDS; PKB=$LAST_KB
checked "$MAILFORM" probe "$W/companies" --format json > "$OUT/probe.json"
OKCOUNT=$(/usr/bin/python3 -c "
import json
print(sum(1 for x in json.load(open('$OUT/probe.json'))['results'] if x['ok']))")
LATENCY=$SINGLE
BOUND=$(/usr/bin/python3 -c "import math; print(f'{math.ceil($N/$C) * $LATENCY:.3f}')")
echo "  endpoints ok                               $OKCOUNT / $N"
echo "  per-endpoint latency (1 endpoint alone)    ${LATENCY} s"
echo "  concurrency bound ceil($N/$C) x latency     ${BOUND} s"
echo "  mailform / bound = $(ratio "$P" "$BOUND")x   (target <= 1.3x); peak memory $(echo "$PKB / 1024" | bc) MB (target < 150 MB)"
if command -v swaks >/dev/null; then
  PORT=$(/usr/bin/python3 -c "import json; print(json.load(open('$OUT/ports.json'))[0])")
  # One measured run = 20 sequential swaks sessions; the first that fails fails the run.
  sample "$BENCH_RUNS" bash -c 'for i in $(seq 20); do
      swaks -s "127.0.0.1:$1" -a PLAIN -au "u$i" -ap bench-password --quit-after AUTH >/dev/null \
        || { echo "swaks session $i of 20 failed (exit $?)" >&2; exit 1; }
    done' swaks-sample "$PORT"
  S=$(echo "$LAST_SECONDS * $N / 20" | bc -l)
  printf "  %-44s %8.2f s   (20 sequential, scaled to %d; median of %d)\n" "swaks --quit-after AUTH" "$S" "$N" "$BENCH_RUNS"
  echo "  swaks (scaled) / mailform = $(ratio "$S" "$P")x"
fi
