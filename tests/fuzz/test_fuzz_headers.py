"""Fuzzed HTTP headers, methods and paths around a handful of ordinary JSON-RPC messages.

Besides the oracle, the pre-body checks of POST /mcp are modelled (Origin → Content-Type → Accept →
MCP-Protocol-Version → Authorization, in the server's order) and, where the model predicts a
rejection from ASCII header values, the status must be exactly that. A POST that passes them with
`MCP-Protocol-Version: 2026-07-28` is a 2026-07-28 request: its answer must be the one the
2026-07-28 model (fuzz_support.expect_post) predicts — these messages carry no `_meta`, so -32602,
a 202 for the notification, and `initialize` stays a 2025 handshake.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from fuzz_strategies import MODERN_VERSION, SUPPORTED_VERSIONS, Ref, header_sets
from fuzz_support import STATS, Sent, check_expectation, expect_post, fuzz_settings

MESSAGES = [
    ({"jsonrpc": "2.0", "id": 11, "method": "ping"}, False),
    ({"jsonrpc": "2.0", "id": "t-12", "method": "tools/list"}, False),
    ({"jsonrpc": "2.0", "id": 13, "method": "tools/call", "params": {"name": "stores_list", "arguments": {}}}, False),
    (
        {
            "jsonrpc": "2.0",
            "id": 14,
            "method": "initialize",
            "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "fuzz", "version": "1"}},
        },
        False,
    ),
    ({"jsonrpc": "2.0", "method": "notifications/initialized"}, True),
    ({"jsonrpc": "2.0", "id": 15, "method": "tools/call", "params": {"name": "orders_list", "arguments": {"limit": 2}}}, False),
]
HTTP_METHODS = st.sampled_from(["POST"] * 12 + ["GET", "DELETE", "DELETE", "PUT", "PATCH", "OPTIONS", "HEAD"])
PATHS = st.one_of(
    st.just("/mcp"),
    st.just("/mcp"),
    st.just("/mcp"),
    st.just("/mcp"),
    st.sampled_from(["/", "/mcp/", "/MCP", "/mcp?session=1", "/mcp#x", "/healthz", "/readyz", "/metrics", "/mcp/../mcp", "/%2e%2e/etc", "/mcp%00"]),
    st.text(alphabet="abcxyz/_-.%09", max_size=20).map(lambda p: "/" + p),
)
AUTH_FORMS = {
    "lower": "bearer {k}",
    "upper": "BEARER {k}",
    "spaces": "Bearer    {k}   ",
    "nokey": "Bearer",
    "basic": "Basic {k}",
    "bare": "{k}",
    "prefix-only": "Bearer {k6}",
    "doubled": "Bearer {k} {k}",
    "tab": "Bearer\t{k}",
}


def resolve_headers(target, headers: list[tuple[str, Any]]) -> tuple[list[tuple[str, bytes]], dict]:
    """Bytes for every header; `facts` records which live session was sent (to refresh it)."""
    out: list[tuple[str, bytes]] = []
    facts: dict = {"session": None}
    key = target.keys["valid"]
    for name, value in headers:
        if isinstance(value, Ref):
            if value.kind == "session":
                facts["session"] = value.which
                value = target.session(value.which).encode()
            elif value.kind == "key":
                value = f"Bearer {target.keys[value.which]}".encode()
            elif value.kind == "authform":
                value = AUTH_FORMS[value.which].format(k=key, k6=key[:6]).strip().encode()
        out.append((name, value))
    return out, facts


def combined(headers: list[tuple[str, bytes]], name: str) -> bytes | None:
    """swift-http-types' combined value of a field: every line joined with ", "."""
    values = [v for n, v in headers if n.lower() == name.lower()]
    return b", ".join(values) if values else None


def bearer_token(header: str) -> str | None:
    """BearerToken.parse: split once on a space (leading spaces skipped), scheme `bearer` in any
    case, the rest trimmed of spaces and tabs."""
    rest = header.lstrip(" ")
    scheme, sep, token = rest.partition(" ")
    token = token.strip(" \t")
    if not sep or scheme.lower() != "bearer" or not token:
        return None
    return token


def predicted_rejection(headers: list[tuple[str, bytes]], live_keys: set[str]) -> int | None:
    """The status POST /mcp must answer before reading the body, or None when the checks pass (or
    a value is outside ASCII, where the model does not guess how bytes become text)."""
    def text(name: str) -> str | None:
        v = combined(headers, name)
        if v is None:
            return None
        if any(b >= 0x80 for b in v):
            raise ValueError
        return v.decode()

    try:
        origin, ctype, accept, version, auth = (
            text(n) for n in ("Origin", "Content-Type", "Accept", "MCP-Protocol-Version", "Authorization")
        )
    except ValueError:
        return None
    if origin is not None and origin != "http://allowed.example":
        return 403
    if ctype is None or ctype.split(";")[0].strip(" \t").lower() != "application/json":
        return 415
    if accept is not None:
        types = [t.split(";")[0].strip(" \t").lower() for t in accept.split(",")]
        if not any(t in ("application/json", "application/*", "*/*") for t in types):
            return 406
    if version is not None and version not in SUPPORTED_VERSIONS:
        return 400  # -32020 when sent twice, else -32022
    if auth is not None and bearer_token(auth) not in live_keys:
        return 401
    return None


def passes_ascii(headers: list[tuple[str, bytes]]) -> bool:
    """The headers predicted_rejection reads are ASCII (so its None means "the checks pass")."""
    return all(
        not any(b >= 0x80 for b in (combined(headers, n) or b""))
        for n in ("Origin", "Content-Type", "Accept", "MCP-Protocol-Version", "Authorization")
    )


@fuzz_settings("headers")
@given(headers=header_sets(), message=st.sampled_from(range(len(MESSAGES))), method=HTTP_METHODS, path=PATHS)
def test_fuzz_headers(target, headers, message, method, path):
    msg, notification = MESSAGES[message]
    hdrs, facts = resolve_headers(target, headers)
    body = json.dumps(msg).encode() if method in ("POST", "PUT", "PATCH") else b""
    sent = Sent(method, path, hdrs, body, label=f"headers {method} {path}")
    sent.has_valid_id = "id" in msg
    sent.request_id = msg.get("id")
    sent.notification = notification
    if msg.get("method") == "tools/call":
        sent.tool = msg["params"]["name"]
    STATS.examples["headers"] += 1
    r, body = target.exchange(sent)
    if method == "POST" and path == "/mcp":
        expected = predicted_rejection(hdrs, {target.keys[k] for k in ('valid', 'read', 'other')})
        if expected is not None:
            assert r.status_code == expected, (
                f"the pre-body checks predict {expected}, got {r.status_code}\n{sent.repro()}\n{r.text[:500]}"
            )
        if expected == 400:
            # The version header: twice is a HeaderMismatch, an unknown value UnsupportedProtocolVersion.
            twice = sum(1 for n, _ in hdrs if n.lower() == "mcp-protocol-version") > 1
            code = (body or {}).get("error", {}).get("code") if isinstance(body, dict) else None
            assert code == (-32020 if twice else -32022), f"the version header predicts {-32020 if twice else -32022}, got {code}\n{sent.repro()}\n{r.text[:500]}"
        elif expected is None and combined(hdrs, "MCP-Protocol-Version") == MODERN_VERSION.encode() and passes_ascii(hdrs):
            key = "valid" if combined(hdrs, "Authorization") is not None else None
            check_expectation(sent, r, body, expect_post(hdrs, msg, key, set()))
            STATS.notes["headers: 2026-07-28 POST predicted"] += 1
    if method == "DELETE" and r.status_code in (200, 204) and facts["session"]:
        target.refresh(facts["session"])  # that session has ended
    if facts["session"] == "unbound":
        target.refresh("unbound")
    target.check_alive()
