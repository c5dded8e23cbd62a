#!/usr/bin/env bash
# Loader scaling: one company file with 10,000 and 100,000 keys, and one with
# a list of 100,000 items, through `mailform validate` (release), beside the
# bare libyaml parse of the same file (PyYAML CSafeLoader) in the same run.
# Linear loading means 100k costs about ten times 10k, and each stays under a
# second. (Before: 10k/20k/40k keys took 2.7/9.1/38.2 s, 50k items 17.5 s.)
# Both are the median of BENCH_RUNS runs (bench/lib.sh); a failed run stops the bench.
#   bench/loader.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
swift build -c release >/dev/null
MAILFORM=$(swift build -c release --show-bin-path)/mailform
OUT=$(mktemp -d /tmp/mailform-loader.XXXXXX)
trap 'rm -rf "$OUT"' EXIT

generate() { # kind count file
  /usr/bin/python3 - "$1" "$2" "$3" <<'PY'
import sys
kind, n, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
with open(path, "w") as f:
    f.write("company: big\nsender:\n  email: a@big.example.com\nprovider: platform\n")
    # Flow style keeps 100,000 entries under the 1 MiB file limit.
    if kind == "keys":
        f.write("extra: {" + ", ".join(f"{i:x}: 0" for i in range(n)) + "}\n")
    else:
        f.write("list: [" + ", ".join("0" for i in range(n)) + "]\n")
PY
}

measure_file() { # label file
  mkdir -p "$OUT/ws/companies"; rm -f "$OUT/ws/companies/"*.yaml; cp "$2" "$OUT/ws/companies/big.yaml"
  : > "$OUT/ws/mailform.yaml"
  # The file is invalid on purpose (unknown keys): exit 1 is expected; anything else fails the bench.
  BENCH_EXPECT_STATUS=1 sample "$BENCH_RUNS" "$MAILFORM" validate "$OUT/ws/companies" --quiet
  local m=$LAST_SECONDS
  sample "$BENCH_RUNS" /usr/bin/python3 -c 'import sys,yaml; yaml.load(open(sys.argv[1]), Loader=yaml.CSafeLoader)' "$2"
  local p=$LAST_SECONDS
  printf '%-28s mailform validate %6.2f s   bare parse %6.2f s   ratio %5.2fx\n' "$1" "$m" "$p" "$(echo "$m / $p" | bc -l)"
  LAST=$m
}

generate keys 10000 "$OUT/k10k.yaml";  measure_file "10,000 keys" "$OUT/k10k.yaml";  K10=$LAST
generate keys 100000 "$OUT/k100k.yaml"; measure_file "100,000 keys" "$OUT/k100k.yaml"; K100=$LAST
generate list 100000 "$OUT/l100k.yaml"; measure_file "100,000 list items" "$OUT/l100k.yaml"
printf 'keys 100k / 10k: %.1fx (linear: about 10x)\n' "$(echo "$K100 / $K10" | bc -l)"
