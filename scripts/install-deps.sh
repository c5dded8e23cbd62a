#!/usr/bin/env bash
# Installs the Debian packages mailform needs, only those that are missing.
#   scripts/install-deps.sh          build and run (libyaml, libcurl, OpenSSL, SQLite, libpq)
#   scripts/install-deps.sh --test   also the test servers (aiosmtpd)
set -euo pipefail

packages=(libyaml-dev libcurl4-openssl-dev libssl-dev libsqlite3-dev libc-ares-dev libpq-dev pkg-config)
if [ "${1:-}" = "--test" ] || [ "${1:-}" = "--bench" ] || [ "${1:-}" = "--demo" ]; then
  packages+=(python3-aiosmtpd python3-cryptography python3-yaml knot python3-dnslib)
fi
if [ "${1:-}" = "--test" ]; then
  # A real Postfix + Dovecot SASL for the probe tests (Tests/Servers/mta/).
  packages+=(postfix dovecot-core openssl)
  # A real authoritative DNS server (Knot) and a never-answering relay (dnslib) for the DNS tests.
  packages+=(knot python3-dnslib dnsutils)
  # The platform's own client as a judge: Jakarta Mail 2.0 and JavaMail 1.6 on Java 17.
  packages+=(openjdk-17-jdk-headless libjakarta-mail-java libmail-java)
  # A real PostgreSQL server for the PostgreSQL store's tests (Tests/Servers/postgres), and bc for its start script.
  packages+=(postgresql bc)
fi
if [ "${1:-}" = "--bench" ]; then
  packages+=(python3-yaml swaks)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing missing packages: ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq "${missing[@]}" >/dev/null
