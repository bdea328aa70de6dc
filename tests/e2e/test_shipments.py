"""The shipment tools end to end with the real `mcp` client (issue 14): shipments_add (one, and a
batch across orders with a duplicate), shipments_list, orders_get showing the new shipment, and
shipments_delete, in legacy (2025-11-25 session) and pinned 2026-07-28 (stateless) mode; their main
failures (unknown shipment, bad carrier code, read-only key, OrderDesk failing the batch), each
checked on the simulator's side too."""

import secrets

import pytest

from e2e_support import (
    MODERN_VERSION,
    RawClient,
    assert_tool_result_shape,
    mcp_session,
    run,
)

MODES = ["legacy", MODERN_VERSION]


def _order_ids(orders_sim, sid: str, n: int) -> list[str]:
    r = orders_sim.api("GET", f"/orders?limit={n}", sid)
    r.raise_for_status()
    ids = [str(o["id"]) for o in r.json()["orders"]]
    assert len(ids) == n, ids
    return ids


def _tracking(tag: str) -> str:
    return f"1Z{tag.upper()}{secrets.token_hex(4).upper()}"


@pytest.mark.parametrize("mode", MODES)
def test_add_list_get_and_delete_a_shipment(o1, o2, orders_sim, order_tenant, mode):
    t, store = order_tenant(f"ship-one-{mode}")
    sid = store["store_id"]
    oid = _order_ids(orders_sim, sid, 1)[0]
    tracking = _tracking("one")

    async def flow():
        async with mcp_session(o1.mcp_url, t.master_key, t.id, mode=mode) as s:
            # The order is cached on o1 before the shipment: the add must drop that entry.
            before = (await s.tool("orders_get", {"order_id": oid})).ok()
            assert all(x["tracking_number"] != tracking for x in before["order"].get("order_shipments", []))

            mark = orders_sim.mark()
            added = await s.tool(
                "shipments_add",
                {"shipments": [{"order_id": oid, "tracking_number": tracking, "carrier_code": "ups",
                                "shipment_method": "Ground", "weight": 1.5}]},
            )  # fmt: skip
            assert_tool_result_shape(added)
            a = added.ok()
            assert (a["added"], a["duplicates"], a["failed"]) == (1, 0, 0), a
            result = a["results"][0]
            assert result["status"] == "added" and result["order_id"] == oid and result["carrier_code"] == "UPS", a
            shipment_id = result["shipment_id"]
            posts = orders_sim.since(mark, method="POST", store_id=sid)
            assert [(p["path"], p["status"]) for p in posts] == [(f"/orders/{oid}/shipments", 200)], posts

            listed = (await s.tool("shipments_list", {"order_id": oid})).ok()
            mine = [x for x in listed["shipments"] if x["id"] == shipment_id]
            assert listed["total"] == len(listed["shipments"]) and len(mine) == 1, listed
            assert mine[0]["tracking_number"] == tracking and mine[0]["carrier_code"] == "UPS", mine
            assert mine[0]["shipment_method"] == "Ground", mine

            got = (await s.tool("orders_get", {"order_id": oid})).ok()
            assert got["cached"] is False, "orders_get served the order cached before the shipment"
            assert shipment_id in [x["id"] for x in got["order"]["order_shipments"]], got["order"]["order_shipments"]

            mark = orders_sim.mark()
            deleted = (await s.tool("shipments_delete", {"order_id": oid, "shipment_id": shipment_id})).ok()
            assert deleted["deleted"] is True and deleted["shipment_id"] == shipment_id, deleted
            dels = orders_sim.since(mark, method="DELETE", store_id=sid)
            assert [(d["path"], d["status"]) for d in dels] == [(f"/orders/{oid}/shipments/{shipment_id}", 200)], dels
            listed = (await s.tool("shipments_list", {"order_id": oid})).ok()
            assert shipment_id not in [x["id"] for x in listed["shipments"]], listed

        # The other replica sees the deletion too (its cache was dropped on every replica).
        async with mcp_session(o2.mcp_url, t.master_key, t.id, mode=mode) as s2:
            got = (await s2.tool("orders_get", {"order_id": oid})).ok()
            assert shipment_id not in [x["id"] for x in got["order"]["order_shipments"]]

            # Deleting it again: not_found, and nothing else was tried.
            again = await s2.tool("shipments_delete", {"order_id": oid, "shipment_id": shipment_id})
            assert again.is_error and again.error_code == "not_found", again.raw

    run(flow())


@pytest.mark.parametrize("mode", MODES)
def test_a_batch_with_a_duplicate_adds_two_and_reports_one_duplicate(o1, orders_sim, order_tenant, mode):
    t, store = order_tenant(f"ship-batch-{mode}")
    sid = store["store_id"]
    first, second = _order_ids(orders_sim, sid, 2)
    existing, new_a, new_b = _tracking("old"), _tracking("a"), _tracking("b")
    # The first order already has `existing` (added "in OrderDesk", behind the server's back).
    r = orders_sim.api("POST", f"/orders/{first}/shipments", sid, json={"tracking_number": existing, "carrier_code": "FedEx"})
    assert r.status_code == 200, r.text

    async def flow():
        async with mcp_session(o1.mcp_url, t.master_key, t.id, mode=mode) as s:
            mark = orders_sim.mark()
            batch = [
                {"order_id": first, "tracking_number": new_a, "carrier_code": "USPS"},
                {"order_id": first, "tracking_number": existing, "carrier_code": "fedex"},
                {"order_id": second, "tracking_number": new_b, "carrier_code": "UPS"},
            ]
            a = (await s.tool("shipments_add", {"shipments": batch})).ok()
            assert (a["added"], a["duplicates"], a["failed"]) == (2, 1, 0), a
            assert [x["status"] for x in a["results"]] == ["added", "duplicate", "added"], a
            assert [x["index"] for x in a["results"]] == [0, 1, 2]
            assert "error" not in a["results"][1], a["results"][1]
            # One batch call upstream, then one read of the order with the refused entry.
            posts = orders_sim.since(mark, method="POST", store_id=sid)
            assert [(p["path"], p["status"]) for p in posts] == [("/batch-shipments", 200)], posts
            gets = orders_sim.since(mark, method="GET", store_id=sid)
            assert [g["path"] for g in gets] == [f"/orders/{first}/shipments"], gets

            for oid, expected in ((first, {new_a, existing}), (second, {new_b})):
                got = (await s.tool("orders_get", {"order_id": oid})).ok()
                numbers = [x["tracking_number"] for x in got["order"]["order_shipments"]]
                assert expected <= set(numbers), (oid, numbers)
                assert numbers.count(existing) <= 1, numbers
            # The duplicate names the shipment that was already there.
            listed = (await s.tool("shipments_list", {"order_id": first})).ok()
            old_id = next(x["id"] for x in listed["shipments"] if x["tracking_number"] == existing)
            assert a["results"][1]["shipment_id"] == old_id, a["results"][1]

    run(flow())


def test_bad_carrier_code_and_unknown_order(o1, orders_sim, order_tenant):
    t, store = order_tenant("ship-invalid")
    sid = store["store_id"]
    oid = _order_ids(orders_sim, sid, 1)[0]

    async def flow():
        async with mcp_session(o1.mcp_url, t.master_key, t.id, mode=MODERN_VERSION) as s:
            mark = orders_sim.mark()
            for bad in ("U$PS!", "<script>", " "):
                r = await s.tool(
                    "shipments_add", {"shipments": [{"order_id": oid, "tracking_number": "1Z1", "carrier_code": bad}]}
                )
                assert r.is_error and r.error_code == "validation_error", r.raw
            assert orders_sim.since(mark, store_id=sid) == [], "an invalid shipment reached OrderDesk"

            # An order OrderDesk does not have: a per-shipment not_found, not a failed call.
            a = (await s.tool(
                "shipments_add", {"shipments": [{"order_id": "99999999", "tracking_number": "1Z2", "carrier_code": "UPS"}]}
            )).ok()  # fmt: skip
            assert a["results"][0]["status"] == "not_found" and a["failed"] == 1, a
            assert a["results"][0]["error"]["code"] == "not_found", a

    run(flow())


def test_read_only_key_cannot_add_or_delete_shipments(o1, orders_sim, order_tenant, cli):
    t, store = order_tenant("ship-read-key")
    sid = store["store_id"]
    oid = _order_ids(orders_sim, sid, 1)[0]
    rk = cli.create_key(t, "read")
    with RawClient(o1.mcp_url, rk["master_key"], tenant_id=t.id) as c:
        c.open()
        assert c.tool("shipments_list", {"order_id": oid}).ok()["order_id"] == oid
        mark = orders_sim.mark()
        r = c.tool("shipments_add", {"shipments": [{"order_id": oid, "tracking_number": "1ZRO", "carrier_code": "UPS"}]})
        assert r.is_error and r.error_code == "forbidden", r.raw
        r = c.tool("shipments_delete", {"order_id": oid, "shipment_id": "1"})
        assert r.is_error and r.error_code == "forbidden", r.raw
        assert orders_sim.since(mark, store_id=sid) == [], "a forbidden write reached OrderDesk"


def test_orderdesk_failing_the_batch_is_reported_and_nothing_is_retried(o1, orders_sim, order_tenant):
    t, store = order_tenant("ship-fault")
    sid = store["store_id"]
    first, second = _order_ids(orders_sim, sid, 2)
    orders_sim.fault({"method": "POST", "path": "/batch-shipments", "count": 1, "status": 503})
    try:
        with RawClient(o1.mcp_url, t.master_key, tenant_id=t.id) as c:
            c.open()
            mark = orders_sim.mark()
            r = c.tool(
                "shipments_add",
                {"shipments": [{"order_id": first, "tracking_number": "1ZF1", "carrier_code": "UPS"},
                               {"order_id": second, "tracking_number": "1ZF2", "carrier_code": "UPS"}]},
            )  # fmt: skip
            assert r.is_error and r.error_code == "upstream_unavailable", r.raw
            # A POST that may have been processed is not repeated automatically.
            posts = orders_sim.since(mark, method="POST", path="/batch-shipments")
            assert [(p["status"], p.get("fault")) for p in posts] == [(503, "status_503")], posts
    finally:
        orders_sim.clear_faults()
