"""Authentication: first use of a key (argon2id) against its second use (the verified-key cache)."""

from __future__ import annotations

import json
import statistics
from pathlib import Path

from .common import die, read_json, write_json
from .mcpclient import Mcp


def cmd_auth(a) -> None:
    """First use of each fresh key (argon2 verification on this replica) vs. its second use (the
    verified-key cache), both as `ping` on the bench session, sequentially."""
    state = read_json(a.state)
    keys = [k for k in Path(a.keys_file).read_text().split() if k]
    mcp = Mcp(a.mcp)
    first, second = [], []
    for key in keys:
        for bucket in (first, second):
            status, _, body, elapsed = mcp.request("ping", key=key, session=state["session"])
            if status != 200 or not isinstance(body, dict) or "result" not in body:
                die(f"auth: ping with a fresh key: HTTP {status} {json.dumps(body)[:200]}")
            bucket.append(elapsed * 1000)
    first.sort()
    second.sort()
    write_json(a.out, {
        "keys": len(keys),
        "first_use_ms": {"p50": round(statistics.median(first), 2), "min": round(first[0], 2), "max": round(first[-1], 2)},
        "second_use_ms": {"p50": round(statistics.median(second), 2), "min": round(second[0], 2), "max": round(second[-1], 2)},
        "verification_ms_p50": round(statistics.median(f - s for f, s in zip(first, second)), 2),
    })
    print(f"bench: auth: first use p50 {statistics.median(first):.1f} ms, second use p50 {statistics.median(second):.2f} ms")
