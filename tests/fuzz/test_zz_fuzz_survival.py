"""After every fuzz test (sorted last): the server is still up, ready and useful, its memory stayed
bounded, and its log shows no crash."""

from __future__ import annotations

import re

from e2e_support import RawClient, psql
from fuzz_support import MAX_RSS_GROWTH_MB, MAX_RSS_MB, STATS, known_bug, rss_mb

CRASH_PATTERNS = re.compile(r"Fatal error|Segmentation fault|SIGSEGV|SIGILL|SIGABRT|Illegal instruction|Current stack trace|\*\*\* Signal")


def test_server_survived_the_fuzzing(target, fuzz_server):
    target.check_alive(force=True)
    ready = target.http.get(target.base_url + "/readyz")
    assert ready.status_code == 200, f"/readyz after fuzzing: {ready.status_code} {ready.text[:300]}"
    # Still useful: a new session works end to end.
    with RawClient(fuzz_server.mcp_url, target.keys["valid"]) as c:
        c.open()
        listed = c.tool("stores_list").ok()
        assert isinstance(listed.get("stores"), list)
    log = fuzz_server.stderr_path.read_text(errors="replace")
    crash = CRASH_PATTERNS.search(log)
    assert not crash, f"the server log shows a crash: …{log[max(crash.start() - 500, 0):crash.start() + 1500]}"


def test_memory_stayed_bounded(target):
    final = rss_mb(target.pid)
    STATS.rss_samples_mb.append(final)
    peak = max(STATS.rss_samples_mb)
    base = STATS.rss_baseline_mb
    assert peak < MAX_RSS_MB, f"peak RSS {peak:.0f} MB ≥ {MAX_RSS_MB:.0f} MB"
    assert final - base < MAX_RSS_GROWTH_MB, (
        f"RSS grew from {base:.0f} MB to {final:.0f} MB over the run (limit +{MAX_RSS_GROWTH_MB:.0f} MB); "
        f"samples: {[round(x) for x in STATS.rss_samples_mb]}"
    )


def test_every_dispatched_tool_call_is_audited(target, db):
    """Every tools/call the server dispatched (HTTP 200: a result or a JSON-RPC error such as an
    unknown tool) left at least one audit_log row under its X-Request-ID."""
    audited = set(psql(db.auditor_url, "SELECT DISTINCT correlation_id FROM orderdesk.audit_log;").split())
    missing = [(rid, sent) for rid, sent in STATS.tool_calls if rid not in audited]
    STATS.audit_missing = len(missing)
    unexplained = []
    for rid, sent in missing:
        bug = known_bug(sent, "unaudited")
        if bug:
            STATS.known_bugs[bug] += 1
            STATS.known_bug_examples.setdefault(bug, sent.repro(600))
        else:
            unexplained.append((rid, sent))
    assert not unexplained, f"{len(unexplained)} dispatched tools/call without an audit row, e.g. {unexplained[0][0]}:\n" + "\n".join(
        s.repro(600) for _, s in unexplained[:3]
    )
