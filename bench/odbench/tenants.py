"""The many-tenant phase: BENCH_MANY_TENANTS tenants (1,000 by default), two stores and two master keys
each, and cached `orders_get` calls spread with a Zipf distribution over tenants and orders.

- `many-stores` writes the simulator's store file (before the simulator starts): two stores per
  tenant with random API keys, BENCH_MANY_ORDERS orders each.
- `many-seed` makes the tenants and their second keys with the product's CLI (`tenants create`,
  `keys create`; `--jobs` processes at a time: each hashes its key with argon2id), registers the
  stores with `stores_register` through MCP (2026-07-28 shape, no session), opens one 2025-11-25
  session per key, reads each store's order ids from the simulator, and writes the file
  wrk_tenants.lua reads (keys and sessions: secrets, in the 0700 work directory). Each step is
  timed: the seeding cost is part of the result.
- `many-run` is one wrk run with wrk_tenants.lua (load.measure: CPU, SQL and transactions per call,
  the server's counters).
- `many-tables` records the size and row count of the tables that grow with traffic after the phase.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .common import die, psql_json, read_json, write_json
from .load import measure
from .mcpclient import Mcp, sim_get
from .metrics import key_cache, total

FIRST_STORE_ID = 80001


def store_ids(tenant: int) -> tuple[str, str]:
    return str(FIRST_STORE_ID + 2 * tenant), str(FIRST_STORE_ID + 2 * tenant + 1)


def cmd_many_stores(a) -> None:
    """The simulator's store file for the phase, and the stores' keys for `many-seed`."""
    stores = []
    for t in range(a.tenants):
        for sid in store_ids(t):
            stores.append({"store_id": sid, "api_key": secrets.token_hex(20), "name": f"Many {sid}", "orders": a.orders})
    Path(a.out).write_text(json.dumps(stores))


def run_cli(argv: list[str], env: dict) -> dict:
    p = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300)
    if p.returncode != 0:
        die(f"{' '.join(argv[1:3])} failed ({p.returncode}): {p.stderr.strip()[-400:]}")
    return json.loads(p.stdout)


def parallel(jobs: int, fn, items: list) -> list:
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return list(pool.map(fn, items))


def cmd_many_seed(a) -> None:
    stores = json.loads(Path(a.stores).read_text())
    by_id = {s["store_id"]: s for s in stores}
    tenants = len(stores) // 2
    cli = [a.cli]
    env = dict(os.environ)
    if not env.get("DATABASE_URL") or not env.get("MASTER_KEY_PEPPER"):
        die("many-seed: DATABASE_URL and MASTER_KEY_PEPPER must be set (the CLI reads them)")
    env.pop("MIGRATE_DATABASE_URL", None)
    timings: dict[str, float] = {}

    # 1. Tenants (each with its first key), then a second key each: one CLI process per key.
    t0 = time.monotonic()
    created = parallel(a.jobs, lambda t: run_cli(cli + ["tenants", "create", "--name", f"many {t}", "--json"], env),
                       list(range(tenants)))
    timings["tenants_create_s"] = round(time.monotonic() - t0, 2)
    t0 = time.monotonic()
    second = parallel(a.jobs, lambda c: run_cli(cli + ["keys", "create", "--tenant", c["tenant_id"], "--label", "bench",
                                                       "--json"], env), created)
    timings["keys_create_s"] = round(time.monotonic() - t0, 2)

    # 2. Stores, registered through MCP with the tenant's first key (the server checks each with the
    # simulator and encrypts its API key); two connections at a time.
    def register(t: int) -> list[str]:
        mcp, key, out = Mcp(a.mcp), created[t]["master_key"], []
        for sid in store_ids(t):
            sc, _ = mcp.tool("stores_register", {"store_id": sid, "api_key": by_id[sid]["api_key"], "name": f"Many {sid}"},
                             key, None, stateless=True)
            out.append(sc["store"]["id"])
        return out

    t0 = time.monotonic()
    registered = parallel(a.jobs, register, list(range(tenants)))
    timings["stores_register_s"] = round(time.monotonic() - t0, 2)

    # 3. One 2025-11-25 session per key (a session belongs to the key that opened it).
    def sessions(t: int) -> list[str]:
        mcp = Mcp(a.mcp)
        return [mcp.initialize(created[t]["master_key"]), mcp.initialize(second[t]["master_key"])]

    t0 = time.monotonic()
    opened = parallel(a.jobs, sessions, list(range(tenants)))
    timings["sessions_s"] = round(time.monotonic() - t0, 2)

    # 4. Order ids per store, from the simulator (seeded data: ids depend on the store id only).
    t0 = time.monotonic()

    def order_ids(sid: str) -> list[str]:
        page = sim_get(a.sim, f"/orders?limit=500&order_by=id&order=ASC", sid, by_id[sid]["api_key"])
        return [str(o["id"]) for o in page["orders"]]

    orders = dict(zip(by_id, parallel(a.jobs, order_ids, list(by_id))))
    timings["order_ids_s"] = round(time.monotonic() - t0, 2)
    if any(not ids for ids in orders.values()):
        die("many-seed: a simulator store has no orders")

    # The file wrk_tenants.lua reads: one line per tenant (Zipf rank = line), then the order ids of
    # each store (Zipf rank = position).
    lines = []
    for t in range(tenants):
        k1, k2 = created[t]["master_key"], second[t]["master_key"]
        s1, s2 = opened[t]
        u1, u2 = registered[t]
        o1, o2 = (orders[sid] for sid in store_ids(t))
        lines.append(f"T {k1} {k2} {s1} {s2} {u1} {u2}")
        lines.append("O " + " ".join(o1))
        lines.append("O " + " ".join(o2))
    Path(a.out).write_text("\n".join(lines) + "\n")
    os.chmod(a.out, 0o600)
    timings["total_s"] = round(sum(timings.values()), 2)
    result = {"tenants": tenants, "stores": 2 * tenants, "keys": 2 * tenants, "sessions": 2 * tenants,
              "orders_per_store": len(next(iter(orders.values()))), "cli_jobs": a.jobs, "timings": timings,
              "cli_ms_per_key": round((timings["tenants_create_s"] + timings["keys_create_s"]) * 1000 / (2 * tenants)
                                      * max(1, a.jobs), 1)}
    write_json(a.result, result)
    print(f"bench: many tenants seeded: {tenants} tenants, {2 * tenants} keys, stores and sessions in"
          f" {timings['total_s']} s ({json.dumps(timings)})", flush=True)


def cmd_many_run(a) -> None:
    stateless = a.shape == "stateless"
    expect = ['"isError":false'] + (['"resultType":"complete"'] if stateless else [])
    lua_env = {"WRK_TENANTS_FILE": a.tenants_file, "WRK_SHAPE": a.shape, "WRK_ZIPF_S": str(a.zipf_s),
               "WRK_SEED": str(a.seed),
               "WRK_EXPECT": "\n".join(expect), "WRK_COUNT": '"cached":true'}
    threads = max(1, min(a.threads, a.conns))
    out = measure(a.label, Path(a.out), a.url, a.conns, threads, a.duration, "wrk_tenants.lua", lua_env,
                  server_pid=a.server_pid, dbname=a.dbname, pgss_db=a.pgss_db, admin_url=a.admin_url,
                  metrics=a.metrics, stop_after=a.calls, count='"cached":true')
    out["shape"] = a.shape
    out["zipf_s"] = a.zipf_s
    out["seed"] = a.seed
    out["key_cache"] = key_cache_summary(out)
    write_json(a.out, out)


def key_cache_summary(point: dict) -> dict | None:
    """Hit rate of the verified-key cache over one run: the server's counter when it has one; else
    derived from the key lookups in pg_stat_statements (each miss, a first use or an expired entry,
    looks the key up before argon2id runs); else unknown (`keys_used` then bounds the first uses)."""
    server = point.get("server_metrics")
    from_metrics = key_cache(server)
    if from_metrics:
        return {**from_metrics, "keys_used": point.get("keys_used")}
    pgss = point.get("pg_stat_statements")
    if not pgss:
        return None
    calls = total(server, "mcp_tool_calls_total") or pgss.get("calls") or point["good"]
    lookups = sum(s["calls"] for s in pgss.get("statements", []) if "lookup_master_key" in s["query"])
    return {"source": "pg_stat_statements: key lookups (a lookup = a miss: first use or expired entry)",
            "misses": lookups, "calls": calls, "hit_rate": round(1 - lookups / calls, 5) if calls else None,
            "keys_used": point.get("keys_used")}


TABLES = ("cache_entries", "rate_limit_buckets", "sessions", "audit_log")


def cmd_many_tables(a) -> None:
    """Size (heap, indexes, TOAST; every partition of a partitioned table) and row count of the tables
    that grow with traffic. Read as the superuser: row-level security does not hide rows."""
    rows = []
    for table in TABLES:
        # A partitioned table's own size is 0: its partitions (the leaves of its tree) hold the rows.
        r = psql_json(a.db_url, f"""
            SELECT '{table}' AS table_name,
                   coalesce((SELECT sum(pg_total_relation_size(relid)) FROM pg_partition_tree('orderdesk.{table}')
                             WHERE isleaf), pg_total_relation_size('orderdesk.{table}'))::bigint AS bytes,
                   (SELECT count(*) FROM pg_partition_tree('orderdesk.{table}') WHERE isleaf) AS partitions,
                   (SELECT count(*) FROM orderdesk.{table})::bigint AS row_count""")[0]
        r["mb"] = round(r["bytes"] / 1048576, 2)
        rows.append(r)
    calls = sum(read_json(f)["good"] for f in a.calls_from or [])
    write_json(a.out, {"tables": rows, "calls_before": calls,
                       "sweeper": "every 60 s (CacheSweeper): expired cache entries and sessions, rate-limit buckets"
                                  " idle for 1 h, at most 5000 rows per table a round and 20 rounds a cycle"})
    print("bench: tables after the many-tenant phase: "
          + ", ".join(f"{r['table_name']} {r['mb']} MB ({r['row_count']} rows)" for r in rows), flush=True)
