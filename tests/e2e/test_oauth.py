"""OAuth 2.1 sign-in end to end (issue 13): the real `mcp` 2.3.0 `OAuthClientProvider` against a
real `serve` with PUBLIC_BASE_URL, a headless Debian chromium (selenium) that signs in with the
link from a local SMTP sink (aiosmtpd) and consents, Client ID Metadata Documents served by the test
over HTTPS (tests/servers/cimd_server.py), and raw HTTP for what a well-behaved client never does.

Plumbing: oauth_support.py. URLs, page ids and the mail format: the issue-13 contract (docs/oauth.md).
Each test signs in as its own member address (tenant "alpha", stores 41001 and 41002); tenant
"beta" owns store 41003.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
import secrets
import time
import urllib.parse

import httpx2
import pytest

from e2e_support import HTTP_TIMEOUT, SECRETS, RawClient, psql, psql_json, run, table_dump
from oauth_support import (
    MAIL_SUBJECT,
    Browser,
    CallbackServer,
    CimdHost,
    MailSink,
    Member,
    OAuthClient,
    authorize_url,
    free_port,
    mail_body,
    modern_tool_call,
    pkce_pair,
    register_client,
    revoke,
    sign_in_links,
    token_request,
    tool_payload,
    www_authenticate,
)

CIMD_TIMEOUT_MS = 1000
ALPHA_STORES = ("41001", "41002")
BETA_STORE = "41003"


# ---------------------------------------------------------------------------------------------
# Fixtures
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sink():
    s = MailSink().start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def callback():
    c = CallbackServer()
    yield c
    c.stop()


@pytest.fixture(scope="module")
def cimd(log_dir, callback):
    host = CimdHost(log_dir, [callback.url])
    yield host
    host.stop()


def oauth_env(sink: MailSink, cimd: CimdHost, port: int, **extra: str) -> dict[str, str]:
    env = {
        "PORT": str(port),
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "SMTP_URL": sink.url,
        "MAIL_FROM": "OrderDesk MCP <noreply@orderdesk.test>",
        "OAUTH_CIMD_ALLOW_CIDRS": "127.0.0.1/32",
        "OAUTH_CIMD_CA_FILE": str(cimd.cert),
        "OAUTH_CIMD_TIMEOUT_MS": str(CIMD_TIMEOUT_MS),
        "OAUTH_CIMD_CACHE_SECONDS": "0",
        "SIGNIN_PER_IP_PER_HOUR": "200",
    }
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def server(start_server, sink, cimd):
    """`serve` as an OAuth authorization server and resource: PUBLIC_BASE_URL = its own origin."""
    s = start_server("oauth1", **oauth_env(sink, cimd, free_port()))
    s.base = s.base_url.rstrip("/")
    assert s.base == f"http://127.0.0.1:{s.port}", s.base_url
    return s


@pytest.fixture(scope="module")
def other_server(start_server, sink, cimd):
    """A second resource on the same database, with its own PUBLIC_BASE_URL."""
    s = start_server("oauth2", **oauth_env(sink, cimd, free_port()))
    s.base = s.base_url.rstrip("/")
    return s


@pytest.fixture(scope="module")
def tenants(make_tenant, sim, server):
    """alpha: stores 41001 and 41002; beta: store 41003 (registered with the master keys)."""
    alpha, beta = make_tenant("oauth alpha"), make_tenant("oauth beta")
    for tenant, store_ids in ((alpha, ALPHA_STORES), (beta, (BETA_STORE,))):
        with RawClient(server.mcp_url, tenant.master_key, tenant_id=tenant.id) as c:
            c.open()
            for sid in store_ids:
                c.tool("stores_register", {"store_id": sid, "api_key": sim.stores[sid], "name": f"{tenant.name} {sid}"}).ok()
    return {"alpha": alpha, "beta": beta}


@pytest.fixture
def browsers(log_dir, request):
    started: list[Browser] = []

    def start(label: str = "b") -> Browser:
        b = Browser(log_dir, f"{request.node.name[:40]}-{label}-{len(started)}")
        started.append(b)
        return b

    yield start
    for b in started:
        b.quit()


@pytest.fixture
def member(cli, tenants, sink, browsers, request):
    """A fresh member address of tenant alpha, with a fresh browser."""

    def make(label: str = "m", tenant: str = "alpha") -> Member:
        address = f"{label}-{secrets.token_hex(4)}@example.test"
        cli._run("tenants", "add-member", "--tenant", tenants[tenant].id, "--email", address)
        return Member(address, browsers(label), sink)

    return make


def orders_list(store: str = "41001") -> tuple[str, dict]:
    return "orders_list", {"store": store, "limit": 5}


def connect(client: OAuthClient, tool: str = "orders_list", args: dict | None = None, mode: str = "2026-07-28"):
    """One session: calls `tool` (which starts the OAuth flow on the first 401) and returns the result."""

    async def go():
        async with client.session(mode) as s:
            return await s.tool(tool, args if args is not None else {"store": "41001", "limit": 5})

    try:
        return run(go())
    except BaseExceptionGroup as group:  # anyio's task groups: show the cause and what was exchanged
        leaf = group
        while isinstance(leaf, BaseExceptionGroup):
            leaf = leaf.exceptions[0]
        raise AssertionError(f"{type(leaf).__name__}: {leaf}\nexchanges: {client.paths()}") from leaf


def browser_code(member: Member, url: str, **choices) -> dict[str, list[str]]:
    """The member signs in (if needed) and allows; the redirect's query."""
    return member.authorize(url, **choices).redirect


def fresh_code(server, member: Member, client_id: str, redirect_uri: str, **extra) -> tuple[str, str]:
    """(code, verifier) from a browser pass with a new PKCE pair."""
    verifier, challenge = pkce_pair()
    url, state = authorize_url(server.base, client_id, redirect_uri, challenge, **extra)
    q = browser_code(member, url)
    assert q.get("state") == [state] and q.get("iss") == [server.base], q
    return q["code"][0], verifier


def exchange(server, code: str, verifier: str | None, client_id: str, redirect_uri: str, **extra) -> httpx2.Response:
    return token_request(
        server.base,
        grant_type="authorization_code",
        code=code,
        code_verifier=verifier,
        client_id=client_id,
        redirect_uri=redirect_uri,
        resource=server.base + "/mcp",
        **extra,
    )


def oauth_error(r: httpx2.Response, *errors: str) -> str:
    assert r.status_code == 400, f"{r.request.url}: expected 400, got {r.status_code} {r.text[:400]}"
    err = r.json().get("error")
    assert err in errors, f"expected error in {errors}, got {r.text[:400]}"
    assert "no-store" in r.headers.get("cache-control", ""), r.headers
    return err


def assert_invalid_token(server, token: str) -> None:
    r = modern_tool_call(server.mcp_url, token, "orders_list", {"store": "41001"})
    assert r.status_code == 401, f"token still accepted: {r.status_code} {r.text[:300]}"
    challenge = www_authenticate(r)
    assert challenge.get("error") == "invalid_token", r.headers.get("www-authenticate")
    assert challenge.get("resource_metadata") == server.base + "/.well-known/oauth-protected-resource/mcp"


def assert_token_works(server, token: str, store: str = "41001") -> dict:
    r = modern_tool_call(server.mcp_url, token, "orders_list", {"store": store, "limit": 2})
    assert r.status_code == 200, f"{r.status_code} {r.text[:300]}"
    result = tool_payload(r)
    assert not result.get("isError"), result
    return result["structuredContent"]


def error_page(url: str, callback: CallbackServer) -> httpx2.Response:
    """GET an authorize URL that must be refused on a page of its own: 400, HTML, no redirect."""
    before = len(callback.hits)
    r = httpx2.get(url, timeout=HTTP_TIMEOUT, follow_redirects=False)
    assert r.status_code == 400, f"expected the error page (400), got {r.status_code} {r.headers.get('location')} {r.text[:300]}"
    assert "location" not in r.headers, r.headers["location"]
    assert r.headers.get("content-type", "").startswith("text/html"), r.headers
    assert "frame-ancestors 'none'" in r.headers.get("content-security-policy", ""), r.headers
    assert len(callback.hits) == before
    return r


def refusal_page(server, url: str, callback: CallbackServer, error: str, state: str | None) -> dict[str, list[str]]:
    """An authorize request whose client and redirect URI are trusted but whose other parameters are
    wrong: a 400 page of its own (never an automatic redirect: anyone can register a client and its
    redirect URI), with one "Return to the application" link to the redirect URI carrying exactly
    `error`, `error_description`, `state` (when the request's is one the server keeps) and `iss`.
    Returns the link's query."""
    r = error_page(url, callback)
    links = re.findall(r"<a\b([^>]*)>\s*Return to the application\s*</a>", r.text)
    assert len(links) == 1, f"expected one 'Return to the application' link: {r.text[:800]}"
    href = re.search(r'\bhref="([^"]*)"', links[0])
    assert href, links[0]
    target = html.unescape(href.group(1))
    assert target.startswith(callback.url + "?"), target
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(target).query, keep_blank_values=True)
    expected = {"error", "error_description", "iss"} | ({"state"} if state is not None else set())
    assert set(q) == expected, f"link parameters {sorted(q)}, expected {sorted(expected)}: {target}"
    assert all(len(v) == 1 for v in q.values()), q
    assert q["error"] == [error] and q["iss"] == [server.base] and q["error_description"][0], q
    if state is not None:
        assert q["state"] == [state], q
    assert "127.0.0.1" in r.text, "the page should name the host the link returns to"
    return q


def page_failures(*servers) -> int:
    """How many "page failed" lines (a 500 page) the servers have logged so far."""
    return sum(p.read_text(errors="replace").count("page failed") for s in servers for p in (s.stdout_path, s.stderr_path))


def hash_forms(secret: str) -> set[str]:
    """Hex SHA-256 of the string, of it without its `odxx_` prefix, and of its base64url bytes."""
    forms = {hashlib.sha256(secret.encode()).hexdigest()}
    bare = secret.split("_", 1)[1] if secret[:5] in ("odat_", "odrt_", "odac_") else secret
    forms.add(hashlib.sha256(bare.encode()).hexdigest())
    try:
        forms.add(hashlib.sha256(base64.urlsafe_b64decode(bare + "=" * (-len(bare) % 4))).hexdigest())
    except ValueError:
        pass
    return forms


# ---------------------------------------------------------------------------------------------
# Happy paths
# ---------------------------------------------------------------------------------------------


def test_dcr_sign_in_by_mail_consent_and_tool_call(server, member, callback, db, tenants):
    m = member("dcr")
    # The resource's challenge, as any client first sees it.
    r = modern_tool_call(server.mcp_url, None, "orders_list", {"store": "41001"})
    assert r.status_code == 401, r.text[:300]
    challenge = www_authenticate(r)
    prm_url = server.base + "/.well-known/oauth-protected-resource/mcp"
    assert challenge.get("resource_metadata") == prm_url, r.headers.get("www-authenticate")
    assert "orders:read" in challenge.get("scope", "").split(), r.headers.get("www-authenticate")
    assert "error" not in challenge, "no credentials sent: RFC 6750 says no error code"

    client = OAuthClient(server.mcp_url, m, callback.url, client_name="E2E DCR Client", screenshots=True)
    result = connect(client)
    orders = result.ok()["orders"]
    assert orders, result.raw

    # What the provider did, in order: 401, PRM (path-suffixed), AS metadata, register, token, retry.
    steps = [(e.method, e.path, e.status) for e in client.exchanges]
    tool_calls = [e for e in client.exchanges if e.path == "/mcp" and b'"tools/call"' in e.request_body]
    assert [e.status for e in tool_calls] == [401, 200], steps
    prm = client.requests_to("/.well-known/oauth-protected-resource/mcp")
    asm = client.requests_to("/.well-known/oauth-authorization-server")
    reg = client.requests_to("/oauth/register")
    tok = client.requests_to("/oauth/token")
    assert [e.status for e in prm] == [200] and [e.status for e in asm] == [200], steps
    assert [e.status for e in reg] == [201] and [e.status for e in tok] == [200], steps
    order = [client.exchanges.index(x) for x in (tool_calls[0], prm[0], asm[0], reg[0], tok[0], tool_calls[1])]
    assert order == sorted(order), steps
    prm_doc, asm_doc = json.loads(prm[0].response_body), json.loads(asm[0].response_body)
    assert prm_doc["resource"] == server.mcp_url and prm_doc["authorization_servers"] == [server.base], prm_doc
    assert asm_doc["issuer"] == server.base and asm_doc.get("client_id_metadata_document_supported") is True, asm_doc
    assert asm_doc.get("authorization_response_iss_parameter_supported") is True, asm_doc
    assert asm_doc.get("code_challenge_methods_supported") == ["S256"], asm_doc
    registered = json.loads(reg[0].response_body)
    assert registered.get("token_endpoint_auth_method") == "none" and "client_secret" not in registered, registered

    # The pages, the mail and the redirect.
    [auth] = m.authorizations
    assert auth.signed_in, "a browser without a web session must land on the sign-in page"
    assert len(sink_mails := m.sink.to(m.email)) == 1, f"{len(sink_mails)} mails to the member"
    mail = sink_mails[0]
    assert mail["msg"]["Subject"] == MAIL_SUBJECT, mail["msg"]["Subject"]
    links = sign_in_links(mail)
    assert len(links) == 1 and links[0].startswith(server.base + "/signin/link?"), mail_body(mail)
    link_q = urllib.parse.parse_qs(urllib.parse.urlsplit(links[0]).query)
    assert len(link_q["token"][0]) == 43, links[0]
    consent = auth.consent
    assert consent.client_name == "E2E DCR Client", consent
    assert consent.redirect_host in ("127.0.0.1", f"127.0.0.1:{callback.port}"), consent.redirect_host
    assert consent.scopes == {"orders:read": True}, consent.scopes
    assert sorted(consent.stores) == list(ALPHA_STORES), consent.stores
    authorize_q = urllib.parse.parse_qs(urllib.parse.urlsplit(auth.authorize_url).query)
    assert auth.redirect["state"] == authorize_q["state"], (auth.redirect, authorize_q)
    assert auth.redirect["iss"] == [server.base] and auth.redirect["code"][0], auth.redirect
    assert callback.hits and callback.hits[-1]["code"] == auth.redirect["code"]

    tokens = client.tokens
    assert tokens.access_token.startswith("odat_") and tokens.refresh_token.startswith("odrt_"), tokens
    assert set((tokens.scope or "").split()) == {"orders:read"}, tokens.scope

    # Only hashes in the database: no code, token, link token, request id or session cookie in clear.
    cookies = m.browser.cookies()
    web_cookie = cookies.get("__Host-odmcp_web", {}).get("value")
    assert web_cookie, f"no web session cookie: {sorted(cookies)}"
    rid = urllib.parse.parse_qs(urllib.parse.urlsplit(consent.url).query).get("request", [None])[0]
    plain = {
        "access token": tokens.access_token,
        "refresh token": tokens.refresh_token,
        "authorization code": auth.redirect["code"][0],
        "magic link token": link_q["token"][0],
        "authorization request id": rid,
        "web session cookie": web_cookie,
        "browser binding cookie": cookies.get("__Host-odmcp_signin", {}).get("value"),
        "authorization browser cookie": cookies.get("__Host-odmcp_browser", {}).get("value"),
    }
    assert plain["authorization browser cookie"], f"no __Host-odmcp_browser cookie: {sorted(cookies)}"
    dump = table_dump(db)
    found = [f"{label} in {table}" for label, value in plain.items() if value for table, text in dump.items() if value in text]
    assert not found, found
    token_hashes = psql(db.super_url, "SELECT encode(token_hash, 'hex') FROM orderdesk.oauth_tokens;").split()
    assert hash_forms(tokens.access_token) & set(token_hashes), "the access token's SHA-256 is not in oauth_tokens"
    link_hashes = psql(db.super_url, "SELECT encode(token_hash, 'hex') FROM orderdesk.magic_links;").split()
    assert hash_forms(link_q["token"][0]) & set(link_hashes), "the link token's SHA-256 is not in magic_links"


def test_cimd_client_is_fetched_not_registered(server, member, callback, cimd):
    m = member("cimd")
    url = cimd.url("/client.json")
    before = len(cimd.requests())
    client = OAuthClient(server.mcp_url, m, callback.url, client_name="ignored by CIMD", client_metadata_url=url)
    result = connect(client)
    assert result.ok()["orders"], result.raw
    assert client.requests_to("/oauth/register") == [], client.paths()
    assert "GET /client.json" in cimd.requests()[before:], "the server never fetched the client's metadata document"
    assert client.client_id == url
    [auth] = m.authorizations
    assert auth.consent.client_name == CimdHost.CLIENT_NAME, auth.consent
    authorize_q = urllib.parse.parse_qs(urllib.parse.urlsplit(auth.authorize_url).query)
    assert authorize_q["client_id"] == [url], authorize_q
    assert auth.redirect["iss"] == [server.base], auth.redirect
    tok = client.requests_to("/oauth/token")
    assert [e.status for e in tok] == [200] and b"client_id=https" in tok[0].request_body, tok


def test_master_keys_keep_working_beside_oauth(server, tenants):
    with RawClient(server.mcp_url, tenants["alpha"].master_key, tenant_id=tenants["alpha"].id) as c:
        c.open()
        stores = c.tool("stores_list").ok()["stores"]
    assert sorted(s["store_id"] for s in stores) == list(ALPHA_STORES)


# ---------------------------------------------------------------------------------------------
# Refresh, reuse, revocation, step-up
# ---------------------------------------------------------------------------------------------


def test_refresh_rotates_and_reusing_an_old_refresh_token_revokes_the_grant(server, member, callback):
    client = OAuthClient(server.mcp_url, member("refresh"), callback.url)
    connect(client).ok()
    first = client.tokens
    client.provider.context.token_expiry_time = time.time() - 1  # the client's own clock says: expired
    mark = len(client.exchanges)
    connect(client).ok()
    second = client.tokens
    refreshes = [e for e in client.exchanges[mark:] if e.path == "/oauth/token"]
    assert len(refreshes) == 1 and b"grant_type=refresh_token" in refreshes[0].request_body, client.paths()[mark:]
    assert refreshes[0].status == 200, refreshes[0].response_body
    assert client.member.authorizations and len(client.member.authorizations) == 1, "the refresh opened the browser"
    assert second.refresh_token != first.refresh_token and second.access_token != first.access_token
    assert second.refresh_token.startswith("odrt_")
    assert_token_works(server, second.access_token)

    # The retired refresh token comes back (a thief's copy): invalid_grant, and the whole grant ends.
    r = token_request(server.base, grant_type="refresh_token", refresh_token=first.refresh_token, client_id=client.client_id)
    oauth_error(r, "invalid_grant")
    assert_invalid_token(server, second.access_token)
    r = token_request(server.base, grant_type="refresh_token", refresh_token=second.refresh_token, client_id=client.client_id)
    oauth_error(r, "invalid_grant")


def test_revocation_stops_the_token(server, member, callback):
    client = OAuthClient(server.mcp_url, member("revoke"), callback.url)
    connect(client).ok()
    tokens = client.tokens
    assert_token_works(server, tokens.access_token)
    r = revoke(server.base, token=tokens.access_token, token_type_hint="access_token", client_id=client.client_id)
    assert r.status_code == 200, r.text[:300]
    assert_invalid_token(server, tokens.access_token)
    # An unknown token is 200 too (RFC 7009 §2.2).
    r = revoke(server.base, token="odat_" + secrets.token_urlsafe(32), client_id=client.client_id)
    assert r.status_code == 200, r.text[:300]
    # Revoking the refresh token ends the grant: it cannot be refreshed any more.
    r = revoke(server.base, token=tokens.refresh_token, token_type_hint="refresh_token", client_id=client.client_id)
    assert r.status_code == 200, r.text[:300]
    r = token_request(server.base, grant_type="refresh_token", refresh_token=tokens.refresh_token, client_id=client.client_id)
    oauth_error(r, "invalid_grant")


def test_step_up_from_orders_read_to_orders_write(server, member, callback, sim):
    m = member("stepup")
    client = OAuthClient(server.mcp_url, m, callback.url)
    client.choices = {"scopes": {"orders:read"}}
    orders = connect(client).ok()["orders"]
    assert set(client.tokens.scope.split()) == {"orders:read"}, client.tokens.scope
    order_id = str(orders[0]["id"])

    client.choices = {}  # allow what the consent page offers
    note = f"step-up {secrets.token_hex(3)}"
    result = connect(client, "orders_add_note", {"store": "41001", "order_id": order_id, "note": note})
    assert result.ok()["order"]["order_history"][-1]["note"] == note, result.raw

    denied = [e for e in client.exchanges if e.status == 403]
    assert len(denied) == 1, client.paths()
    header = denied[0].response_headers.get("www-authenticate", "")
    assert 'error="insufficient_scope"' in header and "orders:write" in header, header
    assert len(client.authorize_urls) == 2, client.authorize_urls
    second_scope = urllib.parse.parse_qs(urllib.parse.urlsplit(client.authorize_urls[1]).query)["scope"][0].split()
    assert {"orders:read", "orders:write"} <= set(second_scope), second_scope
    again = m.authorizations[1]
    assert not again.signed_in, "the web session should skip the sign-in page"
    assert again.consent.scopes.get("orders:write") is True, again.consent.scopes
    assert len(m.sink.to(m.email)) == 1, "the step-up sent another mail"
    assert "orders:write" in client.tokens.scope.split(), client.tokens.scope
    assert client.requests_to("/oauth/register") and len(client.requests_to("/oauth/register")) == 1


# ---------------------------------------------------------------------------------------------
# Negatives over real HTTP
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def raw_client(server, callback):
    return register_client(server.base, callback.url)


def test_pkce_verifier_missing_or_wrong(server, member, callback, raw_client):
    m = member("pkce")
    cid = raw_client["client_id"]
    code, verifier = fresh_code(server, m, cid, callback.url)
    oauth_error(exchange(server, code, None, cid, callback.url), "invalid_request", "invalid_grant")
    code, verifier = fresh_code(server, m, cid, callback.url)
    oauth_error(exchange(server, code, pkce_pair()[0], cid, callback.url), "invalid_grant")
    # The failed attempt burnt the code: the right verifier is too late.
    oauth_error(exchange(server, code, verifier, cid, callback.url), "invalid_grant")
    # A plain or missing challenge never gets a code: a 400 page whose link (not a redirect) takes
    # invalid_request, the state and iss back to the client.
    for extra in ({"code_challenge_method": "plain"}, {"code_challenge": None, "code_challenge_method": None}):
        url, state = authorize_url(server.base, cid, callback.url, "x" * 43, **extra)
        q = refusal_page(server, url, callback, "invalid_request", state)
    # The link is an ordinary link to the client: following it delivers the error there.
    target = callback.url + "?" + urllib.parse.urlencode({k: v[0] for k, v in q.items()})
    before = len(callback.hits)
    assert httpx2.get(target, timeout=HTTP_TIMEOUT).status_code == 200
    assert len(callback.hits) == before + 1 and callback.hits[-1]["error"] == ["invalid_request"], callback.hits[-1]


def test_code_reuse_is_refused_and_revokes_what_it_issued(server, member, callback, raw_client):
    m = member("reuse")
    cid = raw_client["client_id"]
    code, verifier = fresh_code(server, m, cid, callback.url)
    first = exchange(server, code, verifier, cid, callback.url)
    assert first.status_code == 200, first.text[:300]
    body = first.json()
    assert body["token_type"].lower() == "bearer" and body["access_token"].startswith("odat_"), body
    assert isinstance(body.get("expires_in"), int) and body["refresh_token"].startswith("odrt_"), body
    assert_token_works(server, body["access_token"])
    oauth_error(exchange(server, code, verifier, cid, callback.url), "invalid_grant")
    assert_invalid_token(server, body["access_token"])


def test_redirect_uri_mismatch_and_unknown_client_at_authorize_are_error_pages(server, member, callback, cimd):
    m = member("redirect")
    cid = cimd.url("/client.json")
    _, challenge = pkce_pair()
    for wrong in (callback.url + "x", f"http://127.0.0.1:{free_port()}/callback", "https://evil.example/callback"):
        url, _ = authorize_url(server.base, cid, wrong, challenge)
        error_page(url, callback)
    # The browser, too, stays on the server's error page.
    url, _ = authorize_url(server.base, cid, "https://evil.example/callback", challenge)
    m.browser.get(url)
    assert m.browser.url.startswith(server.base), m.browser.url
    assert not m.on_signin_page() and not m.on_consent_page()
    # Unknown clients: a client id nobody registered, a metadata URL that is not there.
    for unknown in ("no-such-client-" + secrets.token_hex(4), cimd.url("/no-such-document.json")):
        url, _ = authorize_url(server.base, unknown, callback.url, challenge)
        error_page(url, callback)
    # The right redirect URI gets the sign-in page (the refusals above were the URI's doing).
    url, _ = authorize_url(server.base, cid, callback.url, challenge)
    r = httpx2.get(url, timeout=HTTP_TIMEOUT, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/signin?request="), (r.status_code, r.headers)


def test_redirect_uri_mismatch_for_a_registered_client_at_authorize_and_at_token(server, member, callback, raw_client):
    m = member("redirect-dcr")
    cid = raw_client["client_id"]
    _, challenge = pkce_pair()
    for wrong in (callback.url + "x", "https://evil.example/callback"):
        url, _ = authorize_url(server.base, cid, wrong, challenge)
        error_page(url, callback)
    # At the token endpoint: the code was issued for callback.url.
    code, verifier = fresh_code(server, m, cid, callback.url)
    oauth_error(exchange(server, code, verifier, cid, callback.url + "?x=1"), "invalid_grant")


def test_token_for_another_resource_is_refused(server, other_server, member, callback, raw_client):
    m = member("audience")
    cid = raw_client["client_id"]
    code, verifier = fresh_code(server, m, cid, callback.url)
    r = exchange(server, code, verifier, cid, callback.url)
    assert r.status_code == 200, r.text[:300]
    token = r.json()["access_token"]
    assert_token_works(server, token)
    assert_invalid_token(other_server, token)  # same database, other PUBLIC_BASE_URL: not its audience

    # Asking server 1 for server 2's resource: invalid_target at authorize...
    _, challenge = pkce_pair()
    url, state = authorize_url(server.base, cid, callback.url, challenge, resource=other_server.base + "/mcp")
    refusal_page(server, url, callback, "invalid_target", state)
    # ... and at the token endpoint.
    code, verifier = fresh_code(server, m, cid, callback.url)
    r = token_request(
        server.base,
        grant_type="authorization_code",
        code=code,
        code_verifier=verifier,
        client_id=cid,
        redirect_uri=callback.url,
        resource=other_server.base + "/mcp",
    )
    oauth_error(r, "invalid_target", "invalid_grant")


def _start_sign_in(server, m: Member, cid: str, callback: CallbackServer) -> str:
    """Authorize → sign-in page → e-mail submitted; returns the link from the mail."""
    _, challenge = pkce_pair()
    url, _ = authorize_url(server.base, cid, callback.url, challenge)
    m.browser.get(url)
    m.browser.wait(m.on_signin_page, what="the sign-in page")
    already = len(m.sink.to(m.email))
    m.submit_email()
    _, link = m.receive_link(already)
    return link


def _cookie_header(browser: Browser) -> dict[str, str]:
    return {"Cookie": "; ".join(f"{c['name']}={c['value']}" for c in browser.driver.get_cookies())}


def test_expired_and_reused_magic_links(server, member, callback, cimd, db, browsers):
    cid = cimd.url("/client.json")
    # Expired: the link's row is moved into the past (as the owner); the page refuses it.
    m = member("expired")
    link = _start_sign_in(server, m, cid, callback)
    token = urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)["token"][0]
    updated = psql(
        db.super_url,
        "UPDATE orderdesk.magic_links SET created_at = now() - interval '2 hours', expires_at = now() - interval '1 hour' "
        f"WHERE email = '{m.email}' AND used_at IS NULL RETURNING 1;",
    ).split()
    assert updated == ["1"], updated
    r = httpx2.get(link, headers=_cookie_header(m.browser), timeout=HTTP_TIMEOUT, follow_redirects=False)
    assert 400 <= r.status_code < 500 and "location" not in r.headers, f"{r.status_code} {r.headers.get('location')}"
    m.browser.get(link)
    assert not m.on_consent_page() and "__Host-odmcp_web" not in m.browser.cookies(), m.browser.text()[:300]

    # Reused: the first visit signs in, a second one (same or another browser) is refused.
    m2 = member("reused")
    link = _start_sign_in(server, m2, cid, callback)
    m2.browser.get(link)
    m2.browser.wait(m2.on_consent_page, what="consent after the link")
    assert "__Host-odmcp_web" in m2.browser.cookies()
    sessions_before = psql(db.super_url, "SELECT count(*) FROM orderdesk.sessions;").strip()
    r = httpx2.get(link, headers=_cookie_header(m2.browser), timeout=HTTP_TIMEOUT, follow_redirects=False)
    assert 400 <= r.status_code < 500 and "location" not in r.headers, f"{r.status_code} {r.headers.get('location')}"
    other = browsers("other")
    other.get(link)
    assert not (other.has("allow") and other.has("client-name")), other.text()[:300]
    assert "__Host-odmcp_web" not in other.cookies()
    assert psql(db.super_url, "SELECT count(*) FROM orderdesk.sessions;").strip() == sessions_before

    # Another browser (no binding cookie) cannot use a fresh, unused link either.
    m3 = member("binding")
    link = _start_sign_in(server, m3, cid, callback)
    third = browsers("thief")
    third.get(link)
    assert not (third.has("allow") and third.has("client-name")), third.text()[:300]
    # ... and it was not consumed: the right browser still signs in with it.
    m3.browser.get(link)
    m3.browser.wait(m3.on_consent_page, what="consent in the browser that asked")


def _set_cookie(r: httpx2.Response, name: str) -> str | None:
    for header in r.headers.get_list("set-cookie"):
        if header.startswith(name + "="):
            return header.split("=", 1)[1].split(";", 1)[0]
    return None


def _form_fields(html_text: str) -> dict[str, str]:
    import re

    return {m.group(1): m.group(2) for m in re.finditer(r'<input[^>]*name="(request|csrf)"[^>]*value="([^"]*)"', html_text)}


def test_csrf_missing_or_wrong_is_403_and_non_members_get_the_same_page(server, member, callback, cimd, sink):
    m = member("csrf")
    cid = cimd.url("/client.json")
    _, challenge = pkce_pair()
    url, _ = authorize_url(server.base, cid, callback.url, challenge)
    # By hand, cookies included: httpx's jar never sends `Secure` cookies over http.
    r = httpx2.get(url, timeout=HTTP_TIMEOUT, follow_redirects=False)
    assert r.status_code == 303 and "/signin?request=" in r.headers["location"], (r.status_code, r.headers)
    browser = _set_cookie(r, "__Host-odmcp_browser")
    assert browser, r.headers.get_list("set-cookie")
    SECRETS.add_oauth_secret("cookie __Host-odmcp_browser", browser)
    page = httpx2.get(
        urllib.parse.urljoin(server.base, r.headers["location"]),
        headers={"Cookie": f"__Host-odmcp_browser={browser}"},
        timeout=HTTP_TIMEOUT,
    )
    assert page.status_code == 200, page.text[:300]
    for header in ("content-security-policy", "x-frame-options", "referrer-policy", "cache-control"):
        assert header in page.headers, f"sign-in page without {header}"
    binding = _set_cookie(page, "__Host-odmcp_signin")
    assert binding, page.headers.get_list("set-cookie")
    fields = _form_fields(page.text)
    assert set(fields) == {"request", "csrf"}, fields
    cookie = {"Cookie": f"__Host-odmcp_signin={binding}; __Host-odmcp_browser={browser}"}

    def post(form: dict, headers: dict | None = cookie) -> httpx2.Response:
        return httpx2.post(server.base + "/signin", data=form, headers=headers, timeout=HTTP_TIMEOUT, follow_redirects=False)

    before = len(sink.to(m.email))
    for csrf in (None, "", fields["csrf"][:-2] + ("xx" if not fields["csrf"].endswith("xx") else "yy")):
        form = {"request": fields["request"], "email": m.email}
        if csrf is not None:
            form["csrf"] = csrf
        r = post(form)
        assert r.status_code == 403, f"csrf={csrf!r}: {r.status_code} {r.text[:200]}"
    # The right token without its binding cookie (the request's browser cookie is there).
    r = post({**fields, "email": m.email}, headers={"Cookie": f"__Host-odmcp_browser={browser}"})
    assert r.status_code == 403, f"no binding cookie: {r.status_code} {r.text[:200]}"
    time.sleep(1.0)
    assert len(sink.to(m.email)) == before, "a sign-in POST without a valid CSRF token sent mail"

    # With the token: 303 and one mail; a non-member gets the same 303 and no mail.
    r = post({**fields, "email": m.email})
    assert r.status_code == 303 and "/signin/sent" in r.headers["location"], (r.status_code, r.headers)
    sink.wait_for(m.email, before + 1)
    stranger = f"stranger-{secrets.token_hex(3)}@example.test"
    r2 = post({**fields, "email": stranger})
    assert (r2.status_code, r2.headers.get("location")) == (r.status_code, r.headers.get("location"))
    time.sleep(1.5)
    assert sink.to(stranger) == []
    assert len(sink.to(m.email)) == before + 1

    # Consent POST without the CSRF token, in a signed-in browser: 403, no redirect.
    b = m.browser
    link = _start_sign_in(server, m, cid, callback)
    b.get(link)
    b.wait(m.on_consent_page, what="consent")
    fields = _form_fields(b.driver.page_source)
    r = httpx2.post(
        server.base + "/consent",
        data={"request": fields["request"], "decision": "allow", "stores": "all", "scope": "orders:read"},
        headers=_cookie_header(b),
        timeout=HTTP_TIMEOUT,
        follow_redirects=False,
    )
    assert r.status_code == 403 and "location" not in r.headers, f"{r.status_code} {r.headers.get('location')}"
    consent_url = b.url
    before = len(callback.hits)
    b.post_form_without('form[action="/consent"]', "csrf")
    b.by_id("allow").click()
    time.sleep(1.0)
    assert len(callback.hits) == before and b.url.startswith(server.base), b.url
    # The untouched form still works: the 403s were the token's doing.
    b.get(consent_url)
    b.wait(m.on_consent_page, what="consent again")
    b.by_id("allow").click()
    b.wait(lambda: len(callback.hits) == before + 1, what="the redirect to the client")
    assert "code" in callback.hits[-1], callback.hits[-1]


def test_a_request_is_answered_only_in_the_browser_that_started_it(server, member, callback, raw_client, db, tenants, sink):
    """A pending request is bound to the browser that started it (`__Host-odmcp_browser`, set by
    /oauth/authorize). Someone who learnt its id (it is in the mail and the URLs) and is signed in to
    a tenant in another browser gets a 403 page on the sign-in and consent pages and cannot answer it,
    not even with a valid consent CSRF token; the browser that started it still finishes it, and the
    client's code is for that browser's member and tenant."""
    cid = raw_client["client_id"]
    victim, intruder = member("victim"), member("intruder", tenant="beta")
    # The intruder holds a web session (tenant beta) of their own: a pass of their own, denied.
    _, challenge = pkce_pair()
    url, _ = authorize_url(server.base, cid, callback.url, challenge)
    intruder.authorize(url, allow=False)
    ib = intruder.browser
    assert {"__Host-odmcp_web", "__Host-odmcp_browser"} <= set(ib.cookies()), sorted(ib.cookies())

    # The victim's client starts a request in the victim's browser; its id leaks.
    verifier, challenge = pkce_pair()
    url, state = authorize_url(server.base, cid, callback.url, challenge)
    vb = victim.browser
    vb.get(url)
    vb.wait(victim.on_signin_page, what="the sign-in page")
    rid = urllib.parse.parse_qs(urllib.parse.urlsplit(vb.url).query)["request"][0]
    SECRETS.add_oauth_secret("authorization request id", rid)
    victim_browser = vb.cookies()["__Host-odmcp_browser"]["value"]
    assert victim_browser != ib.cookies()["__Host-odmcp_browser"]["value"]
    hits = len(callback.hits)

    # In the intruder's (signed-in) browser: the consent and sign-in pages of that request are 403.
    for path in (f"/consent?request={rid}", f"/signin?request={rid}"):
        ib.get(server.base + path)
        assert "another browser" in ib.h1().lower(), (path, ib.text()[:300])
        assert not intruder.on_consent_page() and not intruder.on_signin_page(), ib.text()[:300]
        r = httpx2.get(server.base + path, headers=_cookie_header(ib), timeout=HTTP_TIMEOUT, follow_redirects=False)
        assert r.status_code == 403 and "location" not in r.headers, (path, r.status_code, r.headers.get("location"))
        assert 'id="allow"' not in r.text and 'name="csrf"' not in r.text, r.text[:300]

    # Even with a valid consent token for that request and the intruder's session (obtained here by
    # presenting the victim's browser value, as if it had leaked too), Allow and Deny are refused
    # from the intruder's browser and from one without the cookie.
    cookies = {c["name"]: c["value"] for c in ib.driver.get_cookies()}
    web = cookies["__Host-odmcp_web"]
    SECRETS.add_oauth_secret("cookie __Host-odmcp_web", web)
    page = httpx2.get(
        server.base + f"/consent?request={rid}",
        headers={"Cookie": f"__Host-odmcp_web={web}; __Host-odmcp_browser={victim_browser}"},
        timeout=HTTP_TIMEOUT,
    )
    assert page.status_code == 200 and 'id="allow"' in page.text, (page.status_code, page.text[:300])
    form = _form_fields(page.text)
    assert form.get("request") == rid and form.get("csrf"), form
    for cookie in (f"__Host-odmcp_web={web}; __Host-odmcp_browser={cookies['__Host-odmcp_browser']}", f"__Host-odmcp_web={web}"):
        for decision in ("allow", "deny"):
            r = httpx2.post(
                server.base + "/consent",
                data={**form, "decision": decision, "scope": "orders:read", "stores": "all"},
                headers={"Cookie": cookie},
                timeout=HTTP_TIMEOUT,
                follow_redirects=False,
            )
            assert r.status_code == 403 and "location" not in r.headers, (decision, r.status_code, r.headers.get("location"))
            assert "another browser" in r.text, r.text[:300]
    # Nor can the intruder's browser ask for a sign-in mail carrying the request.
    signin = httpx2.get(server.base + "/signin", headers=_cookie_header(ib), timeout=HTTP_TIMEOUT)
    csrf = _form_fields(signin.text)["csrf"]
    mails = len(sink.to(victim.email))
    r = httpx2.post(
        server.base + "/signin",
        data={"request": rid, "csrf": csrf, "email": victim.email},
        headers=_cookie_header(ib),
        timeout=HTTP_TIMEOUT,
        follow_redirects=False,
    )
    assert r.status_code == 403 and "location" not in r.headers, (r.status_code, r.headers.get("location"))
    time.sleep(1.0)
    assert len(sink.to(victim.email)) == mails and len(callback.hits) == hits, "the other browser got somewhere"
    beta_grants = psql(
        db.super_url,
        f"SELECT count(*) FROM orderdesk.oauth_grants WHERE tenant_id = '{tenants['beta'].id}' AND client_id = '{cid}';",
    ).strip()
    assert beta_grants == "0", beta_grants

    # The victim's browser finishes the same request: sign-in, link, consent, a code for tenant alpha.
    victim.submit_email()
    _, link = victim.receive_link(mails)
    vb.get(link)
    vb.wait(victim.on_consent_page, what="the consent page after the link")
    assert urllib.parse.parse_qs(urllib.parse.urlsplit(vb.url).query)["request"] == [rid], vb.url
    vb.by_id("allow").click()
    vb.wait(lambda: len(callback.hits) == hits + 1, what="the redirect to the client")
    q = callback.hits[-1]
    assert q.get("state") == [state] and q.get("iss") == [server.base] and q.get("code"), q
    SECRETS.add_oauth_secret("authorization code", q["code"][0])
    r = exchange(server, q["code"][0], verifier, cid, callback.url)
    assert r.status_code == 200, r.text[:300]
    token = r.json()["access_token"]
    assert_token_works(server, token, "41001")
    result = tool_payload(modern_tool_call(server.mcp_url, token, "orders_list", {"store": BETA_STORE}))
    assert result.get("isError") and result["structuredContent"]["error"]["code"] == "not_found", result


def test_a_non_printable_state_or_client_id_is_a_400_page_never_a_500(server, callback, raw_client):
    """state is 1–1024 VSCHAR (0x20–0x7E): a NUL (which PostgreSQL cannot even store), a control
    character, DEL, a non-ASCII letter or 1025 characters is a 400 page whose return link carries no
    state; a NUL in client_id or redirect_uri is a 400 page before anything is trusted (no link)."""
    cid = raw_client["client_id"]
    _, challenge = pkce_pair()
    failures = page_failures(server)
    for bad in ("\x00", "abc\x00def", "tab\there", "\x1b[31m", "\x7f", "caf\u00e9", "x" * 1025):
        url, _ = authorize_url(server.base, cid, callback.url, challenge, state=bad)
        refusal_page(server, url, callback, "invalid_request", None)
    for url in (
        authorize_url(server.base, cid + "\x00", callback.url, challenge)[0],
        authorize_url(server.base, cid, callback.url + "\x00", challenge)[0],
    ):
        r = error_page(url, callback)
        assert "Return to the application" not in r.text, r.text[:500]
    # Printable states are kept (the refusals above were the characters' doing).
    for good in ("a b~!{}", "y" * 1024):
        url, _ = authorize_url(server.base, cid, callback.url, challenge, state=good)
        r = httpx2.get(url, timeout=HTTP_TIMEOUT, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/signin?request="), (r.status_code, r.text[:300])
    assert page_failures(server) == failures, "a refused parameter ended as a failed page (500) in the log"


def test_a_grant_limited_to_one_store_reaches_only_that_store(server, member, callback, tenants):
    client = OAuthClient(server.mcp_url, member("onestore"), callback.url)
    client.choices = {"stores": ["41001"]}
    connect(client).ok()
    token = client.tokens.access_token
    assert_token_works(server, token, "41001")
    for store in ("41002", BETA_STORE):  # the tenant's other store, and another tenant's store
        r = modern_tool_call(server.mcp_url, token, "orders_list", {"store": store})
        assert r.status_code == 200, r.text[:300]
        result = tool_payload(r)
        assert result.get("isError") and result["structuredContent"]["error"]["code"] == "not_found", result
        assert store not in result["structuredContent"]["error"]["message"].split("Registered stores")[-1], result
    r = modern_tool_call(server.mcp_url, token, "stores_list", {})
    listed = [s["store_id"] for s in tool_payload(r)["structuredContent"]["stores"]]
    assert listed == ["41001"], listed


def test_a_full_grant_never_reaches_another_tenants_store(server, member, callback, tenants):
    client = OAuthClient(server.mcp_url, member("fullgrant"), callback.url)
    connect(client).ok()
    token = client.tokens.access_token
    r = modern_tool_call(server.mcp_url, token, "orders_list", {"store": BETA_STORE})
    result = tool_payload(r)
    assert result.get("isError") and result["structuredContent"]["error"]["code"] == "not_found", result


def test_huge_and_slow_cimd_documents_are_refused_on_an_error_page(server, cimd, callback):
    _, challenge = pkce_pair()
    for path in ("/huge.json", "/huge-stream.json"):
        before = len(cimd.requests())
        url, _ = authorize_url(server.base, cimd.url(path), callback.url, challenge)
        error_page(url, callback)
        assert f"GET {path}" in cimd.requests()[before:], f"{path} was never fetched"
    seconds = CIMD_TIMEOUT_MS / 1000 + 2
    url, _ = authorize_url(server.base, cimd.url(f"/slow.json?seconds={seconds}"), callback.url, challenge)
    started = time.monotonic()
    error_page(url, callback)
    assert time.monotonic() - started < seconds, "the server waited for the slow document to finish"
    for path in ("/redirect.json", "/mismatch.json"):
        url, _ = authorize_url(server.base, cimd.url(path), callback.url, challenge)
        error_page(url, callback)


def _assert_page_headers(r: httpx2.Response, form_action_extra: str | None = None) -> None:
    csp = r.headers.get("content-security-policy", "")
    for directive in ("default-src 'none'", "frame-ancestors 'none'", "base-uri 'none'", "style-src 'self'"):
        assert directive in csp, f"{r.request.url}: CSP {csp!r} lacks {directive!r}"
    form_action = next((d.strip() for d in csp.split(";") if d.strip().startswith("form-action")), "")
    assert "'self'" in form_action, csp
    if form_action_extra:
        assert form_action_extra in form_action.split(), f"consent CSP {csp!r} must allow the redirect origin"
    else:
        assert form_action.split() == ["form-action", "'self'"], csp
    assert r.headers.get("x-frame-options", "").upper() == "DENY", r.headers
    assert r.headers.get("referrer-policy") == "no-referrer", r.headers
    assert "no-store" in r.headers.get("cache-control", ""), r.headers
    assert r.headers.get("x-content-type-options") == "nosniff", r.headers


def _assert_cookie_flags(r: httpx2.Response, name: str) -> str:
    header = next((h for h in r.headers.get_list("set-cookie") if h.startswith(name + "=")), None)
    assert header, f"{r.request.url}: no {name} cookie in {r.headers.get_list('set-cookie')}"
    attrs = {a.strip().split("=", 1)[0].lower(): a.strip() for a in header.split(";")[1:]}
    assert {"secure", "httponly", "samesite", "path"} <= set(attrs), header
    assert attrs["samesite"].lower() == "samesite=lax" and attrs["path"] == "Path=/" and "domain" not in attrs, header
    return header.split("=", 1)[1].split(";", 1)[0]


def test_pages_by_hand_headers_cookies_and_the_redirect(server, member, callback, cimd, sink):
    """The whole page flow without a browser: every page's security headers, the cookies' flags, the
    consent CSP naming the redirect origin, and Allow's 303 carrying code, state and iss."""
    m = member("headers")
    _, challenge = pkce_pair()
    url, state = authorize_url(server.base, cimd.url("/client.json"), callback.url, challenge)
    r = httpx2.get(url, timeout=HTTP_TIMEOUT, follow_redirects=False)
    assert r.status_code == 303, r.text[:300]
    browser = _assert_cookie_flags(r, "__Host-odmcp_browser")
    SECRETS.add_oauth_secret("cookie __Host-odmcp_browser", browser)
    signin = httpx2.get(
        urllib.parse.urljoin(server.base, r.headers["location"]),
        headers={"Cookie": f"__Host-odmcp_browser={browser}"},
        timeout=HTTP_TIMEOUT,
    )
    assert signin.status_code == 200 and 'id="send-link"' in signin.text, signin.text[:300]
    _assert_page_headers(signin)
    binding = _assert_cookie_flags(signin, "__Host-odmcp_signin")
    css = httpx2.get(server.base + "/assets/site.css", timeout=HTTP_TIMEOUT)
    assert css.status_code == 200 and css.headers.get("content-type", "").startswith("text/css"), css.headers
    fields = _form_fields(signin.text)
    cookie = {"Cookie": f"__Host-odmcp_signin={binding}; __Host-odmcp_browser={browser}"}
    before = len(sink.to(m.email))
    sent = httpx2.post(
        server.base + "/signin", data={**fields, "email": m.email}, headers=cookie, timeout=HTTP_TIMEOUT, follow_redirects=False
    )
    assert sent.status_code == 303 and sent.headers["location"].startswith("/signin/sent"), (sent.status_code, sent.headers)
    sent_page = httpx2.get(urllib.parse.urljoin(server.base, sent.headers["location"]), headers=cookie, timeout=HTTP_TIMEOUT)
    assert sent_page.status_code == 200 and "Check your mail" in sent_page.text, sent_page.text[:300]
    _assert_page_headers(sent_page)
    _, link = m.receive_link(before)
    landing = httpx2.get(link, headers=cookie, timeout=HTTP_TIMEOUT, follow_redirects=False)
    assert landing.status_code == 303 and landing.headers["location"].startswith("/consent?request="), landing.headers
    web = _assert_cookie_flags(landing, "__Host-odmcp_web")
    SECRETS.add_oauth_secret("cookie __Host-odmcp_web", web)
    session = {"Cookie": f"__Host-odmcp_signin={binding}; __Host-odmcp_browser={browser}; __Host-odmcp_web={web}"}
    consent = httpx2.get(urllib.parse.urljoin(server.base, landing.headers["location"]), headers=session, timeout=HTTP_TIMEOUT)
    assert consent.status_code == 200 and 'id="allow"' in consent.text, consent.text[:300]
    _assert_page_headers(consent, form_action_extra=f"http://127.0.0.1:{callback.port}")
    assert CimdHost.CLIENT_NAME in consent.text
    form = _form_fields(consent.text)
    allow = httpx2.post(
        server.base + "/consent",
        data={**form, "decision": "allow", "scope": "orders:read", "stores": "all"},
        headers=session,
        timeout=HTTP_TIMEOUT,
        follow_redirects=False,
    )
    assert allow.status_code == 303, (allow.status_code, allow.text[:300])
    target = allow.headers["location"]
    assert target.startswith(callback.url + "?"), target
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(target).query)
    assert q["state"] == [state] and q["iss"] == [server.base] and len(q["code"][0]) >= 43, q
    SECRETS.add_oauth_secret("authorization code", q["code"][0])
    # The request is consumed: posting the same form again does not issue a second code.
    again = httpx2.post(
        server.base + "/consent",
        data={**form, "decision": "allow", "scope": "orders:read", "stores": "all"},
        headers=session,
        timeout=HTTP_TIMEOUT,
        follow_redirects=False,
    )
    assert "code=" not in again.headers.get("location", ""), again.headers


def _grant_of(db, token: str) -> str:
    rows = psql(
        db.super_url,
        "SELECT grant_id::text FROM orderdesk.oauth_tokens "
        f"WHERE token_hash = sha256(convert_to('{token}', 'UTF8'));",
    ).split()
    assert len(rows) == 1, rows
    return rows[0]


def test_deny_redirects_access_denied_and_the_grants_page_revokes(server, member, callback, cimd, db, tenants):
    m = member("grants")
    cid = cimd.url("/client.json")
    _, challenge = pkce_pair()
    url, state = authorize_url(server.base, cid, callback.url, challenge)
    denied = m.authorize(url, allow=False).redirect
    assert denied.get("error") == ["access_denied"] and "code" not in denied, denied
    assert denied.get("state") == [state] and denied.get("iss") == [server.base], denied
    # Deny is audited (oauth.grant_denied, by the member), with no grant behind it.
    rows = psql_json(
        db.super_url,
        "SELECT action, outcome, target, params, tenant_id::text AS tenant FROM orderdesk.audit_log "
        f"WHERE actor = 'member:{m.email}' AND action LIKE 'oauth.%'",
    )
    assert len(rows) == 1 and rows[0]["action"] == "oauth.grant_denied" and rows[0]["outcome"] == "ok", rows
    params = rows[0]["params"]
    assert params.get("client_id") == cid and params.get("scopes") == ["orders:read"], params
    assert state not in json.dumps(params) and rows[0]["tenant"] == tenants["alpha"].id, rows

    # Allowed through the provider (legacy session mode this time), then revoked on the grants page.
    client = OAuthClient(server.mcp_url, m, callback.url, client_metadata_url=cid)
    assert connect(client, mode="legacy").ok()["orders"]
    token = client.tokens.access_token
    assert not m.authorizations[-1].signed_in, "the web session from the denied pass should skip sign-in"
    grant = _grant_of(db, token)
    b = m.browser
    b.get(server.base + "/account/grants")
    b.wait(lambda: b.has(f"revoke-{grant}"), what=f"the revoke button of grant {grant}")
    rows = b.all_css("tr[data-grant-id]")
    assert grant in [r.get_attribute("data-grant-id") for r in rows], [r.text for r in rows]
    assert_token_works(server, token)
    b.by_id(f"revoke-{grant}").click()
    b.wait(lambda: not b.has(f"revoke-{grant}"), what="the grant shown as revoked")
    assert_invalid_token(server, token)
    r = token_request(server.base, grant_type="refresh_token", refresh_token=client.tokens.refresh_token, client_id=cid)
    oauth_error(r, "invalid_grant")


def test_sign_in_mail_is_limited_per_address(other_server, member, sink):
    """other_server keeps the default SIGNIN_PER_ADDRESS_PER_HOUR (5): the sixth request for one
    address gets the same answer and no mail."""
    m = member("limit")
    page = httpx2.get(other_server.base + "/signin", timeout=HTTP_TIMEOUT)
    assert page.status_code == 200, page.text[:300]
    binding = _set_cookie(page, "__Host-odmcp_signin")
    csrf = _form_fields(page.text)["csrf"]
    answers = []
    for _ in range(6):
        r = httpx2.post(
            other_server.base + "/signin",
            data={"csrf": csrf, "email": m.email},
            headers={"Cookie": f"__Host-odmcp_signin={binding}"},
            timeout=HTTP_TIMEOUT,
            follow_redirects=False,
        )
        answers.append((r.status_code, r.headers.get("location")))
    assert answers == [(303, "/signin/sent")] * 6, answers
    sink.wait_for(m.email, 5)
    time.sleep(1.5)
    assert len(sink.to(m.email)) == 5, f"{len(sink.to(m.email))} mails for 6 requests (limit 5 per hour)"


def test_grants_recorded_and_audited(server, db, tenants):
    """After the flows above: every grant of tenant alpha is audited as oauth.grant_created."""
    grants = psql_json(
        db.super_url, f"SELECT id::text AS id FROM orderdesk.oauth_grants WHERE tenant_id = '{tenants['alpha'].id}'"
    )
    if not grants:
        pytest.skip("no grant was created by the selected tests")
    audited = psql(
        db.super_url,
        f"SELECT coalesce(target, '') || ' ' || params::text FROM orderdesk.audit_log WHERE action = 'oauth.grant_created' AND tenant_id = '{tenants['alpha'].id}';",
    )
    missing = [g["id"] for g in grants if g["id"] not in audited]
    assert not missing, f"grants without an oauth.grant_created audit row: {missing}"


def test_no_oauth_secret_in_the_servers_logs(server, other_server):
    """Codes, tokens, link tokens, request ids and cookies this module saw: never in a log line."""
    if not SECRETS.oauth_secrets:
        pytest.skip("no OAuth secret was handed out by the selected tests")
    logs = {p.name: p.read_text(errors="replace") for s in (server, other_server) for p in (s.stdout_path, s.stderr_path)}
    assert any(logs.values()), "no server log was captured"
    found = [f"{label} in {name}" for label, value in SECRETS.oauth_secrets.items() for name, text in logs.items() if value in text]
    assert not found, found
