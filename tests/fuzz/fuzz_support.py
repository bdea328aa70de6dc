"""Machinery of the fuzz suite: the budget, the live target (one `orderdesk-mcp serve` with its
sessions and keys), the response oracle, liveness/RSS checks and the run's statistics.

Nothing here generates data (see fuzz_strategies.py); the tests combine the two.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import re
import time
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx2
from hypothesis import HealthCheck, seed, settings

from fuzz_strategies import CC_KEY, CI_KEY, LEGACY_VERSIONS, MODERN_VERSION, NAMED_PARAMETER, PV_KEY, SERVER_INFO_KEY, SUPPORTED_VERSIONS, TOOL_NAMES, RawJSON

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
    "envelopes": 0.22,
    "bodies": 0.09,
    "headers": 0.13,
    "tools": 0.28,
    # 2026-07-28 (test_fuzz_modern.py): the `_meta` envelope, the routing headers, tools/call.
    "modern_envelopes": 0.10,
    "modern_headers": 0.08,
    "modern_tools": 0.10,
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
    "store_not_allowed",
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

# `data.code` of a JSON-RPC error (ErrorCode.swift: clients branch on these) → its JSON-RPC code
# and the HTTP status it ends an exchange with. Legacy session methods answer their JSON-RPC errors
# in an HTTP 200; a 2026-07-28 request always gets the error's own status.
JSONRPC_DATA_CODES = {
    "parse_error": (-32700, 400),
    "invalid_request": (-32600, 400),
    "method_not_found": (-32601, 404),
    "invalid_params": (-32602, 400),
    "unknown_tool": (-32602, 400),
    "validation_error": (-32602, 400),
    "header_mismatch": (-32020, 400),
    "unsupported_protocol_version": (-32022, 400),
    "unauthorized": (-32001, 401),
    "forbidden": (-32001, 403),
    "rate_limited": (-32001, 429),
    "not_found": (-32603, 404),
    "database_unavailable": (-32603, 503),
}
# Other statuses an error of that code legitimately ends with (body limit, methods /mcp lacks).
EXTRA_ERROR_STATUSES = {"invalid_request": {403, 404, 405, 406, 413, 415}}
SUPPORTED_ANSWER = ["2026-07-28", "2025-11-25", "2025-06-18", "2025-03-26"]  # data.supported, newest first
assert sorted(SUPPORTED_ANSWER) == sorted(SUPPORTED_VERSIONS)

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
    era: str | None = None  # "modern" / "legacy" when the test knows; else classify_era() reads the request

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
    era = classify_era(sent)
    if r.headers.get("mcp-session-id") is not None and not (status == 200 and sent.method == "POST" and _method_of(sent.body) == "initialize"):
        # Only a successful initialize opens a session; a 2026-07-28 request never gets one.
        _fail(sent, r, f"Mcp-Session-Id on an answer that is not a 200 to initialize (era {era})")
    if status == 405 and mcp_endpoint and _header(sent, "mcp-protocol-version") == MODERN_VERSION.encode() and r.headers.get("allow") != "POST":
        _fail(sent, r, "405 to a 2026-07-28 request without `Allow: POST`")
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
        check_error_data(sent, r, err, era)
    if status == 401 and "bearer" not in r.headers.get("www-authenticate", "").lower():
        _fail(sent, r, "401 without WWW-Authenticate: Bearer")
    if status == 429 and not r.headers.get("retry-after"):
        _fail(sent, r, "429 without Retry-After")
    if sent.tool is not None and status == 200 and "result" in body:
        check_tool_result(sent, r, body["result"], stats)
    if era == "modern" and "result" in body:
        result = body["result"]
        if not isinstance(result, dict) or result.get("resultType") != "complete":
            _fail(sent, r, 'a 2026-07-28 result without resultType "complete"')
        check_server_info(sent, r, (result.get("_meta") or {}).get(SERVER_INFO_KEY))
    return body


def check_error_data(sent: Sent, r: httpx2.Response, err: dict, era: str | None) -> None:
    """Every JSON-RPC error names its failure in `data.code` (one of ErrorCode's stable strings)
    matching its numeric code; an UnsupportedProtocolVersion lists the revisions; a 2026-07-28
    error travels with its own HTTP status, never in a 200; nothing is a server failure."""
    data = err.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("code"), str):
        _fail(sent, r, "a JSON-RPC error without a data.code string")
    name = data["code"]
    if name in SERVER_FAILURE_CODES:
        _fail(sent, r, f"JSON-RPC error {name!r}: the server failed on this input")
    if name not in JSONRPC_DATA_CODES:
        _fail(sent, r, f"data.code {name!r} is not one of the request-level codes {sorted(JSONRPC_DATA_CODES)}")
    number, http_status = JSONRPC_DATA_CODES[name]
    if err["code"] != number:
        _fail(sent, r, f"data.code {name!r} comes with JSON-RPC code {err['code']}, not {number}")
    if number == -32022:
        # A session revision named in a request's `_meta` is answered with the per-request revisions
        # only (the session ones are reached through initialize); anything else with all of them.
        requested = data.get("requested")
        expected = [MODERN_VERSION] if requested in LEGACY_VERSIONS else SUPPORTED_ANSWER
        if data.get("supported") != expected or not isinstance(requested, str):
            _fail(sent, r, f"UnsupportedProtocolVersion data without supported={expected} and a requested string")
    if era == "modern" and r.status_code not in {http_status} | EXTRA_ERROR_STATUSES.get(name, set()):
        _fail(sent, r, f"a 2026-07-28 JSON-RPC error {name!r} with HTTP {r.status_code}, not {http_status}")


SERVER_NAME = "orderdesk-mcp"


def check_server_info(sent: Sent, r: httpx2.Response, info: Any) -> None:
    if not isinstance(info, dict) or info.get("name") != SERVER_NAME or not isinstance(info.get("version"), str):
        _fail(sent, r, f"_meta[{SERVER_INFO_KEY!r}] is not this server's identity: {info!r:.200}")


def _header(sent: Sent, name: str) -> bytes | None:
    """The combined value of a request header (lines joined with ", ", as swift-http-types does)."""
    values = [v for k, v in sent.headers if k.lower() == name]
    return b", ".join(values) if values else None


class _Duplicate(ValueError):
    pass


def _no_duplicates(pairs):
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        raise _Duplicate
    return dict(pairs)


def _reject_constant(_):
    raise ValueError("NaN/Infinity")


def classify_era(sent: Sent) -> str | None:
    """Which era the server serves a POST /mcp in (RevisionMiddleware): "modern" when the
    MCP-Protocol-Version header says 2026-07-28, when `_meta` declares a version, or for
    server/discover (never initialize); notifications and responses by the header alone; "legacy"
    otherwise. None when the request ends before the era is decided or when Python might read the
    body differently from the server (duplicate names, non-integer ids, NaN)."""
    if sent.era is not None:
        return sent.era
    if sent.method != "POST" or sent.path != "/mcp":
        return None
    version = _header(sent, "mcp-protocol-version")
    if version is not None and version.decode("latin-1") not in SUPPORTED_VERSIONS:
        return None
    header_modern = version == MODERN_VERSION.encode()
    try:
        msg = json.loads(sent.body, object_pairs_hook=_no_duplicates, parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    if not isinstance(msg, dict) or msg.get("jsonrpc") != "2.0":
        return None
    has_id = "id" in msg
    rid = msg.get("id")
    if has_id and not (isinstance(rid, str) or (isinstance(rid, int) and not isinstance(rid, bool) and -(2**63) <= rid < 2**63)):
        return None
    method = msg.get("method")
    if method is None and has_id and ("result" in msg or "error" in msg):
        return "modern" if header_modern else "legacy"
    if not isinstance(method, str) or not method:
        return None
    params = msg.get("params")
    if params is not None and not isinstance(params, dict):
        return None
    if not has_id:
        return "modern" if header_modern else "legacy"
    if method == "initialize":
        return "legacy"
    meta = (params or {}).get("_meta")
    declares = isinstance(meta, dict) and PV_KEY in meta
    return "modern" if header_modern or declares or method == "server/discover" else "legacy"


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


# ---------------------------------------------------------------------------------------------
# The 2026-07-28 model: what POST /mcp must answer to a request (notes/modern-contract.md)
# ---------------------------------------------------------------------------------------------
#
# The edge first (MCP-Protocol-Version must be a revision we speak: -32022 before authentication;
# a refused key: 401), then the body (parse errors, envelope), then the era, then the modern
# validation ladder — envelope (-32602), routing headers (-32020), version (-32022) — and finally
# the method. Where the contract leaves a choice open (see `Leeway`), every choice is accepted.

LIVE_KEYS = ("valid", "read", "other")  # keys that authenticate (revoked does not)
OVERFLOWING_NUMBERS = {"1e400", "-1e400"}  # raw numbers the server's parser refuses (-32700)
CLIENT_INFO_MAX = 200


@dataclass(frozen=True)
class Outcome:
    status: int
    code: int | None = None  # the JSON-RPC error code; None: a result (200) or no body (202)
    result: str | None = None  # which result: "discover", "tools/list", "tools/call"
    id: str = "exact"  # the error's id: "exact" (the request's), "null", or "either"
    why: str = ""
    requested: str | None = None  # -32022: the version the answer must name (before the 40-char cap)
    challenge: str | None = None  # 401: the exact WWW-Authenticate
    dispatched: bool = False  # a tools/call that reached the tool pipeline (it must be audited)

    def short(self) -> str:
        what = f"{self.code}" if self.code is not None else (self.result or "no body")
        return f"HTTP {self.status} {what} ({self.why})"


@dataclass
class Expectation:
    era: str  # "edge" (refused before the era is known), "modern", "legacy" (not predicted here)
    outcomes: list[Outcome]
    traceparent: str | None = None  # what audit rows of a dispatched call must carry

    def describe(self) -> str:
        return f"era {self.era}; expected one of: " + "; ".join(o.short() for o in self.outcomes)


@dataclass(frozen=True)
class Leeway:
    """The points where the contract and the MCP spec leave the server a choice; the model tries
    both ways. `title`: is a non-string/long/NUL clientInfo.title refused (the contract names only
    name and version)? `named_others`: are prompts/get and resources/read held to Mcp-Name like
    tools/call (the spec says so; the contract only lists tools/call, those methods are 404 anyway)?
    `nonstring_name`: is a tools/call whose `name` is not a string refused as a header mismatch (no
    Mcp-Name can equal it) or left to the tool pipeline (-32602)?"""

    title: bool
    named_others: bool
    nonstring_name: bool


ALL_LEEWAYS = [Leeway(*flags) for flags in itertools.product((False, True), repeat=3)]


def nfd(text: str) -> str:
    """Swift compares strings by canonical equivalence: so does the model."""
    return unicodedata.normalize("NFD", text)


def is_plain(value: bytes) -> bool:
    """A routing-header value MCP allows: visible ASCII, space and tab."""
    return all(b == 0x09 or 0x20 <= b <= 0x7E for b in value)


def decode_mcp_name(value: str) -> str | None:
    """`Mcp-Name` as the contract reads it: the value, or the UTF-8 text inside `=?base64?…?=`
    (canonical, padded base64 only); None when the sentinel holds anything else. A decoded
    U+FEFF stays a character of the name (it is not a byte-order mark to drop)."""
    if not (value.startswith("=?base64?") and value.endswith("?=") and len(value) >= 11):
        return value
    payload = value[9:-2]
    try:
        data = base64.b64decode(payload, validate=True)
    except (ValueError, base64.binascii.Error):
        return None
    if base64.b64encode(data).decode() != payload:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def parse_traceparent(text: Any) -> str | None:
    """TraceParent.swift: trimmed of Zs/tab, 55..256 bytes, lowercase hex with dashes at 2/35/52,
    not version ff, version 00 exactly 55 long, a later version's extra fields after a dash, no
    all-zero trace or parent id; the normalised value is the first 55 characters."""
    if not isinstance(text, str):
        return None
    ws = lambda c: c == "\t" or unicodedata.category(c) == "Zs"  # noqa: E731
    start, end = 0, len(text)
    while start < end and ws(text[start]):
        start += 1
    while end > start and ws(text[end - 1]):
        end -= 1
    raw = text[start:end].encode("utf-8", "surrogatepass")
    if not 55 <= len(raw) <= 256:
        return None
    head = raw[:55]
    for i, b in enumerate(head):
        if i in (2, 35, 52):
            if b != 0x2D:
                return None
        elif not (0x30 <= b <= 0x39 or 0x61 <= b <= 0x66):
            return None
    if head[:2] == b"ff" or (head[:2] == b"00" and len(raw) != 55) or (len(raw) > 55 and raw[55] != 0x2D):
        return None
    if head[3:35] == b"0" * 32 or head[36:52] == b"0" * 16:
        return None
    return head.decode()


def _values(headers: list[tuple[str, bytes]], name: str) -> list[bytes]:
    return [v for k, v in headers if k.lower() == name.lower()]


def _valid_id(rid: Any) -> bool:
    return isinstance(rid, str) or (isinstance(rid, int) and not isinstance(rid, bool) and -(2**63) <= rid < 2**63)


def _overflows(value: Any) -> bool:
    if isinstance(value, RawJSON):
        return value.text in OVERFLOWING_NUMBERS
    if isinstance(value, dict):
        return any(_overflows(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_overflows(v) for v in value)
    return False


def expected_traceparent(msg: Any, headers: list[tuple[str, bytes]]) -> str | None:
    params = msg.get("params") if isinstance(msg, dict) else None
    meta = params.get("_meta") if isinstance(params, dict) else None
    found = parse_traceparent(meta.get("traceparent")) if isinstance(meta, dict) else None
    if found:
        return found
    header = b", ".join(_values(headers, "traceparent"))
    return parse_traceparent(header.decode("utf-8", "replace")) if header else None


def modern_tool_names(registry: list[str]) -> set[str]:
    """Names a 2026-07-28 tools/call may use: each listed tool and its dotted alias."""
    return {n for name in registry for n in (name, name.replace("_", ".", 1))}


def expect_post(headers: list[tuple[str, bytes]], msg: Any, key: str | None, tools: set[str]) -> Expectation:
    """The model: every outcome the contract allows for POST /mcp with these headers, this message
    (a dict as sent, MISSING members already left out) and this key kind; `tools` are the callable
    names (modern_tool_names of the live 2026-07-28 tools/list)."""
    seen: dict[Outcome, None] = {}
    era = "legacy"
    for leeway in ALL_LEEWAYS:
        era_, outcome = _evaluate(headers, msg, key, tools, leeway)
        if era_ != "legacy" or era == "legacy":
            era = era_
        if outcome is not None:
            seen[outcome] = None
    return Expectation(era, list(seen), expected_traceparent(msg, headers))


def _evaluate(headers, msg, key, tools, leeway: Leeway) -> tuple[str, Outcome | None]:
    versions = _values(headers, "MCP-Protocol-Version")
    combined = b", ".join(versions) if versions else None
    # --- the edge: before the body is read, so no id to echo ---
    # MCP-Protocol-Version sent twice: HeaderMismatch (-32020) in either era, answered by
    # ProtocolVersionMiddleware before authentication and before the body is read.
    if len(versions) > 1:
        return "edge", Outcome(400, -32020, id="either", why="MCP-Protocol-Version sent twice (before the body is read)")
    if combined is not None and combined.decode("latin-1") not in SUPPORTED_VERSIONS:
        requested = combined.decode("latin-1") if combined.isascii() else None
        return "edge", Outcome(400, -32022, id="either", why="MCP-Protocol-Version is not a revision we speak", requested=requested)
    legacy = ("legacy", None)
    if key is not None and key not in LIVE_KEYS:
        return "edge", Outcome(401, -32001, id="either", why=f"{key} key", challenge='Bearer realm="orderdesk-mcp", error="invalid_token"')
    principal = key in LIVE_KEYS
    # --- the body ---
    if _overflows(msg):
        return "edge", Outcome(400, -32700, id="null", why="a number the parser refuses")
    if not isinstance(msg, dict):
        return "edge", Outcome(400, -32600, id="null", why="not an object")
    has_id = "id" in msg
    rid = msg.get("id")
    if has_id and not _valid_id(rid):
        return "edge", Outcome(400, -32600, id="null", why="id neither a string nor an integer")
    if msg.get("jsonrpc") != "2.0" or isinstance(msg.get("jsonrpc"), RawJSON):
        return "edge", Outcome(400, -32600, id="exact" if has_id else "null", why='"jsonrpc" is not "2.0"')
    method = msg.get("method")
    header_modern = combined == MODERN_VERSION.encode()
    if method is None and has_id and ("result" in msg or "error" in msg):
        if header_modern:
            return "modern", Outcome(400, -32600, id="either", why="a JSON-RPC response on a 2026-07-28 POST")
        return legacy
    if not isinstance(method, str) or not method:
        return "edge", Outcome(400, -32600, id="exact" if has_id else "null", why="method is not a non-empty string")
    params = msg.get("params")
    if params is None:
        params = {}
    if not isinstance(params, dict):
        return "edge", Outcome(400, -32600, id="exact" if has_id else "null", why="params is not an object")
    meta = params.get("_meta")
    declares = isinstance(meta, dict) and PV_KEY in meta
    # --- the era ---
    if not has_id:
        # A notification has no request envelope (the 2026-07-28 schema's NotificationMetaObject
        # carries no protocol version), so the header alone makes it modern (RevisionMiddleware).
        if header_modern:
            return "modern", Outcome(202, why="a 2026-07-28 notification")
        return legacy
    if method == "initialize" or not (header_modern or declares or method == "server/discover"):
        return legacy
    fail = lambda code, why, **kw: ("modern", Outcome(400, code, why=why, **kw))  # noqa: E731
    # 1. the `_meta` envelope (-32602)
    if not isinstance(meta, dict):
        return fail(-32602, "`params._meta` missing or not an object")
    if PV_KEY not in meta or CC_KEY not in meta:
        return fail(-32602, "`_meta` lacks the protocol version or the client capabilities")
    if not isinstance(meta[CC_KEY], dict):
        return fail(-32602, "clientCapabilities is not an object")
    info = meta.get(CI_KEY)
    if info is not None:
        if not isinstance(info, dict):
            return fail(-32602, "clientInfo is not an object")
        for field_ in ("name", "version", "title"):
            if field_ == "title" and (not leeway.title or info.get("title") is None):
                continue
            value = info.get(field_, MISSING_FIELD)
            if not isinstance(value, str):
                return fail(-32602, f"clientInfo.{field_} is not a string")
            if "\u0000" in value or len(value) > CLIENT_INFO_MAX:
                return fail(-32602, f"clientInfo.{field_} has NUL or more than {CLIENT_INFO_MAX} characters")
    # 2. the routing headers (-32020)
    for name in ("MCP-Protocol-Version", "Mcp-Method", "Mcp-Name"):
        values = _values(headers, name)
        if len(values) > 1:
            return fail(-32020, f"{name} sent twice")
        if values and not is_plain(values[0]):
            return fail(-32020, f"{name} outside visible ASCII")
    if not versions:
        return fail(-32020, "MCP-Protocol-Version missing")
    pv = meta[PV_KEY]
    if not isinstance(pv, str) or nfd(pv) != nfd(versions[0].decode()):
        return fail(-32020, "MCP-Protocol-Version differs from `_meta`")
    method_header = _values(headers, "Mcp-Method")
    if not method_header:
        return fail(-32020, "Mcp-Method missing")
    if nfd(method_header[0].decode()) != nfd(method):
        return fail(-32020, "Mcp-Method differs from the method")
    parameter = NAMED_PARAMETER.get(method)
    checked = method == "tools/call" or leeway.named_others
    if parameter and checked:
        value = params.get(parameter)
        name_header = _values(headers, "Mcp-Name")
        if isinstance(value, str):
            if not name_header:
                return fail(-32020, "Mcp-Name missing")
            decoded = decode_mcp_name(name_header[0].decode())
            if decoded is None or nfd(decoded) != nfd(value):
                return fail(-32020, f"Mcp-Name differs from params.{parameter}")
        elif method == "tools/call" and leeway.nonstring_name:
            return fail(-32020, "no Mcp-Name can equal a name that is not a string")
    # 3. the version itself
    if pv != MODERN_VERSION:
        return fail(-32022, "`_meta` names a version that is not 2026-07-28", requested=pv)
    # 4. the method
    if method == "server/discover":
        return "modern", Outcome(200, result="discover", why="server/discover")
    if method == "tools/list":
        if params.get("cursor") is not None:
            return fail(-32602, "a cursor this server never issued")
        return "modern", Outcome(200, result="tools/list", why="tools/list")
    if method == "tools/call":
        if not principal:
            return "modern", Outcome(401, -32001, why="tools/call without a key", challenge='Bearer realm="orderdesk-mcp"')
        name = params.get("name")
        if not isinstance(name, str):
            return "modern", Outcome(400, -32602, why="tools/call without a string name", dispatched=True)
        if not any(nfd(name) == nfd(t) for t in tools):
            return "modern", Outcome(400, -32602, why=f"unknown tool {name[:40]!r}", dispatched=True)
        return "modern", Outcome(200, result="tools/call", why=f"tools/call {name}", dispatched=True)
    return "modern", Outcome(404, -32601, why=f"no 2026-07-28 method {method[:40]!r}")


MISSING_FIELD = object()


def check_expectation(sent: Sent, r: httpx2.Response, body: Any, exp: Expectation, *, tools_listing: list | None = None) -> Outcome | None:
    """The answer (already through check_response) is one the model allows; returns the outcome
    it matched (None for legacy requests, which the model does not predict)."""
    if exp.era == "legacy" or not exp.outcomes:
        return None
    status = r.status_code
    code = body["error"]["code"] if isinstance(body, dict) and isinstance(body.get("error"), dict) else None
    matching = [o for o in exp.outcomes if o.status == status and o.code == code and (o.code is not None or o.status == 202 or "result" in (body or {}))]
    if not matching:
        got = f"HTTP {status}" + (f" JSON-RPC {code}" if code is not None else "")
        _fail(sent, r, f"the 2026-07-28 contract predicts otherwise: got {got}; {exp.describe()}")
    outcome = matching[0]
    if code is not None:
        rid = body.get("id")
        want = sent.request_id
        if any(o.id == "exact" for o in matching) and all(o.id == "exact" for o in matching):
            if not (rid == want and type(rid) is type(want)):
                _fail(sent, r, f"the error's id {rid!r} is not the request's id {want!r} (the body was readable)")
        elif all(o.id == "null" for o in matching) and rid is not None:
            _fail(sent, r, f"the error's id {rid!r} should be null")
        data = body["error"].get("data") or {}
        if code == -32022:
            requested = [o.requested for o in matching if o.requested is not None]
            if requested and not any(data.get("requested") in (q, q[:40]) for q in requested):
                _fail(sent, r, f"data.requested {data.get('requested')!r} is not the version sent ({requested[0][:60]!r})")
        challenges = {o.challenge for o in matching if o.challenge}
        if status == 401 and challenges and r.headers.get("www-authenticate") not in challenges:
            _fail(sent, r, f"WWW-Authenticate {r.headers.get('www-authenticate')!r}, expected {sorted(challenges)}")
    elif outcome.result == "discover":
        check_discovery(sent, r, body["result"])
    elif outcome.result == "tools/list" and tools_listing is not None:
        check_modern_listing(sent, r, body["result"], tools_listing)
    return outcome


def check_discovery(sent: Sent, r: httpx2.Response, result: dict) -> None:
    want = {
        "resultType": "complete",
        "supportedVersions": SUPPORTED_ANSWER,
        "capabilities": {"tools": {"listChanged": False}},
        "ttlMs": 300000,
        "cacheScope": "public",
    }
    for k, v in want.items():
        if result.get(k) != v:
            _fail(sent, r, f"server/discover: {k} is {result.get(k)!r}, not {v!r}")
    if not isinstance(result.get("instructions"), str) or not result["instructions"]:
        _fail(sent, r, "server/discover without instructions")


def check_modern_listing(sent: Sent, r: httpx2.Response, result: dict, reference: list) -> None:
    for k, v in {"ttlMs": 300000, "cacheScope": "public", "resultType": "complete"}.items():
        if result.get(k) != v:
            _fail(sent, r, f"2026-07-28 tools/list: {k} is {result.get(k)!r}, not {v!r}")
    tools = result.get("tools")
    if not isinstance(tools, list) or any(not isinstance(t, dict) for t in tools):
        _fail(sent, r, "2026-07-28 tools/list: tools is not a list of objects")
    if "tenant_use_master_key" in {t.get("name") for t in tools}:
        _fail(sent, r, "2026-07-28 tools/list lists the session-only tenant_use_master_key")
    if tools != reference:
        _fail(sent, r, "2026-07-28 tools/list differs from the first listing (it must be the same for every caller)")
