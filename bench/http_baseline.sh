#!/usr/bin/env bash
# HTTP baseline for the foundation: a tenant-resolved API route against the no-op
# liveness probe, in the same run, on the release binary.
#
#   bench/http_baseline.sh [sqlite|postgres] [seconds] [connections]
#
# Routes under test: GET /v1/tenant with `X-Tenant: demo` (request ID, security headers,
# tenant resolution through the cache, JSON) and GET /v1/platform/tenants (operator
# token, a count and a page query on the database every time). Baseline: GET /livez
# (same middleware, no tenant, no store). Loopback only; bounded by duration. Needs `wrk` (Debian package).
set -euo pipefail
backend=${1:-sqlite}; secs=${2:-10}; conns=${3:-32}
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$root/target/release/nexus
command -v wrk >/dev/null || { echo "bench: install wrk (apt-get install wrk)"; exit 1; }
[ -x "$bin" ] || (cd "$root" && cargo build --release --quiet)
dir=$(mktemp -d); port=18181
token=bench-platform-token-0123456789abcdef
envs=(NEXUS_HTTP_ADDR=127.0.0.1:$port NEXUS_LOG_LEVEL=warn NEXUS_DEMO_SEED=true NEXUS_HTTP_PLATFORM_TOKEN=$token)
if [ "$backend" = postgres ]; then
  admin=${NEXUS_BENCH_PG:-postgres://postgres@127.0.0.1:5432/test}
  db=nexus_bench_$$; psql "$admin" -qc "create database $db"
  envs+=(NEXUS_DATABASE_URL="${admin%/*}/$db")
fi
(cd "$dir" && exec env "${envs[@]}" "$bin" >/dev/null 2>"$dir/err") &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; [ "$backend" = postgres ] && psql "$admin" -qc "drop database $db with (force)"; rm -rf "$dir"' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.2; done

run() { # label, path, extra header
  local out; out=$(wrk -t2 -c"$conns" -d"${secs}s" --latency -H "$3" "http://127.0.0.1:$port$2")
  local rps p99 errs
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  errs=$(awk '/Non-2xx/ {print $5}' <<<"$out"); errs=${errs:-0}
  printf '%-28s %10s req/s   p99 %8s   non-2xx %s\n' "$1" "$rps" "$p99" "$errs" >&2
  echo "$rps"
}
echo "backend=$backend duration=${secs}s connections=$conns cores=$(nproc) $(date -u +%FT%TZ)" >&2
base=$(run "baseline GET /livez" /livez "X-Bench: 1")
tenant=$(run "GET /v1/tenant (X-Tenant)" /v1/tenant "X-Tenant: demo")
list=$(run "GET /v1/platform/tenants" /v1/platform/tenants "Authorization: Bearer $token")
awk -v t="$tenant" -v l="$list" -v b="$base" 'BEGIN {
  printf "ratio /v1/tenant : /livez = %.2f\n", t / b
  printf "ratio /v1/platform/tenants : /livez = %.2f\n", l / b }' >&2
