"""Tenant isolation of the order tools (no identifier of A's store lets B read A's orders, and no
upstream call is made with A's credentials), and the audit trail of every order call."""

import json

import pytest

from e2e_support import RawClient, mcp_session, order_body, psql_json, run, tool_error


@pytest.mark.parametrize("mode", ["legacy", "auto"])
def test_tenant_b_cannot_read_a_orders(o1, o2, order_tenant, make_tenant, claim_store_id, orders_sim, mode):
    a, store = order_tenant(f"orders-iso-A-{mode}", name=f"Alpha Orders {mode}")
    sid = store["store_id"]
    with RawClient(o1.mcp_url, a.master_key, tenant_id=a.id) as c:
        c.open()
        page = c.tool("orders_list", {"limit": 3}).ok()  # A's list and order are now cached
        order = page["orders"][0]
        oid = str(order["id"])
        assert c.tool("orders_get", {"order_id": oid}).ok()["order"]["email"] == order["email"]
    b = make_tenant(f"orders-iso-B-{mode}")
    idents = {"uuid": store["id"], "store id": sid, "name": store["name"], "name (other case)": store["name"].swapcase()}

    async def main():
        async with mcp_session(o2.mcp_url, b.master_key, b.id, mode=mode) as s:
            mark = orders_sim.mark()
            for how, ident in idents.items():
                for tool, args in (
                    ("orders_get", {"order_id": oid}),
                    ("orders_list", {"limit": 3}),
                    ("orders_update", {"order_id": oid, "changes": {"email": "b@example.com"}}),
                    ("orders_delete", {"order_id": oid}),
                    ("orders_create", {"order": order_body("iso")}),
                ):
                    r = await s.tool(tool, {**args, "store": ident})
                    tool_error(r, "not_found", f"B's {tool} with A's store by {how}")
                    text = json.dumps(r.raw)
                    for secret in (order["email"], store["id"] if how != "uuid" else None, order["customer"]["last_name"]):
                        assert not secret or secret not in text, f"B's {tool} by {how} leaked {secret!r}"
            # without a store argument B (who has no store) has none to use
            r = await s.tool("orders_get", {"order_id": oid})
            tool_error(r, "no_active_store", "B without any store")
            assert store["id"] not in json.dumps(r.raw)
            assert orders_sim.since(mark, store_id=sid) == [], "B's calls reached OrderDesk with A's store credentials"

    run(main())

    # B registers its own store: its reads of A's order id go to B's store, never to A's
    with RawClient(o1.mcp_url, b.master_key, tenant_id=b.id) as c:
        c.open()
        other = claim_store_id()
        mine = c.tool("stores_register", {"store_id": other, "api_key": orders_sim.stores[other], "name": store["name"]}).ok()["store"]
        mark = orders_sim.mark()
        for ident in (store["name"], mine["id"], other):
            r = c.tool("orders_get", {"order_id": oid, "store": ident})
            tool_error(r, "not_found", f"A's order id in B's own store by {ident}")
        assert orders_sim.since(mark, store_id=sid) == []
        assert orders_sim.since(mark, store_id=other), "B's lookups of its own store never reached its store (served from A's cache?)"
        tool_error(c.tool("orders_get", {"order_id": oid, "store": store["id"]}), "not_found", "A's uuid")
    # A still has its order
    with RawClient(o2.mcp_url, a.master_key, tenant_id=a.id) as c:
        c.open()
        assert str(c.tool("orders_get", {"order_id": oid}).ok()["order"]["id"]) == oid


def _rows(db, request_id):
    return psql_json(
        db.auditor_url,
        "SELECT action, outcome, error_code, target, store_id::text AS store_id, tenant_id::text AS tenant_id "
        f"FROM orderdesk.audit_events WHERE correlation_id = '{request_id}' ORDER BY id",
    )


def test_every_order_call_audited_with_its_order_id(o1, o2, order_tenant, orders_sim, db):
    t, store = order_tenant("orders-audit")
    calls = []  # (tool, order id expected as target or None, result)
    with RawClient(o1.mcp_url, t.master_key, tenant_id=t.id) as c:
        c.open()
        created = c.tool("orders_create", {"order": order_body("audit"), "idempotency_key": "e2e-audit-create"})
        oid = str(created.ok()["order"]["id"])
        calls.append(("orders_create", oid, created))
        calls.append(("orders_create", oid, c.tool("orders_create", {"order": order_body("audit"), "idempotency_key": "e2e-audit-create"})))
        calls.append(("orders_get", oid, c.tool("orders_get", {"order_id": oid})))
        calls.append(("orders_get", oid, c.tool("orders_get", {"order_id": oid}, url=o2.mcp_url)))  # cached, other replica
        calls.append(("orders_list", None, c.tool("orders_list", {"limit": 2})))
        calls.append(("orders_update", oid, c.tool("orders_update", {"order_id": oid, "changes": {"order_notes": ["audited"]}})))
        calls.append(
            ("orders_update", oid, c.tool("orders_update", {"order_id": oid, "changes": {"email": "x@example.com"}, "expected_date_updated": "2001-01-01 00:00:00"}))
        )
        calls.append(("orders_update", oid, c.tool("orders_update", {"order_id": oid, "changes": {"folder_id": 1}})))
        calls.append(("orders_delete", oid, c.tool("orders_delete", {"order_id": oid})))
        calls.append(("orders_get", oid, c.tool("orders_get", {"order_id": oid})))
        calls.append(("orders_delete", "99999999", c.tool("orders_delete", {"order_id": "99999999"})))
    expected_errors = [None, None, None, None, None, None, "conflict", "validation_error", None, "not_found", "not_found"]
    problems = []
    for (tool, target, r), want_error in zip(calls, expected_errors):
        assert r.error_code == want_error, f"{tool}: {json.dumps(r.raw)[:500]}"
        rows = _rows(db, r.request_id)
        what = f"{tool} ({r.request_id}, {want_error or 'ok'})"
        if not rows:
            problems.append(f"{what}: no audit row")
            continue
        if any(x["action"] != tool for x in rows):
            problems.append(f"{what}: actions {[x['action'] for x in rows]}")
        if any(x["tenant_id"] != t.id for x in rows):
            problems.append(f"{what}: tenant {[x['tenant_id'] for x in rows]}")
        outcomes = [x["outcome"] for x in rows]
        write = tool != "orders_get" and tool != "orders_list"
        if want_error is None and outcomes != (["started", "ok"] if write else ["ok"]):
            problems.append(f"{what}: outcomes {outcomes}")
        if want_error and (rows[-1]["outcome"] != "error" or rows[-1]["error_code"] != want_error):
            problems.append(f"{what}: final row {rows[-1]}")
        # store_id: checked on successful calls (the contract names only action and target)
        if want_error is None and rows[-1]["store_id"] != store["store_id"]:
            problems.append(f"{what}: store_id {rows[-1]['store_id']!r}, expected the OrderDesk store id {store['store_id']}")
        if target is not None:
            if tool == "orders_create":
                if rows[-1]["target"] != target:
                    problems.append(f"{what}: final row's target {rows[-1]['target']!r}, expected the new order id {target}")
            elif [x["target"] for x in rows] != [target] * len(rows):
                problems.append(f"{what}: targets {[x['target'] for x in rows]}, expected {target}")
    assert not problems, "audit rows of order calls:\n" + "\n".join(problems)
    history = psql_json(db.auditor_url, f"SELECT action, outcome FROM orderdesk.audit_order_history WHERE target = '{oid}' AND tenant_id = '{t.id}'")
    assert {h["action"] for h in history} >= {"orders_create", "orders_get", "orders_update", "orders_delete"}, history
