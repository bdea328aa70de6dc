"""Two replicas on one database; SIGKILL one while sessions use it. Sessions and their active store
live in PostgreSQL (README, docs/operations.md "Scaling out"), so a client that retries on the other
replica — same Mcp-Session-Id, same Authorization — keeps its session and its active store:
orders_get without a `store` argument works there, stores_list shows the store chosen on the dead one.

What must hold:
- the surviving replica serves every retried call successfully, with the store chosen by
  stores_use_store on the killed replica; no session is lost (no 404), nothing else fails;
- the only failures are calls to the killed replica after the kill (no answer), none before;
- every client's first retry on the survivor succeeded;
- every successful call is audited, under the replica that answered it.
"""

from __future__ import annotations

import signal
import time

import httpx2
import pytest

from chaos_support import BUDGET, Load, Worker, audit_rows, counts, crash_text, evidence, missing_audit, open_client
from conftest import CHAOS_SERVER_ENV, note, order_ids, register
from e2e_support import is_store


@pytest.fixture(scope="module")
def kill_tenant(start_server, make_tenant, sim):
    """A tenant with two stores (so orders_get without `store` needs the session's active store)."""
    helper = start_server("chaos-kill-setup", **CHAOS_SERVER_ENV)
    t = make_tenant("kill")
    stores = [register(helper, t, sim, sid, f"Kill {sid}") for sid in ("41003", "41004")]
    helper.stop()
    return t, stores, {s["id"]: order_ids(sim, s["store_id"]) for s in stores}


@pytest.mark.parametrize("round_", range(BUDGET.kills))
def test_sigkill_replica_sessions_continue_on_the_other(start_server, kill_tenant, db, round_):
    t, stores, ids = kill_tenant
    a = start_server(f"chaos-kill-a{round_}", **CHAOS_SERVER_ENV)
    b = start_server(f"chaos-kill-b{round_}", **CHAOS_SERVER_ENV)
    n = 2 * BUDGET.clients_per_tenant
    workers = []
    chosen = {}
    try:
        for k in range(n):
            store = stores[k % 2]
            c = open_client(a.mcp_url, t.master_key, t.id)  # session created on A
            used = c.tool("stores_use_store", {"store": store["name"]}).ok()  # active store set on A
            assert used["active_store"]["id"] == store["id"], used
            plan = []
            for oid in ids[store["id"]][k // 2::3][:8]:
                plan += [("orders_get", {"order_id": oid}), ("stores_list", {})]
            name = f"c{k}"
            chosen[name] = store
            workers.append(Worker(name, c, plan, [a.mcp_url, b.mcp_url], retry_on_other=True))
        load = Load(workers).start()
        try:
            time.sleep(BUDGET.warmup_s)
            killed_at = time.monotonic()
            a.proc.send_signal(signal.SIGKILL)
            a.proc.wait(10)
            time.sleep(BUDGET.kill_after_s)
            calls = load.stop()
        finally:
            load.close()
        t0 = load.t0

        assert a.proc.returncode == -signal.SIGKILL, a.proc.returncode
        assert b.running, f"the surviving replica exited: {b.stderr_tail()}"
        assert httpx2.get(b.base_url + "/readyz", timeout=10).status_code == 200
        crash = crash_text(b.stderr_path)
        assert not crash, f"the surviving replica's log shows a crash:\n{crash}"

        on_a = [c for c in calls if c.url == a.mcp_url]
        on_b = [c for c in calls if c.url == b.mcp_url]
        assert [c for c in on_a if c.ok and c.started < killed_at], f"no call succeeded on A before the kill ({counts(calls)})"
        assert on_b, f"no client retried on B ({counts(calls)})"

        # Failures: only calls A could not answer because it was killed.
        bad = [c for c in calls if not c.ok and not (c.url == a.mcp_url and c.kind == "no_answer" and c.ended >= killed_at)]
        assert not bad, f"unexpected failures ({counts(calls)}):\n{evidence(bad, t0)}"

        # Every client failed over, and its retry on B succeeded at once with its session and store.
        for w in workers:
            assert w.failovers, f"{w.name} never failed over: {evidence(w.calls[-3:], t0)}"
            first_b = next(c for c in w.calls if c.url == b.mcp_url)
            assert first_b.ok, f"{w.name}: the first retry on B failed: {first_b.describe(t0)}"
            for c in (c for c in w.calls if c.url == b.mcp_url and c.ok):
                if c.tool == "orders_get":
                    assert is_store(c.data.get("store"), chosen[w.name]), (
                        f"{w.name}: orders_get on B used store {c.data.get('store')}, not the active store "
                        f"{chosen[w.name]['id']} chosen on A"
                    )
                else:
                    assert c.data.get("active_store_id") == chosen[w.name]["id"], (
                        f"{w.name}: stores_list on B shows active store {c.data.get('active_store_id')}, chose {chosen[w.name]['id']} on A"
                    )

        # Every success is audited, by the replica that answered.
        ok = [c for c in calls if c.ok]
        missing = missing_audit(db.super_url, ok)
        assert not missing, f"{len(missing)} successful calls without their audit row:\n" + "\n".join(
            f"{c.describe(t0)} → {why}" for c, why in missing[:5])
        rows = audit_rows(db.super_url, [c.correlation_id for c in ok])
        replica_of = {a.mcp_url: a.name, b.mcp_url: b.name}
        wrong = [c for c in ok if not any(r["replica_id"] == replica_of[c.url] for r in rows[c.correlation_id])]
        assert not wrong, f"audit rows name another replica:\n{evidence(wrong, t0)}"

        gaps = [round(next(c for c in w.calls if c.url == b.mcp_url).ended - killed_at, 2) for w in workers]
        note(
            f"replica kill round {round_}: {len(calls)} calls ({counts(calls)}); {len(on_a)} on A, {len(on_b)} on B; "
            f"seconds from SIGKILL to each client's first success on B {gaps}"
        )
    finally:
        for w in workers:
            w.client.close()
        b.stop()
