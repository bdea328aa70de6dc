"""Load runs: wrk with wrk_call.lua against the server (or the simulator), with CPU accounting and, on
request, SQL per call."""

from __future__ import annotations

import glob
import json
import os
from pathlib import Path

from .common import ACCEPT, PROTOCOL, die, psql, read_json, us_to_ms, write_json
from .cpu import CpuMeter, run_measured
from .mcpclient import master_key, stateless_request
from .metrics import delta, scrape
from .sqlstats import calls_from_pgss, flushed_transactions, pgss_per_call, pgss_snapshot, transaction_delta

BENCH_DIR = Path(__file__).resolve().parent.parent


def cmd_wrk(a) -> None:
    """One point with wrk_call.lua: one request shape (one key, one session or none, one body)."""
    state = read_json(a.state) if a.state else {}
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
    lua_env = {
        "WRK_METHOD": a.method, "WRK_BODY": body, "WRK_HEADERS": "\n".join(headers), "WRK_EXPECT": "\n".join(expect),
        "WRK_COUNT": a.count or "", "WRK_IDS_FILE": a.ids_file or "",
    }
    out = measure(a.label, Path(a.out), a.url, a.conns, threads, a.duration, "wrk_call.lua", lua_env,
                  server_pid=a.server_pid, dbname=a.dbname, pgss_db=a.pgss_db, admin_url=a.admin_url,
                  metrics=a.metrics, stop_after=a.stop_after, count=a.count)
    if a.count and a.require_count and out["counted"] != out["good"]:
        die(f"{a.label}: only {out['counted']} of {out['good']} answers contained {a.count}")


def measure(label: str, out_path: Path, url: str, conns: int, threads: int, duration: int, lua: str, lua_env: dict,
            server_pid: int | None = None, dbname: str | None = None, pgss_db: str | None = None,
            admin_url: str | None = None, metrics: str | None = None, stop_after: int | None = None,
            count: str | None = None) -> dict:
    """Runs wrk with `lua` (bench/<lua>, configured by `lua_env`) and writes the point's fragment:
    calls/s and latencies from the script's summary, CPU of wrk, the server, the bench database's
    backends and the machine; with `pgss_db`, statements per call (pg_stat_statements, reset first)
    and, with `admin_url` too, transactions per call (pg_stat_database); with `metrics` (the server's
    /metrics URL), the server's counters over the run. An error answer stops the harness."""
    workdir = out_path.parent
    raw_out = workdir / f"{label}.lua.json"
    env = dict(os.environ)
    env.update(lua_env)
    env.update({"WRK_THREADS": str(threads), "WRK_OUT": str(raw_out)})
    if stop_after:
        env["WRK_STOP_AFTER"] = str(stop_after)
    for old in [raw_out, *glob.glob(f"{raw_out}.stopped.*")]:
        Path(old).unlink(missing_ok=True)
    finished = None
    if stop_after:
        finished = lambda: len(glob.glob(f"{raw_out}.stopped.*")) >= threads  # noqa: E731
    argv = ["wrk", "-t", str(threads), "-c", str(conns), "-d", f"{duration}s", "--timeout", "10s", "--latency",
            "-s", str(BENCH_DIR / lua), url]
    xacts_before = None
    if pgss_db:
        psql(pgss_db, "SELECT pg_stat_statements_reset();")
        if admin_url and dbname:
            xacts_before = flushed_transactions(admin_url, dbname)
    metrics_before = scrape(metrics)
    meter = CpuMeter(server_pid, dbname)
    meter.start()
    status, wrk_cpu = run_measured(argv, env, workdir / f"{label}.wrk.txt", finished)
    for old in glob.glob(f"{raw_out}.stopped.*"):
        os.unlink(old)
    cpu = meter.stop()
    if status != 0 or not raw_out.exists():
        die(f"wrk {label} failed ({status}): {(workdir / f'{label}.wrk.txt').read_text()[-1500:]}")
    r = read_json(raw_out)
    seconds = r["duration_us"] / 1e6
    errors = r["bad_status"] + r["bad_body"] + sum(r["socket_errors"].values())
    out = {
        "label": label,
        "connections": conns,
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
    if count:
        out["counted"] = r["counted"]
        out["counted_marker"] = count
    for extra in ("lua", "keys_used"):
        if extra in r:
            out[extra] = r[extra]
    if pgss_db and r["good"]:
        xacts = None
        if xacts_before is not None:
            xacts = transaction_delta(xacts_before, flushed_transactions(admin_url, dbname))
        rows = pgss_snapshot(pgss_db)
        calls = calls_from_pgss(rows) or r["requests"]
        out["pg_stat_statements"] = pgss_per_call(rows, calls, xacts)
    server_metrics = delta(metrics_before, scrape(metrics))
    if server_metrics is not None:
        out["server_metrics"] = server_metrics
    write_json(out_path, out)
    line = (f"bench: {label}: {out['calls_per_s']:.0f}/s p50 {out['p50_ms']} ms p99 {out['p99_ms']} ms "
            f"max {out['max_ms']} ms ({r['good']} ok, {errors} errors; wrk {out['cpu']['wrk_cores']} cores)")
    print(line, flush=True)
    if errors:
        die(f"{label}: {errors} failed answers (status {r['bad_status']}, body {r['bad_body']}, "
            f"socket {r['socket_errors']}); first: {r['first_bad']}")
    return out
