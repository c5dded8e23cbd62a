#!/usr/bin/env bash
# mailform benchmarks. Prints wall time and peak memory beside peers measured
# in the same run, and the ratios the issues set as targets. Every measured
# command, mailform's and the peers', runs BENCH_RUNS times (default 3) and the
# median is reported; a measured command that fails stops the bench (bench/lib.sh).
#   bench/run.sh [N] [validate|reconcile|fleet|postgres|probe|dns|differential|all]     (default: 10000 all)
# postgres: 10 x N new companies applied to SQLite and to a PostgreSQL server
# on 127.0.0.1 (Tests/Servers/postgres, started and stopped by PID), then a
# plan of 1% changed against each; one run each, issue 24's 2x target.
# fleet: 10 x N companies with secret files and logos of their own (as users
# have them): plan, plan --out, apply FILE and apply, of new and of changed
# companies (plan --out and apply FILE one run each; apply and plan in
# BENCH_FLEET_RUNS paired rounds, default 5: this shared 2-core machine
# varies by a second between runs of one apply), peak memory beside issue
# 21's 400 MB target. plan
# and apply run as users run them, printing the plan (to /dev/null): apply
# always renders it (history records its digest), so a quiet plan would
# leave out work that apply cannot.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
N=${1:-10000}
WHAT=${2:-all}
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
measure "bare parse: PyYAML CSafeLoader (libyaml)" /usr/bin/python3 bench/bare_parse.py "$W/companies" >/dev/null
P=$LAST_SECONDS

if [ "$WHAT" = all ] || [ "$WHAT" = validate ]; then
echo
echo "== validate: $N company files"
measure "mailform validate (release)" "$MAILFORM" validate "$W/companies"
V=$LAST_SECONDS; VKB=$LAST_KB
echo "  bare parse: PyYAML CSafeLoader (libyaml)     $(printf '%8.2f' "$P") s"
# shellcheck disable=SC2086
measure "check-jsonschema" "$VENV/bin/check-jsonschema" --schemafile schemas/company.schema.json $FILES
C=$LAST_SECONDS
echo "  check-jsonschema / mailform = $(ratio "$C" "$V")x   (target >= 20x)"
echo "  mailform / bare parse       = $(ratio "$V" "$P")x   (target <= 2.5x)"
echo "  mailform peak memory        = $(echo "$VKB / 1024" | bc) MB"
fi

if [ "$WHAT" = all ] || [ "$WHAT" = reconcile ]; then
echo
echo "== reconcile: apply $N new companies, then plan $N files with 1% changed"
CHANGED="$OUT/w$N-changed"
rm -rf "$CHANGED"
/usr/bin/python3 bench/generate.py "$N" "$CHANGED" --changed 1 --seed 7
export MAILFORM_STORE_KEY
MAILFORM_STORE_KEY=$(head -c 32 /dev/urandom | base64)
STORE="$OUT/bench-$N.db"
rm -f "$STORE" "$STORE-wal" "$STORE-shm"
fresh_store() { rm -f "$STORE" "$STORE-wal" "$STORE-shm"; }
# Each round applies to an empty store, then plans the same files against it
# (no change); the last round leaves it applied for the plans after.
BENCH_BEFORE_A=fresh_store paired "mailform apply ($N new companies)" "mailform plan of the applied files (no change)" \
  "$MAILFORM" apply "$W/companies" --store "$STORE" --create-store --auto-approve --no-probe -- "$MAILFORM" plan "$W/companies" --store "$STORE"
A=$PAIR_A_SECONDS; AKB=$PAIR_A_KB; APPLY_RATIO=$PAIR_RATIO
paired "mailform plan ($N files, 1% changed)" "bare parse: PyYAML CSafeLoader, same files" \
  "$MAILFORM" plan "$CHANGED/companies" --store "$STORE" -- /usr/bin/python3 bench/bare_parse.py "$CHANGED/companies"
PL=$PAIR_A_SECONDS; PLKB=$PAIR_A_KB
echo "  plan / bare parse            = ${PAIR_RATIO}x   (median of the rounds' ratios; issue 14 target <= 1.0x)"
echo "  apply / plan of same files   = ${APPLY_RATIO}x   (median of the rounds' ratios; issue 14 target <= 1.2x)"
echo "  peak memory: plan $(echo "$PLKB / 1024" | bc) MB, apply $(echo "$AKB / 1024" | bc) MB"

if [ "${SCALE:-1}" = 1 ]; then
  BIG=$((N * 10))
  echo
  echo "== scaling: plan of $BIG files against a store of $BIG companies, 1% changed"
  WB="$OUT/w$BIG"; WBC="$OUT/w$BIG-changed"
  rm -rf "$WB" "$WBC"
  /usr/bin/python3 bench/generate.py "$BIG" "$WB"
  /usr/bin/python3 bench/generate.py "$BIG" "$WBC" --changed 1 --seed 7
  SB="$OUT/bench-$BIG.db"
  rm -f "$SB" "$SB-wal" "$SB-shm"
  fresh_big_store() { rm -f "$SB" "$SB-wal" "$SB-shm"; }
  measure "bare parse: PyYAML CSafeLoader (libyaml), $BIG files" /usr/bin/python3 bench/bare_parse.py "$WBC/companies" >/dev/null
  PB=$LAST_SECONDS
  BENCH_BEFORE_EACH=fresh_big_store measure "mailform apply ($BIG new companies)" "$MAILFORM" apply "$WB/companies" --store "$SB" --create-store --auto-approve --no-probe
  AB=$LAST_SECONDS; ABKB=$LAST_KB
  # Each round plans the big workspace, then the small one again (1% changed each).
  paired "mailform plan ($BIG files, 1% changed)" "mailform plan ($N files, 1% changed)" \
    "$MAILFORM" plan "$WBC/companies" --store "$SB" -- "$MAILFORM" plan "$CHANGED/companies" --store "$STORE"
  PLB=$PAIR_A_SECONDS; PLBKB=$PAIR_A_KB; SCALE_RATIO=$PAIR_RATIO
  echo "  bare parse of the $BIG files $(printf '%8.2f' "$PB") s"
  echo "  plan $BIG / bare parse      = $(ratio "$PLB" "$PB")x"
  echo "  plan $BIG / plan $N         = ${SCALE_RATIO}x   (median of the rounds' ratios; issue 14 target <= 10.5x)"
  echo "  apply $BIG / plan $BIG      = $(ratio "$AB" "$PLB")x"
  echo "  peak memory at $BIG: plan $(echo "$PLBKB / 1024" | bc) MB, apply $(echo "$ABKB / 1024" | bc) MB   (issue 14 target <= 400 MB)"
  rm -rf "$WB" "$WBC" "$SB" "$SB-wal" "$SB-shm"
fi
fi

if [ "$WHAT" = all ] || [ "$WHAT" = postgres ]; then
  BIGP=$((N * 10))
  echo
  echo "== postgres: apply $BIGP new companies to SQLite and to PostgreSQL, then plan 1% changed against each (one run each)"
  WP="$OUT/p$BIGP"; WPC="$OUT/p$BIGP-changed"; SP="$OUT/pg-$BIGP.db"
  rm -rf "$WP" "$WPC"; rm -f "$SP" "$SP-wal" "$SP-shm"
  /usr/bin/python3 bench/generate.py "$BIGP" "$WP"
  /usr/bin/python3 bench/generate.py "$BIGP" "$WPC" --changed 1 --seed 7
  PGROOT=$(mktemp -d /tmp/mailform-bench-pg.XXXXXX); chmod 755 "$PGROOT"
  PGPORT=$((20000 + RANDOM % 30000))
  PGINFO=$(bash Tests/Servers/postgres/start.sh "$PGROOT/server" "$PGPORT")
  trap 'bash Tests/Servers/postgres/stop.sh "$PGROOT/server" >/dev/null 2>&1; rm -rf "$PGROOT"' EXIT
  export PGPASSWORD
  PGPASSWORD=$(echo "$PGINFO" | sed 's/.*"password":"\([^"]*\)".*/\1/')
  PGBIN=$(echo "$PGINFO" | sed 's/.*"bin":"\([^"]*\)".*/\1/')
  AS_PG=(); [ "$(id -u)" -eq 0 ] && AS_PG=(runuser -u postgres --)
  "${AS_PG[@]}" "$PGBIN/psql" -h "$PGROOT/server/run" -p "$PGPORT" -U postgres -qc "CREATE DATABASE bench OWNER mailform"
  PGURL="postgresql://mailform@127.0.0.1:$PGPORT/bench"
  export MAILFORM_STORE_KEY
  MAILFORM_STORE_KEY=${MAILFORM_STORE_KEY:-$(head -c 32 /dev/urandom | base64)}
  one() { BENCH_RUNS=1 measure "$@"; }
  one "apply ($BIGP new) to SQLite" "$MAILFORM" apply "$WP/companies" --store "$SP" --create-store --auto-approve --no-probe -q
  SA=$LAST_SECONDS; SAKB=$LAST_KB
  one "apply ($BIGP new) to PostgreSQL" "$MAILFORM" apply "$WP/companies" --store "$PGURL" --create-store --auto-approve --no-probe -q
  GA=$LAST_SECONDS; GAKB=$LAST_KB
  one "plan ($BIGP files, 1% changed) against SQLite" "$MAILFORM" plan "$WPC/companies" --store "$SP"
  SPL=$LAST_SECONDS; SPLKB=$LAST_KB
  one "plan ($BIGP files, 1% changed) against PostgreSQL" "$MAILFORM" plan "$WPC/companies" --store "$PGURL"
  GPL=$LAST_SECONDS; GPLKB=$LAST_KB
  mb() { echo "$1 / 1024" | bc; }
  echo "  apply PostgreSQL / SQLite = $(ratio "$GA" "$SA")x   (issue 24 target <= 2x)"
  echo "  plan  PostgreSQL / SQLite = $(ratio "$GPL" "$SPL")x"
  echo "  peak memory: apply $(mb $SAKB) MB (SQLite), $(mb $GAKB) MB (PostgreSQL); plan $(mb $SPLKB) MB (SQLite), $(mb $GPLKB) MB (PostgreSQL)"
  bash Tests/Servers/postgres/stop.sh "$PGROOT/server" >/dev/null 2>&1; rm -rf "$PGROOT"; trap - EXIT
  rm -rf "$WP" "$WPC" "$SP" "$SP-wal" "$SP-shm"
fi

if [ "$WHAT" = all ] || [ "$WHAT" = fleet ]; then
  FLEET=$((N * 10))
  echo
  echo "== fleet: $FLEET companies, each with secret files and a logo of its own (plan --out and apply FILE: one run each; apply and plan: paired rounds)"
  WF="$OUT/f$FLEET"; WFC="$OUT/f$FLEET-changed"; SF="$OUT/fleet-$FLEET.db"; PF="$OUT/fleet-plan.json"
  rm -rf "$WF" "$WFC"
  /usr/bin/python3 bench/generate.py "$FLEET" "$WF" --own-files
  /usr/bin/python3 bench/generate.py "$FLEET" "$WFC" --own-files --changed 100 --seed 7
  export MAILFORM_STORE_KEY
  MAILFORM_STORE_KEY=${MAILFORM_STORE_KEY:-$(head -c 32 /dev/urandom | base64)}
  # The copy of a store is flushed before a measured apply: its dirty pages
  # are the bench's, not apply's (the commit's fsync would write them).
  fleet_fresh() { rm -f "$SF" "$SF-wal" "$SF-shm" "$PF"; }
  fleet_base() { rm -f "$SF-wal" "$SF-shm"; cp "$SF.base" "$SF"; sync; }
  fleet_fresh
  one() { BENCH_RUNS=1 measure "$@"; }
  one "plan --out ($FLEET new)" "$MAILFORM" plan "$WF/companies" --store "$SF" -q --out "$PF"
  FOKB=$LAST_KB
  one "apply FILE ($FLEET new)" "$MAILFORM" apply "$PF" --store "$SF" --create-store --no-probe -q
  FAFKB=$LAST_KB
  cp "$SF" "$SF.base"; sync
  # apply / plan: BENCH_RUNS rounds of apply then plan of the same files, the
  # median of the rounds' ratios (a slow spell of the machine falls on both).
  FLEET_RUNS=${BENCH_FLEET_RUNS:-5}
  BENCH_RUNS=$FLEET_RUNS BENCH_BEFORE_A=fleet_fresh BENCH_BEFORE_B=fleet_fresh paired "apply ($FLEET new)" "plan ($FLEET new)" \
    "$MAILFORM" apply "$WF/companies" --store "$SF" --create-store --auto-approve --no-probe -- "$MAILFORM" plan "$WF/companies" --store "$SF"
  FA=$PAIR_A_SECONDS; FAKB=$PAIR_A_KB; FP=$PAIR_B_SECONDS; FPKB=$PAIR_B_KB; FNR=$PAIR_RATIO; FNRS=$PAIR_RATIOS
  fleet_base
  one "plan --out ($FLEET changed)" "$MAILFORM" plan "$WFC/companies" --store "$SF" -q --out "$PF"
  FCOKB=$LAST_KB
  one "apply FILE ($FLEET changed)" "$MAILFORM" apply "$PF" --store "$SF" --no-probe -q --force
  FCAFKB=$LAST_KB
  # The plan reads the base store itself (a plan opens it read-only); each apply a fresh copy of it.
  BENCH_RUNS=$FLEET_RUNS BENCH_BEFORE_A=fleet_base paired "apply ($FLEET changed)" "plan ($FLEET changed)" \
    "$MAILFORM" apply "$WFC/companies" --store "$SF" --auto-approve --no-probe --force -- "$MAILFORM" plan "$WFC/companies" --store "$SF.base"
  FCA=$PAIR_A_SECONDS; FCAKB=$PAIR_A_KB; FCP=$PAIR_B_SECONDS; FCPKB=$PAIR_B_KB; FCR=$PAIR_RATIO; FCRS=$PAIR_RATIOS
  mb() { echo "$1 / 1024" | bc; }
  echo "  peak memory, new:     plan $(mb $FPKB) MB, plan --out $(mb $FOKB) MB, apply FILE $(mb $FAFKB) MB, apply $(mb $FAKB) MB   (issue 21 target <= 400 MB each)"
  echo "  peak memory, changed: plan $(mb $FCPKB) MB, plan --out $(mb $FCOKB) MB, apply FILE $(mb $FCAFKB) MB, apply $(mb $FCAKB) MB   (issue 21 target <= 400 MB each)"
  echo "  apply / plan, new     = ${FNR}x   (median of the rounds' ratios: $FNRS; issue 21 target <= 1.2x)"
  echo "  apply / plan, changed = ${FCR}x   (median of the rounds' ratios: $FCRS; issue 21 target <= 1.2x)"
  rm -rf "$WF" "$WFC" "$SF" "$SF.base" "$SF-wal" "$SF-shm" "$SF.base-wal" "$SF.base-shm" "$PF"
fi

if [ "$WHAT" = all ] || [ "$WHAT" = probe ]; then
  MAILFORM="$MAILFORM" bench/probe.sh 1000
fi

if [ "$WHAT" = all ] || [ "$WHAT" = differential ]; then
  echo
  echo "== differential: the DNS stage vs checkdmarc 6.0.4 on 159 domains (docs/differential.md)"
  MAILFORM="$MAILFORM" bash bench/differential/run.sh | tail -5
fi

if [ "$WHAT" = all ] || [ "$WHAT" = dns ]; then
  MAILFORM="$MAILFORM" bench/dns.sh 10000 2000
fi
