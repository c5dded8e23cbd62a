#!/usr/bin/env bash
# Stop the Postfix + Dovecot test instance that start.sh started in ROOT.
#
#   stop.sh ROOT
#
# Kills by PID only: the Postfix master and the Dovecot master of this ROOT
# (checked against /proc before signalling), then every process left in
# their sessions (both masters are session leaders, their children inherit
# the session). The system instance (other sessions) is never touched.
# Exits 0 when nothing of ROOT is left running (also when nothing was).
set -uo pipefail

PROG="mta/stop.sh"
die() { echo "$PROG: error: $*" >&2; exit 1; }
[ $# -eq 1 ] || die "usage: stop.sh ROOT"
[ -d "$1" ] || { echo "$PROG: $1 does not exist; nothing to stop" >&2; exit 0; }
ROOT=$(cd "$1" && pwd -P)

PF_PIDFILE=$ROOT/postfix/spool/pid/master.pid
DC_PIDFILE=$ROOT/dovecot/run/master.pid
PF_CONF=$ROOT/postfix/conf
DC_CONF=$ROOT/dovecot/dovecot.conf

# Is PID the Postfix master of this ROOT?
ours_postfix() {
  local pid=$1
  [ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = /usr/lib/postfix/sbin/master ] || return 1
  tr '\0' '\n' < "/proc/$pid/environ" 2>/dev/null | grep -qx "MAIL_CONFIG=$PF_CONF"
}
# Is PID the Dovecot master of this ROOT?
ours_dovecot() {
  local pid=$1
  [ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = /usr/sbin/dovecot ] || return 1
  tr '\0' '\n' < "/proc/$pid/cmdline" 2>/dev/null | grep -qx "$DC_CONF"
}
# Live PIDs whose session id is one of the arguments (field 6 of
# /proc/PID/stat; the command name in parentheses may contain blanks, so cut
# after the last ") "). Zombies (state Z/X) are dead already: once a master
# has exited its children are reparented to PID 1, which may reap them late.
# cat skips processes that vanish meanwhile.
session_members() {
  cat /proc/[0-9]*/stat 2>/dev/null | awk -v sids=" $* " '
    { pid = $1; sub(/^.*\) /, ""); if ($1 != "Z" && $1 != "X" && index(sids, " " $4 " ")) print pid }'
}

SIDS=()
pid_of() { [ -s "$1" ] && awk '{print $1; exit}' "$1"; }

p=$(pid_of "$PF_PIDFILE" || true)
if [ -n "${p:-}" ] && ours_postfix "$p"; then
  echo "$PROG: stopping Postfix master $p" >&2
  SIDS+=("$p"); kill -TERM "$p" 2>/dev/null
fi
p=$(pid_of "$DC_PIDFILE" || true)
if [ -n "${p:-}" ] && ours_dovecot "$p"; then
  echo "$PROG: stopping Dovecot $p" >&2
  SIDS+=("$p"); kill -TERM "$p" 2>/dev/null
fi
[ ${#SIDS[@]} -eq 0 ] && { echo "$PROG: nothing running in $ROOT" >&2; exit 0; }

left() { session_members "${SIDS[@]}"; }

# Up to 5 s for a clean exit, then SIGKILL whatever is left in the sessions.
for _ in $(seq 1 100); do
  [ -z "$(left)" ] && break
  sleep 0.05
done
rest=$(left)
if [ -n "$rest" ]; then
  echo "$PROG: killing leftovers: $(echo $rest)" >&2
  kill -KILL $rest 2>/dev/null
  for _ in $(seq 1 40); do [ -z "$(left)" ] && break; sleep 0.05; done
fi
rest=$(left)
[ -z "$rest" ] || die "processes still running: $(echo $rest)"
rm -f "$PF_PIDFILE" "$DC_PIDFILE"
echo "$PROG: stopped" >&2
