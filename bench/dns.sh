#!/usr/bin/env bash
# DNS checks at scale: 10,000 companies over 2,000 sender domains (bulk.test,
# served by a real Knot on 127.0.0.1:53), through mailform's DNS stage
# (SPF, DMARC, DKIM, MX; each domain looked up once per run), beside
# checkdmarc (PyPI: SPF and DMARC of each domain) pointed at the same server.
# Median of BENCH_RUNS runs each; a failed run stops the bench.
#   bench/dns.sh [COMPANIES] [DOMAINS]   (default 10000 2000)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
N=${1:-10000}
D=${2:-2000}
OUT=bench/out
mkdir -p "$OUT"
if [ -z "${MAILFORM:-}" ]; then
  echo "building release..."
  swift build -c release >/dev/null
  MAILFORM=$(swift build -c release --show-bin-path)/mailform
fi

VENV=$OUT/venv
if [ ! -x "$VENV/bin/checkdmarc" ]; then
  echo "installing checkdmarc (PyPI) into $VENV..."
  /usr/bin/python3 -m venv "$VENV" 2>/dev/null || python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q checkdmarc
fi

# checkdmarc takes resolver addresses without a port: serve on port 53.
DNS=$(mktemp -d /tmp/mailform-bench-dns.XXXXXX); chmod 755 "$DNS"
trap 'Tests/Servers/dns/stop.sh "$DNS/root" >/dev/null 2>&1; rm -rf "$DNS"' EXIT
Tests/Servers/dns/start.sh "$DNS/root" 53 >/dev/null || { echo "FAILED: the DNS server did not start on 127.0.0.1:53" >&2; exit 1; }

W="$OUT/dns$N"
rm -rf "$W"; mkdir -p "$W/companies"
printf 'mode: saas\nplatform:\n  spf_include: _spf.platform.test\nprobe:\n  concurrency: 64\n  dns:\n    timeout: 3s\n' > "$W/mailform.yaml"
/usr/bin/python3 - "$N" "$D" "$W" <<'PY'
import sys
n, d, w = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
for i in range(n):
    domain = f"d{i % d}.bulk.test"
    with open(f"{w}/companies/c{i:06d}.yaml", "w") as f:
        f.write(f"company: c{i:06d}\nsender:\n  email: no-reply@{domain}\ndsar_sender:\n  email: dpo@{domain}\nprovider: platform\n")
PY
/usr/bin/python3 -c "
import sys
print(' '.join(f'd{i}.bulk.test' for i in range($D)))" > "$OUT/dns-domains.txt"

echo
echo "== DNS checks: $N companies over $D domains (bulk.test on a local Knot, 127.0.0.1:53)"
measure "mailform probe (DNS stage only, release)" "$MAILFORM" probe "$W/companies" --dns-server 127.0.0.1:53 --format json
M=$LAST_SECONDS
checked "$MAILFORM" probe "$W/companies" --dns-server 127.0.0.1:53 --format json > "$OUT/dns.json"
FINDINGS=$(/usr/bin/python3 -c "
import json, collections
d = json.load(open('$OUT/dns.json')).get('deliverability', [])
print(len(d), dict(collections.Counter(f['id'] for f in d)))")
echo "  findings: $FINDINGS"
# shellcheck disable=SC2046
measure "checkdmarc --nameserver 127.0.0.1 (SPF + DMARC)" "$VENV/bin/checkdmarc" --nameserver 127.0.0.1 -f json $(cat "$OUT/dns-domains.txt")
C=$LAST_SECONDS
echo "  checkdmarc / mailform = $(ratio "$C" "$M")x   (mailform also checks MX and each company's provider)"
