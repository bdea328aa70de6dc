"""Sessions live in PostgreSQL: a session started on replica 1 continues on replica 2 with its
active store, and any replica can end it. A 2026-07-28 client needs no session at all: its
requests alternate between the replicas and no session is ever created."""

import pytest

from e2e_support import (
    LATEST_VERSION,
    MODERN_VERSION,
    RECORDER,
    RawClient,
    RoundRobinTransport,
    assert_audited_as,
    db_now,
    is_store,
    mcp_session,
    run,
    sessions_created_since,
)


@pytest.fixture(scope="module")
def tenant_with_stores(make_tenant, r1, sim):
    t = make_tenant("replicas")
    with RawClient(r1.mcp_url, t.master_key, tenant_id=t.id) as c:
        c.open()
        one = c.tool("stores_register", {"store_id": "41002", "api_key": sim.stores["41002"], "name": "Harbor East"}).ok()["store"]
        two = c.tool("stores_register", {"store_id": "41003", "api_key": sim.stores["41003"], "name": "Harbor West"}).ok()["store"]
    return t, one, two


def test_session_moves_between_replicas_with_active_store(r1, r2, tenant_with_stores):
    t, one, two = tenant_with_stores
    with RawClient(r1.mcp_url, t.master_key, tenant_id=t.id) as c:
        c.open()  # initialize + initialized on r1
        assert c.tool("stores_use_store", {"store": "Harbor West"}).ok()["active_store"]["id"] == two["id"]

        listed = c.tool("stores_list", url=r2.mcp_url).ok()  # same session, other replica
        assert listed["active_store_id"] == two["id"], f"r2 does not see r1's active store: {listed}"

        assert c.tool("stores_use_store", {"store": one["id"]}, url=r2.mcp_url).ok()["active_store"]["id"] == one["id"]
        assert c.tool("stores_list").ok()["active_store_id"] == one["id"], "r1 does not see r2's choice"

        d = c.delete_session(url=r2.mcp_url)
        assert d.status_code in (200, 204), f"DELETE on r2: {d.status_code} {d.text[:300]}"
        r = c.request("tools/list")  # back on r1
        assert r.status_code == 404, f"r1 still serves a session ended on r2: {r.status_code} {r.text[:300]}"


@pytest.mark.parametrize("mode", ["legacy", "auto"])
def test_mcp_client_alternating_replicas(r1, r2, tenant_with_stores, mode):
    """Every HTTP request of one real client session goes to the next replica in turn. (auto mode
    finds server/discover and speaks 2026-07-28: no session, so no active store is remembered.)"""
    t, one, two = tenant_with_stores
    rr = RoundRobinTransport([r1.port, r2.port])
    modern = mode != "legacy"

    async def main():
        async with mcp_session(r1.mcp_url, t.master_key, t.id, mode=mode, transport=rr) as s:
            assert s.client.protocol_version == (MODERN_VERSION if modern else LATEST_VERSION)
            await s.client.list_tools()
            assert (await s.tool("stores_use_store", {"store": "harbor east"})).ok()["active_store"]["id"] == one["id"]
            for _ in range(3):
                assert (await s.tool("stores_list")).ok()["active_store_id"] == (None if modern else one["id"])
            assert (await s.tool("stores_use_store", {"store": "41003"})).ok()["active_store"]["id"] == two["id"]
            for _ in range(3):
                assert (await s.tool("stores_list")).ok()["active_store_id"] == (None if modern else two["id"])

    run(main())
    assert set(rr.sent) == {r1.port, r2.port}, rr.sent
    assert any(e[5] for e in rr.exchanges) is not modern, "a session id came back" if modern else "no session id"


def test_modern_client_alternating_replicas_without_a_session(r1, r2, make_tenant, sim, db):
    """The real client pinned to 2026-07-28, every HTTP request to the next replica in turn: a
    whole store scenario (register, use, resolve, orders by handle, delete) with no session —
    no Mcp-Session-Id in any request or answer, no DELETE, no sessions row."""
    t = make_tenant("replicas-modern")
    rr = RoundRobinTransport([r1.port, r2.port])
    since = db_now(db)
    start = len(RECORDER.calls)

    async def main():
        async with mcp_session(r1.mcp_url, t.master_key, t.id, mode=MODERN_VERSION, transport=rr) as s:
            assert s.client.protocol_version == MODERN_VERSION
            names = {tool.name for tool in (await s.client.list_tools()).tools}
            assert "stores_register" in names and "tenant_use_master_key" not in names
            east = (await s.tool("stores_register", {"store_id": "41002", "api_key": sim.stores["41002"], "name": "Quay East"})).ok()["store"]
            west = (await s.tool("stores_register", {"store_id": "41003", "api_key": sim.stores["41003"], "name": "Quay West"})).ok()["store"]
            used = (await s.tool("stores_use_store", {"store": "quay east"})).ok()
            assert used["store_handle"] == east["id"] and used["remembered"] is False, used
            for _ in range(3):
                listed = (await s.tool("stores_list")).ok()
                assert listed["active_store_id"] is None and {x["id"] for x in listed["stores"]} == {east["id"], west["id"]}
                assert (await s.tool("stores_resolve", {"store": used["store_handle"]})).ok()["store"]["id"] == east["id"]
            for _ in range(2):
                page = (await s.tool("orders_list", {"store": used["store_handle"], "limit": 2})).ok()
                assert is_store(page["store"], east) and len(page["orders"]) == 2
            assert (await s.tool("stores_delete", {"store": "Quay West"})).ok()["deleted"] is True
            assert [x["id"] for x in (await s.tool("stores_list")).ok()["stores"]] == [east["id"]]

    run(main())
    assert set(rr.sent) == {r1.port, r2.port}, rr.sent
    assert rr.sent == [(r1.port, r2.port)[i % 2] for i in range(len(rr.sent))], "requests did not alternate"
    assert len(rr.sent) >= 14, rr.sent  # list_tools + 13 tools/call, nothing else needed
    bad = [e for e in rr.exchanges if e[4] or e[5]]
    assert not bad, f"a session id travelled: {bad}"
    assert all(e[1] == "POST" for e in rr.exchanges), f"not only POSTs (a GET stream or a DELETE): {rr.exchanges}"
    assert all(e[3] == 200 for e in rr.exchanges), [e for e in rr.exchanges if e[3] != 200]
    served = {e[0] for e in rr.exchanges if e[2] == "tools/call"}
    assert served == {r1.port, r2.port}, f"tools/call only reached {served}"
    assert sessions_created_since(db, since, t.id) == 0, "a sessions row for the tenant"
    assert sessions_created_since(db, since) == 0, "a sessions row was created"
    assert_audited_as(db, [c.request_id for c in RECORDER.calls[start:]], MODERN_VERSION)
