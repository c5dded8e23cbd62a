# Shared helpers for the benchmark scripts: timing with peak memory.
#
# Every measured command runs BENCH_RUNS times (default 3), mailform and its
# peers alike, and the median of those runs is reported (wall time measured by
# bash to the microsecond, peak memory by GNU time; the command's stdout is
# discarded). A measured run that fails (an exit status other than the expected
# one, killed, not found) stops the whole bench with exit 1 and a message naming
# the command, its exit status and the tail of its stderr: a timing of a failed
# run is no measurement. So call these functions directly, never inside $(...)
# or a pipeline, where `exit` would only leave a subshell.
#
#   measure NAME CMD...          BENCH_RUNS runs; prints the median; sets LAST_SECONDS, LAST_KB
#   median_of K NAME CMD...      the same with K runs
#   sample K CMD...              K runs, no output; sets LAST_SECONDS, LAST_KB (medians)
#   checked CMD...               one unmeasured run that must succeed (its stdout passes through)
#   paired NAME_A NAME_B CMD_A... -- CMD_B...
#                                BENCH_RUNS rounds of A then B; prints both medians; sets
#                                PAIR_A_SECONDS, PAIR_A_KB, PAIR_B_SECONDS, PAIR_B_KB, PAIR_RATIO and PAIR_RATIOS (each round's)
#                                (the median of each round's A/B: a slow spell of a shared
#                                machine falls on both commands of a round, not on one command's
#                                three runs); BENCH_BEFORE_A=FUNC runs before each A,
#                                BENCH_BEFORE_B=FUNC before each B
#
# BENCH_BEFORE_EACH=FUNC before measure/median_of/sample runs FUNC (unmeasured,
# checked) before every run, for commands that change state (e.g. a fresh store
# for each `apply`):  BENCH_BEFORE_EACH=fresh_store measure "apply" mailform apply ...
# BENCH_EXPECT_STATUS=N before them: the exit status a successful run has (default
# 0), for a command measured on input it must reject: BENCH_EXPECT_STATUS=1 sample ...

if [ -z "${EPOCHREALTIME:-}" ]; then echo "bench: needs bash 5 (EPOCHREALTIME)" >&2; exit 1; fi
BENCH_RUNS=${BENCH_RUNS:-3}
case $BENCH_RUNS in
  '' | *[!0-9]* | 0) echo "bench: BENCH_RUNS must be a positive integer, not '$BENCH_RUNS'" >&2; exit 1 ;;
esac

# bench_show_command CMD... : the command, shell-quoted, its first 8 words only.
bench_show_command() {
  if [ $# -le 8 ]; then printf '%q ' "$@"; else printf '%q ' "${@:1:8}"; printf '... (%d more arguments)' $(($# - 8)); fi
}

# bench_fail STATUS STDERR_FILE CMD... : the loud failure.
# BENCH_FAIL_NOTE, when set, is added to the first line (which run, a signal).
bench_fail() {
  local status=$1 err=$2; shift 2
  {
    echo
    echo "bench: FAILED (exit status $status${BENCH_FAIL_NOTE:+; $BENCH_FAIL_NOTE}): $(bench_show_command "$@")"
    if [ -s "$err" ]; then
      echo "--- last 20 lines of its stderr ---"
      tail -n 20 "$err"
    else
      echo "--- (nothing on stderr; stdout was discarded: run the command to see it) ---"
    fi
  } >&2
  rm -f "$err"
  exit 1
}

# bench_run_once CMD... : one checked run under /usr/bin/time; sets RUN_SECONDS, RUN_KB.
# BENCH_RUN_LABEL ("run 2 of 3") names the run in a failure.
bench_run_once() {
  local timing err status start end expected=${BENCH_EXPECT_STATUS:-0}
  timing=$(mktemp "${TMPDIR:-/tmp}/mailform-bench-time.XXXXXX")
  err=$(mktemp "${TMPDIR:-/tmp}/mailform-bench-err.XXXXXX")
  status=0
  start=$EPOCHREALTIME
  # -o: time's own line goes to its file, so stderr holds only the command's.
  /usr/bin/time -o "$timing" -f "%M" "$@" >/dev/null 2>"$err" || status=$?
  end=$EPOCHREALTIME
  if [ "$status" -ne "$expected" ]; then
    # time's own words ("Command terminated by signal 9") precede its last line.
    local note=${BENCH_RUN_LABEL:-} said
    [ "$expected" -ne 0 ] && note="${note:+$note; }expected $expected"
    said=$(grep -v -e '^[0-9]*$' -e '^Command exited with non-zero status' "$timing" | head -n 1 || true)
    [ -n "$said" ] && note="${note:+$note; }$said"
    rm -f "$timing"
    BENCH_FAIL_NOTE=$note bench_fail "$status" "$err" "$@"
  fi
  RUN_KB=$(tail -n 1 "$timing")
  # EPOCHREALTIME uses the locale's decimal separator.
  RUN_SECONDS=$(awk -v s="${start/,/.}" -v e="${end/,/.}" 'BEGIN { printf "%.6f", e - s }')
  rm -f "$timing" "$err"
  case "$RUN_KB" in
    '' | *[!0-9]*) echo "bench: could not read the peak memory of: $(bench_show_command "$@")" >&2; exit 1 ;;
  esac
}

# bench_median FORMAT N... : the median of the numbers (the mean of the middle
# two for an even count), printed with the printf FORMAT.
bench_median() {
  local format=$1; shift
  printf '%s\n' "$@" | sort -g | awk -v f="$format\n" '{ v[NR] = $1 } END {
    if (NR == 0) exit 1
    if (NR % 2) printf f, v[(NR + 1) / 2]; else printf f, (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# sample K CMD... : K checked runs; LAST_SECONDS and LAST_KB are their medians.
sample() {
  local k=$1; shift
  local seconds=() kbs=() i
  for ((i = 0; i < k; i++)); do
    if [ -n "${BENCH_BEFORE_EACH:-}" ]; then
      "$BENCH_BEFORE_EACH" || { echo "bench: FAILED: preparation '$BENCH_BEFORE_EACH' before $(bench_show_command "$@")" >&2; exit 1; }
    fi
    BENCH_RUN_LABEL="run $((i + 1)) of $k" bench_run_once "$@"
    seconds+=("$RUN_SECONDS")
    kbs+=("$RUN_KB")
  done
  LAST_SECONDS=$(bench_median %.3f "${seconds[@]}")
  LAST_KB=$(bench_median %.0f "${kbs[@]}")
}

# median_of K NAME CMD... : K runs, prints the median time and memory.
median_of() {
  local k=$1 name=$2; shift 2
  sample "$k" "$@"
  printf "  %-44s %8.2f s  %8.1f MB   (median of %d)\n" "$name" "$LAST_SECONDS" "$(echo "$LAST_KB / 1024" | bc -l)" "$k"
}

# measure NAME CMD... : BENCH_RUNS runs, prints the median.
measure() {
  median_of "$BENCH_RUNS" "$@"
}

# paired NAME_A NAME_B CMD_A... -- CMD_B... : see the header.
paired() {
  local name_a=$1 name_b=$2; shift 2
  local a=() b=() seen=0 arg
  for arg in "$@"; do
    if [ "$seen" = 0 ] && [ "$arg" = "--" ]; then seen=1; continue; fi
    if [ "$seen" = 0 ]; then a+=("$arg"); else b+=("$arg"); fi
  done
  if [ "$seen" = 0 ] || [ ${#a[@]} -eq 0 ] || [ ${#b[@]} -eq 0 ]; then echo "bench: paired needs CMD_A... -- CMD_B..." >&2; exit 1; fi
  local sa=() ka=() sb=() kb=() ratios=() i
  for ((i = 0; i < BENCH_RUNS; i++)); do
    if [ -n "${BENCH_BEFORE_A:-}" ]; then
      "$BENCH_BEFORE_A" || { echo "bench: FAILED: preparation '$BENCH_BEFORE_A' before $(bench_show_command "${a[@]}")" >&2; exit 1; }
    fi
    BENCH_RUN_LABEL="round $((i + 1)) of $BENCH_RUNS" bench_run_once "${a[@]}"
    sa+=("$RUN_SECONDS"); ka+=("$RUN_KB")
    local first=$RUN_SECONDS
    if [ -n "${BENCH_BEFORE_B:-}" ]; then
      "$BENCH_BEFORE_B" || { echo "bench: FAILED: preparation '$BENCH_BEFORE_B' before $(bench_show_command "${b[@]}")" >&2; exit 1; }
    fi
    BENCH_RUN_LABEL="round $((i + 1)) of $BENCH_RUNS" bench_run_once "${b[@]}"
    sb+=("$RUN_SECONDS"); kb+=("$RUN_KB")
    ratios+=("$(awk -v x="$first" -v y="$RUN_SECONDS" 'BEGIN { printf "%.6f", x / y }')")
  done
  PAIR_A_SECONDS=$(bench_median %.3f "${sa[@]}"); PAIR_A_KB=$(bench_median %.0f "${ka[@]}")
  PAIR_B_SECONDS=$(bench_median %.3f "${sb[@]}"); PAIR_B_KB=$(bench_median %.0f "${kb[@]}")
  PAIR_RATIO=$(bench_median %.2f "${ratios[@]}")
  PAIR_RATIOS=$(printf "%.2f " "${ratios[@]}"); PAIR_RATIOS=${PAIR_RATIOS% }
  printf "  %-44s %8.2f s  %8.1f MB   (median of %d, paired)\n" "$name_a" "$PAIR_A_SECONDS" "$(echo "$PAIR_A_KB / 1024" | bc -l)" "$BENCH_RUNS"
  printf "  %-44s %8.2f s  %8.1f MB   (median of %d, paired)\n" "$name_b" "$PAIR_B_SECONDS" "$(echo "$PAIR_B_KB / 1024" | bc -l)" "$BENCH_RUNS"
}

# checked CMD... : runs CMD once, unmeasured; its stdout passes through; exits loudly on failure.
checked() {
  local err status=0
  err=$(mktemp "${TMPDIR:-/tmp}/mailform-bench-err.XXXXXX")
  "$@" 2>"$err" || status=$?
  if [ "$status" -ne 0 ]; then bench_fail "$status" "$err" "$@"; fi
  rm -f "$err"
}

ratio() { echo "scale=2; $1 / $2" | bc -l; }
