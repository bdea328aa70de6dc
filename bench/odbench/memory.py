"""Memory: VmHWM (peak RSS) and VmRSS of the server process from /proc/<pid>/status.

run.sh takes the points on a fresh `serve`: after start-up, after an uncounted warm-up
(BENCH_RSS_WARMUP calls: the heaps and the allocator's arenas settle), after the first count of
calls (10k) and the total (100k) counted from the end of the warm-up, and once more after the cached
curve (does memory keep growing?). The target compares the 100k point with the 10k point."""

from __future__ import annotations

import re
from pathlib import Path

from .common import die, read_json, write_json


def cmd_rss(a) -> None:
    status = Path(f"/proc/{a.pid}/status").read_text() if Path(f"/proc/{a.pid}/status").exists() else ""
    fields = dict(re.findall(r"^(Vm\w+):\s+(\d+) kB", status, re.M))
    if "VmHWM" not in fields:
        die(f"rss: the server (pid {a.pid}) is gone")
    path = Path(a.out)
    data = read_json(path) if path.exists() else {"points": []}
    calls = sum(read_json(f)["good"] for f in a.calls_from) if a.calls_from else a.calls
    point = {"label": a.label, "calls": calls, "vm_hwm_mb": round(int(fields["VmHWM"]) / 1024, 1),
             "vm_rss_mb": round(int(fields["VmRSS"]) / 1024, 1)}
    if a.warmup_from:
        # Calls before the count started (the warm-up), not part of `calls`.
        point["warmup_calls"] = sum(read_json(f)["good"] for f in a.warmup_from)
    data["points"].append(point)
    write_json(path, data)
    print(f"bench: rss ({a.label}, {calls} calls): VmHWM {point['vm_hwm_mb']} MB, VmRSS {point['vm_rss_mb']} MB")
