#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test (unit, integration, end-to-end) as root.
# Runs the dependency check first (one test), then jest. Ends with a plain "N passed, N failed" line. Extra arguments go to
# jest (e.g. a path filter).
set -uo pipefail
cd "$(dirname "$0")/.."
if [[ $(id -u) -ne 0 ]]; then echo "lbaas: this needs root (it installs Debian packages and runs tests that create network namespaces and start haproxy). Run: sudo bash $0" >&2; exit 1; fi
bash scripts/install.sh --tests || exit 1

# 1. The dependency rules (.dependency-cruiser.js: lib boundaries, pure libs, no libs/testing in production, no deep
#    imports, no cycles) first; it counts as one test. Jest runs either way, so one run shows everything.
echo "lbaas: dependency check (npm run check:deps)"
if npm run --silent check:deps; then deps_failed=0; else deps_failed=1; fi

# 2. Every jest tier.
report=$(mktemp /tmp/lbaas-jest-XXXXXX.json)
NX_DAEMON=false npx jest --runInBand --forceExit --json --outputFile="$report" "$@"
status=$?
node -e '
  const r = require(process.argv[1]);
  const deps = Number(process.argv[2]);
  const failedSuites = r.numFailedTestSuites - r.testResults.filter((s) => s.assertionResults.some((a) => a.status === "failed")).length;
  const failed = r.numFailedTests + Math.max(0, failedSuites) + deps;
  console.log(`${r.numPassedTests + 1 - deps} passed, ${failed} failed` + (r.numPendingTests ? `, ${r.numPendingTests} skipped` : ""));
' "$report" "$deps_failed" || { echo "$((1 - deps_failed)) passed, $((1 + deps_failed)) failed"; exit 1; }
rm -f "$report"
(( status == 0 && deps_failed == 0 ))
