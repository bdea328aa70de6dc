"""OrderDesk misbehaving while several sessions call orders_get / orders_list: answers slower than
ORDERDESK_TIMEOUT_MS, 429 storms (X-Retry-After), 500/503 storms, and a client storm against an
upstream that enforces OrderDesk's own rate limit.

Contract (docs/orderdesk-client.md, README, ToolErrorMapping.swift): one overall deadline of
ORDERDESK_TIMEOUT_MS per upstream call, retries included; GETs retried on 429/500/502/503/504 and
network errors at most ORDERDESK_MAX_RETRIES times, waiting base·2ⁿ (capped, ±jitter) and at least
X-Retry-After; a timeout and 5xx after retries → `upstream_unavailable`; 429 beyond the retries or
the deadline → `rate_limited` with `retry_after`; the per-store upstream bucket refuses locally
(`rate_limited`) instead of calling OrderDesk.

What must hold in each storm:
- bounded latency: every call returns within min(T·(R+1) + R·max(backoff cap·(1+jitter), Retry-After),
  T) + margin (T = ORDERDESK_TIMEOUT_MS, R = retries; the second term is the documented single
  deadline, which is the tighter one);
- the documented tool error code for every call during the storm;
- no retry storm: upstream requests (the simulator's request log, one store per client) ≤
  calls × (1 + R); after a 429 the retry comes ≥ X-Retry-After later; a Retry-After beyond the
  deadline is not waited for and not retried;
- after the storm ends, every session succeeds again;
- every call is audited: each tool error with its code, each success `ok`.
"""

from __future__ import annotations

import time
from datetime import datetime

import pytest

from chaos_support import BUDGET, Load, Worker, audit_mismatches, call_tool, counts, crash_text, evidence, open_client
from conftest import CHAOS_SERVER_ENV, note, order_ids, register
from e2e_support import Simulator, SECRETS

TIMEOUT_MS = 1500
MAX_RETRIES = 1
RETRY_BASE_MS = 100
RETRY_MAX_MS = 400
JITTER = 0.2
MAX_CONNECTIONS = 3  # fewer transfer threads than storm clients: waiting for one counts against the deadline
HANG_DELAY_MS = 2500  # an answer this slow is past the deadline
MARGIN_S = 1.5  # scheduling on two busy cores, the database work around the upstream call

UPSTREAM_ENV = {
    **CHAOS_SERVER_ENV,
    "ORDERDESK_TIMEOUT_MS": str(TIMEOUT_MS),
    "ORDERDESK_MAX_RETRIES": str(MAX_RETRIES),
    "ORDERDESK_RETRY_BASE_MS": str(RETRY_BASE_MS),
    "ORDERDESK_RETRY_MAX_MS": str(RETRY_MAX_MS),
    "ORDERDESK_RETRY_JITTER": str(JITTER),
    "ORDERDESK_MAX_CONNECTIONS": str(MAX_CONNECTIONS),
    "ORDER_CACHE_TTL_SECONDS": "0",  # every read goes upstream
    "ORDER_LIST_CACHE_TTL_SECONDS": "0",
}


def latency_bound(retry_after_s: float = 0.0, timeout_ms: int = TIMEOUT_MS) -> float:
    """The longest one tool call may take: the smaller of
    - every attempt running to the timeout and every wait the longest: T·(R+1) + R·max(cap·(1+jitter), Retry-After);
    - the documented single deadline: attempts and waits together fit in ORDERDESK_TIMEOUT_MS;
    plus MARGIN_S for the database work around the upstream call and two busy cores."""
    wait = max(RETRY_MAX_MS / 1000 * (1 + JITTER), retry_after_s)
    per_attempt = timeout_ms / 1000 * (MAX_RETRIES + 1) + MAX_RETRIES * wait
    return min(per_attempt, timeout_ms / 1000) + MARGIN_S


@pytest.fixture(scope="module")
def up_server(start_server, storm_sim):
    s = start_server("chaos-upstream", **UPSTREAM_ENV, ORDERDESK_BASE_URL=storm_sim.api_url)
    yield s
    s.stop()


# The 429 storms run on a replica with a longer deadline, so a 1 s X-Retry-After always fits in it
# (with 1.5 s, a first attempt slowed by a busy machine could leave too little time to wait).
TIMEOUT_429_MS = 3000


@pytest.fixture(scope="module")
def up429_server(start_server, storm_sim):
    s = start_server("chaos-upstream-429", **{**UPSTREAM_ENV, "ORDERDESK_TIMEOUT_MS": str(TIMEOUT_429_MS)},
                     ORDERDESK_BASE_URL=storm_sim.api_url)
    yield s
    s.stop()


@pytest.fixture(scope="module")
def storm_tenant(up_server, make_tenant, storm_sim, claim_storm_stores):
    """One tenant, one store per storm client (a store's request log = one client's calls). Stores
    live in the database: every replica of the suite's database serves them."""
    t = make_tenant("storms")
    stores = [register(up_server, t, storm_sim, sid, f"Storm {sid}") for sid in claim_storm_stores(BUDGET.storm_clients)]
    return t, stores, {s["store_id"]: order_ids(storm_sim, s["store_id"]) for s in stores}


def _workers(server, tenant, stores, ids) -> list[Worker]:
    workers = []
    for s in stores:
        sid = s["store_id"]
        plan = []
        for j, oid in enumerate(ids[sid]):
            plan.append(("orders_get", {"order_id": oid, "store": sid}))
            plan.append(("orders_list", {"limit": 5, "offset": j % 10, "store": sid}))
        workers.append(Worker(sid, open_client(server.mcp_url, tenant.master_key, tenant.id), plan, [server.mcp_url]))
    return workers


def _at(r) -> float:
    return datetime.fromisoformat(r["at"].replace("Z", "+00:00")).timestamp()


def _storm(sim, server, tenant, stores, ids, fault: dict, drain_s: float = 0.3):
    """Runs the load for BUDGET.storm_s under `fault`; then clears it and calls once per session.
    The simulator logs a delayed request when its delay is over: `drain_s` waits for the last ones.
    Returns (storm calls, upstream requests per store id, after-storm calls, load)."""
    sim.reset()  # no faults, empty request log
    workers = _workers(server, tenant, stores, ids)
    load = Load(workers)
    try:
        sim.fault(fault)
        load.start()
        time.sleep(BUDGET.storm_s)
        calls = load.stop()
        sim.clear_faults()
        time.sleep(drain_s)  # requests still held by a delay fault reach the log
        log = sim.requests()
        assert len(log) < 10_000, "the simulator's request log (last 10,000) overflowed: counts would be wrong"
        after = [call_tool(w.client, w.name, *w.plan[0]) for w in workers]
    finally:
        sim.clear_faults()
        load.close()
    per_store: dict[str, list[dict]] = {}
    for r in log:
        per_store.setdefault(r.get("store_id"), []).append(r)
    return calls, per_store, after, load


def _common(what, server, calls, per_store, after, load, expected_code, bound, db, every_call_sent=True,
            held_off_until=None):
    t0 = load.t0
    assert calls, f"{what}: no call was made"
    assert server.running, f"{what}: the server exited: {server.stderr_tail()}"
    crash = crash_text(server.stderr_path)
    assert not crash, f"{what}: the server log shows a crash:\n{crash}"
    wrong = [c for c in calls if c.kind != "tool_error" or c.code != expected_code or c.status != 200]
    assert not wrong, f"{what}: calls that did not end with the tool error {expected_code} ({counts(calls)}):\n{evidence(wrong, t0)}"
    slow = [c for c in calls if c.seconds > bound]
    assert not slow, f"{what}: calls slower than the bound {bound:.2f}s:\n{evidence(slow, t0)}"
    # No retry storm: per store (= per client), upstream requests ≤ its calls × (1 + retries).
    for w in load.workers:
        made = len(w.calls)
        sent = len(per_store.get(w.name, []))
        assert sent <= made * (1 + MAX_RETRIES), (
            f"{what}: store {w.name} got {sent} upstream requests for {made} calls (max {made * (1 + MAX_RETRIES)})"
        )
        assert sent >= made or not every_call_sent, f"{what}: store {w.name}: {made} calls but only {sent} upstream requests (were they really tried?)"
    # After the storm: every session works again — unless OrderDesk asked for a longer pause
    # (`held_off_until`, seconds after t0), which is then still honoured, with an honest retry_after.
    if held_off_until is None:
        failed = [c for c in after if not c.ok]
        assert not failed, f"{what}: calls after the storm ended failed:\n{evidence(failed, t0)}"
    else:
        wrong = [c for c in after if c.code != "rate_limited" or not (
            held_off_until - (c.started - t0) - 2 <= c.tool_retry_after <= held_off_until - (c.started - t0) + 2)]
        assert not wrong, f"{what}: calls during OrderDesk's requested pause:\n{evidence(wrong, t0)}"
    # Every call is audited (the database is fine): the storm's errors with their codes, then the successes.
    wrong_audit = audit_mismatches(db.super_url, calls + after)
    assert not wrong_audit, f"{what}: calls without their audit row:\n" + "\n".join(
        f"{c.describe(t0)} → {why}" for c, why in wrong_audit[:5])


def _summary(calls, per_store):
    sent = sum(len(v) for v in per_store.values())
    secs = sorted(c.seconds for c in calls)
    return (f"{len(calls)} calls ({counts(calls)}), {sent} upstream requests ({sent / max(len(calls), 1):.2f} per call), "
            f"latency min {secs[0]:.2f}s median {secs[len(secs) // 2]:.2f}s max {secs[-1]:.2f}s")


def test_upstream_hanging_past_the_timeout(up_server, storm_tenant, storm_sim, db):
    """Every answer delayed 2.5 s, ORDERDESK_TIMEOUT_MS=1500, more clients than transfer threads."""
    t, stores, ids = storm_tenant
    fault = {"method": "*", "path": "**", "for_seconds": 600, "delay_ms": HANG_DELAY_MS}
    calls, per_store, after, load = _storm(storm_sim, up_server, t, stores, ids, fault, drain_s=HANG_DELAY_MS / 1000 + 0.7)
    bound = latency_bound()
    # (A call that waited for a transfer thread until its deadline passed sends nothing at all.)
    _common("hang", up_server, calls, per_store, after, load, "upstream_unavailable", bound, db, every_call_sent=False)
    # They really waited for the deadline (not failing early on something else).
    early = [c for c in calls if c.seconds < TIMEOUT_MS / 1000 * 0.8]
    assert not early, f"hang: calls gave up before the {TIMEOUT_MS} ms deadline:\n{evidence(early, load.t0)}"
    note(f"upstream hang (delay {HANG_DELAY_MS} ms, timeout {TIMEOUT_MS} ms, {MAX_CONNECTIONS} transfer threads, "
         f"{len(stores)} clients, bound {bound:.2f}s): {_summary(calls, per_store)}")


@pytest.mark.parametrize("status", [503, 500])
def test_5xx_storm(up_server, storm_tenant, storm_sim, db, status):
    t, stores, ids = storm_tenant
    fault = {"method": "*", "path": "**", "for_seconds": 600, "status": status}
    calls, per_store, after, load = _storm(storm_sim, up_server, t, stores, ids, fault)
    bound = latency_bound()
    _common(f"{status} storm", up_server, calls, per_store, after, load, "upstream_unavailable", bound, db)
    # GETs are retried on 500/503: each call tried exactly 1 + retries times, all answered `status`.
    for w in load.workers:
        got = per_store.get(w.name, [])
        assert len(got) == len(w.calls) * (1 + MAX_RETRIES), (
            f"{status} storm: store {w.name}: {len(got)} upstream requests for {len(w.calls)} calls")
        assert all(r["status"] == status for r in got), {r["status"] for r in got}
    note(f"upstream {status} storm ({len(stores)} clients, bound {bound:.2f}s): {_summary(calls, per_store)}")


@pytest.mark.parametrize("retry_after", [1, 30])
def test_429_storm(up429_server, storm_tenant, storm_sim, db, retry_after):
    """429 with X-Retry-After on every request. 1 s fits in the 3 s deadline: one retry, ≥ 1 s later.
    30 s does not: the call fails at once after one request, telling the caller to wait 30 s, and
    the store is held off: later calls are refused locally without reaching OrderDesk."""
    t, stores, ids = storm_tenant
    fault = {"method": "*", "path": "**", "for_seconds": 600, "status": 429,
             "headers": {"X-Retry-After": str(retry_after), "X-Tokens-Remaining": "0"}}
    calls, per_store, after, load = _storm(storm_sim, up429_server, t, stores, ids, fault)
    fits = retry_after < TIMEOUT_429_MS / 1000
    bound = latency_bound(retry_after if fits else 0, TIMEOUT_429_MS)
    _common(f"429 storm (X-Retry-After {retry_after})", up429_server, calls, per_store, after, load, "rate_limited", bound, db,
            every_call_sent=fits, held_off_until=None if fits else retry_after)
    t0 = load.t0
    no_hint = [c for c in calls if not isinstance(c.tool_retry_after, (int, float)) or c.tool_retry_after < min(retry_after, 1)]
    assert not no_hint, f"rate_limited without a usable retry_after:\n{evidence(no_hint, t0)}"
    if fits:
        # Each call: a 429, a wait of at least X-Retry-After, one more 429, give up.
        for w in load.workers:
            got = per_store.get(w.name, [])
            assert len(got) == 2 * len(w.calls), f"store {w.name}: {len(got)} upstream requests for {len(w.calls)} calls"
            gaps = [_at(got[i + 1]) - _at(got[i]) for i in range(0, len(got) - 1, 2)]
            short = [round(g, 3) for g in gaps if g < retry_after - 0.05]
            assert not short, f"store {w.name}: retried sooner than X-Retry-After {retry_after}s: gaps {short}"
        quick = [c for c in calls if c.seconds < retry_after - 0.05]
        assert not quick, f"calls that did not wait X-Retry-After before giving up:\n{evidence(quick, t0)}"
    else:
        # Not waited for, not retried, and OrderDesk's 30 s hold for the whole store: each store gets
        # exactly one request (the first call's); every later call is refused locally at once, with
        # the rest of the 30 s as its retry_after.
        for w in load.workers:
            got = per_store.get(w.name, [])
            assert len(got) == 1, f"store {w.name}: {len(got)} upstream requests for {len(w.calls)} calls (expected 1)"
        slow = [c for c in calls if c.seconds > 1.0]
        assert not slow, f"a Retry-After beyond the deadline was waited for:\n{evidence(slow, t0)}"
        low = [c for c in calls if c.tool_retry_after < retry_after - (c.started - t0) - 1]
        assert not low, f"retry_after lower than OrderDesk's X-Retry-After {retry_after}:\n{evidence(low, t0)}"
    note(f"upstream 429 storm (X-Retry-After {retry_after}, timeout {TIMEOUT_429_MS} ms, {len(stores)} clients, bound {bound:.2f}s): {_summary(calls, per_store)}")


# --- a client storm against an upstream that enforces OrderDesk's rate limit -----------------------

BUCKET_BURST = 20  # OrderDesk's (and the simulator's) leaky bucket: 20, refilled at 3/s
BUCKET_PER_SECOND = 3
MAX_WAIT_MS = 500


@pytest.fixture(scope="module")
def limited_sim(bin_dir, log_dir):
    import secrets

    stores = {"43901": SECRETS.add_store_key(f"odsim-chaos-limited-{secrets.token_hex(16)}")}
    s = Simulator(bin_dir, log_dir, stores, name="orderdesk-sim-chaos-limited", orders=40, rate_limit=True)
    yield s
    s.stop()


def test_client_storm_is_shaped_by_the_upstream_bucket(start_server, make_tenant, limited_sim, db):
    """Many sessions hammering one store: the server's per-store bucket (default 20, 3/s, like
    OrderDesk's) refuses the excess locally with rate_limited, so OrderDesk sees no more than its
    own limit allows and (almost) never has to answer 429."""
    env = {**UPSTREAM_ENV, "ORDERDESK_BASE_URL": limited_sim.api_url, "UPSTREAM_BUCKET_BURST": str(BUCKET_BURST),
           "UPSTREAM_BUCKET_PER_SECOND": str(BUCKET_PER_SECOND), "UPSTREAM_MAX_WAIT_MS": str(MAX_WAIT_MS)}
    server = start_server("chaos-shaped", **env)
    try:
        t = make_tenant("client-storm")
        register(server, t, limited_sim, "43901", "Limited")
        ids = order_ids(limited_sim, "43901", 40)
        limited_sim.reset()  # refills the simulator's bucket after the reads above, empties its log
        workers = []
        for k in range(BUDGET.storm_clients):
            plan = [("orders_get", {"order_id": oid}) for oid in ids[k::BUDGET.storm_clients]]
            workers.append(Worker(f"s{k}", open_client(server.mcp_url, t.master_key, t.id), plan, [server.mcp_url]))
        load = Load(workers)
        try:
            load.start()
            time.sleep(BUDGET.storm_s)
            calls = load.stop()
        finally:
            load.close()
        elapsed = max(c.ended for c in calls) - load.t0
        log = limited_sim.requests()
        t0 = load.t0
        refused = [c for c in calls if c.kind == "tool_error" and c.code == "rate_limited"]
        other = [c for c in calls if not c.ok and c not in refused]
        assert not other, f"client storm: failures other than rate_limited ({counts(calls)}):\n{evidence(other, t0)}"
        assert refused, f"client storm: nothing was refused ({counts(calls)}): the load did not exceed the bucket"
        bad_hint = [c for c in refused if not isinstance(c.tool_retry_after, (int, float)) or c.tool_retry_after < 1]
        assert not bad_hint, f"rate_limited without retry_after:\n{evidence(bad_hint, t0)}"
        slow = [c for c in calls if c.seconds > MAX_WAIT_MS / 1000 + latency_bound()]
        assert not slow, f"client storm: calls slower than the bucket wait + upstream bound:\n{evidence(slow, t0)}"
        # Each call takes one token before its first attempt; only a retry after OrderDesk's 429 takes none.
        allowed = BUCKET_BURST + BUCKET_PER_SECOND * elapsed + 2
        got_429 = [r for r in log if r["status"] == 429]
        assert len(log) - len(got_429) <= allowed, (
            f"{len(log)} upstream requests ({len(got_429)} answered 429) in {elapsed:.1f}s; the bucket allows {allowed:.0f} calls")
        # Two buckets with the same shape, requests arriving a little out of order: an occasional 429
        # (retried after X-Retry-After), not a storm of them.
        assert len(got_429) <= max(3, len(log) // 10), (
            f"OrderDesk had to answer 429 {len(got_429)} times out of {len(log)}: the server did not shape its calls")
        wrong_audit = audit_mismatches(db.super_url, calls)
        assert not wrong_audit, "calls without their audit row:\n" + "\n".join(f"{c.describe(t0)} → {why}" for c, why in wrong_audit[:5])
        note(f"client storm on one store ({len(workers)} clients, {elapsed:.1f}s): {len(calls)} calls ({counts(calls)}), "
             f"{len(log)} upstream requests (bucket allows {allowed:.0f}), upstream 429s {len(got_429)}")
    finally:
        server.stop()


# --- found by this suite and fixed: OrderDesk's Retry-After holds off the whole store -----------------


def test_429_retry_after_holds_off_later_calls_to_the_store(start_server, make_tenant, storm_sim, claim_storm_stores, db):
    """429 with X-Retry-After: 30 and X-Tokens-Remaining: 0 on every request; several sessions keep
    calling one store with the default upstream bucket (20, 3/s). After OrderDesk said "30 s", the
    server must answer rate_limited locally instead of calling it again: at most one upstream
    request per session (those already in flight when the first 429 came back)."""
    env = {**UPSTREAM_ENV, "ORDERDESK_BASE_URL": storm_sim.api_url, "UPSTREAM_BUCKET_BURST": "20",
           "UPSTREAM_BUCKET_PER_SECOND": "3", "UPSTREAM_MAX_WAIT_MS": "500"}
    server = start_server("chaos-429-hold", **env)
    try:
        t = make_tenant("429-hold")
        (sid,) = claim_storm_stores(1)
        register(server, t, storm_sim, sid, f"Hold {sid}")
        ids = order_ids(storm_sim, sid, 20)
        storm_sim.reset()
        storm_sim.fault({"method": "*", "path": "**", "for_seconds": 600, "status": 429,
                         "headers": {"X-Retry-After": "30", "X-Tokens-Remaining": "0"}})
        workers = [Worker(f"h{k}", open_client(server.mcp_url, t.master_key, t.id),
                          [("orders_get", {"order_id": oid}) for oid in ids[k::BUDGET.storm_clients]], [server.mcp_url])
                   for k in range(BUDGET.storm_clients)]
        load = Load(workers)
        try:
            load.start()
            time.sleep(BUDGET.storm_s)
            calls = load.stop()
        finally:
            load.close()
            storm_sim.clear_faults()
        sent = storm_sim.requests(store_id=sid)
        assert all(c.code == "rate_limited" for c in calls), counts(calls)
        note(f"429 X-Retry-After 30 across calls (default bucket 20/3 per s, {len(workers)} clients, {BUDGET.storm_s}s): "
             f"{len(calls)} calls, {len(sent)} upstream requests, all answered 429")
        assert len(sent) <= len(workers), (
            f"{len(sent)} upstream requests to a store that answered 429 with X-Retry-After: 30 "
            f"({len(calls)} calls in {BUDGET.storm_s}s; first at {sent[0]['at']}, last at {sent[-1]['at']})"
        )
    finally:
        server.stop()
