"""The original product's argument names still work (issue 14, part 3): `identifier`
(stores_use_store, stores_resolve), `store_identifier` (order tools, stores_delete), `store_name`
(stores_register) and `order_data` (orders_create), through the real client in both protocol eras;
both spellings with different values are a validation_error; tools/list shows each old name beside
the current one, marked deprecated."""

import pytest

from e2e_support import MODERN_VERSION, RawClient, mcp_session, order_body, run, tool_error


def test_tools_list_shows_the_old_names_deprecated(o1, make_tenant):
    t = make_tenant("seed-names-list")
    with RawClient(o1.mcp_url, t.master_key, tenant_id=t.id) as c:
        c.open()
        tools = {x["name"]: x for x in c.request("tools/list").json()["result"]["tools"]}
    expected = {
        "stores_use_store": ("identifier", "store"),
        "stores_resolve": ("identifier", "store"),
        "stores_delete": ("store_identifier", "store"),
        "orders_get": ("store_identifier", "store"),
        "orders_create": ("order_data", "order"),
        "stores_register": ("store_name", "name"),
    }
    for tool, (old, new) in expected.items():
        props = tools[tool]["inputSchema"]["properties"]
        assert props[old].get("deprecated") is True, (tool, props[old])
        assert props[old].get("type") == props[new].get("type"), (tool, props[old], props[new])
        assert new in props[old]["description"], props[old]
        assert old not in tools[tool]["inputSchema"].get("required", []), tool
    assert "store_identifier" not in tools["stores_list"]["inputSchema"]["properties"]


@pytest.mark.parametrize("mode", ["legacy", MODERN_VERSION])
def test_seed_argument_names_work(o1, order_tenant, orders_sim, claim_store_id, mode):
    t, store = order_tenant(f"seed-names-{mode}", name=f"Seed Names {mode}")

    async def main():
        async with mcp_session(o1.mcp_url, t.master_key, t.id, mode=mode) as s:
            resolved = (await s.tool("stores_resolve", {"identifier": store["name"]})).ok()
            assert resolved["store"]["id"] == store["id"]
            used = (await s.tool("stores_use_store", {"identifier": store["id"]})).ok()
            assert used["active_store"]["id"] == store["id"]

            created = (
                await s.tool("orders_create", {"order_data": order_body(f"seed-{mode}"), "store_identifier": store["name"]})
            ).ok()
            order_id = created["order"]["id"]
            got = (await s.tool("orders_get", {"order_id": order_id, "store_identifier": store["id"]})).ok()
            assert got["order"]["id"] == order_id and got["store"]["id"] == store["id"]
            # Both spellings with the same value are fine; with different values they are refused.
            same = await s.tool("orders_get", {"order_id": order_id, "store": store["id"], "store_identifier": store["id"]})
            assert same.ok()["order"]["id"] == order_id
            clash = await s.tool("orders_get", {"order_id": order_id, "store": store["id"], "store_identifier": "Other"})
            assert "different values" in tool_error(clash, "validation_error")["message"]
            clash = await s.tool("stores_use_store", {"store": store["id"], "identifier": "Other"})
            tool_error(clash, "validation_error")

            # stores_register with `store_name`, then stores_delete with `store_identifier`.
            sid = claim_store_id()
            reg = await s.tool(
                "stores_register", {"store_id": sid, "api_key": orders_sim.stores[sid], "store_name": f"Named {mode}"}
            )
            assert reg.ok()["store"]["name"] == f"Named {mode}"
            deleted = (await s.tool("stores_delete", {"store_identifier": f"Named {mode}"})).ok()
            assert deleted["deleted"] is True and deleted["store"]["store_id"] == sid

    run(main())
