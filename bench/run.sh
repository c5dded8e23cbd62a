#!/usr/bin/env bash
# mailform benchmarks. Prints wall time and peak memory beside peers measured
# in the same run, and the ratios the issues set as targets.
#   bench/run.sh [N]      (default N=10000)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
N=${1:-10000}
OUT=bench/out
mkdir -p "$OUT"

echo "building release..."
swift build -c release >/dev/null
MAILFORM=$(swift build -c release --show-bin-path)/mailform

VENV=$OUT/venv
if [ ! -x "$VENV/bin/check-jsonschema" ]; then
  echo "installing check-jsonschema (PyPI) into $VENV..."
  /usr/bin/python3 -m venv "$VENV" && "$VENV/bin/pip" install -q check-jsonschema
fi

W="$OUT/w$N"
rm -rf "$W"
/usr/bin/python3 bench/generate.py "$N" "$W"
FILES=$(find "$W/companies" -name '*.yaml' | sort)
echo
echo "== validate: $N company files"
best_of 3 "mailform validate (release)" "$MAILFORM" validate "$W/companies"
V=$LAST_SECONDS; VKB=$LAST_KB
best_of 3 "bare parse: PyYAML CSafeLoader (libyaml)" /usr/bin/python3 bench/bare_parse.py "$W/companies"
P=$LAST_SECONDS
# shellcheck disable=SC2086
measure "check-jsonschema $(\"$VENV/bin/check-jsonschema\" --version | awk '{print $NF}')" "$VENV/bin/check-jsonschema" --schemafile schemas/company.schema.json $FILES
C=$LAST_SECONDS
echo "  check-jsonschema / mailform = $(ratio "$C" "$V")x   (target >= 20x)"
echo "  mailform / bare parse       = $(ratio "$V" "$P")x   (target <= 2.5x)"
echo "  mailform peak memory        = $(echo "$VKB / 1024" | bc) MB"
