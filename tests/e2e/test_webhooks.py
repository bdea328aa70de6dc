"""OrderDesk webhooks end to end: the order simulator fires its "Post Order JSON" rule posts at one
replica's POST /webhooks/orderdesk, and the real `mcp` client reads through the other replica.

- A change made "in OrderDesk" (a simulator UI edit, not an API call) is visible through orders_get on
  the very next call, not after the cache TTL; the same edit without a post stays invisible (the
  control that shows it is the webhook that did it).
- A replayed post is stored once; a forged hash, an unknown store or a foreign tenant's key are
  refused with 401 and nothing is stored; the refusals are counted in /metrics.
- Posts fired by API mutations (orders_move through the MCP tool) arrive and are stored.
- Operators see the events with `orderdesk-mcp webhooks list` and the auditor view, never the payload.
Legacy (2025-11-25 session) and 2026-07-28 (stateless) modes."""

import hashlib
import hmac
import json
import re
import time
import urllib.parse

import httpx2
import pytest

from e2e_support import (
    MODERN_VERSION,
    mcp_session,
    psql_json,
    run,
    sim_add_webhook,
    sim_delete_webhook,
    sim_edit_order,
    sim_fire_webhook,
    sim_webhook_deliveries,
)

MODES = ["legacy", MODERN_VERSION]


def _events(db, tenant_id: str) -> list[dict]:
    """The tenant's stored webhooks as the auditor sees them (orderdesk.webhook_deliveries)."""
    return psql_json(
        db.auditor_url,
        "SELECT id, store_id, order_id, status, payload_sha256, processed_at IS NOT NULL AS processed "
        f"FROM orderdesk.webhook_deliveries WHERE tenant_id = '{tenant_id}' ORDER BY id",
    )


def _post(server, store_id: str, order_value: str, *, key: str | None = None, signature: str | None = None, **kw):
    """A post exactly as OrderDesk sends it (form field `order`, PHP urlencode, the two headers)."""
    sig = signature or hmac.new(key.encode(), order_value.encode(), hashlib.sha256).hexdigest()
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-ORDER-DESK-STORE-ID": store_id,
        "X-ORDER-DESK-HASH": sig,
        **kw.pop("headers", {}),
    }
    body = "order=" + urllib.parse.quote_plus(order_value, safe="-_.")
    return httpx2.post(server.base_url + "/webhooks/orderdesk", content=body, headers=headers, timeout=30)


def _metric(server, outcome: str) -> float:
    text = httpx2.get(server.base_url + "/metrics", timeout=10).text
    m = re.search(r'^odmcp_webhooks_total\{outcome="' + outcome + r'"\} ([0-9.e+]+)$', text, re.M)
    return float(m.group(1)) if m else 0.0


@pytest.mark.parametrize("mode", MODES)
def test_a_change_in_orderdesk_is_visible_on_the_next_call(mode, o1, o2, orders_sim, order_tenant, db):
    t, store = order_tenant(f"webhooks-{mode}")
    sid = store["store_id"]
    rule = sim_add_webhook(orders_sim, sid, o2.base_url + "/webhooks/orderdesk", events=["updated"], retry_delay_ms=100)
    assert rule.status_code == 200, rule.text
    try:
        run(_visible_on_next_call(mode, o1, orders_sim, t, store, db))
    finally:
        sim_delete_webhook(orders_sim, rule.json()["rule"]["id"])


async def _visible_on_next_call(mode, o1, sim, t, store, db):
    sid = store["store_id"]
    oid = str(sim.api("GET", "/orders", sid, params={"limit": 1}).json()["orders"][0]["id"])
    args = {"store": store["id"], "order_id": oid}
    async with mcp_session(o1.mcp_url, t.master_key, t.id, mode=mode) as s:
        first = (await s.tool("orders_get", args)).ok()
        assert (await s.tool("orders_get", args)).ok()["cached"] is True

        # Without a post, an outside change stays invisible while the entry lives (the control).
        hidden = f"hidden-{mode}@example.com"
        sim_edit_order(sim, sid, oid, {"email": hidden}, fire=False)
        stale = (await s.tool("orders_get", args)).ok()
        assert stale["cached"] is True and stale["order"]["email"] == first["order"]["email"], stale["order"]["email"]
        assert _events(db, t.id) == []

        # The same kind of change with OrderDesk's post (to the other replica): fresh on the next call.
        seen = f"seen-{mode}@example.com"
        edit = sim_edit_order(sim, sid, oid, {"email": seen})
        assert [d["status"] for d in edit["deliveries"]] == [200], edit["deliveries"]
        fresh = (await s.tool("orders_get", args)).ok()
        assert fresh["cached"] is False and fresh["order"]["email"] == seen, fresh["order"]["email"]
        events = _events(db, t.id)
        assert [(e["store_id"], e["order_id"], e["status"], e["processed"]) for e in events] == [
            (sid, oid, "processed", True)
        ], events

        # OrderDesk resends the same bytes (a retry, or a rule firing again with nothing changed): stored once.
        replay = sim_fire_webhook(sim, sid, oid)
        assert [d["status"] for d in replay["deliveries"]] == [200], replay
        assert len(_events(db, t.id)) == 1
        # A replay changes nothing: the entry cached since stays (replaying a captured post cannot keep
        # the cache cold), and it is the fresh one.
        again = (await s.tool("orders_get", args)).ok()
        assert again["cached"] is True and again["order"]["email"] == seen, again


def test_replays_forgeries_and_foreign_keys(o1, o2, orders_sim, order_tenant, db, cli):
    t, store = order_tenant("webhooks-forged")
    other, other_store = order_tenant("webhooks-other")
    sid, key = store["store_id"], orders_sim.stores[store["store_id"]]
    order = json.dumps({"id": "7001", "email": "ada+webhook@example.com", "note": "a & b = c %"}, separators=(",", ":"))

    first = _post(o1, sid, order, key=key)
    assert first.status_code == 200 and first.json() == {"status": "success", "duplicate": False}, first.text
    assert first.headers.get("x-request-id")
    again = _post(o2, sid, order, key=key)  # the other replica: the dedupe is in Postgres
    assert again.status_code == 200 and again.json()["duplicate"] is True, again.text
    events = _events(db, t.id)
    assert len(events) == 1 and events[0]["payload_sha256"] == hashlib.sha256(order.encode()).hexdigest(), events

    refused_before = {o: _metric(o1, o) for o in ("bad_signature", "unknown_store", "unsigned")}
    forged = [
        ("wrong key", _post(o1, sid, order + " ", key="not-the-store-key")),
        ("other store's key", _post(o1, sid, order.replace("7001", "7002"), key=orders_sim.stores[other_store["store_id"]])),
        ("hash of other bytes", _post(o1, sid, order.replace("7001", "7003"), signature=hmac.new(key.encode(), order.encode(), hashlib.sha256).hexdigest())),
        ("uppercase of a wrong hash", _post(o1, sid, order.replace("7001", "7004"), signature="AB" * 32)),
    ]
    unknown = _post(o1, "99999999", order, key=key)
    unsigned = httpx2.post(
        o1.base_url + "/webhooks/orderdesk", content="order=" + urllib.parse.quote_plus(order),
        headers={"Content-Type": "application/x-www-form-urlencoded", "X-ORDER-DESK-STORE-ID": sid}, timeout=30,
    )
    for what, r in [*forged, ("unknown store", unknown), ("no hash", unsigned)]:
        assert r.status_code == 401, f"{what}: {r.status_code} {r.text}"
        assert r.json()["error"]["code"] == "unauthorized", what
        assert r.json()["error"]["message"] == unknown.json()["error"]["message"], f"{what}: the refusal differs"
        assert key not in r.text and sid not in r.text, what
    assert len(_events(db, t.id)) == 1, "a refused post was stored"
    assert _events(db, other.id) == []
    assert _metric(o1, "bad_signature") - refused_before["bad_signature"] == 4
    assert _metric(o1, "unknown_store") - refused_before["unknown_store"] == 1
    assert _metric(o1, "unsigned") - refused_before["unsigned"] == 1

    # Bodies: not a form → 415, over WEBHOOK_MAX_BODY_BYTES (1 MiB) → 413, not a JSON object → 400.
    as_json = httpx2.post(
        o1.base_url + "/webhooks/orderdesk", content=order,
        headers={"Content-Type": "application/json", "X-ORDER-DESK-STORE-ID": sid,
                 "X-ORDER-DESK-HASH": hmac.new(key.encode(), order.encode(), hashlib.sha256).hexdigest()}, timeout=30,
    )
    assert as_json.status_code == 415, as_json.text
    huge = json.dumps({"id": "7005", "note": "x" * (1 << 20)})
    assert _post(o1, sid, huge, key=key).status_code == 413
    not_object = _post(o1, sid, "[1,2,3]", key=key)
    assert not_object.status_code == 400 and not_object.json()["error"]["code"] == "invalid_payload", not_object.text
    assert len(_events(db, t.id)) == 1

    # Operators: the CLI lists the event without the payload.
    listed = json.loads(cli._run("webhooks", "list", "--tenant", t.id, "--json"))
    assert [(e["store_id"], e["order_id"], e["status"]) for e in listed] == [(sid, "7001", "processed")], listed
    assert "ada+webhook" not in json.dumps(listed)
    assert json.loads(cli._run("webhooks", "list", "--tenant", t.id, "--store", "1", "--json")) == []


def test_api_mutations_post_back_and_are_stored(o1, o2, orders_sim, order_tenant, db):
    t, store = order_tenant("webhooks-api")
    sid = store["store_id"]
    rule = sim_add_webhook(orders_sim, sid, o2.base_url + "/webhooks/orderdesk", retry_delay_ms=100)
    assert rule.status_code == 200, rule.text
    try:
        run(_api_mutations(o1, orders_sim, t, store, db))
    finally:
        sim_delete_webhook(orders_sim, rule.json()["rule"]["id"])


async def _api_mutations(o1, sim, t, store, db):
    sid = store["store_id"]
    orders = sim.api("GET", "/orders", sid, params={"limit": 50}).json()["orders"]
    folders = {int(k): v for k, v in sim.store_info()[sid]["folders"].items()}
    oid = str(orders[0]["id"])
    target = next(f for f in folders if f != int(orders[0]["folder_id"]))
    async with mcp_session(o1.mcp_url, t.master_key, t.id, mode=MODERN_VERSION) as s:
        moved = (await s.tool("orders_move", {"store": store["id"], "order_ids": [oid], "folder_id": target})).ok()
        assert moved["moved"] == 1, moved
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not any(e["order_id"] == oid for e in _events(db, t.id)):
        time.sleep(0.1)
    assert [e["order_id"] for e in _events(db, t.id)] == [oid]
    deliveries = [d for d in sim_webhook_deliveries(sim, store_id=sid, order_id=oid) if d["event"] == "moved"]
    assert [d["status"] for d in deliveries] == [200], deliveries
