"""report: assembles the run's JSON fragments into bench/results/<UTC timestamp>.json (+ latest.json)
and prints the table."""

from __future__ import annotations

import os
from pathlib import Path

from .common import PROTOCOL, STATELESS, read_json, write_json


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
    many = many_tenants(frag, cached, stateless_points)

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
        "many_tenants": many,
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
    # Issue 15's targets, for each protocol revision at 32 connections.
    for revision, point in ((PROTOCOL, at32["server"] if at32 else None),
                            (STATELESS, next((p["server"] for p in stateless_points if p["connections"] == 32), None))):
        if not point:
            continue
        k = call_costs(point)
        for name, key, limit, higher in (("calls/s >= 3000", "calls_per_s", 3000, True), ("p99 <= 20 ms", "p99_ms", 20, False),
                                         ("server CPU <= 300 us per call", "server_cpu_us_per_call", 300, False),
                                         ("PostgreSQL CPU <= 150 us per call", "postgres_cpu_us_per_call", 150, False),
                                         ("statements per call <= 2", "statements_per_call", 2, False),
                                         ("transactions per call <= 1.1", "transactions_per_call", 1.1, False)):
            if k[key] is not None:
                ok = k[key] >= limit if higher else k[key] <= limit
                targets.append({"target": f"cached orders_get @32 {revision}: {name}", "value": k[key], "pass": ok})
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
    for point in (many or {}).get("points", []):
        for key, name in (("calls_per_s", "calls/s"), ("postgres_cpu_us_per_call", "PostgreSQL CPU per call")):
            rel = point.get("versus_one_tenant", {}).get(key)
            if rel is not None:
                worse = -rel if key == "calls_per_s" else rel
                targets.append({"target": f"many tenants {point['shape']}: {name} within 15% of one tenant @32",
                                "value": f"{rel:+.1%}", "pass": worse <= 0.15})
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
        def rss_point(p: dict) -> str:
            mb = f"{p['vm_hwm_mb']} MB ({p['vm_rss_mb']})"
            if p["label"] == "start":
                return f"{mb} at start"
            if p["label"] == "warmup":
                return f"{mb} after a warm-up of {p['calls']} calls"
            return f"{mb} after {p['calls']} calls" + (" past the warm-up" if "warmup_calls" in p else "")

        pts = ", ".join(rss_point(p) for p in rss["points"])
        P(f"serve peak RSS (VmHWM, current VmRSS in parentheses): {pts}; ratio 100k/10k {rss.get('ratio', '-')}")
        if "ratio_after_curve_to_total" in rss:
            P(f"  the last point is the same server after the cached curve up to 32 connections:"
              f" x{rss['ratio_after_curve_to_total']} of the 100k point (1.0 = no further growth)")
        P("")
    for revision, points in ((PROTOCOL, [r["server"] for r in cached]), (STATELESS, [p["server"] for p in stateless_points])):
        pgss = {s["connections"]: s.get("pg_stat_statements") for s in points if s}
        if pgss.get(32):
            print_sql(f"SQL per cached call, {revision}", pgss.get(1), pgss[32])
    if many:
        print_many(many)
    P("targets")
    for t in targets:
        P(f"  {verdict(t['pass'])}  {t['target']}  (measured {t['value']})")
    P("")
    P(f"results: {results_dir / (stamp + '.json')} (and latest.json)")


def many_tenants(frag, cached: list, stateless_points: list) -> dict | None:
    """The many-tenant phase: seeding, the runs (each compared with the one-tenant point of the same
    revision at the same connections), the tables after it."""
    seed = frag("many_seed.json")
    if not seed:
        return None
    one_tenant = {"session": next((r["server"] for r in cached if r["connections"] == 32), None),
                  "stateless": next((p["server"] for p in stateless_points if p["connections"] == 32), None)}
    points = []
    for label in ("many_session", "many_stateless"):
        point = frag(f"{label}.json")
        if not point:
            continue
        base = one_tenant.get(point["shape"])
        if base and base.get("connections") == point["connections"]:
            point["versus_one_tenant"] = compare(base, point)["relative"]
        points.append(point)
    return {"seed": seed, "warmup": frag("many_warmup.json"), "points": points, "tables": frag("many_tables.json"),
            "rss": frag("many_rss.json")}


def print_many(many: dict) -> None:
    seed, P = many["seed"], print
    t = seed["timings"]
    P(f"many tenants: {seed['tenants']} tenants x 2 stores, {seed['keys']} keys, {seed['orders_per_store']} orders per store;"
      f" Zipf s={many['points'][0]['zipf_s'] if many['points'] else '-'} over tenants and orders, `store` passed")
    P(f"  seeding {t['total_s']} s: tenants create {t['tenants_create_s']} s + keys create {t['keys_create_s']} s"
      f" ({seed['cli_jobs']} CLI processes at a time, {seed['cli_ms_per_key']} ms per key and process),"
      f" stores_register {t['stores_register_s']} s, sessions {t['sessions_s']} s, order ids {t['order_ids_s']} s")
    warm = many.get("warmup")
    if warm:
        kc = warm.get("key_cache") or {}
        P(f"  warm-up (fresh server, uncounted): {warm['good']} calls, {warm['calls_per_s']:.0f}/s, server CPU"
          f" {fmt(warm.get('server_cpu_us_per_call'))} us per call; key cache (AUTH_CACHE_TTL_SECONDS=60): hit rate"
          f" {fmt(kc.get('hit_rate'), 4)}, {kc.get('misses', kc.get('results', '-'))} misses for {kc.get('keys_used', '-')}"
          f" keys used ({kc.get('source', '-')}); order cache: {warm.get('counted', '-')} answers cached")
    P(" conns  revision                 calls/s   p50 ms   p99 ms   server us/call    pg us/call  stmts/call  xacts/call"
      "  cached  key hits   vs 1 tenant: calls/s  pg us")
    for p in many["points"]:
        k, kc, rel = call_costs(p), p.get("key_cache") or {}, p.get("versus_one_tenant", {})
        label = f"{PROTOCOL} session" if p["shape"] == "session" else f"{STATELESS} stateless"
        cached_share = p["counted"] / p["good"] if p.get("good") else None
        P(f" {p['connections']:>5}  {label:<21} {fmt(k['calls_per_s']):>9} {fmt(k['p50_ms'],2):>8} {fmt(k['p99_ms'],2):>8}"
          f" {fmt(k['server_cpu_us_per_call']):>16} {fmt(k['postgres_cpu_us_per_call']):>13}"
          f" {fmt(k['statements_per_call'],2):>11} {fmt(k['transactions_per_call'],2):>11}"
          f" {fmt(cached_share, 3):>7} {fmt(kc.get('hit_rate'), 4):>9}"
          f"   {rel.get('calls_per_s', 0):>+18.1%} {rel.get('postgres_cpu_us_per_call', 0):>+5.1%}")
    tables = many.get("tables")
    if tables:
        P(f"  after {tables['calls_before']} calls on this database: " + ", ".join(
            f"{r['table_name']} {r['mb']} MB / {r['row_count']} rows" for r in tables["tables"]))
        P(f"  sweeper: {tables['sweeper']}")
    rss = (many.get("rss") or {}).get("points")
    if rss:
        P(f"  serve peak RSS after the phase: {rss[-1]['vm_hwm_mb']} MB ({rss[-1]['vm_rss_mb']}) after {rss[-1]['calls']} calls")
    P("")
