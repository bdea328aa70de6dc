"""/healthz and /readyz."""

import time

import httpx2
import pytest

from e2e_support import create_database, drop_database, migrate, psql


@pytest.mark.parametrize("replica", ["r1", "r2"])
def test_healthz_and_readyz(request, replica):
    server = request.getfixturevalue(replica)
    h = httpx2.get(server.base_url + "/healthz", timeout=10)
    assert h.status_code == 200, h.text
    assert h.json() == {"status": "ok"}
    r = httpx2.get(server.base_url + "/readyz", timeout=10)
    assert r.status_code == 200, r.text


def _poll_status(url: str, want: int, seconds: float = 15.0) -> httpx2.Response:
    deadline = time.monotonic() + seconds
    while True:
        r = httpx2.get(url, timeout=20)
        if r.status_code == want or time.monotonic() > deadline:
            return r
        time.sleep(0.3)


def test_readyz_503_when_migrations_not_current_or_database_unreachable(bin_dir, pg_env, migrations_dir, start_server):
    """A replica on its own database: /readyz follows the ledger and reachability; /healthz stays 200."""
    database = create_database(pg_env["ODMCP_ADMIN_DATABASE_URL"], pg_env["ODMCP_PG_SOCKET_DIR"], pg_env["ODMCP_PG_PORT"], "e2e_ready")
    server = None
    try:
        migrate(bin_dir, database, migrations_dir)
        server = start_server("ready-probe", database=database)
        ready = server.base_url + "/readyz"
        assert httpx2.get(ready, timeout=20).status_code == 200

        # Forget the newest migration in the ledger: the database is no longer current.
        latest = psql(database.super_url, "SELECT version FROM public.schema_migrations ORDER BY version DESC LIMIT 1;").strip()
        saved = psql(
            database.super_url,
            f"SELECT name || '|' || checksum FROM public.schema_migrations WHERE version = '{latest}';",
        ).strip()
        psql(database.super_url, f"DELETE FROM public.schema_migrations WHERE version = '{latest}';")
        r = _poll_status(ready, 503)
        assert r.status_code == 503, f"/readyz with migration {latest} pending: {r.status_code} {r.text[:300]}"
        assert httpx2.get(server.base_url + "/healthz", timeout=10).status_code == 200

        name, checksum = saved.split("|", 1)
        psql(
            database.super_url,
            f"INSERT INTO public.schema_migrations (version, name, checksum) VALUES ('{latest}', '{name}', '{checksum}');",
        )
        r = _poll_status(ready, 200)
        assert r.status_code == 200, f"/readyz after restoring the ledger: {r.status_code} {r.text[:300]}"

        # Database unreachable: refuse new connections and end the existing ones.
        psql(database.admin_url, f'ALTER DATABASE "{database.name}" WITH ALLOW_CONNECTIONS false;')
        psql(
            database.admin_url,
            f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{database.name}' AND pid <> pg_backend_pid();",
        )
        r = _poll_status(ready, 503, seconds=30)
        assert r.status_code == 503, f"/readyz with the database unreachable: {r.status_code} {r.text[:300]}"
        h = httpx2.get(server.base_url + "/healthz", timeout=20)
        assert h.status_code == 200, f"/healthz must only say the process is up: {h.status_code}"
    finally:
        if server is not None:
            server.stop()
        drop_database(database)
