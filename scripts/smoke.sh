#!/usr/bin/env bash
# Smoke test of the release binary as a newcomer runs it: default config (embedded
# SQLite under ./data, demo tenant) and, if given a PostgreSQL URL, the same start on
# PostgreSQL. Checks /readyz, the demo tenant, the demo learner's funded simulator
# portfolio, and a clean exit 0 on SIGTERM.
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
    # The demo learner signs in and finds a funded simulator portfolio, with the
    # educational-only disclaimer.
    local pw token portfolio
    pw=$(grep "learner@demo.example  password:" "$out" | sed 's/.*password: //' | awk '{print $1}')
    token=$(curl -sf -H "Host: demo.localhost:$port" -H 'content-type: application/json' \
      -d "{\"email\":\"learner@demo.example\",\"password\":\"$pw\"}" \
      "http://127.0.0.1:$port/v1/auth/login" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])') \
      || { echo "smoke[$name]: demo learner cannot sign in"; kill $pid; exit 1; }
    portfolio=$(curl -sf -H "Host: demo.localhost:$port" -H "authorization: Bearer $token" \
      "http://127.0.0.1:$port/v1/sim/portfolios/practice") \
      || { echo "smoke[$name]: no simulator portfolio"; kill $pid; exit 1; }
    echo "$portfolio" | grep -q '"equity":"100000"' && echo "$portfolio" | grep -q '"disclaimer"' \
      || { echo "smoke[$name]: unexpected portfolio: $portfolio"; kill $pid; exit 1; }
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
