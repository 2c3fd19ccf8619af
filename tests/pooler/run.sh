#!/usr/bin/env bash
# Runs a command with PgBouncer in transaction mode in front of the PostgreSQL at 127.0.0.1:$PG_PORT
# (default 5432), every database passed through (`* =`), and TEST_DATABASE_URL /
# TEST_DATABASE_POOLER set for the integration suite (TEST_DATABASE_DIRECT_URL for what must bypass
# the pooler: backups). Stops the pooler afterwards.
#   tests/pooler/run.sh cargo test -p rmdesk --test integration
set -euo pipefail
pg_port="${PG_PORT:-5432}"
port="${POOLER_PORT:-6432}"
dir="$(mktemp -d /tmp/rmdesk-pooler.XXXXXX)"
# PgBouncer refuses to run as root.
as=()
if [ "$(id -u)" -eq 0 ]; then
  as=(runuser -u postgres --)
  chown postgres "$dir"
fi
cat > "$dir/pgbouncer.ini" <<INI
[databases]
* = host=127.0.0.1 port=$pg_port
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir =
auth_type = trust
auth_file = $dir/users.txt
pool_mode = transaction
max_client_conn = 1000
default_pool_size = 20
server_reset_query =
ignore_startup_parameters = extra_float_digits
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
INI
echo '"postgres" ""' > "$dir/users.txt"
"${as[@]}" pgbouncer -d "$dir/pgbouncer.ini"
stop() {
  [ -f "$dir/pgbouncer.pid" ] && kill "$(cat "$dir/pgbouncer.pid")" 2>/dev/null || true
  sleep 0.2
  rm -rf "$dir"
}
trap stop EXIT
for _ in $(seq 1 50); do pg_isready -q -h 127.0.0.1 -p "$port" && break; sleep 0.1; done
TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres" TEST_DATABASE_POOLER=transaction \
  TEST_DATABASE_DIRECT_URL="postgres://postgres@127.0.0.1:$pg_port/postgres" "$@"
