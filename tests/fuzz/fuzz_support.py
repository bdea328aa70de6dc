"""Machinery of the fuzz suite: the budget, the live target (one `orderdesk-mcp serve` with its
sessions and keys), the response oracle, liveness/RSS checks and the run's statistics.

Nothing here generates data (see fuzz_strategies.py); the tests combine the two.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx2
from hypothesis import HealthCheck, seed, settings

# ---------------------------------------------------------------------------------------------
# Budget: FUZZ_EXAMPLES is the total number of generated examples over every hypothesis test.
# ---------------------------------------------------------------------------------------------

SHORT_DEFAULT_EXAMPLES = 300
FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES") or SHORT_DEFAULT_EXAMPLES)
# Short mode (the default, what `make test` runs) is derandomized: the same examples every run, so CI
# is reproducible. Long mode (`make fuzz`, FUZZ_EXAMPLES > 1000) explores randomly unless FUZZ_SEED
# is given; FUZZ_DERANDOMIZE=1/0 overrides either.
LONG_MODE = FUZZ_EXAMPLES > 1000
FUZZ_SEED = os.environ.get("FUZZ_SEED")
DERANDOMIZE = os.environ.get("FUZZ_DERANDOMIZE", "0" if LONG_MODE else "1") == "1" and not FUZZ_SEED

# Share of the budget per hypothesis test (they sum to 1).
WEIGHTS = {
    "envelopes": 0.30,
    "bodies": 0.12,
    "headers": 0.18,
    "tools": 0.40,
}

# Memory bounds of the server process (MB).
MAX_RSS_MB = float(os.environ.get("FUZZ_MAX_RSS_MB") or 400)
MAX_RSS_GROWTH_MB = float(os.environ.get("FUZZ_MAX_RSS_GROWTH_MB") or 100)
# A request that gets no answer within this many seconds is a hang (a bug).
REQUEST_TIMEOUT_S = float(os.environ.get("FUZZ_REQUEST_TIMEOUT_S") or 20)
# Liveness (/healthz, process alive, RSS) is checked every this many examples and after every test.
CHECK_EVERY = 10


def examples_for(name: str) -> int:
    return max(10, round(FUZZ_EXAMPLES * WEIGHTS[name]))


def fuzz_settings(name: str):
    """Decorator for a fuzz test (above @given): its share of the budget, the mode's randomness
    (derandomized, FUZZ_SEED or random) and the health checks a live server makes irrelevant."""
    configured = _settings(name)

    def decorate(test):
        test = configured(test)
        return seed(int(FUZZ_SEED))(test) if FUZZ_SEED else test

    return decorate


def _settings(name: str) -> settings:
    return settings(
        max_examples=examples_for(name),
        deadline=None,
        derandomize=DERANDOMIZE,
        database=None,  # nothing written into the checkout; short mode is derandomized anyway
        print_blob=True,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.function_scoped_fixture,
            HealthCheck.data_too_large,
            HealthCheck.filter_too_much,
            HealthCheck.large_base_example,
        ],
    )


# ---------------------------------------------------------------------------------------------
# The oracle
# ---------------------------------------------------------------------------------------------

ALLOWED_STATUSES = {200, 202, 204, 400, 401, 403, 404, 405, 406, 413, 415, 429}
EMPTY_BODY_STATUSES = {202, 204}
TOOL_ERROR_CODES = {
    "validation_error",
    "not_found",
    "unauthorized",
    "forbidden",
    "rate_limited",
    "invalid_credentials",
    "duplicate_store_id",
    "duplicate_name",
    "no_active_store",
    "conflict",
    "idempotency_mismatch",
    "upstream_error",
    "upstream_unavailable",
    "upstream_unauthorized",
    "database_unavailable",
    "internal_error",
}
# Tool error codes that mean "the server failed" (the tool-level 5xx): the database is up here and
# every input is the caller's, so neither may ever answer a fuzzed call.
SERVER_FAILURE_CODES = {"internal_error", "database_unavailable"}

# Server bugs this suite found, each kept as an explicit regression test (test_regressions.py,
# strict xfail until fixed). While a bug is open, the fuzz oracle counts answers with its exact
# signature under its id (printed in the summary line) instead of failing on every occurrence;
# FUZZ_KNOWN_BUGS=fail makes them failures again. Any other deviation always fails.
KNOWN_BUGS_FAIL = os.environ.get("FUZZ_KNOWN_BUGS", "count") == "fail"


KNOWN_BUGS = {
    # (BUG-1 to BUG-4 are fixed; their regression tests in test_regressions.py stay.)
}


def known_bug(sent: "Sent", code: str) -> str | None:
    """The open bug whose signature this deviation has, when deviations of known bugs are counted."""
    if KNOWN_BUGS_FAIL:
        return None
    return next((bug for bug, matches in KNOWN_BUGS.items() if matches(sent, code)), None)

# Text that must never reach a client unless the client itself sent it (echoes of a method name,
# a tool name or a store identifier are fine): crash output, stack traces, SQL, driver errors.
LEAK_PATTERNS = [
    re.compile(p)
    for p in (
        r"(?i)fatal error",
        r"(?i)stack ?trace|traceback \(most recent",
        r"(?i)\bbacktrace\b",
        r"\.swift:\d+",
        r"\bSELECT\b",
        r"\bINSERT INTO\b",
        r"\bUPDATE [a-z_]+\.",
        r"\bDELETE FROM\b",
        r"(?i)\bsqlstate\b",
        r"(?i)syntax error at or near",
        r"(?i)violates (?:unique|foreign key|check|not-null) constraint",
        r"(?i)\bPostgresError\b|\blibpq\b|\bPQexec",
        r"(?i)DecodingError|dataCorrupted|codingPath",
        r"\borderdesk\.[a-z_]+\b",  # schema-qualified table names
    )
]


@dataclass
class Sent:
    """One HTTP request as sent (what a failure message reproduces)."""

    method: str
    path: str
    headers: list[tuple[str, bytes]]
    body: bytes
    label: str = ""  # what the generator meant, e.g. "envelope", "tools/call orders_get"
    request_id: Any = None  # the JSON-RPC id when the body carried a valid one (str or int)
    has_valid_id: bool = False
    notification: bool = False  # a well-formed JSON-RPC notification or response (→ 202 when accepted)
    tool: str | None = None  # tools/call: the tool name sent
    alt_ids: tuple = ()  # other ids the answer may carry (duplicate "id" members: either is fine)

    def repro(self, limit: int = 1500) -> str:
        body = self.body
        shown = body[:limit]
        more = f" … ({len(body)} bytes in all)" if len(body) > limit else f" ({len(body)} bytes)"
        hdrs = "\n".join(f"    {k}: {v.decode('latin-1')[:300]}" for k, v in self.headers)
        return f"{self.method} {self.path} [{self.label}]\n  headers:\n{hdrs}\n  body: {shown!r}{more}"

    def request_text(self) -> str:
        parts = [self.path, self.body.decode("utf-8", "replace")]
        parts += [v.decode("latin-1") for _, v in self.headers]
        return "\n".join(parts)


class FuzzFailure(AssertionError):
    pass


def _fail(sent: Sent, response: httpx2.Response | None, why: str) -> None:
    got = ""
    if response is not None:
        hdrs = ", ".join(f"{k}: {v}" for k, v in response.headers.items())
        got = f"\n  answer: HTTP {response.status_code}\n  answer headers: {hdrs}\n  answer body: {response.content[:1500]!r}"
    raise FuzzFailure(f"{why}\n  request: {sent.repro()}{got}")


def check_response(sent: Sent, r: httpx2.Response, stats: "FuzzStats", *, mcp_endpoint: bool = True) -> Any:
    """Assert every property an answer must have; returns the parsed body (or None)."""
    status = r.status_code
    if status not in ALLOWED_STATUSES:
        _fail(sent, r, f"status {status} is not one of {sorted(ALLOWED_STATUSES)}")
    if mcp_endpoint and not r.headers.get("x-request-id"):
        _fail(sent, r, "a /mcp answer without X-Request-ID")
    text = r.content.decode("utf-8", "replace")
    _check_no_leak(sent, r, text)
    if status in EMPTY_BODY_STATUSES:
        if r.content:
            _fail(sent, r, f"HTTP {status} with a body")
        if status == 202 and sent.method == "POST" and not sent.notification and not _known_id_bug(sent, "*", stats):
            _fail(sent, r, "202 for a POST that is not a JSON-RPC notification or response")
        return None
    if sent.method == "HEAD":
        return None
    if not mcp_endpoint and status in (404, 405) and not r.content:
        # The router's own answer for a path or method no handler serves: empty, no X-Request-ID.
        stats.notes[f"{sent.method} {sent.path if sent.path in ('/mcp', '/healthz', '/readyz') else '<other path>'} → bare {status}"] += 1
        return None
    ctype = r.headers.get("content-type", "")
    if "application/json" not in ctype:
        _fail(sent, r, f"HTTP {status} with Content-Type {ctype!r}, not application/json")
    try:
        body = json.loads(r.content)
    except (ValueError, UnicodeDecodeError):
        _fail(sent, r, "the answer body is not JSON")
    if not isinstance(body, dict):
        _fail(sent, r, "the answer body is not a JSON object")
    if body.get("jsonrpc") != "2.0":
        _fail(sent, r, 'the answer is not a JSON-RPC object with "jsonrpc": "2.0"')
    if "id" not in body:
        _fail(sent, r, 'the answer has no "id" member')
    if ("result" in body) == ("error" in body):
        _fail(sent, r, 'the answer must have exactly one of "result" and "error"')
    rid = body["id"]
    if not (rid is None or isinstance(rid, (str, int))) or isinstance(rid, bool):
        _fail(sent, r, f"answer id {rid!r} is neither null, a string nor an integer")
    if "result" in body:
        if status != 200:
            _fail(sent, r, f"a JSON-RPC result with HTTP {status}")
        if (not sent.has_valid_id or not _same_id(rid, sent)) and not _known_id_bug(sent, rid, stats):
            _fail(sent, r, f"result id {rid!r} is not the request id {sent.request_id!r}")
    else:
        err = body["error"]
        if not isinstance(err, dict) or not isinstance(err.get("code"), int) or isinstance(err.get("code"), bool):
            _fail(sent, r, "error member without an integer code")
        if not isinstance(err.get("message"), str) or not err["message"]:
            _fail(sent, r, "error member without a message")
        if rid is not None and (not sent.has_valid_id or not _same_id(rid, sent)) and not _known_id_bug(sent, rid, stats):
            _fail(sent, r, f"error id {rid!r} is neither null nor the request id {sent.request_id!r}")
        if status == 200 and not sent.has_valid_id and not _known_id_bug(sent, rid, stats):
            _fail(sent, r, "HTTP 200 JSON-RPC error for a message without a valid id")
        stats.jsonrpc_errors[err["code"]] += 1
    if status == 401 and "bearer" not in r.headers.get("www-authenticate", "").lower():
        _fail(sent, r, "401 without WWW-Authenticate: Bearer")
    if status == 429 and not r.headers.get("retry-after"):
        _fail(sent, r, "429 without Retry-After")
    if sent.tool is not None and status == 200 and "result" in body:
        check_tool_result(sent, r, body["result"], stats)
    return body


def check_health(sent: Sent, r: httpx2.Response) -> Any:
    """GET /healthz and /readyz whatever the headers: 200 with {"status": …} (the database is up)."""
    if r.status_code != 200:
        _fail(sent, r, f"{sent.path} answered {r.status_code} while the server and its database are up")
    try:
        body = json.loads(r.content)
    except ValueError:
        _fail(sent, r, f"{sent.path} answered a body that is not JSON")
    if not isinstance(body, dict) or body.get("status") not in ("ok", "ready"):
        _fail(sent, r, f"{sent.path} answered without status ok/ready")
    return body


def _known_id_bug(sent: Sent, rid: Any, stats: "FuzzStats") -> bool:
    bug = known_bug(sent, f"id:{rid}") if isinstance(rid, int) or rid == "*" else None
    if bug:
        stats.known_bugs[bug] += 1
        stats.known_bug_examples.setdefault(bug, sent.repro(600))
    return bug is not None


def _same_id(rid: Any, sent: Sent) -> bool:
    return any(rid == want and type(rid) is type(want) for want in (sent.request_id, *sent.alt_ids))


def check_tool_result(sent: Sent, r: httpx2.Response, result: Any, stats: "FuzzStats") -> None:
    if not isinstance(result, dict):
        _fail(sent, r, "tools/call result is not an object")
    for key in ("content", "structuredContent", "isError"):
        if key not in result:
            _fail(sent, r, f"tools/call result without {key}")
    if not isinstance(result["isError"], bool):
        _fail(sent, r, "isError is not a boolean")
    sc = result["structuredContent"]
    if not isinstance(sc, dict):
        _fail(sent, r, "structuredContent is not an object")
    content = result["content"]
    if not isinstance(content, list) or not content:
        _fail(sent, r, "content is not a non-empty array")
    texts = []
    for block in content:
        if not isinstance(block, dict) or block.get("type") != "text" or not isinstance(block.get("text"), str):
            _fail(sent, r, f"content block {block!r:.200} is not a text block")
        try:
            texts.append(json.loads(block["text"]))
        except ValueError:
            pass
    if sc not in texts:
        _fail(sent, r, "no text block carries the structuredContent JSON")
    meta = result.get("_meta") or {}
    if meta.get("correlation_id") != r.headers.get("x-request-id"):
        _fail(sent, r, "_meta.correlation_id differs from X-Request-ID")
    if result["isError"]:
        err = sc.get("error")
        if not isinstance(err, dict) or not isinstance(err.get("code"), str) or not isinstance(err.get("message"), str):
            _fail(sent, r, "tool error without error.code and error.message strings")
        code = err["code"]
        stats.tool_errors[code] += 1
        if code not in TOOL_ERROR_CODES:
            _fail(sent, r, f"tool error code {code!r} is not in the documented set")
        if code in SERVER_FAILURE_CODES:
            known = known_bug(sent, code)
            if known:
                stats.known_bugs[known] += 1
                stats.known_bug_examples.setdefault(known, sent.repro(600))
                return
            _fail(sent, r, f"tool error {code!r}: the server failed on this input (the tool-level 5xx)")
    else:
        stats.tool_ok[sent.tool or "?"] += 1


def _check_no_leak(sent: Sent, r: httpx2.Response, text: str) -> None:
    if not text:
        return
    asked = sent.request_text()
    for rx in LEAK_PATTERNS:
        for m in rx.finditer(text):
            if m.group(0).lower() in asked.lower():
                continue  # an echo of the caller's own input
            _fail(sent, r, f"the answer leaks internals: {m.group(0)!r}")


# ---------------------------------------------------------------------------------------------
# Statistics of the run
# ---------------------------------------------------------------------------------------------


@dataclass
class FuzzStats:
    started: float = field(default_factory=time.monotonic)
    examples: Counter = field(default_factory=Counter)  # per test
    requests: int = 0
    statuses: Counter = field(default_factory=Counter)
    jsonrpc_errors: Counter = field(default_factory=Counter)
    tool_errors: Counter = field(default_factory=Counter)
    tool_ok: Counter = field(default_factory=Counter)
    rss_samples_mb: list[float] = field(default_factory=list)
    rss_baseline_mb: float | None = None
    health_checks: int = 0
    test_seconds: dict = field(default_factory=dict)
    idempotent_creates: dict = field(default_factory=dict)  # (store uuid, key) → (canonical order, order id)
    tool_calls: list = field(default_factory=list)  # (X-Request-ID, Sent) of every dispatched tools/call
    audit_missing: int | None = None
    known_bugs: Counter = field(default_factory=Counter)
    known_bug_examples: dict = field(default_factory=dict)
    notes: Counter = field(default_factory=Counter)  # observations worth reporting that are not failures

    def summary(self) -> dict:
        return {
            "mode": "long" if LONG_MODE else "short",
            "budget_FUZZ_EXAMPLES": FUZZ_EXAMPLES,
            "derandomize": DERANDOMIZE,
            "seed": FUZZ_SEED,
            "examples_total": sum(self.examples.values()),
            "examples_by_test": dict(self.examples),
            "http_requests": self.requests,
            "statuses": dict(sorted(self.statuses.items())),
            "jsonrpc_error_codes": dict(sorted(self.jsonrpc_errors.items())),
            "tool_error_codes": dict(self.tool_errors.most_common()),
            "tool_successes": dict(self.tool_ok.most_common()),
            "notes": dict(self.notes.most_common()),
            "known_bug_hits": dict(self.known_bugs),
            "known_bug_first_example": self.known_bug_examples,
            "rss_mb": {
                "baseline": self.rss_baseline_mb,
                "max": max(self.rss_samples_mb) if self.rss_samples_mb else None,
                "last": self.rss_samples_mb[-1] if self.rss_samples_mb else None,
                "samples": len(self.rss_samples_mb),
            },
            "health_checks": self.health_checks,
            "tool_calls_dispatched": len(self.tool_calls),
            "tool_calls_without_audit_row": self.audit_missing,
            "seconds": round(time.monotonic() - self.started, 1),
            "test_seconds": self.test_seconds,
        }

    def line(self) -> str:
        s = self.summary()
        rss = s["rss_mb"]
        statuses = " ".join(f"{k}:{v}" for k, v in s["statuses"].items())
        fmt = lambda v: "?" if v is None else f"{v:.0f}"  # noqa: E731
        return (
            f"fuzz ({s['mode']}, FUZZ_EXAMPLES={FUZZ_EXAMPLES}, derandomize={DERANDOMIZE}): "
            f"{s['examples_total']} examples, {s['http_requests']} HTTP requests in {s['seconds']} s; "
            f"statuses {statuses}; RSS baseline {fmt(rss['baseline'])} MB, max {fmt(rss['max'])} MB, "
            f"last {fmt(rss['last'])} MB"
            + (f"; KNOWN BUG hits: {dict(self.known_bugs)}" if self.known_bugs else "")
        )


STATS = FuzzStats()


# ---------------------------------------------------------------------------------------------
# The live target
# ---------------------------------------------------------------------------------------------


def _method_of(body: bytes) -> Any:
    try:
        msg = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    return msg.get("method") if isinstance(msg, dict) else None


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    raise RuntimeError(f"no VmRSS for pid {pid}")


class Target:
    """One running `orderdesk-mcp serve` and what the fuzz tests need to talk to it."""

    def __init__(self, server, *, keys: dict[str, str], stores: list[dict], order_ids: dict[str, list[str]], sim_keys: dict[str, str]):
        self.server = server
        self.base_url = server.base_url
        self.mcp_url = server.mcp_url
        self.pid = server.proc.pid
        self.keys = keys  # label → master key ("valid", "read", "other", "revoked")
        self.stores = stores  # registered store rows of the fuzz tenant
        self.order_ids = order_ids  # OrderDesk store id → order ids seeded in the simulator
        self.sim_keys = sim_keys  # OrderDesk store id → API key
        self.http = httpx2.Client(timeout=httpx2.Timeout(REQUEST_TIMEOUT_S))
        self.sessions: dict[str, str] = {}
        self._since_check = 0

    # --- raw sending --------------------------------------------------------------------------

    def send(self, sent: Sent) -> httpx2.Response:
        url = self.base_url + sent.path
        try:
            r = self.http.request(sent.method, url, headers=sent.headers, content=sent.body)
        except httpx2.TimeoutException:
            self._after_error()
            _fail(sent, None, f"no answer within {REQUEST_TIMEOUT_S} s (hang)")
        except httpx2.TransportError as e:
            self._after_error()
            _fail(sent, None, f"no well-formed HTTP answer: {type(e).__name__}: {e}")
        STATS.requests += 1
        STATS.statuses[r.status_code] += 1
        return r

    def _after_error(self) -> None:
        # A broken connection must not poison the next example's request.
        self.http.close()
        self.http = httpx2.Client(timeout=httpx2.Timeout(REQUEST_TIMEOUT_S))

    def exchange(self, sent: Sent) -> tuple[httpx2.Response, Any]:
        r = self.send(sent)
        path = sent.path.split("?")[0].split("#")[0]
        if path in ("/healthz", "/readyz") and sent.method == "GET":
            return r, check_health(sent, r)
        handled = path == "/mcp" and sent.method in ("POST", "GET", "DELETE")
        body = check_response(sent, r, STATS, mcp_endpoint=handled)
        if handled and sent.method == "POST" and r.status_code == 200 and isinstance(body, dict):
            if b'"tools/call"' in sent.body[:200_000] and _method_of(sent.body) == "tools/call":
                # Dispatched tools/call (result or JSON-RPC error): must have an audit row.
                STATS.tool_calls.append((r.headers["x-request-id"], sent))
        return r, body

    # --- sessions ---------------------------------------------------------------------------------

    def base_headers(self, key: str | None = "valid", session: str | None = None) -> list[tuple[str, bytes]]:
        h = [("Content-Type", b"application/json"), ("Accept", b"application/json, text/event-stream")]
        if key:
            h.append(("Authorization", f"Bearer {self.keys[key]}".encode()))
        if session:
            h.append(("Mcp-Session-Id", session.encode()))
            h.append(("MCP-Protocol-Version", b"2025-11-25"))
        return h

    def new_session(self, key: str | None = "valid") -> str:
        msg = {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "fuzz", "version": "1"}},
        }
        r = self.http.post(self.mcp_url, content=json.dumps(msg), headers=self.base_headers(key))
        assert r.status_code == 200 and r.headers.get("mcp-session-id"), f"initialize: {r.status_code} {r.text[:300]}"
        sid = r.headers["mcp-session-id"]
        n = self.http.post(
            self.mcp_url,
            content=json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}),
            headers=self.base_headers(key, sid),
        )
        assert n.status_code == 202, f"notifications/initialized: {n.status_code} {n.text[:300]}"
        return sid

    def bound_session(self) -> str:
        """A session of the fuzz tenant whose active store is its first store (order tools then
        reach the simulator instead of answering no_active_store)."""
        sid = self.new_session("valid")
        if self.stores:
            msg = {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "stores_use_store", "arguments": {"store": self.stores[0]["id"]}}}
            r = self.http.post(self.mcp_url, content=json.dumps(msg), headers=self.base_headers("valid", sid))
            assert r.status_code == 200 and not r.json()["result"]["isError"], f"stores_use_store: {r.text[:300]}"
        return sid

    def ended_session(self) -> str:
        sid = self.new_session()
        d = self.http.delete(self.mcp_url, headers=self.base_headers("valid", sid))
        assert d.status_code in (200, 204), f"DELETE: {d.status_code}"
        return sid

    def session(self, kind: str) -> str:
        """A session id of a kind: bound (to the fuzz tenant), unbound, other (another tenant's),
        ended. Bound/other/ended are long-lived; `refresh` replaces one a fuzzed request may have
        changed (bound it, ended it)."""
        if kind not in self.sessions:
            self.sessions[kind] = {
                "bound": self.bound_session,
                "unbound": lambda: self.new_session(None),
                "other": lambda: self.new_session("other"),
                "ended": self.ended_session,
            }[kind]()
        return self.sessions[kind]

    def refresh(self, kind: str) -> None:
        self.sessions.pop(kind, None)

    # --- liveness -------------------------------------------------------------------------------

    def check_alive(self, *, force: bool = False) -> None:
        """The process is alive after every example; every CHECK_EVERY examples (or when forced)
        /healthz answers 200 and RSS stays under MAX_RSS_MB."""
        if self.server.proc.poll() is not None:
            raise FuzzFailure(
                f"the server process exited with {self.server.proc.returncode}; stderr tail:\n{self.server.stderr_tail()}"
            )
        self._since_check += 1
        if not force and self._since_check < CHECK_EVERY:
            return
        self._since_check = 0
        try:
            h = httpx2.get(self.base_url + "/healthz", timeout=10)
        except httpx2.HTTPError as e:
            raise FuzzFailure(f"/healthz did not answer: {e!r}; stderr tail:\n{self.server.stderr_tail()}") from e
        STATS.health_checks += 1
        if h.status_code != 200 or h.json().get("status") != "ok":
            raise FuzzFailure(f"/healthz: {h.status_code} {h.text[:300]}")
        rss = rss_mb(self.pid)
        STATS.rss_samples_mb.append(rss)
        if rss > MAX_RSS_MB:
            raise FuzzFailure(f"server RSS {rss:.0f} MB is over {MAX_RSS_MB:.0f} MB")
