#!/usr/bin/env bash
# Schemathesis (PyPI) against the running release binary with its own OpenAPI document,
# authenticated: every operation is called with generated valid and invalid input, and
# the run fails on any 5xx or any response that breaks the document (status, content
# type, headers or body schema). Two passes: the tenant API as the demo tenant's admin
# (session token), and the platform API with the operator token. Bounded by examples
# per operation and by time; targets 127.0.0.1 only.
#   scripts/schemathesis.sh            (after cargo build --release)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$root/target/release/nexus
[ -x "$bin" ] || { echo "schemathesis: build first: cargo build --release"; exit 1; }
version=4.32.5
if ! st --version 2>/dev/null | grep -q "$version"; then
  echo "schemathesis: installing $version from PyPI"
  python3 -m pip install -q --disable-pip-version-check "schemathesis==$version" >/dev/null 2>&1
fi

dir=$(mktemp -d)
port=18090
base=http://127.0.0.1:$port
operator=$(python3 -c 'import secrets; print(secrets.token_urlsafe(32))')
(cd "$dir" && exec env NEXUS_HTTP_ADDR=127.0.0.1:$port NEXUS_HTTP_PLATFORM_TOKEN="$operator" \
  NEXUS_RATELIMIT_IP_PER_MINUTE=10000000 NEXUS_RATELIMIT_FREE_PER_MINUTE=10000000 \
  NEXUS_RATELIMIT_BASIC_PER_MINUTE=10000000 NEXUS_RATELIMIT_ADVANCED_PER_MINUTE=10000000 NEXUS_RATELIMIT_PROFESSIONAL_PER_MINUTE=10000000 \
  NEXUS_QUOTA_FREE_PER_MONTH=0 NEXUS_QUOTA_BASIC_PER_MONTH=0 NEXUS_QUOTA_ADVANCED_PER_MONTH=0 NEXUS_LOG_LEVEL=error \
  "$bin" >"$dir/stdout" 2>"$dir/stderr") &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$dir"' EXIT
for _ in $(seq 1 150); do
  curl -sf "$base/readyz" >/dev/null 2>&1 && break
  sleep 0.2
done
curl -sf "$base/readyz" >/dev/null || { echo "schemathesis: server not ready"; cat "$dir/stderr"; exit 1; }
pw=$(grep "admin@demo.example  password:" "$dir/stdout" | sed 's/.*password: //' | awk '{print $1}')
token=$(curl -sf -H 'X-Tenant: demo' -H 'content-type: application/json' \
  -d "{\"email\":\"admin@demo.example\",\"password\":\"$pw\"}" "$base/v1/auth/login" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')

common=(--checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance
  --max-examples "${SCHEMATHESIS_EXAMPLES:-15}" --workers 2 --seed 20261127 --no-color
  --request-timeout 20 --max-time "${SCHEMATHESIS_MAX_TIME:-420}"
  --generation-with-security-parameters false
  # Schemathesis' own health checks judge its data generator, not the API (one run
  # stopped on "generated examples exceed size limits" for a GET with two path IDs).
  # The API checks above still decide the run.
  --suppress-health-check all)
status=0
echo "schemathesis: tenant API as the demo admin"
# Left out: what would end or demote the run's own session (logout, revoking sessions,
# replacing a user's roles: stateful testing feeds the admin's own ID from the user list
# into them), and the Server-Sent Event streams, which never end by design. The
# integration suite covers those.
st run "$base/openapi.json" --url "$base" "${common[@]}" \
  -H "Authorization: Bearer $token" -H "X-Tenant: demo" \
  --exclude-path-regex '^/v1/platform/|^/v1/sim/stream/' \
  --exclude-operation-id auth_logout --exclude-operation-id auth_sessions_revoke \
  --exclude-operation-id users_sessions_revoke --exclude-operation-id users_roles_set || status=$?
echo "schemathesis: platform API with the operator token"
st run "$base/openapi.json" --url "$base" "${common[@]}" \
  -H "Authorization: Bearer $operator" \
  --include-path-regex '^/v1/platform/' || status=$?
if grep -q '"level":"ERROR"\|ERROR' "$dir/stderr"; then
  echo "schemathesis: the server logged errors:"; grep 'ERROR' "$dir/stderr" | head -20
fi
exit $status
