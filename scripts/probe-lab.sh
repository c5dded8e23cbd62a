#!/usr/bin/env bash
# Starts the probe lab's servers on 127.0.0.1 (real aiosmtpd SMTP servers, fakes
# of the providers' APIs (Mailgun, Mailchimp Transactional, ...), OAuth2 token endpoints and XOAUTH2 servers, see Tests/Servers) and runs 'mailform probe' on
# examples/probe-lab: per company, what works and exactly what to fix.
#   scripts/probe-lab.sh [mailform probe options...]
set -uo pipefail
cd "$(dirname "$0")/.."
mailform=${MAILFORM:-.build/debug/mailform}
lab=examples/probe-lab/.lab
rm -rf "$lab"; mkdir -p "$lab"
fifo="$lab/stdin"; mkfifo "$fifo"
/usr/bin/python3 Tests/Servers/smtp_server.py "$lab/smtp" 25870 <"$fifo" >"$lab/smtp.json" 2>"$lab/smtp.log" &
# Each HTTP-API provider's fake (Tests/Servers/WORD_stub.py), from 25910 on, three ports each.
port=25910
for stub in Tests/Servers/*_stub.py; do
  name=$(basename "$stub" _stub.py)
  /usr/bin/python3 "$stub" "$lab/$name" $port <"$fifo" >"$lab/$name.json" 2>"$lab/$name.log" &
  port=$((port + 3))
done
# OAuth2: Entra ID- and Google-like token endpoints (25900) and XOAUTH2 servers (25901-25905).
/usr/bin/python3 Tests/Servers/oauth_lab.py "$lab/oauth" 25900 <"$fifo" >"$lab/oauth.json" 2>"$lab/oauth.log" &
exec 3>"$fifo"   # the servers run until this closes
trap 'exec 3>&- 4>&-; wait' EXIT
ready() { [ -s "$lab/smtp.json" ] && [ -s "$lab/oauth.json" ] || return 1; for stub in Tests/Servers/*_stub.py; do [ -s "$lab/$(basename "$stub" _stub.py).json" ] || return 1; done; }
for _ in $(seq 100); do ready && break; sleep 0.1; done
# One CA file for both labs' certificates; the service account's key is made fresh by the lab.
cat "$lab/smtp/ca.crt" "$lab/oauth/ca.crt" > "$lab/ca.crt"
cp "$lab/oauth/google-sa.json" examples/probe-lab/secrets/lab-google-sa.json
# Each fake says which variables point mailform at it (MAILFORM_MAILGUN_US_URL, ...).
for stub in Tests/Servers/*_stub.py; do
  eval "$(/usr/bin/python3 -c 'import json, shlex, sys
for k, v in json.load(open(sys.argv[1]))["env"].items(): print("export %s=%s" % (k, shlex.quote(v)))' "$lab/$(basename "$stub" _stub.py).json")"
done
export MAILFORM_OAUTH_MICROSOFT_URL=http://127.0.0.1:25900/ms MAILFORM_OAUTH_GOOGLE_URL=http://127.0.0.1:25900/google
# Run by its operator on their own machine: credentials go to every endpoint
# (a pull-request job never passes --send-credentials; see docs/security.md).
# The SMTP lab's domains are not in any DNS: its DNS stage is the DNS lab's job.
echo "\$ mailform probe --send-credentials --no-dns examples/probe-lab $*"
$mailform probe --send-credentials --no-dns examples/probe-lab "$@"
status=$?
for log in "$lab/smtp/forbidden.log" "$lab/oauth/forbidden.log"; do
  if [ -s "$log" ]; then echo "a server received MAIL/RCPT/DATA:"; cat "$log"; exit 1; fi
done

# The DNS lab: a real DNS server (Knot) with a zone per case, and the probe's
# DNS stage against it (SPF, DMARC, DKIM, MX, MTA-STS and TLS-RPT; Mailgun's
# own record checks). The MTA-STS policies come from an HTTPS server on
# 127.0.0.1:25895 (MAILFORM_MTA_STS_PORT), its CA passed as --ca-file.
dns=$(mktemp -d /tmp/mailform-dns-lab.XXXXXX); chmod 755 "$dns"
sts_fifo="$lab/sts-stdin"; mkfifo "$sts_fifo"
/usr/bin/python3 Tests/Servers/mta_sts_lab.py "$lab/mta-sts" 25895 <"$sts_fifo" >"$lab/mta-sts.json" 2>"$lab/mta-sts.log" &
exec 4>"$sts_fifo"
for _ in $(seq 100); do [ -s "$lab/mta-sts.json" ] && break; sleep 0.1; done
if Tests/Servers/dns/start.sh "$dns/root" 25890 >/dev/null; then
  echo
  echo "\$ MAILFORM_MTA_STS_PORT=25895 mailform probe --send-credentials --dns-server 127.0.0.1:25891 --ca-file $lab/mta-sts/ca.crt examples/dns-lab"
  MAILFORM_MTA_STS_PORT=25895 $mailform probe --send-credentials --dns-server 127.0.0.1:25891 --ca-file "$lab/mta-sts/ca.crt" examples/dns-lab "$@"
  dns_status=$?
  exec 4>&-
  Tests/Servers/dns/stop.sh "$dns/root" >/dev/null 2>&1
  rm -rf "$dns"
  [ $dns_status -eq 3 ] || { echo "expected exit 3 from the DNS lab (its domains are broken on purpose)"; exit 1; }
else
  echo "the DNS lab's server did not start (install knot and python3-dnslib)"; exit 1
fi
exit $status
