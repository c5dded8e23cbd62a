#!/usr/bin/env bash
# The main job on the bundled examples: validate every workspace, then show
# that the invalid examples are caught.
set -uo pipefail
cd "$(dirname "$0")/.."
mailform=.build/debug/mailform

echo "== mailform validate examples/"
$mailform validate examples/ || exit 1
echo
echo "== mailform validate examples/on-premise"
$mailform validate examples/on-premise || exit 1
echo
echo "== mailform validate examples/invalid   (expected to fail: every file shows a mistake)"
$mailform validate examples/invalid
status=$?
[ $status -eq 1 ] || { echo "expected exit 1 from the invalid examples, got $status"; exit 1; }
echo
echo "demo finished: examples/ is clean, examples/invalid/ is rejected with exit 1"
