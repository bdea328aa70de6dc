"""The server's own counters from `GET /metrics` (Prometheus text): tool calls, order-cache lookups and,
where the server has it, the verified-key cache (`odmcp_key_cache_total{result=…}`)."""

from __future__ import annotations

import re
import urllib.request

SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)")
LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')
WATCHED = ("mcp_tool_calls_total", "odmcp_cache_lookups_total", "odmcp_key_cache_total", "odmcp_auth_failures_total")


def metrics_url(mcp_url: str) -> str:
    return mcp_url.rsplit("/mcp", 1)[0] + "/metrics"


def scrape(url: str | None) -> dict | None:
    """{name: {"label=value,…": value}} of the counters in WATCHED; None when /metrics is not there."""
    if not url:
        return None
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            text = r.read().decode("utf-8", "replace")
    except OSError:
        return None
    out: dict[str, dict[str, float]] = {}
    for line in text.splitlines():
        m = SAMPLE.match(line)
        if not m or m.group(1) not in WATCHED:
            continue
        labels = ",".join(f"{k}={v}" for k, v in sorted(LABEL.findall(m.group(2) or "")))
        out.setdefault(m.group(1), {})[labels] = float(m.group(3))
    return out


def delta(before: dict | None, after: dict | None) -> dict | None:
    """Counter increases between two scrapes, by name and labels (zero increases left out)."""
    if before is None or after is None:
        return None
    out: dict[str, dict[str, float]] = {}
    for name, series in after.items():
        for labels, value in series.items():
            d = value - before.get(name, {}).get(labels, 0.0)
            if d:
                out.setdefault(name, {})[labels] = round(d)
    return out


def total(d: dict | None, name: str, **match: str) -> int | None:
    """Sum of `name`'s series whose labels include every `match` (None: no such counter)."""
    if d is None or name not in d:
        return None
    want = [f"{k}={v}" for k, v in match.items()]
    return int(sum(v for labels, v in d[name].items() if all(w in labels.split(",") for w in want)))


def key_cache(d: dict | None) -> dict | None:
    """The verified-key cache's results (hit, revalidated, verified, refused) and its hit rate."""
    if d is None or "odmcp_key_cache_total" not in d:
        return None
    results: dict[str, int] = {}
    for labels, v in d["odmcp_key_cache_total"].items():
        result = dict(x.split("=", 1) for x in labels.split(",") if "=" in x).get("result", "?")
        results[result] = results.get(result, 0) + int(v)
    n = sum(results.values())
    return {"source": "odmcp_key_cache_total", "results": results,
            "hit_rate": round(results.get("hit", 0) / n, 5) if n else None}
