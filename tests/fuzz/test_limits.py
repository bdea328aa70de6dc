"""The exact boundaries the random search may miss in a short run: nesting at 64/65 levels, a body
of exactly MAX_BODY_BYTES and one byte more, and the smallest malformed bodies. Each request also
goes through the fuzz oracle."""

from __future__ import annotations

import pytest

from fuzz_strategies import MAX_BODY_BYTES, MAX_DEPTH, RawJSON, dumps, huge_body, nested
from fuzz_support import STATS, Sent


def send(target, body: bytes, *, key="valid", session="bound", rid=None) -> tuple[int, dict | None]:
    headers = target.base_headers(key, target.session(session) if session else None)
    sent = Sent("POST", "/mcp", headers, body, label="limit", request_id=rid, has_valid_id=rid is not None)
    r, answer = target.exchange(sent)
    STATS.examples["limits"] += 1
    target.check_alive()
    return r.status_code, answer


def ping_with_depth(total: int, kind: str) -> bytes:
    """A ping whose nesting is exactly `total` levels (envelope and params count as two)."""
    return dumps({"jsonrpc": "2.0", "id": 5, "method": "ping", "params": {"p": nested(total - 2, "x", [kind])}}).encode()


@pytest.mark.parametrize("kind", ["array", "object"])
def test_nesting_at_the_limit_is_accepted_and_one_more_refused(target, kind):
    status, answer = send(target, ping_with_depth(MAX_DEPTH, kind), rid=5)
    assert status == 200 and answer.get("result") == {}, (status, answer)
    status, answer = send(target, ping_with_depth(MAX_DEPTH + 1, kind), rid=5)
    assert status == 400 and answer["error"]["code"] == -32600 and answer["id"] is None, (status, answer)


def test_very_deep_nesting_is_refused_cheaply(target):
    body = b'{"jsonrpc":"2.0","id":5,"method":"ping","params":{"p":' + b"[" * 200_000 + b"]" * 200_000 + b"}}"
    status, answer = send(target, body, rid=5)
    assert status == 400 and answer["error"]["code"] == -32600, (status, answer)


@pytest.mark.parametrize("fill", ["a", "é", "\\\\"])
def test_body_of_exactly_the_limit_is_accepted_and_one_byte_more_refused(target, fill):
    status, answer = send(target, huge_body(MAX_BODY_BYTES, fill, "ping"), rid=7)
    assert status == 200 and answer.get("id") == 7, (status, answer)
    status, answer = send(target, huge_body(MAX_BODY_BYTES + 1, fill, "ping"), rid=7)
    assert status == 413, (status, answer)
    # The session and the connection pool are fine afterwards.
    status, answer = send(target, b'{"jsonrpc":"2.0","id":8,"method":"ping"}', rid=8)
    assert status == 200, (status, answer)


def test_large_body_without_credentials_is_refused_before_reading(target):
    status, _ = send(target, huge_body(4 * MAX_BODY_BYTES, "a", "ping"), key="revoked", session=None)
    assert status == 401


@pytest.mark.parametrize(
    "body",
    [b"", b" ", b"\xff", b'{"jsonrpc":"2.0","id":1,"method":"pi\xc3"}', b'{"jsonrpc":"2.0","id":"\\ud800","method":"ping"}', b"{", b"nul\x00l"],
    ids=["empty", "space", "ff", "truncated-utf8", "lone-surrogate", "open-brace", "nul-byte"],
)
def test_malformed_bodies_are_parse_errors(target, body):
    status, answer = send(target, body, rid=1)
    assert status == 400 and answer["error"]["code"] == -32700 and answer["id"] is None, (status, answer)


def test_fractional_id_is_refused(target):
    status, answer = send(target, dumps({"jsonrpc": "2.0", "id": RawJSON("1.5"), "method": "ping"}).encode())
    assert status == 400 and answer["error"]["code"] == -32600, (status, answer)
