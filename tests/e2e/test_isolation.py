"""Tenant isolation: tenant B cannot see, resolve, use or delete tenant A's stores by uuid,
OrderDesk store id or name — not even when B registered the same OrderDesk store itself."""

import json

import pytest

from e2e_support import RawClient, mcp_session, run


@pytest.fixture(scope="module")
def tenants(make_tenant, r1, sim):
    a, b = make_tenant("iso-A"), make_tenant("iso-B")
    with RawClient(r1.mcp_url, a.master_key, tenant_id=a.id) as c:
        c.open()
        store = c.tool("stores_register", {"store_id": "41001", "api_key": sim.stores["41001"], "name": "Alpha Goods"}).ok()["store"]
        c.tool("stores_use_store", {"store": store["id"]}).ok()
    return a, b, store


def _assert_no_leak(result, store, ident, what):
    """The answer may echo what B typed, but nothing else of A's store (uuid, name, store id, label)."""
    text = json.dumps(result.raw).lower()
    for value in (store["id"], store["name"], store["store_id"], store.get("label")):
        if value and str(value).lower() != str(ident).lower():
            assert str(value).lower() not in text, f"{what} leaked {value!r}: {text[:400]}"


def _identifiers(store):
    return {"uuid": store["id"], "store id": store["store_id"], "name": store["name"], "name (other case)": store["name"].upper()}


@pytest.mark.parametrize("mode", ["legacy", "auto"])
def test_other_tenant_sees_nothing(r2, tenants, mode):
    a, b, store = tenants

    async def main():
        async with mcp_session(r2.mcp_url, b.master_key, b.id, mode=mode) as s:
            listed = (await s.tool("stores_list")).ok()
            assert listed == {"stores": [], "active_store_id": None}, listed
            for how, ident in _identifiers(store).items():
                for tool in ("stores_resolve", "stores_use_store", "stores_delete"):
                    r = await s.tool(tool, {"store": ident})
                    assert r.is_error and r.error_code == "not_found", f"B {tool} A's store by {how}: {r.raw}"
                    _assert_no_leak(r, store, ident, f"B's {tool} by {how}")
            assert (await s.tool("stores_list")).ok()["active_store_id"] is None

    run(main())
    _assert_a_intact(r2, a, store)


def test_same_orderdesk_store_in_two_tenants_stays_separate(r1, tenants, sim):
    a, b, store = tenants
    with RawClient(r1.mcp_url, b.master_key, tenant_id=b.id) as c:
        c.open()
        # B registers the same OrderDesk store under the same name: ids and names are per tenant.
        mine = c.tool("stores_register", {"store_id": store["store_id"], "api_key": sim.stores["41001"], "name": store["name"]}).ok()["store"]
        assert mine["id"] != store["id"]
        for tool in ("stores_resolve", "stores_use_store"):
            by_sid = c.tool(tool, {"store": store["store_id"]}).ok()
            got = by_sid.get("store") or by_sid.get("active_store")
            assert got["id"] == mine["id"], f"B's {tool} by store id resolved to {got['id']}, not B's own row"
        for tool in ("stores_resolve", "stores_use_store", "stores_delete"):
            r = c.tool(tool, {"store": store["id"]})
            assert r.is_error and r.error_code == "not_found", f"B {tool} A's uuid: {r.raw}"
            assert store["id"] not in json.dumps((r.data.get("error") or {}).get("details") or {}), r.raw
        listed = c.tool("stores_list").ok()
        assert [s["id"] for s in listed["stores"]] == [mine["id"]]
        assert listed["active_store_id"] == mine["id"]
        assert c.tool("stores_delete", {"store": mine["id"]}).ok()["deleted"] is True
    _assert_a_intact(r1, a, store)


def _assert_a_intact(server, a, store):
    with RawClient(server.mcp_url, a.master_key, tenant_id=a.id) as c:
        c.open()
        listed = c.tool("stores_list").ok()
        assert [s["id"] for s in listed["stores"]] == [store["id"]], listed
        assert c.tool("stores_resolve", {"store": store["name"]}).ok()["store"]["id"] == store["id"]
