"""MCP 2026-07-28 (stateless) beside the legacy 2025 revisions, spoken by hand (raw HTTP): every
MUST/SHOULD of the server's contract for the modern era, positive and negative.

One endpoint `/mcp`; a POST is modern when its `MCP-Protocol-Version` header is 2026-07-28, when
`params._meta` carries `io.modelcontextprotocol/protocolVersion`, or when its method is
`server/discover`. A modern request has no session: it carries its revision, the client's
capabilities and (tools/call) the master key every time, and it is validated by a ladder whose
first failing rung answers (HTTP 400 for all three):

1. `params._meta` missing or malformed → -32602 (naming the missing keys)
2. routing headers missing, duplicated or disagreeing with the body → -32020 (HeaderMismatch)
3. `_meta` protocol version a string other than 2026-07-28 → -32022 (UnsupportedProtocolVersion)

An `MCP-Protocol-Version` header naming no revision the server speaks is refused earlier, before
authentication, with -32022 and `data.supported` / `data.requested`.
"""

from __future__ import annotations

import base64
import itertools
import json
import time
import secrets

import httpx2
import pytest

from e2e_support import (
    ALL_VERSIONS,
    LATEST_VERSION,
    META_CLIENT_CAPABILITIES,
    META_CLIENT_INFO,
    META_PROTOCOL_VERSION,
    META_SERVER_INFO,
    MODERN_VERSION,
    OMIT,
    ORDER_TOOL_NAMES,
    SUPPORTED_VERSIONS,
    TOOL_NAMES,
    ModernRawClient,
    RawClient,
    ToolResult,
    assert_audited_as,
    assert_tool_result_shape,
    audit_rows_by_request,
    db_now,
    is_store,
    modern_meta,
    psql_json,
    sessions_created_since,
    wrong_master_key,
)

MASTER_KEY_TOOL = "tenant_use_master_key"
SERVER_NAME = "orderdesk-mcp"
TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-00f067aa0ba902b7-01"

# Clients that are refused authentication on purpose use their own loopback addresses (see
# test_auth.py, which counts up from 127.0.0.20), so the per-address failed-login limit never
# turns an expected answer into a 429.
_ips = (f"127.0.0.{n}" for n in itertools.count(200))


def _traceparent() -> str:
    return f"00-{secrets.token_hex(16)}-{secrets.token_hex(8)}-01"


def _b64_sentinel(text: str) -> str:
    return "=?base64?" + base64.b64encode(text.encode()).decode() + "?="


@pytest.fixture(scope="module")
def tenant(make_tenant):
    return make_tenant("modern")


@pytest.fixture(scope="module")
def tenant_b(make_tenant):
    return make_tenant("modern-b")


@pytest.fixture()
def mc(r1, tenant):
    """A modern client of `tenant` (never registers a store: its list stays empty)."""
    with ModernRawClient(r1.mcp_url, tenant.master_key, tenant_id=tenant.id) as c:
        yield c


@pytest.fixture()
def anon(r1):
    with ModernRawClient(r1.mcp_url, None) as c:
        yield c


# --- assertions -------------------------------------------------------------------------------------


def _request_id_of(r: httpx2.Response):
    try:
        msg = json.loads(r.request.content)
    except ValueError:
        return None
    return msg.get("id") if isinstance(msg, dict) else None


def modern_result(r: httpx2.Response) -> dict:
    """A 200 JSON-RPC result of a modern request: `resultType: complete`, the server's identity in
    `_meta`, the request's id, and no session."""
    assert r.status_code == 200, f"expected 200, got {r.status_code}: {r.text[:500]}"
    assert r.headers.get("content-type", "").startswith("application/json"), r.headers.get("content-type")
    assert not r.headers.get("mcp-session-id"), f"a modern answer carries Mcp-Session-Id {r.headers['mcp-session-id']!r}"
    body = r.json()
    assert body.get("jsonrpc") == "2.0" and "error" not in body, f"not a result: {r.text[:500]}"
    assert body.get("id") == _request_id_of(r), f"id {body.get('id')!r} is not the request's {_request_id_of(r)!r}"
    result = body["result"]
    assert result.get("resultType") == "complete", f"resultType {result.get('resultType')!r}: {json.dumps(result)[:400]}"
    info = (result.get("_meta") or {}).get(META_SERVER_INFO)
    assert isinstance(info, dict) and info.get("name") == SERVER_NAME, f"_meta serverInfo {info!r}"
    assert isinstance(info.get("version"), str) and info["version"], f"_meta serverInfo {info!r}"
    return result


def rpc_error(r: httpx2.Response, status: int, code: int, *, id_may_be_null: bool = False) -> dict:
    """A JSON-RPC error answer with this HTTP status and code, for the request's own id (or null,
    when the server refused before reading the body), and no session; returns the error object."""
    assert (r.status_code, _code(r)) == (status, code), (
        f"expected HTTP {status} / {code}, got HTTP {r.status_code} / {_code(r)}: {r.text[:500]}"
    )
    body = r.json()
    assert body.get("jsonrpc") == "2.0" and "result" not in body, r.text[:500]
    err = body["error"]
    assert isinstance(err.get("message"), str) and err["message"], f"error without a message: {err}"
    allowed = (_request_id_of(r), None) if id_may_be_null else (_request_id_of(r),)
    assert body.get("id") in allowed, f"error id {body.get('id')!r}, request id {_request_id_of(r)!r}"
    assert not r.headers.get("mcp-session-id"), "an error answer created a session"
    return err


def _code(r: httpx2.Response):
    try:
        body = r.json()
    except ValueError:
        return None
    err = body.get("error") if isinstance(body, dict) else None
    return err.get("code") if isinstance(err, dict) else None


def assert_unsupported_version(err: dict, requested: str) -> None:
    data = err.get("data")
    assert isinstance(data, dict), f"-32022 without data: {err}"
    assert data.get("requested") == requested, f"data.requested {data.get('requested')!r}, sent {requested!r}"
    assert isinstance(data.get("supported"), list) and set(data["supported"]) == set(ALL_VERSIONS), data
    assert data["supported"][0] == MODERN_VERSION, f"modern revision not first: {data['supported']}"
    assert data.get("code") == "unsupported_protocol_version", data


# --- server/discover ------------------------------------------------------------------------------


def test_discover_shape(anon):
    r = anon.discover()
    result = modern_result(r)
    assert result["supportedVersions"] == list(ALL_VERSIONS), result["supportedVersions"]
    caps = result.get("capabilities")
    assert isinstance(caps, dict) and isinstance(caps.get("tools"), dict), f"capabilities {caps}"
    assert caps["tools"].get("listChanged") is False, caps
    ttl = result.get("ttlMs")
    assert isinstance(ttl, int) and not isinstance(ttl, bool) and ttl >= 0, f"ttlMs {ttl!r}"
    assert result.get("cacheScope") in ("public", "private"), result.get("cacheScope")
    assert result["cacheScope"] == "public", "discover is the same for every caller"
    assert isinstance(result.get("instructions", ""), str)


def test_discover_is_the_same_with_a_key_and_on_either_replica(r1, r2, tenant):
    answers = []
    for url, key in ((r1.mcp_url, None), (r1.mcp_url, tenant.master_key), (r2.mcp_url, None), (r2.mcp_url, tenant.master_key)):
        with ModernRawClient(url, key, tenant_id=tenant.id if key else None) as c:
            answers.append(modern_result(c.discover()))
    assert all(a == answers[0] for a in answers[1:]), [json.dumps(a)[:300] for a in answers]


def test_discover_server_info_matches_initialize(r1, anon, tenant):
    info = modern_result(anon.discover())["_meta"][META_SERVER_INFO]
    with RawClient(r1.mcp_url, tenant.master_key, tenant_id=tenant.id) as c:
        legacy = c.initialize().json()["result"]["serverInfo"]
    assert (info["name"], info["version"]) == (legacy["name"], legacy["version"]), (info, legacy)


@pytest.mark.parametrize("params", [OMIT, {}], ids=["no-params", "params-without-_meta"])
def test_discover_without_meta_is_32602(anon, params):
    """server/discover is modern by its method alone, so a legacy-shaped one fails rung 1."""
    err = rpc_error(anon.request("server/discover", params, meta=OMIT), 400, -32602)
    assert "_meta" in json.dumps(err) or "protocolVersion" in json.dumps(err), f"does not name what is missing: {err}"


def test_discover_without_headers_is_32020(anon):
    """Modern by the method (and `_meta`), but sent without any routing header."""
    r = anon.discover(headers={"MCP-Protocol-Version": OMIT, "Mcp-Method": OMIT})
    rpc_error(r, 400, -32020)


# --- tools/list -------------------------------------------------------------------------------------


def test_tools_list_shape(anon):
    result = modern_result(anon.list_tools())
    ttl = result.get("ttlMs")
    assert isinstance(ttl, int) and not isinstance(ttl, bool) and ttl >= 0, f"ttlMs {ttl!r}"
    assert result.get("cacheScope") == "public", result.get("cacheScope")
    assert not result.get("nextCursor"), "the whole list fits one page"
    names = [t["name"] for t in result["tools"]]
    assert len(names) == len(set(names)), f"a tool listed twice: {names}"
    assert MASTER_KEY_TOOL not in names, "tenant_use_master_key authenticates a 2025 session; 2026-07-28 has none"
    want = (TOOL_NAMES | ORDER_TOOL_NAMES) - {MASTER_KEY_TOOL}
    assert want <= set(names), f"missing {want - set(names)}"
    for tool in result["tools"]:
        assert (tool.get("inputSchema") or {}).get("type") == "object", tool["name"]


def test_tools_list_is_identical_for_every_caller(r1, r2, tenant, tenant_b):
    """Deterministic and caller-independent (cacheScope public): twice, keyless, with two tenants'
    keys, on both replicas — the same list in the same order."""
    lists = []
    for url in (r1.mcp_url, r2.mcp_url):
        for who in (None, tenant, tenant_b, None):
            with ModernRawClient(url, who.master_key if who else None, tenant_id=who.id if who else None) as c:
                result = modern_result(c.list_tools())
                lists.append(result["tools"])
                assert result["cacheScope"] == "public"
    first = json.dumps(lists[0], sort_keys=True)
    for i, tools in enumerate(lists[1:], 1):
        assert json.dumps(tools, sort_keys=True) == first, f"list {i} differs: {[t['name'] for t in tools]}"
        assert [t["name"] for t in tools] == [t["name"] for t in lists[0]], "order differs"


def test_legacy_tools_list_still_has_the_master_key_tool(r1, anon):
    modern = {t["name"] for t in modern_result(anon.list_tools())["tools"]}
    with RawClient(r1.mcp_url, None) as c:  # 2025-11-25, unauthenticated session
        c.open()
        assert c.protocol_version == LATEST_VERSION
        r = c.request("tools/list")
        assert r.status_code == 200, r.text[:300]
        result = r.json()["result"]
    legacy = {t["name"] for t in result["tools"]}
    assert MASTER_KEY_TOOL in legacy, "the 2025 list lost tenant_use_master_key"
    assert legacy - {MASTER_KEY_TOOL} == modern, (legacy ^ modern)
    assert "resultType" not in result and META_SERVER_INFO not in (result.get("_meta") or {}), result.keys()


def test_tools_list_cursor(anon):
    modern_result(anon.list_tools({"cursor": None}))  # a null cursor is none
    rpc_error(anon.list_tools({"cursor": "bm90LWlzc3VlZA"}), 400, -32602)


# --- tools/call ---------------------------------------------------------------------------------------


def test_tools_call_with_key(mc):
    r = mc.call("stores_list")
    result = modern_result(r)
    tr = ToolResult(result, r.headers["x-request-id"], r)
    assert_tool_result_shape(tr)  # structuredContent + same JSON as text + _meta.correlation_id = X-Request-ID
    assert result.get("isError") in (False, None)
    assert tr.ok() == {"stores": [], "active_store_id": None}


def test_tools_call_tool_error_is_a_complete_result(mc):
    r = mc.call("stores_resolve", {"store": "No Such Store"})
    result = modern_result(r)
    tr = ToolResult(result, r.headers["x-request-id"], r)
    assert_tool_result_shape(tr)
    assert tr.is_error and tr.error_code == "not_found", result


def test_tools_call_dotted_alias(mc):
    r = mc.call("stores.list")  # Mcp-Name carries the name as sent
    assert ToolResult(modern_result(r), r.headers["x-request-id"], r).ok()["stores"] == []


def test_tools_call_without_authorization_is_401(r1):
    with ModernRawClient(r1.mcp_url, None, local_address=next(_ips)) as c:
        r = c.call("stores_list")
    err = rpc_error(r, 401, -32001)
    assert (err.get("data") or {}).get("code") == "unauthorized", err
    assert r.headers.get("www-authenticate") == 'Bearer realm="orderdesk-mcp"', r.headers.get("www-authenticate")


def test_tools_call_with_a_wrong_key_is_401(r1):
    with ModernRawClient(r1.mcp_url, wrong_master_key(), local_address=next(_ips)) as c:
        r = c.call("stores_list")
    err = rpc_error(r, 401, -32001, id_may_be_null=True)  # a refused key is answered before the body is read
    assert (err.get("data") or {}).get("code") == "unauthorized", err
    www = r.headers.get("www-authenticate") or ""
    assert www.startswith("Bearer ") and 'error="invalid_token"' in www, www


@pytest.mark.parametrize("tool", ["no_such_tool", MASTER_KEY_TOOL], ids=["unknown", "tenant_use_master_key"])
def test_unknown_tool_is_400_32602(mc, tool):
    args = {"master_key": "odmk_" + "A" * 43} if tool == MASTER_KEY_TOOL else {}
    rpc_error(mc.call(tool, args), 400, -32602)


def test_stores_are_not_remembered(r1, make_tenant, sim, db):
    """No session, no active store: stores_use_store hands back a handle to pass as `store`."""
    t = make_tenant("modern-stores")
    with ModernRawClient(r1.mcp_url, t.master_key, tenant_id=t.id) as c:
        reg = c.tool("stores_register", {"store_id": "41004", "api_key": sim.stores["41004"], "name": "Modern Corner"})
        store = reg.ok()["store"]
        rows = audit_rows_by_request(db, [reg.request_id])[reg.request_id]
        assert [r["outcome"] for r in rows] == ["started", "ok"], rows
        used = c.tool("stores_use_store", {"store": "modern corner"}).ok()
        assert used["active_store"]["id"] == store["id"] and used["matched_by"] == "name", used
        assert used.get("store_handle") == store["id"], f"store_handle {used.get('store_handle')!r}"
        assert used.get("remembered") is False, f"remembered {used.get('remembered')!r}"
        listed = c.tool("stores_list").ok()
        assert listed["active_store_id"] is None and [s["id"] for s in listed["stores"]] == [store["id"]], listed
        resolved = c.tool("stores_resolve", {"store": used["store_handle"]}).ok()
        assert resolved["store"]["id"] == store["id"] and resolved["matched_by"] == "id", resolved
    with RawClient(r1.mcp_url, t.master_key, tenant_id=t.id) as legacy:
        legacy.open()
        used = legacy.tool("stores_use_store", {"store": store["id"]}).ok()
        assert used.get("store_handle") == store["id"] and used.get("remembered") is True, used
        assert legacy.tool("stores_list").ok()["active_store_id"] == store["id"]


def test_order_tools_without_store_and_several_stores(r1, make_tenant, sim):
    """Two stores: stores_use_store remembers nothing, so an order tool without `store` is still
    `no_active_store` (listing both); with the handle it works."""
    t = make_tenant("modern-two-stores")
    with ModernRawClient(r1.mcp_url, t.master_key, tenant_id=t.id) as c:
        stores = [
            c.tool("stores_register", {"store_id": sid, "api_key": sim.stores[sid], "name": f"Modern Two {i}"}).ok()["store"]
            for i, sid in enumerate(("41001", "41002"))
        ]
        for step in ("before use", "after use"):
            err = c.tool("orders_list", {"limit": 1})
            assert err.is_error and err.error_code == "no_active_store", (step, err.raw)
            listed = json.dumps((err.data["error"].get("details") or {}).get("stores"))
            assert all(s["id"] in listed or s["name"] in listed for s in stores), (step, err.data)
            handle = c.tool("stores_use_store", {"store": "modern two 1"}).ok()["store_handle"]
        page = c.tool("orders_list", {"limit": 1, "store": handle}).ok()
        assert is_store(page["store"], stores[1]), page["store"]


# --- rung 1: params._meta (-32602) ---------------------------------------------------------------------


def _meta_without(*keys: str) -> dict:
    meta = modern_meta()
    for k in keys:
        meta.pop(k)
    return meta


def _meta_with(key: str, value) -> dict:
    meta = modern_meta()
    meta[key] = value
    return meta


# (id, _meta sent, words the error must name: the missing keys)
RUNG1 = [
    ("no-_meta", OMIT, ["_meta"]),
    ("_meta-string", MODERN_VERSION, []),
    ("_meta-array", [], []),
    ("_meta-null", None, []),
    ("_meta-empty", {}, ["protocolVersion", "clientCapabilities"]),
    ("no-protocolVersion", _meta_without(META_PROTOCOL_VERSION), ["protocolVersion"]),
    ("no-clientCapabilities", _meta_without(META_CLIENT_CAPABILITIES), ["clientCapabilities"]),
    ("both-missing", _meta_without(META_PROTOCOL_VERSION, META_CLIENT_CAPABILITIES), ["protocolVersion", "clientCapabilities"]),
    ("clientCapabilities-string", _meta_with(META_CLIENT_CAPABILITIES, "all"), []),
    ("clientCapabilities-array", _meta_with(META_CLIENT_CAPABILITIES, []), []),
    ("clientCapabilities-null", _meta_with(META_CLIENT_CAPABILITIES, None), []),
    ("clientCapabilities-number", _meta_with(META_CLIENT_CAPABILITIES, 1), []),
    ("clientInfo-string", _meta_with(META_CLIENT_INFO, "e2e 1.0"), []),
    ("clientInfo-empty", _meta_with(META_CLIENT_INFO, {}), []),
    ("clientInfo-no-version", _meta_with(META_CLIENT_INFO, {"name": "e2e"}), []),
    ("clientInfo-no-name", _meta_with(META_CLIENT_INFO, {"version": "1.0"}), []),
    ("clientInfo-name-number", _meta_with(META_CLIENT_INFO, {"name": 7, "version": "1.0"}), []),
    ("clientInfo-version-number", _meta_with(META_CLIENT_INFO, {"name": "e2e", "version": 1}), []),
    ("clientInfo-name-201", _meta_with(META_CLIENT_INFO, {"name": "n" * 201, "version": "1.0"}), []),
    ("clientInfo-version-201", _meta_with(META_CLIENT_INFO, {"name": "e2e", "version": "1" * 201}), []),
    ("clientInfo-name-nul", _meta_with(META_CLIENT_INFO, {"name": "e2e\u0000x", "version": "1.0"}), []),
    ("clientInfo-version-nul", _meta_with(META_CLIENT_INFO, {"name": "e2e", "version": "1.\u00000"}), []),
]


@pytest.mark.parametrize("meta,names", [c[1:] for c in RUNG1], ids=[c[0] for c in RUNG1])
def test_rung1_bad_meta_on_tools_call_is_400_32602(mc, meta, names):
    err = rpc_error(mc.call("stores_list", meta=meta), 400, -32602)
    text = json.dumps(err)
    missing = [n for n in names if n not in text]
    assert not missing, f"the error does not name {missing}: {err}"


@pytest.mark.parametrize("method", ["tools/list", "server/discover"])
@pytest.mark.parametrize(
    "meta", [OMIT, _meta_without(META_CLIENT_CAPABILITIES), _meta_with(META_CLIENT_CAPABILITIES, "x")], ids=["no-_meta", "no-caps", "caps-string"]
)
def test_rung1_bad_meta_on_keyless_methods_is_400_32602(anon, method, meta):
    rpc_error(anon.request(method, meta=meta), 400, -32602)


@pytest.mark.parametrize(
    "info",
    [OMIT, {"name": "n" * 200, "version": "v" * 200}, {"name": "e2e", "version": "1.0", "title": "E2E suite"}],
    ids=["absent", "200-chars", "with-title"],
)
def test_rung1_acceptable_client_info(mc, info):
    meta = _meta_without(META_CLIENT_INFO) if info is OMIT else _meta_with(META_CLIENT_INFO, info)
    modern_result(mc.call("stores_list", meta=meta))


def test_rung1_extra_meta_keys_and_capabilities_are_accepted(mc):
    meta = modern_meta(**{META_CLIENT_CAPABILITIES: {"elicitation": {"form": {}}, "extensions": {}}, "progressToken": "p-1", "com.example/x": 1})
    modern_result(mc.call("stores_list", meta=meta))


def test_rung1_wins_over_rung2(mc):
    """First failure wins: a missing `_meta` key and a missing Mcp-Method → -32602."""
    r = mc.call("stores_list", meta=_meta_without(META_CLIENT_CAPABILITIES), headers={"Mcp-Method": OMIT})
    rpc_error(r, 400, -32602)


# --- rung 2: routing headers (-32020) --------------------------------------------------------------------

# (id, keyword arguments of ModernRawClient.call("stores_list", ...))
RUNG2 = [
    ("version-header-missing", {"headers": {"MCP-Protocol-Version": OMIT}}),
    ("version-header-legacy", {"headers": {"MCP-Protocol-Version": "2025-11-25"}}),
    ("meta-version-legacy", {"meta": modern_meta("2025-11-25")}),
    ("meta-version-2099", {"meta": modern_meta("2099-01-01")}),
    ("method-header-missing", {"headers": {"Mcp-Method": OMIT}}),
    ("method-header-other", {"headers": {"Mcp-Method": "tools/list"}}),
    ("name-header-missing", {"name": OMIT}),
    ("name-header-other", {"name": "stores_resolve"}),
    ("name-header-base64-of-other", {"name": _b64_sentinel("stores_delete")}),
    ("name-header-bad-base64", {"name": "=?base64?not*base64?="}),
    ("version-header-twice", {"extra_headers": [("MCP-Protocol-Version", MODERN_VERSION)]}),
    ("method-header-twice", {"extra_headers": [("Mcp-Method", "tools/call")]}),
    ("name-header-twice", {"extra_headers": [("Mcp-Name", "stores_list")]}),
]


@pytest.mark.parametrize("kw", [c[1] for c in RUNG2], ids=[c[0] for c in RUNG2])
def test_rung2_header_mismatch_is_400_32020(mc, kw):
    # The version header twice is refused with the other version checks, before the body is read.
    twice = any(name == "MCP-Protocol-Version" for name, _ in kw.get("extra_headers", []))
    rpc_error(mc.call("stores_list", **kw), 400, -32020, id_may_be_null=twice)


def test_rung2_modern_by_meta_alone_needs_the_header(mc):
    """`_meta` protocolVersion makes a request modern even without the header (so it is not a
    legacy request without a session): the missing header is a mismatch."""
    r = mc.call("stores_list", headers={"MCP-Protocol-Version": OMIT})
    rpc_error(r, 400, -32020)
    r = mc.list_tools(headers={"MCP-Protocol-Version": OMIT})
    rpc_error(r, 400, -32020)


def test_rung2_base64_name_that_decodes_to_the_tool_is_accepted(mc):
    r = mc.call("stores_list", name=_b64_sentinel("stores_list"))
    assert ToolResult(modern_result(r), r.headers["x-request-id"], r).ok()["stores"] == []


def test_rung2_routing_header_outside_visible_ascii_is_refused(mc):
    """A raw non-ASCII Mcp-Name is refused even when its bytes spell the body's name; the same
    name base64-wrapped passes the ladder (and is an unknown tool)."""
    tool = "stores_list\u00e9"
    rpc_error(mc.call(tool, name=tool.encode()), 400, -32020)
    rpc_error(mc.call(tool, name=_b64_sentinel(tool)), 400, -32602)


def test_rung2_header_names_are_case_insensitive(mc):
    r = mc.call(
        "stores_list",
        headers={"MCP-Protocol-Version": OMIT, "Mcp-Method": OMIT, "Mcp-Name": OMIT},
        extra_headers=[("mcp-protocol-version", MODERN_VERSION), ("MCP-METHOD", "tools/call"), ("mcp-name", "stores_list")],
    )
    modern_result(r)


def test_rung2_wins_over_rung3(mc):
    """Header 2026-07-28 with `_meta` 2099-01-01: the mismatch is found first (-32020), not -32022."""
    rpc_error(mc.call("stores_list", meta=modern_meta("2099-01-01")), 400, -32020)


# --- rung 3 and unknown revisions (-32022) --------------------------------------------------------------


def test_rung3_meta_version_a_legacy_revision_is_32022(mc, anon):
    """Header and `_meta` agree on 2025-11-25: modern because of `_meta`, but 2025-11-25 is no
    modern revision."""
    for c, send in ((mc, lambda c: c.call("stores_list", meta=modern_meta("2025-11-25"))), (anon, lambda c: c.discover(meta=modern_meta("2025-11-25")))):
        c.version = "2025-11-25"
        try:
            err = rpc_error(send(c), 400, -32022)
        finally:
            c.version = MODERN_VERSION
        # The session revisions are reached through initialize, so the answer names only the
        # per-request one (a client retrying from `supported` must not pick 2025-11-25 again).
        assert err["data"]["supported"] == [MODERN_VERSION] and err["data"]["requested"] == "2025-11-25", err
        assert "initialize" in err["message"], err


def test_rung3_meta_version_not_a_string(mc):
    """Contract rung 3 says -32602; with the header 2026-07-28 the number also disagrees with the
    header (rung 2, -32020) — either is a correct first failure, never a 200 or a 5xx."""
    r = mc.call("stores_list", meta=modern_meta(20260728))
    assert r.status_code == 400 and _code(r) in (-32020, -32602), f"{r.status_code} {r.text[:300]}"


def test_unknown_header_version_is_32022(mc):
    mc.version = "2099-01-01"
    try:
        r = mc.call("stores_list", meta=modern_meta("2099-01-01"))
    finally:
        mc.version = MODERN_VERSION
    assert_unsupported_version(rpc_error(r, 400, -32022, id_may_be_null=True), "2099-01-01")


@pytest.mark.parametrize("key", ["none", "wrong"])
def test_unknown_header_version_is_refused_before_authentication(r1, db, key):
    """-32022 comes before the key is looked at: no 401, and no auth.failed row for a wrong key."""
    with ModernRawClient(r1.mcp_url, wrong_master_key() if key == "wrong" else None, local_address=next(_ips), version="2099-01-01") as c:
        r = c.call("stores_list")
    assert_unsupported_version(rpc_error(r, 400, -32022, id_may_be_null=True), "2099-01-01")
    rows = audit_rows_by_request(db, [r.headers["x-request-id"]])[r.headers["x-request-id"]]
    assert rows == [], f"a refused revision was audited: {rows}"


def test_unknown_header_version_on_discover(anon):
    anon.version = "2099-01-01"
    try:
        r = anon.discover()
    finally:
        anon.version = MODERN_VERSION
    assert_unsupported_version(rpc_error(r, 400, -32022, id_may_be_null=True), "2099-01-01")


def test_unknown_header_version_on_a_legacy_session_is_32022(r1, tenant):
    with RawClient(r1.mcp_url, tenant.master_key, tenant_id=tenant.id) as c:
        c.open()
        r = c.request("tools/list", headers={"MCP-Protocol-Version": "1999-01-01"})
    assert_unsupported_version(rpc_error(r, 400, -32022, id_may_be_null=True), "1999-01-01")


# --- methods, messages, HTTP verbs -------------------------------------------------------------------


@pytest.mark.parametrize("method", ["ping", "logging/setLevel", "resources/list", "prompts/list", "orders/teleport"])
def test_unknown_modern_method_is_404_32601(mc, method):
    rpc_error(mc.request(method), 404, -32601)


def test_null_id_is_400_32600(mc):
    rpc_error(mc.request("tools/list", id=None), 400, -32600, id_may_be_null=True)


@pytest.mark.parametrize(
    "message",
    [{"jsonrpc": "2.0", "id": 5, "result": {}}, {"jsonrpc": "2.0", "id": 5, "error": {"code": -32603, "message": "client failed"}}],
    ids=["result", "error"],
)
def test_jsonrpc_response_on_a_modern_post_is_400(mc, message):
    r = mc.post(message, mc.header_list(None))
    assert r.status_code == 400, f"a JSON-RPC response sent modern: {r.status_code} {r.text[:300]}"
    assert _code(r) == -32600, r.text[:300]


def test_modern_notification_is_202_without_body(mc):
    r = mc.notify("notifications/cancelled", {"requestId": 99, "reason": "e2e"})
    assert r.status_code == 202, f"{r.status_code} {r.text[:300]}"
    assert r.content == b"", r.content[:200]
    assert not r.headers.get("mcp-session-id")


@pytest.mark.parametrize("verb", ["GET", "DELETE"])
def test_get_and_delete_are_405_allow_post(mc, verb):
    headers = dict(mc.header_list(None))
    headers["Accept"] = "application/json, text/event-stream"
    r = mc.http.request(verb, mc.mcp_url, headers=headers)
    assert r.status_code == 405, f"{verb} with MCP-Protocol-Version 2026-07-28: {r.status_code} {r.text[:300]}"
    assert r.headers.get("allow") == "POST", f"Allow: {r.headers.get('allow')!r}"
    assert r.headers.get("x-request-id")


# --- no session, ever ----------------------------------------------------------------------------------


@pytest.mark.parametrize("header", ["Mcp-Session-Id", "Last-Event-ID"])
def test_bogus_session_headers_are_ignored(mc, header):
    bogus = {header: secrets.token_urlsafe(32)}
    for r in (mc.call("stores_list", headers=bogus), mc.list_tools(headers=bogus), mc.discover(headers=bogus)):
        modern_result(r)


def test_a_legacy_session_id_does_not_carry_into_modern(r1, make_tenant, sim):
    t = make_tenant("modern-legacy-sid")
    with RawClient(r1.mcp_url, t.master_key, tenant_id=t.id) as legacy, ModernRawClient(r1.mcp_url, t.master_key, tenant_id=t.id) as m:
        legacy.open()
        store = legacy.tool("stores_register", {"store_id": "41003", "api_key": sim.stores["41003"], "name": "Legacy Side"}).ok()["store"]
        assert legacy.tool("stores_use_store", {"store": store["id"]}).ok()["active_store"]["id"] == store["id"]
        sid = {"Mcp-Session-Id": legacy.session_id}
        r = m.call("stores_list", headers=sid)
        assert ToolResult(modern_result(r), r.headers["x-request-id"], r).ok()["active_store_id"] is None, "modern saw the session's active store"
        assert legacy.delete_session().status_code in (200, 204)
        modern_result(m.call("stores_list", headers=sid))  # an ended session's id: still ignored, no 404


def test_modern_requests_create_no_sessions(r1, r2, tenant, db):
    since = db_now(db)
    for url in (r1.mcp_url, r2.mcp_url):
        with ModernRawClient(url, tenant.master_key, tenant_id=tenant.id) as c, ModernRawClient(url, None) as a:
            modern_result(a.discover())
            modern_result(a.list_tools())
            modern_result(c.list_tools())
            modern_result(c.call("stores_list"))
            modern_result(c.call("stores_list", headers={"Mcp-Session-Id": secrets.token_urlsafe(32)}))
            rpc_error(c.call("stores_list", meta=_meta_without(META_CLIENT_CAPABILITIES)), 400, -32602)
            rpc_error(c.request("ping"), 404, -32601)
            assert c.notify("notifications/cancelled", {"requestId": 1}).status_code == 202
    assert sessions_created_since(db, since) == 0, "a modern request created a session row"


# --- legacy unchanged ----------------------------------------------------------------------------------


@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
def test_legacy_results_unchanged(r1, tenant, version):
    with RawClient(r1.mcp_url, tenant.master_key, tenant_id=tenant.id) as c:
        r = c.initialize(version)
        assert r.status_code == 200 and r.headers.get("mcp-session-id"), r.text[:300]
        init = r.json()["result"]
        assert init["protocolVersion"] == version
        assert c.notify("notifications/initialized").status_code == 202
        listed = c.request("tools/list").json()["result"]
        called = c.tool("stores_list").raw
        assert c.request("ping").json()["result"] == {}
    for what, result in (("initialize", init), ("tools/list", listed), ("tools/call", called)):
        assert "resultType" not in result, f"legacy {what} result has resultType"
        assert META_SERVER_INFO not in (result.get("_meta") or {}), f"legacy {what} result has _meta serverInfo"
    assert "ttlMs" not in listed and "cacheScope" not in listed, listed.keys()


def test_initialize_asking_for_2026_gets_the_legacy_counter_offer(r1, tenant):
    with RawClient(r1.mcp_url, tenant.master_key, tenant_id=tenant.id) as c:
        r = c.initialize(MODERN_VERSION)
        assert r.status_code == 200, r.text[:300]
        assert r.json()["result"]["protocolVersion"] == LATEST_VERSION
        assert r.headers.get("mcp-session-id"), "initialize is legacy: it opens a session"


# --- audit: revision, session, trace context -------------------------------------------------------------


def test_modern_calls_are_audited_as_2026_without_session(mc, db):
    ids = [mc.tool("stores_list").request_id, mc.tool("stores_resolve", {"store": "nothing"}).request_id]
    assert assert_audited_as(db, ids, MODERN_VERSION) == 2


@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
def test_legacy_calls_are_audited_with_the_session_version(r1, tenant, db, version):
    with RawClient(r1.mcp_url, tenant.master_key, tenant_id=tenant.id) as c:
        assert c.initialize(version).status_code == 200
        assert c.notify("notifications/initialized").status_code == 202
        rid = c.tool("stores_list").request_id
    assert_audited_as(db, [rid], version)


def _traceparent_of(db, request_id: str) -> list:
    return [r["traceparent"] for r in audit_rows_by_request(db, [request_id])[request_id]]


def test_traceparent_in_meta_is_audited(mc, db):
    tp = _traceparent()
    t = mc.tool("stores_list", meta=modern_meta(traceparent=tp))
    assert _traceparent_of(db, t.request_id) == [tp]
    assert _traceparent_of(db, mc.tool("stores_list").request_id) == [None], "a call without trace context"


def test_traceparent_labels_the_log_lines_of_the_call(mc, r1):
    """The replicas log at debug: each call's `tool call` line carries its request id and the
    caller's trace id (the 32 hex digits of the traceparent)."""
    tp = _traceparent()
    t = mc.tool("stores_list", meta=modern_meta(traceparent=tp))
    deadline = time.monotonic() + 5
    lines: list[dict] = []
    while time.monotonic() < deadline and not lines:
        for raw in r1.stderr_path.read_text(errors="replace").splitlines():
            try:
                line = json.loads(raw)
            except ValueError:
                continue
            if line.get("msg") == "tool call" and line.get("request_id") == t.request_id:
                lines.append(line)
        time.sleep(0.05)
    assert len(lines) == 1, f"no single `tool call` line for request {t.request_id}"
    assert lines[0].get("trace_id") == tp.split("-")[1], lines[0]
    assert lines[0].get("protocol_version") == "2026-07-28" and lines[0].get("tool") == "stores_list", lines[0]


def test_traceparent_header_is_the_fallback_and_meta_wins(mc, db):
    header_tp, meta_tp = _traceparent(), _traceparent()
    t = mc.tool("stores_list", headers={"traceparent": header_tp})
    assert _traceparent_of(db, t.request_id) == [header_tp]
    t = mc.tool("stores_list", meta=modern_meta(traceparent=meta_tp), headers={"traceparent": header_tp})
    assert _traceparent_of(db, t.request_id) == [meta_tp]


@pytest.mark.parametrize(
    "bad",
    [
        "not-a-traceparent",
        "00-0af7651916cd43dd8448eb211c80319c-00f067aa0ba902b7",  # no flags
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",  # all-zero trace id
        "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",  # all-zero parent id
        "ff-0af7651916cd43dd8448eb211c80319c-00f067aa0ba902b7-01",  # version ff
        "00-0af7651916cd43dd8448eb211c80319g-00f067aa0ba902b7-01",  # not hex
        "00-0af7651916cd43dd8448eb211c80319c-00f067aa0ba902b7-01-extra",  # version 00 with a suffix
        12345,
    ],
    ids=["garbage", "no-flags", "zero-trace-id", "zero-parent-id", "version-ff", "not-hex", "suffix-on-00", "number"],
)
def test_invalid_traceparent_is_ignored(mc, db, bad):
    t = mc.tool("stores_list", meta=modern_meta(traceparent=bad))
    assert not t.is_error, t.raw
    assert _traceparent_of(db, t.request_id) == [None], f"invalid traceparent {bad!r} was stored"


def test_legacy_call_traceparent_is_audited(r1, tenant, db):
    tp = _traceparent()
    with RawClient(r1.mcp_url, tenant.master_key, tenant_id=tenant.id) as c:
        c.open()
        r = c.request("tools/call", {"name": "stores_list", "arguments": {}, "_meta": {"traceparent": tp}})
        assert r.status_code == 200 and "result" in r.json(), r.text[:300]
        rid = r.headers["x-request-id"]
    assert _traceparent_of(db, rid) == [tp]
    assert_audited_as(db, [rid], LATEST_VERSION)


def test_audit_views_carry_revision_and_trace(r1, make_tenant, sim, db):
    """audit_failures and audit_order_history show protocol_version and traceparent too."""
    t = make_tenant("modern-views")
    tp = _traceparent()
    with ModernRawClient(r1.mcp_url, t.master_key, tenant_id=t.id) as c:
        c.tool("stores_register", {"store_id": "41002", "api_key": sim.stores["41002"], "name": "Views"}).ok()
        handle = c.tool("stores_use_store", {"store": "views"}).ok()["store_handle"]
        miss = c.tool("orders_get", {"store": handle, "order_id": "999999991"}, meta=modern_meta(traceparent=tp))
        assert miss.is_error and miss.error_code == "not_found", miss.raw
    rid = miss.request_id
    for view in ("audit_failures", "audit_order_history"):
        rows = psql_json(
            db.auditor_url,
            f"SELECT protocol_version, traceparent, target FROM orderdesk.{view} WHERE correlation_id = '{rid}'",
        )
        assert rows, f"no row in {view} for {rid}"
        assert all(r["protocol_version"] == MODERN_VERSION and r["traceparent"] == tp for r in rows), (view, rows)


# --- the unauthenticated budget -------------------------------------------------------------------------


def test_keyless_modern_requests_are_charged_to_the_unauthenticated_budget(start_server, tenant, db):
    burst = 3
    server = start_server("modern-budget", UNAUTHENTICATED_BURST=str(burst), UNAUTHENTICATED_PER_MINUTE="1")
    with ModernRawClient(server.mcp_url, None) as anon:
        for i in range(burst):
            assert anon.discover().status_code == 200, f"keyless request {i + 1} of the burst"
        since = db_now(db)
        for r in (anon.discover(), anon.list_tools()):
            err = rpc_error(r, 429, -32001, id_may_be_null=True)
            assert (err.get("data") or {}).get("code") == "rate_limited", err
            assert int(r.headers["retry-after"]) >= 1
    assert sessions_created_since(db, since) == 0
    # A valid key is never charged against the address's budget.
    with ModernRawClient(server.mcp_url, tenant.master_key, tenant_id=tenant.id) as c:
        modern_result(c.discover())
        modern_result(c.list_tools())
        modern_result(c.call("stores_list"))
