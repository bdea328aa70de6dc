"""Shared machinery of the end-to-end suite: processes, PostgreSQL, the CLI, HTTP clients that
record every `tools/call`, and the registry of secrets the final test searches for.

Nothing here asserts on server behaviour; tests do. Everything here is plain synchronous Python
except the `mcp` client helpers, which tests drive with `run(...)` (asyncio.run).
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import secrets
import signal
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import httpx2

REPO_ROOT = Path(__file__).resolve().parents[2]

SUPPORTED_VERSIONS = ("2025-03-26", "2025-06-18", "2025-11-25")  # the legacy (handshake) revisions
LATEST_VERSION = "2025-11-25"  # the newest legacy revision: what `initialize` negotiates at most
# MCP 2026-07-28: stateless, every request carries its revision (docs/e2e.md, test_protocol_2026.py).
MODERN_VERSION = "2026-07-28"
ALL_VERSIONS = (MODERN_VERSION, "2025-11-25", "2025-06-18", "2025-03-26")  # server/discover's order
META_PROTOCOL_VERSION = "io.modelcontextprotocol/protocolVersion"
META_CLIENT_CAPABILITIES = "io.modelcontextprotocol/clientCapabilities"
META_CLIENT_INFO = "io.modelcontextprotocol/clientInfo"
META_SERVER_INFO = "io.modelcontextprotocol/serverInfo"
ALLOWED_ORIGIN = "http://allowed.example"
WRITE_TOOLS = {"stores_register", "stores_delete", "orders_create", "orders_update", "orders_delete"}
WRITE_TOOLS |= {"orders_move", "orders_add_note"}  # issue 14, orders-folders
WRITE_TOOLS |= {"shipments_add", "shipments_delete"}  # issue 14, shipments
WRITE_TOOLS |= {"inventory_items_update_stock"}  # issue 14, inventory
# Tool names the server also answers to (the original product's), and the tool they are.
TOOL_ALIASES = {"products_list": "inventory_items_list", "products_get": "inventory_items_get"}
TOOL_NAMES = {
    "tenant_use_master_key",
    "stores_register",
    "stores_list",
    "stores_use_store",
    "stores_resolve",
    "stores_delete",
}
# The order tools (issue 5); the store tools above stay the set every server must list.
ORDER_TOOL_NAMES = {"orders_get", "orders_list", "orders_create", "orders_update", "orders_delete"}
ORDER_READ_TOOLS = {"orders_get", "orders_list"}
HTTP_TIMEOUT = httpx2.Timeout(30.0, read=60.0)


def run(coro):
    """Run one coroutine to completion (tests are synchronous; the `mcp` client is async)."""
    return asyncio.run(coro)


def canonical_tool(name: str) -> str:
    """`stores.list` → `stores_list`, `products_get` → `inventory_items_get` (the audit action is the
    tool's own snake_case name)."""
    snake = name.replace(".", "_")
    return TOOL_ALIASES.get(snake, snake)


# ---------------------------------------------------------------------------------------------
# Secrets: everything the final test must never find in logs, tables or pg_dump.
# ---------------------------------------------------------------------------------------------


@dataclass
class SecretRegistry:
    master_keys: list[str] = field(default_factory=list)  # valid, revoked and deliberately wrong
    store_api_keys: list[str] = field(default_factory=list)  # every api_key sent to stores_register
    session_ids: set[str] = field(default_factory=set)  # every Mcp-Session-Id the server issued
    # OAuth (issue 13, test_oauth.py): codes, access and refresh tokens, sign-in link tokens,
    # authorization request ids and web session cookies, as (label, value).
    oauth_secrets: dict[str, str] = field(default_factory=dict)
    encryption_key_b64: str = ""
    pepper_b64: str = ""

    def add_master_key(self, key: str) -> str:
        if key not in self.master_keys:
            self.master_keys.append(key)
        return key

    def add_store_key(self, key: str) -> str:
        if key not in self.store_api_keys:
            self.store_api_keys.append(key)
        return key

    def add_oauth_secret(self, label: str, value: str | None) -> str | None:
        if value and value not in self.oauth_secrets.values():
            self.oauth_secrets[f"{label} #{len(self.oauth_secrets)} ({value[:5]}…)"] = value
        return value


SECRETS = SecretRegistry()


def binary_forms(label: str, raw: bytes) -> list[tuple[str, str]]:
    """Text forms a binary secret could take in a log, a table or a dump."""
    forms = {
        raw.hex(),
        raw.hex().upper(),
        base64.b64encode(raw).decode(),
        base64.b64encode(raw).decode().rstrip("="),
        base64.urlsafe_b64encode(raw).decode(),
        base64.urlsafe_b64encode(raw).decode().rstrip("="),
    }
    return [(f"{label} ({form[:6]}…)", form) for form in sorted(forms)]


# ---------------------------------------------------------------------------------------------
# Records of every tools/call made through a recording client.
# ---------------------------------------------------------------------------------------------


@dataclass
class CallRecord:
    tool: str  # as sent (may be a dotted alias)
    status: int
    request_id: str | None
    tenant_id: str | None  # the tenant the caller acted as, if known to the test
    url: str
    jsonrpc_error: int | None = None  # JSON-RPC error code, if the answer was an error object
    is_error: bool | None = None  # result.isError
    error_code: str | None = None  # result.structuredContent.error.code
    cached: bool | None = None  # result.structuredContent.cached of a successful read (orders_get/orders_list)


class CallRecorder:
    def __init__(self) -> None:
        self.calls: list[CallRecord] = []
        self._lock = threading.Lock()

    def add(self, rec: CallRecord) -> None:
        with self._lock:
            self.calls.append(rec)

    def last(self) -> CallRecord:
        return self.calls[-1]


RECORDER = CallRecorder()


def _parse_json(data: bytes) -> Any:
    try:
        return json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return None


def _record(request: httpx2.Request, response: httpx2.Response, body: bytes | None, tenant_id: str | None) -> None:
    sid = response.headers.get("mcp-session-id")
    if sid:
        SECRETS.session_ids.add(sid)
    if request.method != "POST":
        return
    msg = _parse_json(request.content)
    if not isinstance(msg, dict) or msg.get("method") != "tools/call":
        return
    params = msg.get("params") if isinstance(msg.get("params"), dict) else {}
    rec = CallRecord(
        tool=str(params.get("name")),
        status=response.status_code,
        request_id=response.headers.get("x-request-id"),
        tenant_id=tenant_id,
        url=str(request.url),
    )
    answer = _parse_json(body) if body is not None else None
    if isinstance(answer, dict):
        if isinstance(answer.get("error"), dict):
            rec.jsonrpc_error = answer["error"].get("code")
        result = answer.get("result")
        if isinstance(result, dict):
            rec.is_error = bool(result.get("isError"))
            sc = result.get("structuredContent")
            if rec.is_error and isinstance(sc, dict) and isinstance(sc.get("error"), dict):
                rec.error_code = sc["error"].get("code")
            if not rec.is_error and isinstance(sc, dict) and isinstance(sc.get("cached"), bool):
                rec.cached = sc["cached"]
    RECORDER.add(rec)


def _is_json(response: httpx2.Response) -> bool:
    return "json" in response.headers.get("content-type", "")


def sync_hooks(tenant_id: str | None = None) -> dict:
    def on_response(response: httpx2.Response) -> None:
        body = response.read() if _is_json(response) else None
        _record(response.request, response, body, tenant_id)

    return {"response": [on_response]}


def async_hooks(tenant_id: str | None = None) -> dict:
    async def on_response(response: httpx2.Response) -> None:
        body = None
        if response.request.method == "POST" and _is_json(response):
            body = await response.aread()  # JSON answers only: an SSE stream would never end
        _record(response.request, response, body, tenant_id)

    return {"response": [on_response]}


# ---------------------------------------------------------------------------------------------
# Processes
# ---------------------------------------------------------------------------------------------

_PROCESSES: list["ManagedProcess"] = []


class ManagedProcess:
    """A child started by the suite: stdout and stderr go to files; stopped by its own pid."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log_dir: Path, ready_pattern: str):
        self.name = name
        self.stdout_path = log_dir / f"{name}.stdout"
        self.stderr_path = log_dir / f"{name}.stderr"
        self._out = open(self.stdout_path, "wb")
        self._err = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(argv, env=env, stdout=self._out, stderr=self._err, stdin=subprocess.DEVNULL)
        _PROCESSES.append(self)
        self.base_url = self._wait_for_line(ready_pattern)

    def _wait_for_line(self, pattern: str, timeout: float = 60.0) -> str:
        deadline = time.monotonic() + timeout
        regex = re.compile(pattern)
        while time.monotonic() < deadline:
            text = self.stdout_path.read_text(errors="replace")
            m = regex.search(text)
            if m:
                return m.group(1)
            if self.proc.poll() is not None:
                self.stop()
                raise RuntimeError(
                    f"{self.name} exited with {self.proc.returncode} before listening.\n"
                    f"stdout: {text[-2000:]}\nstderr: {self.stderr_tail()}"
                )
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"{self.name} did not print its listening line in {timeout}s: {self.stderr_tail()}")

    def stderr_tail(self, n: int = 4000) -> str:
        try:
            return self.stderr_path.read_text(errors="replace")[-n:]
        except OSError:
            return ""

    @property
    def running(self) -> bool:
        return self.proc.poll() is None

    def stop(self, timeout: float = 15.0) -> int | None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        for f in (self._out, self._err):
            if not f.closed:
                f.close()
        return self.proc.returncode


def stop_all_processes() -> None:
    for p in reversed(_PROCESSES):
        try:
            p.stop()
        except Exception:  # noqa: BLE001 - best effort at teardown
            pass


def all_processes() -> list[ManagedProcess]:
    return list(_PROCESSES)


class Simulator(ManagedProcess):
    def __init__(
        self,
        bin_dir: Path,
        log_dir: Path,
        stores: dict[str, str],
        *,
        name: str = "orderdesk-sim",
        orders: int = 30,
        rate_limit: bool = False,
    ):
        argv = [str(bin_dir / "orderdesk-sim"), "--port", "0", "--seed", "7", "--orders", str(orders)]
        if not rate_limit:
            argv.append("--no-rate-limit")
        for store_id, key in stores.items():
            argv += ["--store", f"{store_id}:{key}"]
        super().__init__(name, argv, dict(os.environ), log_dir, r"orderdesk-sim listening on (http://\S+)")
        self.stores = stores
        self.api_url = self.base_url + "/api/v2"

    def requests(self, **filters: str) -> list[dict]:
        r = httpx2.get(self.base_url + "/_sim/requests", params=filters, timeout=10)
        r.raise_for_status()
        return r.json()["requests"]

    # --- admin API (docs/simulator.md): faults, reset, direct API calls ---------------------------

    def fault(self, *specs: dict) -> dict:
        """Queue one or more faults (`POST /_sim/faults`), in order."""
        body: Any = specs[0] if len(specs) == 1 else list(specs)
        r = httpx2.post(self.base_url + "/_sim/faults", json=body, timeout=10)
        r.raise_for_status()
        return r.json()

    def clear_faults(self) -> int:
        r = httpx2.delete(self.base_url + "/_sim/faults", timeout=10)
        r.raise_for_status()
        return int(r.json().get("cleared", 0))

    def reset(self, reseed: bool = False) -> None:
        """Clears faults AND the request log (and with reseed the data of every store)."""
        r = httpx2.post(self.base_url + "/_sim/reset", json={"reseed": reseed}, timeout=30)
        r.raise_for_status()

    def store_info(self) -> dict[str, dict]:
        """`GET /_sim/stores`: store id → {name, orders, folders{id: name}, …} (never keys)."""
        r = httpx2.get(self.base_url + "/_sim/stores", timeout=10)
        r.raise_for_status()
        return {s["store_id"]: s for s in r.json()["stores"]}

    def mark(self) -> int:
        """Position in the request log; `since(mark, …)` returns what came after it."""
        return len(self.requests())

    def since(self, mark: int, **filters: str) -> list[dict]:
        """Requests logged after `mark`, optionally filtered like `requests` (method, path glob, store_id)."""
        logged = self.requests()[mark:]
        method, path, store_id = filters.get("method"), filters.get("path"), filters.get("store_id")
        out = []
        for r in logged:
            if method and r["method"].upper() != method.upper():
                continue
            if store_id and r.get("store_id") != store_id:
                continue
            if path and not _glob_path(path, r["path"]):
                continue
            out.append(r)
        return out

    def api(self, method: str, path: str, store_id: str, **kw) -> httpx2.Response:
        """A direct API call with the store's credentials, the way OrderDesk would be called (it
        appears in the request log like any other)."""
        headers = {"ORDERDESK-STORE-ID": store_id, "ORDERDESK-API-KEY": self.stores[store_id]}
        return httpx2.request(method, self.api_url + path, headers=headers, timeout=30, **kw)


def _glob_path(pattern: str, path: str) -> bool:
    """The simulator's path glob: `*` within one segment, `**` across segments."""
    if pattern in ("*", "**"):
        return True
    rx = re.escape(pattern).replace(r"\*\*", "\0").replace(r"\*", "[^/]*").replace("\0", ".*")
    return re.fullmatch(rx, path) is not None


class Server(ManagedProcess):
    def __init__(self, name: str, bin_dir: Path, log_dir: Path, env: dict[str, str]):
        super().__init__(
            name,
            [str(bin_dir / "orderdesk-mcp"), "serve"],
            env,
            log_dir,
            r"orderdesk-mcp listening on (http://\S+)",
        )
        self.mcp_url = self.base_url + "/mcp"
        self.port = int(self.base_url.rstrip("/").rsplit(":", 1)[1])
        self.wait_ready()

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            try:
                last = httpx2.get(self.base_url + "/readyz", timeout=5)
                if last.status_code == 200:
                    return
            except httpx2.HTTPError as e:
                last = e
            time.sleep(0.2)
        raise RuntimeError(f"{self.name}: /readyz never answered 200 (last: {last!r}); stderr: {self.stderr_tail()}")


# ---------------------------------------------------------------------------------------------
# PostgreSQL through psql / pg_dump (psycopg is not available)
# ---------------------------------------------------------------------------------------------


def psql(url: str, sql: str, *, check: bool = True) -> str:
    p = subprocess.run(
        ["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", url],
        input=sql,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if check and p.returncode != 0:
        raise RuntimeError(f"psql failed ({p.returncode}): {p.stderr.strip()}\nSQL: {sql[:500]}")
    return p.stdout


def table_dump(db) -> dict[str, str]:
    """Every user table of the database as text (superuser), by qualified name: what a secret
    scan reads."""
    tables = psql(
        db.super_url,
        """SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c
           JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
             AND n.nspname NOT LIKE 'pg_toast%' ORDER BY 1;""",
    ).split()
    return {t: psql(db.super_url, f"SELECT t::text FROM {t} AS t;") for t in tables}


def psql_json(url: str, query: str) -> list[dict]:
    out = psql(url, f"SELECT coalesce(json_agg(q), '[]'::json) FROM ({query}) AS q;").strip()
    return json.loads(out or "[]")


def pg_tool(name: str, admin_url: str) -> str:
    """The pg_dump (etc.) of the server's major version: /usr/lib/postgresql/N/bin first."""
    major = psql(admin_url, "SELECT current_setting('server_version_num')::int / 10000;").strip()
    candidate = Path(f"/usr/lib/postgresql/{major}/bin/{name}")
    return str(candidate) if candidate.exists() else name


@dataclass
class Database:
    name: str
    admin_url: str  # superuser, on the cluster's maintenance database
    socket_dir: str
    port: str
    # The transaction-mode pgbouncer (scripts/pgbouncer.sh) on the same socket directory, when the
    # suite runs through it (ODMCP_E2E_PGBOUNCER_PORT, set by `make e2e`): then the app role -- every
    # server replica and the operator CLI -- connects through it with DB_PREPARED_STATEMENTS=unnamed.
    # Migrations and the superuser's inspection queries always go straight to PostgreSQL.
    pooler_port: str | None = None

    def url(self, user: str, port: str | None = None) -> str:
        return f"postgresql:///{self.name}?host={self.socket_dir}&port={port or self.port}&user={user}"

    @property
    def super_url(self) -> str:
        return self.url(_admin_user(self.admin_url))

    @property
    def app_url(self) -> str:
        """The server's DATABASE_URL: through the pooler when the suite runs behind one."""
        return self.url("orderdesk_app", self.pooler_port)

    @property
    def app_env(self) -> dict[str, str]:
        """DATABASE_URL (and with a pooler DB_PREPARED_STATEMENTS) for `serve` and the operator CLI."""
        env = {"DATABASE_URL": self.app_url}
        if self.pooler_port:
            env["DB_PREPARED_STATEMENTS"] = "unnamed"
        return env

    @property
    def auditor_url(self) -> str:
        return self.url("orderdesk_auditor")


def _admin_user(url: str) -> str:
    m = re.search(r"[?&]user=([^&]+)", url)
    return m.group(1) if m else "postgres"


def create_database(admin_url: str, socket_dir: str, port: str, prefix: str = "e2e") -> Database:
    name = f"{prefix}_{secrets.token_hex(6)}"
    psql(admin_url, f'CREATE DATABASE "{name}";')
    return Database(name, admin_url, socket_dir, port, os.environ.get("ODMCP_E2E_PGBOUNCER_PORT") or None)


def drop_database(db: Database) -> None:
    psql(db.admin_url, f'DROP DATABASE IF EXISTS "{db.name}" WITH (FORCE);', check=False)


def migrate(bin_dir: Path, db: "Database", migrations_dir: str) -> None:
    p = subprocess.run(
        [str(bin_dir / "orderdesk-mcp"), "migrate", "up", "--database-url", db.super_url, "--migrations-dir", migrations_dir],
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    if p.returncode != 0:
        raise RuntimeError(f"migrate up failed ({p.returncode}): {p.stdout}\n{p.stderr}")


# ---------------------------------------------------------------------------------------------
# Operator CLI
# ---------------------------------------------------------------------------------------------


@dataclass
class Tenant:
    id: str
    name: str
    master_key: str
    key_prefix: str = ""


class CLI:
    def __init__(self, bin_dir: Path, db: Database, pepper_b64: str):
        self.exe = str(bin_dir / "orderdesk-mcp")
        self.db = db
        self.env = clean_env()
        self.env.update({**db.app_env, "MASTER_KEY_PEPPER": pepper_b64})

    def _run(self, *args: str) -> str:
        p = subprocess.run([self.exe, *args], env=self.env, capture_output=True, text=True, timeout=120)
        if p.returncode != 0:
            raise RuntimeError(f"orderdesk-mcp {' '.join(args)} failed ({p.returncode}): {p.stderr.strip()}")
        return p.stdout

    def create_tenant(self, name: str) -> Tenant:
        out = json.loads(self._run("tenants", "create", "--name", name, "--json"))
        SECRETS.add_master_key(out["master_key"])
        return Tenant(out["tenant_id"], out["name"], out["master_key"], out.get("key_prefix", ""))

    def create_key(self, tenant: Tenant, scope: str | None = None, stores: tuple[str, ...] = ()) -> dict:
        """`keys create`; `stores`: OrderDesk store ids to limit the key to (`--store`, issue 14)."""
        args = ["keys", "create", "--tenant", tenant.id, "--json"]
        if scope:
            args += ["--scope", scope]
        for store_id in stores:
            args += ["--store", store_id]
        out = json.loads(self._run(*args))
        SECRETS.add_master_key(out["master_key"])
        return out

    def revoke_key(self, tenant: Tenant, key_id: str) -> None:
        self._run("keys", "revoke", "--tenant", tenant.id, "--key", key_id)

    def disable_tenant(self, tenant: Tenant) -> None:
        self._run("tenants", "disable", "--tenant", tenant.id)


def clean_env() -> dict[str, str]:
    """The caller's environment without database/secret variables that must not leak into children."""
    env = dict(os.environ)
    for k in (
        "DATABASE_URL",
        "DB_PREPARED_STATEMENTS",
        "MIGRATE_DATABASE_URL",
        "MASTER_KEY_PEPPER",
        "ENCRYPTION_KEY",
        "ENCRYPTION_KEYS",
        "ORDERDESK_BASE_URL",
        "ALLOW_SESSION_AUTH",
        "AUTO_PROVISION",
    ):
        env.pop(k, None)
    return env


def random_b64_key(n: int = 32) -> str:
    return base64.b64encode(secrets.token_bytes(n)).decode()


def wrong_master_key() -> str:
    """A well-formed master key nobody owns (registered as a secret: it must not be stored either)."""
    return SECRETS.add_master_key("odmk_" + base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("="))


# ---------------------------------------------------------------------------------------------
# Raw JSON-RPC over HTTP (protocol tests) — synchronous httpx2
# ---------------------------------------------------------------------------------------------


class _HttpSpeaker:
    """What both hand-written clients share: one httpx2 client (optionally from a chosen local
    address), the key, the JSON-RPC id counter, and `with` support."""

    def __init__(self, mcp_url: str, key: str | None, tenant_id: str | None, local_address: str | None):
        self.mcp_url = mcp_url
        self.key = key
        self._next_id = 0
        transport = httpx2.HTTPTransport(local_address=local_address) if local_address else None
        self.http = httpx2.Client(timeout=HTTP_TIMEOUT, event_hooks=sync_hooks(tenant_id), transport=transport)

    def close(self) -> None:
        self.http.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def next_id(self) -> int:
        self._next_id += 1
        return self._next_id


class RawClient(_HttpSpeaker):
    """One MCP session spoken by hand. Every response must carry X-Request-ID (asserted here, since
    it is part of the contract for every response)."""

    def __init__(
        self,
        mcp_url: str,
        key: str | None = None,
        *,
        tenant_id: str | None = None,
        local_address: str | None = None,
        protocol_version: str = LATEST_VERSION,
    ):
        super().__init__(mcp_url, key, tenant_id, local_address)
        self.session_id: str | None = None
        self.protocol_version = protocol_version

    def headers(self, extra: dict[str, str] | None = None, *, session: bool = True, key: bool = True) -> dict:
        h = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
        if key and self.key:
            h["Authorization"] = f"Bearer {self.key}"
        if session and self.session_id:
            h["Mcp-Session-Id"] = self.session_id
            h["MCP-Protocol-Version"] = self.protocol_version
        if extra:
            h.update(extra)
        return {k: v for k, v in h.items() if v is not None}

    def post(self, body: Any, *, headers: dict | None = None, url: str | None = None, **kw) -> httpx2.Response:
        content = body if isinstance(body, (bytes, str)) else json.dumps(body)
        r = self.http.post(url or self.mcp_url, content=content, headers=self.headers(headers, **kw))
        assert r.headers.get("x-request-id"), f"response {r.status_code} without X-Request-ID: {r.text[:300]}"
        return r

    def request(self, method: str, params: dict | None = None, *, id: Any = None, **kw) -> httpx2.Response:
        msg = {"jsonrpc": "2.0", "id": self.next_id() if id is None else id, "method": method}
        if params is not None:
            msg["params"] = params
        return self.post(msg, **kw)

    def initialize(self, version: str | None = None, **kw) -> httpx2.Response:
        r = self.request(
            "initialize",
            {
                "protocolVersion": version or self.protocol_version,
                "capabilities": {},
                "clientInfo": {"name": "orderdesk-mcp-e2e", "version": "1.0"},
            },
            session=False,
            **kw,
        )
        if r.status_code == 200 and r.headers.get("mcp-session-id"):
            self.session_id = r.headers["mcp-session-id"]
            negotiated = r.json().get("result", {}).get("protocolVersion")
            if negotiated:
                self.protocol_version = negotiated
        return r

    def open(self) -> "RawClient":
        r = self.initialize()
        assert r.status_code == 200, f"initialize: {r.status_code} {r.text[:500]}"
        assert self.session_id, "initialize returned no Mcp-Session-Id"
        n = self.notify("notifications/initialized")
        assert n.status_code == 202, f"notifications/initialized: {n.status_code} {n.text[:300]}"
        return self

    def notify(self, method: str, params: dict | None = None, **kw) -> httpx2.Response:
        msg: dict = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            msg["params"] = params
        return self.post(msg, **kw)

    def call(self, tool: str, args: dict | None = None, **kw) -> httpx2.Response:
        return self.request("tools/call", {"name": tool, "arguments": args or {}}, **kw)

    def tool(self, tool: str, args: dict | None = None, **kw) -> "ToolResult":
        """A tools/call that must come back as HTTP 200 with a JSON-RPC result."""
        r = self.call(tool, args, **kw)
        assert r.status_code == 200, f"{tool}: HTTP {r.status_code} {r.text[:500]}"
        body = r.json()
        assert "result" in body, f"{tool}: JSON-RPC error {body.get('error')}"
        return ToolResult(body["result"], r.headers["x-request-id"], r)

    def delete_session(self, url: str | None = None, **kw) -> httpx2.Response:
        r = self.http.delete(url or self.mcp_url, headers=self.headers(kw.pop("headers", None), **kw))
        assert r.headers.get("x-request-id"), f"DELETE {r.status_code} without X-Request-ID"
        return r


@dataclass
class ToolResult:
    raw: dict
    request_id: str
    response: Any = None

    @property
    def is_error(self) -> bool:
        return bool(self.raw.get("isError"))

    @property
    def data(self) -> dict:
        return self.raw.get("structuredContent") or {}

    @property
    def error_code(self) -> str | None:
        err = self.data.get("error") if isinstance(self.data, dict) else None
        return err.get("code") if isinstance(err, dict) else None

    def ok(self) -> dict:
        assert not self.is_error, f"tool error: {json.dumps(self.raw)[:800]}"
        return self.data


# ---------------------------------------------------------------------------------------------
# Raw MCP 2026-07-28 (stateless) over HTTP — synchronous httpx2
# ---------------------------------------------------------------------------------------------

OMIT: Any = object()  # "leave this out of the request" (a header, `params._meta`)
DEFAULT: Any = object()  # "the well-formed value" (`modern_meta()` for `params._meta`)


def modern_meta(version: str = MODERN_VERSION, **extra: Any) -> dict:
    """The `params._meta` every 2026-07-28 request carries: protocol version, client capabilities
    (empty: none), client info; `extra` adds keys (`traceparent=...`) or replaces them."""
    meta = {
        META_PROTOCOL_VERSION: version,
        META_CLIENT_CAPABILITIES: {},
        META_CLIENT_INFO: {"name": "orderdesk-mcp-e2e", "version": "1.0"},
    }
    meta.update(extra)
    return meta


class ModernRawClient(_HttpSpeaker):
    """MCP 2026-07-28 spoken by hand: no initialize, no session; every POST carries
    `MCP-Protocol-Version`, `Mcp-Method` (and `Mcp-Name` for tools/call) and `params._meta`.

    `headers={name: value}` replaces a routing header (`OMIT` drops it); `extra_headers=[(name,
    value), ...]` are added as well (a duplicated header); `meta=` replaces the whole `_meta`
    (`OMIT` sends none, `None` sends JSON null). Every response must carry X-Request-ID; every tools/call is recorded like
    RawClient's (the final audit sweep covers them)."""

    def __init__(
        self,
        mcp_url: str,
        key: str | None = None,
        *,
        tenant_id: str | None = None,
        local_address: str | None = None,
        version: str = MODERN_VERSION,
    ):
        super().__init__(mcp_url, key, tenant_id, local_address)
        self.version = version

    def header_list(
        self,
        method: str | None,
        name: str | None = None,
        *,
        key: bool = True,
        headers: dict | None = None,
        extra_headers: list | None = None,
    ) -> list[tuple[str, Any]]:
        h: dict[str, Any] = {
            "Content-Type": "application/json",
            "Accept": "application/json, text/event-stream",
            "MCP-Protocol-Version": self.version,
        }
        if method is not None:
            h["Mcp-Method"] = method
        if name is not None:
            h["Mcp-Name"] = name
        if key and self.key:
            h["Authorization"] = f"Bearer {self.key}"
        lowered = {k.lower(): k for k in h}
        for k, v in (headers or {}).items():
            h.pop(lowered.get(k.lower(), k), None)
            if v is not OMIT and v is not None:
                h[k] = v
        out = list(h.items())
        out += list(extra_headers or [])
        return out

    def post(self, body: Any, headers: list[tuple[str, Any]], *, url: str | None = None) -> httpx2.Response:
        content = body if isinstance(body, (bytes, str)) else json.dumps(body)
        r = self.http.post(url or self.mcp_url, content=content, headers=headers)
        assert r.headers.get("x-request-id"), f"response {r.status_code} without X-Request-ID: {r.text[:300]}"
        return r

    def request(
        self,
        method: str,
        params: Any = None,
        *,
        id: Any = OMIT,
        meta: Any = DEFAULT,
        name: str | None = None,
        key: bool = True,
        headers: dict | None = None,
        extra_headers: list | None = None,
        url: str | None = None,
    ) -> httpx2.Response:
        """A request: `params` plus `_meta` (`modern_meta()` unless `meta` is given; `OMIT`: none)."""
        msg: dict = {"jsonrpc": "2.0", "id": self.next_id() if id is OMIT else id, "method": method}
        if params is not OMIT:  # OMIT: a message without `params` at all
            p = dict(params or {})
            if meta is not OMIT:
                p["_meta"] = modern_meta(self.version) if meta is DEFAULT else meta
            msg["params"] = p
        hl = self.header_list(method, name, key=key, headers=headers, extra_headers=extra_headers)
        return self.post(msg, hl, url=url)

    def notify(self, method: str, params: dict | None = None, *, meta: Any = DEFAULT, **kw) -> httpx2.Response:
        msg: dict = {"jsonrpc": "2.0", "method": method}
        p = dict(params or {})
        if meta is not OMIT:
            p["_meta"] = modern_meta(self.version) if meta is DEFAULT else meta
        msg["params"] = p
        url = kw.pop("url", None)
        return self.post(msg, self.header_list(method, **kw), url=url)

    def discover(self, **kw) -> httpx2.Response:
        return self.request("server/discover", **kw)

    def list_tools(self, params: dict | None = None, **kw) -> httpx2.Response:
        return self.request("tools/list", params, **kw)

    def call(self, tool: str, args: dict | None = None, *, name: Any = None, **kw) -> httpx2.Response:
        """tools/call with `Mcp-Name: tool` (`name=` sends another header value; `OMIT`: none)."""
        header_name = tool if name is None else (None if name is OMIT else name)
        return self.request("tools/call", {"name": tool, "arguments": args or {}}, name=header_name, **kw)

    def tool(self, tool: str, args: dict | None = None, **kw) -> "ToolResult":
        """A tools/call that must come back as HTTP 200 with a JSON-RPC result."""
        r = self.call(tool, args, **kw)
        assert r.status_code == 200, f"{tool}: HTTP {r.status_code} {r.text[:500]}"
        body = r.json()
        assert "result" in body, f"{tool}: JSON-RPC error {body.get('error')}"
        return ToolResult(body["result"], r.headers["x-request-id"], r)


def audit_rows_by_request(db, request_ids: Iterable[str], columns: str = "action, outcome, protocol_version, session_hash, traceparent") -> dict[str, list[dict]]:
    """Audit rows (orderdesk.audit_events, as the auditor) of each X-Request-ID, in id order."""
    ids = sorted({i for i in request_ids if i})
    if not ids:
        return {}
    quoted = ",".join("'" + i.replace("'", "''") + "'" for i in ids)
    rows = psql_json(
        db.auditor_url,
        f"SELECT correlation_id, {columns} FROM orderdesk.audit_events WHERE correlation_id IN ({quoted}) ORDER BY id",
    )
    out: dict[str, list[dict]] = {i: [] for i in ids}
    for row in rows:
        out[row["correlation_id"]].append(row)
    return out


def assert_audited_as(db, request_ids: Iterable[str], version: str) -> int:
    """Every request's audit rows say the server handled it under `version`: protocol_version =
    `version`, and a session hash exactly for the legacy revisions (2026-07-28 has no session).
    Returns the number of rows checked."""
    by_request = audit_rows_by_request(db, request_ids)
    assert by_request, "no request ids to check"
    problems = []
    for rid, rows in by_request.items():
        if not rows:
            problems.append(f"{rid}: no audit row")
        for row in rows:
            if row["protocol_version"] != version:
                problems.append(f"{rid}: {row['action']} {row['outcome']} protocol_version {row['protocol_version']!r}")
            if (row["session_hash"] is None) != (version == MODERN_VERSION):
                problems.append(f"{rid}: {row['action']} {row['outcome']} session_hash {row['session_hash']!r}")
    assert not problems, f"expected every row audited as {version}:\n" + "\n".join(problems[:30])
    return sum(len(r) for r in by_request.values())


def sessions_created_since(db, since: str, tenant_id: str | None = None) -> int:
    """orderdesk.sessions rows created at or after `since` (a database timestamp), read as the
    superuser (row-level security does not hide other tenants' rows)."""
    where = f"created_at >= '{since}'::timestamptz"
    if tenant_id:
        where += f" AND tenant_id = '{tenant_id}'"
    return int(psql(db.super_url, f"SELECT count(*) FROM orderdesk.sessions WHERE {where};").strip())


def db_now(db) -> str:
    return psql(db.super_url, "SELECT clock_timestamp();").strip()


# ---------------------------------------------------------------------------------------------
# The real `mcp` client
# ---------------------------------------------------------------------------------------------


def mcp_http_client(key: str | None, tenant_id: str | None = None, transport=None) -> httpx2.AsyncClient:
    from mcp.shared._httpx_utils import create_mcp_http_client

    headers = {"Authorization": f"Bearer {key}"} if key else {}
    if transport is not None:
        http = httpx2.AsyncClient(headers=headers, timeout=HTTP_TIMEOUT, transport=transport)
    else:
        http = create_mcp_http_client(headers=headers, timeout=HTTP_TIMEOUT)
    http.event_hooks = async_hooks(tenant_id)
    return http


class RoundRobinTransport(httpx2.AsyncBaseTransport):
    """Sends request n to replica n mod len(replicas): one MCP session spread over every replica.

    `sent` holds the port of each request; `exchanges` one `(port, HTTP method, JSON-RPC method or
    None, status, Mcp-Session-Id sent or None, Mcp-Session-Id received or None)` per request."""

    def __init__(self, ports: list[int]):
        self.ports = ports
        self.sent: list[int] = []
        self.exchanges: list[tuple[int, str, str | None, int, str | None, str | None]] = []
        self.inner = httpx2.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        port = self.ports[len(self.sent) % len(self.ports)]
        self.sent.append(port)
        request.url = request.url.copy_with(port=port)
        request.headers["Host"] = f"{request.url.host}:{port}"
        response = await self.inner.handle_async_request(request)
        try:
            msg = _parse_json(request.content) if request.method == "POST" else None
        except httpx2.RequestNotRead:  # a streamed body (the client sends bytes; never expected)
            msg = None
        self.exchanges.append(
            (
                port,
                request.method,
                msg.get("method") if isinstance(msg, dict) else None,
                response.status_code,
                request.headers.get("mcp-session-id"),
                response.headers.get("mcp-session-id"),
            )
        )
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


def text_json_blocks(content: Iterable[Any]) -> list[Any]:
    """JSON values of the text content blocks (dicts from raw HTTP or pydantic models)."""
    out = []
    for block in content:
        b = block if isinstance(block, dict) else block.model_dump(by_alias=True)
        if b.get("type") == "text":
            try:
                out.append(json.loads(b["text"]))
            except ValueError:
                pass
    return out


def new_uuid() -> str:
    return str(uuid.uuid4())


class McpTools:
    """A connected `mcp.Client` with the same `tool()` shape as RawClient."""

    def __init__(self, client, http: httpx2.AsyncClient):
        self.client = client
        self.http = http

    async def tool(self, name: str, args: dict | None = None) -> ToolResult:
        before = len(RECORDER.calls)
        result = await self.client.call_tool(name, args or {})
        assert len(RECORDER.calls) == before + 1, "the recording hook did not see this tools/call"
        raw = result.model_dump(by_alias=True, mode="json", exclude_none=True)
        return ToolResult(raw, RECORDER.last().request_id or "")


def mcp_session(url: str, key: str | None, tenant_id: str | None = None, mode: str = "legacy", transport=None):
    """`async with mcp_session(...) as s:` — the real client over Streamable HTTP."""
    from contextlib import asynccontextmanager

    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client

    @asynccontextmanager
    async def cm():
        http = mcp_http_client(key, tenant_id, transport)
        async with http, Client(streamable_http_client(url, http_client=http), mode=mode, read_timeout_seconds=60) as c:
            yield McpTools(c, http)

    return cm()


def assert_tool_result_shape(result: ToolResult) -> None:
    """structuredContent plus a text block carrying the same JSON; _meta.correlation_id = X-Request-ID."""
    raw = result.raw
    assert isinstance(raw.get("structuredContent"), dict), f"no structuredContent: {json.dumps(raw)[:500]}"
    texts = text_json_blocks(raw.get("content") or [])
    assert raw["structuredContent"] in texts, f"no text block with the structuredContent JSON: {json.dumps(raw)[:800]}"
    meta = raw.get("_meta") or {}
    assert meta.get("correlation_id") == result.request_id, (
        f"_meta.correlation_id {meta.get('correlation_id')!r} != X-Request-ID {result.request_id!r}"
    )


# ---------------------------------------------------------------------------------------------
# Order tools (issue 5): helpers shared by the test_orders_*.py modules
# ---------------------------------------------------------------------------------------------


def order_body(tag: str, **extra: Any) -> dict:
    """A valid OrderDesk order for orders_create: two items, customer and a distinct shipping address."""
    body = {
        "email": f"e2e-{tag}@example.com",
        "customer": {
            "first_name": "Wendy",
            "last_name": f"Flow{tag}",
            "address1": "1 Main St",
            "city": "Nashville",
            "state": "TN",
            "postal_code": "37203",
            "country": "US",
            "phone": "615-555-0100",
        },
        "shipping": {
            "first_name": "Wendy",
            "last_name": f"Flow{tag}",
            "company": "E2E Logistics",
            "address1": "12 Elm St",
            "address2": "Apt 4",
            "city": "Memphis",
            "state": "TN",
            "postal_code": "38103",
            "country": "US",
            "phone": "901-555-0100",
        },
        "order_items": [
            {"name": "E2E Widget", "code": "E2E-W", "price": 10, "quantity": 2},
            {"name": "E2E Gadget", "code": "E2E-G", "price": "4.5", "quantity": 1},
        ],
        "shipping_method": "Ground",
        "checkout_data": {"Gift": "no"},
    }
    body.update(extra)
    return body


def tool_error(result: "ToolResult", code: str, what: str = "") -> dict:
    """Assert `result` is a tool error with `code`; return its error object."""
    assert result.is_error and result.error_code == code, f"{what}: expected tool error {code}, got {json.dumps(result.raw)[:800]}"
    err = result.data["error"]
    assert isinstance(err.get("message"), str) and err["message"], f"{what}: error without a message: {err}"
    return err


def is_store(value: Any, store: dict) -> bool:
    """The `store` member of an order tool result names `store` (a uuid string or a store object)."""
    if isinstance(value, dict):
        return value.get("id") == store["id"] and str(value.get("store_id", store["store_id"])) == str(store["store_id"])
    return value == store["id"]


def item_by(order: dict, key: str, value: Any) -> dict | None:
    return next((i for i in order.get("order_items") or [] if str(i.get(key)) == str(value)), None)


# Numbers the order tests observe and the terminal summary reports (conftest.order_metrics).
ORDER_OBSERVATIONS: dict[str, int] = {"update_calls_observed": 0, "conflict_retries": 0, "conflicts_given_up": 0}


def note_update_traffic(update_calls: int, put_statuses: list[int], gave_up: int = 0) -> None:
    """Record what `update_calls` orders_update calls sent upstream: every PUT beyond the first of a
    call is a retry after OrderDesk's 409."""
    ORDER_OBSERVATIONS["update_calls_observed"] += update_calls
    ORDER_OBSERVATIONS["conflict_retries"] += max(len(put_statuses) - update_calls, 0)
    ORDER_OBSERVATIONS["conflicts_given_up"] += gave_up


# --- simulator webhooks (issue 14): OrderDesk's "Post Order JSON" rule posts ------------------------


@dataclass
class ReceivedPost:
    """One post a `WebhookReceiver` got: headers by lower-cased name, the raw body, the form fields."""

    path: str
    headers: dict[str, str]
    body: bytes
    form: dict[str, list[str]]

    @property
    def order_value(self) -> str:
        """The decoded `order` form field (the JSON string the hash covers)."""
        return self.form["order"][0]

    @property
    def order(self) -> dict:
        return json.loads(self.order_value)


class WebhookReceiver:
    """A tiny HTTP receiver on loopback (http.server in a thread) that records every POST and answers
    with the statuses queued by `answer(...)`, then `default_status`. Use as a context manager."""

    def __init__(self, default_status: int = 200) -> None:
        import http.server
        import urllib.parse

        self.default_status = default_status
        self.posts: list[ReceivedPost] = []
        self._statuses: list[int] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                form = urllib.parse.parse_qs(body.decode("utf-8"), keep_blank_values=True)
                post = ReceivedPost(self.path, {k.lower(): v for k, v in self.headers.items()}, body, form)
                with receiver._lock:
                    receiver.posts.append(post)
                    status = receiver._statuses.pop(0) if receiver._statuses else receiver.default_status
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/webhooks/orderdesk"
        self._thread = threading.Thread(target=self._server.serve_forever, name="webhook-receiver", daemon=True)
        self._thread.start()

    def answer(self, *statuses: int) -> None:
        """Answer the next posts with these statuses, in order."""
        with self._lock:
            self._statuses.extend(statuses)

    def received(self) -> list[ReceivedPost]:
        with self._lock:
            return list(self.posts)

    def wait_for(self, count: int, timeout: float = 5.0, where=None) -> list[ReceivedPost]:
        """Posts (matching `where`, if given) once at least `count` arrived; fails after `timeout` s."""
        deadline = time.monotonic() + timeout
        while True:
            posts = [p for p in self.received() if where is None or where(p)]
            if len(posts) >= count or time.monotonic() > deadline:
                assert len(posts) >= count, f"expected {count} webhook posts, got {len(posts)}"
                return posts
            time.sleep(0.05)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> "WebhookReceiver":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def sim_add_webhook(sim: "Simulator", store_id: str, url: str, **options: Any) -> httpx2.Response:
    """`POST /_sim/webhooks` (options: events, max_attempts, retry_delay_ms); the raw response."""
    return httpx2.post(sim.base_url + "/_sim/webhooks", json={"store_id": store_id, "url": url, **options}, timeout=10)


def sim_delete_webhook(sim: "Simulator", rule_id: int) -> None:
    """Removes one rule (`DELETE /_sim/webhooks/{id}`); other tests' rules stay."""
    httpx2.delete(f"{sim.base_url}/_sim/webhooks/{rule_id}", timeout=10).raise_for_status()


def sim_webhook_deliveries(sim: "Simulator", **filters: str) -> list[dict]:
    """`GET /_sim/webhooks/deliveries` (filters store_id, order_id): one entry per attempt."""
    r = httpx2.get(sim.base_url + "/_sim/webhooks/deliveries", params=filters, timeout=10)
    r.raise_for_status()
    return r.json()["deliveries"]


def sim_edit_order(sim: "Simulator", store_id: str, order_id: str, changes: dict, *, fire: bool = True) -> dict:
    """A change "made in OrderDesk's UI" (`POST /_sim/orders/{id}/edit`): not an API call; with
    `fire` the `updated` rules' first attempts are awaited. Returns {order, deliveries}."""
    r = httpx2.post(
        f"{sim.base_url}/_sim/orders/{order_id}/edit",
        json={"store_id": store_id, "set": changes, "fire": fire},
        timeout=60,
    )
    r.raise_for_status()
    return r.json()


def sim_fire_webhook(sim: "Simulator", store_id: str, order_id: str, event: str = "updated") -> dict:
    """Posts the order's current state to the matching rules now (a replay); first attempts awaited."""
    r = httpx2.post(
        sim.base_url + "/_sim/webhooks/fire",
        json={"store_id": store_id, "order_id": order_id, "event": event},
        timeout=60,
    )
    r.raise_for_status()
    return r.json()
