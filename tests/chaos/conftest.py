"""Fixtures of the chaos suite. The e2e suite's fixtures (database, simulator, CLI, tenants,
`start_server`) are reused as a plugin: tests/e2e/conftest.py is loaded under the module name
`odmcp_e2e_conftest`, exactly as the fuzz suite does, so nothing in tests/e2e is copied or changed.

Run it with scripts/chaos.sh, never by hand against the project's cluster: the suite restarts and
stops PostgreSQL. The script starts a throwaway cluster and sets
  ODMCP_CHAOS_PG_DIR        the cluster this suite may restart (must equal ODMCP_PG_DIR)
  ODMCP_PG_DIR, ODMCP_PG_PORT, ODMCP_PG_SOCKET_DIR, ODMCP_ADMIN_DATABASE_URL, ODMCP_PG_OSUSER, ODMCP_PG_BIN
  CHAOS_MODE=short|long     the budget (chaos_support.BUDGET)
and ODMCP_BIN_DIR as for the e2e suite.

The tests (each module's docstring says what it asserts):
  test_postgres_outage.py    pg_ctl restart -m fast and stop/start under load; a stop under in-flight calls
  test_pool_recovery.py      a pool of 2 under 16 sessions survives repeated restarts (issue 11)
  test_replica_kill.py       SIGKILL of one of two replicas; sessions and active stores continue on the other
  test_upstream_storms.py    upstream slower than the timeout, 429 and 500/503 storms, a client storm
  test_graceful_shutdown.py  SIGTERM with calls in flight
  test_tenant_hang.py        one tenant's OrderDesk hangs; another tenant's calls on the same replica keep their latency
Bugs found are kept as strict xfails (the exact scenario, asserting the correct behaviour), as in
tests/fuzz/test_regressions.py: when the server is fixed they XPASS and fail the run; then delete
the marker. Each test's measurements are printed at the end (`chaos: …` lines).
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import time
from pathlib import Path

import pytest

_E2E_DIR = Path(__file__).resolve().parents[1] / "e2e"
sys.path.insert(0, str(_E2E_DIR))  # e2e_support
sys.path.insert(0, str(Path(__file__).resolve().parent))  # chaos_support

if "odmcp_e2e_conftest" not in sys.modules:
    _spec = importlib.util.spec_from_file_location("odmcp_e2e_conftest", _E2E_DIR / "conftest.py")
    _module = importlib.util.module_from_spec(_spec)
    sys.modules["odmcp_e2e_conftest"] = _module
    _spec.loader.exec_module(_module)

pytest_plugins = ["odmcp_e2e_conftest"]

from e2e_support import SECRETS, RawClient, Simulator  # noqa: E402
from chaos_support import BUDGET, MODE, PgCluster  # noqa: E402

SHARED_CLUSTER_PORT = "55432"

# Limits high enough that neither the tenant rate limit, the upstream bucket nor the per-tenant cap
# on concurrent upstream calls refuses the load (the accepted maxima, as in the fuzz suite); a long
# auth cache, so argon2 runs once per key; a short order cache, so reads go both to the cache and
# upstream. (test_tenant_hang.py sets the cap back to its default: it is what that test is about.)
CHAOS_SERVER_ENV = {
    "RATE_LIMIT_PER_MINUTE": "1000000",
    "RATE_LIMIT_BURST": "1000000",
    "AUTH_FAILURES_PER_MINUTE": "100000",
    "UNAUTHENTICATED_PER_MINUTE": "1000000",
    "UNAUTHENTICATED_BURST": "1000000",
    "AUTH_CACHE_TTL_SECONDS": "60",
    "UPSTREAM_BUCKET_BURST": "100000",
    "UPSTREAM_BUCKET_PER_SECOND": "100000",
    "UPSTREAM_MAX_WAIT_MS": "2000",
    "UPSTREAM_MAX_CONCURRENT_PER_TENANT": "1000",
    "ORDERDESK_MAX_RETRIES": "1",
    "ORDERDESK_RETRY_BASE_MS": "50",
    "ORDERDESK_TIMEOUT_MS": "10000",
    "ORDER_CACHE_TTL_SECONDS": "2",
    "ORDER_LIST_CACHE_TTL_SECONDS": "2",
    "LOG_LEVEL": "info",
}

# Store ids of the chaos suite's own simulator (upstream storms): one per load client, so a
# store's request log holds exactly one client's calls.
STORM_STORE_IDS = tuple(str(43001 + i) for i in range(24))


def pytest_configure(config):
    pg_dir = os.environ.get("ODMCP_PG_DIR", "")
    allowed = os.environ.get("ODMCP_CHAOS_PG_DIR", "")
    port = os.environ.get("ODMCP_PG_PORT", "")
    if not pg_dir or pg_dir != allowed or port == SHARED_CLUSTER_PORT or not port:
        raise pytest.UsageError(
            "the chaos suite restarts PostgreSQL: run it with `bash scripts/chaos.sh` (a throwaway cluster), "
            f"not against ODMCP_PG_DIR={pg_dir!r} port {port!r}"
        )


def pytest_report_header(config):
    return f"chaos: mode {MODE}, {BUDGET}; cluster {os.environ.get('ODMCP_PG_DIR')} port {os.environ.get('ODMCP_PG_PORT')}"


_TIMINGS: dict[str, float] = {}
_NOTES: list[str] = []


def note(line: str) -> None:
    """A line for the terminal summary (what a test measured)."""
    _NOTES.append(line)


@pytest.fixture(autouse=True)
def _timed(request):
    started = time.monotonic()
    yield
    _TIMINGS[request.node.name] = round(time.monotonic() - started, 1)


def pytest_terminal_summary(terminalreporter):
    if _TIMINGS:
        terminalreporter.write_line(f"chaos ({MODE}): seconds per test {json.dumps(_TIMINGS)}")
    for line in _NOTES:
        terminalreporter.write_line(f"chaos: {line}")


@pytest.fixture(scope="session")
def cluster(log_dir, pg_env) -> PgCluster:
    data = Path(os.environ["ODMCP_PG_DIR"]) / "data"
    bin_dir = Path(os.environ.get("ODMCP_PG_BIN") or sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1])
    osuser = os.environ.get("ODMCP_PG_OSUSER") or ("postgres" if os.geteuid() == 0 else os.environ.get("USER", ""))
    c = PgCluster(data, pg_env["ODMCP_PG_PORT"], pg_env["ODMCP_PG_SOCKET_DIR"], osuser, bin_dir, log_dir)
    assert c.accepting(), f"the chaos cluster ({data}) is not accepting connections"
    yield c
    c.ensure_up()  # the session's database is dropped after this


@pytest.fixture
def pg_guard(cluster):
    """For tests that stop or restart PostgreSQL: whatever happens, it runs again afterwards."""
    yield cluster
    cluster.ensure_up()


@pytest.fixture(scope="session")
def storm_sim(bin_dir, log_dir):
    """The suite's own simulator for upstream faults (its request log holds only storm traffic)."""
    import secrets

    stores = {sid: SECRETS.add_store_key(f"odsim-chaos-{sid}-{secrets.token_hex(16)}") for sid in STORM_STORE_IDS}
    s = Simulator(bin_dir, log_dir, stores, name="orderdesk-sim-chaos", orders=20)
    yield s
    s.stop()


@pytest.fixture(scope="session")
def claim_storm_stores():
    free = list(STORM_STORE_IDS)

    def claim(n: int) -> list[str]:
        if len(free) < n:
            raise RuntimeError("no free storm store id left: add some to STORM_STORE_IDS")
        taken, free[:] = free[:n], free[n:]
        return taken

    return claim


def register(server, tenant, sim, store_id: str, name: str) -> dict:
    with RawClient(server.mcp_url, tenant.master_key, tenant_id=tenant.id) as c:
        c.open()
        return c.tool("stores_register", {"store_id": store_id, "api_key": sim.stores[store_id], "name": name}).ok()["store"]


def order_ids(sim, store_id: str, n: int = 20) -> list[str]:
    r = sim.api("GET", "/orders", store_id, params={"limit": n})
    r.raise_for_status()
    return [str(o["id"]) for o in r.json()["orders"]]
