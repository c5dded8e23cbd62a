#!/usr/bin/env bash
# Start a throw-away Postfix + Dovecot (SASL only) on 127.0.0.1 for tests.
#
#   start.sh ROOT BASEPORT
#
# ROOT      folder for everything of this instance (created if missing):
#           certificates, Postfix config/queue/data/log, Dovecot config/run.
# BASEPORT  first of 10 consecutive ports on 127.0.0.1 (BASEPORT..BASEPORT+9).
#
# Prints one JSON object on stdout (everything else goes to stderr):
#   {"root":..., "host":"127.0.0.1", "ca_file":..., "log":..., "dovecot_log":...,
#    "ports":{"submission":N,...}, "pids":{"postfix_master":N,"dovecot":N},
#    "user":"mailer@example.test", "password":"s3cret-pw",
#    "user2":"second@example.test", "password2":"other-pw-2",
#    "startup_seconds":F}
# Stop with stop.sh ROOT. Never touches /etc/postfix, /var/spool/postfix or
# the system Dovecot. Must run as root (Postfix's master binds and drops
# privileges to the "postfix" user, Dovecot's auth to its own users).
set -euo pipefail
# Keep none of the test process's other files open: a daemon or watcher
# started below would hold them as long as it lives, and a test reading a
# pipe to its end (another child's output) would wait for it forever.
for fd in /proc/$$/fd/*; do
  n=${fd##*/}
  # (Not bash's own, from 250 up: 255 is the script it reads.)
  if [ "$n" -gt 2 ] 2>/dev/null && [ "$n" -lt 250 ]; then eval "exec $n>&-" 2>/dev/null || true; fi
done

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PROG="mta/start.sh"
die() { echo "$PROG: error: $*" >&2; exit 1; }
note() { echo "$PROG: $*" >&2; }

[ $# -eq 2 ] || die "usage: start.sh ROOT BASEPORT"
ROOT_ARG=$1
BASE=$2

T0=$(date +%s.%N)

# --- prerequisites ---------------------------------------------------------
POSTFIX=/usr/sbin/postfix
POSTCONF=/usr/sbin/postconf
MASTER=/usr/lib/postfix/sbin/master
DOVECOT=/usr/sbin/dovecot
for b in "$POSTFIX" "$POSTCONF" "$MASTER"; do
  [ -x "$b" ] || die "Postfix is not installed ($b missing): apt-get install -y postfix"
done
[ -x "$DOVECOT" ] || die "Dovecot is not installed ($DOVECOT missing): apt-get install -y dovecot-core"
command -v openssl >/dev/null || die "openssl is not installed: apt-get install -y openssl"
[ "$(id -u)" -eq 0 ] || die "must run as root (Postfix master and Dovecot drop privileges themselves)"
getent passwd postfix >/dev/null || die "user 'postfix' missing (broken postfix package?)"
getent group postdrop >/dev/null || die "group 'postdrop' missing (broken postfix package?)"
getent passwd dovecot >/dev/null || die "user 'dovecot' missing (broken dovecot-core package?)"
getent passwd dovenull >/dev/null || die "user 'dovenull' missing (broken dovecot-core package?)"

[[ $BASE =~ ^[0-9]+$ ]] || die "BASEPORT must be a number, got '$BASE'"
NAMES=(submission smtps relay tls13only expired wronghost selfsigned authnotls noauth tls12max)
LAST=$((BASE + ${#NAMES[@]} - 1))
{ [ "$BASE" -ge 1024 ] && [ "$LAST" -le 65535 ]; } || die "BASEPORT must be in 1024..$((65535 - ${#NAMES[@]} + 1))"

mkdir -p "$ROOT_ARG"
ROOT=$(cd "$ROOT_ARG" && pwd -P)
# Postfix parameter values and sed replacements must not need quoting.
[[ $ROOT =~ ^/[A-Za-z0-9_./+-]+$ ]] || die "ROOT '$ROOT' must be an absolute path of [A-Za-z0-9_./+-] only"
[ "$ROOT" != / ] || die "ROOT must not be /"

PF=$ROOT/postfix
DC=$ROOT/dovecot
CERTS=$ROOT/certs
CADIR=$ROOT/ca
CONF=$PF/conf
SPOOL=$PF/spool
LOG=$PF/maillog
DLOG=$DC/dovecot.log

# Refuse to start twice in one ROOT.
if [ -s "$SPOOL/pid/master.pid" ]; then
  p=$(awk '{print $1; exit}' "$SPOOL/pid/master.pid")
  if [ -n "$p" ] && kill -0 "$p" 2>/dev/null; then
    die "a Postfix instance is already running in $ROOT (master PID $p); run stop.sh $ROOT first"
  fi
fi
if [ -s "$DC/run/master.pid" ]; then
  p=$(cat "$DC/run/master.pid")
  if [ -n "$p" ] && kill -0 "$p" 2>/dev/null; then
    die "a Dovecot instance is already running in $ROOT (PID $p); run stop.sh $ROOT first"
  fi
fi

# Ports must be free (a listener there would make master exit at once).
declare -A PORT
i=0
for n in "${NAMES[@]}"; do
  PORT[$n]=$((BASE + i)); i=$((i + 1))
  if (exec 3<>"/dev/tcp/127.0.0.1/${PORT[$n]}") 2>/dev/null; then
    die "port ${PORT[$n]} ($n) on 127.0.0.1 is already in use; choose another BASEPORT"
  fi
done

# Fresh state (only our own sub-folders; stale runs are wiped).
rm -rf "$PF" "$DC" "$CERTS" "$CADIR"
umask 022
mkdir -p "$CONF" "$SPOOL" "$DC/run" "$DC/state" "$CERTS" "$CADIR/issued"
# Postfix wants its queue directory root-owned and not group/world writable.
chmod 755 "$PF" "$CONF" "$SPOOL"
# Postfix's master opens $data_directory/master.lock as the "postfix" user,
# and its daemons run as "postfix": ROOT and every folder above it must be
# searchable by that user (mktemp -d makes a 0700 folder: use a folder inside
# one, e.g. mktemp -d; chmod 755 it, or a folder made with umask 022).
chmod 755 "$ROOT"
if command -v runuser >/dev/null && ! runuser -u postfix -- test -x "$ROOT"; then
  die "user 'postfix' cannot search $ROOT: a parent folder is not searchable by others (chmod o+x it, or use a ROOT under a 755 folder such as /tmp)"
fi

# --- certificates ----------------------------------------------------------
sed -e "s|@CADIR@|$CADIR|g" "$HERE/openssl-ca.cnf.in" > "$CADIR/ca.cnf"
: > "$CADIR/index.txt"
echo 1000 > "$CADIR/serial"
export MF_SAN="DNS:localhost,IP:127.0.0.1"
ossl() { openssl "$@" 2>>"$CADIR/openssl.log" || { tail -n 20 "$CADIR/openssl.log" >&2; die "openssl $1 failed"; }; }
ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$CADIR/ca.key"
ossl req -config "$CADIR/ca.cnf" -new -x509 -key "$CADIR/ca.key" -days 3650 \
  -extensions v3_ca -subj "/CN=mailform test CA" -out "$CADIR/ca.crt"
ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$CERTS/server.key"
chmod 600 "$CERTS/server.key"
ossl req -config "$CADIR/ca.cnf" -new -key "$CERTS/server.key" -subj "/CN=localhost" -out "$CADIR/localhost.csr"
ossl req -config "$CADIR/ca.cnf" -new -key "$CERTS/server.key" -subj "/CN=mail.other.test" -out "$CADIR/other.csr"
YESTERDAY=$(date -u -d '-1 day' +%Y%m%d%H%M%SZ)
NEXTYEAR=$(date -u -d '+1 year' +%Y%m%d%H%M%SZ)
# good: localhost + 127.0.0.1, valid from yesterday for one year
ossl ca -config "$CADIR/ca.cnf" -batch -notext -extensions server_ext \
  -startdate "$YESTERDAY" -enddate "$NEXTYEAR" -in "$CADIR/localhost.csr" -out "$CERTS/good.crt"
# expired: same names, valid 2020-01-01 .. 2021-01-01
ossl ca -config "$CADIR/ca.cnf" -batch -notext -extensions server_ext \
  -startdate 20200101000000Z -enddate 20210101000000Z -in "$CADIR/localhost.csr" -out "$CERTS/expired.crt"
# wronghost: valid, from the CA, but only for mail.other.test
MF_SAN="DNS:mail.other.test" ossl ca -config "$CADIR/ca.cnf" -batch -notext -extensions server_ext \
  -startdate "$YESTERDAY" -enddate "$NEXTYEAR" -in "$CADIR/other.csr" -out "$CERTS/wronghost.crt"
# selfsigned: right names, not from the CA
ossl req -config "$CADIR/ca.cnf" -new -x509 -key "$CERTS/server.key" -days 365 \
  -extensions selfsigned_ext -subj "/CN=localhost" -out "$CERTS/selfsigned.crt"
cp "$CADIR/ca.crt" "$CERTS/ca.crt"
CA_FILE=$CERTS/ca.crt

# --- configuration from the templates -----------------------------------------
fill() {
  sed -e "s|@ROOT@|$ROOT|g" \
      -e "s|@INSTANCE@|$BASE|g" \
      -e "s|@PORT_SUBMISSION@|${PORT[submission]}|g" \
      -e "s|@PORT_SMTPS@|${PORT[smtps]}|g" \
      -e "s|@PORT_RELAY@|${PORT[relay]}|g" \
      -e "s|@PORT_TLS13ONLY@|${PORT[tls13only]}|g" \
      -e "s|@PORT_EXPIRED@|${PORT[expired]}|g" \
      -e "s|@PORT_WRONGHOST@|${PORT[wronghost]}|g" \
      -e "s|@PORT_SELFSIGNED@|${PORT[selfsigned]}|g" \
      -e "s|@PORT_AUTHNOTLS@|${PORT[authnotls]}|g" \
      -e "s|@PORT_NOAUTH@|${PORT[noauth]}|g" \
      -e "s|@PORT_TLS12MAX@|${PORT[tls12max]}|g" \
      "$1" > "$2"
  if grep -n '@[A-Z_]*@' "$2" >&2; then die "unfilled placeholder in $2"; fi
}
fill "$HERE/main.cf.in" "$CONF/main.cf"
fill "$HERE/master.cf.in" "$CONF/master.cf"
fill "$HERE/dovecot.conf.in" "$DC/dovecot.conf"
# Postfix reads main.cf only once it is at least 2 s old (dict_load_file
# guards against half-written files, sleeping 0.3 s per try): back-date it.
touch -d '-1 minute' "$CONF/main.cf" "$CONF/master.cf"

USER1=mailer@example.test PASS1=s3cret-pw
USER2=second@example.test PASS2=other-pw-2
printf '%s:%s\n' "$USER1" "$PASS1" "$USER2" "$PASS2" > "$DC/users"
chmod 600 "$DC/users"

# --- Postfix queue layout (root-owned queue dir, postfix-owned sub-dirs) --------
# `postfix check` runs post-install create-missing for this instance only
# (MAIL_CONFIG=$CONF); it creates $queue_directory/* and $data_directory.
export MAIL_CONFIG=$CONF
"$POSTFIX" -c "$CONF" check 2>"$PF/check.log" || { cat "$PF/check.log" >&2; die "postfix check failed"; }
[ -d "$SPOOL/private" ] || die "postfix check did not create $SPOOL/private"
# The checks just ran: let `postfix start` skip repeating them (postfix-script
# honours and removes $queue_directory/quick-start).
touch "$SPOOL/quick-start"

# --- Dovecot (auth listener inside $SPOOL/private) --------------------------
"$DOVECOT" -c "$DC/dovecot.conf" 2>"$DC/start.err" || {
  cat "$DC/start.err" >&2; tail -n 20 "$DLOG" >&2 2>/dev/null || true; die "dovecot failed to start"; }

# --- Postfix --------------------------------------------------------------
if ! "$POSTFIX" -c "$CONF" start 2>"$PF/start.err"; then
  cat "$PF/start.err" >&2
  tail -n 30 "$LOG" >&2 2>/dev/null || true
  "$HERE/stop.sh" "$ROOT" >&2 || true
  die "postfix failed to start (see above; config in $CONF)"
fi

# --- wait until ready (bounded) -------------------------------------------------
# A port is ready when a LISTEN socket for 127.0.0.1:PORT is in /proc/net/tcp
# (checked without connecting, so the log gets no "lost connection after
# CONNECT" noise). Dovecot is ready when its auth socket exists; Postfix's
# log when postlogd has written the file.
listening() { # port -> 0 if 127.0.0.1:port (or *:port) is in LISTEN state
  local hex; hex=$(printf '%04X' "$1")
  awk -v h=":$hex" 'NR > 1 && $4 == "0A" && ($2 == "0100007F" h || $2 == "00000000" h) { f = 1 } END { exit !f }' /proc/net/tcp
}
DEADLINE=$(( $(date +%s) + 20 ))
while :; do
  missing=()
  for n in "${NAMES[@]}"; do listening "${PORT[$n]}" || missing+=("$n:${PORT[$n]}"); done
  [ -S "$SPOOL/private/auth" ] || missing+=("dovecot-auth-socket")
  [ -s "$LOG" ] || missing+=("maillog")
  [ -s "$SPOOL/pid/master.pid" ] || missing+=("postfix-master-pid")
  [ -s "$DC/run/master.pid" ] || missing+=("dovecot-pid")
  [ ${#missing[@]} -eq 0 ] && break
  if [ "$(date +%s)" -ge "$DEADLINE" ]; then
    echo "--- $LOG (tail) ---" >&2; tail -n 40 "$LOG" >&2 2>/dev/null || true
    echo "--- $DLOG (tail) ---" >&2; tail -n 20 "$DLOG" >&2 2>/dev/null || true
    "$HERE/stop.sh" "$ROOT" >&2 || true
    die "not ready after 20 s, still waiting for: ${missing[*]}"
  fi
  sleep 0.05
done

MASTER_PID=$(awk '{print $1; exit}' "$SPOOL/pid/master.pid")
DOVECOT_PID=$(cat "$DC/run/master.pid")
T1=$(date +%s.%N)
ELAPSED=$(awk -v a="$T0" -v b="$T1" 'BEGIN { printf "%.2f", b - a }')

ports_json=""
for n in "${NAMES[@]}"; do
  ports_json+="${ports_json:+,}\"$n\":${PORT[$n]}"
done
printf '{"root":"%s","host":"127.0.0.1","ca_file":"%s","log":"%s","dovecot_log":"%s","ports":{%s},"pids":{"postfix_master":%s,"dovecot":%s},"user":"%s","password":"%s","user2":"%s","password2":"%s","startup_seconds":%s}\n' \
  "$ROOT" "$CA_FILE" "$LOG" "$DLOG" "$ports_json" "$MASTER_PID" "$DOVECOT_PID" \
  "$USER1" "$PASS1" "$USER2" "$PASS2" "$ELAPSED" | tee "$ROOT/instance.json"
