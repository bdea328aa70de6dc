"""Sessions live in PostgreSQL: a session started on replica 1 continues on replica 2 with its
active store, and any replica can end it."""

import pytest

from e2e_support import RawClient, RoundRobinTransport, mcp_session, run


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
    """Every HTTP request of one real client session goes to the next replica in turn."""
    t, one, two = tenant_with_stores
    rr = RoundRobinTransport([r1.port, r2.port])

    async def main():
        async with mcp_session(r1.mcp_url, t.master_key, t.id, mode=mode, transport=rr) as s:
            await s.client.list_tools()
            assert (await s.tool("stores_use_store", {"store": "harbor east"})).ok()["active_store"]["id"] == one["id"]
            for _ in range(3):
                assert (await s.tool("stores_list")).ok()["active_store_id"] == one["id"]
            assert (await s.tool("stores_use_store", {"store": "41003"})).ok()["active_store"]["id"] == two["id"]
            for _ in range(3):
                assert (await s.tool("stores_list")).ok()["active_store_id"] == two["id"]

    run(main())
    assert set(rr.sent) == {r1.port, r2.port}, rr.sent
