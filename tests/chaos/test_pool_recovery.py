"""A small connection pool under many concurrent callers survives repeated PostgreSQL restarts
(issue 11, defect 1).

`serve` runs with DB_POOL_SIZE=2 while 16 sessions call orders_get on cached orders in a loop, so
callers always wait for one of the two connections. PostgreSQL is restarted with
`pg_ctl restart -m fast` several times: every restart breaks the connections in use and makes
connects fail for a moment, each time with callers waiting. A pool that counted a freed slot twice
when handing it to a waiter lost a slot on every such event, and after a few restarts answered
every call with database_unavailable ("timed out waiting for a database connection") and /readyz
with 503 until the process was restarted.

What must hold: within 5 s of PostgreSQL accepting connections after the last restart, a
tools/call succeeds and /readyz is 200; every session succeeds again afterwards; the process
survives, and no call fails otherwise than with database_unavailable.
"""

from __future__ import annotations

import time

import httpx2
import pytest

from chaos_support import (
    LONG,
    HANG_S,
    Load,
    Worker,
    call_tool,
    counts,
    crash_text,
    evidence,
    is_database_unavailable,
    open_client,
)
from conftest import CHAOS_SERVER_ENV, note, order_ids, register

POOL_SIZE = 2
CLIENTS = 16
RESTARTS = 20 if LONG else 10
RESUME_S = 5.0  # service must be back this long after PostgreSQL accepts connections again
# How long the test keeps looking after RESUME_S, so a failure can tell slow from wedged.
GIVE_UP_S = 12.0
LOAD_BETWEEN_S = 0.8  # load between two restarts: the pool refills and callers wait again
DB_ACQUIRE_TIMEOUT_MS = 1500
STORE_ID = "41003"  # of the suite's shared simulator, registered under a tenant of this test's own


@pytest.fixture(scope="module")
def small_pool_server(start_server):
    # A long order cache: every orders_get is answered from the database cache (session, rate
    # limit, cache read, audit), so the load is all database and no upstream.
    s = start_server("chaos-pool", **{**CHAOS_SERVER_ENV, "DB_POOL_SIZE": str(POOL_SIZE),
                                      "DB_ACQUIRE_TIMEOUT_MS": str(DB_ACQUIRE_TIMEOUT_MS),
                                      "ORDER_CACHE_TTL_SECONDS": "600"})
    yield s
    s.stop()


def _recovered(server, probe, order_id: str, since: float, within: float):
    """Polls a tools/call and /readyz until both have succeeded once, or `within` seconds after
    `since` have passed. Returns (tool OK at, /readyz 200 at, last tool call, last /readyz status);
    a time is None when that never happened."""
    tool_ok = ready_ok = None
    last_call, last_ready = None, None
    with httpx2.Client(timeout=HANG_S) as http:
        while time.monotonic() < since + within and (tool_ok is None or ready_ok is None):
            if tool_ok is None:
                last_call = call_tool(probe, "probe", "orders_get", {"order_id": order_id})
                if last_call.ok:
                    tool_ok = last_call.ended
            if ready_ok is None:
                try:
                    r = http.get(server.base_url + "/readyz")
                    last_ready = f"{r.status_code} {r.text[:200]}"
                    if r.status_code == 200:
                        ready_ok = time.monotonic()
                except httpx2.HTTPError as e:
                    last_ready = type(e).__name__
            time.sleep(0.05)
    return tool_ok, ready_ok, last_call, last_ready


def test_small_pool_recovers_after_repeated_restarts(small_pool_server, make_tenant, sim, db, pg_guard):
    server = small_pool_server
    tenant = make_tenant("pool")
    register(server, tenant, sim, STORE_ID, "Chaos pool")
    ids = order_ids(sim, STORE_ID, 8)
    probe = open_client(server.mcp_url, tenant.master_key, tenant.id)
    workers = []
    try:
        # Fill the order cache, so the load below reads only from the database.
        for oid in ids:
            assert call_tool(probe, "probe", "orders_get", {"order_id": oid}).ok
        for k in range(CLIENTS):
            plan = [("orders_get", {"order_id": oid}) for oid in ids[k % len(ids):] + ids[:k % len(ids)]]
            workers.append(Worker(f"c{k}", open_client(server.mcp_url, tenant.master_key, tenant.id), plan,
                                  [server.mcp_url]))
        load = Load(workers).start()
        restarts: list[tuple[float, float]] = []  # (restart began, PostgreSQL accepting again)
        try:
            time.sleep(LOAD_BETWEEN_S)
            for _ in range(RESTARTS):
                restarts.append(pg_guard.restart())
                time.sleep(LOAD_BETWEEN_S)
            # The last restart is measured with the load still running.
            restarts.append(pg_guard.restart())
            up = restarts[-1][1]
            tool_ok, ready_ok, last_call, last_ready = _recovered(server, probe, ids[0], up, RESUME_S + GIVE_UP_S)
            time.sleep(1.0)  # every session gets a few more calls in
        finally:
            calls = load.stop()
        t0 = load.t0

        assert server.running, f"the server exited ({server.proc.returncode}); stderr: {server.stderr_tail()}"
        crash = crash_text(server.stderr_path)
        assert not crash, f"the server log shows a crash:\n{crash}"
        recovered = None if tool_ok is None or ready_ok is None else max(tool_ok, ready_ok) - up
        restart_s = [b - a for a, b in restarts]
        # Successful load calls after each restart, up to the next one: a pool that lost its slots
        # shows a run of zeros from the restart that took the last one.
        ends = [a for a, _ in restarts[1:]] + [float("inf")]
        oks_after = [sum(1 for c in calls if c.ok and b <= c.started < end) for (_, b), end in zip(restarts, ends)]
        note(
            f"pool recovery (DB_POOL_SIZE={POOL_SIZE}, {CLIENTS} clients): {len(restart_s)} restarts "
            f"({min(restart_s):.2f}-{max(restart_s):.2f}s each), {len(calls)} calls ({counts(calls)}), "
            f"successes after each restart {oks_after}, "
            f"served again {'never' if recovered is None else f'{recovered:.2f}s'} after the last restart "
            f"(tools/call OK {'-' if tool_ok is None else f'{tool_ok - up:+.2f}s'}, "
            f"/readyz 200 {'-' if ready_ok is None else f'{ready_ok - up:+.2f}s'})"
        )
        assert recovered is not None and recovered <= RESUME_S, (
            f"not serving {RESUME_S}s after the last of {len(restart_s)} restarts (looked for {RESUME_S + GIVE_UP_S}s): "
            f"tools/call OK at {None if tool_ok is None else round(tool_ok - up, 2)}, "
            f"/readyz 200 at {None if ready_ok is None else round(ready_ok - up, 2)}; "
            f"last call {last_call.describe(t0) if last_call else None}; last /readyz {last_ready}; "
            f"successful load calls after each restart {oks_after}"
        )
        bad = [c for c in calls if not (c.ok or is_database_unavailable(c))]
        assert not bad, f"{len(bad)} calls ended otherwise than success or database_unavailable:\n{evidence(bad, t0)}"
        stuck = [w.name for w in workers if not any(c.ok and c.started >= up for c in w.calls)]
        assert not stuck, (f"sessions without a success after the last restart: {stuck}; their last calls:\n"
                           f"{evidence([c for w in workers if w.name in stuck for c in w.calls[-2:]], t0, 8)}")
    finally:
        probe.close()
        for w in workers:
            w.client.close()
