"""Inventory tools end to end with the real `mcp` client: inventory_items_list (codes, search,
pagination with has_more / next_offset, the shared cache), inventory_items_get by id and by SKU
(unknown → not_found), the seed's products_list / products_get aliases (callable, not listed), and
inventory_items_update_stock (set, delta, negative result refused with nothing written, audited
started → ok with the item as target, two concurrent +1 on two replicas make +2, a read-only key is
refused). Every scenario runs in legacy mode (2025-11-25 session) and in 2026-07-28 (stateless)."""

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from e2e_support import (
    MODERN_VERSION,
    RawClient,
    assert_tool_result_shape,
    audit_rows_by_request,
    is_store,
    mcp_session,
    run,
    tool_error,
)

MODES = ["legacy", MODERN_VERSION]
INVENTORY_TOOLS = {"inventory_items_list", "inventory_items_get", "inventory_items_update_stock"}
PAGE = 10


def _upstream_items(sim, sid: str) -> list[dict]:
    return sim.api("GET", "/inventory-items", sid, params={"limit": 500}).json()["inventory_items"]


def _upstream_item(sim, sid: str, item_id) -> dict:
    return sim.api("GET", f"/inventory-items/{item_id}", sid).json()["inventory_item"]


def _methods(sim, mark: int, sid: str, item_id) -> list[str]:
    return [r["method"] for r in sim.since(mark, store_id=sid, path=f"/inventory-items/{item_id}")]


@pytest.mark.parametrize("mode", MODES)
def test_inventory_reads(o1, order_tenant, orders_sim, mode):
    t, store = order_tenant(f"inventory-reads-{mode}")
    sid = store["store_id"]
    upstream = _upstream_items(orders_sim, sid)
    assert len(upstream) > 2 * PAGE, f"the simulator seeds only {len(upstream)} inventory items"
    sample = upstream[3]

    async def flow():
        async with mcp_session(o1.mcp_url, t.master_key, t.id, mode=mode) as s:
            listed = {tool.name: tool for tool in (await s.client.list_tools()).tools}
            assert INVENTORY_TOOLS <= set(listed), set(listed)
            # the seed's names are accepted by tools/call but not listed twice
            assert not {"products_list", "products_get"} & set(listed), set(listed)
            assert "products_get" in listed["inventory_items_get"].description

            # by code: exactly that item
            r = await s.tool("inventory_items_list", {"codes": [sample["code"]]})
            assert_tool_result_shape(r)
            p = r.ok()
            assert [i["id"] for i in p["inventory_items"]] == [sample["id"]], p
            assert p["total_records"] == 1 and p["has_more"] is False and p["next_offset"] is None
            assert is_store(p["store"], store)

            # search: name or code contains the text
            found = (await s.tool("inventory_items_list", {"search": "mug"})).ok()["inventory_items"]
            assert found and all("mug" in (i["name"] + i["code"]).lower() for i in found), found
            assert {i["id"] for i in found} == {
                i["id"] for i in upstream if "mug" in (i["name"] + i["code"]).lower()
            }

            # pagination: every item exactly once, has_more / next_offset like orders_list
            seen, offset = [], 0
            while True:
                p = (await s.tool("inventory_items_list", {"limit": PAGE, "offset": offset})).ok()
                n = len(p["inventory_items"])
                more = offset + n < len(upstream)
                assert p["limit"] == PAGE and p["offset"] == offset and p["records_returned"] == n
                assert p["total_records"] == len(upstream) and p["has_more"] is more, p
                assert p["next_offset"] == (offset + n if more else None), p
                seen += [i["id"] for i in p["inventory_items"]]
                if not more:
                    break
                offset = p["next_offset"]
            assert seen == [i["id"] for i in upstream], "pages do not cover the inventory exactly once"
            mark = orders_sim.mark()
            again = (await s.tool("inventory_items_list", {"limit": PAGE, "offset": 0})).ok()
            assert again["cached"] is True and [i["id"] for i in again["inventory_items"]] == seen[:PAGE]
            assert orders_sim.since(mark, store_id=sid) == [], "a cached list called OrderDesk"

            # get by id and by code (always fresh), the same item as OrderDesk holds it
            mark = orders_sim.mark()
            by_id = await s.tool("inventory_items_get", {"item_id": sample["id"]})
            assert_tool_result_shape(by_id)
            assert by_id.ok()["item"] == sample and is_store(by_id.ok()["store"], store)
            assert (await s.tool("inventory_items_get", {"code": sample["code"]})).ok()["item"] == sample
            assert len(orders_sim.since(mark, store_id=sid, method="GET")) == 2

            # aliases of the seed
            assert (await s.tool("products_get", {"code": sample["code"]})).ok()["item"]["id"] == sample["id"]
            assert (await s.tool("products.get", {"item_id": sample["id"]})).ok()["item"]["code"] == sample["code"]
            aliased = (await s.tool("products_list", {"codes": [sample["code"]]})).ok()
            assert [i["id"] for i in aliased["inventory_items"]] == [sample["id"]]

            # main failures
            tool_error(await s.tool("inventory_items_get", {"item_id": 987654321}), "not_found", "unknown id")
            tool_error(await s.tool("inventory_items_get", {"code": "NO-SUCH-SKU-E2E"}), "not_found", "unknown code")
            tool_error(await s.tool("products_get", {"code": "NO-SUCH-SKU-E2E"}), "not_found", "alias, unknown code")
            tool_error(await s.tool("inventory_items_get", {}), "validation_error", "neither id nor code")
            tool_error(
                await s.tool("inventory_items_get", {"item_id": sample["id"], "code": sample["code"]}),
                "validation_error", "both id and code",
            )
            tool_error(await s.tool("inventory_items_list", {"limit": 501}), "validation_error", "limit 501")

    run(flow())


@pytest.mark.parametrize("mode", MODES)
def test_inventory_stock_updates(o1, order_tenant, orders_sim, db, mode):
    t, store = order_tenant(f"inventory-stock-{mode}")
    sid = store["store_id"]
    item = _upstream_items(orders_sim, sid)[5]
    iid = item["id"]

    async def flow():
        async with mcp_session(o1.mcp_url, t.master_key, t.id, mode=mode) as s:
            # a cached list page holding the item, to see it dropped by the update
            listed = (await s.tool("inventory_items_list", {"codes": [item["code"]]})).ok()
            assert (await s.tool("inventory_items_list", {"codes": [item["code"]]})).ok()["cached"] is True
            assert listed["inventory_items"][0]["stock"] == item["stock"]

            # set: GET then one PUT of the whole item; get and list show the new stock
            mark = orders_sim.mark()
            r = await s.tool("inventory_items_update_stock", {"item_id": iid, "stock": 42})
            assert_tool_result_shape(r)
            u = r.ok()
            assert u["stock"] == 42 and u["previous_stock"] == item["stock"] and u["item"]["stock"] == 42, u
            assert is_store(u["store"], store)
            assert _methods(orders_sim, mark, sid, iid) == ["GET", "PUT"]
            stored = _upstream_item(orders_sim, sid, iid)
            assert stored["stock"] == 42
            for k in ("name", "code", "price", "cost", "weight", "location", "manufacturer_sku", "variation_list"):
                assert stored[k] == item[k], f"{k} changed by a stock update: {item[k]!r} → {stored[k]!r}"
            assert (await s.tool("inventory_items_get", {"item_id": iid})).ok()["item"]["stock"] == 42
            fresh = (await s.tool("inventory_items_list", {"codes": [item["code"]]})).ok()
            assert fresh["cached"] is False and fresh["inventory_items"][0]["stock"] == 42

            # audit: started (before OrderDesk was called) then ok, naming the item
            rows = audit_rows_by_request(db, [r.request_id], "action, outcome, target, store_id")[r.request_id]
            assert [(x["action"], x["outcome"]) for x in rows] == [
                ("inventory_items_update_stock", "started"), ("inventory_items_update_stock", "ok"),
            ], rows
            assert all(x["target"] == str(iid) and str(x["store_id"]) == sid for x in rows), rows

            # delta by code
            d = (await s.tool("inventory_items_update_stock", {"code": item["code"], "delta": -2})).ok()
            assert d["previous_stock"] == 42 and d["stock"] == 40

            # a delta below zero: validation_error, nothing written
            mark = orders_sim.mark()
            err = tool_error(
                await s.tool("inventory_items_update_stock", {"item_id": iid, "delta": -41}), "validation_error", "-41"
            )
            assert "40" in err["message"], err
            assert "PUT" not in _methods(orders_sim, mark, sid, iid)
            assert _upstream_item(orders_sim, sid, iid)["stock"] == 40

            # argument errors, before anything reaches OrderDesk
            mark = orders_sim.mark()
            for args in ({"item_id": iid, "stock": 1, "delta": 1}, {"item_id": iid}, {"stock": 1}, {"item_id": iid, "stock": -1}):
                tool_error(await s.tool("inventory_items_update_stock", args), "validation_error", json.dumps(args))
            tool_error(
                await s.tool("inventory_items_update_stock", {"code": "NO-SUCH-SKU-E2E", "stock": 1}), "not_found", "sku"
            )
            assert not [x for x in orders_sim.since(mark, store_id=sid) if x["method"] == "PUT"]

    run(flow())


def test_concurrent_deltas_on_two_replicas_are_both_applied(o1, o2, order_tenant, orders_sim):
    t, store = order_tenant("inventory-concurrent")
    sid = store["store_id"]
    item = _upstream_items(orders_sim, sid)[7]
    iid = item["id"]
    clients = [RawClient(server.mcp_url, t.master_key, tenant_id=t.id).open() for server in (o1, o2)]
    start = threading.Barrier(2)

    def bump(i):
        start.wait()
        return clients[i].tool("inventory_items_update_stock", {"item_id": iid, "delta": 1})

    mark = orders_sim.mark()
    try:
        with ThreadPoolExecutor(2) as pool:
            results = list(pool.map(bump, range(2)))
    finally:
        for c in clients:
            c.close()
    for r in results:
        r.ok()
    # serialized across replicas: fetch → PUT, then the other's fetch → PUT
    assert _methods(orders_sim, mark, sid, iid) == ["GET", "PUT", "GET", "PUT"]
    assert sorted(r.ok()["stock"] for r in results) == [item["stock"] + 1, item["stock"] + 2]
    assert _upstream_item(orders_sim, sid, iid)["stock"] == item["stock"] + 2


def test_read_only_key_cannot_update_stock(o1, cli, order_tenant, orders_sim):
    t, store = order_tenant("inventory-read-only")
    sid = store["store_id"]
    item = _upstream_items(orders_sim, sid)[0]
    read_key = cli.create_key(t, "read")
    with RawClient(o1.mcp_url, read_key["master_key"], tenant_id=t.id) as c:
        c.open()
        assert c.tool("inventory_items_get", {"item_id": item["id"]}).ok()["item"]["stock"] == item["stock"]
        mark = orders_sim.mark()
        r = c.tool("inventory_items_update_stock", {"item_id": item["id"], "stock": item["stock"] + 5})
        tool_error(r, "forbidden", "read-only key")
        assert orders_sim.since(mark, store_id=sid) == [], "a forbidden write reached OrderDesk"
    assert _upstream_item(orders_sim, sid, item["id"])["stock"] == item["stock"]
