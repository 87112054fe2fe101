#!/usr/bin/env bash
# Installs what the project needs on a fresh machine, each step only when missing:
# the pinned Node packages (npm ci from package-lock.json: the CDK CLI, and cdk-nag, aws-cdk-lib and
# @aws-cdk/aws-service-spec for the deploy preflight), Java and DynamoDB Local, Chromium, the Lambda package.
set -euo pipefail
cd "$(dirname "$0")/.."
# Reinstall when the lock file changed since the last install (a stamp of its hash), not only when node_modules is missing.
lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -x node_modules/.bin/cdk ] || [ "$(cat node_modules/.isms-lock-sha256 2>/dev/null)" != "$lock_hash" ]; then
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_hash" > node_modules/.isms-lock-sha256
fi
bash scripts/dynamodb-local.sh fetch >/dev/null
if ! command -v chromium >/dev/null 2>&1 && [ "${ISMS_SKIP_CHROMIUM:-0}" != 1 ]; then
  echo "setup: installing Chromium for the browser tests" >&2
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >&2
fi
bash scripts/publish-functions.sh
