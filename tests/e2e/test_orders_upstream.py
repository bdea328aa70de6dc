"""Upstream failures and shaping: a 503 storm → upstream_unavailable after exactly retries + 1
attempts within a bounded time; a timeout → upstream_unavailable; OrderDesk's 429 is retried
after X-Retry-After, and beyond the retries → rate_limited; the per-store upstream bucket in
Postgres is shared by replicas and refuses with rate_limited + retry_after when empty."""

import math
import time
from datetime import datetime

import pytest

from conftest import ORDER_SERVER_ENV
from e2e_support import RawClient, order_body, tool_error


def _ids(orders_sim, sid, n=30):
    return [str(o["id"]) for o in orders_sim.api("GET", "/orders", sid, params={"limit": n}).json()["orders"]]


def _at(r):
    return datetime.fromisoformat(r["at"].replace("Z", "+00:00"))


@pytest.fixture(scope="module")
def strict(start_server, orders_sim):
    """A replica with ORDERDESK_MAX_RETRIES=1 and a 1.5 s deadline per upstream call."""
    env = {**ORDER_SERVER_ENV, "ORDERDESK_BASE_URL": orders_sim.api_url, "ORDERDESK_MAX_RETRIES": "1", "ORDERDESK_TIMEOUT_MS": "1500"}
    s = start_server("ostrict", **env)
    yield s
    s.stop()


@pytest.fixture
def faults(orders_sim):
    yield orders_sim.fault
    orders_sim.clear_faults()


def _timed(c, tool, args):
    t0 = time.monotonic()
    r = c.tool(tool, args)
    return r, time.monotonic() - t0


@pytest.mark.parametrize("replica,retries", [("o1", 3), ("strict", 1)])
def test_503_storm(request, replica, retries, order_tenant, orders_sim, faults):
    server = request.getfixturevalue(replica)
    t, store = order_tenant(f"orders-503-{replica}", server=server)
    sid = store["store_id"]
    oid = _ids(orders_sim, sid, 1)[0]
    with RawClient(server.mcp_url, t.master_key, tenant_id=t.id) as c:
        c.open()
        faults({"method": "*", "path": "/orders/**", "for_seconds": 60, "status": 503}, {"method": "GET", "path": "/orders", "for_seconds": 60, "status": 503})
        for tool, args, path in (
            ("orders_get", {"order_id": oid}, f"/orders/{oid}"),
            ("orders_list", {"limit": 5}, "/orders"),
            ("orders_update", {"order_id": oid, "changes": {"email": "storm@example.com"}}, f"/orders/{oid}"),
        ):
            mark = orders_sim.mark()
            r, elapsed = _timed(c, tool, args)
            tool_error(r, "upstream_unavailable", f"{tool} in a 503 storm")
            attempts = orders_sim.since(mark, store_id=sid, path=path)
            assert len(attempts) == retries + 1, f"{tool}: {len(attempts)} upstream attempts, expected {retries + 1}: {attempts}"
            assert all(a["status"] == 503 and a["method"] == "GET" for a in attempts), attempts
            # backoff 50 ms · 2^n (±20 %) — far below the 60 s deadline
            assert elapsed < 5, f"{tool}: upstream_unavailable after {elapsed:.1f}s"
        # a POST is never repeated after a 503 (OrderDesk may have processed it)
        faults({"method": "POST", "path": "/orders", "for_seconds": 60, "status": 503})
        mark = orders_sim.mark()
        tool_error(c.tool("orders_create", {"order": order_body("storm")}), "upstream_unavailable", "create in a 503 storm")
        assert len(orders_sim.since(mark, store_id=sid, method="POST")) == 1
        orders_sim.clear_faults()
        # the failures were not cached: after the storm the same calls work
        got = c.tool("orders_get", {"order_id": oid}).ok()
        assert got["cached"] is False and str(got["order"]["id"]) == oid
        assert got["order"]["email"] != "storm@example.com"


def test_timeout_is_upstream_unavailable(strict, order_tenant, orders_sim, faults):
    t, store = order_tenant("orders-timeout", server=strict)
    sid = store["store_id"]
    oid = _ids(orders_sim, sid, 1)[0]
    faults({"method": "GET", "path": f"/orders/{oid}", "count": 5, "delay_ms": 4000})
    with RawClient(strict.mcp_url, t.master_key, tenant_id=t.id) as c:
        c.open()
        r, elapsed = _timed(c, "orders_get", {"order_id": oid})
    tool_error(r, "upstream_unavailable", "an upstream answer slower than ORDERDESK_TIMEOUT_MS")
    assert 1.2 <= elapsed < 3.5, f"timed out after {elapsed:.2f}s with ORDERDESK_TIMEOUT_MS=1500"


def test_429_retried_after_x_retry_after(o1, order_tenant, orders_sim, faults):
    t, store = order_tenant("orders-429")
    sid = store["store_id"]
    oid = _ids(orders_sim, sid, 1)[0]
    faults({"method": "GET", "path": f"/orders/{oid}", "count": 1, "status": 429, "headers": {"X-Retry-After": "1", "X-Tokens-Remaining": "0"}})
    with RawClient(o1.mcp_url, t.master_key, tenant_id=t.id) as c:
        c.open()
        mark = orders_sim.mark()
        r, elapsed = _timed(c, "orders_get", {"order_id": oid})
    assert str(r.ok()["order"]["id"]) == oid
    attempts = orders_sim.since(mark, store_id=sid, path=f"/orders/{oid}")
    assert [a["status"] for a in attempts] == [429, 200], attempts
    gap = (_at(attempts[1]) - _at(attempts[0])).total_seconds()
    assert gap >= 0.95 and elapsed >= 1.0, f"retried {gap:.2f}s after a 429 with X-Retry-After: 1"
    assert elapsed < 5, elapsed


def test_429_beyond_retries_is_rate_limited(strict, order_tenant, orders_sim, faults):
    t, store = order_tenant("orders-429-max", server=strict)
    sid = store["store_id"]
    faults({"method": "GET", "path": "/orders", "count": 10, "status": 429, "headers": {"X-Retry-After": "1", "X-Tokens-Remaining": "0"}})
    with RawClient(strict.mcp_url, t.master_key, tenant_id=t.id) as c:
        c.open()
        mark = orders_sim.mark()
        r, elapsed = _timed(c, "orders_list", {"limit": 5})
    err = tool_error(r, "rate_limited", "429 on every attempt")
    assert isinstance(err.get("retry_after"), (int, float)) and err["retry_after"] >= 1, err
    assert [a["status"] for a in orders_sim.since(mark, store_id=sid)] == [429, 429]
    assert elapsed < 3.5, elapsed


SHAPING_BURST = 4


@pytest.fixture(scope="module")
def shaped(start_server, orders_sim):
    """Two replicas sharing a per-store upstream bucket of 4 tokens refilled at 1/s, waiting at most 100 ms."""
    env = {
        **ORDER_SERVER_ENV,
        "ORDERDESK_BASE_URL": orders_sim.api_url,
        "UPSTREAM_BUCKET_BURST": str(SHAPING_BURST),
        "UPSTREAM_BUCKET_PER_SECOND": "1",
        "UPSTREAM_MAX_WAIT_MS": "100",
    }
    servers = [start_server(f"oshape{i}", **env) for i in (1, 2)]
    yield servers
    for s in servers:
        s.stop()


def test_upstream_bucket_shared_by_replicas(shaped, order_tenant, orders_sim):
    t, store = order_tenant("orders-shaping", server=shaped[0])
    sid = store["store_id"]
    ids = _ids(orders_sim, sid, 12)
    clients = [RawClient(s.mcp_url, t.master_key, tenant_id=t.id).open() for s in shaped]
    try:
        # (registering the store took no upstream token: the bucket starts full at the first order call)
        mark = orders_sim.mark()
        t0 = time.monotonic()
        results, durations = [], []
        for i, oid in enumerate(ids[:10]):  # distinct orders: none can come from the cache
            r, d = _timed(clients[i % 2], "orders_get", {"order_id": oid})
            results.append(r)
            durations.append(d)
        elapsed = time.monotonic() - t0
        ok = [r for r in results if not r.is_error]
        limited = [r for r in results if r.is_error]
        for r in limited:
            err = tool_error(r, "rate_limited", "an empty upstream bucket")
            assert isinstance(err.get("retry_after"), (int, float)) and err["retry_after"] > 0, err
        assert all(not r.is_error for r in results[:SHAPING_BURST]), [r.error_code for r in results]
        assert limited, f"no call was refused: {len(ok)} upstream calls in {elapsed:.2f}s with a burst of {SHAPING_BURST} at 1/s"
        # one bucket for both replicas: a bucket each would have let 2 × 4 calls through
        assert len(ok) <= SHAPING_BURST + math.ceil(elapsed), f"{len(ok)} calls passed in {elapsed:.2f}s"
        # refused calls never reached OrderDesk; the wait before refusing is bounded
        assert len(orders_sim.since(mark, store_id=sid)) == len(ok)
        assert max(d for r, d in zip(results, durations) if r.is_error) < 2.0, durations
        # after retry_after the store can be called again
        time.sleep(max(float(limited[0].data["error"]["retry_after"]), 1.0) + 0.1)
        assert not clients[0].tool("orders_get", {"order_id": ids[11]}).is_error
    finally:
        for c in clients:
            c.close()
