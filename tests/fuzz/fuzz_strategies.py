"""Hypothesis strategies of the fuzz suite.

Live values (session ids, master keys, store names, order ids) are not known when strategies are
built, so generators produce *symbolic* choices (`Ref("session", "bound")`, `Ref("key", "valid")`,
`Ref("store", 0)`, …) that `materialize()` replaces with the target's real values at send time.
"""

from __future__ import annotations

import base64
import json
import re
import string
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

MAX_BODY_BYTES = 1024 * 1024
MAX_DEPTH = 64  # JSONRPCMessage.maximumDepth
LEGACY_VERSIONS = ("2025-03-26", "2025-06-18", "2025-11-25")
MODERN_VERSION = "2026-07-28"  # stateless: `_meta` envelope and routing headers on every request
SUPPORTED_VERSIONS = LEGACY_VERSIONS + (MODERN_VERSION,)
KNOWN_METHODS = (
    "initialize",
    "server/discover",
    "ping",
    "tools/list",
    "tools/call",
    "notifications/initialized",
    "notifications/cancelled",
    "notifications/progress",
    "resources/list",
    "resources/read",
    "prompts/list",
    "prompts/get",
    "completion/complete",
    "logging/setLevel",
    "session/delete",
    "sampling/createMessage",
    "roots/list",
)
TOOL_NAMES = (
    "tenant_use_master_key",
    "stores_register",
    "stores_list",
    "stores_use_store",
    "stores_resolve",
    "stores_delete",
    "orders_get",
    "orders_list",
    "orders_create",
    "orders_update",
    "orders_delete",
)
NASTY_STRINGS = (
    "",
    " ",
    "\u0000",
    "a\u0000b",
    "\t\r\n",
    "'; DROP TABLE tenants; --",
    "' OR '1'='1",
    "%s%s%s%n",
    "${jndi:ldap://x}",
    "../../../../etc/passwd",
    "\u202e\u200b\ufeff",
    "😀" * 3,
    "\U0001f469\u200d\U0001f469\u200d\U0001f467",
    "null",
    "true",
    "0",
    "-1",
    "1e309",
    "NaN",
    "{}",
    "[]",
    "\\",
    '"',
    "\\u0000",
    "A" * 101,
    "A" * 201,
    "🦀" * 60,
    "ǅ" * 30,
    "a\u0301" * 60,
)


@dataclass(frozen=True)
class Ref:
    """A live value chosen at send time: kind ∈ session, key, store, store_id, order_id, api_key."""

    kind: str
    which: Any

    def __repr__(self) -> str:
        return f"<{self.kind}:{self.which}>"


@dataclass(frozen=True)
class RawJSON:
    """JSON text spliced verbatim into a body (numbers Python cannot produce, e.g. 1e400)."""

    text: str

    def __repr__(self) -> str:
        return f"RawJSON({self.text!r})"


MISSING = Ref("missing", None)  # a member or header left out


def weighted(*choices: tuple[int, st.SearchStrategy]) -> st.SearchStrategy:
    """One of the strategies, each with its weight. (Repeating a branch in st.one_of does not
    weight it reliably: hypothesis merges equal branches.)"""
    total = sum(w for w, _ in choices)

    def pick(i: int) -> st.SearchStrategy:
        for w, strategy in choices:
            if i < w:
                return strategy
            i -= w
        raise AssertionError(i)

    return st.integers(0, total - 1).flatmap(pick)

# --- JSON values -------------------------------------------------------------------------------

big_ints = st.sampled_from(
    [0, -1, 1, 2**31 - 1, 2**31, 2**53, 2**53 + 1, 2**63 - 1, 2**63, -(2**63), -(2**63) - 1, 2**64, 10**30, -(10**30)]
)
raw_numbers = st.sampled_from(
    ["1e400", "-1e400", "1E+2", "-0", "-0.0", "0.0", "1.0", "1.5", "4.9e-324", "1e-400", "123456789012345678901234567890", "0e0", "2.5E-3", "1.00000000000000000001"]
).map(RawJSON)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    big_ints,
    st.floats(allow_nan=False, allow_infinity=False),
    raw_numbers,
    st.text(max_size=40),
    st.sampled_from(NASTY_STRINGS),
)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=5),
        st.dictionaries(st.one_of(st.text(max_size=12), st.sampled_from(["id", "name", "order_items", "store"])), children, max_size=5),
    ),
    max_leaves=12,
)
json_objects = st.dictionaries(st.text(max_size=12), json_values, max_size=6)


def nested(depth: int, leaf: Any, kinds: list[str]) -> RawJSON:
    """JSON text of `leaf` wrapped in `depth` levels of arrays/objects (kinds[i % len] picks each
    level, outermost first). Built as text: Python's json recursion stops near 1000 levels."""
    opens = "".join("[" if kinds[i % len(kinds)] == "array" else '{"k":' for i in range(depth))
    closes = "".join("]" if kinds[i % len(kinds)] == "array" else "}" for i in reversed(range(depth)))
    return RawJSON(opens + dumps(leaf) + closes)


depths = st.one_of(
    st.sampled_from([MAX_DEPTH - 3, MAX_DEPTH - 2, MAX_DEPTH - 1, MAX_DEPTH, MAX_DEPTH + 1, MAX_DEPTH + 2]),
    st.integers(1, 400),
    st.sampled_from([1000, 5000, 20000]),
)
nesting_kinds = st.lists(st.sampled_from(["array", "object"]), min_size=1, max_size=3)

# --- Serialization -----------------------------------------------------------------------------


def dumps(value: Any) -> str:
    """json.dumps that splices RawJSON, Ref and non-finite values as written."""
    if isinstance(value, RawJSON):
        return value.text
    if isinstance(value, dict):
        return "{" + ",".join(json.dumps(str(k)) + ":" + dumps(v) for k, v in value.items() if v is not MISSING) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(dumps(v) for v in value) + "]"
    return json.dumps(value)


def materialize(value: Any, live) -> Any:
    """Replace every Ref in `value` with the live value `live(ref)` returns."""
    if isinstance(value, Ref) and value is not MISSING:
        return live(value)
    if isinstance(value, dict):
        return {k: materialize(v, live) for k, v in value.items()}
    if isinstance(value, list):
        return [materialize(v, live) for v in value]
    return value


# --- Envelopes ---------------------------------------------------------------------------------

ids = st.one_of(
    st.integers(-(2**63), 2**63 - 1),
    st.text(max_size=30),
    st.sampled_from([MISSING, None, True, False, 0, -1, 2**63, -(2**63) - 1, 1.5, 1.0, "", "null", [], {}, [1], {"a": 1}]),
    raw_numbers,
    json_values,
)
jsonrpc_field = st.one_of(
    st.just("2.0"),
    st.just("2.0"),
    st.just("2.0"),
    st.sampled_from([MISSING, "1.0", "2", "2.00", " 2.0", "", None, 2.0, 2, True, ["2.0"], {"v": "2.0"}]),
    st.text(max_size=5),
)
methods = weighted(
    (4, st.sampled_from(KNOWN_METHODS)),
    (1, st.text(max_size=40)),
    (1, 
st.sampled_from([MISSING, "", None, 1, True, ["ping"], {"m": "ping"}, "PING", "tools/LIST", "tools/call ", "notifications/"])),
    (1, st.sampled_from(NASTY_STRINGS)),
)


@st.composite
def params_for(draw, method: Any) -> Any:
    """params: mostly plausible for the method, else missing, null, wrong types or random objects."""
    choice = draw(st.integers(0, 9))
    if choice == 0:
        return MISSING
    if choice == 1:
        return draw(st.sampled_from([None, [], "params", 0, True, [{"name": "stores_list"}], 1.5]))
    if choice == 2:
        return draw(json_values)
    if choice == 3:
        return draw(json_objects)
    if method == "initialize":
        return {
            "protocolVersion": draw(st.one_of(st.sampled_from(SUPPORTED_VERSIONS + ("2024-11-05", "", "9999-99-99")), json_values)),
            "capabilities": draw(st.one_of(st.just({}), json_values)),
            "clientInfo": draw(st.one_of(st.just({"name": "fuzz", "version": "1"}), json_values)),
        }
    if method == "tools/call":
        return {
            "name": draw(st.one_of(st.sampled_from(TOOL_NAMES), st.sampled_from(TOOL_NAMES).map(lambda n: n.replace("_", ".", 1)), st.text(max_size=30), json_values)),
            "arguments": draw(st.one_of(st.just({}), json_objects, json_values, st.just(MISSING))),
            "_meta": draw(st.one_of(st.just(MISSING), json_values)),
        }
    return draw(st.one_of(st.just({}), json_objects))


@st.composite
def envelopes(draw) -> tuple[dict, str]:
    """A JSON-RPC envelope (a dict, possibly malformed) and a label."""
    method = draw(methods)
    msg: dict = {"jsonrpc": draw(jsonrpc_field), "id": draw(ids), "method": method, "params": draw(params_for(method))}
    shape = draw(st.integers(0, 9))
    if shape == 0:  # a response object (no method)
        msg.pop("method")
        msg[draw(st.sampled_from(["result", "error"]))] = draw(json_values)
    elif shape == 1:  # extra members
        msg.update(draw(st.dictionaries(st.sampled_from(["result", "error", "extra", "Method", "ID", "jsonRPC"]), json_values, max_size=3)))
    return msg, "envelope"


# --- Whole bodies ------------------------------------------------------------------------------


def huge_body(size: int, fill: str, method: str) -> bytes:
    """A valid-JSON envelope exactly `size` bytes long (a long string param pads it)."""
    head = json.dumps({"jsonrpc": "2.0", "id": 7, "method": method, "params": {"pad": ""}})[:-3]  # ends with `"pad": "`
    tail = '"}}'
    room = max(size - len(head) - len(tail), 0)
    unit = fill.encode("utf-8")
    # Whole units only (a multi-byte character or an escape is never cut), topped up with ASCII.
    n = room // len(unit)
    pad = unit * n + b"a" * (room - n * len(unit))
    return head.encode() + pad + tail.encode()


INVALID_UTF8 = (
    b"\xff",
    b"\xfe\xff",
    b"\xc0\xaf",  # overlong '/'
    b"\xe0\x80\xaf",  # overlong
    b"\xed\xa0\x80",  # UTF-8-encoded surrogate
    b"\xf4\x90\x80\x80",  # above U+10FFFF
    b"\x80",  # lone continuation
    b"\xc3",  # truncated
    b"\xf0\x9f\x98",  # truncated emoji
)


@st.composite
def bodies(draw) -> tuple[bytes, str, bool]:
    """Whole request bodies: (bytes, label, is_envelope_dict_based). Deep nesting, huge sizes, invalid
    UTF-8, non-JSON, empty, batches, trailing garbage, BOMs and raw numbers."""
    kind = draw(st.sampled_from(["deep", "huge", "utf8", "nonjson", "empty", "batch", "mangled", "escapes", "scalar"]))
    if kind == "deep":
        depth = draw(depths)
        kinds = draw(nesting_kinds)
        where = draw(st.sampled_from(["params", "id", "whole", "arguments"]))
        if where == "whole":
            return dumps(nested(depth, {"jsonrpc": "2.0", "id": 1, "method": "ping"}, kinds)).encode(), f"deep whole {depth}", True
        if where == "id":
            return dumps({"jsonrpc": "2.0", "id": nested(depth, 1, kinds), "method": "ping"}).encode(), f"deep id {depth}", True
        if where == "arguments":
            msg = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "stores_list", "arguments": {"x": nested(depth, 1, kinds)}}}
            return dumps(msg).encode(), f"deep arguments {depth}", True
        return dumps({"jsonrpc": "2.0", "id": 1, "method": "ping", "params": {"p": nested(depth, "x", kinds)}}).encode(), f"deep params {depth}", True
    if kind == "huge":
        size = draw(
            st.one_of(
                st.sampled_from([MAX_BODY_BYTES - 1, MAX_BODY_BYTES, MAX_BODY_BYTES + 1, MAX_BODY_BYTES - 64, MAX_BODY_BYTES + 64]),
                st.integers(MAX_BODY_BYTES - 4096, MAX_BODY_BYTES + 4096),
                st.sampled_from([MAX_BODY_BYTES // 2, 2 * MAX_BODY_BYTES, 4 * MAX_BODY_BYTES]),
            )
        )
        fill = draw(st.sampled_from(["a", "é", "😀", "\\\\", '\\"', "\\u00e9", " "]))
        method = draw(st.sampled_from(["ping", "tools/list", "nope"]))
        return huge_body(size, fill, method), f"huge {size} fill {fill!r}", True
    if kind == "utf8":
        bad = draw(st.sampled_from(INVALID_UTF8))
        base = dumps({"jsonrpc": "2.0", "id": draw(st.integers(1, 99)), "method": "ping", "params": {"s": "XX"}}).encode()
        where = draw(st.sampled_from([b"ping", b"XX", b"params", b"2.0", b"{"]))
        return base.replace(where, where[:1] + bad + where[1:], 1), f"invalid utf8 {bad!r} in {where!r}", True
    if kind == "nonjson":
        return draw(st.one_of(st.binary(max_size=300), st.text(max_size=200).map(str.encode))), "non-json", False
    if kind == "empty":
        return draw(st.sampled_from([b"", b" ", b"\n", b"\r\n\r\n", b"\x00", b"\t \t"])), "empty", False
    if kind == "batch":
        n = draw(st.integers(0, 4))
        return dumps([{"jsonrpc": "2.0", "id": i, "method": "ping"} for i in range(n)]).encode(), f"batch of {n}", False
    if kind == "scalar":
        return dumps(draw(json_values)).encode(), "json scalar/array", False
    if kind == "escapes":
        esc = draw(st.sampled_from(["\\ud800", "\\udc00", "\\ud800\\ud800", "\\u0000", "\\uFFFF", "\\uZZZZ", "\\x41", "\\'", "\\", "\\u12"]))
        field_ = draw(st.sampled_from(["method", "id", "param"]))
        if field_ == "method":
            text = '{"jsonrpc":"2.0","id":1,"method":"pi' + esc + 'ng"}'
        elif field_ == "id":
            text = '{"jsonrpc":"2.0","id":"a' + esc + 'b","method":"ping"}'
        else:
            text = '{"jsonrpc":"2.0","id":1,"method":"ping","params":{"s":"' + esc + '"}}'
        return text.encode(), f"escape {esc} in {field_}", True
    # mangled: a valid envelope with something wrong around it
    base = dumps({"jsonrpc": "2.0", "id": 3, "method": "ping"})
    how = draw(st.sampled_from(["bom", "trailing", "truncate", "dupkeys", "comment", "single-quotes", "nan", "ws", "double"]))
    if how == "bom":
        text = "\ufeff" + base
    elif how == "trailing":
        text = base + draw(st.sampled_from(["x", "}", "]", ",", " {}", "\x00", "//"]))
    elif how == "truncate":
        text = base[: draw(st.integers(0, len(base) - 1))]
    elif how == "dupkeys":
        text = '{"jsonrpc":"2.0","id":3,"id":"x","method":"ping","method":"nope","jsonrpc":"1.0"}'
    elif how == "comment":
        text = '{"jsonrpc":"2.0",/* c */"id":3,"method":"ping"}'
    elif how == "single-quotes":
        text = "{'jsonrpc':'2.0','id':3,'method':'ping'}"
    elif how == "nan":
        text = '{"jsonrpc":"2.0","id":3,"method":"ping","params":{"x":' + draw(st.sampled_from(["NaN", "Infinity", "-Infinity", "01", "+1", ".5", "1.", "0x10"])) + "}}"
    elif how == "ws":
        text = "\n\t  " + base + " \r\n"
    else:
        text = base + base
    return text.encode("utf-8"), f"mangled {how}", how in ("bom", "ws")


# --- Headers -----------------------------------------------------------------------------------

# h11 accepts these bytes in a header value: visible ASCII, obs-text, and inner spaces/tabs.
_VCHARS = bytes(range(0x21, 0x7F)) + bytes(range(0x80, 0x100))
header_garbage = st.one_of(
    st.binary(max_size=0),
    st.builds(
        lambda first, middle, last: first + middle + last,
        st.sampled_from([bytes([b]) for b in _VCHARS]),
        st.lists(st.sampled_from([bytes([b]) for b in _VCHARS + b" \t"]), max_size=60).map(b"".join),
        st.sampled_from([bytes([b]) for b in _VCHARS]),
    ),
    st.sampled_from([b"\xff\xfe", b"\xc3\xa9", b"null", b"*", b"0", b"-1", b"a" * 1000, b"x" * 4000]),
)
JSON_CT = st.sampled_from([b"application/json", b"application/json; charset=utf-8"])
content_types = weighted(
    (6, JSON_CT),
    (1, st.sampled_from(
        [
            b"application/json",
            b"application/json",
            b"application/json; charset=utf-8",
            b"APPLICATION/JSON",
            b"application/json;charset=latin-1",
            b"application/json ; q=1",
            b"application/jsonx",
            b"application/json-rpc",
            b"text/json",
            b"text/plain",
            b"multipart/form-data; boundary=x",
            b"application/x-www-form-urlencoded",
            b";",
            b"",
        ]
    )),
    (1, st.just(MISSING)),
    (1, header_garbage),
)
JSON_ACCEPT = st.sampled_from([b"application/json, text/event-stream", b"application/json"])
accepts = weighted(
    (4, JSON_ACCEPT),
    (2, st.just(MISSING)),
    (1, st.sampled_from(
        [
            b"application/json, text/event-stream",
            b"application/json, text/event-stream",
            b"application/json",
            b"*/*",
            b"application/*",
            b"text/event-stream",
            b"text/html",
            b"application/json;q=0",
            b"APPLICATION/JSON",
            b"text/html, application/json;q=0.1",
            b",,,",
            b"",
        ]
    )),
    (1, header_garbage),
)
origins = st.one_of(
    st.just(MISSING),
    st.just(MISSING),
    st.just(MISSING),
    st.just(MISSING),
    st.just(b"http://allowed.example"),
    st.sampled_from([b"http://allowed.example", b"http://evil.example", b"null", b"http://allowed.example/", b"HTTP://ALLOWED.EXAMPLE", b""]),
    header_garbage,
)
protocol_versions = st.one_of(
    st.just(MISSING),
    st.just(MISSING),
    st.sampled_from([v.encode() for v in SUPPORTED_VERSIONS]),
    st.sampled_from([v.encode() for v in SUPPORTED_VERSIONS]),
    st.sampled_from([b"2024-11-05", b"latest", b"", b"2025-13-45"]),
    header_garbage,
)
session_ids = st.one_of(
    st.sampled_from([Ref("session", k) for k in ("bound", "bound", "bound", "unbound", "other", "ended")]),
    st.just(MISSING),
    st.sampled_from([b"", b"0", b"x" * 43, b"A" * 200, b"deleted"]),
    header_garbage,
)
authorizations = st.one_of(
    st.just(Ref("key", "valid")),
    st.just(Ref("key", "valid")),
    st.sampled_from([Ref("key", k) for k in ("valid", "valid", "valid", "read", "other", "revoked")]),
    st.just(MISSING),
    st.sampled_from([Ref("authform", k) for k in ("lower", "upper", "spaces", "nokey", "basic", "bare", "prefix-only", "doubled", "tab")]),
    st.sampled_from([b"", b"Bearer", b"Bearer odmk_", b"Bearer odmk_" + b"A" * 43, b"Bearer " + b"x" * 3000, b"Negotiate abc"]),
    header_garbage.map(lambda v: b"Bearer " + v if v else v),
    header_garbage,
)
_token = string.ascii_letters + string.digits + "!#$%&'*+-.^_`|~"
_FORBIDDEN_EXTRA = {"host", "content-length", "transfer-encoding", "connection", "upgrade", "te", "trailer", "keep-alive", "expect"}
extra_header_names = st.one_of(
    st.sampled_from(
        [
            "Content-Type",
            "Accept",
            "Authorization",
            "Mcp-Session-Id",
            "MCP-Protocol-Version",
            "Origin",
            "X-Request-ID",
            "X-Forwarded-For",
            "User-Agent",
            "Last-Event-ID",
            "Cookie",
            "Content-Encoding",
            "Accept-Encoding",
            "Range",
        ]
    ),
    st.text(alphabet=_token, min_size=1, max_size=30),
).filter(lambda n: n.lower() not in _FORBIDDEN_EXTRA)


@st.composite
def header_sets(draw) -> list[tuple[str, Any]]:
    """The MCP-relevant headers, each present (random or meaningful), missing or duplicated, plus
    random extra headers. Values are bytes or Refs."""
    h: list[tuple[str, Any]] = []
    for name, strat in (
        ("Content-Type", content_types),
        ("Accept", accepts),
        ("Origin", origins),
        ("MCP-Protocol-Version", protocol_versions),
        ("Mcp-Session-Id", session_ids),
        ("Authorization", authorizations),
    ):
        v = draw(strat)
        if v is not MISSING:
            h.append((name, v))
    for _ in range(draw(st.integers(0, 3))):
        name = draw(extra_header_names)
        h.append((name, draw(st.one_of(header_garbage, st.sampled_from([b"application/json", b"127.0.0.1", b"gzip", b"bytes=0-1"])))))
    return h


# --- Tool arguments from inputSchema -------------------------------------------------------------

VALID_DATES = ("2026-11-26", "2026-11-26 14:30:00", "2025-01-01", "9999-12-31 23:59:59", "2026-02-30")
BAD_DATES = (
    "2026-13-01",
    "2026-11-26T14:30:00",
    "2026-11-26 24:00:00",
    "26-11-2026",
    "0000-00-00",
    "2026-11-26 14:30:00Z",
    "２０２６-１１-２６",
)


def string_for(prop: str, schema: dict) -> st.SearchStrategy:
    """Plausible strings for an argument, by name: live values (Refs) mixed with random ones."""
    lo, hi = schema.get("minLength", 0), schema.get("maxLength", 60)
    in_range = st.text(min_size=lo, max_size=min(hi, 60))
    domain: list[st.SearchStrategy] = []
    if prop == "store":
        domain = [st.sampled_from([Ref("store", f) for f in ("name", "uuid", "store_id", "NAME", "uuid", "store_id", "other_tenant_uuid", "deleted_uuid")])]
    elif prop == "order_id":
        domain = [st.just(Ref("order_id", "seeded")), st.just(Ref("order_id", "seeded")), st.integers(0, 10**12).map(str), st.sampled_from(["0", "-1", "1.5", "abc", "1 OR 1=1"])]
    elif prop == "store_id":
        domain = [st.just(Ref("store_id", "sim")), st.integers(0, 10**19).map(str), st.sampled_from(["41001", "41004", "99999", "4100 1"])]
    elif prop == "api_key":
        domain = [st.just(Ref("api_key", "matching")), st.just(Ref("api_key", "other"))]
    elif prop == "master_key":
        domain = [st.sampled_from([Ref("key", k) for k in ("valid", "read", "other", "revoked")]), st.just("odmk_" + "A" * 43)]
    elif prop.endswith("_date") or prop == "expected_date_updated":
        domain = [st.sampled_from(VALID_DATES), st.sampled_from(VALID_DATES), st.sampled_from(BAD_DATES)]
    elif prop == "idempotency_key":
        domain = [st.uuids().map(str), st.sampled_from(["fuzz-key-1", "fuzz-key-2"])]
    elif prop in ("name", "label"):
        domain = [st.sampled_from(["fuzz store", "FUZZ STORE", "Fuzz Store 41001"])]
    if "enum" in schema:
        domain.append(st.sampled_from(schema["enum"]))
    # Live and meaningful values far more often than random text: the point is to get past validation.
    return weighted(*((3, d) for d in domain), (1, in_range)) if domain else in_range


def order_items() -> st.SearchStrategy:
    item = st.fixed_dictionaries(
        {"name": st.sampled_from(["Mug", "Fuzz Widget", ""]), "price": st.one_of(st.integers(0, 1000), st.sampled_from(["4.5", "-1", "abc"])), "quantity": st.integers(-2, 10)},
        optional={"code": st.text(max_size=10), "id": st.integers(1, 100).map(str), "delete": st.booleans(), "variation_list": json_values},
    )
    return weighted((4, st.lists(item, min_size=1, max_size=3)), (1, st.lists(st.one_of(item, json_objects), max_size=3)))


addresses = st.fixed_dictionaries(
    {},
    optional={
        "first_name": st.sampled_from(["Ann", "", " ", "Zoë"]),
        "last_name": st.sampled_from(["Lee", "", "O'Brien"]),
        "company": st.sampled_from(["Fuzz Co", ""]),
        "city": st.text(max_size=20),
        "country": st.sampled_from(["US", "ZZ", ""]),
    },
)


NAMED_ADDRESS = st.fixed_dictionaries(
    {"first_name": st.just("Ann"), "last_name": st.just("Lee")},
    optional={"address1": st.text(max_size=30), "city": st.sampled_from(["Portland", ""]), "country": st.sampled_from(["US", "ZZ"])},
)


def orders() -> st.SearchStrategy:
    return st.fixed_dictionaries(
        {"order_items": order_items()},
        optional={"shipping": st.one_of(NAMED_ADDRESS, NAMED_ADDRESS, addresses, json_values), "customer": addresses, "email": st.sampled_from(["fuzz@example.com", "not-an-email", ""]), "order_notes": json_values, "checkout_data": json_objects, "order_total": json_values},
    )


def changes() -> st.SearchStrategy:
    return st.one_of(
        st.fixed_dictionaries(
            {},
            optional={
                "shipping": st.one_of(addresses, st.none()),
                "order_items": order_items(),
                "order_notes": st.lists(st.fixed_dictionaries({"note": st.text(max_size=30)}), max_size=2),
                "email": st.one_of(st.none(), st.text(max_size=20)),
                "checkout_data": json_objects,
            },
        ),
        json_objects,
    )


def value_for(prop: str, schema: dict) -> st.SearchStrategy:
    """A valid-ish value for one property of a tool's inputSchema."""
    t = schema.get("type")
    if prop == "order" and t == "object":
        return orders()
    if prop == "changes" and t == "object":
        return changes()
    if isinstance(t, list):
        t = t[0]
    if "enum" in schema and t != "string":
        return st.sampled_from(schema["enum"])
    if t == "string":
        return string_for(prop, schema)
    if t == "integer":
        lo, hi = schema.get("minimum"), schema.get("maximum")
        return st.one_of(st.integers(lo, hi), st.integers(lo if lo is not None else -10, (lo or 0) + 3))
    if t == "number":
        return st.floats(schema.get("minimum"), schema.get("maximum"), allow_nan=False, allow_infinity=False)
    if t == "boolean":
        return st.booleans()
    if t == "array":
        items = schema.get("items") or {}
        return st.lists(value_for(prop, items) if items else json_values, min_size=schema.get("minItems", 0), max_size=4)
    if t == "object":
        return json_objects
    return json_values


def wrong_value_for(prop: str, schema: dict) -> st.SearchStrategy:
    """A value that breaks the property's schema: wrong type, out of range, too long, bad enum."""
    t = schema.get("type")
    options: list[st.SearchStrategy] = [json_values.filter(lambda v: not _has_type(v, t))]
    if t == "string":
        hi = schema.get("maxLength")
        if hi is not None:
            options.append(st.integers(hi + 1, hi + 50).map(lambda n: "x" * n))
            options.append(st.just("😀" * (hi + 1)))
        if schema.get("minLength", 0) > 0:
            options.append(st.just(""))
        if "enum" in schema:
            options.append(st.sampled_from([e.upper() for e in schema["enum"]] + ["", "random"]))
    if t == "integer":
        if "minimum" in schema:
            options.append(st.integers(max_value=schema["minimum"] - 1))
        if "maximum" in schema:
            options.append(st.integers(min_value=schema["maximum"] + 1))
        options.append(st.sampled_from([1.5, 50.0, 2**63, -(2**63) - 1, 10**30, True, "10"]))
        options.append(raw_numbers)
    return st.one_of(*options)


def _has_type(v: Any, t: Any) -> bool:
    if isinstance(v, RawJSON):
        return t in ("integer", "number")
    return {
        "string": isinstance(v, str),
        "integer": isinstance(v, int) and not isinstance(v, bool),
        "number": isinstance(v, (int, float)) and not isinstance(v, bool),
        "boolean": isinstance(v, bool),
        "object": isinstance(v, dict),
        "array": isinstance(v, list),
        "null": v is None,
    }.get(t, False) if isinstance(t, str) else False


@st.composite
def tool_arguments(draw, schema: dict) -> tuple[Any, str]:
    """Arguments for a tool from its inputSchema: valid-ish (required present, optional at random,
    values in range with live identifiers) or deliberately invalid (a required one missing, an
    unknown property, a wrong value, not an object at all). Returns (arguments, how)."""
    props: dict = schema.get("properties") or {}
    required = list(schema.get("required") or [])
    args: dict = {}
    for name in sorted(props):
        if name in required or draw(weighted((2, st.just(False)), (1, st.just(True)))):
            args[name] = draw(value_for(name, props[name]))
    how = draw(st.sampled_from(["valid", "valid", "valid", "valid", "valid", "valid", "valid", "missing", "unknown", "wrong", "wrong", "not-object", "null"]))
    if how == "missing" and not required or how == "wrong" and not props:
        how = "valid"
    if how == "missing":
        args.pop(draw(st.sampled_from(required)))
    elif how == "unknown":
        unknown = st.one_of(st.text(max_size=15), st.sampled_from(["Store", "order-id", "__proto__", "", "store "]))
        args[draw(unknown.filter(lambda k: k not in props))] = draw(json_values)
    elif how == "wrong" and props:
        name = draw(st.sampled_from(sorted(props)))
        args[name] = draw(wrong_value_for(name, props[name]))
    elif how == "not-object":
        return draw(st.one_of(st.lists(json_values, max_size=3), st.text(max_size=10), st.integers(), st.booleans(), raw_numbers)), how
    elif how == "null":
        return None, how
    return args, how


# --- 2026-07-28: the `_meta` envelope and the routing headers ------------------------------------
#
# A modern request carries `params._meta` (protocol version, client capabilities, optionally client
# info and a W3C traceparent) and mirrors its version, method and (tools/call) tool name in the
# `MCP-Protocol-Version`, `Mcp-Method` and `Mcp-Name` headers. The generators below mostly get
# those right (so requests reach the methods) and otherwise break one or several of them.

PV_KEY = "io.modelcontextprotocol/protocolVersion"
CC_KEY = "io.modelcontextprotocol/clientCapabilities"
CI_KEY = "io.modelcontextprotocol/clientInfo"
SERVER_INFO_KEY = "io.modelcontextprotocol/serverInfo"
MODERN_METHODS = ("server/discover", "tools/list", "tools/call")
# Methods whose `Mcp-Name` header mirrors a body parameter (the server's RoutingHeaders).
NAMED_PARAMETER = {"tools/call": "name", "prompts/get": "name", "resources/read": "uri"}

# Values of a type other than the one a member wants; no raw numbers here (1e400 is a parse error,
# which would end the request before anything modern is looked at).
odd_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    st.lists(st.integers(0, 9), max_size=2),
    st.dictionaries(st.text(max_size=5), st.integers(0, 9), max_size=2),
)
_odd_non_string = odd_values.filter(lambda v: not isinstance(v, str))
_odd_non_object = odd_values.filter(lambda v: not isinstance(v, dict))

modern_protocol_versions = weighted(
    (12, st.just(MODERN_VERSION)),
    (1, st.sampled_from(LEGACY_VERSIONS)),
    (1, st.sampled_from(["", "2026-07-28 ", " 2026-07-28", "2026-7-28", "2026-07-29", "2026-07-28\u0000", "latest", "２０２６-07-28", "2024-11-05"])),
    (1, st.text(max_size=50)),
    (1, _odd_non_string),
)
client_capabilities = weighted(
    (8, st.sampled_from([{}, {"sampling": {}}, {"roots": {"listChanged": True}}, {"elicitation": {}, "x-vendor": [1, 2]}])),
    (1, st.dictionaries(st.text(max_size=10), odd_values, max_size=3)),
    (1, _odd_non_object),
)
# Client-info strings: short and ordinary, at and beyond the 200-character limit (counted in code
# points: 200 emoji or 100 e+combining-acute pairs are exactly 200), NUL, and other nasty text.
_LONG_TEXTS = [c * n for c in ("a", "😀", "é") for n in (199, 200, 201)] + ["a\u0301" * 100, "a\u0301" * 101, "x" * 5000]
client_info_texts = weighted(
    (6, st.text(min_size=1, max_size=30).filter(lambda s: "\u0000" not in s)),
    (2, st.sampled_from(_LONG_TEXTS)),
    (1, st.sampled_from(["\u0000", "fuzz\u0000client", "a" * 199 + "\u0000", ""])),
    (1, st.sampled_from(NASTY_STRINGS)),
)


@st.composite
def client_infos(draw) -> Any:
    """`io.modelcontextprotocol/clientInfo`: absent, well-formed, or with one field broken (missing,
    null, not a string, too long, with NUL), extra members, or not an object at all."""
    how = draw(weighted((4, st.just("missing")), (4, st.just("valid")), (3, st.just("field")), (1, st.just("null")), (1, st.just("not-object")), (1, st.just("random"))))
    if how == "missing":
        return MISSING
    if how == "null":
        return None
    if how == "not-object":
        return draw(_odd_non_object)
    if how == "random":
        return draw(st.dictionaries(st.sampled_from(["name", "version", "title", "Name", "websiteUrl"]), odd_values, max_size=4))
    info: dict = {"name": draw(st.sampled_from(["fuzz-client", "Fuzz Client", "claude-ai"])), "version": draw(st.sampled_from(["1.0.0", "0", "2026.7"]))}
    if draw(st.booleans()):
        info["title"] = draw(st.sampled_from(["Fuzz", "Fuzz Client ✨"]))
    if draw(st.integers(0, 3)) == 0:
        info.update(draw(st.dictionaries(st.sampled_from(["websiteUrl", "icons", "extra", "description"]), odd_values, max_size=2)))
    if how == "field":
        field_ = draw(st.sampled_from(["name", "version", "title"]))
        change = draw(st.sampled_from(["text", "text", "text", "odd", "null", "missing"]))
        if change == "missing":
            info.pop(field_, None)
        elif change == "null":
            info[field_] = None
        elif change == "odd":
            info[field_] = draw(_odd_non_string)
        else:
            info[field_] = draw(client_info_texts)
    return info


_HEX = "0123456789abcdef"
_hex = lambda n: st.text(alphabet=_HEX, min_size=n, max_size=n)  # noqa: E731
valid_traceparents = st.builds(lambda t, p, f: f"00-{t}-{p}-{f}", _hex(32), _hex(16), st.sampled_from(["00", "01", "ff", "0a"])).filter(
    lambda v: v[3:35] != "0" * 32 and v[36:52] != "0" * 16
)


@st.composite
def traceparents(draw) -> Any:
    """W3C traceparent values: well-formed (any version but ff; 00 is exactly 55 characters, later
    versions may append `-…`), and broken in the ways the parser must ignore."""
    base = draw(valid_traceparents)
    how = draw(st.sampled_from(["valid", "valid", "valid", "future", "padded", "upper", "ff", "zero-trace", "zero-parent", "short", "long", "dash", "text", "odd"]))
    if how == "valid":
        return base
    if how == "future":  # a later version: more fields after a dash are allowed (the first 55 are kept)
        return "cc" + base[2:] + draw(st.sampled_from(["", "-", "-extra", "-" + "f" * 150]))
    if how == "padded":  # surrounding whitespace is trimmed
        return draw(st.sampled_from([" ", "\t", "\u00a0", "\u3000"])) + base + draw(st.sampled_from(["", " ", "\t"]))
    if how == "upper":
        return base.upper()
    if how == "ff":
        return "ff" + base[2:]
    if how == "zero-trace":
        return base[:3] + "0" * 32 + base[35:]
    if how == "zero-parent":
        return base[:36] + "0" * 16 + base[52:]
    if how == "short":
        return base[: draw(st.integers(0, 54))]
    if how == "long":
        return base + draw(st.sampled_from(["0", "-", "-x", "a" * 300]))
    if how == "dash":
        i = draw(st.sampled_from([2, 35, 52]))
        return base[:i] + draw(st.sampled_from(["_", "0", " "])) + base[i + 1 :]
    if how == "text":
        return draw(st.one_of(st.text(max_size=80), st.sampled_from(NASTY_STRINGS)))
    return draw(_odd_non_string)


@st.composite
def modern_metas(draw) -> Any:
    """`params._meta` of a modern request: mostly complete and valid, else without the version or
    the capabilities, with odd-typed members, or not an object at all (MISSING: no `_meta`)."""
    how = draw(weighted((14, st.just("object")), (1, st.just("missing")), (1, st.just("not-object"))))
    if how == "missing":
        return MISSING
    if how == "not-object":
        return draw(_odd_non_object)
    meta: dict = {}
    if draw(weighted((14, st.just(True)), (1, st.just(False)))):
        meta[PV_KEY] = draw(modern_protocol_versions)
    if draw(weighted((14, st.just(True)), (1, st.just(False)))):
        meta[CC_KEY] = draw(client_capabilities)
    info = draw(client_infos())
    if info is not MISSING:
        meta[CI_KEY] = info
    if draw(st.integers(0, 2)) == 0:
        meta["traceparent"] = draw(traceparents())
    if draw(st.integers(0, 4)) == 0:
        meta.update(draw(st.dictionaries(st.sampled_from(["progressToken", "x-vendor/thing", "io.modelcontextprotocol/other", "tracestate", ""]), odd_values, max_size=2)))
    return meta


# Routing-header values. h11 sends a header value only if it is visible ASCII / obs-text with inner
# spaces or tabs (no leading or trailing whitespace): `sendable` says whether a value qualifies.
_FIELD_VALUE = re.compile(rb"(?:[\x21-\x7e\x80-\xff]+(?:[ \t]+[\x21-\x7e\x80-\xff]+)*)?")


def sendable(value: bytes) -> bool:
    return _FIELD_VALUE.fullmatch(value) is not None


def b64_sentinel(payload: bytes) -> bytes:
    return b"=?base64?" + base64.b64encode(payload) + b"?="


# Characters that make a name look the same but differ (or are canonically equivalent in Unicode).
_LOOKALIKE_EDGES = ["\ufeff", "\u200b", "\u0000", " ", "\t", "\u00a0", "\u202e", "\u0301"]


@st.composite
def mcp_name_headers(draw, value: Any, mirror: int = 14) -> Any:
    """An `Mcp-Name` value for a body parameter `value`: the plain value, its `=?base64?…?=` form,
    broken or look-alike encodings, random payloads, raw UTF-8, or MISSING."""
    text = value if isinstance(value, str) else draw(st.sampled_from(TOOL_NAMES))
    raw = text.encode("utf-8", "surrogatepass")
    plain_ok = sendable(raw) and raw.isascii()
    how = draw(
        weighted(
            (max(1, mirror * 8 // 14), st.just("plain" if plain_ok else "base64")),
            (max(1, mirror * 5 // 14), st.just("base64")),
            (1, st.just("lookalike")),
            (1, st.just("noncanonical")),
            (1, st.just("random-payload")),
            (1, st.just("sentinel")),
            (1, st.just("raw-utf8")),
            (1, st.just("missing")),
            (1, st.just("garbage")),
            (1, st.just("other-name")),
        )
    )
    if how == "plain":
        return raw
    if how == "base64":
        return b64_sentinel(raw)
    if how == "lookalike":
        edge = draw(st.sampled_from(_LOOKALIKE_EDGES))
        variant = draw(st.sampled_from([edge + text, text + edge, text.upper(), text.replace("_", ".", 1), text.replace("_", "-")]))
        return b64_sentinel(variant.encode("utf-8", "surrogatepass"))
    if how == "noncanonical":
        enc = base64.b64encode(raw)
        return draw(
            st.sampled_from(
                [
                    b"=?base64?" + enc.rstrip(b"=") + b"?=",  # padding dropped
                    b"=?base64?" + base64.urlsafe_b64encode(raw) + b"?=",
                    b"=?BASE64?" + enc + b"?=",
                    b"=?base64?" + enc + b"=?=",
                    b"=?base64? " + enc + b"?=",
                    b"=?base64?" + enc,
                    b"=?base64?" + enc + b"?= ",
                    b"=?utf-8?b?" + enc + b"?=",  # RFC 2047 is not the MCP sentinel
                ]
            ).filter(sendable)
        )
    if how == "random-payload":
        return b64_sentinel(draw(st.one_of(st.binary(max_size=40), st.text(max_size=20).map(lambda t: t.encode("utf-8")))))
    if how == "sentinel":
        return draw(st.sampled_from([b"=?base64?", b"=?base64?=", b"=?base64??=", b"=?base64?==?=", b"=?base64?????=", b"?=", b"="]))
    if how == "raw-utf8":
        return raw if sendable(raw) else b64_sentinel(raw)
    if how == "missing":
        return MISSING
    if how == "other-name":
        return draw(st.sampled_from(TOOL_NAMES)).encode()
    return draw(header_garbage)


@st.composite
def routing_headers(draw, method: Any, params: Any, mirror: int = 14) -> list[tuple[str, Any]]:
    """`MCP-Protocol-Version`, `Mcp-Method`, `Mcp-Name` for a body: mostly mirroring it (weight
    `mirror` against 1 for each way of breaking a header), else missing, disagreeing, duplicated,
    out of the header character set or random. Values are bytes."""
    meta = params.get("_meta") if isinstance(params, dict) else None
    pv = meta.get(PV_KEY) if isinstance(meta, dict) else None
    h: list[tuple[str, Any]] = []
    # MCP-Protocol-Version
    how = draw(weighted((mirror, st.just("mirror")), (1, st.just("missing")), (1, st.just("other")), (1, st.just("garbage")), (1, st.just("twice"))))
    mirrored = pv.encode("utf-8") if isinstance(pv, str) and sendable(pv.encode("utf-8")) else MODERN_VERSION.encode()
    if how == "mirror":
        h.append(("MCP-Protocol-Version", mirrored))
    elif how == "other":
        h.append(("MCP-Protocol-Version", draw(st.sampled_from([v.encode() for v in SUPPORTED_VERSIONS] + [b"2026-07-29", b"2026-07-28,2026-07-28"]))))
    elif how == "garbage":
        h.append(("MCP-Protocol-Version", draw(header_garbage)))
    elif how == "twice":
        h += [("MCP-Protocol-Version", mirrored), ("MCP-Protocol-Version", draw(st.sampled_from([mirrored, b"2025-11-25"])))]
    # Mcp-Method
    m = method.encode("utf-8", "surrogatepass") if isinstance(method, str) else b"tools/call"
    m = m if sendable(m) else b"tools/call"
    how = draw(weighted((mirror, st.just("mirror")), (1, st.just("missing")), (1, st.just("other")), (1, st.just("case")), (1, st.just("garbage")), (1, st.just("twice"))))
    if how == "mirror":
        h.append(("Mcp-Method", m))
    elif how == "other":
        h.append(("Mcp-Method", draw(st.sampled_from([x.encode() for x in KNOWN_METHODS]))))
    elif how == "case":
        h.append(("Mcp-Method", m.upper() if m.upper() != m else m + b"/"))
    elif how == "garbage":
        h.append(("Mcp-Method", draw(header_garbage)))
    elif how == "twice":
        h += [("Mcp-Method", m), ("Mcp-Method", draw(st.sampled_from([m, b"tools/list"])))]
    # Mcp-Name: for the named methods mostly; now and then on others (it must not matter there)
    param = NAMED_PARAMETER.get(method) if isinstance(method, str) else None
    value = params.get(param, MISSING) if param and isinstance(params, dict) else MISSING
    if param or draw(st.integers(0, 7)) == 0:
        name = draw(mcp_name_headers(value, mirror))
        if name is not MISSING:
            h.append(("Mcp-Name", name))
            if draw(st.integers(0, 15)) == 0:
                h.append(("Mcp-Name", draw(st.sampled_from([name, b"stores_list"]))))
    return h


# Headers a modern request may carry that the server must ignore: an old session id (of any kind,
# or bogus), Last-Event-ID, a traceparent header (used only when `_meta` has none that is valid).
@st.composite
def modern_extra_headers(draw) -> list[tuple[str, Any]]:
    h: list[tuple[str, Any]] = []
    if draw(st.integers(0, 3)) == 0:
        h.append(("Mcp-Session-Id", draw(st.one_of(st.sampled_from([Ref("session", k) for k in ("bound", "other", "ended")]), st.sampled_from([b"bogus", b"0", b"x" * 43])))))
    if draw(st.integers(0, 7)) == 0:
        h.append(("Last-Event-ID", draw(st.sampled_from([b"0", b"42", b"bogus"]))))
    if draw(st.integers(0, 4)) == 0:
        tp = draw(traceparents())
        tp = tp.encode("utf-8") if isinstance(tp, str) else b"garbage"
        h.append(("traceparent", tp.strip(b" \t") if sendable(tp.strip(b" \t")) else b"garbage"))
    return h


modern_ids = weighted(
    (8, st.integers(-(2**63), 2**63 - 1)),
    (4, st.text(max_size=20)),
    (1, st.just(MISSING)),  # a notification
    (1, st.sampled_from([None, True, 1.5, [], {"id": 1}])),  # not a valid id: -32600
)
modern_methods = weighted(
    (8, st.sampled_from(MODERN_METHODS)),
    (3, st.sampled_from(["ping", "prompts/get", "prompts/list", "resources/read", "resources/list", "completion/complete", "logging/setLevel", "notifications/initialized", "sampling/createMessage", "initialize"])),
    (1, st.sampled_from(["Tools/List", "tools/list ", "server/discover/", "tools.call", "SERVER/DISCOVER", "server/Discover", "tools/call\u0000", "tоols/list"])),
    (1, st.text(min_size=1, max_size=30)),
)
# Tool names for a modern tools/call: the listed ones, their dotted aliases, the session-only
# login tool, look-alikes, random text and non-strings.
modern_tool_names = weighted(
    (6, st.sampled_from(TOOL_NAMES)),
    (1, st.sampled_from(TOOL_NAMES).map(lambda n: n.replace("_", ".", 1))),
    (1, st.sampled_from(["tenant_use_master_key", "tenant.use_master_key", "STORES_LIST", "stores_list ", "\ufeffstores_list", "stores_list\u0000", "", "stores\u2024list"])),
    (1, st.text(max_size=20)),
    (1, _odd_non_string),
)


@st.composite
def modern_params(draw, method: Any) -> Any:
    """params of a modern request: `_meta` (see modern_metas) plus what the method takes."""
    if draw(st.integers(0, 24)) == 0:
        return draw(st.sampled_from([MISSING, None, [], "params", 0]))
    params: dict = {}
    meta = draw(modern_metas())
    if meta is not MISSING:
        params["_meta"] = meta
    if method == "tools/call":
        name = draw(weighted((12, modern_tool_names), (1, st.just(MISSING))))
        if name is not MISSING:
            params["name"] = name
        arguments = draw(weighted((6, st.just({})), (2, st.just(MISSING)), (1, st.just(None)), (1, json_objects), (1, json_values)))
        if arguments is not MISSING:
            params["arguments"] = arguments
    elif method == "tools/list":
        cursor = draw(weighted((6, st.just(MISSING)), (1, st.just(None)), (1, st.sampled_from(["", "abc", "0", "eyJvZmZzZXQiOjB9"])), (1, _odd_non_string)))
        if cursor is not MISSING:
            params["cursor"] = cursor
    elif method in ("prompts/get", "resources/read"):
        key = NAMED_PARAMETER[method]
        value = draw(weighted((4, st.sampled_from(["greeting", "file:///etc/passwd", "orders://41001"])), (1, st.text(max_size=10)), (1, _odd_non_string), (1, st.just(MISSING))))
        if value is not MISSING:
            params[key] = value
    if draw(st.integers(0, 5)) == 0:
        params.update(draw(st.dictionaries(st.sampled_from(["extra", "cursor", "name", "arguments", "progressToken"]), odd_values, max_size=2)))
    return params


@st.composite
def modern_envelopes(draw) -> tuple[dict, str]:
    """A 2026-07-28 JSON-RPC message (a dict; MISSING members are left out) and a label."""
    method = draw(modern_methods)
    msg: dict = {"jsonrpc": draw(weighted((20, st.just("2.0")), (1, st.sampled_from(["1.0", 2.0, MISSING])))), "id": draw(modern_ids), "method": method}
    params = draw(modern_params(method))
    if params is not MISSING:
        msg["params"] = params
    if draw(st.integers(0, 29)) == 0:  # a JSON-RPC response object on a modern POST
        msg.pop("method")
        msg.pop("params", None)
        msg["id"] = draw(st.integers(0, 99))
        msg[draw(st.sampled_from(["result", "error"]))] = draw(st.sampled_from([{}, {"code": 1, "message": "x"}]))
        return msg, "modern response object"
    return msg, f"modern {method!r}" if isinstance(method, str) else "modern"
