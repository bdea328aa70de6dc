"""Fuzzed `tools/call`: every tool of the live `tools/list` (the store and the order tools), with
arguments generated from its own inputSchema — valid-ish (live store names/uuids, seeded order ids,
real API keys) and deliberately invalid (missing, unknown, wrong-typed, out of range, not an
object) — plus unknown and aliased tool names.

Besides the oracle: a schema-invalid call is a `validation_error` (never reaches a tool), and a
tool result always has content + structuredContent + isError.
"""

from __future__ import annotations

import json
import zlib
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fuzz_strategies import Ref, dumps, materialize, tool_arguments
from fuzz_support import STATS, FuzzFailure, Sent, fuzz_settings, known_bug


class ToolSchemas(dict):
    def __repr__(self) -> str:  # falsifying examples print fixtures: keep it short
        return f"<inputSchema of {', '.join(sorted(self))}>"


@pytest.fixture(scope="module")
def tools(target) -> dict[str, dict]:
    """name → inputSchema, from the live tools/list."""
    sid = target.session("bound")
    r = target.http.post(
        target.mcp_url,
        content=json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}),
        headers=target.base_headers("valid", sid),
    )
    assert r.status_code == 200, r.text[:300]
    listed = {t["name"]: t["inputSchema"] for t in r.json()["result"]["tools"]}
    assert {"stores_list", "orders_get", "orders_list", "orders_create", "orders_update", "orders_delete"} <= set(listed)
    return ToolSchemas(listed)


def live_value(target, tool_args: dict):
    """Resolve Refs in generated arguments against the target's live state."""

    def resolve(ref: Ref) -> Any:
        stores = target.stores
        if ref.kind == "key":
            return target.keys[ref.which]
        if ref.kind == "store":
            s = stores[0] if stores else {"name": "gone", "id": target.deleted_uuid, "store_id": "0"}
            return {
                "name": s["name"],
                "NAME": s["name"].upper(),
                "uuid": s["id"],
                "store_id": s["store_id"],
                "other_tenant_uuid": target.other_store["id"],
                "deleted_uuid": target.deleted_uuid,
            }[ref.which]
        if ref.kind == "order_id":
            # Order tools use the `store` argument (whose Refs all name stores[0]) or the session's
            # active store (stores[0] as well): its seeded orders.
            ids = target.order_ids.get(stores[0]["store_id"], []) if stores else []
            return ids[zlib.crc32(repr(tool_args).encode("utf-8", "surrogatepass")) % len(ids)] if ids else "1"
        if ref.kind == "store_id":
            return "41004"
        if ref.kind == "api_key":
            sid = tool_args.get("store_id")
            sid = sid if isinstance(sid, str) and sid in target.sim_keys else "41004"
            return target.sim_keys[sid] if ref.which == "matching" else target.sim_keys["41001"][:-1] + "x"
        raise AssertionError(f"unexpected ref {ref}")

    return resolve


NAME_FORMS = st.sampled_from(["canonical"] * 8 + ["dotted", "upper", "space", "unknown"])


@fuzz_settings("tools")
@given(data=st.data())
def test_fuzz_tools(target, tools, data):
    name = data.draw(st.sampled_from(sorted(tools)), label="tool")
    args, how = data.draw(tool_arguments(tools[name]), label="arguments")
    args = materialize(args, live_value(target, args if isinstance(args, dict) else {}))
    form = data.draw(NAME_FORMS, label="name form")
    sent_name = {
        "canonical": name,
        "dotted": name.replace("_", ".", 1),
        "upper": name.upper(),
        "space": name + " ",
        "unknown": data.draw(st.text(min_size=1, max_size=20), label="unknown tool"),
    }[form]
    session = data.draw(st.sampled_from(["bound"] * 8 + ["unbound", "other"]), label="session")
    key = data.draw(st.sampled_from(["valid"] * 8 + ["read", None]), label="key")
    rid = data.draw(st.one_of(st.integers(-(2**63), 2**63 - 1), st.text(max_size=10)), label="id")
    params: dict = {"name": sent_name}
    if args is not None or data.draw(st.booleans(), label="null arguments"):
        params["arguments"] = args
    msg = {"jsonrpc": "2.0", "id": rid, "method": "tools/call", "params": params}
    headers = target.base_headers(key, target.session(session))
    sent = Sent("POST", "/mcp", headers, dumps(msg).encode("utf-8", "surrogatepass"), label=f"tools/call {sent_name} ({how}, {session}, {key})")
    sent.has_valid_id, sent.request_id, sent.tool = True, rid, sent_name
    STATS.examples["tools"] += 1
    r, body = target.exchange(sent)

    if r.status_code == 200 and form == "unknown" and sent_name not in tools and sent_name.replace(".", "_") not in tools:
        assert "error" in body and body["error"]["code"] == -32602, f"unknown tool {sent_name!r}: {r.text[:500]}"
    # Scope and authentication come before the schema (a read key gets forbidden, an unbound
    # session unauthorized), so only a fully authorized caller must see validation_error.
    authorized = key == "valid" and session == "bound"
    if r.status_code == 200 and "result" in body and how in ("missing", "unknown", "not-object") and authorized:
        result = body["result"]
        code = (result["structuredContent"].get("error") or {}).get("code")
        assert result["isError"] and code == "validation_error", (
            f"schema-invalid arguments ({how}) were not refused with validation_error:\n{sent.repro()}\n{r.text[:800]}"
        )
    if r.status_code == 200 and "result" in body and not body["result"]["isError"]:
        if name == "orders_create":
            check_idempotency(sent, args, body["result"]["structuredContent"])
        after_success(target, name, body["result"]["structuredContent"], session)
    if session == "unbound":
        target.refresh("unbound")
    target.check_alive()


def check_idempotency(sent: Sent, args: Any, result: dict) -> None:
    """A stateful property: once orders_create succeeded with a key, the same key with the same
    order (same JSON text) on the same store must replay that order (`replayed: true`, same id)."""
    if not isinstance(args, dict) or not isinstance(args.get("idempotency_key"), str):
        return
    store, order_id = (result.get("store") or {}).get("id"), str((result.get("order") or {}).get("id"))
    key, canonical = (store, args["idempotency_key"]), dumps(args.get("order"))
    first = STATS.idempotent_creates.get(key)
    if first is None:
        STATS.idempotent_creates[key] = (canonical, order_id)
        return
    if first[0] != canonical:
        return  # another body: the server compares its own canonical form; not judged here
    if result.get("replayed") is True and order_id == first[1]:
        return
    bug = known_bug(sent, "idempotency")
    if bug:
        STATS.known_bugs[bug] += 1
        STATS.known_bug_examples.setdefault(bug, sent.repro(600))
        return
    raise FuzzFailure(
        f"idempotency broken: key {args['idempotency_key']!r} with the same order first created {first[1]}, now "
        f"{order_id} (replayed={result.get('replayed')})\n{sent.repro()}"
    )


def after_success(target, tool: str, result: dict, session: str) -> None:
    """Keep the fuzz tenant's stores registered: a successful stores_delete of one is undone."""
    if tool != "stores_delete":
        return
    target.refresh("bound")  # its active store may be the one deleted
    gone = (result.get("store") or {}).get("id")
    before = len(target.stores)
    target.stores = [s for s in target.stores if s["id"] != gone]
    if len(target.stores) == before:
        return
    store_id = result["store"]["store_id"]
    if store_id not in ("41001", "41002"):
        return
    sid = target.session("bound")
    msg = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": "stores_register", "arguments": {"store_id": store_id, "api_key": target.sim_keys[store_id], "name": f"Fuzz Store {store_id}"}},
    }
    r = target.http.post(target.mcp_url, content=json.dumps(msg), headers=target.base_headers("valid", sid))
    res = r.json().get("result") or {}
    if not res.get("isError"):
        target.stores.append(res["structuredContent"]["store"])
