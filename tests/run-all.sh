#!/usr/bin/env bash
# Runs every test: unit tests and the integration suite on embedded SQLite, then the same
# integration suite on PostgreSQL (a fresh database per test) when a server answers at
# TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres) and once more through
# PgBouncer in transaction mode, then the cluster (tests/cluster: a primary and a synchronous
# replica, PgBouncer, three servers behind HAProxy, a server killed and a failover under load, with
# short phases), then the OpenAPI contract
# checked by a generated client and schemathesis against a running server (tests/contract/run.sh,
# on SQLite, then on PostgreSQL when it answers), then the dashboard:
# its build (type-checked against openapi/openapi.json), its unit tests (Vitest) and its
# end-to-end tests (the real rmdesk with the demo bank, driven in Chromium). Set
# RMDESK_REQUIRE_PG=1 to fail instead of skipping when PostgreSQL does not answer (CI does).
set -euo pipefail
cd "$(dirname "$0")/.."

bash .ci/install-deps

cargo test --workspace --locked

pg_url="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
if pg_isready -q -d "$pg_url" 2>/dev/null; then
  echo "== integration suite on PostgreSQL ($pg_url)"
  TEST_DATABASE_URL="$pg_url" cargo test --locked -p rmdesk --test integration
  echo "== integration suite on PostgreSQL through PgBouncer (transaction mode)"
  pg_port="$(echo "$pg_url" | sed -E 's#.*:([0-9]+)/.*#\1#')"
  PG_PORT="$pg_port" bash tests/pooler/run.sh cargo test --locked -p rmdesk --test integration
elif [ "${RMDESK_REQUIRE_PG:-0}" = "1" ]; then
  echo "PostgreSQL is not reachable at $pg_url" >&2
  exit 1
else
  echo "== PostgreSQL not reachable at $pg_url: integration suite ran on SQLite only"
fi

echo "== the contract: a generated client's scenario and schemathesis against a running server (SQLite, fixed seed)"
bash tests/contract/run.sh
if pg_isready -q -d "$pg_url" 2>/dev/null; then
  echo "== the contract again on PostgreSQL"
  contract_db="${pg_url%/*}/rmdesk_contract"
  psql -q "$pg_url" -c "DROP DATABASE IF EXISTS rmdesk_contract WITH (FORCE)" -c "CREATE DATABASE rmdesk_contract"
  CONTRACT_DATABASE_URL="$contract_db" CONTRACT_PORT=18301 bash tests/contract/run.sh
  psql -q "$pg_url" -c "DROP DATABASE IF EXISTS rmdesk_contract WITH (FORCE)"
fi

cargo build --locked -p rmdesk
echo "== the cluster: replica, pooler, three servers, a server killed and a failover under load"
RMDESK_BIN=target/debug/rmdesk CLUSTER_SECONDS="${CLUSTER_SECONDS:-6}" python3 tests/cluster/cluster.py

echo "== dashboard: build, unit tests, end-to-end in Chromium"
cd frontend
npm ci --no-audit --no-fund
npm run build
npm test
npm run e2e
