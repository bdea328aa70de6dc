"""Hypothesis strategies of the fuzz suite.

Live values (session ids, master keys, store names, order ids) are not known when strategies are
built, so generators produce *symbolic* choices (`Ref("session", "bound")`, `Ref("key", "valid")`,
`Ref("store", 0)`, …) that `materialize()` replaces with the target's real values at send time.
"""

from __future__ import annotations

import json
import string
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

MAX_BODY_BYTES = 1024 * 1024
MAX_DEPTH = 64  # JSONRPCMessage.maximumDepth
SUPPORTED_VERSIONS = ("2025-03-26", "2025-06-18", "2025-11-25")
KNOWN_METHODS = (
    "initialize",
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
