"""Fuzzed MCP 2026-07-28 requests (stateless: the `params._meta` envelope and the routing headers
on every request; notes: docs/e2e.md "Fuzz suite", the contract in fuzz_support's model).

Three generators, all POST /mcp:
- `test_fuzz_modern_envelopes`: fuzzed `_meta` (protocolVersion, clientCapabilities, clientInfo,
  traceparent, extra members), ids, methods (server/discover, tools/list with cursors, tools/call
  with random names and arguments, other and unknown methods, response objects), routing headers
  that mostly mirror the body, ignored extras (old session ids, Last-Event-ID, traceparent), and
  every key kind (none, valid, read-only, another tenant's, revoked).
- `test_fuzz_modern_headers`: well-formed modern bodies under mostly broken routing headers
  (missing, disagreeing, duplicated, non-ASCII, `=?base64?…?=` forms broken or look-alike) and
  protocol-version headers a modern client should not send.
- `test_fuzz_modern_tools`: modern tools/call of every tool of the live 2026-07-28 tools/list with
  arguments generated from its inputSchema (as test_fuzz_tools does for sessions).

Besides the oracle (check_response: no 5xx, JSON-RPC shape, `data.code`, the status each error
code travels with in 2026-07-28, resultType/serverInfo on results, no Mcp-Session-Id, no leaks),
every answer must be one the model (fuzz_support.expect_post) predicts: status and JSON-RPC code,
the request id echoed once the body was read, -32022's `data.requested`, the 401 challenge, the
discover and tools/list results. Audit rows of the successful calls carry the protocol version and
the traceparent the request sent (checked once, at the end of the module).
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from e2e_support import psql_json
from fuzz_strategies import (
    CC_KEY,
    CI_KEY,
    MISSING,
    MODERN_VERSION,
    PV_KEY,
    Ref,
    dumps,
    materialize,
    modern_envelopes,
    modern_extra_headers,
    modern_metas,
    routing_headers,
    sendable,
    tool_arguments,
    traceparents,
    weighted,
)
from fuzz_support import STATS, Sent, check_expectation, expect_post, fuzz_settings, modern_tool_names
from test_fuzz_envelopes import classify
from test_fuzz_tools import after_success, check_idempotency, live_value

KEY_KINDS = weighted((5, st.just(None)), (6, st.just("valid")), (1, st.just("read")), (1, st.just("other")), (1, st.just("revoked")))
# (X-Request-ID, expected traceparent or None, Sent) of every modern tools/call answered 200.
_DISPATCHED: list[tuple[str, str | None, Sent]] = []


def envelope_meta(**extra: Any) -> dict:
    return {PV_KEY: MODERN_VERSION, CC_KEY: {}, CI_KEY: {"name": "fuzz-modern", "version": "1"}, **extra}


class Listing(list):
    def __repr__(self) -> str:  # falsifying examples print fixtures: keep it short
        return f"<2026-07-28 tools/list of {len(self)} tools>"


@pytest.fixture(scope="module")
def listing(target) -> Listing:
    """The live 2026-07-28 tools/list (keyless), the reference every later listing must equal."""
    msg = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {"_meta": envelope_meta()}}
    headers = [
        ("Content-Type", b"application/json"),
        ("Accept", b"application/json, text/event-stream"),
        ("MCP-Protocol-Version", MODERN_VERSION.encode()),
        ("Mcp-Method", b"tools/list"),
    ]
    r = target.http.post(target.mcp_url, content=dumps(msg), headers=headers)
    assert r.status_code == 200, r.text[:500]
    tools = r.json()["result"]["tools"]
    names = [t["name"] for t in tools]
    assert "stores_list" in names and "tenant_use_master_key" not in names, names
    return Listing(tools)


def resolve(target, headers: list[tuple[str, Any]]) -> list[tuple[str, bytes]]:
    out = []
    for name, value in headers:
        if isinstance(value, Ref):
            value = target.session(value.which).encode() if value.kind == "session" else b""
        out.append((name, value))
    return out


def send_modern(target, listing: Listing, msg: dict, routing: list[tuple[str, Any]], key: str | None, label: str, test: str):
    """POST one modern message, check the oracle and the model; returns (sent, response, body, outcome)."""
    msg = {k: v for k, v in msg.items() if v is not MISSING}
    headers: list[tuple[str, Any]] = [("Content-Type", b"application/json"), ("Accept", b"application/json, text/event-stream")]
    if key is not None:
        headers.append(("Authorization", f"Bearer {target.keys[key]}".encode()))
    hdrs = resolve(target, headers + routing)
    sent = Sent("POST", "/mcp", hdrs, dumps(msg).encode("utf-8", "surrogatepass"), label=f"{label} (key {key})")
    sent.has_valid_id, sent.request_id, sent.notification = classify(msg)
    params = msg.get("params")
    if msg.get("method") == "tools/call" and isinstance(params, dict) and isinstance(params.get("name"), str):
        sent.tool = params["name"]
    STATS.examples[test] += 1
    exp = expect_post(hdrs, msg, key, modern_tool_names([t["name"] for t in listing]))
    r, body = target.exchange(sent)
    outcome = check_expectation(sent, r, body, exp, tools_listing=listing)
    if outcome is not None:
        STATS.notes[f"2026-07-28 HTTP {outcome.status} {outcome.code if outcome.code is not None else outcome.result or '-'}"] += 1
    if outcome is not None and outcome.result == "tools/call" and r.status_code == 200:
        _DISPATCHED.append((r.headers["x-request-id"], exp.traceparent, sent))
    target.check_alive()
    return sent, r, body, outcome


@fuzz_settings("modern_envelopes")
@given(envelope=modern_envelopes(), data=st.data(), key=KEY_KINDS)
def test_fuzz_modern_envelopes(target, listing, envelope, data, key):
    msg, label = envelope
    method, params = msg.get("method"), msg.get("params", MISSING)
    # Half the examples mirror the body faithfully (so the methods are reached), half break headers.
    mirror = data.draw(st.sampled_from([14, 1000]), label="mirror weight")
    routing = data.draw(routing_headers(method, params if isinstance(params, dict) else {}, mirror=mirror), label="routing headers")
    routing += data.draw(modern_extra_headers(), label="extra headers")
    send_modern(target, listing, msg, routing, key, label, "modern_envelopes")


# Well-formed bodies of the modern methods (and two that are not) for the header fuzzer.
@st.composite
def modern_bodies(draw) -> dict:
    method = draw(weighted((3, st.just("tools/call")), (2, st.just("tools/list")), (2, st.just("server/discover")), (1, st.sampled_from(["ping", "prompts/get", "resources/read"]))))
    params: dict = {"_meta": draw(st.one_of(st.just(envelope_meta()), modern_metas().filter(lambda m: isinstance(m, dict))))}
    if method == "tools/call":
        params["name"] = draw(weighted((6, st.sampled_from(["stores_list", "stores.list", "orders_list", "stores_resolve"])), (1, st.text(min_size=1, max_size=12))))
        params["arguments"] = {}
    elif method in ("prompts/get", "resources/read"):
        params["name" if method == "prompts/get" else "uri"] = draw(st.sampled_from(["greeting", "orders://41001", "é"]))
    if draw(st.integers(0, 3)) == 0:
        params["_meta"]["traceparent"] = draw(traceparents())
    return {"jsonrpc": "2.0", "id": draw(st.one_of(st.integers(-(2**63), 2**63 - 1), st.text(max_size=12))), "method": method, "params": params}


# Protocol-version headers a 2026-07-28 client might wrongly send instead of the mirrored one.
odd_version_headers = st.sampled_from(
    [b"2026-07-28 ,2026-07-28", b"2026-07-28, 2026-07-28", b"2026-07-29", b"2026-07-28\t", b"2026-07-28;q=1", b"2025-11-25", b"", b"\xc3\xa9", b"2026-07-28\x80"]
)


@fuzz_settings("modern_headers")
@given(msg=modern_bodies(), data=st.data(), key=KEY_KINDS)
def test_fuzz_modern_headers(target, listing, msg, data, key):
    routing = data.draw(routing_headers(msg["method"], msg["params"], mirror=2), label="routing headers")
    if data.draw(st.integers(0, 5), label="odd version header") == 0:
        routing = [h for h in routing if h[0] != "MCP-Protocol-Version"]
        routing.insert(data.draw(st.integers(0, len(routing)), label="at"), ("MCP-Protocol-Version", data.draw(odd_version_headers.filter(sendable), label="version")))
    routing += data.draw(modern_extra_headers(), label="extra headers")
    send_modern(target, listing, msg, routing, key, f"modern headers {msg['method']}", "modern_headers")


TOOL_KEYS = weighted((10, st.just("valid")), (1, st.just("read")), (1, st.just(None)))


@fuzz_settings("modern_tools")
@given(data=st.data())
def test_fuzz_modern_tools(target, listing, data):
    schemas = {t["name"]: t["inputSchema"] for t in listing}
    name = data.draw(st.sampled_from(sorted(schemas)), label="tool")
    args, how = data.draw(tool_arguments(schemas[name]), label="arguments")
    args = materialize(args, live_value(target, args if isinstance(args, dict) else {}))
    sent_name = data.draw(weighted((8, st.just(name)), (1, st.just(name.replace("_", ".", 1))), (1, st.just("tenant_use_master_key"))), label="name")
    key = data.draw(TOOL_KEYS, label="key")
    meta = envelope_meta()
    if data.draw(st.booleans(), label="traceparent"):
        meta["traceparent"] = data.draw(traceparents(), label="traceparent value")
    params: dict = {"_meta": meta, "name": sent_name}
    if args is not None or data.draw(st.booleans(), label="null arguments"):
        params["arguments"] = args
    rid = data.draw(st.one_of(st.integers(-(2**63), 2**63 - 1), st.text(max_size=10)), label="id")
    msg = {"jsonrpc": "2.0", "id": rid, "method": "tools/call", "params": params}
    routing = data.draw(routing_headers("tools/call", params, mirror=40), label="routing headers")
    sent, r, body, outcome = send_modern(target, listing, msg, routing, key, f"modern tools/call {sent_name} ({how})", "modern_tools")
    if outcome is not None and outcome.result == "tools/call":
        result = body["result"]
        if how in ("missing", "unknown", "not-object") and key == "valid":
            code = (result["structuredContent"].get("error") or {}).get("code")
            assert result["isError"] and code == "validation_error", (
                f"schema-invalid arguments ({how}) were not refused with validation_error:\n{sent.repro()}\n{r.text[:800]}"
            )
        if not result["isError"]:
            if name == "orders_create":
                check_idempotency(sent, args, result["structuredContent"])
            after_success(target, name, result["structuredContent"], "bound")


def test_modern_calls_are_audited_with_version_and_traceparent(target, db):
    """Every modern tools/call answered 200 left audit rows labelled 2026-07-28 and carrying the
    traceparent the request sent (`_meta` first, else the header; NULL when neither is valid)."""
    if not _DISPATCHED:
        pytest.skip("no modern tools/call succeeded in this run")
    ids = ",".join(f"'{rid}'" for rid, _, _ in _DISPATCHED if rid.replace("-", "").isalnum())
    rows = psql_json(
        db.auditor_url,
        f"SELECT correlation_id AS id, protocol_version AS v, traceparent AS tp FROM orderdesk.audit_log WHERE correlation_id IN ({ids})",
    )
    seen: dict[str, list[tuple[Any, Any]]] = {}
    for row in rows:
        seen.setdefault(row["id"], []).append((row["v"], row["tp"]))
    wrong = []
    for rid, tp, sent in _DISPATCHED:
        for version, traceparent in seen.get(rid, []):
            if version != MODERN_VERSION or traceparent != tp:
                wrong.append(f"{rid}: audit row ({version}, {traceparent}), expected ({MODERN_VERSION}, {tp})\n{sent.repro(600)}")
                break
    assert not wrong, f"{len(wrong)} modern calls audited with the wrong version/traceparent:\n" + "\n".join(wrong[:3])
