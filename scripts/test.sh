#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test (unit, integration, end-to-end) as root.
# Ends with a plain "N passed, N failed" line. Extra arguments go to jest (e.g. a path filter).
set -uo pipefail
cd "$(dirname "$0")/.."
if [[ $(id -u) -ne 0 ]]; then echo "lbaas: this needs root (it installs Debian packages and runs tests that create network namespaces and start haproxy). Run: sudo bash $0" >&2; exit 1; fi
bash scripts/install.sh --tests || exit 1

report=$(mktemp /tmp/lbaas-jest-XXXXXX.json)
NX_DAEMON=false npx jest --runInBand --json --outputFile="$report" "$@"
status=$?
node -e '
  const r = require(process.argv[1]);
  const failedSuites = r.numFailedTestSuites - r.testResults.filter((s) => s.assertionResults.some((a) => a.status === "failed")).length;
  const failed = r.numFailedTests + Math.max(0, failedSuites);
  console.log(`${r.numPassedTests} passed, ${failed} failed` + (r.numPendingTests ? `, ${r.numPendingTests} skipped` : ""));
' "$report" || { echo "0 passed, 1 failed"; exit 1; }
rm -f "$report"
exit $status
