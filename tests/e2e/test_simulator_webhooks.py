"""The simulator's side of the webhook path (issue 14): OrderDesk's "Post Order JSON" rule posts as
`orderdesk-sim` fires them, received by a tiny Python HTTP server. Checks the wire format (form field
`order`, `X-ORDER-DESK-STORE-ID`, `X-ORDER-DESK-HASH` = HMAC-SHA256 of the field under the store's
API key), a change "made in OrderDesk's UI" delivered synchronously, the API mutations that fire
(create, update, move, shipment, batch shipment), each post carrying the order as its own mutation
left it, an order listed twice in one batch posted once, retries after a failed answer and their end
when the rule is removed, `fire: false`, replays, and rule validation. The server's receiver is tested elsewhere; no MCP server runs here."""

import hashlib
import hmac
import secrets
import time
import urllib.parse

import pytest

from e2e_support import (
    WebhookReceiver,
    sim_add_webhook,
    sim_delete_webhook,
    sim_edit_order,
    sim_fire_webhook,
    sim_webhook_deliveries,
)

# What OrderDesk sends besides the HTTP basics: exactly these two custom headers.
OWN_HEADERS = {"x-order-desk-store-id", "x-order-desk-hash"}
BASIC_HEADERS = {"host", "user-agent", "content-type", "content-length", "connection", "accept"}


class Hooks:
    """One claimed store of the order simulator, a receiver, and the rules a test added (removed at
    teardown, one by one, so other tests' rules stay)."""

    def __init__(self, sim, store_id: str, receiver: WebhookReceiver):
        self.sim, self.sid, self.receiver = sim, store_id, receiver
        self.api_key = sim.stores[store_id]
        self.rule_ids: list[int] = []

    def add_rule(self, **options) -> dict:
        r = sim_add_webhook(self.sim, self.sid, self.receiver.url, **options)
        assert r.status_code == 200, r.text
        rule = r.json()["rule"]
        self.rule_ids.append(rule["id"])
        return rule

    def api(self, method: str, path: str, **kw) -> dict:
        r = self.sim.api(method, path, self.sid, **kw)
        assert r.status_code == 200, f"{method} {path}: {r.status_code} {r.text[:500]}"
        return r.json()

    def order(self, order_id: str) -> dict:
        return self.api("GET", f"/orders/{order_id}")["order"]

    def first_order_id(self) -> str:
        return str(self.api("GET", "/orders?limit=1")["orders"][0]["id"])

    def assert_signed(self, post) -> None:
        """The post is OrderDesk's: form field `order` only, PHP-urlencoded, the two headers, the
        hash verifying under the store's key."""
        assert post.headers["content-type"] == "application/x-www-form-urlencoded", post.headers
        assert post.headers["x-order-desk-store-id"] == self.sid
        expected = hmac.new(self.api_key.encode(), post.order_value.encode(), hashlib.sha256).hexdigest()
        assert hmac.compare_digest(post.headers["x-order-desk-hash"], expected), post.headers
        assert set(post.headers) <= BASIC_HEADERS | OWN_HEADERS, sorted(post.headers)
        assert list(post.form) == ["order"], list(post.form)
        php_urlencoded = urllib.parse.quote_plus(post.order_value, safe="").replace("~", "%7E")
        assert post.body == b"order=" + php_urlencoded.encode(), post.body[:200]


@pytest.fixture
def hooks(orders_sim, claim_store_id):
    with WebhookReceiver() as receiver:
        h = Hooks(orders_sim, claim_store_id(), receiver)
        yield h
        for rule_id in h.rule_ids:
            sim_delete_webhook(orders_sim, rule_id)


def test_ui_edit_is_delivered_synchronously_signed_and_outside_the_api(hooks):
    rule = hooks.add_rule(retry_delay_ms=0)
    oid = hooks.first_order_id()
    before = hooks.order(oid)
    email = f"ui edit+{secrets.token_hex(3)}@example.com"  # a space and a '+' to exercise the form encoding
    mark = hooks.sim.mark()

    edited = sim_edit_order(hooks.sim, hooks.sid, oid, {"email": email, "tag_name": "Ünïcode & co"})

    # Delivered before the edit call answered: the post is already here.
    assert edited["status"] == "success"
    assert edited["deliveries"] == [{"rule_id": rule["id"], "status": 200, "error": None}], edited
    posts = hooks.receiver.received()
    assert len(posts) == 1, posts
    post = posts[0]
    hooks.assert_signed(post)
    assert post.path == "/webhooks/orderdesk"
    sent = post.order
    assert sent == edited["order"]
    assert sent["id"] == oid and sent["email"] == email and sent["tag_name"] == "Ünïcode & co"
    assert sent["date_updated"] >= before["date_updated"]
    # Not an API call: nothing in the request log, yet the API sees the change.
    assert hooks.sim.since(mark) == []
    assert hooks.order(oid) == sent
    log = sim_webhook_deliveries(hooks.sim, store_id=hooks.sid, order_id=oid)
    assert [(d["rule_id"], d["event"], d["attempt"], d["status"], d["error"]) for d in log] == [
        (rule["id"], "updated", 1, 200, None)
    ], log


def test_api_mutations_fire_created_updated_moved_and_shipment(hooks):
    hooks.add_rule(retry_delay_ms=0)
    rx = hooks.receiver

    def next_post(event: str, order_id: str):
        """The one new post for `order_id`, and that the log names `event` for it."""
        post = rx.wait_for(1, where=lambda p: p.order["id"] == order_id and all(p is not s for s in seen))[0]
        seen.append(post)
        hooks.assert_signed(post)
        deadline = time.monotonic() + 5
        while True:
            events = [d["event"] for d in sim_webhook_deliveries(hooks.sim, order_id=order_id, store_id=hooks.sid)]
            if len(events) >= sum(1 for p in seen if p.order["id"] == order_id) or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert events[-1] == event, events
        return post.order

    seen: list = []
    tag = secrets.token_hex(3)
    created = hooks.api(
        "POST",
        "/orders",
        json={"email": f"hook-{tag}@example.com", "customer": {"first_name": "Hook", "last_name": tag},
              "order_items": [{"name": "Mug", "code": "MUG-1", "price": 9.5, "quantity": 2}]},
    )["order"]  # fmt: skip
    oid = str(created["id"])
    sent = next_post("created", oid)
    assert sent["email"] == f"hook-{tag}@example.com" and sent["order_total"] == created["order_total"]

    order = hooks.order(oid)
    order["email"] = f"hook-updated-{tag}@example.com"
    hooks.api("PUT", f"/orders/{oid}", json=order)
    assert next_post("updated", oid)["email"] == f"hook-updated-{tag}@example.com"

    hooks.api("POST", f"/orders/{oid}/order-items", json={"name": "Cap", "price": 3, "quantity": 1})
    assert len(next_post("updated", oid)["order_items"]) == 2

    folders = hooks.sim.store_info()[hooks.sid]["folders"]
    destination = next(int(f) for f in folders if int(f) != int(order["folder_id"]))
    hooks.api("POST", "/move-orders", json={"order_id_list": [int(oid)], "destination_folder_id": destination})
    assert next_post("moved", oid)["folder_id"] == destination

    tracking = f"1ZHOOK{tag.upper()}"
    hooks.api("POST", f"/orders/{oid}/shipments", json={"tracking_number": tracking, "carrier_code": "UPS"})
    sent = next_post("shipment", oid)
    assert [s["tracking_number"] for s in sent["order_shipments"]] == [tracking]

    batch = hooks.api(
        "POST", "/batch-shipments",
        json=[{"order_id": oid, "tracking_number": tracking + "B", "carrier_code": "UPS"},
              {"order_id": oid, "tracking_number": tracking, "carrier_code": "UPS"}],  # duplicate: not added
    )  # fmt: skip
    assert [r["status"] for r in batch["results"]] == ["success", "error"], batch
    sent = next_post("shipment", oid)
    assert {s["tracking_number"] for s in sent["order_shipments"]} == {tracking, tracking + "B"}
    time.sleep(0.3)
    assert len([p for p in rx.received() if p.order["id"] == oid]) == len(seen) == 6


def test_rules_fire_only_for_their_events(hooks):
    hooks.add_rule(events=["shipment"], retry_delay_ms=0)
    oid = hooks.first_order_id()

    edited = sim_edit_order(hooks.sim, hooks.sid, oid, {"email": "not-posted@example.com"})
    assert edited["deliveries"] == []
    hooks.api("POST", f"/orders/{oid}/shipments", json={"tracking_number": "1ZONLY" + secrets.token_hex(3)})
    posts = hooks.receiver.wait_for(1)
    assert len(posts) == 1 and posts[0].order["email"] == "not-posted@example.com"


def test_failed_answer_is_retried_with_identical_bytes(hooks):
    rule = hooks.add_rule(max_attempts=3, retry_delay_ms=200)
    oid = hooks.first_order_id()
    hooks.receiver.answer(500)

    edited = sim_edit_order(hooks.sim, hooks.sid, oid, {"email": "retry@example.com"})

    assert edited["deliveries"] == [{"rule_id": rule["id"], "status": 500, "error": None}], edited
    first, second = hooks.receiver.wait_for(2)
    assert first.body == second.body and first.headers["x-order-desk-hash"] == second.headers["x-order-desk-hash"]
    hooks.assert_signed(second)
    time.sleep(0.6)  # a third attempt would come 200 ms after a failed second one
    assert len(hooks.receiver.received()) == 2
    log = sim_webhook_deliveries(hooks.sim, order_id=oid, store_id=hooks.sid)
    assert [(d["attempt"], d["status"]) for d in log] == [(1, 500), (2, 200)], log


def test_attempts_stop_at_max_attempts(hooks):
    hooks.add_rule(max_attempts=2, retry_delay_ms=50)
    oid = hooks.first_order_id()
    hooks.receiver.answer(503, 502, 500)

    sim_edit_order(hooks.sim, hooks.sid, oid, {"email": "give-up@example.com"})

    hooks.receiver.wait_for(2)
    time.sleep(0.4)
    assert len(hooks.receiver.received()) == 2
    log = sim_webhook_deliveries(hooks.sim, order_id=oid, store_id=hooks.sid)
    assert [(d["attempt"], d["status"]) for d in log] == [(1, 503), (2, 502)], log


def test_removing_a_rule_stops_its_pending_retries(hooks):
    rule = hooks.add_rule(max_attempts=5, retry_delay_ms=1000)  # ample time to delete before attempt 2
    oid = hooks.first_order_id()
    hooks.receiver.answer(500, 500, 500, 500, 500)

    edited = sim_edit_order(hooks.sim, hooks.sid, oid, {"email": "removed-rule@example.com"})
    assert edited["deliveries"] == [{"rule_id": rule["id"], "status": 500, "error": None}], edited
    sim_delete_webhook(hooks.sim, rule["id"])
    hooks.rule_ids.remove(rule["id"])

    time.sleep(2.5)  # two retries 1 s apart would have come by now
    assert len(hooks.receiver.received()) == 1
    log = sim_webhook_deliveries(hooks.sim, order_id=oid, store_id=hooks.sid)
    assert [(d["attempt"], d["status"]) for d in log] == [(1, 500)], log


def test_each_quick_update_posts_the_order_as_it_left_it(hooks):
    """Two PUTs in quick succession: each post carries its own mutation's state (a receiver that
    dedupes on the payload hash must see two distinct posts)."""
    hooks.add_rule(events=["updated"], retry_delay_ms=0)
    oid = hooks.first_order_id()
    order = hooks.order(oid)
    tag = secrets.token_hex(3)
    emails = [f"first-{tag}@example.com", f"second-{tag}@example.com"]

    for email in emails:
        hooks.api("PUT", f"/orders/{oid}", json={**order, "email": email})

    posts = hooks.receiver.wait_for(2, where=lambda p: p.order["id"] == oid)
    time.sleep(0.3)
    posts = [p for p in hooks.receiver.received() if p.order["id"] == oid]
    assert sorted(p.order["email"] for p in posts) == sorted(emails), [p.order["email"] for p in posts]
    assert posts[0].headers["x-order-desk-hash"] != posts[1].headers["x-order-desk-hash"]
    for post in posts:
        hooks.assert_signed(post)


def test_an_order_listed_twice_in_one_move_is_posted_once(hooks):
    hooks.add_rule(events=["moved"], retry_delay_ms=0)
    oid = hooks.first_order_id()
    order = hooks.order(oid)
    folders = hooks.sim.store_info()[hooks.sid]["folders"]
    destination = next(int(f) for f in folders if int(f) != int(order["folder_id"]))

    hooks.api("POST", "/move-orders", json={"order_id_list": [int(oid), oid], "destination_folder_id": destination})

    post = hooks.receiver.wait_for(1)[0]
    time.sleep(0.3)
    assert len(hooks.receiver.received()) == 1
    assert post.order["id"] == oid and post.order["folder_id"] == destination
    log = sim_webhook_deliveries(hooks.sim, order_id=oid, store_id=hooks.sid)
    assert [d["event"] for d in log] == ["moved"], log


def test_edit_with_fire_false_sends_nothing(hooks):
    hooks.add_rule(retry_delay_ms=0)
    oid = hooks.first_order_id()

    edited = sim_edit_order(hooks.sim, hooks.sid, oid, {"email": "quiet@example.com"}, fire=False)

    assert edited["deliveries"] == [] and edited["order"]["email"] == "quiet@example.com"
    time.sleep(0.3)
    assert hooks.receiver.received() == []
    assert sim_webhook_deliveries(hooks.sim, order_id=oid, store_id=hooks.sid) == []
    assert hooks.order(oid)["email"] == "quiet@example.com"


def test_fire_replays_the_current_order(hooks):
    rule = hooks.add_rule(retry_delay_ms=0)
    oid = hooks.first_order_id()

    first = sim_fire_webhook(hooks.sim, hooks.sid, oid)
    second = sim_fire_webhook(hooks.sim, hooks.sid, oid)

    assert first["deliveries"] == second["deliveries"] == [{"rule_id": rule["id"], "status": 200, "error": None}]
    a, b = hooks.receiver.received()
    assert a.body == b.body and a.headers["x-order-desk-hash"] == b.headers["x-order-desk-hash"]
    assert a.order == hooks.order(oid)


def test_rule_validation(hooks):
    unknown = sim_add_webhook(hooks.sim, "99999999", hooks.receiver.url)
    assert unknown.status_code == 400 and unknown.json()["status"] == "error", unknown.text
    for options in ({"events": ["deleted"]}, {"max_attempts": 0}, {"retry_delay_ms": -1}):
        bad = sim_add_webhook(hooks.sim, hooks.sid, hooks.receiver.url, **options)
        assert bad.status_code == 400, (options, bad.text)
    bad_url = sim_add_webhook(hooks.sim, hooks.sid, "file:///etc/passwd")
    assert bad_url.status_code == 400, bad_url.text
    rule = hooks.add_rule(events=["moved", "created"], max_attempts=10, retry_delay_ms=60000)
    assert rule["events"] == ["created", "moved"] and rule["store_id"] == hooks.sid
    import httpx2

    listed = httpx2.get(hooks.sim.base_url + "/_sim/webhooks", timeout=10).json()["rules"]
    assert rule in listed
