"""Authentication and authorization: 401 with a Bearer challenge (audited, no key material),
session authentication with tenant_use_master_key, sessions bound to one tenant, revoked keys and
disabled tenants refused within the auth cache TTL, read-scoped keys refused on writes.

Clients that fail authentication on purpose connect from distinct loopback addresses
(127.0.0.x), as distinct clients would, so the server's per-IP brute-force limit never turns an
expected 401 into a 429."""

import itertools
import json
import time

import pytest

from conftest import AUTH_CACHE_TTL_SECONDS, AUTH_FAILURES_PER_MINUTE
from e2e_support import (
    TOOL_NAMES,
    RawClient,
    mcp_session,
    psql_json,
    run,
    wrong_master_key,
)

REVOCATION_SLACK_SECONDS = 5
_ips = (f"127.0.0.{n}" for n in itertools.count(20))


def next_ip() -> str:
    return next(_ips)


def _audit(db, request_id):
    return psql_json(
        db.auditor_url,
        f"SELECT action, outcome, error_code, tenant_id::text AS tenant_id, params, actor, user_agent, client_ip::text AS client_ip "
        f"FROM orderdesk.audit_events WHERE correlation_id = '{request_id}' ORDER BY id",
    )


def _assert_401(r, what, *, initialize=False):
    assert r.status_code == 401, f"{what}: {r.status_code} {r.text[:300]}"
    assert r.headers.get("www-authenticate", "").lower().startswith("bearer"), f"{what}: WWW-Authenticate {r.headers.get('www-authenticate')!r}"
    body = r.json()
    assert body.get("jsonrpc") == "2.0" and isinstance(body.get("error"), dict), f"{what}: body {r.text[:300]}"
    if initialize:
        assert not r.headers.get("mcp-session-id"), f"{what}: a session id was issued"


def _assert_auth_failed_audited(db, r, secret=None):
    rows = _audit(db, r.headers["x-request-id"])
    assert len(rows) == 1, f"expected one auth.failed row for {r.headers['x-request-id']}, got {rows}"
    assert rows[0]["action"] == "auth.failed" and rows[0]["outcome"] in ("denied", "error"), rows
    if secret:
        text = json.dumps(rows)
        assert secret not in text and secret[5:21] not in text, f"key material in the audit row: {rows}"


def _refused(r, *, secrets=()):
    """An HTTP-level refusal (401/403), or a tool result with isError unauthorized/forbidden; in
    either case none of `secrets` (e.g. the other tenant's store uuid) appears in the answer."""
    for s in secrets:
        assert s not in r.text, f"refused answer leaks {s!r}: {r.text[:300]}"
    if r.status_code in (401, 403):
        return True
    assert r.status_code == 200, r.text[:300]
    result = r.json().get("result") or {}
    code = ((result.get("structuredContent") or {}).get("error") or {}).get("code")
    return bool(result.get("isError")) and code in ("unauthorized", "forbidden")


@pytest.fixture(scope="module")
def tenant_a(make_tenant, r1, sim):
    a = make_tenant("auth-A")
    with RawClient(r1.mcp_url, a.master_key, tenant_id=a.id) as c:
        c.open()
        store = c.tool("stores_register", {"store_id": "41004", "api_key": sim.stores["41004"], "name": "Auth Store"}).ok()["store"]
    a.store = store
    return a


@pytest.fixture(scope="module")
def tenant_b(make_tenant):
    return make_tenant("auth-B")


# --- 401 --------------------------------------------------------------------------------------------


def test_wrong_key_is_401_with_challenge_and_audited(r1, db, tenant_a):
    key = wrong_master_key()
    with RawClient(r1.mcp_url, key, local_address=next_ip()) as c:
        r = c.initialize()
        _assert_401(r, "initialize with an unknown master key", initialize=True)
        _assert_auth_failed_audited(db, r, key)

    with RawClient(r1.mcp_url, tenant_a.master_key, tenant_id=tenant_a.id, local_address=next_ip()) as c:
        c.open()
        r = c.call("stores_list", headers={"Authorization": f"Bearer {key}"})
        _assert_401(r, "tools/call on a valid session with an unknown master key")
        assert tenant_a.store["id"] not in r.text
        _assert_auth_failed_audited(db, r, key)
        for header in ("Bearer not-a-master-key", "Basic dXNlcjpwYXNz", "Bearer"):
            r = c.call("stores_list", headers={"Authorization": header})
            _assert_401(r, f"Authorization: {header}")
        assert c.tool("stores_list").ok()["stores"][0]["id"] == tenant_a.store["id"], "the session survives failed attempts"


def test_missing_key_is_401_when_session_auth_disabled(start_server, db, tenant_a):
    server = start_server("no-session-auth", ALLOW_SESSION_AUTH="false")
    try:
        with RawClient(server.mcp_url, None, local_address=next_ip()) as c:
            r = c.initialize()
            _assert_401(r, "initialize without Authorization (ALLOW_SESSION_AUTH=false)", initialize=True)
            _assert_auth_failed_audited(db, r)
        with RawClient(server.mcp_url, tenant_a.master_key, tenant_id=tenant_a.id) as c:
            c.open()
            assert c.tool("stores_list").ok()["stores"][0]["id"] == tenant_a.store["id"]
    finally:
        server.stop()


# --- session authentication ---------------------------------------------------------------------


def test_unbound_session_may_only_authenticate(r1, tenant_a, sim):
    with RawClient(r1.mcp_url, None, local_address=next_ip()) as c:
        c.open()
        assert c.request("ping").status_code == 200
        r = c.request("tools/list")
        assert r.status_code == 200, r.text[:300]
        assert TOOL_NAMES <= {t["name"] for t in r.json()["result"]["tools"]}
        for tool, args in (("stores_list", {}), ("stores_resolve", {"store": tenant_a.store["id"]})):
            r = c.call(tool, args)
            assert _refused(r, secrets=[tenant_a.store["id"]]), f"{tool} on an unbound session: {r.text[:300]}"
        tests_before = len(sim.requests(path="/test", store_id="41002"))
        r = c.call("stores_register", {"store_id": "41002", "api_key": sim.stores["41002"], "name": "Unbound"})
        assert _refused(r), f"stores_register on an unbound session: {r.text[:300]}"
        assert len(sim.requests(path="/test", store_id="41002")) == tests_before, "an unauthenticated write reached OrderDesk"


def test_session_auth_with_mcp_client(r1, r2, tenant_a):
    """Logging a session in by tool is a legacy feature: it needs a session (mode="legacy")."""

    async def main():
        async with mcp_session(r1.mcp_url, None, tenant_a.id, mode="legacy") as s:
            assert TOOL_NAMES <= {t.name for t in (await s.client.list_tools()).tools}
            bound = (await s.tool("tenant_use_master_key", {"master_key": tenant_a.master_key})).ok()
            assert bound == {"tenant_id": tenant_a.id, "store_count": 1}, bound
            assert tenant_a.master_key not in json.dumps(bound)
            listed = (await s.tool("stores_list")).ok()
            assert [x["id"] for x in listed["stores"]] == [tenant_a.store["id"]]
            assert (await s.tool("stores_use_store", {"store": "auth store"})).ok()["active_store"]["id"] == tenant_a.store["id"]
            assert (await s.tool("stores_list")).ok()["active_store_id"] == tenant_a.store["id"]

    run(main())


@pytest.mark.parametrize("mode", ["auto", "2026-07-28"])
def test_keyless_modern_client_has_no_session_login(r1, tenant_a, mode):
    """2026-07-28 has no session to log in: a keyless client discovers the server and lists the
    tools (no tenant_use_master_key among them), and a tool call is refused with 401."""

    async def main():
        async with mcp_session(r1.mcp_url, None, tenant_a.id, mode=mode) as s:
            assert s.client.protocol_version == "2026-07-28"
            names = {t.name for t in (await s.client.list_tools()).tools}
            assert TOOL_NAMES - {"tenant_use_master_key"} <= names and "tenant_use_master_key" not in names
            with pytest.raises(Exception) as refused:
                await s.client.call_tool("stores_list", {})
            assert "401" in str(refused.value) or "nauthorized" in str(refused.value), repr(refused.value)

    run(main())


def test_session_authenticated_by_tool_continues_on_other_replica(r1, r2, tenant_a):
    with RawClient(r1.mcp_url, None, tenant_id=tenant_a.id) as c:
        c.open()
        assert c.tool("tenant_use_master_key", {"master_key": tenant_a.master_key}).ok()["tenant_id"] == tenant_a.id
        listed = c.tool("stores_list", url=r2.mcp_url).ok()
        assert [x["id"] for x in listed["stores"]] == [tenant_a.store["id"]]


def test_session_bound_by_tool_refuses_other_tenant_key(r1, tenant_a, tenant_b):
    with RawClient(r1.mcp_url, None, tenant_id=tenant_a.id, local_address=next_ip()) as c:
        c.open()
        c.tool("tenant_use_master_key", {"master_key": tenant_a.master_key}).ok()
        r = c.call("stores_list", headers={"Authorization": f"Bearer {tenant_b.master_key}"})
        assert r.status_code in (401, 403), f"A's session under B's key: {r.status_code} {r.text[:300]}"
        assert tenant_a.store["id"] not in r.text and "Auth Store" not in r.text
        r = c.call("tenant_use_master_key", {"master_key": tenant_b.master_key})
        assert _refused(r, secrets=[tenant_a.store["id"]]) or _tool_code(r) == "conflict", f"rebinding to B: {r.text[:300]}"
        listed = c.tool("stores_list").ok()  # still A's session
        assert [x["id"] for x in listed["stores"]] == [tenant_a.store["id"]]


def _tool_code(r):
    result = r.json().get("result") or {}
    return ((result.get("structuredContent") or {}).get("error") or {}).get("code") if result.get("isError") else None


def test_bearer_session_refuses_other_tenant_key(r1, r2, tenant_a, tenant_b):
    with RawClient(r1.mcp_url, tenant_a.master_key, tenant_id=tenant_a.id, local_address=next_ip()) as c:
        c.open()
        for server in (r1, r2):
            r = c.call("stores_list", headers={"Authorization": f"Bearer {tenant_b.master_key}"}, url=server.mcp_url)
            assert r.status_code in (401, 403), f"A's session under B's key on {server.name}: {r.status_code} {r.text[:300]}"
            assert tenant_a.store["id"] not in r.text
        r = c.call("tenant_use_master_key", {"master_key": tenant_b.master_key})
        assert _refused(r, secrets=[tenant_a.store["id"]]) or _tool_code(r) == "conflict", f"rebinding to B: {r.text[:300]}"
        assert [x["id"] for x in c.tool("stores_list").ok()["stores"]] == [tenant_a.store["id"]]


def test_wrong_key_in_tenant_use_master_key(r1, tenant_a):
    key = wrong_master_key()
    with RawClient(r1.mcp_url, None, local_address=next_ip()) as c:
        c.open()
        r = c.call("tenant_use_master_key", {"master_key": key})
        assert _refused(r), f"tenant_use_master_key with an unknown key: {r.text[:300]}"
        assert key not in r.text
        r = c.call("stores_list")
        assert _refused(r, secrets=[tenant_a.store["id"]]), "the session must stay unbound"


# --- revocation, disabled tenants, scopes ----------------------------------------------------------


def _poll_until_refused(client: RawClient, deadline: float, refusals=(401, 403)) -> float:
    start = time.monotonic()
    while True:
        r = client.call("stores_list")
        if r.status_code in refusals:
            return time.monotonic() - start
        assert r.status_code == 200 and not r.json()["result"].get("isError"), f"unexpected answer: {r.status_code} {r.text[:300]}"
        assert time.monotonic() < deadline, "still accepted after the TTL and slack"
        time.sleep(0.25)


def test_revoked_key_refused_within_ttl(r1, r2, cli, make_tenant):
    t = make_tenant("revoke")
    extra = cli.create_key(t)
    key = extra["master_key"]
    clients = [RawClient(s.mcp_url, key, tenant_id=t.id, local_address=next_ip()) for s in (r1, r2)]
    try:
        for c in clients:
            c.open()
            assert c.tool("stores_list").ok() == {"stores": [], "active_store_id": None}  # now cached on both replicas
        cli.revoke_key(t, extra["key_id"])
        t0 = time.monotonic()
        deadline = t0 + AUTH_CACHE_TTL_SECONDS + REVOCATION_SLACK_SECONDS
        for c in clients:
            _poll_until_refused(c, deadline)
        elapsed = time.monotonic() - t0
        assert elapsed <= AUTH_CACHE_TTL_SECONDS + REVOCATION_SLACK_SECONDS
        r = clients[0].call("stores_list")
        assert r.status_code == 401, f"revoked key accepted again: {r.status_code}"
    finally:
        for c in clients:
            c.close()
    with RawClient(r1.mcp_url, key, local_address=next_ip()) as c:
        _assert_401(c.initialize(), "initialize with a revoked key", initialize=True)
    with RawClient(r2.mcp_url, t.master_key, tenant_id=t.id) as c:
        c.open()
        c.tool("stores_list").ok()  # the tenant's other key still works


def test_disabled_tenant_refused_within_ttl(r1, cli, make_tenant):
    t = make_tenant("disable")
    with RawClient(r1.mcp_url, t.master_key, tenant_id=t.id, local_address=next_ip()) as c:
        c.open()
        c.tool("stores_list").ok()
        cli.disable_tenant(t)
        # 404 counts too: the disabled tenant's sessions are gone, and re-initializing is refused below.
        _poll_until_refused(c, time.monotonic() + AUTH_CACHE_TTL_SECONDS + REVOCATION_SLACK_SECONDS, (401, 403, 404))
    deadline = time.monotonic() + AUTH_CACHE_TTL_SECONDS + REVOCATION_SLACK_SECONDS
    with RawClient(r1.mcp_url, t.master_key, local_address=next_ip()) as c:
        while True:
            r = c.initialize()
            if r.status_code in (401, 403):
                break
            assert r.status_code == 200, r.text[:300]
            assert time.monotonic() < deadline, f"initialize for a disabled tenant still accepted: {r.text[:300]}"
            time.sleep(0.25)


def test_read_scoped_key_refused_on_writes(r1, cli, tenant_a, sim):
    rk = cli.create_key(tenant_a, "read")
    assert "write" not in rk["scopes"] and "read" in rk["scopes"], rk
    with RawClient(r1.mcp_url, rk["master_key"], tenant_id=tenant_a.id) as c:
        c.open()
        assert [x["id"] for x in c.tool("stores_list").ok()["stores"]] == [tenant_a.store["id"]]
        assert c.tool("stores_resolve", {"store": "41004"}).ok()["store"]["id"] == tenant_a.store["id"]
        assert c.tool("stores_use_store", {"store": "41004"}).ok()["active_store"]["id"] == tenant_a.store["id"]

        tests_before = len(sim.requests(path="/test", store_id="41001"))
        r = c.tool("stores_register", {"store_id": "41001", "api_key": sim.stores["41001"], "name": "Not Allowed"})
        assert r.is_error and r.error_code == "forbidden", r.raw
        assert len(sim.requests(path="/test", store_id="41001")) == tests_before, "a forbidden write reached OrderDesk"
        r = c.tool("stores_delete", {"store": tenant_a.store["id"]})
        assert r.is_error and r.error_code == "forbidden", r.raw
        listed = c.tool("stores_list").ok()
        assert [x["id"] for x in listed["stores"]] == [tenant_a.store["id"]], "the store was deleted by a read key"
        assert listed["active_store_id"] == tenant_a.store["id"]


def test_failed_logins_per_address_are_limited_across_replicas(r1, r2, tenant_a):
    """AUTH_FAILURES_PER_MINUTE failed attempts from one address, spread over both replicas, and
    the next one is refused with 429 without being checked; other addresses are unaffected."""
    attacker = next_ip()
    clients = [RawClient(s.mcp_url, None, local_address=attacker) for s in (r1, r2)]
    try:
        statuses = []
        for i in range(AUTH_FAILURES_PER_MINUTE + 3):
            c = clients[i % 2]
            c.key = wrong_master_key()
            statuses.append(c.initialize().status_code)
        assert statuses[:AUTH_FAILURES_PER_MINUTE] == [401] * AUTH_FAILURES_PER_MINUTE, statuses
        assert 429 in statuses[AUTH_FAILURES_PER_MINUTE:], f"no 429 after {AUTH_FAILURES_PER_MINUTE} failures: {statuses}"
    finally:
        for c in clients:
            c.close()
    with RawClient(r1.mcp_url, tenant_a.master_key, tenant_id=tenant_a.id, local_address=next_ip()) as c:
        c.open()
        assert c.tool("stores_list").ok()["stores"][0]["id"] == tenant_a.store["id"]


def test_bearer_session_id_alone_authorizes_nothing(r1, r2, tenant_a):
    """Only tenant_use_master_key turns a session id into a credential. A session opened with a
    Bearer header needs the header on every request, so a leaked session id (proxy logs, a
    read-key holder watching a write-key session) cannot be replayed without the key."""
    with RawClient(r1.mcp_url, tenant_a.master_key, tenant_id=tenant_a.id, local_address=next_ip()) as c:
        c.open()
        for server in (r1, r2):
            r = c.request(
                "tools/call", {"name": "stores_list", "arguments": {}}, key=False, url=server.mcp_url
            )
            assert r.status_code == 401, r.text
            assert "Bearer" in r.headers.get("www-authenticate", "")
        # With the header the same session still works.
        r = c.request("tools/call", {"name": "stores_list", "arguments": {}})
        assert r.status_code == 200 and r.json()["result"]["isError"] is False


def test_a_flood_of_failed_attempts_is_counted_not_audited_row_by_row(start_server, db):
    """Unauthenticated traffic cannot grow the audit log at request rate: per client address and
    minute a replica writes AUTH_FAILURES_PER_MINUTE `auth.failed` rows; further refusals are
    counted in /metrics only (and in one summary row soon after the minute)."""
    import re

    import httpx2

    server = start_server("auth-flood")
    extra = 15
    try:
        ids = []
        with RawClient(server.mcp_url, None, local_address=next_ip()) as c:
            for _ in range(AUTH_FAILURES_PER_MINUTE + extra):
                r = c.post({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}, headers={"Authorization": "Bearer junk"})
                _assert_401(r, "malformed key")
                ids.append(r.headers["x-request-id"])
        listed = ", ".join(f"'{i}'" for i in ids)
        rows = psql_json(
            db.auditor_url,
            f"SELECT correlation_id, action FROM orderdesk.audit_events WHERE correlation_id IN ({listed}) ORDER BY id",
        )
        assert [r["correlation_id"] for r in rows] == ids[:AUTH_FAILURES_PER_MINUTE], rows
        assert {r["action"] for r in rows} == {"auth.failed"}
        text = httpx2.get(server.base_url + "/metrics", timeout=10).text
        m = re.search(r"^odmcp_auth_failure_audit_suppressed_total (\S+)$", text, re.M)
        assert m and float(m.group(1)) == extra, text[:2000]
        m = re.search(r'^odmcp_auth_failures_total\{reason="malformed"\} (\S+)$', text, re.M)
        assert m and float(m.group(1)) == AUTH_FAILURES_PER_MINUTE + extra
        # Another address still gets its row.
        with RawClient(server.mcp_url, None, local_address=next_ip()) as c:
            r = c.post({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}, headers={"Authorization": "Bearer junk"})
            _assert_auth_failed_audited(db, r)
    finally:
        server.stop()


def test_a_trusted_proxy_names_the_client_and_an_untrusted_one_does_not(start_server, db):
    """TRUSTED_PROXIES: behind a load balancer each client keeps its own failed-login budget and
    audit address; anyone else's X-Forwarded-For is ignored."""
    proxy, stranger = next_ip(), next_ip()
    server = start_server("proxied", TRUSTED_PROXIES=proxy)

    def refused(local, forwarded):
        with RawClient(server.mcp_url, wrong_master_key(), local_address=local) as c:
            return c.initialize(headers={"X-Forwarded-For": forwarded})

    try:
        # Through the proxy: the forwarded client is recorded (the rightmost untrusted hop).
        r = refused(proxy, "1.1.1.1, 198.51.100.23")
        _assert_401(r, "wrong key through the proxy", initialize=True)
        rows = _audit(db, r.headers["x-request-id"])
        assert [row["client_ip"].split("/")[0] for row in rows] == ["198.51.100.23"], rows
        # Not through the proxy: the header is ignored.
        r = refused(stranger, "198.51.100.99")
        rows = _audit(db, r.headers["x-request-id"])
        assert [row["client_ip"].split("/")[0] for row in rows] == [stranger], rows

        # One forwarded client uses up its budget; another behind the same proxy is unaffected.
        statuses = [refused(proxy, "198.51.100.50").status_code for _ in range(AUTH_FAILURES_PER_MINUTE + 1)]
        assert statuses[:AUTH_FAILURES_PER_MINUTE] == [401] * AUTH_FAILURES_PER_MINUTE and statuses[-1] == 429, statuses
        assert refused(proxy, "198.51.100.51").status_code == 401
        # A client cannot escape its budget by forging the header itself.
        statuses = [refused(stranger, f"203.0.113.{i}").status_code for i in range(AUTH_FAILURES_PER_MINUTE + 1)]
        assert statuses[-1] == 429, statuses
    finally:
        server.stop()
