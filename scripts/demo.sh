#!/usr/bin/env bash
# The main job on the bundled examples, with a fresh embedded store in a
# temporary folder: validate, plan, apply, plan again (no change), history,
# a reviewed plan file, export; then show that examples/invalid is rejected.
set -uo pipefail
cd "$(dirname "$0")/.."
mailform=${MAILFORM:-.build/debug/mailform}
store_dir=$(mktemp -d /tmp/mailform-demo.XXXXXX)
store="$store_dir/mailform.db"
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { echo "\$ mailform $*"; $mailform "$@"; }

step "validate the saas and on-premise examples"
run validate examples/ || exit 1
run validate examples/on-premise || exit 1

step "plan against a new, empty store ($store)"
run plan examples/ --store "$store" --format markdown | head -20 || exit 1

step "OAuth2 (XOAUTH2): a Microsoft 365 and a Google Workspace company, secrets as references"
run plan examples/companies/contoso.yaml examples/companies/fabrikam.yaml --store "$store" | sed -n '1,40p' || exit 1

step "apply"
run apply examples/ --store "$store" --create-store --auto-approve --no-probe | tail -3 || exit 1

step "plan again: nothing to change"
run plan examples/ --store "$store" --detailed-exitcode || exit 1

step "a reviewed plan file: change one company, save the plan, apply exactly it"
work=$(mktemp -d /tmp/mailform-demo-ws.XXXXXX)
cp -r examples/mailform.yaml examples/profiles examples/companies examples/secrets examples/logos "$work/"
sed -i 's/name: ACME Privacy/name: ACME Privacidade/' "$work/companies/acme.yaml"
run plan "$work/companies" --store "$store" --out "$work/plan.json" || exit 1
run apply "$work/plan.json" --store "$store" --no-probe || exit 1

step "a pull request holds nothing worth stealing: it plans against a snapshot (no secret, no key, no store)"
run snapshot --store "$store" --out "$work/snapshot.json" || exit 1
sed -i 's/name: ACME Privacidade/name: ACME Privacy Team/' "$work/companies/acme.yaml"
echo "\$ env -i PATH=\$PATH mailform plan $work/companies --snapshot $work/snapshot.json --change-set $work/change-set.txt"
env -i PATH="$PATH" MAILFORM_DNS=off "$mailform" plan "$work/companies" --snapshot "$work/snapshot.json" --change-set "$work/change-set.txt" || exit 1

step "after merge: apply exactly the reviewed change set (planned again against the live store)"
run apply "$work/companies" --store "$store" --auto-approve --no-probe --reviewed "$(cat "$work/change-set.txt")" | tail -2 || exit 1

step "history"
run history --store "$store" --limit 2 || exit 1

step "export the store back to files (secret values to a 0600 dotenv file)"
run export --store "$store" --out "$work/exported" --secrets-out "$work/exported.env" || exit 1
set -a; . "$work/exported.env"; set +a
run plan "$work/exported" --store "$store" --detailed-exitcode || exit 1

step "the invalid examples are rejected (exit 1), every file with file:line:column and a hint"
run validate examples/invalid | tail -12
[ "${PIPESTATUS[0]}" -eq 1 ] || { echo "expected exit 1 from the invalid examples"; exit 1; }

step "probe: real SMTP servers and fakes of the Mailgun, Mailchimp Transactional and SendGrid APIs on 127.0.0.1 (examples/probe-lab); exit 3 expected"
scripts/probe-lab.sh
[ $? -eq 3 ] || { echo "expected exit 3 from the probe lab (some endpoints are broken on purpose)"; exit 1; }

rm -rf "$work"
echo
echo "demo finished: store in $store"
