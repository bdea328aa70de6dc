"""The floor: capture the SQL one cached orders_get sends (log_statement = all), turn it into a pgbench
script (each statement checked with PREPARE as the app role), and replay it with pgbench."""

from __future__ import annotations

import glob
import os
import re
import time
from pathlib import Path

from .common import die, psql, psql_json, read_json, us_to_ms, write_json
from .cpu import CpuMeter, run_measured
from .mcpclient import Mcp, master_key
from .sqlstats import TENANT_SETTING, pgss_per_call, pgss_snapshot


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
    # Statements that are not part of every call (the cache sweeper, a session touch, a rate decision
    # riding along with an opening) are left out of a unit's key, so a call whose opening carried a
    # rate decision counts as the steady call; units left with nothing are not part of it.
    frequency: dict = {}
    for s in stmts:
        frequency[s["sql"]] = frequency.get(s["sql"], 0) + 1

    def unit_key(u):
        return tuple(s["sql"] for s in u if frequency[s["sql"]] >= a.calls * 0.9)

    def pure(u):
        return len(unit_key(u)) == len(u)

    counts: dict = {}
    for u in units:
        counts[unit_key(u)] = counts.get(unit_key(u), 0) + 1
    steady = [u for u in units if unit_key(u) and counts[unit_key(u)] >= a.calls * 0.9]
    period, rest = divmod(len(steady), a.calls)
    if period == 0 or rest:
        die(f"capture: {len(steady)} transactions for {a.calls} calls is not a whole number per call")
    for i, u in enumerate(steady):
        if unit_key(u) != unit_key(steady[i % period]):
            die("capture: the calls did not send the same statement sequence")
    # The floor replays a call without any of those extras: the last one that had none.
    starts = [i for i in range(len(steady) - period, -1, -period) if all(pure(u) for u in steady[i : i + period])]
    if not starts:
        die("capture: no call sent only the steady statements")
    one_call = steady[starts[0] : starts[0] + period]
    riding = sum(1 for u in steady if not pure(u))
    ignored = [u[1 if len(u) > 1 else 0]["sql"][:80] for u in units if not unit_key(u) or counts[unit_key(u)] < a.calls * 0.9]

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
        "openings_with_a_rate_decision": riding,
        "statements": statements,
        "pgbench_script": Path(a.script).read_text(),
        "pg_stat_statements_sequential": pgss_per_call(pgss, a.calls),
    })
    print(f"bench: captured {index} statements in {period} transactions per cached orders_get call")


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
