"""Safe writes: 20 concurrent updates of one order through two replicas lose nothing and are
serialized; OrderDesk's 409 is retried with a re-fetch; a stale expected_date_updated sends
nothing; an idempotent create posts once however it is retried."""

import json
import secrets
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from e2e_support import RawClient, note_update_traffic, order_body, tool_error

N_CONCURRENT = 20


def _seeded_order(orders_sim, sid, index=0):
    return orders_sim.api("GET", "/orders", sid, params={"limit": index + 1}).json()["orders"][index]


def _upstream(orders_sim, sid, oid):
    return orders_sim.api("GET", f"/orders/{oid}", sid).json()["order"]


def _as_map(value):
    return value if isinstance(value, dict) else {}  # PHP's empty map is []


def test_concurrent_updates_through_two_replicas_lose_nothing(o1, o2, order_tenant, orders_sim):
    t, store = order_tenant("orders-concurrent")
    sid = store["store_id"]
    before = _seeded_order(orders_sim, sid)
    oid = str(before["id"])
    tag = secrets.token_hex(3)
    clients = [RawClient((o1, o2)[i % 2].mcp_url, t.master_key, tenant_id=t.id).open() for i in range(N_CONCURRENT)]
    start = threading.Barrier(N_CONCURRENT)

    def update(i):
        start.wait()
        return clients[i].tool(
            "orders_update",
            {
                "order_id": oid,
                "changes": {"order_notes": [f"concurrent note {i:02d} {tag}"], "checkout_data": {f"e2e_field_{i:02d}": f"value {i} {tag}"}},
            },
        )

    mark = orders_sim.mark()
    try:
        with ThreadPoolExecutor(N_CONCURRENT) as pool:
            results = list(pool.map(update, range(N_CONCURRENT)))
    finally:
        for c in clients:
            c.close()
    traffic = [(r["method"], r["status"]) for r in orders_sim.since(mark, store_id=sid, path=f"/orders/{oid}")]
    failed = [(i, r.raw) for i, r in enumerate(results) if r.is_error]
    assert not failed, f"{len(failed)} of {N_CONCURRENT} concurrent updates failed: {json.dumps(failed[:3])[:1500]}"

    after = _upstream(orders_sim, sid, oid)
    notes = [n.get("content") for n in after["order_notes"]]
    missing_notes = [i for i in range(N_CONCURRENT) if f"concurrent note {i:02d} {tag}" not in notes]
    assert not missing_notes, f"lost notes of updates {missing_notes}"
    assert len(notes) == len(before["order_notes"]) + N_CONCURRENT, f"notes duplicated: {len(notes)}"
    data = _as_map(after["checkout_data"])
    missing = [i for i in range(N_CONCURRENT) if data.get(f"e2e_field_{i:02d}") != f"value {i} {tag}"]
    assert not missing, f"lost checkout_data fields of updates {missing}"
    for k, v in _as_map(before["checkout_data"]).items():
        assert data.get(k) == v, f"the original checkout_data {k!r} was lost"
    assert after["shipping"] == before["shipping"] and after["order_items"] == before["order_items"]

    # serialized across replicas: for this order the simulator saw GET, PUT, GET, PUT, … never two
    # fetches before a PUT (the advisory lock spans fetch → merge → PUT)
    puts = [x for x in traffic if x[0] == "PUT"]
    note_update_traffic(N_CONCURRENT, [s for _, s in puts])
    assert len(puts) == N_CONCURRENT and all(s == 200 for _, s in puts), traffic
    methods = [m for m, _ in traffic]
    assert methods == ["GET", "PUT"] * N_CONCURRENT, f"updates interleaved upstream: {methods}"

    # the last result, a fresh get on either replica and OrderDesk agree
    with RawClient(o2.mcp_url, t.master_key, tenant_id=t.id) as c:
        c.open()
        got = c.tool("orders_get", {"order_id": oid}).ok()
        assert got["cached"] is False, "orders_get served an order cached before the updates"
        assert len(got["order"]["order_notes"]) == len(notes) and _as_map(got["order"]["checkout_data"]) == data


def test_conflict_retries_and_expected_date_updated(o1, order_tenant, orders_sim):
    t, store = order_tenant("orders-conflict")
    sid = store["store_id"]
    oid = str(_seeded_order(orders_sim, sid)["id"])
    path = f"/orders/{oid}"
    with RawClient(o1.mcp_url, t.master_key, tenant_id=t.id) as c:
        c.open()

        # 409 twice, then OrderDesk accepts: the update succeeds, re-fetching before each retry
        orders_sim.fault({"method": "PUT", "path": path, "count": 2, "conflict_on_put": True})
        mark = orders_sim.mark()
        r = c.tool("orders_update", {"order_id": oid, "changes": {"checkout_data": {"after_409": "yes"}, "order_notes": ["after two conflicts"]}}).ok()
        traffic = [(x["method"], x["status"]) for x in orders_sim.since(mark, store_id=sid, path=path)]
        note_update_traffic(1, [s for m, s in traffic if m == "PUT"])
        assert [s for m, s in traffic if m == "PUT"] == [409, 409, 200], traffic
        assert traffic == [("GET", 200), ("PUT", 409)] * 2 + [("GET", 200), ("PUT", 200)], f"no re-fetch before a retry: {traffic}"
        up = _upstream(orders_sim, sid, oid)
        assert _as_map(up["checkout_data"]).get("after_409") == "yes" and r["order"]["checkout_data"]["after_409"] == "yes"
        assert [n["content"] for n in up["order_notes"]].count("after two conflicts") == 1

        # 409 forever: conflict after ORDERDESK_CONFLICT_RETRIES (5) retries, nothing changed
        orders_sim.fault({"method": "PUT", "path": path, "count": 50, "conflict_on_put": True})
        mark = orders_sim.mark()
        try:
            r = c.tool("orders_update", {"order_id": oid, "changes": {"checkout_data": {"never": "stored"}}})
        finally:
            orders_sim.clear_faults()
        tool_error(r, "conflict", "409 on every PUT")
        puts = [x["status"] for x in orders_sim.since(mark, store_id=sid, path=path, method="PUT")]
        note_update_traffic(1, puts, gave_up=1 if r.error_code == "conflict" else 0)
        assert puts == [409] * 6, f"expected 1 + 5 conflict retries, saw PUTs {puts}"
        assert "never" not in _as_map(_upstream(orders_sim, sid, oid)["checkout_data"])

        # expected_date_updated: the order changed in OrderDesk since the caller read it (the
        # caller's copy is even in the cache) → conflict with the current value, no PUT
        read = c.tool("orders_get", {"order_id": oid}).ok()["order"]
        outside = dict(read, checkout_data={**_as_map(read["checkout_data"]), "outside": "edit"})
        time.sleep(1.05)  # OrderDesk's date_updated has one-second resolution
        assert orders_sim.api("PUT", path, sid, json=outside).status_code == 200
        current = _upstream(orders_sim, sid, oid)["date_updated"]
        assert current != read["date_updated"]
        mark = orders_sim.mark()
        r = c.tool("orders_update", {"order_id": oid, "changes": {"email": "stale@example.com"}, "expected_date_updated": read["date_updated"]})
        err = tool_error(r, "conflict", "stale expected_date_updated")
        assert current in json.dumps(err), f"the conflict does not tell the current date_updated {current}: {err}"
        sent = orders_sim.since(mark, store_id=sid)
        assert not [x for x in sent if x["method"] != "GET"], f"a stale update sent {[(x['method'], x['path']) for x in sent]}"
        assert _upstream(orders_sim, sid, oid)["email"] != "stale@example.com"

        # …and with the current value it goes through
        ok = c.tool("orders_update", {"order_id": oid, "changes": {"email": "fresh@example.com"}, "expected_date_updated": current}).ok()
        assert ok["order"]["email"] == "fresh@example.com"
        assert _as_map(ok["order"]["checkout_data"]).get("outside") == "edit", "the update lost the outside edit"


def test_idempotent_create(o1, o2, order_tenant, orders_sim):
    t, store = order_tenant("orders-idem")
    sid = store["store_id"]
    with RawClient(o1.mcp_url, t.master_key, tenant_id=t.id) as c1, RawClient(o2.mcp_url, t.master_key, tenant_id=t.id) as c2:
        c1.open()
        c2.open()

        # retried three times in a row (the third on the other replica): one POST, one order
        key = f"e2e-idem-{secrets.token_hex(8)}"
        body = order_body("idem1")
        mark = orders_sim.mark()
        results = [c.tool("orders_create", {"order": body, "idempotency_key": key}).ok() for c in (c1, c1, c2)]
        ids = {str(r["order"]["id"]) for r in results}
        assert len(ids) == 1, f"three creates with one key made orders {ids}"
        assert [r["replayed"] for r in results] == [False, True, True]
        assert results[1]["order"] == results[0]["order"] == results[2]["order"]
        posts = orders_sim.since(mark, store_id=sid, method="POST")
        assert len(posts) == 1, f"{len(posts)} POSTs for one idempotency key"

        # the same key with another body is refused, nothing is sent
        mark = orders_sim.mark()
        tool_error(c2.tool("orders_create", {"order": order_body("idem-other"), "idempotency_key": key}), "idempotency_mismatch", "same key, other body")
        assert orders_sim.since(mark, store_id=sid, method="POST") == []

        # three concurrent calls with one key (two replicas): one POST, the same order for all
        key2 = f"e2e-idem-{secrets.token_hex(8)}"
        body2 = order_body("idem2")
        clients = [c1, c2, RawClient(o1.mcp_url, t.master_key, tenant_id=t.id).open()]
        start = threading.Barrier(3)

        def create(c):
            start.wait()
            return c.tool("orders_create", {"order": body2, "idempotency_key": key2})

        mark = orders_sim.mark()
        try:
            with ThreadPoolExecutor(3) as pool:
                concurrent = list(pool.map(create, clients))
        finally:
            clients[2].close()
        bad = [r.raw for r in concurrent if r.is_error]
        assert not bad, f"concurrent idempotent creates failed: {json.dumps(bad)[:1200]}"
        ids = {str(r.data["order"]["id"]) for r in concurrent}
        assert len(ids) == 1, f"three concurrent creates with one key made orders {ids}"
        assert sorted(r.data["replayed"] for r in concurrent) == [False, True, True]
        posts = orders_sim.since(mark, store_id=sid, method="POST")
        assert len(posts) == 1, f"{len(posts)} POSTs for three concurrent creates with one key"

        # without a key every call creates
        mark = orders_sim.mark()
        a = c1.tool("orders_create", {"order": order_body("nokey")}).ok()
        b = c1.tool("orders_create", {"order": order_body("nokey")}).ok()
        assert a["order"]["id"] != b["order"]["id"] and not a["replayed"] and not b["replayed"]
        assert len(orders_sim.since(mark, store_id=sid, method="POST")) == 2
