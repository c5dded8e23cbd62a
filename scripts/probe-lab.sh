#!/usr/bin/env bash
# Starts the probe lab's servers on 127.0.0.1 (real aiosmtpd SMTP servers and a
# Mailgun-like API, see Tests/Servers) and runs 'mailform probe' on
# examples/probe-lab: per company, what works and exactly what to fix.
#   scripts/probe-lab.sh [mailform probe options...]
set -uo pipefail
cd "$(dirname "$0")/.."
mailform=${MAILFORM:-.build/debug/mailform}
lab=examples/probe-lab/.lab
rm -rf "$lab"; mkdir -p "$lab"
fifo="$lab/stdin"; mkfifo "$fifo"
/usr/bin/python3 Tests/Servers/smtp_server.py "$lab/smtp" 25870 <"$fifo" >"$lab/smtp.json" 2>"$lab/smtp.log" &
/usr/bin/python3 Tests/Servers/mailgun_stub.py "$lab/mailgun" 25881 <"$fifo" >"$lab/mailgun.json" 2>"$lab/mailgun.log" &
exec 3>"$fifo"   # the servers run until this closes
trap 'exec 3>&-; wait' EXIT
for _ in $(seq 50); do [ -s "$lab/smtp.json" ] && [ -s "$lab/mailgun.json" ] && break; sleep 0.1; done
cp "$lab/smtp/ca.crt" "$lab/ca.crt"
export MAILFORM_MAILGUN_US_URL=http://127.0.0.1:25881 MAILFORM_MAILGUN_EU_URL=http://127.0.0.1:25882
# Run by its operator on their own machine: credentials go to every endpoint
# (a pull-request job never passes --send-credentials; see docs/security.md).
echo "\$ mailform probe --send-credentials examples/probe-lab $*"
$mailform probe --send-credentials examples/probe-lab "$@"
status=$?
if [ -s "$lab/smtp/forbidden.log" ]; then echo "a server received MAIL/RCPT/DATA:"; cat "$lab/smtp/forbidden.log"; exit 1; fi
exit $status
