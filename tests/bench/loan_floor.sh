#!/usr/bin/env bash
# What the database alone costs for the loan import's main write, without rmdesk: 1,000,000 rows of
# the shape of `loan_snapshots` (uuid borrowers and RMs, sequential loan numbers) written with one
# INSERT ... SELECT into a table with no index, then into one with the indexes rmdesk keeps (primary
# key (loan_no, as_of), borrower, originating RM). The difference is the index upkeep every import
# pays whatever the code around it does. Needs the sqlite3 command (Debian: sqlite3) and psql.
#
#   tests/bench/loan_floor.sh
set -euo pipefail
pg_admin="${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

columns="loan_no TEXT NOT NULL, as_of DATE NOT NULL, customer_id TEXT NOT NULL, rm_id TEXT NOT NULL,
  balance_fen BIGINT NOT NULL, originated_on DATE NOT NULL, classification TEXT NOT NULL,
  interest_due_fen BIGINT NOT NULL, interest_paid_fen BIGINT NOT NULL, days_past_due INTEGER NOT NULL,
  matures_on DATE"
indexes="CREATE INDEX t_customer ON t(customer_id); CREATE INDEX t_rm ON t(rm_id);"

echo "== SQLite (WAL, synchronous NORMAL, 256 MiB cache, as rmdesk's writer)"
for variant in "no index" "primary key + borrower + RM"; do
  rm -f "$work"/floor.sqlite3*
  if [ "$variant" = "no index" ]; then ddl="CREATE TABLE t ($columns);"; else ddl="CREATE TABLE t ($columns, PRIMARY KEY (loan_no, as_of)); $indexes"; fi
  sqlite3 "$work/floor.sqlite3" >/dev/null <<SQL
PRAGMA journal_mode = WAL;
CREATE TABLE rms AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
  SELECT i, lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-' || hex(randomblob(2)) || '-' || hex(randomblob(2)) || '-' || hex(randomblob(6))) AS id FROM n;
CREATE TABLE src AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000)
  SELECT printf('M%09d', i) AS loan_no, '2026-11-30' AS as_of,
    lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-' || hex(randomblob(2)) || '-' || hex(randomblob(2)) || '-' || hex(randomblob(6))) AS customer_id,
    (SELECT id FROM rms WHERE rms.i = 1 + n.i % 2000) AS rm_id, 50000000 AS balance_fen, '2025-06-01' AS originated_on,
    'normal' AS classification, 210000 AS interest_due_fen, 210000 AS interest_paid_fen, 0 AS days_past_due, NULL AS matures_on FROM n;
$ddl
SQL
  start=$(date +%s.%N)
  sqlite3 "$work/floor.sqlite3" "PRAGMA synchronous = NORMAL; PRAGMA cache_size = -262144; PRAGMA temp_store = MEMORY; BEGIN; INSERT INTO t SELECT * FROM src; COMMIT;" >/dev/null
  end=$(date +%s.%N)
  awk -v v="$variant" -v s="$start" -v e="$end" 'BEGIN { printf "| SQLite | %s | %.2f s | %.0f rows/s |\n", v, e - s, 1000000 / (e - s) }'
done

echo "== PostgreSQL"
psql -q -v ON_ERROR_STOP=1 "$pg_admin" -c "DROP DATABASE IF EXISTS rmdesk_floor WITH (FORCE)" -c "CREATE DATABASE rmdesk_floor"
db="${pg_admin%/*}/rmdesk_floor"
psql -q -v ON_ERROR_STOP=1 "$db" <<SQL
CREATE TABLE rms AS SELECT i, gen_random_uuid()::text AS id FROM generate_series(1, 2000) i;
CREATE TABLE src AS SELECT 'M' || lpad(g.n::text, 9, '0') AS loan_no, DATE '2026-11-30' AS as_of,
  gen_random_uuid()::text AS customer_id, r.id AS rm_id, 50000000::bigint AS balance_fen,
  DATE '2025-06-01' AS originated_on, 'normal'::text AS classification, 210000::bigint AS interest_due_fen,
  210000::bigint AS interest_paid_fen, 0 AS days_past_due, NULL::date AS matures_on
  FROM generate_series(1, 1000000) g(n) JOIN rms r ON r.i = 1 + g.n % 2000;
VACUUM ANALYZE src;
SQL
for variant in "no index" "primary key + borrower + RM"; do
  if [ "$variant" = "no index" ]; then ddl="CREATE TABLE t ($columns);"; else ddl="CREATE TABLE t ($columns, PRIMARY KEY (loan_no, as_of)); $indexes"; fi
  psql -q -v ON_ERROR_STOP=1 "$db" -c "DROP TABLE IF EXISTS t" -c "$ddl" -c "CHECKPOINT"
  start=$(date +%s.%N)
  psql -q -v ON_ERROR_STOP=1 "$db" -c "INSERT INTO t SELECT * FROM src"
  end=$(date +%s.%N)
  awk -v v="$variant" -v s="$start" -v e="$end" 'BEGIN { printf "| PostgreSQL | %s | %.2f s | %.0f rows/s |\n", v, e - s, 1000000 / (e - s) }'
done
psql -q -v ON_ERROR_STOP=1 "$pg_admin" -c "DROP DATABASE rmdesk_floor WITH (FORCE)"
