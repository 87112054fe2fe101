#!/usr/bin/env bash
# Reruns every measurement in docs/benchmarks.md and writes a report to test-artifacts/bench/report.md:
#   1. the machine (CPU, cores, memory, load average at start and end: numbers from a busy machine are not comparable);
#   2. per-event cost: RuleEngine.Evaluate vs a bare JsonDocument.Parse of the same real event (BenchmarkDotNet);
#   3. cold start: the published Lambda package started the way the managed runtime starts it, vs a bare hello-world;
#   4. deployment package size (zip of artifacts/functions, as CDK uploads it);
#   5. scale: events replayed through the local pipeline into DynamoDB Local, events/s and capacity units per event.
# Options (environment): BENCH_RUNS (cold starts per process, default 20), BENCH_EVENTS (scale events, default 100000),
# BENCH_QUICK=1 (tiny counts and a Dry BenchmarkDotNet job: checks the script works, numbers mean nothing), BENCH_WORKERS
# (scale concurrency, default 4),
# BENCH_SKIP="per-event scale" (skip named sections).
set -euo pipefail
cd "$(dirname "$0")/.."
export ISMS_REPO_ROOT="$PWD"
runs="${BENCH_RUNS:-20}"
events="${BENCH_EVENTS:-100000}"
if [ "${BENCH_QUICK:-0}" = 1 ]; then runs=3; events=500; export BENCH_QUICK; fi
skip=" ${BENCH_SKIP:-} "
out="test-artifacts/bench"
mkdir -p "$out"
report="$out/report.md"
bench_dll="artifacts/bench/app/IsmsServerless.Benchmarks.dll"
coldstart_dll="artifacts/bench/coldstart/IsmsServerless.ColdStart.dll"
event_file="fixtures/events/cloudtrail/eb-console-signin-root-success-nomfa.json"

machine() {
  echo "- when: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "- CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), nproc $(nproc)"
  echo "- memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
  echo "- load average (1/5/15 min): $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- .NET: $(dotnet --version) SDK, runtime $(dotnet --list-runtimes | awk '/Microsoft.NETCore.App/ {v=$2} END {print v}')"
}

{
  echo "# Benchmark run"
  echo
  echo "## Machine at start"
  machine
} >"$report"

echo "bench: building (Release)..." >&2
dotnet build benchmarks/IsmsServerless.Benchmarks -c Release -o artifacts/bench/app --nologo -v quiet -clp:ErrorsOnly >&2
dotnet build benchmarks/IsmsServerless.ColdStart -c Release -o artifacts/bench/coldstart --nologo -v quiet -clp:ErrorsOnly >&2

if [[ "$skip" != *" per-event "* ]]; then
  echo "bench: per-event (BenchmarkDotNet)..." >&2
  {
    echo
    echo "## Per-event evaluation vs the JsonDocument.Parse floor"
    echo
    echo "What the engine makes of each fixture:"
    echo
    dotnet "$bench_dll" fixtures
  } >>"$report"
  rm -rf "$out/BenchmarkDotNet.Artifacts"
  dotnet "$bench_dll" per-event --filter '*' --artifacts "$out/BenchmarkDotNet.Artifacts" >"$out/per-event.log" 2>&1
  { echo; sed -n '/^| Method/,/^$/p' "$out"/BenchmarkDotNet.Artifacts/results/*PerEventBenchmarks-report-github.md; } >>"$report"
fi

if [[ "$skip" != *" cold-start "* ]]; then
  echo "bench: publishing the Lambda package and synthesizing the template..." >&2
  if [ ! -x node_modules/.bin/cdk ]; then npm ci --no-audit --no-fund --loglevel=error >&2; fi
  # cdk.json's build step runs scripts/publish-functions.sh, so this also refreshes artifacts/functions.
  npx cdk synth --quiet >&2
  template="$(ls cdk.out/*.template.json | head -1)"
  echo "bench: cold start ($runs runs each)..." >&2
  # The ingest function writes to the ledger: give it a DynamoDB Local and a table, as Lambda gives it DynamoDB.
  ddb_port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
  bash scripts/dynamodb-local.sh start "$ddb_port" >/dev/null 2>&1 &
  ddb_pid=$!
  trap 'kill "$ddb_pid" 2>/dev/null || true' EXIT
  dotnet "$bench_dll" create-table --dynamodb-endpoint "http://127.0.0.1:$ddb_port" --table coldstart-ledger
  {
    echo
    echo "## Cold start (fresh process per run, handler from \`$template\`)"
    echo
    echo "The function handles \`$(basename "$event_file")\` end to end, ledger writes to DynamoDB Local on 127.0.0.1 included (the first run creates the findings, later runs re-detect them)."
    echo
    dotnet "$coldstart_dll" drive --package artifacts/functions --template "$template" --event "$event_file" --runs "$runs" --function IngestionIngestFunction \
      --env TABLE_NAME=coldstart-ledger --env ISMS_DYNAMODB_ENDPOINT="http://127.0.0.1:$ddb_port" --env AWS_REGION=us-east-1
    echo
    echo "Same, with ReadyToRun code ignored (\`DOTNET_ReadyToRun=0\`: everything JIT-compiled), to show what the ReadyToRun publish buys:"
    echo
    dotnet "$coldstart_dll" drive --package artifacts/functions --template "$template" --event "$event_file" --runs "$(( (runs + 1) / 2 ))" --function IngestionIngestFunction \
      --env TABLE_NAME=coldstart-ledger --env ISMS_DYNAMODB_ENDPOINT="http://127.0.0.1:$ddb_port" --env AWS_REGION=us-east-1 --env DOTNET_ReadyToRun=0
    echo
    echo "## Deployment package"
    echo
    rm -f "$out/functions.zip"
    (cd artifacts/functions && zip -qr -9 -X "../../$out/functions.zip" .)
    echo "- files: $(find artifacts/functions -type f | wc -l), unzipped $(du -sk artifacts/functions | cut -f1) KiB, zipped $(( $(stat -c %s "$out/functions.zip") / 1024 )) KiB"
    echo "- largest: $(cd artifacts/functions && ls -S | head -4 | while read -r f; do printf '%s (%d KiB) ' "$f" $(( $(stat -c %s "$f") / 1024 )); done)"
  } >>"$report"
  kill "$ddb_pid" 2>/dev/null || true
fi

if [[ "$skip" != *" scale "* ]] && { dotnet "$bench_dll" || true; } 2>&1 | grep -q '^ *scale'; then
  echo "bench: scale ($events events through the local pipeline into DynamoDB Local)..." >&2
  {
    echo
    echo "## Scale"
    echo
    dotnet "$bench_dll" scale --events "$events" --workers "${BENCH_WORKERS:-4}"
  } >>"$report"
fi

{
  echo
  echo "## Machine at end"
  machine
} >>"$report"
echo "bench: report in $report" >&2
cat "$report"
