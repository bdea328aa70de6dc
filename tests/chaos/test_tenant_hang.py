"""One tenant's OrderDesk hangs; another tenant on the same replica must not notice.

Tenant A's store stops answering (every request for A's orders is held far past
ORDERDESK_TIMEOUT_MS) while A's sessions keep calling orders_update and orders_get on those
orders, many at once. Meanwhile tenant B, on the same replica, reads cached orders (orders_get) and
updates its own orders (orders_update) on a healthy store.

Contract (issue 11, defect 5; DESIGN §7; docs/operations.md "Connection budget"):
- an update holds no database connection while OrderDesk answers (the per-order serialization is a
  lease row, not a session-level advisory lock on a pooled connection), so A's hanging updates
  cannot take the connections B's calls need;
- a tenant has at most UPSTREAM_MAX_CONCURRENT_PER_TENANT OrderDesk calls in flight per replica
  (more wait UPSTREAM_MAX_WAIT_MS, then `rate_limited`), so A cannot take every transfer thread of
  the client (ORDERDESK_MAX_CONNECTIONS) that B's calls need.

What must hold while A hangs:
- every call of B succeeds (cached reads and updates alike);
- B's cached orders_get keeps its latency: p99 during the hang ≤ max(3 × p99 before, p99 before + 50 ms);
- B's updates finish well within ORDER_LOCK_TIMEOUT_MS;
- A's calls fail only the documented ways (`upstream_unavailable` after the deadline, `rate_limited`
  when its slots are busy), and A never has more than the cap in flight upstream.

The pool is small on purpose (DB_POOL_SIZE 4) so that a design pinning a connection per hanging
update runs out at once.
"""

from __future__ import annotations

import secrets
import time

import pytest

from chaos_support import LONG, Load, Worker, call_tool, counts, crash_text, evidence, open_client
from conftest import CHAOS_SERVER_ENV, note, order_ids, register
from e2e_support import SECRETS, Simulator

A_STORE, B_STORE = "43601", "43602"
A_CLIENTS = 16 if LONG else 12  # more than the cap and than the client's transfer threads
B_GET_CLIENTS = 3
BASELINE_S = 8.0 if LONG else 3.0
HANG_MEASURE_S = 10.0 if LONG else 4.0
PILE_UP_S = 1.0  # A's calls reach the hang before B's measurement starts
TIMEOUT_MS = 6000  # ORDERDESK_TIMEOUT_MS: A's calls give up after this
HANG_DELAY_MS = 60_000  # A's store answers after a minute: a hang, as far as the server can tell
LOCK_TIMEOUT_MS = 3000
PER_TENANT = 4
MAX_CONNECTIONS = 8
MAX_WAIT_MS = 2000

ENV = {
    **CHAOS_SERVER_ENV,
    "DB_POOL_SIZE": "4",
    "ORDERDESK_TIMEOUT_MS": str(TIMEOUT_MS),
    "ORDERDESK_MAX_CONNECTIONS": str(MAX_CONNECTIONS),
    "UPSTREAM_MAX_CONCURRENT_PER_TENANT": str(PER_TENANT),
    "UPSTREAM_MAX_WAIT_MS": str(MAX_WAIT_MS),
    "ORDER_LOCK_TIMEOUT_MS": str(LOCK_TIMEOUT_MS),
    "ORDER_CACHE_TTL_SECONDS": "600",  # B's reads stay cached for the whole test
}


@pytest.fixture(scope="module")
def hang_sim(bin_dir, log_dir):
    """A simulator of its own: its faults and request log belong to this test only."""
    stores = {sid: SECRETS.add_store_key(f"odsim-chaos-hang-{sid}-{secrets.token_hex(16)}") for sid in (A_STORE, B_STORE)}
    s = Simulator(bin_dir, log_dir, stores, name="orderdesk-sim-chaos-hang", orders=A_CLIENTS + 4)
    yield s
    s.stop()


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def _b_phase(server, tenant, read_ids, update_ids, seconds, loads) -> tuple[list, list]:
    """B's load for `seconds`: B_GET_CLIENTS sessions reading cached orders, one session updating
    other orders (so the cached ones stay cached). Returns (reads, updates)."""
    def session(name, plan):
        return Worker(name, open_client(server.mcp_url, tenant.master_key, tenant.id), plan, [server.mcp_url])

    readers = Load([session(f"b-get{k}", [("orders_get", {"order_id": oid, "store": B_STORE})
                                          for oid in read_ids[k::B_GET_CLIENTS]])
                    for k in range(B_GET_CLIENTS)])
    updater = Load([session("b-update", [("orders_update", {"order_id": oid, "store": B_STORE,
                                                            "changes": {"checkout_data": {"hang_test": oid}}})
                                         for oid in update_ids])], think_s=0.2)
    loads += [readers, updater]
    readers.start()
    updater.start()
    time.sleep(seconds)
    return readers.stop(), updater.stop()


def _most_at_once(calls) -> int:
    """How many calls were waiting for OrderDesk at once, at most. A call that ended
    `upstream_unavailable` spent its last ORDERDESK_TIMEOUT_MS in its upstream call; the middle of
    that stretch is surely inside it (the server's own work around the call takes far less than a
    fifth of it), so overlaps of the middles never overstate the real concurrency."""
    t = TIMEOUT_MS / 1000
    events = []
    for c in calls:
        if c.code == "upstream_unavailable":
            events += [(c.ended - 0.8 * t, 1), (c.ended - 0.2 * t, -1)]
    most = now = 0
    for _, step in sorted(events):
        now += step
        most = max(most, now)
    return most


def _latency(calls) -> tuple[float, float]:
    seconds = [c.seconds for c in calls]
    return _percentile(seconds, 50), _percentile(seconds, 99)


def test_a_hanging_tenant_does_not_slow_down_another(start_server, make_tenant, hang_sim, db):
    server = start_server("chaos-tenant-hang", **ENV, ORDERDESK_BASE_URL=hang_sim.api_url)
    loads: list[Load] = []
    try:
        a, b = make_tenant("hang-a"), make_tenant("hang-b")
        register(server, a, hang_sim, A_STORE, "Hanging store")
        register(server, b, hang_sim, B_STORE, "Healthy store")
        a_ids = order_ids(hang_sim, A_STORE, A_CLIENTS)
        b_ids = order_ids(hang_sim, B_STORE, A_CLIENTS + 4)
        assert not set(a_ids) & set(b_ids), "the two stores share order ids: the faults would hit B too"
        b_read_ids, b_update_ids = b_ids[:6], b_ids[6:]

        # B's reads are cached from here on.
        with open_client(server.mcp_url, b.master_key, b.id) as warm:
            for oid in b_read_ids:
                first = call_tool(warm, "warm", "orders_get", {"order_id": oid, "store": B_STORE})
                assert first.ok, first.describe()

        # 1. Baseline: B alone, reading cached orders and updating others.
        baseline, baseline_updates = _b_phase(server, b, b_read_ids, b_update_ids, BASELINE_S, loads)

        # 2. A's store hangs (only A's orders: B's store is on the same simulator) and A piles up.
        hang_sim.reset()
        hang_sim.fault(*[{"method": "*", "path": f"/orders/{oid}", "for_seconds": 600, "delay_ms": HANG_DELAY_MS}
                         for oid in a_ids])
        a_workers = [Worker(f"a{k}", open_client(server.mcp_url, a.master_key, a.id),
                            [("orders_update", {"order_id": a_ids[k], "store": A_STORE,
                                                "changes": {"order_notes": [f"hang {k}"]}}),
                             ("orders_get", {"order_id": a_ids[k], "store": A_STORE})], [server.mcp_url])
                     for k in range(A_CLIENTS)]
        a_load = Load(a_workers, think_s=0.05)
        loads.append(a_load)
        a_load.start()
        time.sleep(PILE_UP_S)

        # 3. B again, doing the same while A hangs.
        hang_reads, b_updates = _b_phase(server, b, b_read_ids, b_update_ids, HANG_MEASURE_S, loads)
        a_calls = a_load.stop()  # still hanging: in-flight calls end at their deadline (TIMEOUT_MS)
    finally:
        for load in loads:
            load.close()
        hang_sim.clear_faults()

    t0 = loads[0].t0
    assert server.running, f"the server exited: {server.stderr_tail()}"
    crash = crash_text(server.stderr_path)
    assert not crash, f"the server log shows a crash:\n{crash}"

    p50_before, p99_before = _latency(baseline)
    p50_during, p99_during = _latency(hang_reads)
    bound = max(3 * p99_before, p99_before + 0.050)
    upd = sorted(c.seconds for c in b_updates)
    upd_before = sorted(c.seconds for c in baseline_updates)
    most_upstream = _most_at_once(a_calls)
    note(f"tenant hang: A {A_CLIENTS} sessions on a hanging store: {len(a_calls)} calls ({counts(a_calls)}), "
         f"at most {most_upstream} waiting for OrderDesk at once (cap {PER_TENANT}, {MAX_CONNECTIONS} transfer threads)")
    note(f"tenant hang: B cached orders_get before p50 {p50_before * 1000:.1f} ms p99 {p99_before * 1000:.1f} ms "
         f"({len(baseline)} calls); during A's hang p50 {p50_during * 1000:.1f} ms p99 {p99_during * 1000:.1f} ms "
         f"({len(hang_reads)} calls); bound {bound * 1000:.1f} ms")
    if upd and upd_before:
        note(f"tenant hang: B orders_update before: {len(baseline_updates)} calls ({counts(baseline_updates)}), "
             f"median {upd_before[len(upd_before) // 2] * 1000:.0f} ms, max {upd_before[-1] * 1000:.0f} ms; "
             f"during A's hang: {len(b_updates)} calls ({counts(b_updates)}), "
             f"median {upd[len(upd) // 2] * 1000:.0f} ms, max {upd[-1] * 1000:.0f} ms")

    failed = [c for c in baseline + baseline_updates + hang_reads + b_updates if not c.ok]
    assert not failed, f"B's calls failed while A's store hung ({counts(failed)}):\n{evidence(failed, t0)}"
    uncached = [c for c in baseline + hang_reads if c.data.get("cached") is not True]
    assert not uncached, f"B's reads were not served from the cache:\n{evidence(uncached, t0)}"
    assert len(hang_reads) >= 20 and b_updates, f"too few calls of B to measure: {len(hang_reads)} reads, {len(b_updates)} updates"
    slow = sorted(hang_reads, key=lambda c: -c.seconds)[:5]
    assert p99_during <= bound, (
        f"B's cached orders_get p99 went from {p99_before * 1000:.1f} ms to {p99_during * 1000:.1f} ms while A's store "
        f"hung (bound {bound * 1000:.1f} ms); slowest:\n{evidence(slow, t0)}")
    slow_updates = [c for c in b_updates if c.seconds > LOCK_TIMEOUT_MS / 1000 / 2]
    assert not slow_updates, f"B's updates waited behind A's:\n{evidence(slow_updates, t0)}"

    # A failed only the documented ways, and never had more than its cap upstream at once.
    wrong = [c for c in a_calls if c.ok or (c.kind, c.code) not in {("tool_error", "upstream_unavailable"),
                                                                    ("tool_error", "rate_limited")}]
    assert not wrong, f"A's calls on a hanging store ended otherwise ({counts(a_calls)}):\n{evidence(wrong, t0)}"
    assert any(c.code == "rate_limited" for c in a_calls), f"A was never held to its cap: {counts(a_calls)}"
    assert most_upstream <= PER_TENANT, f"{most_upstream} calls of A waited for OrderDesk at once (cap {PER_TENANT})"
    no_hint = [c for c in a_calls if c.code == "rate_limited" and not isinstance(c.tool_retry_after, (int, float))]
    assert not no_hint, f"rate_limited without retry_after:\n{evidence(no_hint, t0)}"
