"""Fixtures of the end-to-end suite: a fresh PostgreSQL database, the OrderDesk simulator, tenants
created with the operator CLI, and `orderdesk-mcp serve` replicas — all real processes.

Environment (set by `make test`; found by sourcing scripts/pg-env.sh when missing):
  ODMCP_ADMIN_DATABASE_URL  superuser URL of the local cluster
  ODMCP_PG_SOCKET_DIR, ODMCP_PG_PORT
  ODMCP_BIN_DIR             directory holding the built orderdesk-mcp and orderdesk-sim
  ODMCP_MIGRATIONS_DIR      optional, default <repo>/migrations
  E2E_KEEP_DATABASE=1       keep the e2e_<random> database for inspection (drop it by hand)
  ODMCP_E2E_PGBOUNCER_PORT  port of the transaction-mode pgbouncer (scripts/pgbouncer.sh, same socket
                            directory); when set, every server replica and the operator CLI connect
                            through it with DB_PREPARED_STATEMENTS=unnamed (migrations stay direct)
Logs of every process stay in pytest's temporary directory (its path is printed at the end).
"""

from __future__ import annotations

import atexit
import json
import os
import secrets
import signal
import subprocess
from pathlib import Path

import pytest

from e2e_support import (
    ALLOWED_ORIGIN,
    CLI,
    ORDER_OBSERVATIONS,
    ORDER_READ_TOOLS,
    RECORDER,
    RawClient,
    canonical_tool,
    REPO_ROOT,
    SECRETS,
    Server,
    Simulator,
    Tenant,
    clean_env,
    create_database,
    drop_database,
    migrate,
    random_b64_key,
    stop_all_processes,
)

atexit.register(stop_all_processes)

AUTH_CACHE_TTL_SECONDS = 2
AUTH_FAILURES_PER_MINUTE = 20
_LOG_DIR: list[Path] = []


def _interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def pytest_configure(config):
    # A SIGTERM (make interrupted, CI timeout) unwinds like Ctrl-C, so fixtures stop every child
    # process and drop the database instead of leaving them behind.
    signal.signal(signal.SIGTERM, _interrupt)


def pytest_collection_modifyitems(config, items):
    """Tests marked `final` (the secrets and audit sweep) run after everything else."""
    items.sort(key=lambda item: 1 if item.get_closest_marker("final") else 0)


def pytest_terminal_summary(terminalreporter):
    metrics = order_metrics()
    if metrics:
        if _LOG_DIR:
            path = _LOG_DIR[0] / "order-metrics.json"
            path.write_text(json.dumps(metrics, indent=2))
            metrics["file"] = str(path)
        c, u = metrics["cache"], metrics.get("upstream") or {}
        terminalreporter.write_line(
            "e2e order metrics: cache hit rate {hit_rate:.1%} ({hits} of {reads} successful orders_get/orders_list "
            "calls; get {get_hits}/{get_reads}, list {list_hits}/{list_reads}); upstream calls saved by the cache: "
            "{hits}".format(**c)
            + (
                f"; upstream requests to the order simulator: {u.get('total')} (GET {u.get('GET', 0)}, "
                f"PUT {u.get('PUT', 0)}, POST {u.get('POST', 0)}, DELETE {u.get('DELETE', 0)}; "
                f"409 answers to PUT: {u.get('put_409', 0)}, 429: {u.get('status_429', 0)}, 503: {u.get('status_503', 0)})"
                if u
                else ""
            )
        )
        up = metrics["updates"]
        if up["update_calls_observed"]:
            terminalreporter.write_line(
                f"e2e order metrics: update conflict retries observed: {up['conflict_retries']} over "
                f"{up['update_calls_observed']} orders_update calls whose upstream traffic was checked "
                f"({up['conflicts_given_up']} gave up with `conflict` after the configured retries)"
            )
        if "file" in metrics:
            terminalreporter.write_line(f"e2e order metrics written to {metrics['file']}")
    if _LOG_DIR:
        terminalreporter.write_line(f"e2e: server and simulator logs in {_LOG_DIR[0]}")


def _pg_env() -> dict[str, str]:
    keys = ("ODMCP_ADMIN_DATABASE_URL", "ODMCP_PG_SOCKET_DIR", "ODMCP_PG_PORT")
    if all(os.environ.get(k) for k in keys):
        return {k: os.environ[k] for k in keys}
    out = subprocess.run(
        ["bash", "-c", f"source {REPO_ROOT}/scripts/pg-env.sh >/dev/null && env -0"],
        capture_output=True,
        check=True,
    ).stdout.decode()
    env = dict(line.split("=", 1) for line in out.split("\0") if "=" in line)
    return {k: os.environ.get(k) or env[k] for k in keys}


def _bin_dir() -> Path:
    if os.environ.get("ODMCP_BIN_DIR"):
        return Path(os.environ["ODMCP_BIN_DIR"])
    for candidate in (REPO_ROOT / ".build" / "debug", REPO_ROOT / ".build" / "release"):
        if (candidate / "orderdesk-mcp").exists():
            return candidate
    pytest.exit("ODMCP_BIN_DIR is not set and no built orderdesk-mcp was found under .build/", returncode=4)


@pytest.fixture(scope="session")
def bin_dir() -> Path:
    d = _bin_dir()
    for exe in ("orderdesk-mcp", "orderdesk-sim"):
        if not (d / exe).exists():
            pytest.exit(f"{d / exe} does not exist: build the package first", returncode=4)
    return d


@pytest.fixture(scope="session")
def log_dir(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("e2e-logs")
    _LOG_DIR.append(d)
    return d


@pytest.fixture(scope="session")
def pg_env() -> dict[str, str]:
    return _pg_env()


@pytest.fixture(scope="session")
def migrations_dir() -> str:
    return os.environ.get("ODMCP_MIGRATIONS_DIR") or str(REPO_ROOT / "migrations")


@pytest.fixture(scope="session")
def db(bin_dir, pg_env, migrations_dir):
    """A fresh database `e2e_<random>`, migrated; dropped after the whole session."""
    database = create_database(pg_env["ODMCP_ADMIN_DATABASE_URL"], pg_env["ODMCP_PG_SOCKET_DIR"], pg_env["ODMCP_PG_PORT"])
    try:
        migrate(bin_dir, database, migrations_dir)
        yield database
    finally:
        stop_all_processes()  # no server may hold a connection while the database is dropped
        if os.environ.get("E2E_KEEP_DATABASE") == "1":
            print(f"\ne2e: kept database {database.name} (E2E_KEEP_DATABASE=1)")
        else:
            drop_database(database)


@pytest.fixture(scope="session")
def server_secrets() -> dict[str, str]:
    SECRETS.pepper_b64 = random_b64_key(32)
    SECRETS.encryption_key_b64 = random_b64_key(32)
    return {"MASTER_KEY_PEPPER": SECRETS.pepper_b64, "ENCRYPTION_KEY": SECRETS.encryption_key_b64}


# OrderDesk store ids served by the simulator, each with a key generated for this run.
SIM_STORE_IDS = ("41001", "41002", "41003", "41004")


@pytest.fixture(scope="session")
def sim(bin_dir, log_dir):
    stores = {sid: SECRETS.add_store_key(f"odsim-e2e-{sid}-{secrets.token_hex(16)}") for sid in SIM_STORE_IDS}
    s = Simulator(bin_dir, log_dir, stores)
    yield s
    s.stop()


@pytest.fixture(scope="session")
def cli(bin_dir, db, server_secrets) -> CLI:
    return CLI(bin_dir, db, server_secrets["MASTER_KEY_PEPPER"])


@pytest.fixture(scope="session")
def make_tenant(cli):
    counter = iter(range(1, 10_000))

    def make(label: str = "tenant") -> Tenant:
        return cli.create_tenant(f"e2e {label} {next(counter)} {secrets.token_hex(3)}")

    return make


@pytest.fixture(scope="session")
def start_server(bin_dir, log_dir, db, sim, server_secrets):
    """Factory: start one `serve` replica with the suite's defaults, overridable per replica."""
    started: list[Server] = []

    def start(replica_id: str, database=None, **overrides: str) -> Server:
        env = clean_env()
        env.update(server_secrets)
        env.update((database or db).app_env)
        env.update(
            {
                "ORDERDESK_BASE_URL": sim.api_url,
                "HOST": "127.0.0.1",
                "PORT": "0",
                "REPLICA_ID": replica_id,
                "ALLOWED_ORIGINS": ALLOWED_ORIGIN,
                "AUTH_CACHE_TTL_SECONDS": str(AUTH_CACHE_TTL_SECONDS),
                "AUTH_FAILURES_PER_MINUTE": str(AUTH_FAILURES_PER_MINUTE),
                # Every test client is 127.0.0.1; test_unauthenticated_budget.py runs its own replica.
                "UNAUTHENTICATED_PER_MINUTE": "1000000",
                "UNAUTHENTICATED_BURST": "1000000",
                "RATE_LIMIT_PER_MINUTE": "120",
                "RATE_LIMIT_BURST": "240",
                "LOG_LEVEL": "debug",
            }
        )
        env.update({k: str(v) for k, v in overrides.items()})
        server = Server(replica_id, bin_dir, log_dir, env)
        started.append(server)
        return server

    yield start
    for s in started:
        s.stop()


@pytest.fixture(scope="session")
def replicas(start_server) -> tuple[Server, Server]:
    """Two replicas on one database: r1 and r2."""
    return start_server("r1"), start_server("r2")


@pytest.fixture(scope="session")
def r1(replicas) -> Server:
    return replicas[0]


@pytest.fixture(scope="session")
def r2(replicas) -> Server:
    return replicas[1]


# ---------------------------------------------------------------------------------------------
# Order tools (issue 5): a simulator of their own, two replicas tuned for tests, and metrics.
# ---------------------------------------------------------------------------------------------

# OrderDesk store ids of the order simulator: each order test claims its own (`claim_store_id`),
# so request-log assertions filtered by store id see only that test's traffic.
ORDER_SIM_STORE_IDS = tuple(str(42001 + i) for i in range(80))
ORDER_CACHE_TTL_SECONDS = 120  # long: "cached" assertions must not depend on test speed
ORDER_SERVER_ENV = {
    # Upstream shaping must not interfere with tests that make many calls (test_orders_upstream
    # starts its own replicas for the shaping test).
    "UPSTREAM_BUCKET_BURST": "1000",
    "UPSTREAM_BUCKET_PER_SECOND": "1000",
    "UPSTREAM_MAX_WAIT_MS": "2000",
    # Fast retries: 503/429 backoff 50 ms · 2^n; conflict (409) backoff 50 ms · 2^n.
    "ORDERDESK_RETRY_BASE_MS": "50",
    "ORDERDESK_CONFLICT_BASE_MS": "50",
    "ORDERDESK_MAX_RETRIES": "3",
    "ORDERDESK_CONFLICT_RETRIES": "5",
    "ORDER_CACHE_TTL_SECONDS": str(ORDER_CACHE_TTL_SECONDS),
    "ORDER_LIST_CACHE_TTL_SECONDS": str(ORDER_CACHE_TTL_SECONDS),
    # The tenant limit is tested in test_rate_limit.py; here it must not refuse the 20 concurrent
    # updates or the pagination walk.
    "RATE_LIMIT_PER_MINUTE": "6000",
    "RATE_LIMIT_BURST": "3000",
}

_ORDER_UPSTREAM_STATS: dict = {}


@pytest.fixture(scope="session")
def orders_sim(bin_dir, log_dir):
    """The OrderDesk simulator of the order tests (its own process, so its request log holds only
    order traffic), seeded with 30 orders per store, upstream rate limit off (429s are injected)."""
    stores = {sid: SECRETS.add_store_key(f"odsim-e2e-orders-{sid}-{secrets.token_hex(16)}") for sid in ORDER_SIM_STORE_IDS}
    s = Simulator(bin_dir, log_dir, stores, name="orderdesk-sim-orders", orders=30)
    yield s
    try:
        log = s.requests()
        by_method: dict[str, int] = {}
        for r in log:
            by_method[r["method"]] = by_method.get(r["method"], 0) + 1
        _ORDER_UPSTREAM_STATS.update(
            total=len(log),
            put_409=sum(1 for r in log if r["method"] == "PUT" and r["status"] == 409),
            injected_409=sum(1 for r in log if r["method"] == "PUT" and r.get("fault") == "conflict_on_put"),
            status_429=sum(1 for r in log if r["status"] == 429),
            status_503=sum(1 for r in log if r["status"] == 503),
            **by_method,
        )
    except Exception:  # noqa: BLE001 - metrics only
        pass
    s.stop()


@pytest.fixture(scope="session")
def claim_store_id():
    """Factory: a store id of the order simulator no other test has used."""
    free = list(ORDER_SIM_STORE_IDS)

    def claim() -> str:
        if not free:
            raise RuntimeError("no free order-simulator store id left: add some to ORDER_SIM_STORE_IDS")
        return free.pop(0)

    return claim


@pytest.fixture(scope="session")
def order_replicas(start_server, orders_sim):
    """Two replicas `o1`, `o2` on the suite's database, talking to the order simulator."""
    env = {"ORDERDESK_BASE_URL": orders_sim.api_url, **ORDER_SERVER_ENV}
    return start_server("o1", **env), start_server("o2", **env)


@pytest.fixture(scope="session")
def o1(order_replicas):
    return order_replicas[0]


@pytest.fixture(scope="session")
def o2(order_replicas):
    return order_replicas[1]


@pytest.fixture(scope="session")
def order_tenant(make_tenant, orders_sim, claim_store_id, o1):
    """Factory: a new tenant with one registered store of the order simulator (a fresh store id)
    → (tenant, store row as stores_register returned it)."""

    def make(label: str, *, name: str | None = None, server=None) -> tuple:
        t = make_tenant(label)
        sid = claim_store_id()
        with RawClient((server or o1).mcp_url, t.master_key, tenant_id=t.id) as c:
            c.open()
            store = c.tool(
                "stores_register",
                {"store_id": sid, "api_key": orders_sim.stores[sid], "name": name or f"{label} {sid}"},
            ).ok()["store"]
        return t, store

    return make


def order_metrics() -> dict:
    """Cache hit rate over every successful orders_get/orders_list result the suite received, plus
    the order simulator's request counts (collected when it stopped)."""
    reads = [c for c in RECORDER.calls if canonical_tool(c.tool) in ORDER_READ_TOOLS and c.cached is not None]
    if not reads:
        return {}
    gets = [c for c in reads if canonical_tool(c.tool) == "orders_get"]
    lists = [c for c in reads if canonical_tool(c.tool) == "orders_list"]
    hits = sum(1 for c in reads if c.cached)
    cache = {
        "reads": len(reads),
        "hits": hits,
        "hit_rate": hits / len(reads),
        "get_reads": len(gets),
        "get_hits": sum(1 for c in gets if c.cached),
        "list_reads": len(lists),
        "list_hits": sum(1 for c in lists if c.cached),
        "upstream_calls_saved": hits,
    }
    return {"cache": cache, "upstream": dict(_ORDER_UPSTREAM_STATS), "updates": dict(ORDER_OBSERVATIONS)}
