"""Unauthenticated traffic cannot write rows at request rate (issue 11, defect 6): per client address
a replica admits UNAUTHENTICATED_BURST requests without a valid credential that would write (an
unauthenticated initialize, a refused key's audit row, a refused login by tool), then answers 429
with Retry-After and writes neither a session nor an audit row. (A refused key has by then been
looked up and counted in auth_failure_buckets, a write capped per address by
AUTH_FAILURES_PER_MINUTE.) A valid key is never charged."""

import pytest

from e2e_support import LATEST_VERSION, RawClient, psql

BURST = 3


@pytest.fixture(scope="module")
def limited(start_server):
    server = start_server("unauth-budget", UNAUTHENTICATED_BURST=str(BURST), UNAUTHENTICATED_PER_MINUTE="1")
    server.wait_ready()
    return server


@pytest.fixture(scope="module")
def tenant(make_tenant):
    return make_tenant("unauth-budget")


def _count(db, sql: str) -> int:
    return int(psql(db.super_url, sql).strip())


def test_unauthenticated_initialize_beyond_the_budget_writes_nothing(limited, tenant, db):
    for i in range(BURST):
        with RawClient(limited.mcp_url, None) as c:
            assert c.initialize().status_code == 200, f"initialize {i + 1} of the burst"
    sessions_before = _count(db, "SELECT count(*) FROM orderdesk.sessions")
    audit_before = _count(db, "SELECT count(*) FROM orderdesk.audit_log WHERE replica_id = 'unauth-budget'")
    with RawClient(limited.mcp_url, None) as c:
        r = c.initialize()
        assert r.status_code == 429, r.text[:300]
        assert int(r.headers["retry-after"]) >= 1
        err = r.json()["error"]
        assert err["code"] == -32001 and err["data"]["code"] == "rate_limited", err
        assert not r.headers.get("mcp-session-id")
        # Refused keys from the same address are refused without an audit row now.
        with RawClient(limited.mcp_url, "odmk_" + "B" * 43) as bad:
            assert bad.initialize().status_code == 429
    assert _count(db, "SELECT count(*) FROM orderdesk.sessions") == sessions_before
    assert _count(db, "SELECT count(*) FROM orderdesk.audit_log WHERE replica_id = 'unauth-budget'") == audit_before
    # A valid key is never charged against the address's budget.
    with RawClient(limited.mcp_url, tenant.master_key) as c:
        c.open()
        assert c.tool("stores_list").ok() is not None
