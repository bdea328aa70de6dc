"""A small MCP client over HTTP (keep-alive, one connection) in both request shapes (2025-11-25 with a
session, 2026-07-28 stateless), and the simulator's API for seeding."""

from __future__ import annotations

import http.client
import json
import os
import time
import urllib.parse

from .common import ACCEPT, PROTOCOL, STATELESS, STATELESS_META, die


def stateless_request(message: dict) -> tuple[dict, dict]:
    """`message` in the 2026-07-28 shape: `params._meta`, and the headers that repeat the revision,
    the method and (for tools/call) the tool name."""
    params = {**message.get("params", {}), "_meta": STATELESS_META}
    headers = {"MCP-Protocol-Version": STATELESS, "Mcp-Method": message["method"]}
    if message["method"] == "tools/call":
        headers["Mcp-Name"] = params["name"]
    return {**message, "params": params}, headers


class Mcp:
    def __init__(self, url: str):
        u = urllib.parse.urlsplit(url)
        self.host, self.port, self.path = u.hostname, u.port, u.path or "/"
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        self.next_id = 0

    def post(self, message: dict, key: str | None = None, session: str | None = None, stateless: bool = False):
        headers = {"Content-Type": "application/json", "Accept": ACCEPT}
        if key:
            headers["Authorization"] = f"Bearer {key}"
        if session:
            headers["Mcp-Session-Id"] = session
            headers["MCP-Protocol-Version"] = PROTOCOL
        if stateless:
            message, routing = stateless_request(message)
            headers.update(routing)
        body = json.dumps(message).encode()
        t0 = time.perf_counter()
        try:
            self.conn.request("POST", self.path, body=body, headers=headers)
            r = self.conn.getresponse()
            data = r.read()
        except (http.client.HTTPException, OSError):
            self.conn.close()
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
            raise
        elapsed = time.perf_counter() - t0
        try:
            parsed = json.loads(data) if data else None
        except ValueError:
            parsed = None
        return r.status, {k.lower(): v for k, v in r.getheaders()}, parsed, elapsed

    def request(self, method: str, params: dict | None = None, **kw):
        self.next_id += 1
        msg = {"jsonrpc": "2.0", "id": self.next_id, "method": method}
        if params is not None:
            msg["params"] = params
        return self.post(msg, **kw)

    def initialize(self, key: str | None) -> str:
        status, headers, body, _ = self.request(
            "initialize",
            {"protocolVersion": PROTOCOL, "capabilities": {}, "clientInfo": {"name": "orderdesk-mcp-bench", "version": "1"}},
            key=key,
        )
        sid = headers.get("mcp-session-id")
        if status != 200 or not sid:
            die(f"initialize: HTTP {status} {json.dumps(body)[:300]}")
        status, _, _, _ = self.post({"jsonrpc": "2.0", "method": "notifications/initialized"}, key=key, session=sid)
        if status != 202:
            die(f"notifications/initialized: HTTP {status}")
        return sid

    def tool(self, name: str, args: dict, key: str | None, session: str | None, stateless: bool = False) -> tuple[dict, float]:
        status, headers, body, elapsed = self.request(
            "tools/call", {"name": name, "arguments": args}, key=key, session=session, stateless=stateless)
        if status != 200 or not isinstance(body, dict) or "result" not in body:
            die(f"{name}: HTTP {status} {json.dumps(body)[:400]}")
        result = body["result"]
        if result.get("isError"):
            die(f"{name}: tool error {json.dumps(result.get('structuredContent'))[:400]}")
        if stateless and (result.get("resultType") != "complete" or "mcp-session-id" in headers):
            die(f"{name} ({STATELESS}): resultType {result.get('resultType')!r}, session {headers.get('mcp-session-id')!r}")
        return result.get("structuredContent") or {}, elapsed


def master_key() -> str:
    key = os.environ.get("BENCH_MASTER_KEY")
    if not key:
        die("BENCH_MASTER_KEY is not set")
    return key


def sim_get(sim: str, path: str, store_id: str, store_key: str) -> dict:
    u = urllib.parse.urlsplit(sim)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    conn.request("GET", "/api/v2" + path, headers={"ORDERDESK-STORE-ID": store_id, "ORDERDESK-API-KEY": store_key})
    r = conn.getresponse()
    data = r.read()
    conn.close()
    if r.status != 200:
        die(f"simulator GET {path}: HTTP {r.status} {data[:200]!r}")
    return json.loads(data)
