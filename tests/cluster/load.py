"""The cluster's mixed load: several users reading and writing through one address.

Each worker signs in as one user and loops until its deadline:
- a write (one in WRITE_SHARE): creates a customer named after a fresh Idempotency-Key, retried
  with the same key on a connection error or a 502/503/504 until it is answered, then reads it
  back at once (read-your-writes: a 404 there is a violation);
- otherwise a read: a page of customers, or the caller's own record.

Only the standard library: this runs on a bare machine.
"""

import http.client
import json
import threading
import time
import uuid

WRITE_SHARE = 4  # one operation in four is a write
RETRY_FOR = 120.0  # seconds a write is retried before it counts as lost
RETRYABLE = {502, 503, 504}


class Client:
    def __init__(self, host, port):
        self.host, self.port = host, port
        self.conn = None

    def call(self, method, path, body=None, headers=None):
        """One request; raises OSError (or http.client errors) when the connection fails."""
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        data = json.dumps(body).encode() if body is not None else None
        hdrs = {"Content-Type": "application/json", **(headers or {})}
        try:
            self.conn.request(method, path, body=data, headers=hdrs)
            res = self.conn.getresponse()
            payload = res.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = None
            raise
        if res.getheader("Connection", "").lower() == "close":
            self.conn.close()
            self.conn = None
        is_json = "json" in (res.getheader("Content-Type") or "")
        return res.status, (json.loads(payload) if payload and is_json else None)


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.reads = 0
        self.read_failures = 0  # reads that failed and were not retried (a read is not critical)
        self.writes = 0  # writes answered 201/200
        self.write_retries = 0  # extra attempts after a connection error or a 5xx
        self.lost = []  # writes never answered within RETRY_FOR
        self.refused = []  # writes answered 4xx (none expected)
        self.ryw_checks = 0
        self.ryw_violations = []
        self.acked = []  # (key, customer id, time answered)
        self.write_times = []  # time each write was answered
        self.crashed = []  # workers that stopped on an error of their own

    def add(self, **kw):
        with self.lock:
            for k, v in kw.items():
                cur = getattr(self, k)
                if isinstance(cur, list):
                    cur.append(v)
                else:
                    setattr(self, k, cur + v)


def sign_in(client, username, password):
    deadline = time.time() + 60
    while True:
        try:
            status, body = client.call(
                "POST", "/api/v1/auth/token", {"username": username, "password": password}
            )
            if status == 200:
                return body["access_token"]
            if status not in RETRYABLE:
                raise RuntimeError(f"sign-in of {username}: {status} {body}")
        except (OSError, http.client.HTTPException):
            pass
        if time.time() > deadline:
            raise RuntimeError(f"sign-in of {username} kept failing")
        time.sleep(0.2)


def worker(*args):
    try:
        work(*args)
    except Exception as e:  # noqa: BLE001 - reported, and fails the run
        args[5].add(crashed=repr(e))


def work(host, port, username, password, seconds, stats, seq):
    client = Client(host, port)
    token = sign_in(client, username, password)
    auth = {"Authorization": f"Bearer {token}"}
    _, me = retrying_get(client, "/api/v1/me", auth)
    org_unit = me["org_unit_id"]
    deadline = time.time() + seconds
    n = 0
    while time.time() < deadline:
        n += 1
        if (n + seq) % WRITE_SHARE == 0:
            write(client, auth, org_unit, stats)
        else:
            path = "/api/v1/customers?limit=20" if n % 2 else "/api/v1/me"
            try:
                status, _ = client.call("GET", path, headers=auth)
                if status == 200:
                    stats.add(reads=1)
                else:
                    stats.add(read_failures=1)
            except (OSError, http.client.HTTPException):
                stats.add(read_failures=1)


def retrying_get(client, path, auth):
    deadline = time.time() + RETRY_FOR
    while True:
        try:
            status, body = client.call("GET", path, headers=auth)
            if status not in RETRYABLE:
                return status, body
        except (OSError, http.client.HTTPException):
            pass
        if time.time() > deadline:
            return None, None
        time.sleep(0.05)


def write(client, auth, org_unit, stats):
    key = str(uuid.uuid4())
    body = {"name": f"Cluster {key}", "kind": "retail", "org_unit_id": org_unit}
    headers = {**auth, "Idempotency-Key": key}
    started = time.time()
    attempts = 0
    while True:
        attempts += 1
        try:
            status, answer = client.call("POST", "/api/v1/customers", body, headers)
            if status in (200, 201):
                break
            if status not in RETRYABLE:
                stats.add(refused=(key, status, answer))
                return
        except (OSError, http.client.HTTPException):
            pass
        if time.time() - started > RETRY_FOR:
            stats.add(lost=key)
            return
        time.sleep(0.05)
    answered = time.time()
    stats.add(writes=1, write_retries=attempts - 1, acked=(key, answer["id"], answered))
    stats.add(write_times=answered)
    status, _ = retrying_get(client, f"/api/v1/customers/{answer['id']}", auth)
    stats.add(ryw_checks=1)
    if status != 200:
        stats.add(ryw_violations=(key, status))


def run(host, port, users, threads_per_user, seconds, stats=None):
    """Runs the load for `seconds`; returns its Stats (the same object if one is given)."""
    stats = stats or Stats()
    threads = []
    seq = 0
    for username, password in users:
        for _ in range(threads_per_user):
            t = threading.Thread(
                target=worker, args=(host, port, username, password, seconds, stats, seq)
            )
            seq += 1
            t.start()
            threads.append(t)
    for t in threads:
        t.join()
    return stats
