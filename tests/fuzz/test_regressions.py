"""Server bugs the fuzz suite found, each kept as the exact request that shows it.

Each test asserts the correct behaviour and is marked `xfail(strict=True)` while the bug is open:
the run stays green and pytest lists it as XFAIL with the bug's description; once the server is
fixed the test XPASSes, which fails the run — then delete the marker (and the bug's entry in
fuzz_support.KNOWN_BUGS, so the fuzz oracle is strict about it again). Fixed bugs keep their
tests, unmarked, as guards.
"""

from __future__ import annotations

import json
import secrets

import pytest

from e2e_support import psql_json
from fuzz_support import STATS, Sent


def call(target, name, arguments, *, rid=1) -> tuple[dict, str]:
    """One tools/call on the fuzz tenant's session; → (JSON body, X-Request-ID)."""
    msg = {"jsonrpc": "2.0", "id": rid, "method": "tools/call", "params": {"name": name, "arguments": arguments}}
    sent = Sent("POST", "/mcp", target.base_headers("valid", target.session("bound")), json.dumps(msg).encode(), label="regression", request_id=rid, has_valid_id=True)
    r = target.send(sent)
    STATS.examples["regressions"] += 1
    assert r.status_code == 200, f"HTTP {r.status_code}: {r.text[:500]}"
    return r.json(), r.headers["x-request-id"]


def audit_rows(db, request_id: str) -> list[dict]:
    return psql_json(
        db.auditor_url,
        f"SELECT action, outcome, error_code FROM orderdesk.audit_log WHERE correlation_id = '{request_id}' ORDER BY id",
    )


def tool_error_code(body: dict) -> str | None:
    result = body.get("result") or {}
    return ((result.get("structuredContent") or {}).get("error") or {}).get("code") if result.get("isError") else None


# --- BUG-1 (fixed in 51752e9; the tests guard the fix) ---------------------------------------------
# Found by test_fuzz_tools (short mode, derandomized), first as:
#   {"name":"orders_create","arguments":{"order":{"order_items":[{"name":"Mug","price":0,"quantity":0}],
#    "customer":{"first_name":"Ann","country":"US","city":"\u0000"}}}}
#   → 200 {"result":{"isError":true,"structuredContent":{"error":{"code":"internal_error",…}}}}
#   server log: "tool call failed" error "PostgreSQL server error (SQLSTATE 22P05)", then "audit write failed".
# Commit 175adb5 (NUL-free audit params) fixed that case; 51752e9 (NUL refused as validation_error) the others:
#   {"name":"stores_resolve","arguments":{"store":"Fuzz Store 41001\u0000"}} → internal_error
#     (log: "tool call failed" error "PostgreSQL invalid query": the text bind refuses the NUL)
#   {"name":"stores_list","arguments":{"x\u0000":1}} → validation_error, but no audit row
#     (log: "audit write failed": namesOnly keeps the NUL in the argument name)


def test_bug1_nul_in_order_field_is_not_an_internal_error(target, db):
    order = {
        "order_items": [{"name": "Mug", "price": 0, "quantity": 0}],
        "customer": {"first_name": "Ann", "last_name": "Lee", "country": "US", "city": "\u0000"},
    }
    body, rid = call(target, "orders_create", {"order": order, "store": target.stores[0]["id"]})
    code = tool_error_code(body)
    assert code != "internal_error", f"orders_create with a NUL in customer.city → internal_error: {json.dumps(body)[:400]}"
    assert audit_rows(db, rid), f"no audit row for request {rid}"


def test_bug1_nul_in_store_identifier_is_not_an_internal_error(target, db):
    body, rid = call(target, "stores_resolve", {"store": "Fuzz Store 41001\u0000"})
    code = tool_error_code(body)
    assert code in ("validation_error", "not_found"), f"stores_resolve with a NUL → {json.dumps(body)[:400]}"
    assert audit_rows(db, rid), f"no audit row for request {rid}"


def test_bug1_failed_call_with_nul_is_still_audited(target, db):
    """A call that fails validation anyway (unknown argument) answers correctly, but its audit row
    (params carry the NUL) is never written."""
    body, rid = call(target, "stores_list", {"x\u0000": 1})
    assert tool_error_code(body) == "validation_error", json.dumps(body)[:400]
    assert audit_rows(db, rid), f"no audit row for request {rid}: a rejected call left no trace"


# --- BUG-2 (fixed in 51752e9) ---------------------------------------------------------------------
# Found reading the code while writing the audit sweep, confirmed by this request: an unknown tool name of ≤ 100 characters but
# > 100 code points broke audit_log.action's CHECK (String.prefix counts graphemes), so the call
# (answered -32602 correctly) left no audit row.


def test_bug2_unknown_long_tool_name_is_audited(target, db):
    name = "a\u0301" * 60  # 60 characters, 120 code points
    body, rid = call(target, name, {})
    assert body.get("error", {}).get("code") == -32602, json.dumps(body)[:400]
    assert audit_rows(db, rid), f"no audit row for the unknown tool call {rid}"


# --- BUG-3 ---------------------------------------------------------------------------------------
# Found by test_fuzz_envelopes (long mode, FUZZ_SEED=2):
#   {"jsonrpc":"2.0","id":1e-400,"method":"initialize"}
#   → 200 {"id":0,"jsonrpc":"2.0","result":{…}}      (1.5 is refused with -32600, as it should be)
# Fixed: the JSON parser keeps a literal with a fraction or exponent an integer only when its exact
# value is a whole Int64, so these are doubles and refused like 1.5.



@pytest.mark.parametrize("literal", ["1e-400", "1.00000000000000000001"])
def test_bug3_fractional_id_is_refused_not_rounded(target, literal):
    body = ('{"jsonrpc":"2.0","id":' + literal + ',"method":"ping"}').encode()
    sent = Sent("POST", "/mcp", target.base_headers("valid", target.session("bound")), body, label="regression")
    r = target.send(sent)
    STATS.examples["regressions"] += 1
    answer = r.json()
    assert r.status_code == 400 and answer.get("error", {}).get("code") == -32600 and answer.get("id") is None, (
        f"id {literal} → HTTP {r.status_code} {r.text[:300]} (expected 400, -32600, id null, as for 1.5)"
    )


# --- BUG-4 ---------------------------------------------------------------------------------------
# Found while checking the BUG-1 fix (51752e9 refuses U+0000 in strings the schema describes, but not
# inside `order`/`changes`, whose nested fields have no schema):
#   orders_create {"order": {"order_items": [{"name": "Mug\u0000", "price": 1, "quantity": 1}],
#                  "shipping": {"first_name": "Ann", "last_name": "Lee"}}, "idempotency_key": K}
#   1st call → order 2370030, replayed false; log: "could not store the result of an idempotent
#              create" (SQLSTATE 22P05) twice
#   2nd call, same key and body → waits ORDER_LOCK_TIMEOUT_MS (30 s by default), then `conflict`
#   3rd call ~12 s later → order 2370031, replayed false: a second POST /orders, a duplicate order.
# The same NUL also makes the order and every list page holding it uncacheable ("could not cache an
# OrderDesk response", SQLSTATE 22P05).



def test_bug4_nul_nested_in_order_keeps_idempotency(target, sim):
    order = {"order_items": [{"name": "Mug\u0000", "price": 1, "quantity": 1}], "shipping": {"first_name": "Ann", "last_name": "Lee"}}
    args = {"order": order, "idempotency_key": f"bug4-{secrets.token_hex(6)}", "store": target.stores[0]["id"]}
    mark = len(sim.requests())
    first, _ = call(target, "orders_create", args)
    if tool_error_code(first) == "validation_error":  # refusing the NUL up front is a fix too
        assert not [r for r in sim.requests()[mark:] if r["method"] == "POST"], "refused, yet POSTed upstream"
        return
    first_order = first["result"]["structuredContent"]["order"]["id"]
    second, _ = call(target, "orders_create", args)
    sc = second["result"]["structuredContent"]
    assert sc.get("replayed") is True and (sc.get("order") or {}).get("id") == first_order, (
        f"the retry with the same idempotency_key was not replayed: {json.dumps(sc)[:400]}"
    )
    assert len([r for r in sim.requests()[mark:] if r["method"] == "POST"]) == 1


# --- BUG-5 (open; deliberately NOT marked xfail: this test fails until the server is fixed) ---------
# Found by test_fuzz_modern_tools (short mode, derandomized): a 2026-07-28 tools/call whose `Mcp-Name`
# is `=?base64?77u/b3JkZXJzX2xpc3Q=?=` — the base64 of the UTF-8 bytes EF BB BF "orders_list", i.e.
# "\ufefforders_list" — with body `"name": "orders_list"` was served (HTTP 200) instead of being
# refused as a header mismatch (400, -32020). RoutingHeaders.decode turns the payload into text with
# Foundation's `String(data:encoding: .utf8)`, which drops a leading byte-order mark, so the header
# an intermediary decodes to "\ufefforders_list" is taken to equal the body's "orders_list". The
# contract: `Mcp-Name` (after `=?base64?…?=` decoding) ≠ params.name → 400/-32020. Minimal
# reproduction (no key needed: the header check comes before authentication, so the wrong answer
# is the keyless 401 instead of 400):
#   POST /mcp  MCP-Protocol-Version: 2026-07-28  Mcp-Method: tools/call
#              Mcp-Name: =?base64?77u/c3RvcmVzX2xpc3Q=?=          ("\ufeffstores_list")
#   {"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"stores_list","arguments":{},
#    "_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28",
#             "io.modelcontextprotocol/clientCapabilities":{}}}}
#   → HTTP 401 -32001 (with a key: HTTP 200, the tool runs); expected HTTP 400 -32020.


def test_bug5_mcp_name_with_a_leading_bom_is_a_header_mismatch(target):
    import base64

    meta = {"io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {}}
    msg = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "stores_list", "arguments": {}, "_meta": meta}}
    answers = []
    for payload in ("\ufeffstores_list", "stores_list\ufeff", "\ufeff\ufeffstores_list"):
        name = b"=?base64?" + base64.b64encode(payload.encode()) + b"?="
        headers = [
            ("Content-Type", b"application/json"),
            ("Accept", b"application/json, text/event-stream"),
            ("MCP-Protocol-Version", b"2026-07-28"),
            ("Mcp-Method", b"tools/call"),
            ("Mcp-Name", name),
        ]
        sent = Sent("POST", "/mcp", headers, json.dumps(msg).encode(), label="regression BUG-5", request_id=1, has_valid_id=True)
        r = target.send(sent)
        STATS.examples["regressions"] += 1
        code = (r.json().get("error") or {}).get("code") if r.content else None
        answers.append((payload, name.decode(), r.status_code, code))
    wrong = [a for a in answers if a[2:] != (400, -32020)]
    assert not wrong, f"Mcp-Name decoding to a different name was accepted (expected 400/-32020): {wrong}"
