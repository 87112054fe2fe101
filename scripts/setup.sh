#!/usr/bin/env bash
# Installs what the project needs on a fresh machine, each step only when missing:
# the pinned CDK CLI (npm ci), Java and DynamoDB Local, Chromium for the browser tests, the Lambda package.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x node_modules/.bin/cdk ]; then npm ci --no-audit --no-fund --loglevel=error; fi
bash scripts/dynamodb-local.sh fetch >/dev/null
if ! command -v chromium >/dev/null 2>&1 && [ "${ISMS_SKIP_CHROMIUM:-0}" != 1 ]; then
  echo "setup: installing Chromium for the browser tests" >&2
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >&2
fi
bash scripts/publish-functions.sh
