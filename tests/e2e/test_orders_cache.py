"""The order cache lives in PostgreSQL: shared by replicas, invalidated on every replica by a write
of the store, tenant-scoped, and bounded by its TTL."""

import time

import pytest

from e2e_support import ModernRawClient, RawClient, is_store, psql, psql_json, tool_error


def _seeded_ids(orders_sim, sid, n):
    return [str(o["id"]) for o in orders_sim.api("GET", "/orders", sid, params={"limit": n}).json()["orders"]]


def test_cache_shared_and_invalidated_across_replicas(o1, o2, order_tenant, orders_sim):
    t, store = order_tenant("orders-cache")
    sid = store["store_id"]
    oid, other = _seeded_ids(orders_sim, sid, 2)
    with RawClient(o1.mcp_url, t.master_key, tenant_id=t.id) as c1, RawClient(o2.mcp_url, t.master_key, tenant_id=t.id) as c2:
        c1.open()
        c2.open()

        # replica 1 fetches; replica 2 answers from the shared cache without calling OrderDesk
        mark = orders_sim.mark()
        first = c1.tool("orders_get", {"order_id": oid}).ok()
        assert first["cached"] is False
        assert len(orders_sim.since(mark, method="GET", path=f"/orders/{oid}")) == 1
        mark = orders_sim.mark()
        shared = c2.tool("orders_get", {"order_id": oid}).ok()
        assert shared["cached"] is True, "replica 2 did not use the order replica 1 fetched"
        assert shared["order"] == first["order"] and is_store(shared["store"], store)
        l1 = c1.tool("orders_list", {"limit": 5}).ok()
        l2 = c2.tool("orders_list", {"limit": 5}).ok()
        assert l1["cached"] is False and l2["cached"] is True and l2["orders"] == l1["orders"]
        assert c1.tool("orders_get", {"order_id": other}).ok()["cached"] is False
        assert c2.tool("orders_get", {"order_id": other}).ok()["cached"] is True
        upstream = orders_sim.since(mark, store_id=sid)
        assert [(r["method"], r["path"]) for r in upstream] == [("GET", "/orders"), ("GET", f"/orders/{other}")], upstream

        # a write on replica 1 invalidates the order and every list of the store, on replica 2 too
        new_city = f"Cachetown {time.monotonic_ns() % 100000}"
        c1.tool("orders_update", {"order_id": oid, "changes": {"shipping": {"city": new_city}}}).ok()
        mark = orders_sim.mark()
        after = c2.tool("orders_get", {"order_id": oid}).ok()
        assert after["cached"] is False, "replica 2 served the order cached before replica 1's update"
        assert after["order"]["shipping"]["city"] == new_city
        assert len(orders_sim.since(mark, method="GET", path=f"/orders/{oid}")) == 1
        listed = c2.tool("orders_list", {"limit": 5}).ok()
        assert listed["cached"] is False, "replica 2 served a list cached before replica 1's update"
        assert c1.tool("orders_get", {"order_id": oid}).ok()["cached"] is True  # refilled by replica 2

        # a create and a delete (on replica 2) invalidate every list of the store on replica 1
        for write in (
            lambda: c2.tool("orders_create", {"order": {"shipping": {"company": "Cache Co"}, "order_items": [{"name": "X"}]}}),
            lambda: c2.tool("orders_delete", {"order_id": other}),
        ):
            assert c1.tool("orders_list", {"limit": 5}).ok()["cached"] is True
            write().ok()
            assert c1.tool("orders_list", {"limit": 5}).ok()["cached"] is False
        tool_error(c1.tool("orders_get", {"order_id": other}), "not_found", "get of an order deleted on the other replica")


def test_cache_rows_are_tenant_scoped(o1, order_tenant, db):
    """What the cache stores belongs to the tenant (RLS): the row exists under the tenant and store."""
    t, store = order_tenant("orders-cache-rls")
    with RawClient(o1.mcp_url, t.master_key, tenant_id=t.id) as c:
        c.open()
        c.tool("orders_list", {"limit": 2}).ok()
    rows = psql(
        db.super_url,
        f"SELECT count(*) FROM orderdesk.cache_entries WHERE tenant_id = '{t.id}' AND store_id = '{store['id']}' AND scope = 'order_list';",
    )
    assert int(rows.strip()) >= 1, "orders_list left no cache entry for the tenant and store"
    as_app = psql(db.app_url, "SELECT count(*) FROM orderdesk.cache_entries;", check=False)
    assert as_app.strip() in ("", "0"), f"the app role reads cache rows without a tenant context: {as_app!r}"


@pytest.fixture(scope="module")
def short_ttl(start_server, orders_sim):
    from conftest import ORDER_SERVER_ENV

    env = {**ORDER_SERVER_ENV, "ORDERDESK_BASE_URL": orders_sim.api_url, "ORDER_CACHE_TTL_SECONDS": "1", "ORDER_LIST_CACHE_TTL_SECONDS": "1"}
    s = start_server("ottl", **env)
    yield s
    s.stop()


def test_cache_ttl(short_ttl, order_tenant, orders_sim):
    t, store = order_tenant("orders-ttl", server=short_ttl)
    oid = _seeded_ids(orders_sim, store["store_id"], 1)[0]
    with RawClient(short_ttl.mcp_url, t.master_key, tenant_id=t.id) as c:
        c.open()
        assert c.tool("orders_get", {"order_id": oid}).ok()["cached"] is False
        assert c.tool("orders_list", {"limit": 3}).ok()["cached"] is False
        assert c.tool("orders_get", {"order_id": oid}).ok()["cached"] is True
        time.sleep(2.2)
        assert c.tool("orders_get", {"order_id": oid}).ok()["cached"] is False, "an entry outlived ORDER_CACHE_TTL_SECONDS"
        assert c.tool("orders_list", {"limit": 3}).ok()["cached"] is False, "a list outlived ORDER_LIST_CACHE_TTL_SECONDS"


def test_a_cached_get_is_one_statement_that_reads_session_store_and_entry(o1, order_tenant, db):
    """A cached orders_get opens with one statement, orderdesk.open_call, which reads the session,
    its active store's registration and the cache entry: no separate session read, cache lookup or
    store list (counted with pg_stat_statements, which scripts/db.sh preloads)."""
    t, store = order_tenant("no-store-list")
    psql(db.super_url, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements;")
    with RawClient(o1.mcp_url, t.master_key, tenant_id=t.id) as c:
        c.open()
        c.tool("stores_use_store", {"store": store["id"]}).ok()
        oid = str(c.tool("orders_list", {"limit": 1}).ok()["orders"][0]["id"])
        c.tool("orders_get", {"order_id": oid}).ok()
        psql(db.super_url, "SELECT pg_stat_statements_reset();")
        for _ in range(5):
            got = c.tool("orders_get", {"order_id": oid}).ok()
            assert got["cached"] is True and is_store(got["store"], store), got
        rows = psql_json(
            db.super_url,
            "SELECT query, calls FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())",
        )
    openings = sum(r["calls"] for r in rows if "orderdesk.open_call" in r["query"])
    session_reads = [r for r in rows if "WITH current AS" in r["query"] and "orderdesk.sessions" in r["query"]]
    cache_reads = [r for r in rows if "FROM orderdesk.cache_entries" in r["query"] and "SELECT clock_timestamp()" in r["query"]]
    store_lists = [r for r in rows if "FROM orderdesk.stores" in r["query"] and "ORDER BY lower(name)" in r["query"]]
    assert openings >= 5, rows
    assert session_reads == [] and cache_reads == [] and store_lists == [], rows


def test_a_cached_get_in_2026_07_28_opens_with_one_statement_and_its_due_rate_decision(o1, order_tenant, db):
    """2026-07-28 has no session: a cached orders_get opens with orderdesk.open_call (stores and cache
    entry), and when the tenant's rate decision is due it rides along in the same transaction, run as
    the tenant open_call set: no transaction of its own (no client-side set_config at all)."""
    t, store = order_tenant("modern-one-statement")
    psql(db.super_url, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements;")
    with ModernRawClient(o1.mcp_url, t.master_key, tenant_id=t.id) as c:
        args = {"store": store["id"]}
        oid = str(c.tool("orders_list", {**args, "limit": 1}).ok()["orders"][0]["id"])
        # Past the key cache (AUTH_CACHE_TTL_SECONDS, 2 s), one call re-checks the key (and records
        # its use, in a tenant transaction of its own); the next calls find it cached.
        time.sleep(2.1)
        c.tool("orders_get", {**args, "order_id": oid}).ok()
        time.sleep(1.1)  # the tenant's prefetched tokens (1 s) are gone: the next call needs a decision
        psql(db.super_url, "SELECT pg_stat_statements_reset();")
        for _ in range(5):
            got = c.tool("orders_get", {**args, "order_id": oid}).ok()
            assert got["cached"] is True and is_store(got["store"], store), got
        rows = psql_json(
            db.super_url,
            "SELECT query, calls FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())",
        )
    openings = sum(r["calls"] for r in rows if "orderdesk.open_call" in r["query"])
    decisions = sum(r["calls"] for r in rows if "INSERT INTO orderdesk.rate_limit_buckets" in r["query"])
    tenant_settings = [r for r in rows if "set_config('app.tenant_id'" in r["query"]]
    cache_reads = [r for r in rows if "FROM orderdesk.cache_entries" in r["query"] and "SELECT clock_timestamp()" in r["query"]]
    store_lists = [r for r in rows if "FROM orderdesk.stores" in r["query"] and "ORDER BY lower(name)" in r["query"]]
    assert openings >= 5 and decisions >= 1, rows
    assert tenant_settings == [] and cache_reads == [] and store_lists == [], rows
