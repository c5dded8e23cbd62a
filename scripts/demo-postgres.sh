#!/usr/bin/env bash
# The main job on the bundled examples against a local PostgreSQL: a
# throw-away server (Tests/Servers/postgres: initdb into a temporary folder
# as the postgres user, 127.0.0.1 at a free port, stopped by PID at the end),
# then validate, plan, apply, plan again (no change), history, a saved plan,
# export, as `make demo` does on SQLite.
set -uo pipefail
cd "$(dirname "$0")/.."
mailform=${MAILFORM:-.build/debug/mailform}
root=$(mktemp -d /tmp/mailform-demo-pg.XXXXXX); chmod 755 "$root"
port=$((20000 + RANDOM % 30000))
trap 'bash Tests/Servers/postgres/stop.sh "$root/server" >/dev/null 2>&1; rm -rf "$root"' EXIT
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { echo "\$ mailform $*"; $mailform "$@"; }

step "a local PostgreSQL on 127.0.0.1:$port (stopped by PID at the end)"
info=$(bash Tests/Servers/postgres/start.sh "$root/server" "$port") || exit 1
export PGPASSWORD=$(echo "$info" | sed 's/.*"password":"\([^"]*\)".*/\1/')
bin=$(echo "$info" | sed 's/.*"bin":"\([^"]*\)".*/\1/')
as_pg=(); [ "$(id -u)" -eq 0 ] && as_pg=(runuser -u postgres --)
"${as_pg[@]}" "$bin/psql" -h "$root/server/run" -p "$port" -U postgres -qc "CREATE DATABASE tenants OWNER mailform" || exit 1
store="postgresql://mailform@127.0.0.1:$port/tenants"
# A PostgreSQL store takes its key from the environment (no folder for a key file).
export MAILFORM_STORE_KEY=$(openssl rand -base64 32)
echo "store: $store (password from PGPASSWORD, key from MAILFORM_STORE_KEY)"

step "plan against the empty database"
run plan examples/ --store "$store" | tail -3 || exit 1

step "apply (--create-store makes the tables in the empty database)"
run apply examples/ --store "$store" --create-store --auto-approve --no-probe | tail -2 || exit 1

step "plan again: nothing to change"
run plan examples/ --store "$store" --detailed-exitcode | tail -2 || exit 1

step "a reviewed plan file: change one company, save the plan, apply exactly it"
work=$(mktemp -d "$root/ws.XXXXXX")
cp -r examples/mailform.yaml examples/profiles examples/companies examples/secrets examples/logos "$work/"
sed -i 's/name: ACME Privacy/name: ACME Privacidade/' "$work/companies/acme.yaml"
run plan "$work/companies" --store "$store" --out "$work/plan.json" | tail -2 || exit 1
run apply "$work/plan.json" --store "$store" --no-probe | tail -1 || exit 1

step "history and export, read from PostgreSQL"
run history --store "$store" --limit 2 || exit 1
run export --store "$store" --out "$work/exported" --secrets-out "$work/exported.env" || exit 1

step "what the platform reads: the same tables as in SQLite"
"${as_pg[@]}" "$bin/psql" -h "$root/server/run" -p "$port" -U postgres -d tenants -c "SELECT id, revision, provider, sender_email FROM companies ORDER BY id" || exit 1
echo
echo "demo-postgres finished"
