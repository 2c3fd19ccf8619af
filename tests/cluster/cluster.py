"""A cluster on one machine (issue 23), with Debian's packages only.

Starts a PostgreSQL primary and a synchronous streaming replica (their own clusters, on ports of
their own), PgBouncer in transaction mode in front of the primary, three rmdesk servers (pooled
writes, reads from the replica) and HAProxy in front of them; loads a small demo bank; then:

1. throughput with 1, 2 and 3 servers behind HAProxy (the mixed load of load.py);
2. a server killed (SIGKILL) in the middle of the load;
3. the primary stopped (immediate: a crash) in the middle of the load, the replica promoted and
   PgBouncer pointed at it;

and checks that every answered write is in the database once, that no write was lost or refused,
that read-your-writes held, that reads went to the replica, and that /audit/verify is ok.
Prints a report (Markdown) and exits 1 if a check failed. Stops everything it started.

Environment: RMDESK_BIN (the rmdesk binary; default target/release/rmdesk), CLUSTER_SECONDS
(length of each phase; default 20), CLUSTER_BASE_PORT (default 55400).
"""

import json
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import load  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = os.environ.get("RMDESK_BIN", str(ROOT / "target/release/rmdesk"))
SECONDS = int(os.environ.get("CLUSTER_SECONDS", "20"))
BASE = int(os.environ.get("CLUSTER_BASE_PORT", "55400"))
PRIMARY, REPLICA, POOLER, BALANCER = BASE, BASE + 1, BASE + 2, BASE + 10
SERVERS = [BASE + 11, BASE + 12, BASE + 13]
PASSWORD = "cluster-pass-1"
USERS = [("admin", PASSWORD), ("branch.manager", PASSWORD), ("rm.demo", PASSWORD), ("rm.second", PASSWORD)]
THREADS_PER_USER = 2
AS_POSTGRES = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
PG_BIN = pathlib.Path("/usr/lib/postgresql") / sorted(os.listdir("/usr/lib/postgresql"))[-1] / "bin"

started = []  # (name, stop function), stopped in reverse order


def sh(*cmd, postgres=False, check=True, **kw):
    return subprocess.run(
        [*(AS_POSTGRES if postgres else []), *map(str, cmd)], check=check, capture_output=True, text=True, **kw
    )


def wait_for(what, probe, timeout=60.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if probe():
            return
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not come up in {timeout} s")


def pg_ready(port):
    return sh("pg_isready", "-q", "-h", "127.0.0.1", "-p", port, check=False).returncode == 0


def psql(port, sql, db="rmdesk"):
    out = sh("psql", "-X", "-At", "-h", "127.0.0.1", "-p", port, "-U", "postgres", "-d", db, "-c", sql)
    return out.stdout.strip()


def start_postgres(work):
    primary, replica = work / "primary", work / "replica"
    sh(PG_BIN / "initdb", "-D", primary, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C.UTF-8", postgres=True)
    with open(primary / "postgresql.conf", "a") as conf:
        conf.write(
            f"listen_addresses = '127.0.0.1'\nport = {PRIMARY}\nunix_socket_directories = '{work}'\n"
            "wal_level = replica\nmax_wal_senders = 5\nhot_standby = on\nhot_standby_feedback = on\n"
            "max_connections = 200\n"
        )
    with open(primary / "pg_hba.conf", "a") as hba:
        hba.write("host replication postgres 127.0.0.1/32 trust\n")
    pg_start("primary", primary)
    wait_for("the primary", lambda: pg_ready(PRIMARY))
    psql(PRIMARY, "CREATE DATABASE rmdesk", db="postgres")
    sh(PG_BIN / "pg_basebackup", "-h", "127.0.0.1", "-p", PRIMARY, "-U", "postgres", "-D", replica, "-R", "-X", "stream", postgres=True)
    with open(replica / "postgresql.conf", "a") as conf:
        conf.write(f"port = {REPLICA}\n")
    with open(replica / "postgresql.auto.conf", "a") as conf:
        conf.write("synchronous_standby_names = ''\n")
    pg_start("replica", replica)
    wait_for("the replica", lambda: pg_ready(REPLICA))
    # Synchronous from now on: a commit is answered once the replica has its WAL, so a failover
    # loses no answered write.
    psql(PRIMARY, "ALTER SYSTEM SET synchronous_standby_names = '*'", db="postgres")
    psql(PRIMARY, "SELECT pg_reload_conf()", db="postgres")
    wait_for("synchronous streaming", lambda: psql(PRIMARY, "SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'sync'", db="postgres") == "1")
    return primary, replica


def pg_start(name, data):
    sh(PG_BIN / "pg_ctl", "-D", data, "-l", data / "server.log", "-w", "start", postgres=True)
    started.append((name, lambda: sh(PG_BIN / "pg_ctl", "-D", data, "-m", "immediate", "stop", postgres=True, check=False)))


def start_pooler(work, target_port):
    ini = work / "pgbouncer.ini"
    write_pooler_config(work, target_port)
    (work / "users.txt").write_text('"postgres" ""\n')
    sh("pgbouncer", "-d", ini, postgres=True)
    started.append(("pgbouncer", lambda: kill_pidfile(work / "pgbouncer.pid")))
    wait_for("PgBouncer", lambda: pg_ready(POOLER))


def write_pooler_config(work, target_port):
    (work / "pgbouncer.ini").write_text(
        f"[databases]\nrmdesk = host=127.0.0.1 port={target_port} dbname=rmdesk\n"
        f"[pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = {POOLER}\nunix_socket_dir =\n"
        f"auth_type = trust\nauth_file = {work}/users.txt\npool_mode = transaction\n"
        "max_client_conn = 500\ndefault_pool_size = 40\nserver_reset_query =\n"
        # After a failed login to a stopped primary, try the (new) server again within a second.
        "server_login_retry = 1\n"
        "ignore_startup_parameters = extra_float_digits\nadmin_users = postgres\n"
        f"logfile = {work}/pgbouncer.log\npidfile = {work}/pgbouncer.pid\n"
    )


def kill_pidfile(path):
    try:
        os.kill(int(path.read_text().strip()), signal.SIGTERM)
    except (OSError, ValueError):
        pass


def server_env(work, i):
    return {
        **os.environ,
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{POOLER}/rmdesk",
        "DATABASE_POOLER": "transaction",
        "DATABASE_READ_URL": f"postgres://postgres@127.0.0.1:{REPLICA}/rmdesk",
        "RMDESK_DATA_DIR": str(work / f"server{i}"),
        "RMDESK_BIND": f"127.0.0.1:{SERVERS[i]}",
        "RMDESK_ADMIN_PASSWORD": PASSWORD,
        "RMDESK_JWT_SECRET": "cluster-jwt-secret-shared-by-every-server-0001",
        "RMDESK_SEARCH_KEY": "cluster-search-key-shared-by-every-server-0001",
        "RMDESK_METRICS_TOKEN": "cluster-metrics",
        "RMDESK_JOBS": "off",
        "RMDESK_WORKERS": "2",
        "RMDESK_DB_POOL_SIZE": "8",
        "RUST_LOG": "warn",
    }


def load_demo(work):
    env = server_env(work, 0)
    # The demo bank goes straight to the primary (a batch tool, not through the pooler).
    env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:{PRIMARY}/rmdesk"
    env.pop("DATABASE_POOLER")
    env.pop("DATABASE_READ_URL")
    sh(BIN, "demo", "--customers", "2000", env=env, cwd=ROOT)
    for i in (1, 2):
        # Every server signs audit checkpoints with the bank's one key.
        (work / f"server{i}").mkdir(mode=0o700)
        shutil.copy2(work / "server0/audit-signing-key", work / f"server{i}/audit-signing-key")


servers = {}


def start_server(work, i):
    log = open(work / f"server{i}.log", "w")
    proc = subprocess.Popen([BIN, "serve"], env=server_env(work, i), cwd=ROOT, stdout=log, stderr=log)
    servers[i] = proc
    started.append((f"rmdesk {i}", lambda: (proc.poll() is None) and proc.kill()))
    wait_for(f"rmdesk {i}", lambda: http_status(SERVERS[i], "/ready") == 200)


def http_status(port, path, token=None):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=5) as res:
            return res.status
    except urllib.error.HTTPError as e:
        return e.code
    except OSError:
        return None


def http_text(port, path, token):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=30) as res:
        return res.read().decode()


haproxy = {}


def start_balancer(work, count):
    if "proc" in haproxy:
        haproxy["proc"].terminate()
        haproxy["proc"].wait()
    cfg = work / "haproxy.cfg"
    backends = "".join(
        f"    server s{i} 127.0.0.1:{SERVERS[i]} check inter 300ms fall 2 rise 2\n" for i in range(count)
    )
    cfg.write_text(
        "global\n    maxconn 2000\n"
        "defaults\n    mode http\n    timeout connect 1s\n    timeout check 2s\n    timeout client 60s\n    timeout server 60s\n"
        "    retries 3\n    option redispatch 1\n    retry-on conn-failure empty-response\n"
        f"frontend rmdesk\n    bind 127.0.0.1:{BALANCER}\n    default_backend servers\n"
        "backend servers\n    balance roundrobin\n    option httpchk GET /ready\n" + backends
    )
    proc = subprocess.Popen(["haproxy", "-f", str(cfg)], stdout=subprocess.DEVNULL, stderr=open(work / "haproxy.log", "a"))
    haproxy["proc"] = proc
    if not any(name == "haproxy" for name, _ in started):
        started.append(("haproxy", lambda: haproxy["proc"].poll() is None and haproxy["proc"].terminate()))
    wait_for("HAProxy", lambda: http_status(BALANCER, "/ready") == 200)


def phase(seconds, during=None):
    """Runs the load for `seconds`; `during(stats)` runs on a thread alongside."""
    stats = load.Stats()
    side = threading.Thread(target=during, args=(stats,)) if during else None
    began = time.time()
    if side:
        side.start()
    load.run("127.0.0.1", BALANCER, USERS, THREADS_PER_USER, seconds, stats)
    elapsed = time.time() - began
    if side:
        side.join()
    return stats, elapsed


def main():
    if not os.path.exists(BIN):
        sys.exit(f"no rmdesk binary at {BIN}: cargo build --release -p rmdesk, or set RMDESK_BIN")
    work = pathlib.Path(tempfile.mkdtemp(prefix="rmdesk-cluster-"))
    os.chmod(work, 0o755)
    if AS_POSTGRES:
        shutil.chown(work, "postgres")
    report, failures, all_acked = [], [], []
    try:
        primary, replica = start_postgres(work)
        start_pooler(work, PRIMARY)
        load_demo(work)
        for i in range(3):
            start_server(work, i)

        report.append("| servers | reads/s | writes/s | operations/s |\n|---|---|---|---|")
        for count in (1, 2, 3):
            start_balancer(work, count)
            stats, elapsed = phase(SECONDS)
            check(stats, f"{count} server(s)", failures)
            all_acked += stats.acked
            report.append(
                f"| {count} | {stats.reads / elapsed:.0f} | {stats.writes / elapsed:.0f} | "
                f"{(stats.reads + stats.writes) / elapsed:.0f} |"
            )

        def kill_one(stats):
            time.sleep(SECONDS / 3)
            servers[2].send_signal(signal.SIGKILL)
            kill["at"] = time.time()

        kill = {}
        stats, _ = phase(SECONDS, kill_one)
        check(stats, "server kill", failures)
        all_acked += stats.acked
        report.append(
            f"\n**Server killed** (SIGKILL to one of three, {SECONDS / 3:.0f} s into {SECONDS} s of load): "
            f"{stats.writes} writes answered, {stats.write_retries} retries with the same Idempotency-Key, "
            f"{len(stats.lost)} lost, {len(stats.refused)} refused, {stats.read_failures} reads failed; "
            f"read-your-writes {stats.ryw_checks - len(stats.ryw_violations)}/{stats.ryw_checks}."
        )

        def fail_over(stats):
            time.sleep(SECONDS / 3)
            before = time.time()
            sh(PG_BIN / "pg_ctl", "-D", primary, "-m", "immediate", "stop", postgres=True)
            failover["stopped"] = before
            sh(PG_BIN / "pg_ctl", "-D", replica, "-w", "promote", postgres=True)
            failover["promoted"] = time.time()
            write_pooler_config(work, REPLICA)
            psql(POOLER, "RELOAD", db="pgbouncer")
            failover["repointed"] = time.time()

        failover = {}
        stats, _ = phase(SECONDS * 2, fail_over)
        check(stats, "failover", failures)
        all_acked += stats.acked
        stopped = failover["stopped"]
        after = sorted(t for t in stats.write_times if t > failover["repointed"])
        first_write = (after[0] - stopped) if after else None
        gap = max(
            (b - a for a, b in zip(sorted(stats.write_times), sorted(stats.write_times)[1:]) if b > stopped),
            default=None,
        )
        if first_write is None:
            failures.append("no write succeeded after the failover")
        report.append(
            f"\n**Failover** (primary stopped with `-m immediate`, {SECONDS * 2 / 3:.0f} s into {SECONDS * 2} s of load): "
            f"replica promoted after {failover['promoted'] - stopped:.2f} s, PgBouncer repointed after "
            f"{failover['repointed'] - stopped:.2f} s, first write answered {first_write:.2f} s after the stop "
            f"(longest gap between answered writes {gap:.2f} s); {stats.writes} writes answered, "
            f"{stats.write_retries} retries, {len(stats.lost)} lost, {stats.read_failures} reads failed; "
            f"read-your-writes {stats.ryw_checks - len(stats.ryw_violations)}/{stats.ryw_checks}."
        )

        # Every answered write, once, on the promoted primary.
        names = psql(REPLICA, "SELECT name FROM customers WHERE name LIKE 'Cluster %'").splitlines()
        in_db = {}
        for name in names:
            in_db[name] = in_db.get(name, 0) + 1
        missing = [k for k, _, _ in all_acked if in_db.get(f"Cluster {k}", 0) == 0]
        doubled = [n for n, c in in_db.items() if c > 1]
        if missing:
            failures.append(f"{len(missing)} answered writes are missing: {missing[:5]}")
        if doubled:
            failures.append(f"{len(doubled)} writes were applied more than once: {doubled[:5]}")
        token = load.sign_in(load.Client("127.0.0.1", BALANCER), "admin", PASSWORD)
        verify = json.loads(http_text(BALANCER, "/api/v1/audit/verify", token))
        if verify.get("status") != "ok":
            failures.append(f"/audit/verify: {verify}")
        peaks = [peak_memory(servers[i].pid) for i in (0, 1)]
        replica_reads = 0
        for i in (0, 1):
            for line in http_text(SERVERS[i], "/metrics", "cluster-metrics").splitlines():
                if line.startswith('rmdesk_db_reads_total{target="replica"}'):
                    replica_reads += int(float(line.split()[-1]))
        if replica_reads == 0:
            failures.append("no read was served by the replica")
        report.append(
            f"\n**Afterwards**: {len(all_acked)} answered writes, {len(all_acked) - len(missing)} in the "
            f"promoted database, {len(doubled)} applied twice; {len(names)} `Cluster` customers in all; "
            f"`/audit/verify`: {verify.get('status')} ({verify.get('events_checked')} events); "
            f"reads served by the replica before the failover: {replica_reads}; "
            f"peak memory of the surviving servers: {', '.join(peaks)}."
        )
    finally:
        for name, stop in reversed(started):
            try:
                stop()
            except Exception as e:  # noqa: BLE001 - keep stopping the rest
                print(f"could not stop {name}: {e}", file=sys.stderr)
        time.sleep(0.5)
        if failures:
            print(f"work directory kept for its logs: {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    print("\n".join(report))
    if failures:
        print("\nFAILED:\n- " + "\n- ".join(failures))
        sys.exit(1)
    print("\nall checks passed")


def peak_memory(pid):
    """The peak resident memory of a process (VmHWM), as Linux reports it."""
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return f"{int(line.split()[1]) / 1024:.0f} MiB"
    return "unknown"


def check(stats, phase_name, failures):
    for what, items in (
        ("lost writes", stats.lost),
        ("refused writes", stats.refused),
        ("read-your-writes violations", stats.ryw_violations),
        ("crashed workers", stats.crashed),
    ):
        if items:
            failures.append(f"{phase_name}: {len(items)} {what}: {items[:3]}")


if __name__ == "__main__":
    main()
