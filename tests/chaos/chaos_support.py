"""Machinery of the chaos suite: the mode's budget, the throwaway PostgreSQL cluster (restart, stop,
start as its OS user), a load generator of concurrent MCP sessions that records every call, the
/readyz poller, and audit look-ups.

Nothing here asserts on server behaviour; the tests do (with `evidence(...)` in their messages).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import httpx2

from e2e_support import RawClient, psql_json

# ---------------------------------------------------------------------------------------------
# Budget: CHAOS_MODE=short (inside `make test`) or long (`make chaos`).
# ---------------------------------------------------------------------------------------------

MODE = os.environ.get("CHAOS_MODE", "short")
if MODE not in ("short", "long"):
    raise RuntimeError(f"CHAOS_MODE must be short or long, not {MODE!r}")
LONG = MODE == "long"


@dataclass(frozen=True)
class Budget:
    clients_per_tenant: int  # concurrent sessions per tenant in the Postgres tests
    warmup_s: float  # load before the fault
    after_s: float  # load after the fault has ended
    restarts: int  # `pg_ctl restart -m fast` rounds
    stop_s: float  # how long Postgres stays stopped
    stops: int  # stop/start rounds
    kills: int  # replica SIGKILL rounds
    kill_after_s: float  # load on the surviving replica after a kill
    storm_s: float  # duration of each upstream storm
    storm_clients: int  # concurrent sessions during an upstream storm


BUDGET = {
    "short": Budget(clients_per_tenant=2, warmup_s=1.5, after_s=6.0, restarts=1, stop_s=3.0, stops=1, kills=1,
                    kill_after_s=3.0, storm_s=4.0, storm_clients=4),
    "long": Budget(clients_per_tenant=4, warmup_s=4.0, after_s=10.0, restarts=4, stop_s=6.0, stops=3, kills=3,
                   kill_after_s=8.0, storm_s=15.0, storm_clients=8),
}[MODE]

# An answer slower than this is a hang (every bound the tests assert is far below it).
HANG_S = 30.0
# Pause between two calls of one load client: a steady load that two busy cores can carry.
THINK_S = 0.02

# ---------------------------------------------------------------------------------------------
# The throwaway PostgreSQL cluster
# ---------------------------------------------------------------------------------------------


class PgCluster:
    """The cluster scripts/chaos.sh started (ODMCP_PG_DIR, ODMCP_PG_PORT), controlled with pg_ctl as
    its OS user (runuser from / when we are root: the user may not enter the checkout)."""

    def __init__(self, data_dir: Path, port: str, socket_dir: str, osuser: str, bin_dir: Path, log_dir: Path):
        self.data_dir = data_dir
        self.port = str(port)
        self.socket_dir = socket_dir
        self.osuser = osuser
        self.bin_dir = bin_dir
        self.server_log = data_dir.parent / "server.log"  # where db.sh starts it; the cluster user writes it
        self.ctl_log = log_dir / "pg_ctl.log"
        self.events: list[tuple[float, str]] = []

    def _argv(self, tool: str, *args: str) -> list[str]:
        argv = [str(self.bin_dir / tool), *args]
        if os.geteuid() == 0 and self.osuser != "root":
            return ["runuser", "-u", self.osuser, "--", *argv]
        return argv

    def _ctl(self, *args: str, timeout: float = 90) -> float:
        """Runs pg_ctl; returns the monotonic time it returned. Its output goes to a file, never a
        pipe: a postmaster inheriting a pipe would keep it open for its whole life."""
        with open(self.ctl_log, "ab") as out:
            out.write(f"\n$ pg_ctl {' '.join(args)}\n".encode())
            out.flush()
            p = subprocess.run(self._argv("pg_ctl", "-D", str(self.data_dir), *args), cwd="/", stdin=subprocess.DEVNULL,
                               stdout=out, stderr=out, timeout=timeout)
        done = time.monotonic()
        if p.returncode != 0:
            raise RuntimeError(f"pg_ctl {' '.join(args)} failed ({p.returncode}); see {self.ctl_log}: "
                               f"{self.ctl_log.read_text(errors='replace')[-1500:]}")
        return done

    def restart(self) -> tuple[float, float]:
        """`pg_ctl restart -m fast`; returns (started, accepting again)."""
        started = time.monotonic()
        self.events.append((started, "restart"))
        self._ctl("restart", "-m", "fast", "-w", "-t", "60", "-l", str(self.server_log), "-o", f"-p {self.port}")
        return started, self.wait_accepting()

    def stop(self) -> float:
        """`pg_ctl stop -m fast`; returns when it is down."""
        self.events.append((time.monotonic(), "stop"))
        return self._ctl("stop", "-m", "fast", "-w", "-t", "60")

    def start(self) -> float:
        """`pg_ctl start`; returns the time it accepts connections."""
        self.events.append((time.monotonic(), "start"))
        self._ctl("start", "-w", "-t", "60", "-l", str(self.server_log), "-o", f"-p {self.port}")
        return self.wait_accepting()

    def running(self) -> bool:
        p = subprocess.run(self._argv("pg_ctl", "-D", str(self.data_dir), "status"), cwd="/",
                           stdin=subprocess.DEVNULL, capture_output=True, timeout=30)
        return p.returncode == 0

    def accepting(self) -> bool:
        p = subprocess.run([str(self.bin_dir / "pg_isready"), "-q", "-h", self.socket_dir, "-p", self.port, "-t", "2"],
                           cwd="/", stdin=subprocess.DEVNULL, capture_output=True, timeout=30)
        return p.returncode == 0

    def wait_accepting(self, timeout: float = 60) -> float:
        deadline = time.monotonic() + timeout
        while not self.accepting():
            if time.monotonic() > deadline:
                raise RuntimeError(f"PostgreSQL does not accept connections {timeout}s after start; see {self.server_log}")
            time.sleep(0.05)
        return time.monotonic()

    def ensure_up(self) -> None:
        """After a test, whatever happened in it: the cluster is running again."""
        if not self.running():
            self.start()
        self.wait_accepting()


# ---------------------------------------------------------------------------------------------
# Calls and their outcomes
# ---------------------------------------------------------------------------------------------


@dataclass
class Call:
    client: str
    tool: str
    url: str
    started: float  # monotonic
    ended: float
    status: int | None = None  # HTTP status; None when no answer arrived
    kind: str = ""  # ok | tool_error | jsonrpc_error | http_error | no_answer
    code: str | None = None  # tool error code, JSON-RPC error data.code (or its number), exception class
    request_id: str | None = None  # X-Request-ID
    correlation_id: str | None = None  # result._meta.correlation_id
    retry_after: str | None = None  # Retry-After header
    tool_retry_after: Any = None  # structuredContent.error.retry_after
    jsonrpc_id: Any = "-"  # the answer's id ("-" = no JSON-RPC answer)
    sent_id: Any = None
    excerpt: str = ""  # the answer (or the exception), shortened
    data: dict | None = None  # structuredContent of a success

    @property
    def seconds(self) -> float:
        return self.ended - self.started

    @property
    def ok(self) -> bool:
        return self.kind == "ok"

    def describe(self, t0: float = 0.0) -> str:
        return (f"[{self.client} {self.tool} {self.started - t0:+.2f}s..{self.ended - t0:+.2f}s ({self.seconds:.2f}s) "
                f"{self.url.split('/')[2]}] HTTP {self.status} {self.kind}/{self.code} request_id={self.request_id} "
                f"retry_after={self.retry_after} id={self.jsonrpc_id!r} body={self.excerpt}")


def classify(call: Call, response: httpx2.Response) -> Call:
    call.status = response.status_code
    call.request_id = response.headers.get("x-request-id")
    call.retry_after = response.headers.get("retry-after")
    call.excerpt = response.text[:400]
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        call.kind, call.code = "http_error", f"http_{response.status_code}"
        return call
    call.jsonrpc_id = body.get("id", "-")
    if isinstance(body.get("error"), dict):
        err = body["error"]
        data = err.get("data") if isinstance(err.get("data"), dict) else {}
        call.kind = "jsonrpc_error"
        call.code = str(data.get("code") or err.get("code"))
        return call
    result = body.get("result")
    if not isinstance(result, dict) or response.status_code != 200:
        call.kind, call.code = "http_error", f"http_{response.status_code}"
        return call
    call.correlation_id = (result.get("_meta") or {}).get("correlation_id")
    sc = result.get("structuredContent") if isinstance(result.get("structuredContent"), dict) else {}
    if result.get("isError"):
        err = sc.get("error") if isinstance(sc.get("error"), dict) else {}
        call.kind, call.code, call.tool_retry_after = "tool_error", err.get("code"), err.get("retry_after")
    else:
        call.kind, call.data = "ok", sc
    return call


def call_tool(client: RawClient, name: str, tool: str, args: dict | None = None, *, url: str | None = None) -> Call:
    """One tools/call through `client`, never raising: a missing answer is recorded as `no_answer`."""
    url = url or client.mcp_url
    msg_id = client.next_id()
    call = Call(client=name, tool=tool, url=url, started=time.monotonic(), ended=0.0, sent_id=msg_id)
    try:
        r = client.http.post(url, content=json.dumps({"jsonrpc": "2.0", "id": msg_id, "method": "tools/call",
                                                      "params": {"name": tool, "arguments": args or {}}}),
                             headers=client.headers())
        call.ended = time.monotonic()
        classify(call, r)
    except httpx2.HTTPError as e:
        call.ended = time.monotonic()
        call.kind, call.code, call.excerpt = "no_answer", type(e).__name__, str(e)[:300]
    return call


def open_client(mcp_url: str, key: str, tenant_id: str | None = None, timeout: float = HANG_S) -> RawClient:
    c = RawClient(mcp_url, key, tenant_id=tenant_id)
    c.http.timeout = httpx2.Timeout(timeout)
    c.open()
    return c


def counts(calls: Iterable[Call]) -> dict[str, int]:
    return dict(Counter(f"{c.kind}:{c.code}" if c.code else c.kind for c in calls).most_common())


def evidence(calls: Iterable[Call], t0: float = 0.0, n: int = 5) -> str:
    calls = list(calls)
    return "\n".join(c.describe(t0) for c in calls[:n]) + (f"\n… and {len(calls) - n} more" if len(calls) > n else "")


# ---------------------------------------------------------------------------------------------
# Load: concurrent sessions calling tools in a loop
# ---------------------------------------------------------------------------------------------


@dataclass
class Worker:
    name: str
    client: RawClient
    plan: list[tuple[str, dict]]  # (tool, arguments), cycled
    urls: list[str]  # where to send; on no answer the worker fails over to the next one
    retry_on_other: bool = False
    calls: list[Call] = field(default_factory=list)
    failovers: list[tuple[float, str]] = field(default_factory=list)
    error: BaseException | None = None


class Load:
    """Runs `Worker`s in threads until `stop()`; every call is kept in order, per worker and overall."""

    def __init__(self, workers: list[Worker], think_s: float = THINK_S):
        self.workers = workers
        self.think_s = think_s
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.t0 = time.monotonic()

    def _run(self, w: Worker) -> None:
        i = 0
        target = 0
        try:
            while not self._stop.is_set():
                tool, args = w.plan[i % len(w.plan)]
                i += 1
                call = call_tool(w.client, w.name, tool, args, url=w.urls[target])
                w.calls.append(call)
                if call.kind == "no_answer" and w.retry_on_other and len(w.urls) > 1:
                    # The client's own retry: same session id, same Authorization, the other replica.
                    target = (target + 1) % len(w.urls)
                    w.failovers.append((time.monotonic(), w.urls[target]))
                    w.calls.append(call_tool(w.client, w.name, tool, args, url=w.urls[target]))
                self._stop.wait(self.think_s)
        except BaseException as e:  # noqa: BLE001 - reported by the test
            w.error = e

    def start(self) -> "Load":
        self.t0 = time.monotonic()
        for w in self.workers:
            t = threading.Thread(target=self._run, args=(w,), name=f"load-{w.name}", daemon=True)
            t.start()
            self._threads.append(t)
        return self

    def stop(self) -> list[Call]:
        self._stop.set()
        for t in self._threads:
            t.join(HANG_S + 10)
        stuck = [t.name for t in self._threads if t.is_alive()]
        if stuck:
            raise AssertionError(f"load threads still waiting for an answer {HANG_S + 10:.0f}s after stop: {stuck}")
        errors = [(w.name, w.error) for w in self.workers if w.error]
        if errors:
            raise AssertionError(f"load threads crashed: {errors}")
        return self.calls

    @property
    def calls(self) -> list[Call]:
        return sorted((c for w in self.workers for c in w.calls), key=lambda c: c.started)

    def close(self) -> None:
        self._stop.set()
        for w in self.workers:
            w.client.close()


# ---------------------------------------------------------------------------------------------
# /readyz over time
# ---------------------------------------------------------------------------------------------


class ReadyPoller:
    """Polls GET /readyz every `every` seconds in a thread: (time, status or exception name, latency)."""

    def __init__(self, base_url: str, every: float = 0.1):
        self.url = base_url + "/readyz"
        self.every = every
        self.samples: list[tuple[float, Any, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="readyz", daemon=True)

    def _run(self) -> None:
        with httpx2.Client(timeout=HANG_S) as http:
            while not self._stop.is_set():
                t = time.monotonic()
                try:
                    status: Any = http.get(self.url).status_code
                except httpx2.HTTPError as e:
                    status = type(e).__name__
                self.samples.append((t, status, time.monotonic() - t))
                self._stop.wait(self.every)

    def start(self) -> "ReadyPoller":
        self._thread.start()
        return self

    def stop(self) -> list[tuple[float, Any, float]]:
        self._stop.set()
        self._thread.join(HANG_S + 5)
        return self.samples

    def between(self, a: float, b: float) -> list[tuple[float, Any, float]]:
        return [s for s in self.samples if a <= s[0] <= b]


# ---------------------------------------------------------------------------------------------
# Audit
# ---------------------------------------------------------------------------------------------

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def audit_rows(super_url: str, correlation_ids: Iterable[str]) -> dict[str, list[dict]]:
    """correlation id → its audit_log rows (action, outcome, error_code, replica_id), as superuser."""
    ids = sorted({i for i in correlation_ids if i})
    bad = [i for i in ids if not _UUID.match(i)]
    if bad:
        raise AssertionError(f"correlation ids that are not lowercase uuids: {bad[:5]}")
    out: dict[str, list[dict]] = {}
    for k in range(0, len(ids), 2000):
        chunk = ids[k:k + 2000]
        rows = psql_json(super_url, "SELECT correlation_id, action, outcome, error_code, replica_id FROM orderdesk.audit_log "
                                    f"WHERE correlation_id IN ({','.join(repr(i) for i in chunk)})")
        for r in rows:
            out.setdefault(r["correlation_id"], []).append(r)
    return out


def missing_audit(super_url: str, calls: Iterable[Call]) -> list[tuple[Call, str]]:
    """Successful calls without an `ok` audit row of their tool under their correlation id."""
    calls = [c for c in calls if c.ok]
    rows = audit_rows(super_url, [c.correlation_id for c in calls if c.correlation_id])
    missing = []
    for c in calls:
        if not c.correlation_id:
            missing.append((c, "no _meta.correlation_id"))
        elif c.correlation_id != c.request_id:
            missing.append((c, f"_meta.correlation_id {c.correlation_id} != X-Request-ID {c.request_id}"))
        elif not any(r["action"] == c.tool and r["outcome"] == "ok" for r in rows.get(c.correlation_id, [])):
            missing.append((c, f"audit rows: {rows.get(c.correlation_id, [])}"))
    return missing


def audit_mismatches(super_url: str, calls: Iterable[Call]) -> list[tuple[Call, str]]:
    """Tool results (successes and tool errors) whose final audit row is missing or says otherwise:
    a success needs an `ok` row of its tool, a tool error a row with its error code."""
    calls = [c for c in calls if c.kind in ("ok", "tool_error")]
    rows = audit_rows(super_url, [c.correlation_id for c in calls if c.correlation_id])
    out = []
    for c in calls:
        mine = [r for r in rows.get(c.correlation_id or "", []) if r["action"] == c.tool]
        if c.ok and not any(r["outcome"] == "ok" for r in mine):
            out.append((c, f"no ok row: {mine}"))
        elif c.kind == "tool_error" and not any(r["error_code"] == c.code and r["outcome"] != "started" for r in mine):
            out.append((c, f"no row with error_code {c.code}: {mine}"))
    return out


def log_lines(path: Path, pattern: str, n: int = 8) -> str:
    """The last `n` lines of a log matching `pattern` (evidence for a failure message)."""
    try:
        lines = [ln for ln in path.read_text(errors="replace").splitlines() if re.search(pattern, ln)]
    except OSError:
        return ""
    return "\n".join(lines[-n:])


def until_ok(client: RawClient, name: str, tool: str, args: dict, within: float) -> tuple[Call, list[Call]]:
    """What a client does after an outage: call until a success or `within` seconds have passed.
    Returns the last call and every call made."""
    deadline = time.monotonic() + within
    made = []
    while True:
        c = call_tool(client, name, tool, args)
        made.append(c)
        if c.ok or time.monotonic() >= deadline:
            return c, made
        time.sleep(0.05)


CRASH_PATTERNS = re.compile(r"Fatal error|Segmentation fault|SIGSEGV|SIGILL|SIGABRT|Illegal instruction|Current stack trace|\*\*\* Signal")


def crash_text(path: Path) -> str | None:
    """The first crash report in a process log (Swift runtime traps, signals), with context."""
    try:
        log = path.read_text(errors="replace")
    except OSError:
        return None
    m = CRASH_PATTERNS.search(log)
    return log[max(m.start() - 300, 0):m.start() + 1500] if m else None


def is_database_unavailable(c) -> bool:
    """The documented answer while PostgreSQL is away: a `database_unavailable` tool error inside a
    call, or HTTP 503 with `Retry-After` before a tool runs."""
    if c.kind == "tool_error":
        return c.status == 200 and c.code == "database_unavailable"
    if c.kind == "jsonrpc_error":
        return c.status == 503 and c.code == "database_unavailable" and c.retry_after is not None
    return False
