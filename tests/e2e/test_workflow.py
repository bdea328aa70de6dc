"""The store-management workflow through the real `mcp` client in legacy mode (2025-11-25 with a
session), auto mode (server/discover, so 2026-07-28) and pinned 2026-07-28 mode (no probe, no
session): authenticate, list tools, register two stores, list, use, resolve by id and by name,
delete. Which revision served each run is read back from the audit rows."""

import json
import uuid

import pytest

from e2e_support import (
    LATEST_VERSION,
    MODERN_VERSION,
    RECORDER,
    TOOL_NAMES,
    SECRETS,
    RawClient,
    assert_audited_as,
    assert_tool_result_shape,
    mcp_session,
    psql_json,
    run,
)

# mcp.Client mode → the revision the server must have served the run under.
MODE_VERSION = {"legacy": LATEST_VERSION, "auto": MODERN_VERSION, MODERN_VERSION: MODERN_VERSION}


def _is_uuid(value) -> bool:
    try:
        uuid.UUID(str(value))
        return True
    except ValueError:
        return False


def test_tools_list_shapes(r1, make_tenant):
    """tools/list (raw, so no client model drops a field): names, title, description, strict
    inputSchema, outputSchema, annotations."""
    t = make_tenant("tools")
    with RawClient(r1.mcp_url, t.master_key, tenant_id=t.id) as c:
        c.open()
        r = c.request("tools/list")
        assert r.status_code == 200, r.text[:300]
        tools = {tool["name"]: tool for tool in r.json()["result"]["tools"]}
    assert TOOL_NAMES <= set(tools), f"missing tools: {TOOL_NAMES - set(tools)}"
    for name, tool in tools.items():
        assert "." not in name, f"tools/list shows a dotted name {name}"
        assert tool.get("title") and tool.get("description"), f"{name}: title/description missing"
        schema = tool.get("inputSchema") or {}
        assert schema.get("type") == "object", f"{name}: inputSchema {schema}"
        assert schema.get("additionalProperties") is False, f"{name}: inputSchema must set additionalProperties: false"
        out = tool.get("outputSchema") or {}
        assert out.get("type") == "object", f"{name}: outputSchema {out}"
        ann = tool.get("annotations") or {}
        for hint in ("readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"):
            assert isinstance(ann.get(hint), bool), f"{name}: annotation {hint} missing: {ann}"
    assert tools["stores_list"]["annotations"]["readOnlyHint"] is True
    assert tools["stores_resolve"]["annotations"]["readOnlyHint"] is True
    assert tools["stores_register"]["annotations"]["readOnlyHint"] is False
    assert tools["stores_delete"]["annotations"]["readOnlyHint"] is False
    assert tools["stores_delete"]["annotations"]["destructiveHint"] is True
    assert set(tools["stores_register"]["inputSchema"].get("required", [])) >= {"store_id", "api_key"}


def _audit_rows(db, request_id):
    return psql_json(
        db.auditor_url,
        f"SELECT action, outcome, error_code, tenant_id::text AS tenant_id, params FROM orderdesk.audit_events "
        f"WHERE correlation_id = '{request_id}' ORDER BY id",
    )


async def _workflow(url, tenant, sim, db, mode):
    k1, k2, k3 = sim.stores["41001"], sim.stores["41002"], sim.stores["41003"]
    modern = MODE_VERSION[mode] == MODERN_VERSION
    async with mcp_session(url, tenant.master_key, tenant.id, mode=mode) as s:
        assert s.client.protocol_version == MODE_VERSION[mode]

        names = {t.name for t in (await s.client.list_tools()).tools}
        if modern:  # no session to authenticate: the 2025 login tool is not offered
            assert TOOL_NAMES - {"tenant_use_master_key"} <= names and "tenant_use_master_key" not in names, names
        else:
            assert TOOL_NAMES <= names

        empty = await s.tool("stores_list")
        assert_tool_result_shape(empty)
        assert empty.ok() == {"stores": [], "active_store_id": None}

        # register two stores (credentials checked against the simulator's /test first)
        before = len(sim.requests(path="/test", store_id="41001"))
        reg1 = await s.tool("stores_register", {"store_id": "41001", "api_key": k1, "name": "Main Street Outfitters", "label": "primary"})
        assert_tool_result_shape(reg1)
        s1 = reg1.ok()["store"]
        assert _is_uuid(s1["id"]) and s1["store_id"] == "41001"
        assert s1["name"] == "Main Street Outfitters" and s1["label"] == "primary" and s1.get("created_at")
        tests = sim.requests(path="/test", store_id="41001")
        assert len(tests) == before + 1 and tests[-1]["status"] == 200, "stores_register did not verify with /test"
        rows = _audit_rows(db, reg1.request_id)
        assert [r["outcome"] for r in rows] == ["started", "ok"], f"audit of a register: {rows}"
        assert all(r["action"] == "stores_register" and r["tenant_id"] == tenant.id for r in rows), rows
        assert k1 not in json.dumps(rows)
        assert rows[0]["params"].get("store_id") == "41001", f"audit params should keep non-secret arguments: {rows[0]['params']}"

        s2 = (await s.tool("stores_register", {"store_id": "41002", "api_key": k2})).ok()["store"]
        assert s2["store_id"] == "41002" and s2["id"] != s1["id"] and s2.get("name")

        # the clear errors
        dup = await s.tool("stores_register", {"store_id": "41001", "api_key": k1, "name": "Another"})
        assert dup.is_error and dup.error_code == "duplicate_store_id", dup.raw
        assert_tool_result_shape(dup)  # tool errors too: structuredContent, text block, correlation id
        assert isinstance(dup.data["error"].get("message"), str) and dup.data["error"]["message"], dup.raw
        assert k1 not in json.dumps(dup.raw)
        dupname = await s.tool("stores_register", {"store_id": "41003", "api_key": k3, "name": "mAIN street OUTFITTERS"})
        assert dupname.is_error and dupname.error_code == "duplicate_name", dupname.raw
        wrong = SECRETS.add_store_key("odsim-wrong-key-" + uuid.uuid4().hex)
        bad = await s.tool("stores_register", {"store_id": "41003", "api_key": wrong})
        assert bad.is_error and bad.error_code == "invalid_credentials", bad.raw
        assert bad.data["error"].get("message")
        assert any(r["status"] == 401 for r in sim.requests(path="/test", store_id="41003"))
        for args in ({"store_id": "not-a-number", "api_key": k3}, {"api_key": k3}, {"store_id": "41003", "api_key": k3, "colour": "red"}):
            v = await s.tool("stores_register", args)
            assert v.is_error and v.error_code == "validation_error", (args, v.raw)

        # list: both stores, no credentials anywhere
        listed = await s.tool("stores_list")
        data = listed.ok()
        assert {x["id"] for x in data["stores"]} == {s1["id"], s2["id"]}
        assert data["active_store_id"] is None
        text = json.dumps(listed.raw)
        assert k1 not in text and k2 not in text and "api_key" not in text

        # use by name (any case), then the session remembers it (2026-07-28: no session, so
        # nothing is remembered; the answer hands back the store's handle instead)
        used = (await s.tool("stores_use_store", {"store": "main street outfitters"})).ok()
        assert used["active_store"]["id"] == s1["id"] and used["matched_by"] == "name"
        assert used.get("store_handle") == s1["id"] and used.get("remembered") is (not modern), used
        assert (await s.tool("stores_list")).ok()["active_store_id"] == (None if modern else s1["id"])
        used = (await s.tool("stores_use_store", {"store": s2["id"]})).ok()
        assert used["active_store"]["id"] == s2["id"] and used["matched_by"] == "id"
        assert used.get("store_handle") == s2["id"] and used.get("remembered") is (not modern), used
        assert (await s.tool("stores_list")).ok()["active_store_id"] == (None if modern else s2["id"])

        # resolve by uuid, by OrderDesk store id, by name; unknown → not_found
        by_uuid = (await s.tool("stores_resolve", {"store": s1["id"]})).ok()
        assert by_uuid["store"]["id"] == s1["id"] and by_uuid["matched_by"] == "id"
        by_sid = (await s.tool("stores_resolve", {"store": "41002"})).ok()
        assert by_sid["store"]["id"] == s2["id"] and by_sid["matched_by"] in ("id", "store_id"), by_sid
        by_name = (await s.tool("stores_resolve", {"store": "MAIN STREET OUTFITTERS"})).ok()
        assert by_name["store"]["id"] == s1["id"] and by_name["matched_by"] == "name"
        missing = await s.tool("stores_resolve", {"store": "No Such Store"})
        assert missing.is_error and missing.error_code == "not_found", missing.raw

        # the dotted alias is accepted
        alias = await s.tool("stores.list")
        assert {x["id"] for x in alias.ok()["stores"]} == {s1["id"], s2["id"]}

        # delete by name, then the active one by uuid: the active store is cleared
        d1 = (await s.tool("stores_delete", {"store": "Main Street Outfitters"})).ok()
        assert d1["deleted"] is True and d1["store"]["id"] == s1["id"]
        gone = await s.tool("stores_resolve", {"store": s1["id"]})
        assert gone.is_error and gone.error_code == "not_found"
        d2 = (await s.tool("stores_delete", {"store": s2["id"]})).ok()
        assert d2["deleted"] is True and d2["store"]["id"] == s2["id"]
        final = (await s.tool("stores_list")).ok()
        assert final == {"stores": [], "active_store_id": None}, final
        again = await s.tool("stores_delete", {"store": s2["id"]})
        assert again.is_error and again.error_code == "not_found", again.raw


@pytest.mark.parametrize("mode", ["legacy", "auto", MODERN_VERSION])
def test_store_management_workflow(r1, make_tenant, sim, db, mode):
    tenant = make_tenant(f"workflow-{mode}")
    start = len(RECORDER.calls)
    run(_workflow(r1.mcp_url, tenant, sim, db, mode))
    # The server side says which revision it served: every row of every call of the run.
    assert assert_audited_as(db, [c.request_id for c in RECORDER.calls[start:]], MODE_VERSION[mode]) > 20
