#!/usr/bin/env python3
"""The measuring half of `make bench`: bench/run.sh starts and stops the processes (PostgreSQL
database, simulator, server) and calls the subcommands here, which talk MCP, drive wrk and
pgbench, and write one JSON fragment per measurement into the run's work directory. `report`
assembles the fragments into bench/results/<UTC timestamp>.json (+ latest.json) and prints the
table. Python standard library only.

Exit status: 0 fine; 3 the harness broke (an error answer, a process died, a tool misbehaved).
A missed target is not an error: the table says FAIL.

Secrets (the master key, the store's API key, other keys) come from the environment or from files
in the 0700 work directory, never from the command line, and are never written to the results.
"""

from __future__ import annotations

import argparse
import glob
import http.client
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

PROTOCOL = "2025-11-25"
STATELESS = "2026-07-28"  # no initialize, no session: each request carries _meta and routing headers
STATELESS_META = {
    "io.modelcontextprotocol/protocolVersion": STATELESS,
    "io.modelcontextprotocol/clientCapabilities": {},
    "io.modelcontextprotocol/clientInfo": {"name": "bench", "version": "1"},
}
ACCEPT = "application/json, text/event-stream"
CLK_TCK = os.sysconf("SC_CLK_TCK")


class HarnessError(Exception):
    pass


def die(msg: str) -> None:
    raise HarnessError(msg)


# ---------------------------------------------------------------------------------------------
# Small helpers: JSON files, psql, /proc
# ---------------------------------------------------------------------------------------------


def read_json(path) -> dict:
    return json.loads(Path(path).read_text())


def write_json(path, data) -> None:
    tmp = Path(str(path) + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n")
    tmp.replace(path)


def psql(url: str, sql: str, check: bool = True) -> str:
    p = subprocess.run(
        ["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", url],
        input=sql, capture_output=True, text=True, timeout=120,
    )
    if check and p.returncode != 0:
        die(f"psql failed: {p.stderr.strip()}\nSQL: {sql[:400]}")
    return p.stdout if p.returncode == 0 else p.stderr


def psql_json(url: str, query: str) -> list:
    out = psql(url, f"SELECT coalesce(json_agg(q), '[]'::json) FROM ({query}) AS q;").strip()
    return json.loads(out or "[]")


def proc_cpu_seconds(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime


def postgres_cpu(dbname: str | None) -> dict[int, float]:
    """CPU seconds of the PostgreSQL backends serving `dbname` (their process title names it)."""
    out = {}
    if not dbname:
        return out
    marker = f" {dbname} ".encode()
    for stat in glob.glob("/proc/[0-9]*/stat"):
        pid = stat.split("/")[2]
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            if not cmdline.startswith(b"postgres: ") or marker not in cmdline:
                continue
            fields = Path(stat).read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[int(pid)] = (int(fields[11]) + int(fields[12])) / CLK_TCK
    return out


def machine_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs from /proc/stat."""
    parts = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = parts[3] + parts[4]  # idle + iowait
    total = sum(parts[:8])  # guest time is already part of user
    return total - idle, total


class CpuMeter:
    """CPU used by the server process, the bench database's PostgreSQL backends alive throughout
    (the server's pool), and the whole machine, between start() and stop()."""

    def __init__(self, server_pid: int | None, dbname: str | None = None):
        self.server_pid = server_pid
        self.dbname = dbname

    def start(self) -> None:
        self.t0 = time.monotonic()
        self.server0 = proc_cpu_seconds(self.server_pid) if self.server_pid else None
        self.pg0 = postgres_cpu(self.dbname)
        self.machine0 = machine_ticks()

    def stop(self) -> dict:
        wall = time.monotonic() - self.t0
        server1 = proc_cpu_seconds(self.server_pid) if self.server_pid else None
        pg1 = postgres_cpu(self.dbname)
        busy1, total1 = machine_ticks()
        busy0, total0 = self.machine0
        ncpu = os.cpu_count() or 1
        out = {"wall_s": round(wall, 3), "cpus": ncpu}
        out["machine_busy_cores"] = round((busy1 - busy0) / max(total1 - total0, 1) * ncpu, 2)
        if self.server0 is not None and server1 is not None:
            out["server_cpu_s"] = round(server1 - self.server0, 2)
        elif self.server_pid:
            die(f"the server (pid {self.server_pid}) is gone")
        out["postgres_cpu_s"] = round(sum(pg1[p] - self.pg0[p] for p in pg1 if p in self.pg0), 2)
        return out


def run_measured(argv: list[str], env: dict, stdout_path: Path, finished=None) -> tuple[int, float]:
    """Runs a load generator to completion; returns (exit status, its own CPU seconds). When
    `finished()` becomes true the generator is interrupted (SIGINT: wrk then reports as usual)."""
    with open(stdout_path, "wb") as out:
        proc = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT)
        interrupted = False
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG if finished else 0)
            if pid:
                break
            if not interrupted and finished():
                proc.send_signal(signal.SIGINT)
                interrupted = True
            time.sleep(0.05)
        proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, usage.ru_utime + usage.ru_stime


# ---------------------------------------------------------------------------------------------
# MCP over HTTP (keep-alive, one connection)
# ---------------------------------------------------------------------------------------------


def stateless_request(message: dict) -> tuple[dict, dict]:
    """`message` in the 2026-07-28 shape: `params._meta`, and the headers that repeat the revision,
    the method and (for tools/call) the tool name."""
    params = {**message.get("params", {}), "_meta": STATELESS_META}
    headers = {"MCP-Protocol-Version": STATELESS, "Mcp-Method": message["method"]}
    if message["method"] == "tools/call":
        headers["Mcp-Name"] = params["name"]
    return {**message, "params": params}, headers


class Mcp:
    def __init__(self, url: str):
        u = urllib.parse.urlsplit(url)
        self.host, self.port, self.path = u.hostname, u.port, u.path or "/"
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        self.next_id = 0

    def post(self, message: dict, key: str | None = None, session: str | None = None, stateless: bool = False):
        headers = {"Content-Type": "application/json", "Accept": ACCEPT}
        if key:
            headers["Authorization"] = f"Bearer {key}"
        if session:
            headers["Mcp-Session-Id"] = session
            headers["MCP-Protocol-Version"] = PROTOCOL
        if stateless:
            message, routing = stateless_request(message)
            headers.update(routing)
        body = json.dumps(message).encode()
        t0 = time.perf_counter()
        try:
            self.conn.request("POST", self.path, body=body, headers=headers)
            r = self.conn.getresponse()
            data = r.read()
        except (http.client.HTTPException, OSError):
            self.conn.close()
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
            raise
        elapsed = time.perf_counter() - t0
        try:
            parsed = json.loads(data) if data else None
        except ValueError:
            parsed = None
        return r.status, {k.lower(): v for k, v in r.getheaders()}, parsed, elapsed

    def request(self, method: str, params: dict | None = None, **kw):
        self.next_id += 1
        msg = {"jsonrpc": "2.0", "id": self.next_id, "method": method}
        if params is not None:
            msg["params"] = params
        return self.post(msg, **kw)

    def initialize(self, key: str | None) -> str:
        status, headers, body, _ = self.request(
            "initialize",
            {"protocolVersion": PROTOCOL, "capabilities": {}, "clientInfo": {"name": "orderdesk-mcp-bench", "version": "1"}},
            key=key,
        )
        sid = headers.get("mcp-session-id")
        if status != 200 or not sid:
            die(f"initialize: HTTP {status} {json.dumps(body)[:300]}")
        status, _, _, _ = self.post({"jsonrpc": "2.0", "method": "notifications/initialized"}, key=key, session=sid)
        if status != 202:
            die(f"notifications/initialized: HTTP {status}")
        return sid

    def tool(self, name: str, args: dict, key: str | None, session: str | None, stateless: bool = False) -> tuple[dict, float]:
        status, headers, body, elapsed = self.request(
            "tools/call", {"name": name, "arguments": args}, key=key, session=session, stateless=stateless)
        if status != 200 or not isinstance(body, dict) or "result" not in body:
            die(f"{name}: HTTP {status} {json.dumps(body)[:400]}")
        result = body["result"]
        if result.get("isError"):
            die(f"{name}: tool error {json.dumps(result.get('structuredContent'))[:400]}")
        if stateless and (result.get("resultType") != "complete" or "mcp-session-id" in headers):
            die(f"{name} ({STATELESS}): resultType {result.get('resultType')!r}, session {headers.get('mcp-session-id')!r}")
        return result.get("structuredContent") or {}, elapsed


def master_key() -> str:
    key = os.environ.get("BENCH_MASTER_KEY")
    if not key:
        die("BENCH_MASTER_KEY is not set")
    return key


def sim_get(sim: str, path: str, store_id: str, store_key: str) -> dict:
    u = urllib.parse.urlsplit(sim)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    conn.request("GET", "/api/v2" + path, headers={"ORDERDESK-STORE-ID": store_id, "ORDERDESK-API-KEY": store_key})
    r = conn.getresponse()
    data = r.read()
    conn.close()
    if r.status != 200:
        die(f"simulator GET {path}: HTTP {r.status} {data[:200]!r}")
    return json.loads(data)


# ---------------------------------------------------------------------------------------------
# setup / warm: sessions, the store, order ids, a warmed cache
# ---------------------------------------------------------------------------------------------


def cmd_setup(a) -> None:
    key = master_key()
    store_key = os.environ.get("BENCH_STORE_KEY") or die("BENCH_STORE_KEY is not set")
    mcp = Mcp(a.mcp)
    session = mcp.initialize(key)
    reg, _ = mcp.tool("stores_register", {"store_id": a.store_id, "api_key": store_key, "name": "Bench Store"}, key, session)
    store_uuid = reg["store"]["id"]
    mcp.tool("stores_use_store", {"store": store_uuid}, key, session)
    unauth = mcp.initialize(None)  # a session without a key (for the known-key cost comparison)
    ids: list[str] = []
    while True:
        page = sim_get(a.sim, f"/orders?limit=500&offset={len(ids)}", a.store_id, store_key)
        ids += [str(o["id"]) for o in page["orders"]]
        if not page["orders"] or len(ids) >= int(page.get("total_records", 0)):
            break
    if len(ids) < 64:
        die(f"the simulator seeded only {len(ids)} orders")
    Path(a.ids_file).write_text("\n".join(ids) + "\n")
    state = {"session": session, "unauth_session": unauth, "store_uuid": store_uuid, "store_id": a.store_id,
             "order_id": ids[0], "order_ids": len(ids)}
    write_json(a.state, state)
    print(f"bench: session ready, store {store_uuid}, {len(ids)} orders in the simulator")


def orders_get_body(order_id: str, rid: int = 1) -> dict:
    return {"jsonrpc": "2.0", "id": rid, "method": "tools/call", "params": {"name": "orders_get", "arguments": {"order_id": order_id}}}


def cmd_warm(a) -> None:
    state = read_json(a.state)
    key, mcp = master_key(), Mcp(a.mcp)
    cached, session = None, None if a.stateless else state["session"]
    for _ in range(a.calls):
        sc, _ = mcp.tool("orders_get", {"order_id": state["order_id"]}, key, session, a.stateless)
        cached = sc.get("cached")
        if str(sc.get("order", {}).get("id")) != state["order_id"]:
            die(f"orders_get answered order {sc.get('order', {}).get('id')!r}, asked for {state['order_id']}")
    if a.expect_cached is not None and cached != (a.expect_cached == "true"):
        die(f"orders_get after warm-up: cached={cached}, expected {a.expect_cached}")


# ---------------------------------------------------------------------------------------------
# capture: the SQL one cached orders_get sends, and a pgbench script that replays it
# ---------------------------------------------------------------------------------------------

LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)? \S+ \[(\d+)\] (\w+):  (.*)$")
PARAM = re.compile(r"\$(\d+) = (NULL|'(?:[^']|'')*')")
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
NUM_RE = re.compile(r"^-?\d+(\.\d+)?([eE][-+]?\d+)?$")
PLACEHOLDER = re.compile(r"\$(\d+)(?!\d)")


def parse_statement_log(text: str, pids: set[int]) -> list[dict]:
    """`log_statement = all` output → [{pid, sql, params{n: value|None}}] in log order."""
    messages: list[list] = []  # [pid, level, text]
    for line in text.splitlines():
        m = LOG_LINE.match(line)
        if m:
            messages.append([int(m.group(1)), m.group(2), m.group(3)])
        elif messages:
            messages[-1][2] += "\n" + (line[1:] if line.startswith("\t") else line)
    out: list[dict] = []
    for pid, level, body in messages:
        if pid not in pids:
            continue
        if level == "LOG" and (body.startswith("execute ") or body.startswith("statement: ")):
            sql = body.split(": ", 1)[1]
            out.append({"pid": pid, "sql": sql, "params": {}})
        elif level == "DETAIL" and body.startswith("parameters: ") and out and out[-1]["pid"] == pid:
            for m in PARAM.finditer(body):
                v = m.group(2)
                out[-1]["params"][int(m.group(1))] = None if v == "NULL" else v[1:-1].replace("''", "'")
    return out


def split_transactions(stmts: list[dict]) -> list[list[dict]]:
    """Groups statements per connection into BEGIN … COMMIT/ROLLBACK units (a lone statement is
    its own unit), in the order the units started."""
    open_tx: dict[int, list[dict]] = {}
    units: list[list[dict]] = []
    for s in stmts:
        word = s["sql"].strip().split(None, 1)[0].upper() if s["sql"].strip() else ""
        if s["pid"] in open_tx:
            open_tx[s["pid"]].append(s)
            if word in ("COMMIT", "ROLLBACK", "END"):
                del open_tx[s["pid"]]
        elif word in ("BEGIN", "START"):
            unit = [s]
            open_tx[s["pid"]] = unit
            units.append(unit)
        else:
            units.append([s])
    return units


def cast_variants(values: dict[int, str | None]) -> list[dict[int, str]]:
    """Casts to try on a statement's parameters, most faithful first. The server binds Swift
    Strings with type 0 (the server infers it, as for pgbench's parameters) and numbers and uuids
    typed; the log shows only the values, so a statement whose untyped form is ambiguous
    (`$3 - $4`) gets its numbers, then its uuids, cast."""
    nums = {n: v for n, v in values.items() if v is not None and NUM_RE.match(v)}
    uuids = {n for n, v in values.items() if v is not None and UUID_RE.match(v)}
    variants = [{}, {n: "float8" for n in nums}, {n: ("float8" if re.search(r"[.eE]", v) else "int8") for n, v in nums.items()}]
    variants.append({**variants[1], **{n: "uuid" for n in uuids}})
    seen, out = set(), []
    for v in variants:
        k = tuple(sorted(v.items()))
        if k not in seen:
            seen.add(k)
            out.append(v)
    return out


def render(sql: str, index: int, values: dict[int, str | None], casts: dict[int, str], pgbench: bool) -> str:
    def sub(m):
        n = int(m.group(1))
        if values.get(n) is None:
            return "NULL" if not casts.get(n) else f"NULL::{casts[n]}"
        ref = f":p{index}_{n}" if pgbench else "'" + values[n].replace("'", "''") + "'"
        return f"{ref}::{casts[n]}" if casts.get(n) else ref

    return PLACEHOLDER.sub(sub, sql)


def cmd_capture(a) -> None:
    state = read_json(a.state)
    key, mcp = master_key(), Mcp(a.mcp)
    log = Path(a.log_file)
    psql(a.db_url, "SELECT pg_stat_statements_reset();")
    offset = log.stat().st_size
    order = state["order_id"]
    for _ in range(a.calls):
        sc, _ = mcp.tool("orders_get", {"order_id": order}, key, state["session"])
        if sc.get("cached") is not True:
            die("capture: an orders_get call was not served from the cache")
    time.sleep(0.3)  # let the backends' log lines reach the file
    with open(log, "rb") as f:
        f.seek(offset)
        text = f.read().decode("utf-8", "replace")
    pids = {int(r["pid"]) for r in psql_json(a.admin_url, f"SELECT pid FROM pg_stat_activity WHERE datname = '{a.dbname}' AND usename = 'orderdesk_app'")}
    if not pids:
        die("capture: the server holds no connection to the bench database")
    stmts = parse_statement_log(text, pids)
    if not stmts:
        die(f"capture: no statements found in {log} (is log_statement = all active for the database?)")
    units = split_transactions(stmts)
    # Units whose statement texts are rare (the cache sweeper, a session touch) are not part of the
    # steady call; the rest must repeat with period len/K.
    def unit_key(u):
        return tuple(s["sql"] for s in u)

    counts: dict = {}
    for u in units:
        counts[unit_key(u)] = counts.get(unit_key(u), 0) + 1
    steady = [u for u in units if counts[unit_key(u)] >= a.calls * 0.9]
    period, rest = divmod(len(steady), a.calls)
    if period == 0 or rest:
        die(f"capture: {len(steady)} transactions for {a.calls} calls is not a whole number per call")
    for i, u in enumerate(steady):
        if unit_key(u) != unit_key(steady[i % period]):
            die("capture: the calls did not send the same statement sequence")
    one_call = steady[-period:]
    ignored = [unit_key(u)[1 if len(u) > 1 else 0][:80] for u in units if counts[unit_key(u)] < a.calls * 0.9]

    # The pgbench script, each statement checked with PREPARE as the app role (casts if needed).
    tenant = None
    for u in one_call:
        for s in u:
            if TENANT_SETTING in s["sql"]:
                tenant = s["params"].get(1)
    lines = [
        "-- Generated by bench/bench.py capture: the statements the server sent for ONE cached orders_get",
        f"-- call (the last of {a.calls} logged with log_statement = all), in order, with this run's values as",
        "-- pgbench variables, bound as parameters of prepared statements (-M prepared), each transaction",
        "-- sent as one pipeline (\\startpipeline … \\endpipeline), as the server sends them.",
        "",
    ]
    variables: dict[str, str] = {}
    statements = []
    index = 0
    for u in one_call:
        lines.append("\\startpipeline")
        for s in u:
            index += 1
            values = s["params"]
            chosen = None
            error = ""
            for casts in cast_variants(values) if values else [{}]:
                sql = render(s["sql"], index, values, casts, pgbench=False)
                head = "BEGIN;\n" + (f"SELECT set_config('app.tenant_id', '{tenant}', true);\n" if tenant else "")
                if re.match(r"^\s*(BEGIN|COMMIT|ROLLBACK|END|START)\b", sql, re.I):
                    chosen = casts
                    break
                # Parameters become untyped literals here, which the server resolves like untyped
                # parameters; PREPARE only parses and plans.
                check = psql(a.app_url, head + f"PREPARE bench_check AS {sql};\nROLLBACK;\n", check=False)
                if "ERROR" not in check:
                    chosen = casts
                    break
                error = check.strip()
            if chosen is None:
                die(f"capture: statement {index} does not prepare as orderdesk_app: {error}\n{s['sql'][:300]}")
            for n, v in values.items():
                if v is not None:
                    variables[f"p{index}_{n}"] = v
            lines.append(render(s["sql"], index, values, chosen, pgbench=True).rstrip().rstrip(";") + ";")
            statements.append({"sql": s["sql"], "casts": {str(k): v for k, v in chosen.items()}})
        lines.append("\\endpipeline")
    Path(a.script).write_text("\n".join(lines) + "\n")
    write_json(a.vars, variables)

    pgss = pgss_snapshot(a.db_url)
    write_json(a.out, {
        "calls": a.calls,
        "transactions_per_call": period,
        "statements_per_call": index,
        "ignored_units": ignored,
        "statements": statements,
        "pgbench_script": Path(a.script).read_text(),
        "pg_stat_statements_sequential": pgss_per_call(pgss, a.calls),
    })
    print(f"bench: captured {index} statements in {period} transactions per cached orders_get call")


TENANT_SETTING = "SELECT set_config('app.tenant_id'"
PGSS_QUERY = """
SELECT s.queryid::text AS queryid, s.calls, s.total_exec_time AS total_ms, s.mean_exec_time AS mean_ms, s.rows,
       regexp_replace(s.query, '\\s+', ' ', 'g') AS query
FROM pg_stat_statements AS s
WHERE s.dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND s.userid = 'orderdesk_app'::regrole
"""


def pgss_snapshot(url: str) -> list[dict]:
    return psql_json(url, PGSS_QUERY)


def pgss_per_call(rows: list[dict], calls: int) -> dict:
    rows = sorted(rows, key=lambda r: -r["total_ms"])
    per = []
    for r in rows:
        per.append({
            "per_call": round(r["calls"] / calls, 3),
            "mean_ms": round(r["mean_ms"], 4),
            "ms_per_call": round(r["total_ms"] / calls, 4),
            "query": r["query"][:160],
        })
    return {
        "calls": calls,
        "statements_per_call": round(sum(r["calls"] for r in rows) / calls, 2),
        # Every per-call transaction is a tenant transaction and starts with the tenant setting
        # (BEGIN and COMMIT, sent in the same pipeline, do not show up in pg_stat_statements).
        "transactions_per_call": round(sum(r["calls"] for r in rows if r["query"].startswith(TENANT_SETTING)) / calls, 2),
        "exec_ms_per_call": round(sum(r["total_ms"] for r in rows) / calls, 4),
        "statements": per,
    }


# ---------------------------------------------------------------------------------------------
# wrk and pgbench runs
# ---------------------------------------------------------------------------------------------


def us_to_ms(v) -> float:
    return round(float(v) / 1000.0, 3)


def cmd_wrk(a) -> None:
    state = read_json(a.state) if a.state else {}
    workdir = Path(a.out).parent
    threads = max(1, min(a.threads, a.conns))
    headers = []
    body = a.body or ""
    if a.mcp_session or a.stateless:
        if a.auth:
            headers.append(f"Authorization: Bearer {master_key()}")
        headers += ["Content-Type: application/json", f"Accept: {ACCEPT}"]
    if a.mcp_session:
        headers += [f"Mcp-Session-Id: {state[a.mcp_session]}", f"MCP-Protocol-Version: {PROTOCOL}"]
    if a.stateless:
        message, routing = stateless_request(json.loads(body))
        body = json.dumps(message, separators=(",", ":"))
        headers += [f"{k}: {v}" for k, v in routing.items()]
    if a.sim_store:
        store_key = os.environ.get("BENCH_STORE_KEY") or die("BENCH_STORE_KEY is not set")
        headers += [f"ORDERDESK-STORE-ID: {state['store_id']}", f"ORDERDESK-API-KEY: {store_key}"]
    body = body.replace("{ORDER}", state.get("order_id", ""))
    expect = [e.replace("{ORDER}", state.get("order_id", "")) for e in a.expect or []]
    raw_out = workdir / f"{a.label}.lua.json"
    env = dict(os.environ)
    env.update({
        "WRK_METHOD": a.method, "WRK_BODY": body, "WRK_HEADERS": "\n".join(headers), "WRK_EXPECT": "\n".join(expect),
        "WRK_COUNT": a.count or "", "WRK_IDS_FILE": a.ids_file or "", "WRK_THREADS": str(threads),
        "WRK_OUT": str(raw_out),
    })
    if a.stop_after:
        env["WRK_STOP_AFTER"] = str(a.stop_after)
    for old in [raw_out, *glob.glob(f"{raw_out}.stopped.*")]:
        Path(old).unlink(missing_ok=True)
    finished = None
    if a.stop_after:
        finished = lambda: len(glob.glob(f"{raw_out}.stopped.*")) >= threads  # noqa: E731
    argv = ["wrk", "-t", str(threads), "-c", str(a.conns), "-d", f"{a.duration}s", "--timeout", "10s", "--latency",
            "-s", str(Path(__file__).with_name("wrk_call.lua")), a.url]
    pgss = bool(a.pgss_db)
    if pgss:
        psql(a.pgss_db, "SELECT pg_stat_statements_reset();")
    meter = CpuMeter(a.server_pid, a.dbname)
    meter.start()
    status, wrk_cpu = run_measured(argv, env, workdir / f"{a.label}.wrk.txt", finished)
    for old in glob.glob(f"{raw_out}.stopped.*"):
        os.unlink(old)
    cpu = meter.stop()
    if status != 0 or not raw_out.exists():
        die(f"wrk {a.label} failed ({status}): {(workdir / f'{a.label}.wrk.txt').read_text()[-1500:]}")
    r = read_json(raw_out)
    seconds = r["duration_us"] / 1e6
    errors = r["bad_status"] + r["bad_body"] + sum(r["socket_errors"].values())
    out = {
        "label": a.label,
        "connections": a.conns,
        "threads": threads,
        "seconds": round(seconds, 2),
        "requests": r["requests"],
        "good": r["good"],
        "errors": errors,
        "calls_per_s": round(r["good"] / seconds, 1),
        "p50_ms": us_to_ms(r["latency_us"]["p50"]),
        "p90_ms": us_to_ms(r["latency_us"]["p90"]),
        "p99_ms": us_to_ms(r["latency_us"]["p99"]),
        "max_ms": us_to_ms(r["latency_us"]["max"]),
        "mean_ms": us_to_ms(r["latency_us"]["mean"]),
        "cpu": {**cpu, "wrk_cpu_s": round(wrk_cpu, 2), "wrk_cores": round(wrk_cpu / max(cpu["wall_s"], 1e-9), 2)},
    }
    if "server_cpu_s" in cpu and r["good"]:
        out["server_cpu_us_per_call"] = round(cpu["server_cpu_s"] / r["good"] * 1e6, 1)
        out["cpu"]["server_cores"] = round(cpu["server_cpu_s"] / cpu["wall_s"], 2)
    if r["good"]:
        out["postgres_cpu_us_per_call"] = round(cpu["postgres_cpu_s"] / r["good"] * 1e6, 1)
    out["cpu"]["postgres_cores"] = round(cpu["postgres_cpu_s"] / cpu["wall_s"], 2)
    if a.count:
        out["counted"] = r["counted"]
        out["counted_marker"] = a.count
    if pgss and r["good"]:
        # Calls the server handled while the snapshot ran: one audit row each (wrk's count misses
        # the requests still in flight when it stopped).
        rows = pgss_snapshot(a.pgss_db)
        audit = [x["calls"] for x in rows if x["query"].startswith("INSERT INTO orderdesk.audit_log")]
        out["pg_stat_statements"] = pgss_per_call(rows, audit[0] if len(audit) == 1 else r["requests"])
    write_json(a.out, out)
    line = (f"bench: {a.label}: {out['calls_per_s']:.0f}/s p50 {out['p50_ms']} ms p99 {out['p99_ms']} ms "
            f"max {out['max_ms']} ms ({r['good']} ok, {errors} errors; wrk {out['cpu']['wrk_cores']} cores)")
    print(line, flush=True)
    if errors:
        die(f"{a.label}: {errors} failed answers (status {r['bad_status']}, body {r['bad_body']}, "
            f"socket {r['socket_errors']}); first: {r['first_bad']}")
    if a.count and a.require_count and r["counted"] != r["good"]:
        die(f"{a.label}: only {r['counted']} of {r['good']} answers contained {a.count}")


def percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return float("nan")
    k = max(0, min(len(sorted_values) - 1, int(round(p / 100.0 * len(sorted_values) + 0.5)) - 1))
    return sorted_values[k]


def cmd_pgbench(a) -> None:
    workdir = Path(a.out).parent
    variables = read_json(a.vars)
    prefix = workdir / f"{a.label}.log"
    for old in glob.glob(f"{prefix}*"):
        os.unlink(old)
    threads = max(1, min(a.threads, a.clients))
    argv = ["pgbench", "-n", "-M", a.protocol, "-c", str(a.clients), "-j", str(threads), "-T", str(a.duration),
            "-f", a.script, "-l", f"--log-prefix={prefix}"]
    for k, v in variables.items():
        argv += ["-D", f"{k}={v}"]
    argv.append(a.url)
    meter = CpuMeter(None)
    meter.start()
    status, client_cpu = run_measured(argv, dict(os.environ), workdir / f"{a.label}.pgbench.txt")
    cpu = meter.stop()
    text = (workdir / f"{a.label}.pgbench.txt").read_text()
    failed = re.search(r"number of failed transactions: (\d+)", text)
    if status != 0 or (failed and int(failed.group(1)) > 0):
        die(f"pgbench {a.label} failed ({status}):\n{text[-2000:]}")
    tps = re.search(r"tps = ([\d.]+) \(without initial connection time\)", text)
    lat = []
    for path in glob.glob(f"{prefix}*"):
        with open(path) as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 3:
                    lat.append(int(parts[2]))
    lat.sort()
    out = {
        "label": a.label,
        "clients": a.clients,
        "threads": threads,
        "protocol": a.protocol,
        "transactions": len(lat),
        "tps": round(float(tps.group(1)), 1) if tps else round(len(lat) / a.duration, 1),
        "p50_ms": us_to_ms(percentile(lat, 50)),
        "p99_ms": us_to_ms(percentile(lat, 99)),
        "max_ms": us_to_ms(lat[-1]) if lat else None,
        "cpu": {**cpu, "pgbench_cpu_s": round(client_cpu, 2), "pgbench_cores": round(client_cpu / max(cpu["wall_s"], 1e-9), 2)},
    }
    for old in glob.glob(f"{prefix}*"):
        os.unlink(old)
    write_json(a.out, out)
    print(f"bench: {a.label}: {out['tps']:.0f} tps p50 {out['p50_ms']} ms p99 {out['p99_ms']} ms", flush=True)


# ---------------------------------------------------------------------------------------------
# authentication, RSS
# ---------------------------------------------------------------------------------------------


def cmd_auth(a) -> None:
    """First use of each fresh key (argon2 verification on this replica) vs. its second use (the
    verified-key cache), both as `ping` on the bench session, sequentially."""
    state = read_json(a.state)
    keys = [k for k in Path(a.keys_file).read_text().split() if k]
    mcp = Mcp(a.mcp)
    first, second = [], []
    for key in keys:
        for bucket in (first, second):
            status, _, body, elapsed = mcp.request("ping", key=key, session=state["session"])
            if status != 200 or not isinstance(body, dict) or "result" not in body:
                die(f"auth: ping with a fresh key: HTTP {status} {json.dumps(body)[:200]}")
            bucket.append(elapsed * 1000)
    first.sort()
    second.sort()
    write_json(a.out, {
        "keys": len(keys),
        "first_use_ms": {"p50": round(statistics.median(first), 2), "min": round(first[0], 2), "max": round(first[-1], 2)},
        "second_use_ms": {"p50": round(statistics.median(second), 2), "min": round(second[0], 2), "max": round(second[-1], 2)},
        "verification_ms_p50": round(statistics.median(f - s for f, s in zip(first, second)), 2),
    })
    print(f"bench: auth: first use p50 {statistics.median(first):.1f} ms, second use p50 {statistics.median(second):.2f} ms")


def cmd_load(a) -> None:
    """How busy the machine is before the run (other people's tests skew every number)."""
    busy0, total0 = machine_ticks()
    time.sleep(a.seconds)
    busy1, total1 = machine_ticks()
    cores = round((busy1 - busy0) / max(total1 - total0, 1) * (os.cpu_count() or 1), 2)
    print(cores)
    if cores > 0.3:
        print(f"bench: warning: the machine is already busy ({cores} cores) before the benchmark starts;"
              " the numbers will be lower than on an idle machine", file=sys.stderr)


def cmd_rss(a) -> None:
    status = Path(f"/proc/{a.pid}/status").read_text() if Path(f"/proc/{a.pid}/status").exists() else ""
    fields = dict(re.findall(r"^(Vm\w+):\s+(\d+) kB", status, re.M))
    if "VmHWM" not in fields:
        die(f"rss: the server (pid {a.pid}) is gone")
    path = Path(a.out)
    data = read_json(path) if path.exists() else {"points": []}
    calls = sum(read_json(f)["good"] for f in a.calls_from) if a.calls_from else a.calls
    point = {"label": a.label, "calls": calls, "vm_hwm_mb": round(int(fields["VmHWM"]) / 1024, 1),
             "vm_rss_mb": round(int(fields["VmRSS"]) / 1024, 1)}
    data["points"].append(point)
    write_json(path, data)
    print(f"bench: rss ({a.label}, {calls} calls): VmHWM {point['vm_hwm_mb']} MB, VmRSS {point['vm_rss_mb']} MB")


# ---------------------------------------------------------------------------------------------
# report
# ---------------------------------------------------------------------------------------------


def fmt(v, digits=1) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.{digits}f}"
    return str(v)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


COST_KEYS = ("calls_per_s", "p50_ms", "p99_ms", "server_cpu_us_per_call", "postgres_cpu_us_per_call",
             "statements_per_call", "transactions_per_call")


def call_costs(point: dict) -> dict:
    """Throughput, latency, CPU and SQL per call of one wrk point (SQL from pg_stat_statements)."""
    pgss = point.get("pg_stat_statements") or {}
    return {k: point.get(k, pgss.get(k)) for k in COST_KEYS}


def compare(old: dict, new: dict) -> dict:
    o, n = call_costs(old), call_costs(new)
    keys = [k for k in COST_KEYS if o[k] is not None and n[k] is not None]
    return {"difference": {k: round(n[k] - o[k], 3) for k in keys},
            "relative": {k: round(n[k] / o[k] - 1, 4) for k in keys if o[k]}}


def print_sql(title: str, seq: dict | None, load: dict) -> None:
    """The statements of one cached call under load (@32) with their mean time sequentially (@1)."""
    seq_by_query = {st["query"]: st for st in (seq or {}).get("statements", [])}
    print(f"{title} (pg_stat_statements): {load['statements_per_call']} statements in {load.get('transactions_per_call', '-')}"
          f" transactions; executor time per call {seq['exec_ms_per_call'] if seq else '-'} ms @1,"
          f" {load['exec_ms_per_call']} ms @32")
    print("  per call  mean ms @1  mean ms @32  statement")
    rare = [st for st in load["statements"] if st["per_call"] < 0.01]
    for st in load["statements"]:
        if st["per_call"] >= 0.01:
            one = seq_by_query.get(st["query"], {}).get("mean_ms")
            print(f"  {st['per_call']:>8.2f} {fmt(one, 4):>11} {st['mean_ms']:>12.4f}  {st['query'][:90]}")
    if rare:
        print(f"  (+ {len(rare)} statements not part of the call, e.g. the cache sweeper or a key lookup: "
              f"{sum(st['ms_per_call'] for st in rare):.4f} ms per call in total)")
    print("")


def cmd_report(a) -> None:
    work = Path(a.work)
    meta = read_json(work / "meta.json")
    frag = lambda name: read_json(work / name) if (work / name).exists() else None  # noqa: E731
    concurrencies = [int(c) for c in meta["concurrency"].split()]
    pool = int(meta["db_pool_size"])
    capture = frag("capture.json")
    cached, floor = [], []
    for c in concurrencies:
        s, f = frag(f"cached_c{c}.json"), frag(f"floor_c{c}.json")
        row = {"connections": c, "server": s, "floor": f}
        if s and f and f["tps"]:
            row["server_over_floor"] = round(s["calls_per_s"] / f["tps"], 3)
        cached.append(row)
    # The same call in the 2026-07-28 shape, each point right after the 2025-11-25 one.
    stateless_points = []
    for row in cached:
        s = frag(f"stateless_c{row['connections']}.json")
        if s and row["server"]:
            stateless_points.append({"connections": row["connections"], "server": s,
                                     f"versus_{PROTOCOL}": compare(row["server"], s)})
    floor_pool = frag(f"floor_pool.json")
    uncached, sim_direct = frag("uncached.json"), frag("sim_direct.json")
    update, auth = frag("update.json"), frag("auth.json")
    ping_key, ping_nokey = frag("ping_key.json"), frag("ping_nokey.json")
    rss = frag("rss.json")

    result = {
        "schema": 1,
        "timestamp": meta["timestamp"],
        "meta": meta,
        "sql_per_cached_call": capture,
        "cached_orders_get": cached,
        f"cached_orders_get_{STATELESS}": stateless_points,
        "floor_at_pool_size": floor_pool,
        "uncached_orders_get": {"server": uncached, "simulator_direct": sim_direct},
        "orders_update": update,
        "auth": {"first_use": auth, "ping_known_key": ping_key, "ping_without_key": ping_nokey},
        "rss": rss,
    }
    if uncached and sim_direct:
        result["uncached_orders_get"]["added_ms"] = {
            "p50": round(uncached["p50_ms"] - sim_direct["p50_ms"], 3),
            "p99": round(uncached["p99_ms"] - sim_direct["p99_ms"], 3),
        }
    if ping_key and ping_nokey:
        result["auth"]["known_key_cost_ms_p50"] = round(ping_key["p50_ms"] - ping_nokey["p50_ms"], 3)

    # Targets
    targets = []
    at32 = next((r for r in cached if r["connections"] == 32), None)
    if at32 and at32["server"]:
        s = at32["server"]
        targets.append({"target": "cached orders_get @32: >= 2000 calls/s", "value": s["calls_per_s"], "pass": s["calls_per_s"] >= 2000})
        targets.append({"target": "cached orders_get @32: p99 <= 25 ms", "value": s["p99_ms"], "pass": s["p99_ms"] <= 25})
    if at32 and "server_over_floor" in at32:
        targets.append({"target": "server / floor @32 >= 0.5", "value": at32["server_over_floor"], "pass": at32["server_over_floor"] >= 0.5})
    if "added_ms" in result["uncached_orders_get"]:
        v = result["uncached_orders_get"]["added_ms"]["p50"]
        targets.append({"target": "uncached: added upstream overhead p50 <= 2 ms", "value": v, "pass": v <= 2})
    by_label = {p["label"]: p for p in rss["points"]} if rss else {}
    if "first" in by_label and "total" in by_label:
        r10, r100 = by_label["first"]["vm_hwm_mb"], by_label["total"]["vm_hwm_mb"]
        ratio = round(r100 / r10, 3)
        rss["ratio"] = ratio
        targets.append({"target": "RSS after 100k <= 1.2 x RSS after 10k", "value": ratio, "pass": ratio <= 1.2})
        targets.append({"target": "RSS after 100k <= 200 MB", "value": r100, "pass": r100 <= 200})
        if "after_curve" in by_label:
            rss["ratio_after_curve_to_total"] = round(by_label["after_curve"]["vm_hwm_mb"] / r100, 3)
    result["targets"] = targets

    stamp = meta["timestamp"].replace(":", "").replace("-", "")
    results_dir = Path(a.results_dir)
    results_dir.mkdir(parents=True, exist_ok=True)
    for name in (f"{stamp}.json", "latest.json"):
        write_json(results_dir / name, result)
        os.chmod(results_dir / name, 0o644)  # the run's umask is 077 (its work directory holds secrets)

    # The table
    P = print
    P("")
    P(f"orderdesk-mcp bench  {meta['timestamp']}  {meta['build']} binaries ({meta['bin_dir']}, sha256 {meta.get('bin_sha256', '?')})"
      f"  checkout {meta['commit']}")
    P(f"  {meta['cpus']} CPUs shared by load generator, server, PostgreSQL and simulator; {meta['duration']} s per point;"
      f" DB_POOL_SIZE={pool}; machine busy before the run: {meta.get('background_busy_cores')} cores;"
      f" run took {meta.get('elapsed_s')} s")
    if capture:
        P(f"  one cached orders_get = {capture['statements_per_call']} SQL statements in {capture['transactions_per_call']}"
          " transactions (captured with log_statement=all; the floor replays them with pgbench -M prepared, one pipeline per transaction, as the server sends them)")
    P("")
    P("cached orders_get (one order id, warm cache)          | floor: pgbench, same SQL      | server/ | CPU cores: wrk srv  pg  busy")
    P(" conns   calls/s   p50 ms   p99 ms   max ms  errors |    tps   p50 ms   p99 ms     |  floor  |")
    for row in cached:
        s, f = row["server"] or {}, row["floor"] or {}
        cpu = s.get("cpu", {})
        P(f" {row['connections']:>5} {fmt(s.get('calls_per_s')):>9} {fmt(s.get('p50_ms'),2):>8} {fmt(s.get('p99_ms'),2):>8}"
          f" {fmt(s.get('max_ms'),2):>8} {fmt(s.get('errors')):>7} | {fmt(f.get('tps')):>7} {fmt(f.get('p50_ms'),2):>8}"
          f" {fmt(f.get('p99_ms'),2):>8}     | {fmt(row.get('server_over_floor'),2):>6}  |"
          f"       {fmt(cpu.get('wrk_cores'),2)} {fmt(cpu.get('server_cores'),2)} {fmt(cpu.get('postgres_cores'),2)}"
          f" {fmt(cpu.get('machine_busy_cores'),2)}")
    if floor_pool:
        P(f" floor with -c {pool} (= DB_POOL_SIZE, the server's own limit): {fmt(floor_pool['tps'])} tps,"
          f" p50 {fmt(floor_pool['p50_ms'],2)} ms, p99 {fmt(floor_pool['p99_ms'],2)} ms")
    if at32 and at32["server"] and at32["server"].get("server_cpu_us_per_call"):
        P(f" server CPU per call @32: {at32['server']['server_cpu_us_per_call']} us")
    P("")
    if stateless_points:
        P(f"cached orders_get by protocol revision (same server and order; each {STATELESS} point right after the {PROTOCOL} one)")
        P(" conns  revision                 calls/s   p50 ms   p99 ms   server us/call    pg us/call  stmts/call  xacts/call")
        for point in stateless_points:
            c = point["connections"]
            old = next(r["server"] for r in cached if r["connections"] == c)
            for label, s in ((f"{PROTOCOL} session", old), (f"{STATELESS} stateless", point["server"])):
                k = call_costs(s)
                P(f" {c:>5}  {label:<21} {fmt(k['calls_per_s']):>9} {fmt(k['p50_ms'],2):>8} {fmt(k['p99_ms'],2):>8}"
                  f" {fmt(k['server_cpu_us_per_call']):>16} {fmt(k['postgres_cpu_us_per_call']):>13}"
                  f" {fmt(k['statements_per_call'],2):>11} {fmt(k['transactions_per_call'],2):>11}")
            d, r = point[f"versus_{PROTOCOL}"]["difference"], point[f"versus_{PROTOCOL}"]["relative"]
            sign = lambda key, digits: f"{d[key]:+.{digits}f}" if key in d else "-"  # noqa: E731
            cpu = lambda key: f"{sign(key, 0)} ({r[key]:+.1%})" if key in r else sign(key, 0)  # noqa: E731
            P(f" {c:>5}  {'difference':<21} {r['calls_per_s']:>+9.1%} {sign('p50_ms', 2):>8} {sign('p99_ms', 2):>8}"
              f" {cpu('server_cpu_us_per_call'):>16} {cpu('postgres_cpu_us_per_call'):>13}"
              f" {sign('statements_per_call', 2):>11} {sign('transactions_per_call', 2):>11}")
        P("")
    if uncached and sim_direct:
        d = result["uncached_orders_get"]["added_ms"]
        P("uncached orders_get, 1 connection (ORDER_CACHE_TTL_SECONDS=0)      p50 ms   p99 ms   calls/s")
        P(f"  through orderdesk-mcp                                          {uncached['p50_ms']:>7.2f} {uncached['p99_ms']:>8.2f} {uncached['calls_per_s']:>9.0f}")
        P(f"  simulator directly (GET /api/v2/orders/{{id}})                   {sim_direct['p50_ms']:>7.2f} {sim_direct['p99_ms']:>8.2f} {sim_direct['calls_per_s']:>9.0f}")
        P(f"  added by orderdesk-mcp                                         {d['p50']:>7.2f} {d['p99']:>8.2f}")
        P("")
    if update:
        P(f"orders_update ({update['connections']} connections, distinct orders, fetch+merge+PUT): {update['calls_per_s']:.0f} calls/s,"
          f" p50 {update['p50_ms']:.2f} ms, p99 {update['p99_ms']:.2f} ms, max {update['max_ms']:.2f} ms")
        P("")
    if auth:
        P(f"authentication: first use of a key (argon2id) p50 {auth['first_use_ms']['p50']:.1f} ms"
          f" (min {auth['first_use_ms']['min']:.1f}, max {auth['first_use_ms']['max']:.1f}; {auth['keys']} keys);"
          f" its second use p50 {auth['second_use_ms']['p50']:.2f} ms")
    if ping_key and ping_nokey:
        P(f"  known key, per request: ping with Bearer key p50 {ping_key['p50_ms']:.3f} ms vs. ping on a keyless session"
          f" p50 {ping_nokey['p50_ms']:.3f} ms -> {result['auth']['known_key_cost_ms_p50']:+.3f} ms")
        P("")
    if rss and rss["points"]:
        pts = ", ".join(f"{p['vm_hwm_mb']} MB ({p['vm_rss_mb']}) after {p['calls']} calls" if p["label"] != "start"
                        else f"{p['vm_hwm_mb']} MB ({p['vm_rss_mb']}) after start-up and warm-up" for p in rss["points"])
        P(f"serve peak RSS (VmHWM, current VmRSS in parentheses): {pts}; ratio {rss.get('ratio', '-')}")
        if "ratio_after_curve_to_total" in rss:
            P(f"  the last point is the same server after the cached curve up to 32 connections:"
              f" x{rss['ratio_after_curve_to_total']} of the 100k point (1.0 = no further growth)")
        P("")
    for revision, points in ((PROTOCOL, [r["server"] for r in cached]), (STATELESS, [p["server"] for p in stateless_points])):
        pgss = {s["connections"]: s.get("pg_stat_statements") for s in points if s}
        if pgss.get(32):
            print_sql(f"SQL per cached call, {revision}", pgss.get(1), pgss[32])
    P("targets")
    for t in targets:
        P(f"  {verdict(t['pass'])}  {t['target']}  (measured {t['value']})")
    P("")
    P(f"results: {results_dir / (stamp + '.json')} (and latest.json)")


# ---------------------------------------------------------------------------------------------


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)

    s = sub.add_parser("setup")
    for opt in ("--mcp", "--sim", "--store-id", "--state", "--ids-file"):
        s.add_argument(opt, required=True)
    s.set_defaults(fn=cmd_setup)

    s = sub.add_parser("warm")
    s.add_argument("--mcp", required=True)
    s.add_argument("--state", required=True)
    s.add_argument("--calls", type=int, default=3)
    s.add_argument("--expect-cached", choices=["true", "false"])
    s.add_argument("--stateless", action="store_true", help=f"call in the {STATELESS} request shape (no session)")
    s.set_defaults(fn=cmd_warm)

    s = sub.add_parser("capture")
    for opt in ("--mcp", "--state", "--db-url", "--app-url", "--admin-url", "--dbname", "--log-file", "--script", "--vars", "--out"):
        s.add_argument(opt, required=True)
    s.add_argument("--calls", type=int, default=200)
    s.set_defaults(fn=cmd_capture)

    s = sub.add_parser("wrk")
    s.add_argument("--label", required=True)
    s.add_argument("--out", required=True)
    s.add_argument("--url", required=True)
    s.add_argument("--state")
    s.add_argument("--conns", type=int, required=True)
    s.add_argument("--threads", type=int, default=2)
    s.add_argument("--duration", type=int, default=10)
    s.add_argument("--method", default="POST")
    s.add_argument("--body")
    s.add_argument("--mcp-session", choices=["session", "unauth_session"])
    s.add_argument("--stateless", action="store_true", help=f"{STATELESS} request shape: no session, _meta, routing headers")
    s.add_argument("--auth", action="store_true", help="send Authorization: Bearer $BENCH_MASTER_KEY")
    s.add_argument("--sim-store", action="store_true", help="send the simulator store's credentials")
    s.add_argument("--expect", action="append", help="a substring every good answer contains (repeatable; {ORDER} as in --body)")
    s.add_argument("--count")
    s.add_argument("--require-count", action="store_true")
    s.add_argument("--ids-file")
    s.add_argument("--stop-after", type=int)
    s.add_argument("--server-pid", type=int)
    s.add_argument("--pgss-db")
    s.add_argument("--dbname", default=os.environ.get("BENCH_DB"), help="bench database (its backends' CPU is reported)")
    s.set_defaults(fn=cmd_wrk)

    s = sub.add_parser("pgbench")
    for opt in ("--label", "--out", "--url", "--script", "--vars"):
        s.add_argument(opt, required=True)
    s.add_argument("--clients", type=int, required=True)
    s.add_argument("--threads", type=int, default=2)
    s.add_argument("--duration", type=int, default=10)
    s.add_argument("--protocol", default="prepared")
    s.set_defaults(fn=cmd_pgbench)

    s = sub.add_parser("auth")
    for opt in ("--mcp", "--state", "--keys-file", "--out"):
        s.add_argument(opt, required=True)
    s.set_defaults(fn=cmd_auth)

    s = sub.add_parser("load")
    s.add_argument("--seconds", type=float, default=3)
    s.set_defaults(fn=cmd_load)

    s = sub.add_parser("rss")
    s.add_argument("--pid", type=int, required=True)
    s.add_argument("--calls", type=int, default=0)
    s.add_argument("--calls-from", nargs="*", help="wrk fragments whose successful calls add up to the count")
    for opt in ("--label", "--out"):
        s.add_argument(opt, required=True)
    s.set_defaults(fn=cmd_rss)

    s = sub.add_parser("report")
    s.add_argument("--work", required=True)
    s.add_argument("--results-dir", required=True)
    s.set_defaults(fn=cmd_report)

    a = p.parse_args()
    try:
        a.fn(a)
    except HarnessError as e:
        print(f"bench: error: {e}", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
