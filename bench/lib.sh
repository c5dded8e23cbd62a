# Shared helpers for the benchmark scripts: timing with peak memory.

# measure NAME CMD... : runs CMD, sets LAST_SECONDS and LAST_KB, prints a line.
measure() {
  local name=$1; shift
  /usr/bin/time -f "__TIME__ %e %M" "$@" >/dev/null 2>/tmp/mailform-bench-stderr || true
  read -r _ LAST_SECONDS LAST_KB <<<"$(grep '__TIME__' /tmp/mailform-bench-stderr | tail -1)"
  printf "  %-44s %8.2f s  %8.1f MB\n" "$name" "$LAST_SECONDS" "$(echo "$LAST_KB / 1024" | bc -l)"
}

# best_of N NAME CMD... : the fastest of N runs (memory of that run).
best_of() {
  local n=$1 name=$2; shift 2
  local best="" best_kb=""
  for _ in $(seq "$n"); do
    /usr/bin/time -f "__TIME__ %e %M" "$@" >/dev/null 2>/tmp/mailform-bench-stderr || true
    read -r _ s kb <<<"$(grep '__TIME__' /tmp/mailform-bench-stderr | tail -1)"
    if [ -z "$best" ] || [ "$(echo "$s < $best" | bc -l)" = 1 ]; then best=$s; best_kb=$kb; fi
  done
  LAST_SECONDS=$best; LAST_KB=$best_kb
  printf "  %-44s %8.2f s  %8.1f MB   (best of %d)\n" "$name" "$best" "$(echo "$best_kb / 1024" | bc -l)" "$n"
}

ratio() { echo "scale=2; $1 / $2" | bc -l; }
