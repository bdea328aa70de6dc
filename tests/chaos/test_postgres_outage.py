"""PostgreSQL restarted (`pg_ctl restart -m fast`) and stopped for a few seconds while several
sessions of two tenants call orders_get, orders_list and stores_list.

What must hold (README: database trouble is `database_unavailable`; HTTP 503 outside a tool call;
/readyz 503 during an outage, recovering by itself):
- the server process survives and /healthz stays 200;
- every call gets an answer within a bound; every failure is `database_unavailable` — a tool
  error, or HTTP 503 + Retry-After with a JSON-RPC error whose data.code says so — never a 500,
  `internal_error`, a dropped connection or a hang;
- /readyz is 503 while the database is down and 200 again afterwards;
- every session succeeds again within 5 s of PostgreSQL accepting connections, and after that
  nothing fails;
- every call that returned success has its `ok` audit row under its correlation id.
"""

from __future__ import annotations

import re
import threading
import time

import httpx2
import pytest

from chaos_support import (
    is_database_unavailable,
    BUDGET,
    HANG_S,
    Load,
    ReadyPoller,
    Worker,
    audit_rows,
    call_tool,
    counts,
    crash_text,
    evidence,
    log_lines,
    missing_audit,
    open_client,
    until_ok,
)
from conftest import CHAOS_SERVER_ENV, note, order_ids, register

RESUME_S = 5.0  # service must be back this long after PostgreSQL accepts connections
# The longest a call may take during an outage: connecting to a stopped server fails at once, and a
# call waiting for a pooled connection gives up after DB_ACQUIRE_TIMEOUT_MS.
DB_ACQUIRE_TIMEOUT_MS = 3000
CALL_BOUND_S = DB_ACQUIRE_TIMEOUT_MS / 1000 * 2 + 3.0


@pytest.fixture(scope="module")
def pg_server(start_server):
    s = start_server("chaos-pg", **CHAOS_SERVER_ENV, DB_ACQUIRE_TIMEOUT_MS=str(DB_ACQUIRE_TIMEOUT_MS))
    yield s
    s.stop()


@pytest.fixture(scope="module")
def tenants(pg_server, make_tenant, sim):
    """Two tenants with one store each (so order tools need no `store` argument)."""
    out = []
    for label, sid in (("pg-a", "41001"), ("pg-b", "41002")):
        t = make_tenant(label)
        store = register(pg_server, t, sim, sid, f"Chaos {label}")
        out.append((t, store, order_ids(sim, sid)))
    return out


def _load(server, tenants) -> Load:
    workers = []
    for ti, (t, store, ids) in enumerate(tenants):
        for k in range(BUDGET.clients_per_tenant):
            plan = []
            for j, oid in enumerate(ids[k::BUDGET.clients_per_tenant]):
                plan.append(("orders_get", {"order_id": oid}))
                plan.append(("orders_list", {"limit": 5, "offset": (j * 3) % 15}))
                plan.append(("stores_list", {}))
            workers.append(Worker(f"t{ti}c{k}", open_client(server.mcp_url, t.master_key, t.id), plan, [server.mcp_url]))
    return Load(workers)


def _check_round(what, server, db, load: Load, calls, poller: ReadyPoller, fault_start: float, up: float):
    """The assertions shared by every outage round; `up` = PostgreSQL accepts connections again."""
    t0 = load.t0
    # The process survived.
    assert server.running, f"{what}: the server exited ({server.proc.returncode}); stderr: {server.stderr_tail()}"
    h = httpx2.get(server.base_url + "/healthz", timeout=10)
    assert h.status_code == 200, f"{what}: /healthz {h.status_code} {h.text[:200]}"
    crash = crash_text(server.stderr_path)
    assert not crash, f"{what}: the server log shows a crash:\n{crash}"

    # Every answer is a success or a clear database_unavailable, in bounded time.
    assert calls, f"{what}: the load made no call"
    bad = [c for c in calls if not (c.ok or is_database_unavailable(c))]
    assert not bad, (
        f"{what}: {len(bad)} calls ended otherwise than success or database_unavailable "
        f"(outcomes {counts(calls)}):\n{evidence(bad, t0)}\nserver log:\n{log_lines(server.stderr_path, 'error|fatal|Fatal')}"
    )
    slow = [c for c in calls if c.seconds > CALL_BOUND_S]
    assert not slow, f"{what}: calls slower than {CALL_BOUND_S}s:\n{evidence(slow, t0)}"
    no_id = [c for c in calls if not c.request_id]
    assert not no_id, f"{what}: answers without X-Request-ID:\n{evidence(no_id, t0)}"

    # Failures only around the outage; none once the service is back.
    failures = [c for c in calls if not c.ok]
    early = [c for c in failures if c.ended < fault_start]
    assert not early, f"{what}: failures before PostgreSQL went down:\n{evidence(early, t0)}"
    late = [c for c in failures if c.started > up + RESUME_S]
    assert not late, f"{what}: failures more than {RESUME_S}s after PostgreSQL accepted connections again:\n{evidence(late, t0)}"

    # Every session got a success within RESUME_S of PostgreSQL accepting connections again.
    resumed = {}
    for w in load.workers:
        first = next((c for c in w.calls if c.ok and c.started >= up), None)
        assert first is not None, f"{what}: {w.name} never succeeded after the outage; its last calls:\n{evidence(w.calls[-5:], t0)}"
        resumed[w.name] = round(first.ended - up, 2)
        assert first.ended - up <= RESUME_S, (
            f"{what}: {w.name} succeeded only {first.ended - up:.2f}s after PostgreSQL was back; calls since:\n"
            f"{evidence([c for c in w.calls if c.started >= up], t0, 8)}"
        )

    # /readyz: 503 (not 500, not a hang) while down, 200 again after.
    samples = poller.samples
    odd = [s for s in samples if s[1] not in (200, 503)]
    assert not odd, f"{what}: /readyz answered neither 200 nor 503: {[(round(t - t0, 2), st) for t, st, _ in odd[:5]]}"
    after = [s for s in samples if s[0] > up + RESUME_S]
    assert after and all(s[1] == 200 for s in after), (
        f"{what}: /readyz not 200 more than {RESUME_S}s after PostgreSQL was back: {[(round(t - t0, 2), st) for t, st, _ in after[:10]]}"
    )
    ready_again = next((s[0] for s in samples if s[0] >= up and s[1] == 200), None)
    assert ready_again is not None and ready_again - up <= RESUME_S, f"{what}: /readyz did not return to 200 within {RESUME_S}s"

    # Every success is audited.
    missing = missing_audit(db.super_url, calls)
    assert not missing, f"{what}: {len(missing)} successful calls without their audit row:\n" + "\n".join(
        f"{c.describe(t0)} → {why}" for c, why in missing[:5]
    )
    return resumed


def _run_outage(what, server, tenants, db, fault) -> tuple[list, float, float, ReadyPoller, Load]:
    load = _load(server, tenants)
    poller = ReadyPoller(server.base_url)
    try:
        poller.start()
        load.start()
        time.sleep(BUDGET.warmup_s)
        fault_start, up = fault()
        time.sleep(BUDGET.after_s)
        calls = load.stop()
        poller.stop()
    finally:
        load.close()
        poller.stop()
    return calls, fault_start, up, poller, load


@pytest.mark.parametrize("round_", range(BUDGET.restarts))
def test_postgres_restart_under_load(pg_server, tenants, db, pg_guard, round_):
    calls, fault_start, up, poller, load = _run_outage("restart", pg_server, tenants, db, pg_guard.restart)
    resumed = _check_round(f"restart round {round_}", pg_server, db, load, calls, poller, fault_start, up)
    failed = [c for c in calls if not c.ok]
    readyz_down = sum(1 for s in poller.samples if s[1] != 200)
    note(
        f"pg restart round {round_}: {len(calls)} calls ({counts(calls)}), restart took {up - fault_start:.2f}s, "
        f"failures {len(failed)} (max {max((c.seconds for c in calls), default=0):.2f}s per call), "
        f"/readyz non-200 samples {readyz_down}, first success per session after restart (s) {resumed}"
    )


@pytest.mark.parametrize("round_", range(BUDGET.stops))
def test_postgres_stopped_under_load(pg_server, tenants, db, pg_guard, round_):
    window = {}

    def fault():
        started = time.monotonic()
        window["down"] = pg_guard.stop()
        time.sleep(BUDGET.stop_s)
        window["starting"] = time.monotonic()
        return started, pg_guard.start()

    calls, fault_start, up, poller, load = _run_outage("stop", pg_server, tenants, db, fault)
    t0 = load.t0
    resumed = _check_round(f"stop round {round_}", pg_server, db, load, calls, poller, fault_start, up)

    # While it was down, calls were made and every one of them failed cleanly.
    inside = [c for c in calls if c.started >= window["down"] and c.ended <= window["starting"]]
    assert len(inside) >= 2 * len(load.workers), (
        f"only {len(inside)} calls fell inside the {BUDGET.stop_s}s outage: the load did not exercise it ({counts(calls)})"
    )
    succeeded = [c for c in inside if c.ok]
    assert not succeeded, f"calls succeeded while PostgreSQL was stopped:\n{evidence(succeeded, t0)}"
    # /readyz said so.
    down_samples = poller.between(window["down"] + 0.2, window["starting"])
    assert down_samples and all(s[1] == 503 for s in down_samples), (
        f"/readyz while PostgreSQL was stopped: {[(round(t - t0, 2), st) for t, st, _ in down_samples[:10]]}"
    )
    ready = httpx2.get(pg_server.base_url + "/readyz", timeout=10)
    assert ready.status_code == 200, ready.text
    note(
        f"pg stopped round {round_}: {len(calls)} calls ({counts(calls)}), {len(inside)} inside the "
        f"{BUDGET.stop_s}s outage (max {max((c.seconds for c in inside), default=0):.2f}s each), "
        f"/readyz 503 samples {sum(1 for s in poller.samples if s[1] == 503)}, first success per session after start (s) {resumed}"
    )


def test_postgres_stops_during_in_flight_calls(start_server, make_tenant, storm_sim, claim_storm_stores, db, pg_guard):
    """Calls already past the session lookup, waiting for a slow OrderDesk answer, when PostgreSQL
    stops: their cache fill and final audit row cannot be written. A success that cannot be audited
    must not be reported as a success (ToolCallPipeline): each call answers HTTP 200 with the tool
    error database_unavailable (retry_after set) in bounded time — or succeeds only if audited."""
    delay_ms = 1500
    env = {**CHAOS_SERVER_ENV, "ORDERDESK_BASE_URL": storm_sim.api_url, "ORDER_CACHE_TTL_SECONDS": "0",
           "ORDER_LIST_CACHE_TTL_SECONDS": "0", "DB_ACQUIRE_TIMEOUT_MS": str(DB_ACQUIRE_TIMEOUT_MS)}
    server = start_server("chaos-pg-inflight", **env)
    clients = []
    try:
        t = make_tenant("pg-inflight")
        (sid,) = claim_storm_stores(1)
        register(server, t, storm_sim, sid, f"Inflight {sid}")
        ids = order_ids(storm_sim, sid, 6)
        plan = [("orders_get", {"order_id": ids[0]}), ("orders_get", {"order_id": ids[1]}), ("orders_list", {"limit": 3}),
                ("orders_update", {"order_id": ids[2], "changes": {"order_notes": ["during a database outage"]}})]
        clients += [open_client(server.mcp_url, t.master_key, t.id) for _ in plan]
        storm_sim.reset()
        storm_sim.fault({"method": "*", "path": "**", "for_seconds": 30, "delay_ms": delay_ms})
        results: list = [None] * len(plan)

        def run(i):
            results[i] = call_tool(clients[i], f"c{i}", *plan[i])

        threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(len(plan))]
        t0 = time.monotonic()
        for th in threads:
            th.start()
        time.sleep(0.4)
        down = pg_guard.stop()
        for th in threads:
            th.join(HANG_S)
        finished = time.monotonic()
        storm_sim.clear_faults()
        up = pg_guard.start()
        calls = [r for r in results if r is not None]
        assert len(calls) == len(plan), f"calls that never answered: {[plan[i] for i, r in enumerate(results) if r is None]}"
        assert server.running, f"the server exited: {server.stderr_tail()}"
        assert all(c.started < down for c in calls)
        bad = [c for c in calls if not (c.ok or (c.kind == "tool_error" and c.status == 200 and c.code == "database_unavailable"
                                                  and c.tool_retry_after))]
        assert not bad, (f"in-flight calls during a database stop ended otherwise than database_unavailable:\n{evidence(bad, t0)}\n"
                         f"server log:\n{log_lines(server.stderr_path, 'error|fatal|Fatal')}")
        slow = [c for c in calls if c.seconds > delay_ms / 1000 * 2 + CALL_BOUND_S]
        assert not slow, f"in-flight calls took too long:\n{evidence(slow, t0)}"
        missing = missing_audit(db.super_url, calls)
        assert not missing, f"successes without their audit row:\n" + "\n".join(f"{c.describe(t0)} → {why}" for c, why in missing)
        # An update OrderDesk applied but the audit log could not record must say it was applied, so
        # the client does not repeat it.
        update = calls[3]
        applied = [r for r in storm_sim.requests(store_id=sid) if r["method"] == "PUT" and r["status"] == 200]
        if applied and not update.ok:
            assert re.search(r'applied\W{0,3}:\s*true', update.excerpt), (
                f"the update reached OrderDesk ({len(applied)} PUT) but its error does not say it was applied: {update.describe(t0)}")
        note(f"in-flight update during a database stop: {update.kind}/{update.code}, PUTs applied upstream {len(applied)}")
        # Back to normal afterwards (retrying as a client would, within RESUME_S).
        again, tries = until_ok(clients[0], "c0", "orders_get", {"order_id": ids[0]}, RESUME_S)
        assert again.ok and again.ended - up <= RESUME_S, f"no success within {RESUME_S}s of the restart:\n{evidence(tries, t0)}"
        puts = [r for r in storm_sim.requests(store_id=sid) if r["method"] == "PUT"]
        update = next(c for c in calls if c.tool == "orders_update")
        update_rows = audit_rows(db.super_url, [update.correlation_id]).get(update.correlation_id, [])
        note(f"pg stopped under in-flight calls: {counts(calls)} (answers {finished - down:.2f}s after the stop at the latest); "
             f"the in-flight orders_update answered {update.kind}:{update.code}, its PUTs upstream {[r['status'] for r in puts]}, "
             f"its audit rows {[r['outcome'] for r in update_rows]}")
    finally:
        storm_sim.clear_faults()
        for c in clients:
            c.close()
        server.stop()


def test_update_lock_survives_a_postgres_restart(start_server, make_tenant, storm_sim, claim_storm_stores, db, pg_guard):
    """U1 holds the order's lock and waits for a slow OrderDesk (GET and PUT each delayed 3.5 s);
    PostgreSQL restarts; U2 updates the same order. Every update that reports success must have its
    change in the final order. (U2 starts ≈ 1 s in: its GET is answered ≈ 4.5 s in, before U1's PUT
    lands at ≈ 7 s, so without the lock it reads the order without U1's change; with the lock it
    would wait for U1 and keep both.)"""
    delay_ms = 3500
    env = {**CHAOS_SERVER_ENV, "ORDERDESK_BASE_URL": storm_sim.api_url, "ORDER_CACHE_TTL_SECONDS": "0",
           "ORDER_LIST_CACHE_TTL_SECONDS": "0"}
    server = start_server("chaos-pg-lock", **env)
    clients = []
    try:
        t = make_tenant("pg-lock")
        (sid,) = claim_storm_stores(1)
        register(server, t, storm_sim, sid, f"Lock {sid}")
        oid = order_ids(storm_sim, sid, 1)[0]
        c1, c2 = clients = [open_client(server.mcp_url, t.master_key, t.id) for _ in range(2)]
        storm_sim.reset()
        storm_sim.fault({"method": "*", "path": "/orders/*", "for_seconds": 30, "delay_ms": delay_ms})
        results = {}

        def update(name, client, text, tries):
            for _ in range(tries):  # u2: the client's own retry while the database is coming back
                r = call_tool(client, name, "orders_update", {"order_id": oid, "changes": {"order_notes": [text]}})
                if r.code != "database_unavailable":
                    break
                time.sleep(0.1)
            results[name] = (r, text)

        u1 = threading.Thread(target=update, args=("u1", c1, "first change (lock held across the restart)", 1), daemon=True)
        u1.start()
        time.sleep(0.3)
        pg_guard.restart()
        u2 = threading.Thread(target=update, args=("u2", c2, "second change (after the restart)", 20), daemon=True)
        u2.start()
        u1.join(HANG_S)
        u2.join(HANG_S)
        storm_sim.clear_faults()
        notes = [str(n) for n in storm_sim.api("GET", f"/orders/{oid}", sid).json()["order"].get("order_notes") or []]
        succeeded = {name: text for name, (r, text) in results.items() if r.ok}
        lost = [name for name, text in succeeded.items() if not any(text in n for n in notes)]
        puts = [(r["at"], r["status"]) for r in storm_sim.requests(store_id=sid) if r["method"] == "PUT"]
        note(f"update lock across a restart: {[(n, r.kind, r.code) for n, (r, _) in results.items()]}, PUTs {puts}, lost {lost}")
        assert not lost, (f"orders_update {lost} reported success but its change is not in the order: notes {notes}; "
                          f"PUTs upstream {puts}; answers {[r.describe() for r, _ in results.values()]}")
    finally:
        storm_sim.clear_faults()
        for c in clients:
            c.close()
        server.stop()
