#!/usr/bin/env bash
# DynamoDB Local for tests and the local run: the official AWS jar, taken from the npm package
# amplify-dynamodb-simulator (which bundles it), fetched once and cached in .cache/ (git-ignored).
#   scripts/dynamodb-local.sh fetch          make sure Java and the jar are there; print the folder
#   scripts/dynamodb-local.sh start [PORT]   run it in the foreground on 127.0.0.1:PORT (default: a free port)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
version="2.9.30"
dir="${ISMS_DYNAMODB_LOCAL_DIR:-$root/.cache/dynamodb-local}"
emulator="$dir/emulator"

ensure_java() {
  if command -v java >/dev/null 2>&1; then return; fi
  echo "dynamodb-local: installing Java 17 (openjdk-17-jre-headless)" >&2
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >&2
  else
    sudo apt-get update -qq >&2 && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >&2
  fi
}

fetch() {
  ensure_java
  if [ -f "$emulator/DynamoDBLocal.jar" ]; then echo "$emulator"; return; fi
  mkdir -p "$dir"
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' RETURN
  echo "dynamodb-local: fetching amplify-dynamodb-simulator@$version from npm" >&2
  (cd "$tmp" && npm pack "amplify-dynamodb-simulator@$version" --silent >/dev/null)
  tar -xzf "$tmp"/amplify-dynamodb-simulator-*.tgz -C "$tmp" package/emulator
  rm -rf "$emulator.partial" && mv "$tmp/package/emulator" "$emulator.partial" && mv "$emulator.partial" "$emulator"
  test -f "$emulator/DynamoDBLocal.jar"
  echo "$emulator"
}

case "${1:-fetch}" in
  fetch) fetch ;;
  start)
    fetch >/dev/null
    port="${2:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo 8000)}"
    echo "dynamodb-local: http://127.0.0.1:$port" >&2
    cd "$emulator" && exec java -Djava.library.path=DynamoDBLocal_lib -jar DynamoDBLocal.jar -inMemory -sharedDb -port "$port"
    ;;
  *) echo "usage: $0 fetch|start [port]" >&2; exit 2 ;;
esac
