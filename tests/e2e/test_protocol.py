"""The Streamable HTTP transport, spoken by hand (raw HTTP): negotiation, sessions and every
protocol-level rejection of the contract."""

import asyncio
import json
import re
import secrets

import httpx2
import pytest

from e2e_support import (
    ALLOWED_ORIGIN,
    HTTP_TIMEOUT,
    LATEST_VERSION,
    SUPPORTED_VERSIONS,
    RawClient,
    async_hooks,
    run,
)


@pytest.fixture(scope="module")
def tenant(make_tenant):
    return make_tenant("protocol")


@pytest.fixture()
def client(r1, tenant):
    with RawClient(r1.mcp_url, tenant.master_key, tenant_id=tenant.id) as c:
        yield c.open()


def _error_code(r: httpx2.Response):
    body = r.json()
    assert isinstance(body, dict) and isinstance(body.get("error"), dict), f"not a JSON-RPC error: {r.text[:300]}"
    assert body.get("jsonrpc") == "2.0", f"error body without jsonrpc 2.0: {r.text[:300]}"
    return body["error"].get("code")


# --- initialize and sessions ------------------------------------------------------------------


@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
def test_initialize_negotiates_supported_version(r1, tenant, version):
    with RawClient(r1.mcp_url, tenant.master_key, tenant_id=tenant.id) as c:
        r = c.initialize(version)
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("application/json")
        result = r.json()["result"]
        assert result["protocolVersion"] == version
        assert "tools" in result.get("capabilities", {}), result
        assert result.get("serverInfo", {}).get("name"), result
        sid = r.headers.get("mcp-session-id")
        assert sid and re.fullmatch(r"[\x21-\x7e]+", sid), f"bad Mcp-Session-Id {sid!r}"
        assert len(sid) >= 43, f"session id {sid!r} is too short for 256 bits"


def test_initialize_unknown_version_answers_latest(r1, tenant):
    with RawClient(r1.mcp_url, tenant.master_key, tenant_id=tenant.id) as c:
        r = c.initialize("2024-01-01")
        assert r.status_code == 200, r.text
        assert r.json()["result"]["protocolVersion"] == LATEST_VERSION


def test_session_ids_differ(r1, tenant):
    ids = set()
    for _ in range(3):
        with RawClient(r1.mcp_url, tenant.master_key) as c:
            c.open()
            ids.add(c.session_id)
    assert len(ids) == 3


def test_notification_gets_202_with_empty_body(client):
    r = client.notify("notifications/initialized")
    assert r.status_code == 202, r.text
    assert r.content == b""


def test_ping(client):
    r = client.request("ping")
    assert r.status_code == 200, r.text
    assert r.json()["result"] == {}


def test_missing_session_id_is_400(client):
    r = client.request("tools/list", session=False, id="no-session-7")
    assert r.status_code == 400, f"tools/list without Mcp-Session-Id: {r.status_code} {r.text[:300]}"
    # The request could be read, so its error answers its id.
    assert r.json()["id"] == "no-session-7", r.text[:300]


def test_unknown_session_id_is_404(client):
    r = client.request("tools/list", headers={"Mcp-Session-Id": secrets.token_urlsafe(32)}, id=4242)
    assert r.status_code == 404, f"unknown session: {r.status_code} {r.text[:300]}"
    assert r.json()["id"] == 4242 and r.json()["error"]["code"] == -32600, r.text[:300]


def test_delete_ends_session(client):
    assert client.request("tools/list").status_code == 200
    d = client.delete_session()
    assert d.status_code in (200, 204), f"DELETE /mcp: {d.status_code} {d.text[:300]}"
    r = client.request("tools/list")
    assert r.status_code == 404, f"tools/list on an ended session: {r.status_code} {r.text[:300]}"
    r = client.call("stores_list")
    assert r.status_code == 404, f"tools/call on an ended session: {r.status_code} {r.text[:300]}"
    d2 = client.delete_session()
    assert d2.status_code == 404, f"DELETE of an ended session: {d2.status_code}"


def test_get_is_405(client):
    r = client.http.get(client.mcp_url, headers=client.headers({"Accept": "text/event-stream"}))
    assert r.status_code == 405, f"GET /mcp: {r.status_code} {r.text[:300]}"
    assert r.headers.get("x-request-id")


@pytest.mark.parametrize("method", ["PUT", "PATCH", "OPTIONS"])
def test_other_methods_are_405_with_allow(client, method):
    r = client.http.request(method, client.mcp_url, headers=client.headers(), content=b"{}")
    assert r.status_code == 405, f"{method} /mcp: {r.status_code} {r.text[:300]}"
    assert r.headers.get("allow") == "POST, DELETE" and r.headers.get("x-request-id")
    assert r.json()["error"]["code"] == -32600


# --- header validation --------------------------------------------------------------------------


def test_bad_origin_is_403(r1, tenant, client):
    with RawClient(r1.mcp_url, tenant.master_key) as c:
        r = c.initialize(headers={"Origin": "http://evil.example"})
        assert r.status_code == 403, f"initialize with a foreign Origin: {r.status_code} {r.text[:300]}"
        assert not r.headers.get("mcp-session-id"), "a session was created despite the bad Origin"
    r = client.call("stores_list", headers={"Origin": "https://attacker.example"})
    assert r.status_code == 403, f"tools/call with a foreign Origin: {r.status_code} {r.text[:300]}"
    assert "stores" not in r.text


def test_allowed_origin_and_no_origin_pass(r1, tenant, client):
    with RawClient(r1.mcp_url, tenant.master_key) as c:
        assert c.initialize(headers={"Origin": ALLOWED_ORIGIN}).status_code == 200
    r = client.request("tools/list", headers={"Origin": ALLOWED_ORIGIN})
    assert r.status_code == 200, r.text[:300]
    r = client.request("tools/list")  # no Origin header at all
    assert r.status_code == 200, r.text[:300]


def test_unsupported_protocol_version_header_is_400(client):
    r = client.request("tools/list", headers={"MCP-Protocol-Version": "1999-01-01"})
    assert r.status_code == 400, f"MCP-Protocol-Version 1999-01-01: {r.status_code} {r.text[:300]}"
    for v in SUPPORTED_VERSIONS:
        ok = client.request("tools/list", headers={"MCP-Protocol-Version": v})
        assert ok.status_code == 200, f"MCP-Protocol-Version {v}: {ok.status_code} {ok.text[:300]}"


def test_wrong_content_type_is_415(client):
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
    r = client.post(body, headers={"Content-Type": "text/plain"})
    assert r.status_code == 415, f"Content-Type text/plain: {r.status_code} {r.text[:300]}"


def test_accept_without_json_is_406(client):
    for accept in ("text/html", "text/event-stream"):
        r = client.request("tools/list", headers={"Accept": accept})
        assert r.status_code == 406, f"Accept: {accept}: {r.status_code} {r.text[:300]}"
    for accept in ("*/*", "application/json"):
        ok = client.request("tools/list", headers={"Accept": accept})
        assert ok.status_code == 200, f"Accept: {accept}: {ok.status_code} {ok.text[:300]}"


def test_body_over_1_mib_is_413(client):
    pad = "x" * (1024 * 1024 + 16)
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "stores_list", "arguments": {"pad": pad}}})
    r = client.post(body)
    assert r.status_code == 413, f"1 MiB + body: {r.status_code} {r.text[:300]}"
    # The session is still usable afterwards.
    assert client.request("tools/list").status_code == 200


def test_malformed_json_is_32700(client):
    r = client.post(b'{"jsonrpc": "2.0", "id": 1, "method": "tools/list"')
    assert r.status_code in (200, 400), f"malformed JSON: {r.status_code} {r.text[:300]}"
    assert _error_code(r) == -32700
    assert r.json().get("id") is None


@pytest.mark.parametrize(
    "body",
    [
        {"foo": 1},
        {"jsonrpc": "1.0", "id": 1, "method": "tools/list"},
        {"id": 1, "method": "tools/list"},
        {"jsonrpc": "2.0", "id": 1},
        {"jsonrpc": "2.0", "id": 1, "method": 5},
        "just a string",
        42,
    ],
    ids=["no-jsonrpc-fields", "jsonrpc-1.0", "jsonrpc-missing", "no-method", "method-not-string", "string", "number"],
)
def test_not_jsonrpc_is_32600(client, body):
    r = client.post(json.dumps(body))
    assert r.status_code in (200, 400), f"{body!r}: {r.status_code} {r.text[:300]}"
    assert _error_code(r) == -32600, r.text[:300]


def test_unknown_method_is_32601(client):
    r = client.request("orders/teleport", {})
    assert r.status_code == 200, r.text[:300]
    assert _error_code(r) == -32601


def test_unknown_tool_is_32602(client):
    r = client.call("no_such_tool", {})
    assert r.status_code == 200, r.text[:300]
    assert _error_code(r) == -32602


# --- concurrency ----------------------------------------------------------------------------------


def test_concurrent_requests_with_same_jsonrpc_id_get_their_own_responses(client, sim, tenant):
    a = client.tool("stores_register", {"store_id": "41001", "api_key": sim.stores["41001"], "name": "Proto One"}).ok()
    b = client.tool("stores_register", {"store_id": "41002", "api_key": sim.stores["41002"], "name": "Proto Two"}).ok()
    expected = {"41001": a["store"]["id"], "41002": b["store"]["id"]}

    async def main():
        async with httpx2.AsyncClient(timeout=HTTP_TIMEOUT, event_hooks=async_hooks(tenant.id)) as http:
            async def one(store_id: str):
                body = {"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {"name": "stores_resolve", "arguments": {"store": store_id}}}
                r = await http.post(client.mcp_url, content=json.dumps(body), headers=client.headers())
                return store_id, r

            return await asyncio.gather(*(one(sid) for _ in range(8) for sid in ("41001", "41002")))

    for store_id, r in run(main()):
        assert r.status_code == 200, r.text[:300]
        body = r.json()
        assert body.get("id") == 7
        store = body["result"]["structuredContent"]["store"]
        assert store["store_id"] == store_id and store["id"] == expected[store_id], (
            f"request for {store_id} got the answer for {store['store_id']}"
        )
