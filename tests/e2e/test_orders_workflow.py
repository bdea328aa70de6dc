"""The order tools end to end with the real `mcp` client: tools/list, the complete workflow
(authenticate → register → use store → create → get twice → paginate → update → delete → get) in
legacy mode (2025-11-25, a session remembers the store), auto mode (server/discover → 2026-07-28)
and pinned 2026-07-28 mode (no session: the store handle from stores_use_store is passed as
`store`), store choice (`no_active_store`, only store, active store, `store` argument) and input
validation."""

import re
from collections import Counter

import pytest

from e2e_support import (
    LATEST_VERSION,
    MODERN_VERSION,
    ORDER_TOOL_NAMES,
    RECORDER,
    RawClient,
    assert_audited_as,
    assert_tool_result_shape,
    is_store,
    item_by,
    mcp_session,
    order_body,
    run,
    tool_error,
)

# mcp.Client mode → the revision the server must have served the run under.
MODE_VERSION = {"legacy": LATEST_VERSION, "auto": MODERN_VERSION, MODERN_VERSION: MODERN_VERSION}
ORDER_BY = {"date_added", "date_updated", "id", "order_total", "email", "source_id", "source_name", "folder_id"}
PAGE = 7


def test_order_tools_listed(o1, make_tenant):
    t = make_tenant("orders-tools")
    with RawClient(o1.mcp_url, t.master_key, tenant_id=t.id) as c:
        c.open()
        r = c.request("tools/list")
        assert r.status_code == 200, r.text[:300]
        tools = {tool["name"]: tool for tool in r.json()["result"]["tools"]}
    assert ORDER_TOOL_NAMES <= set(tools), f"missing order tools: {ORDER_TOOL_NAMES - set(tools)}"
    for name in ORDER_TOOL_NAMES:
        tool = tools[name]
        assert tool.get("title") and tool.get("description"), name
        schema = tool["inputSchema"]
        assert schema.get("type") == "object" and schema.get("additionalProperties") is False, f"{name}: {schema}"
        assert "store" in schema.get("properties", {}), f"{name}: no `store` argument"
        assert (tool.get("outputSchema") or {}).get("type") == "object", name
    ann = {n: tools[n]["annotations"] for n in ORDER_TOOL_NAMES}
    assert ann["orders_get"]["readOnlyHint"] is True and ann["orders_list"]["readOnlyHint"] is True
    for n in ("orders_create", "orders_update", "orders_delete"):
        assert ann[n]["readOnlyHint"] is False, n
    assert ann["orders_delete"]["destructiveHint"] is True
    req = {n: set(tools[n]["inputSchema"].get("required", [])) for n in ORDER_TOOL_NAMES}
    assert req["orders_get"] == {"order_id"} and req["orders_delete"] == {"order_id"}, req
    assert req["orders_update"] == {"order_id", "changes"} and req["orders_create"] == {"order"}, req
    assert req["orders_list"] == set(), req
    props = tools["orders_list"]["inputSchema"]["properties"]
    assert props["limit"].get("minimum") == 1 and props["limit"].get("maximum") == 500, props["limit"]
    assert set(props["order_by"].get("enum", [])) == ORDER_BY, props["order_by"]
    assert {v.lower() for v in props["order"].get("enum", [])} == {"asc", "desc"}, props["order"]
    for f in (
        "offset", "folder_id", "folder_name", "search_start_date", "search_end_date", "modified_start_date",
        "modified_end_date", "email", "customer_id", "customer_first_name", "customer_last_name", "customer_company",
        "customer_phone", "shipping_first_name", "shipping_last_name", "shipping_company", "shipping_phone",
        "source_id", "source_name",
    ):  # fmt: skip
        assert f in props, f"orders_list has no `{f}` argument"


async def _workflow(url, tenant, sid, key, sim, mode, auth):
    name = f"Order Flow {mode}"
    modern = MODE_VERSION[mode] == MODERN_VERSION
    async with mcp_session(url, tenant.master_key if auth == "bearer" else None, tenant.id, mode=mode) as s:
        assert s.client.protocol_version == MODE_VERSION[mode]
        # authenticate (session authentication by the tool, or the Bearer header)
        if auth == "tool":
            who = (await s.tool("tenant_use_master_key", {"master_key": tenant.master_key})).ok()
            assert who["tenant_id"] == tenant.id
        assert ORDER_TOOL_NAMES <= {t.name for t in (await s.client.list_tools()).tools}

        # register, use store (2026-07-28: nothing is remembered; the handle goes into every call)
        store = (await s.tool("stores_register", {"store_id": sid, "api_key": key, "name": name})).ok()["store"]
        used = (await s.tool("stores_use_store", {"store": name.upper()})).ok()
        assert used["active_store"]["id"] == store["id"]
        assert used.get("store_handle") == store["id"] and used.get("remembered") is (not modern), used
        if modern:
            assert (await s.tool("stores_list")).ok()["active_store_id"] is None

        def a(args: dict) -> dict:
            """The order tool's arguments: legacy relies on the session's active store."""
            return {**args, "store": used["store_handle"]} if modern else args

        # create
        mark = sim.mark()
        created = await s.tool("orders_create", a({"order": order_body(f"wf{mode}")}))
        assert_tool_result_shape(created)
        c = created.ok()
        order = c["order"]
        oid = str(order["id"])
        assert c["replayed"] is False and is_store(c["store"], store), c
        assert order["email"] == f"e2e-wf{mode}@example.com" and len(order["order_items"]) == 2
        posts = sim.since(mark, method="POST", path="/orders", store_id=sid)
        assert len(posts) == 1 and posts[0]["status"] == 200, posts

        # get, then get again: the second comes from the cache without an upstream call
        g1 = await s.tool("orders_get", a({"order_id": oid}))
        assert_tool_result_shape(g1)
        first = g1.ok()
        assert str(first["order"]["id"]) == oid and is_store(first["store"], store) and isinstance(first["cached"], bool)
        mark = sim.mark()
        second = (await s.tool("orders_get", a({"order_id": oid}))).ok()
        assert second["cached"] is True, f"second get is not cached: {second.get('cached')}"
        assert second["order"] == first["order"]
        assert sim.since(mark, store_id=sid) == [], "a cached get called OrderDesk"
        # the dotted alias
        assert str((await s.tool("orders.get", a({"order_id": oid}))).ok()["order"]["id"]) == oid

        # list with pagination: every order exactly once, has_more / next_offset right
        upstream_ids = {str(o["id"]) for o in sim.api("GET", "/orders", sid, params={"limit": 500}).json()["orders"]}
        assert oid in upstream_ids and len(upstream_ids) == 31
        seen, offset, pages = [], 0, 0
        while True:
            page = await s.tool("orders_list", a({"limit": PAGE, "offset": offset}))
            if pages == 0:
                assert_tool_result_shape(page)
            p = page.ok()
            pages += 1
            n = len(p["orders"])
            assert p["limit"] == PAGE and p["offset"] == offset and p["records_returned"] == n, {k: v for k, v in p.items() if k != "orders"}
            assert p["total_records"] == 31, p["total_records"]
            assert is_store(p["store"], store) and p["cached"] is False
            more = offset + n < 31
            assert p["has_more"] is more, (offset, n, p["has_more"])
            assert p["next_offset"] == (offset + n if more else None), (offset, n, p["next_offset"])
            seen += [str(o["id"]) for o in p["orders"]]
            if not p["has_more"]:
                break
            assert n == PAGE, f"a page before the last holds {n} orders"
            offset = p["next_offset"]
            assert pages < 10, "pagination does not end"
        assert pages == 5
        dup = [i for i, k in Counter(seen).items() if k > 1]
        assert not dup, f"orders listed twice: {dup}"
        assert set(seen) == upstream_ids, f"missing {upstream_ids - set(seen)}, extra {set(seen) - upstream_ids}"
        again = (await s.tool("orders_list", a({"limit": PAGE, "offset": 0}))).ok()
        assert again["cached"] is True and [o["id"] for o in again["orders"]] == seen[:PAGE]

        # update: nested shipping.city keeps its siblings; item update, delete and add by id
        before = first["order"]
        keep, drop = before["order_items"][0], before["order_items"][1]
        mark = sim.mark()
        upd = await s.tool(
            "orders_update",
            a({
                "order_id": oid,
                "changes": {
                    "shipping": {"city": "Austin", "address2": None},
                    "order_items": [
                        {"id": keep["id"], "quantity": 5},
                        {"id": drop["id"], "delete": True},
                        {"name": "E2E Added Mug", "code": "E2E-MUG", "price": 12, "quantity": 1},
                    ],
                    "order_notes": [f"workflow note {mode}"],
                },
            }),
        )
        assert_tool_result_shape(upd)
        u = upd.ok()
        after = u["order"]
        assert is_store(u["store"], store)
        assert after["shipping"]["city"] == "Austin"
        assert before["shipping"]["address2"] == "Apt 4" and not after["shipping"].get("address2"), "null did not clear address2"
        for k, v in before["shipping"].items():
            if k not in ("city", "address2"):
                assert after["shipping"].get(k) == v, f"shipping.{k} changed: {v!r} → {after['shipping'].get(k)!r}"
        assert after["customer"] == before["customer"], "customer changed by a shipping update"
        assert after["email"] == before["email"] and after["checkout_data"] == before["checkout_data"]
        kept = item_by(after, "id", keep["id"])
        assert kept and float(kept["quantity"]) == 5 and kept["name"] == keep["name"] and kept["code"] == keep["code"], kept
        assert item_by(after, "id", drop["id"]) is None, "the deleted item is still there"
        added = item_by(after, "code", "E2E-MUG")
        assert added and added.get("id") and str(added["id"]) not in {str(i["id"]) for i in before["order_items"]}, added
        assert len(after["order_items"]) == 2
        assert [n.get("content") for n in after["order_notes"]][-1:] == [f"workflow note {mode}"], after["order_notes"]
        traffic = sim.since(mark, store_id=sid)
        assert [r["method"] for r in traffic if r["method"] != "GET"] == ["PUT"], [(r["method"], r["path"]) for r in traffic]
        upstream = sim.api("GET", f"/orders/{oid}", sid).json()["order"]
        assert upstream["shipping"]["city"] == "Austin" and upstream["shipping"]["address1"] == before["shipping"]["address1"]

        # the write invalidated the cached order: the next get is fresh and shows the change
        fresh = (await s.tool("orders_get", a({"order_id": oid}))).ok()
        assert fresh["cached"] is False and fresh["order"]["shipping"]["city"] == "Austin"
        if modern:  # without `store`: the tenant's only store
            only = (await s.tool("orders_get", {"order_id": oid})).ok()
            assert is_store(only["store"], store) and str(only["order"]["id"]) == oid, only["store"]

        # delete → get says not_found (although the order was cached), the list no longer has it
        mark = sim.mark()
        deleted = await s.tool("orders_delete", a({"order_id": oid}))
        assert_tool_result_shape(deleted)
        d = deleted.ok()
        assert d["deleted"] is True and str(d["order_id"]) == oid and is_store(d["store"], store), d
        dels = sim.since(mark, method="DELETE", store_id=sid)
        assert [r["path"] for r in dels] == [f"/orders/{oid}"] and dels[0]["status"] == 200, dels
        tool_error(await s.tool("orders_get", a({"order_id": oid})), "not_found", "get after delete")
        tool_error(await s.tool("orders_delete", a({"order_id": oid})), "not_found", "second delete")
        listed = (await s.tool("orders_list", a({}))).ok()
        assert listed["cached"] is False and listed["total_records"] == 30
        assert listed["limit"] == 50 and listed["offset"] == 0 and listed["records_returned"] == 30, "default limit 50"
        assert oid not in {str(o["id"]) for o in listed["orders"]}


@pytest.mark.parametrize("mode,auth", [("legacy", "tool"), ("auto", "bearer"), (MODERN_VERSION, "bearer")])
def test_order_workflow(o1, make_tenant, orders_sim, claim_store_id, db, mode, auth):
    t = make_tenant(f"orders-wf-{mode}")
    sid = claim_store_id()
    start = len(RECORDER.calls)
    run(_workflow(o1.mcp_url, t, sid, orders_sim.stores[sid], orders_sim, mode, auth))
    # The server side says which revision it served: every row of every call of the run.
    assert assert_audited_as(db, [c.request_id for c in RECORDER.calls[start:]], MODE_VERSION[mode]) > 15


def test_store_choice(o1, make_tenant, orders_sim, claim_store_id, order_tenant):
    """Two stores and none active → no_active_store listing both, and nothing reaches OrderDesk;
    the `store` argument (uuid, OrderDesk id, name), the active store and the only store work."""
    t = make_tenant("orders-choice")
    sids = [claim_store_id(), claim_store_id()]
    with RawClient(o1.mcp_url, t.master_key, tenant_id=t.id) as c:
        c.open()
        stores = [
            c.tool("stores_register", {"store_id": sid, "api_key": orders_sim.stores[sid], "name": f"Choice {i}"}).ok()["store"]
            for i, sid in enumerate(sids)
        ]
        mark = orders_sim.mark()
        for tool, args in (
            ("orders_get", {"order_id": "1"}),
            ("orders_list", {}),
            ("orders_create", {"order": order_body("choice")}),
            ("orders_update", {"order_id": "1", "changes": {"email": "x@example.com"}}),
            ("orders_delete", {"order_id": "1"}),
        ):
            err = tool_error(c.tool(tool, args), "no_active_store", tool)
            listed = (err.get("details") or {}).get("stores")
            assert isinstance(listed, list) and len(listed) == 2, f"{tool}: details.stores {err.get('details')}"
            text = str(listed)
            assert all(s["id"] in text or s["name"] in text for s in stores), f"{tool}: details.stores {listed}"
        assert orders_sim.since(mark, store_id=sids[0]) + orders_sim.since(mark, store_id=sids[1]) == []

        # the `store` argument, by each identifier
        for ident in (stores[1]["id"], sids[1], "choice 1"):
            r = c.tool("orders_list", {"store": ident, "limit": 1}).ok()
            assert is_store(r["store"], stores[1]), (ident, r["store"])
        # the active store, and the argument overriding it
        c.tool("stores_use_store", {"store": "Choice 0"}).ok()
        mark = orders_sim.mark()
        r = c.tool("orders_list", {"limit": 2}).ok()
        assert is_store(r["store"], stores[0]) and len(r["orders"]) == 2
        oid = str(r["orders"][0]["id"])
        assert str(c.tool("orders_get", {"order_id": oid}).ok()["order"]["id"]) == oid
        assert orders_sim.since(mark, store_id=sids[1]) == [] and orders_sim.since(mark, store_id=sids[0])
        r = c.tool("orders_list", {"limit": 2, "store": sids[1]}).ok()
        assert is_store(r["store"], stores[1])
        tool_error(c.tool("orders_get", {"order_id": "1", "store": "No Such Store"}), "not_found", "unknown store")
        # the active store removed: the only one left is used, the removed one is never called again
        c.tool("stores_delete", {"store": stores[0]["id"]}).ok()
        mark = orders_sim.mark()
        r = c.tool("orders_list", {"limit": 1}).ok()
        assert is_store(r["store"], stores[1]), r["store"]
        assert orders_sim.since(mark, store_id=sids[0]) == []

    # a tenant with a single store needs no active store
    t1, only = order_tenant("orders-only")
    with RawClient(o1.mcp_url, t1.master_key, tenant_id=t1.id) as c:
        c.open()
        r = c.tool("orders_list", {"limit": 3}).ok()
        assert is_store(r["store"], only) and r["records_returned"] == 3


BAD_DATES = ["04/01/2025", "2025-4-1", "2025-04-01T10:00:00", "2025-04-01 10:00", "yesterday", "2025-13-01"]
def _shows_date_format(message: str) -> bool:
    """`YYYY-MM-DD [HH:MM:SS]` spelled out, or shown by example (`2025-04-01 14:30:00`)."""
    spelled = "YYYY-MM-DD" in message and "HH:MM:SS" in message
    example = re.search(r"\b\d{4}-\d{2}-\d{2}\b", message) and re.search(r"\b\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\b", message)
    return bool(spelled or example)


DATE_FIELDS = ["search_start_date", "search_end_date", "modified_start_date", "modified_end_date"]


def test_list_validation(o1, order_tenant, orders_sim):
    t, store = order_tenant("orders-list-validation")
    sid = store["store_id"]
    with RawClient(o1.mcp_url, t.master_key, tenant_id=t.id) as c:
        c.open()
        mark = orders_sim.mark()
        unclear = []
        for field in DATE_FIELDS:
            for bad in BAD_DATES:
                err = tool_error(c.tool("orders_list", {field: bad}), "validation_error", f"{field}={bad!r}")
                if not _shows_date_format(err["message"]):
                    unclear.append(f"{field}={bad!r}: {err['message']}")
        err = tool_error(c.tool("orders_list", {"order_by": "colour"}), "validation_error", "order_by")
        assert "date_added" in err["message"], f"order_by message does not list the choices: {err['message']}"
        err = tool_error(c.tool("orders_list", {"order": "upwards"}), "validation_error", "order")
        assert "asc" in err["message"].lower(), err["message"]
        for args in ({"limit": 0}, {"limit": 501}, {"offset": -1}, {"folder_id": "New"}, {"limit": "ten"}, {"colour": "red"}):
            tool_error(c.tool("orders_list", args), "validation_error", str(args))
        tool_error(c.tool("orders_get", {}), "validation_error", "orders_get without order_id")
        tool_error(c.tool("orders_update", {"order_id": "1"}), "validation_error", "orders_update without changes")
        assert orders_sim.since(mark, store_id=sid) == [], "invalid input reached OrderDesk"

        # the accepted date forms reach the simulator unchanged
        r = c.tool("orders_list", {"search_start_date": "2025-04-01", "search_end_date": "2025-04-30 23:59:59"}).ok()
        assert r["total_records"] > 0
        assert all("2025-04-01" <= o["date_added"] <= "2025-04-30 23:59:59" for o in r["orders"])
    assert not unclear, "date errors whose message does not show the format:\n" + "\n".join(unclear)


def test_create_validation(o1, order_tenant, orders_sim):
    t, store = order_tenant("orders-create-validation")
    sid = store["store_id"]
    with RawClient(o1.mcp_url, t.master_key, tenant_id=t.id) as c:
        c.open()
        mark = orders_sim.mark()
        # items and a first + last name or a company are required; nothing is sent otherwise
        no_items = order_body("v1")
        del no_items["order_items"]
        accepted = []
        for what, body in (
            ("no order_items", no_items),
            ("empty order_items", order_body("v2", order_items=[])),
            ("no name or company", {"email": "n@example.com", "order_items": [{"name": "X", "price": 1}]}),
            ("customer first name only", {"customer": {"first_name": "Solo"}, "order_items": [{"name": "X", "price": 1}]}),
            ("shipping last name only", {"shipping": {"last_name": "Solo"}, "order_items": [{"name": "X", "price": 1}]}),
            ("order as a string", "not an object"),
        ):
            r = c.tool("orders_create", {"order": body})
            if r.is_error:
                tool_error(r, "validation_error", what)
            else:
                accepted.append(f"{what}: created order {r.data['order'].get('id')}")
        posts = orders_sim.since(mark, store_id=sid, method="POST")
        # a company alone, or a first + last name, is enough
        ok = c.tool("orders_create", {"order": {"shipping": {"company": "Only Co"}, "order_items": [{"name": "X", "price": 1}]}}).ok()
        assert ok["order"]["id"] and ok["replayed"] is False
        ok = c.tool("orders_create", {"order": {"customer": {"first_name": "Ann", "last_name": "Lee"}, "order_items": [{"name": "X"}]}}).ok()
        assert ok["order"]["id"]
    assert not accepted, "invalid orders were created:\n" + "\n".join(accepted)
    assert posts == [], f"invalid orders reached OrderDesk: {len(posts)} POSTs"
