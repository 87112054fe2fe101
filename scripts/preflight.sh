#!/usr/bin/env bash
# The deploy preflight on what `cdk synth` writes, outside the test suite: synthesizes the app with cdk.json's context
# (and, with --organization, -c organizationId=... -c centralAccountId=..., which adds the member forwarder stack),
# then runs scripts/preflight/preflight.js over every template in the cloud assembly.
#   scripts/preflight.sh                      the stacks cdk.json configures
#   scripts/preflight.sh --organization       also the forwarder (example organization and central account)
#   scripts/preflight.sh -- -c key=value ...  extra cdk context
set -euo pipefail
cd "$(dirname "$0")/.."
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --organization) extra+=(-c organizationId=o-abcd123456 -c centralAccountId=111122223333); shift ;;
    --) shift; extra+=("$@"); break ;;
    *) echo "usage: scripts/preflight.sh [--organization] [-- -c key=value ...]" >&2; exit 2 ;;
  esac
done
bash scripts/setup.sh >/dev/null
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
dotnet build infra/IsmsServerless.Infra -c Release --nologo -v quiet -clp:ErrorsOnly
CDK_DEFAULT_ACCOUNT=${CDK_DEFAULT_ACCOUNT:-111122223333} CDK_DEFAULT_REGION=${CDK_DEFAULT_REGION:-eu-west-1} \
  npx cdk synth --quiet --output "$out" "${extra[@]}" >/dev/null
node scripts/preflight/preflight.js "$out"/*.template.json
