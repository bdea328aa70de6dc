"""Fixtures of the fuzz suite. The e2e suite's fixtures (database, simulator, CLI, tenants,
`start_server`) are reused as a plugin: tests/e2e/conftest.py is loaded under the module name
`odmcp_e2e_conftest`, so nothing in tests/e2e is copied or changed.

Environment: as for the e2e suite (ODMCP_BIN_DIR, scripts/pg-env.sh), plus
  FUZZ_EXAMPLES            total examples over every hypothesis test (default 300 = short mode)
  FUZZ_SEED                a fixed seed (long mode is random otherwise; short mode is derandomized)
  FUZZ_DERANDOMIZE=0|1     override the mode's default
  FUZZ_MAX_RSS_MB          ceiling of the server's RSS (default 400)
  FUZZ_MAX_RSS_GROWTH_MB   allowed growth over the run (default 100)
  FUZZ_REQUEST_TIMEOUT_S   an answer slower than this is a hang (default 20)
"""

from __future__ import annotations

import importlib.util
import json
import sys
import tempfile
import time
from pathlib import Path

import pytest
from hypothesis.configuration import set_hypothesis_home_dir

# Hypothesis caches Unicode tables in ./.hypothesis by default: keep the checkout clean.
set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "orderdesk-mcp-fuzz-hypothesis")

_E2E_DIR = Path(__file__).resolve().parents[1] / "e2e"
sys.path.insert(0, str(_E2E_DIR))  # e2e_support
sys.path.insert(0, str(Path(__file__).resolve().parent))  # fuzz_support, fuzz_strategies

if "odmcp_e2e_conftest" not in sys.modules:
    _spec = importlib.util.spec_from_file_location("odmcp_e2e_conftest", _E2E_DIR / "conftest.py")
    _module = importlib.util.module_from_spec(_spec)
    sys.modules["odmcp_e2e_conftest"] = _module
    _spec.loader.exec_module(_module)

pytest_plugins = ["odmcp_e2e_conftest"]

from e2e_support import RawClient  # noqa: E402
from fuzz_support import STATS, Target, examples_for, rss_mb  # noqa: E402

# The server under fuzz: limits high enough that rate limiting never hides what a request does
# (429 stays an allowed answer, but it must not be the only one), a long auth cache so argon2 runs
# once per key, fast upstream retries.
FUZZ_SERVER_ENV = {
    "RATE_LIMIT_PER_MINUTE": "1000000",  # the maxima the server accepts
    "RATE_LIMIT_BURST": "1000000",
    "AUTH_FAILURES_PER_MINUTE": "100000",
    "UNAUTHENTICATED_PER_MINUTE": "1000000",
    "UNAUTHENTICATED_BURST": "1000000",
    "AUTH_CACHE_TTL_SECONDS": "60",  # the maximum allowed
    "UPSTREAM_BUCKET_BURST": "100000",
    "UPSTREAM_BUCKET_PER_SECOND": "100000",
    "UPSTREAM_MAX_WAIT_MS": "2000",
    "ORDERDESK_MAX_RETRIES": "1",
    "ORDERDESK_RETRY_BASE_MS": "20",
    "ORDERDESK_CONFLICT_RETRIES": "1",
    "ORDERDESK_CONFLICT_BASE_MS": "20",
    "ORDERDESK_TIMEOUT_MS": "10000",
    # A create waiting for an earlier one with the same idempotency key gives up (`conflict`) after
    # this long; the default 30 s would exceed FUZZ_REQUEST_TIMEOUT_S and look like a hang.
    "ORDER_LOCK_TIMEOUT_MS": "3000",
    "ORDER_CACHE_TTL_SECONDS": "30",
    "ORDER_LIST_CACHE_TTL_SECONDS": "30",
    "LOG_LEVEL": "info",  # debug would log every fuzzed request body (up to 4 MiB each)
}
FUZZ_STORE_IDS = ("41001", "41002")
_LOG_DIR: list[Path] = []


def pytest_collection_modifyitems(config, items):
    # Long runs outlast the e2e suite's 300 s per-test timeout: scale it with the budget.
    limit = max(300, int(examples_for("tools") * 1.5) + 120)
    for item in items:
        if not item.get_closest_marker("timeout"):
            item.add_marker(pytest.mark.timeout(limit))


@pytest.fixture(scope="session")
def fuzz_server(start_server, log_dir):
    _LOG_DIR.append(log_dir)
    return start_server("fuzz", **FUZZ_SERVER_ENV)


@pytest.fixture(scope="session")
def target(fuzz_server, make_tenant, cli, sim) -> Target:
    """The fuzz target: the server, a tenant with two registered stores, its read-only, revoked
    and another tenant's keys, the simulator's seeded order ids; RSS baseline after warm-up."""
    tenant = make_tenant("fuzz")
    other = make_tenant("fuzz other")
    read = cli.create_key(tenant, "read")
    revoked = cli.create_key(tenant)
    cli.revoke_key(tenant, revoked["key_id"])
    keys = {"valid": tenant.master_key, "read": read["master_key"], "other": other.master_key, "revoked": revoked["master_key"]}

    stores = []
    with RawClient(fuzz_server.mcp_url, tenant.master_key, tenant_id=tenant.id) as c:
        c.open()
        for sid in FUZZ_STORE_IDS:
            stores.append(c.tool("stores_register", {"store_id": sid, "api_key": sim.stores[sid], "name": f"Fuzz Store {sid}"}).ok()["store"])
    with RawClient(fuzz_server.mcp_url, other.master_key, tenant_id=other.id) as c:
        c.open()
        other_store = c.tool("stores_register", {"store_id": "41003", "api_key": sim.stores["41003"], "name": "Other Tenant Store"}).ok()["store"]

    order_ids = {}
    for sid in sim.stores:
        r = sim.api("GET", "/orders", sid, params={"limit": 50})
        r.raise_for_status()
        order_ids[sid] = [str(o["id"]) for o in r.json()["orders"]]

    t = Target(fuzz_server, keys=keys, stores=stores, order_ids=order_ids, sim_keys=dict(sim.stores))
    t.tenant = tenant
    t.other_store = other_store
    t.deleted_uuid = "00000000-0000-4000-8000-000000000000"
    # Warm up (sessions of every kind, one authentication per key) before the RSS baseline.
    for kind in ("bound", "unbound", "other", "ended"):
        t.session(kind)
    for _ in range(20):
        t.http.post(t.mcp_url, content=b'{"jsonrpc":"2.0","id":1,"method":"ping"}', headers=t.base_headers("valid", t.session("bound")))
    STATS.rss_baseline_mb = rss_mb(t.pid)
    STATS.rss_samples_mb.append(STATS.rss_baseline_mb)
    yield t
    t.http.close()


@pytest.fixture(autouse=True)
def _timed_and_checked(request):
    """Times every test; after each one that talked to the server: alive, /healthz, RSS."""
    started = time.monotonic()
    yield
    STATS.test_seconds[request.node.name] = round(time.monotonic() - started, 2)
    if "target" in request.fixturenames:
        request.getfixturevalue("target").check_alive(force=True)


def pytest_terminal_summary(terminalreporter):
    if not STATS.requests:
        return
    terminalreporter.write_line(STATS.line())
    s = STATS.summary()
    terminalreporter.write_line(f"fuzz: examples by test {s['examples_by_test']}")
    terminalreporter.write_line(f"fuzz: JSON-RPC error codes {s['jsonrpc_error_codes']}; tool error codes {s['tool_error_codes']}")
    terminalreporter.write_line(f"fuzz: tool successes {s['tool_successes']}")
    if s["notes"]:
        terminalreporter.write_line(f"fuzz: notes {s['notes']}")
    if _LOG_DIR:
        path = _LOG_DIR[0] / "fuzz-summary.json"
        path.write_text(json.dumps(s, indent=2, default=str))
        terminalreporter.write_line(f"fuzz: summary written to {path}")
