"""Fuzzed JSON-RPC envelopes and whole bodies, POSTed to /mcp with well-formed headers.

Every answer must satisfy the oracle (fuzz_support.check_response); on top of that, what the
server decides is checked where the contract fixes it: the depth limit, the body limit, parse
errors, and echoing the request id.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from fuzz_strategies import MAX_BODY_BYTES, MAX_DEPTH, MISSING, Ref, RawJSON, bodies, dumps, envelopes, materialize
from fuzz_support import STATS, Sent, fuzz_settings

SESSION_KINDS = st.sampled_from(["bound"] * 6 + ["unbound", "other", "ended", "none"])
KEY_KINDS = st.sampled_from(["valid"] * 6 + ["read", "other", "revoked", None])


def live_value(target):
    def resolve(ref: Ref) -> Any:
        if ref.kind == "session":
            return target.session(ref.which)
        if ref.kind == "key":
            return target.keys[ref.which]
        raise AssertionError(f"unexpected ref {ref}")

    return resolve


def as_valid_id(value: Any) -> Any:
    """The id as the server reads it, or MISSING when it refuses it: strings, and numbers that are
    whole and in Int64 range (JSON does not tell 100 from 1E+2 or 100.0, so neither does the
    server: it answers with id 100)."""
    if isinstance(value, bool) or value is None or value is MISSING:
        return MISSING
    if isinstance(value, str):
        return value
    if isinstance(value, (RawJSON, float)):
        # The exact number the JSON text denotes (6.425431342609429e+16 is 64254313426094290, not
        # the double Python would make of it).
        try:
            value = Decimal(value.text if isinstance(value, RawJSON) else json.dumps(value))
        except InvalidOperation:
            return MISSING
        if not value.is_finite() or value != value.to_integral_value():
            return MISSING
        value = int(value)
    if isinstance(value, int) and -(2**63) <= value < 2**63:
        return value
    return MISSING


def classify(msg: dict) -> tuple[bool, Any, bool]:
    """(has a valid id, the id, is a notification or response the server acknowledges with 202)."""
    rid = msg.get("id", MISSING)
    parsed = as_valid_id(rid)
    has_id = parsed is not MISSING
    rid = parsed if has_id else rid
    method = msg.get("method", MISSING)
    ok_envelope = msg.get("jsonrpc", MISSING) == "2.0" and not isinstance(msg.get("jsonrpc"), RawJSON)
    params = msg.get("params", MISSING)
    ok_params = params is MISSING or params is None or isinstance(params, dict)
    if rid is MISSING:
        notification = ok_envelope and isinstance(method, str) and method != "" and ok_params
    elif has_id and method is MISSING and ("result" in msg or "error" in msg):
        notification = ok_envelope  # a response object
    else:
        notification = False
    return has_id, (rid if has_id else None), notification


def post(target, body: bytes, *, key: str | None, session: str | None, label: str) -> Sent:
    headers = target.base_headers(key, target.session(session) if session and session != "none" else None)
    return Sent("POST", "/mcp", headers, body, label=label)


@fuzz_settings("envelopes")
@given(envelope=envelopes(), session=SESSION_KINDS, key=KEY_KINDS)
def test_fuzz_envelopes(target, envelope, session, key):
    msg, label = envelope
    msg = materialize(msg, live_value(target))
    msg = {k: v for k, v in msg.items() if v is not MISSING}
    sent = post(target, dumps(msg).encode("utf-8", "surrogatepass"), key=key, session=session, label=f"{label} ({session}, {key})")
    sent.has_valid_id, sent.request_id, sent.notification = classify(msg)
    if msg.get("method") == "tools/call" and isinstance(msg.get("params"), dict) and isinstance(msg["params"].get("name"), str):
        sent.tool = msg["params"]["name"]
    STATS.examples["envelopes"] += 1
    r, body = target.exchange(sent)
    if sent.notification and r.status_code == 200:
        raise AssertionError(f"a notification got HTTP 200: {sent.repro()}\n{r.text[:500]}")
    if session == "unbound" or msg.get("method") in ("tools/call", "initialize"):
        target.refresh("unbound")  # it may have been bound by the call
    target.check_alive()


def expected_depth(label: str) -> int | None:
    """Total nesting of a `deep …` body (the envelope object counts as one level)."""
    if not label.startswith("deep "):
        return None
    _, where, depth = label.split()
    return int(depth) + {"whole": 1, "id": 1, "params": 2, "arguments": 3}[where]


@fuzz_settings("bodies")
@given(generated=bodies(), session=st.sampled_from(["bound"] * 4 + ["none", "unbound"]))
def test_fuzz_bodies(target, generated, session):
    body, label, _ = generated
    sent = post(target, body, key="valid", session=session, label=label)
    sent.has_valid_id, sent.request_id, sent.notification = _id_of(body)
    if label == "mangled dupkeys":
        # Duplicate names: RFC 8259 leaves the outcome open; the server keeps the first, Python the last.
        sent.has_valid_id, sent.request_id, sent.alt_ids = True, 3, ("x",)
    STATS.examples["bodies"] += 1
    r, answer = target.exchange(sent)
    status = r.status_code
    code = (answer or {}).get("error", {}).get("code") if isinstance(answer, dict) and isinstance(answer.get("error"), dict) else None

    if label.startswith("huge"):
        if len(body) > MAX_BODY_BYTES:
            assert status == 413, f"a {len(body)}-byte body (limit {MAX_BODY_BYTES}) got {status}: {r.text[:300]}"
        elif session == "bound":
            assert status == 200, f"a {len(body)}-byte body (limit {MAX_BODY_BYTES}) got {status}: {r.text[:300]}"
    depth = expected_depth(label)
    if depth is not None:
        if depth > MAX_DEPTH:
            assert status == 400 and code == -32600, f"{label} (depth {depth} > {MAX_DEPTH}) got {status} {r.text[:300]}"
        elif label.startswith("deep params") and session == "bound":
            assert status == 200 and "result" in answer, f"{label} (depth {depth} ≤ {MAX_DEPTH}) got {status} {r.text[:300]}"
    if label in ("empty", "non-json") and session == "bound" and status == 400:
        assert code in (-32700, -32600), f"{label} body got {code}: {r.text[:300]}"
    if label.startswith("invalid utf8") and session == "bound":
        assert status == 400 and code == -32700, f"{label} got {status} {r.text[:300]}"
    if label.startswith("mangled truncate") and session == "bound":
        assert status == 400, f"{label} got {status} {r.text[:300]}"
    if session == "unbound":
        target.refresh("unbound")
    target.check_alive()


def _id_of(body: bytes) -> tuple[bool, Any, bool]:
    """What the oracle needs to know about a raw body: its id when it has a readable valid one."""
    try:
        msg = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        m = re.search(rb'"id":(\d+)', body)
        return (True, int(m.group(1)), False) if m else (False, None, False)
    if isinstance(msg, dict):
        return classify(msg)
    return False, None, False
