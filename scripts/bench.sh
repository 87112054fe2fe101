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
# BENCH_SKIP="per-event scale" (skip named sections), BENCH_BASELINE_REF (git ref whose build is the per-event baseline,
# run back to back with this build; default 71552f0, main before issue 20; empty to skip), BENCH_PER_EVENT_ARGS
# (BenchmarkDotNet options given to both builds' per-event runs; default 5 warm-ups and 15 iterations, where the suite's
# ShortRun job has 3 and 3: with 3, one row moved by up to 1.6x between two runs of one build).
set -euo pipefail
cd "$(dirname "$0")/.."
export ISMS_REPO_ROOT="$PWD"
runs="${BENCH_RUNS:-20}"
events="${BENCH_EVENTS:-100000}"
if [ "${BENCH_QUICK:-0}" = 1 ]; then runs=3; events=500; export BENCH_QUICK; fi
skip=" ${BENCH_SKIP:-} "
if [ "${BENCH_QUICK:-0}" = 1 ]; then per_event_args=(); else read -r -a per_event_args <<<"${BENCH_PER_EVENT_ARGS---warmupCount 5 --iterationCount 15}"; fi
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
# Per-event baseline: the same benchmark built from another commit (default: main before issue 20's per-event work),
# so the baseline and the result are measured in one run. BENCH_BASELINE_REF="" skips it.
baseline_ref="${BENCH_BASELINE_REF-71552f0}"
baseline_dll="artifacts/bench/baseline/IsmsServerless.Benchmarks.dll"
if [[ "$skip" != *" per-event "* ]] && [ -n "$baseline_ref" ]; then
  echo "bench: building the baseline ($baseline_ref)..." >&2
  rm -rf artifacts/bench/baseline-src && mkdir -p artifacts/bench/baseline-src
  git archive "$baseline_ref" | tar -x -C artifacts/bench/baseline-src
  dotnet build artifacts/bench/baseline-src/benchmarks/IsmsServerless.Benchmarks -c Release -o artifacts/bench/baseline --nologo -v quiet -clp:ErrorsOnly >&2
fi
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
  rm -rf "$out/BenchmarkDotNet.Artifacts" "$out/BenchmarkDotNet.Baseline"
  if [ -n "$baseline_ref" ]; then
    # The baseline build runs first, then this build, back to back in the same run (same machine, same load).
    echo "bench: per-event, baseline build ($baseline_ref)..." >&2
    dotnet "$baseline_dll" per-event --filter '*' "${per_event_args[@]}" --artifacts "$out/BenchmarkDotNet.Baseline" >"$out/per-event-baseline.log" 2>&1
  fi
  echo "bench: per-event, this build..." >&2
  dotnet "$bench_dll" per-event --filter '*' "${per_event_args[@]}" --artifacts "$out/BenchmarkDotNet.Artifacts" >"$out/per-event.log" 2>&1
  { echo; sed -n '/^| Method/,/^$/p' "$out"/BenchmarkDotNet.Artifacts/results/*PerEventBenchmarks-report-github.md; } >>"$report"
  if [ -n "$baseline_ref" ]; then
    {
      echo
      echo "Baseline ($baseline_ref, $(git log -1 --format='%h %cs' "$baseline_ref")) and this build ($(git rev-parse --short HEAD)$(git diff --quiet HEAD || echo ', with uncommitted changes')), run back to back:"
      echo
      python3 scripts/bench-compare.py "$out"/BenchmarkDotNet.Baseline/results/*PerEventBenchmarks-report.csv \
        "$out"/BenchmarkDotNet.Artifacts/results/*PerEventBenchmarks-report.csv fixtures/events
      echo
      echo "The same three, interleaved in one process and timed in thread CPU time (the baseline's IsmsServerless.Core loaded beside this one):"
      echo
      if [ "${BENCH_QUICK:-0}" = 1 ]; then cpu_rounds=(--rounds 3 --batch 20); else cpu_rounds=(--rounds 15 --batch 300); fi
      dotnet "$bench_dll" per-event-cpu --baseline-core artifacts/bench/baseline/IsmsServerless.Core.dll "${cpu_rounds[@]}"
    } >>"$report"
  fi
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
    echo "Same package, split into phases (\`--split\`: fresh processes that time runtime start, our init, the SDK client and the DynamoDB calls):"
    echo
    dotnet "$coldstart_dll" drive --package artifacts/functions --template "$template" --event "$event_file" --runs 1 --split "$runs" --function IngestionIngestFunction \
      --env TABLE_NAME=coldstart-ledger --env ISMS_DYNAMODB_ENDPOINT="http://127.0.0.1:$ddb_port" --env AWS_REGION=us-east-1 | sed -n '/^Where a cold start goes/,$p'
    echo
    echo "Same, published as one ReadyToRun composite image of the app's own assemblies (\`PublishReadyToRunComposite\`, framework-dependent as the managed runtime requires):"
    echo
    # The variants are published from a copy of the committed tree: a composite or self-contained publish in the
    # working tree leaves ReadyToRun component stubs in obj/ that a later regular publish would ship without their
    # composite image (the function then aborts at start).
    rm -rf artifacts/bench/variant-src && mkdir -p artifacts/bench/variant-src
    git archive HEAD | tar -x -C artifacts/bench/variant-src
    dotnet publish artifacts/bench/variant-src/functions/IsmsServerless.Functions/IsmsServerless.Functions.csproj -c Release -r linux-x64 --self-contained false \
      -p:PublishReadyToRun=true -p:PublishReadyToRunComposite=true -o artifacts/bench/functions-composite --nologo -v quiet >"$out/composite-publish.log" 2>&1
    find artifacts/bench/functions-composite -name '*.pdb' -delete
    dotnet "$coldstart_dll" drive --package artifacts/bench/functions-composite --template "$template" --event "$event_file" --runs "$runs" --function IngestionIngestFunction \
      --env TABLE_NAME=coldstart-ledger --env ISMS_DYNAMODB_ENDPOINT="http://127.0.0.1:$ddb_port" --env AWS_REGION=us-east-1
    echo "- composite package: $(find artifacts/bench/functions-composite -type f | wc -l) files, unzipped $(du -sk artifacts/bench/functions-composite | cut -f1) KiB"
    echo
    echo "Trimming (\`PublishTrimmed\` needs a self-contained publish, which the managed \`dotnet10\` runtime does not run; measured for size and trim warnings only):"
    echo
    if dotnet publish artifacts/bench/variant-src/functions/IsmsServerless.Functions/IsmsServerless.Functions.csproj -c Release -r linux-x64 --self-contained true \
      -p:PublishTrimmed=true -p:TrimmerRootAssembly=IsmsServerless.Functions -p:TreatWarningsAsErrors=false -p:MSBuildTreatWarningsAsErrors=false \
      -o artifacts/bench/functions-trimmed --nologo -v quiet -clp:NoSummary >"$out/trimmed-publish.log" 2>&1; then
      echo "- trimmed self-contained package: $(find artifacts/bench/functions-trimmed -type f | wc -l) files, unzipped $(du -sk artifacts/bench/functions-trimmed | cut -f1) KiB"
    else
      echo "- trimmed publish failed: see $out/trimmed-publish.log"
    fi
    trim_codes="$(grep -o 'warning IL[0-9]*' "$out/trimmed-publish.log" | sort | uniq -c | sort -rn | head -8 | awk '{printf "%s x%s, ", $3, $1}' || true)"
    echo "- trim warnings: $(grep -c 'warning IL' "$out/trimmed-publish.log" || true) lines; by code: ${trim_codes:-none}"
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
