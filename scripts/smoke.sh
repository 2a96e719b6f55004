#!/usr/bin/env bash
# Smoke test of the release binary as a newcomer runs it: default config (embedded
# SQLite under ./data, demo tenant) and, if given a PostgreSQL URL, the same start on
# PostgreSQL. Checks /readyz, the demo tenant, and a clean exit 0 on SIGTERM.
#   scripts/smoke.sh [postgres-admin-url]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$root/target/release/nexus
[ -x "$bin" ] || { echo "smoke: build first: cargo build --release"; exit 1; }

run_case() { # name, extra env...
  local name=$1; shift
  local dir; dir=$(mktemp -d)
  local out=$dir/stdout port=18080
  (cd "$dir" && exec env "$@" NEXUS_HTTP_ADDR=127.0.0.1:$port "$bin" >"$out" 2>"$dir/stderr") &
  local pid=$!
  for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
    sleep 0.2
  done
  curl -sf "http://127.0.0.1:$port/readyz" >/dev/null || { echo "smoke[$name]: not ready"; cat "$dir/stderr"; kill $pid; exit 1; }
  if [ "$name" = sqlite ]; then
    curl -sf -H "Host: demo.localhost:$port" "http://127.0.0.1:$port/v1/tenant" | grep -q '"slug":"demo"' \
      || { echo "smoke[$name]: demo tenant does not resolve"; kill $pid; exit 1; }
    grep -q "admin@demo.example  password:" "$out" || { echo "smoke[$name]: demo logins not printed"; cat "$out"; kill $pid; exit 1; }
    [ -f "$dir/data/nexus.db" ] || { echo "smoke[$name]: no ./data/nexus.db"; kill $pid; exit 1; }
  fi
  kill -TERM $pid
  local status=0; wait $pid || status=$?
  [ $status -eq 0 ] || { echo "smoke[$name]: exit status $status after SIGTERM"; cat "$dir/stderr"; exit 1; }
  echo "smoke[$name]: ready, served, exited 0 on SIGTERM"
  rm -rf "$dir"
}

run_case sqlite
if [ -n "${1:-}" ]; then
  admin=$1
  db=nexus_smoke_$$
  psql "$admin" -qc "create database $db"
  run_case postgres NEXUS_DATABASE_URL="${admin%/*}/$db"
  psql "$admin" -qc "drop database $db with (force)"
fi
