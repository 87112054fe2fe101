#!/usr/bin/env bash
# Runs every test: unit, DynamoDB Local integration, CDK template assertions, CLI contract and browser tests.
# Installs what it needs first (Java + DynamoDB Local, the pinned CDK CLI, Chromium), so it works on a fresh machine.
#   scripts/test.sh                 everything
#   scripts/test.sh --filter EXPR   only tests matching a dotnet test filter
set -euo pipefail
cd "$(dirname "$0")/.."
filter=()
if [ "${1:-}" = "--filter" ]; then filter=(--filter "$2"); fi

bash scripts/setup.sh

results="test-artifacts/results"
rm -rf "$results"
mkdir -p "$results"
status=0
dotnet build IsmsServerless.sln -c Debug --nologo -v quiet -clp:ErrorsOnly
dotnet test IsmsServerless.sln --no-build -c Debug --nologo "${filter[@]}" \
  --logger "trx" --logger "console;verbosity=minimal" --results-directory "$results" || status=$?

# One plain closing line over all test projects, for CI readers that do not parse dotnet test.
passed=0; failed=0; skipped=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters"); f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  t=$(sed -n 's/.* total="\([0-9]*\)".*/\1/p' <<<"$counters"); e=$(sed -n 's/.* executed="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0})); skipped=$((skipped + ${t:-0} - ${e:-0}))
done
echo "tests: $passed passed, $failed failed, $skipped skipped"
if [ "$passed" -eq 0 ] && [ "$status" -eq 0 ]; then echo "no test ran" >&2; exit 1; fi
exit "$status"
