"""`GET /metrics`: Prometheus text with tool calls, durations, upstream calls and retries, cache
lookups, rate-limit denials, pool waits, auth failures and the verified-key cache — counted exactly, with bounded labels
and nothing that identifies a tenant, store, order, key or session."""

import re

import httpx2
import pytest

from e2e_support import RawClient, tool_error, wrong_master_key

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')

# Every label any metric may carry, with the values it may take (None: checked by pattern).
ALLOWED_LABELS = {
    "tool": None,  # a registered tool name or `unknown`, checked against tools/list
    "outcome": {"ok", "error", "denied", "rate_limited"},
    "code": re.compile(r"^[a-z_]{2,40}$"),
    "operation": re.compile(r"^(GET|POST|PUT|DELETE) /[a-z-]+(/\{id\}(/[a-z-]+)?)*(/\{id\})?$"),
    "status": re.compile(r"^([1-5][0-9]{2}|timeout|connect_error|network_error|response_too_large|unusable|other)$"),
    "reason": re.compile(r"^[a-z_]{2,40}$"),
    "scope": {"order", "order_list"},
    "result": {"hit", "miss", "revalidated", "verified", "refused"},
    "limit": {"tenant", "upstream"},
    "le": re.compile(r"^(\+Inf|[0-9.e+-]+)$"),
}


def scrape(server) -> tuple[dict, str]:
    r = httpx2.get(server.base_url + "/metrics", timeout=10)
    assert r.status_code == 200, r.text[:300]
    assert r.headers["content-type"].startswith("text/plain"), r.headers
    samples: dict = {}
    for line in r.text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        assert m, f"not a Prometheus sample line: {line!r}"
        labels = frozenset(LABEL.findall(m.group(2) or ""))
        samples[(m.group(1), labels)] = float(m.group(3))
    return samples, r.text


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


@pytest.fixture(scope="module")
def m1(start_server, orders_sim):
    from conftest import ORDER_SERVER_ENV

    env = {"ORDERDESK_BASE_URL": orders_sim.api_url, **ORDER_SERVER_ENV}
    # A small tenant budget so denials can be provoked: 20 calls, then 1 per minute.
    env.update(RATE_LIMIT_BURST="20", RATE_LIMIT_PER_MINUTE="1")
    return start_server("m1", **env)


def test_metrics_count_calls_upstream_cache_and_failures(m1, order_tenant, orders_sim, make_tenant):
    t, store = order_tenant("metrics")  # registered through o1: m1's tenant budget is untouched
    sid = store["store_id"]
    oid, retried = [str(o["id"]) for o in orders_sim.api("GET", "/orders", sid, params={"limit": 2}).json()["orders"]]
    before, _ = scrape(m1)

    with RawClient(m1.mcp_url, t.master_key, tenant_id=t.id) as c:
        c.open()
        tools = {tool["name"] for tool in c.request("tools/list").json()["result"]["tools"]}
        args = {"store": store["id"]}
        assert c.tool("orders_get", {**args, "order_id": oid}).ok()["cached"] is False
        assert c.tool("orders_get", {**args, "order_id": oid}).ok()["cached"] is True
        tool_error(c.tool("orders_get", {**args, "order_id": "999999999"}), "not_found", "unknown order")
        orders_sim.fault({"method": "GET", "path": f"/orders/{retried}", "count": 1, "status": 503})
        assert c.tool("orders_get", {**args, "order_id": retried}).ok()["cached"] is False
        unknown = c.call("no_such_tool_" + t.id.replace("-", ""))
        assert unknown.status_code == 200 and "error" in unknown.json(), unknown.text[:300]
        session_id = c.session_id

    with RawClient(m1.mcp_url, wrong_master_key()) as intruder:
        assert intruder.initialize().status_code == 401

    # A second tenant spends m1's small budget: 20 calls pass, the rest are refused.
    spender = make_tenant("metrics-spender")
    denied = 0
    with RawClient(m1.mcp_url, spender.master_key, tenant_id=spender.id) as c:
        c.open()
        for _ in range(26):
            result = c.tool("stores_list")
            if result.is_error:
                tool_error(result, "rate_limited", "over the budget")
                denied += 1
    assert 1 <= denied <= 6, denied

    after, text = scrape(m1)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("mcp_tool_calls_total", tool="orders_get", outcome="ok", code="none") == 3
    assert delta("mcp_tool_calls_total", tool="orders_get", outcome="error", code="not_found") == 1
    assert delta("mcp_tool_calls_total", tool="unknown", outcome="error", code="unknown_tool") == 1
    assert delta("mcp_tool_calls_total", tool="stores_list", outcome="rate_limited", code="rate_limited") == denied
    assert delta("mcp_tool_calls_total", tool="stores_list", outcome="ok", code="none") == 26 - denied
    assert delta("mcp_tool_call_duration_seconds_count", tool="orders_get") == 4
    assert delta("mcp_tool_call_duration_seconds_bucket", tool="orders_get", le="+Inf") == 4
    assert delta("mcp_tool_call_duration_seconds_sum", tool="orders_get") > 0

    get_order = "GET /orders/{id}"
    assert delta("orderdesk_upstream_requests_total", operation=get_order, status="200") == 2
    assert delta("orderdesk_upstream_requests_total", operation=get_order, status="404") == 1
    assert delta("orderdesk_upstream_requests_total", operation=get_order, status="503") == 1
    assert delta("orderdesk_upstream_retries_total", operation=get_order, reason="upstream_unavailable") == 1

    assert delta("odmcp_cache_lookups_total", scope="order", result="hit") == 1
    assert delta("odmcp_cache_lookups_total", scope="order", result="miss") == 3
    assert delta("odmcp_rate_limit_denials_total", limit="tenant") == denied
    assert delta("odmcp_auth_failures_total", reason="unknown_key") == 1
    # m1 had seen neither key: one argon2 each, every later request of theirs a hit; the intruder refused.
    assert delta("odmcp_key_cache_total", result="verified") == 2
    assert delta("odmcp_key_cache_total", result="refused") == 1
    assert delta("odmcp_key_cache_total", result="revalidated") == 0
    assert delta("odmcp_key_cache_total", result="hit") >= 26
    assert delta("odmcp_db_pool_wait_seconds_count") >= 26

    # Bounded labels, and nothing that names a tenant, store, order, key or session.
    for (name, labels) in after:
        for key, val in labels:
            assert key in ALLOWED_LABELS, f"{name}: unexpected label {key}={val!r}"
            allowed = ALLOWED_LABELS[key]
            if key == "tool":
                assert val in tools | {"unknown"}, f"{name}: tool label {val!r} is not a registered tool"
            elif isinstance(allowed, set):
                assert val in allowed, f"{name}: {key}={val!r}"
            else:
                assert allowed.match(val), f"{name}: {key}={val!r}"
    for identifying in (t.id, spender.id, store["id"], sid, oid, retried, session_id, t.master_key[:12], t.id.replace("-", "")):
        assert identifying not in text, f"/metrics leaks {identifying!r}"
