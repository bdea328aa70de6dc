"""Bad input at the HTTP edge gets a 4xx / JSON-RPC -32602 that says what is wrong, never the 503
`database_unavailable` that only a real database outage may give (issue 11, defects 2-4)."""

import pytest

from e2e_support import LATEST_VERSION, RawClient


@pytest.fixture(scope="module")
def tenant(make_tenant):
    return make_tenant("edge-input")


def _init(c: RawClient, params):
    return c.request("initialize", params, session=False)


def _assert_invalid_params(r, what: str, mentions: str):
    assert r.status_code == 400, f"{what}: HTTP {r.status_code} {r.text[:300]}"
    err = r.json()["error"]
    assert err["code"] == -32602, f"{what}: {err}"
    assert err["data"]["code"] == "invalid_params", f"{what}: {err}"
    assert mentions in err["message"], f"{what}: message {err['message']!r} does not mention {mentions!r}"
    assert "database" not in err["message"].lower(), f"{what}: {err}"


@pytest.mark.parametrize("field", ["name", "version", "title"])
def test_nul_in_client_info_is_invalid_params_not_database_unavailable(r1, tenant, field):
    info = {"name": "fuzzer", "version": "1.0"}
    info[field] = "a\u0000b"
    with RawClient(r1.mcp_url, tenant.master_key) as c:
        r = _init(c, {"protocolVersion": LATEST_VERSION, "capabilities": {}, "clientInfo": info})
        _assert_invalid_params(r, f"NUL in clientInfo.{field}", f"clientInfo.{field}")
        assert not r.headers.get("mcp-session-id"), "a session was created for a refused initialize"
        # The server is fine afterwards: a clean initialize works.
        assert c.initialize().status_code == 200


@pytest.mark.parametrize(
    "params, mentions",
    [
        (None, "protocolVersion"),
        ({}, "protocolVersion"),
        ({"capabilities": {}, "clientInfo": {"name": "x", "version": "1"}}, "protocolVersion"),
        ({"protocolVersion": 20251125, "capabilities": {}}, "protocolVersion"),
        ({"protocolVersion": LATEST_VERSION, "capabilities": []}, "capabilities"),
        ({"protocolVersion": LATEST_VERSION, "clientInfo": "curl"}, "clientInfo"),
        ({"protocolVersion": LATEST_VERSION, "clientInfo": {"name": 7}}, "clientInfo.name"),
        ({"protocolVersion": LATEST_VERSION, "clientInfo": {"name": "x" * 201}}, "clientInfo.name"),
    ],
)
def test_initialize_without_valid_params_is_invalid_params(r1, tenant, params, mentions):
    with RawClient(r1.mcp_url, tenant.master_key) as c:
        r = _init(c, params)
        _assert_invalid_params(r, f"initialize {params!r:.80}", mentions)
        assert not r.headers.get("mcp-session-id")


def test_tools_list_with_a_cursor_never_issued_is_invalid_params(r1, tenant):
    with RawClient(r1.mcp_url, tenant.master_key) as c:
        c.open()
        full = c.request("tools/list")
        assert full.status_code == 200 and full.json()["result"]["tools"], full.text[:300]
        assert "nextCursor" not in full.json()["result"], "the list is one page: no cursor is issued"
        r = c.request("tools/list", {"cursor": "page-2"})
        assert r.status_code == 200, r.text[:300]
        err = r.json()["error"]
        assert err["code"] == -32602 and "cursor" in err["message"], err
        # An explicit null cursor is the same as none.
        assert c.request("tools/list", {"cursor": None}).json()["result"]["tools"] == full.json()["result"]["tools"]


def test_no_credentials_get_a_challenge_without_an_error_code(r1, tenant):
    """RFC 6750 §3.1: a request that carries no credentials gets only the realm, no `error`; a key
    that fails gets `error="invalid_token"`."""
    with RawClient(r1.mcp_url, None) as anon:
        anon.open()  # session authentication: an unauthenticated session may initialize
        r = anon.call("stores_list")
        assert r.status_code == 401, r.text[:300]
        challenge = r.headers["www-authenticate"]
        assert challenge.lower().startswith("bearer "), challenge
        assert 'realm="orderdesk-mcp"' in challenge, challenge
        assert "error=" not in challenge, f"no credentials were sent, yet: {challenge}"
    with RawClient(r1.mcp_url, "odmk_" + "A" * 43) as bad:
        r = bad.initialize()
        assert r.status_code == 401, r.text[:300]
        assert 'error="invalid_token"' in r.headers["www-authenticate"], r.headers["www-authenticate"]
