#!/usr/bin/env bash
# Makes sure PostgreSQL (127.0.0.1:5432, trust auth, database `test`) and Redis
# (127.0.0.1:6379) are running, installing them from Debian first on a machine that has
# neither. Idempotent: on a rust-svc machine both are already up and this only checks.
set -euo pipefail

log() { printf '[services] %s\n' "$*"; }

wait_for() { # name, command...
  local name=$1; shift
  for _ in $(seq 1 60); do
    if "$@" >/dev/null 2>&1; then log "$name is up"; return 0; fi
    sleep 0.5
  done
  log "$name did not come up"; return 1
}

pg_up() { pg_isready -h 127.0.0.1 -p 5432 -q; }
redis_up() { redis-cli -h 127.0.0.1 -p 6379 ping | grep -q PONG; }

if ! command -v pg_ctlcluster >/dev/null 2>&1 || ! command -v redis-server >/dev/null 2>&1; then
  log "installing postgresql and redis-server from Debian"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql redis-server redis-tools >/dev/null
fi

if ! pg_up; then
  version=$(ls /etc/postgresql | sort -V | tail -n1)
  hba=/etc/postgresql/$version/main/pg_hba.conf
  # A fresh Debian cluster uses peer/scram auth; the tests expect trust on loopback.
  if ! grep -q '^host all all 127.0.0.1/32 trust' "$hba"; then
    log "configuring trust auth on loopback in $hba"
    sed -i '/^#/!s/^\(local\|host\)/# &/' "$hba"
    printf 'local all all trust\nhost all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\n' >> "$hba"
  fi
  log "starting PostgreSQL $version"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  wait_for PostgreSQL pg_up
fi
psql -h 127.0.0.1 -U postgres -d postgres -Atqc "select 1 from pg_database where datname = 'test'" | grep -q 1 \
  || psql -h 127.0.0.1 -U postgres -d postgres -qc "create database test"
psql -h 127.0.0.1 -U postgres -d postgres -Atqc "select 1 from pg_roles where rolname = 'root'" | grep -q 1 \
  || psql -h 127.0.0.1 -U postgres -d postgres -qc "create role root superuser login"

if ! redis_up; then
  log "starting Redis"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
  wait_for Redis redis_up
fi

# A real SMTP server for the mail tests: the tests start aiosmtpd themselves on a free
# port, so only the package is needed here (PyPI; pinned for repeatable runs).
if ! python3 -c 'import aiosmtpd' >/dev/null 2>&1; then
  log "installing aiosmtpd from PyPI"
  python3 -m pip install -q --disable-pip-version-check 'aiosmtpd==1.4.6' >/dev/null 2>&1
fi
python3 -c 'import aiosmtpd' && log "aiosmtpd is available"

# A real OTLP receiver for the trace test: rotel (PyPI; it bundles the `rotel-agent`
# binary, which accepts OTLP over HTTP and logs every span it receives). The test starts
# it on free ports.
if ! python3 -c 'import rotel' >/dev/null 2>&1; then
  log "installing rotel (OTLP receiver) from PyPI"
  python3 -m pip install -q --disable-pip-version-check 'rotel==0.0.1a15' >/dev/null
fi
python3 -c 'import rotel' && log "rotel is available"
