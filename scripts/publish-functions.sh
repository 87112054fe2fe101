#!/usr/bin/env bash
# Builds what `cdk synth` needs: the Lambda package (one assembly, framework-dependent, ReadyToRun, linux-x64)
# into artifacts/functions, and the CDK app itself. cdk.json runs this as its "build" step.
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet publish functions/IsmsServerless.Functions/IsmsServerless.Functions.csproj -c Release -r linux-x64 \
  --self-contained false -p:PublishReadyToRun=true -o artifacts/functions --nologo -v quiet
# Lambda needs no symbols or XML docs; keeping them out keeps the package small.
find artifacts/functions -name '*.pdb' -delete
dotnet build infra/IsmsServerless.Infra/IsmsServerless.Infra.csproj -c Release --nologo -v quiet
