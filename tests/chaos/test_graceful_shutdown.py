"""SIGTERM to a `serve` replica while calls are in flight (docs/operations.md, "Rolling upgrade": on
SIGTERM, in-flight requests finish, the sweeper stops, and the connection pool drains).

The simulator holds every upstream answer for DELAY_MS, so the calls are still waiting for
OrderDesk when the signal arrives. What must hold:
- every in-flight call (orders_get ×N and an orders_update) completes successfully;
- the process exits with status 0, within the remaining delay plus a few seconds;
- their audit rows are there (the update's `started` and `ok`, each read's `ok`), written by
  this replica; the update really reached OrderDesk.
"""

from __future__ import annotations

import signal
import threading
import time

import pytest

from chaos_support import LONG, audit_rows, call_tool, evidence, log_lines, open_client
from conftest import CHAOS_SERVER_ENV, note, order_ids, register

DELAY_MS = 1500
SIGNAL_AFTER_S = 0.5  # the calls reach the server (and OrderDesk) well before this
EXIT_WITHIN_S = DELAY_MS / 1000 - SIGNAL_AFTER_S + 4.0


@pytest.mark.parametrize("round_", range(3 if LONG else 1))
def test_sigterm_lets_in_flight_calls_finish(start_server, make_tenant, storm_sim, claim_storm_stores, db, round_):
    env = {**CHAOS_SERVER_ENV, "ORDERDESK_BASE_URL": storm_sim.api_url, "ORDER_CACHE_TTL_SECONDS": "0",
           "ORDER_LIST_CACHE_TTL_SECONDS": "0"}
    server = start_server(f"chaos-term{round_}", **env)
    t = make_tenant(f"term{round_}")
    (sid,) = claim_storm_stores(1)
    register(server, t, storm_sim, sid, f"Term {sid}")
    ids = order_ids(storm_sim, sid, 6)
    requests = [("orders_get", {"order_id": oid}) for oid in ids[:4]]
    note_text = f"in flight during SIGTERM {round_}"
    requests.append(("orders_update", {"order_id": ids[5], "changes": {"order_notes": [note_text]}}))
    clients = [open_client(server.mcp_url, t.master_key, t.id) for _ in requests]
    results: list = [None] * len(requests)
    try:
        storm_sim.reset()
        storm_sim.fault({"method": "*", "path": "/orders/*", "for_seconds": 30, "delay_ms": DELAY_MS})

        def run(i):
            results[i] = call_tool(clients[i], f"c{i}", *requests[i])

        threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(len(requests))]
        t0 = time.monotonic()
        for th in threads:
            th.start()
        time.sleep(SIGNAL_AFTER_S)
        signalled = time.monotonic()
        server.proc.send_signal(signal.SIGTERM)
        try:
            code = server.proc.wait(EXIT_WITHIN_S + 10)
        except Exception:  # noqa: BLE001 - reported below
            code = None
        exited = time.monotonic()
        for th in threads:
            th.join(30)
        storm_sim.clear_faults()

        calls = [r for r in results if r is not None]
        assert len(calls) == len(requests), f"calls without an outcome: {results}"
        failed = [c for c in calls if not c.ok]
        assert not failed, (
            f"in-flight calls did not complete after SIGTERM:\n{evidence(failed, t0)}\n"
            f"server log:\n{log_lines(server.stderr_path, 'error|stopp|shut|signal', 12)}"
        )
        assert all(c.started < signalled for c in calls)
        assert code == 0, f"serve exited with {code} after SIGTERM; stderr: {server.stderr_tail(2000)}"
        assert exited - signalled <= EXIT_WITHIN_S, f"exit took {exited - signalled:.2f}s after SIGTERM (max {EXIT_WITHIN_S}s)"
        # They really were in flight: each one waited for the delayed OrderDesk answer past the signal.
        not_in_flight = [c for c in calls if c.ended < signalled]
        assert not not_in_flight, f"calls finished before SIGTERM (the test proves nothing):\n{evidence(not_in_flight, t0)}"

        rows = audit_rows(db.super_url, [c.correlation_id for c in calls])
        for c in calls:
            mine = rows.get(c.correlation_id, [])
            outcomes = sorted(r["outcome"] for r in mine if r["action"] == c.tool)
            want = ["ok", "started"] if c.tool == "orders_update" else ["ok"]
            assert outcomes == want, f"audit rows of {c.describe(t0)}: {mine}"
            assert all(r["replica_id"] == server.name for r in mine), mine
        updated = [r for r in storm_sim.requests(store_id=sid) if r["method"] == "PUT"]
        assert len(updated) == 1 and updated[0]["status"] == 200, updated
        order = storm_sim.api("GET", f"/orders/{ids[5]}", sid).json()["order"]
        assert any(note_text in str(n) for n in order.get("order_notes") or []), order.get("order_notes")
        assert "stopped" in server.stderr_path.read_text(errors="replace"), "no `stopped` line in the server log"
        note(f"SIGTERM round {round_}: {len(calls)} in-flight calls all succeeded, the last {max(c.ended for c in calls) - signalled:.2f}s "
             f"after the signal; exit 0 after {exited - signalled:.2f}s")
    finally:
        storm_sim.clear_faults()
        for c in clients:
            c.close()
        server.stop()
