"""SQL per call: top-level statements from pg_stat_statements, transactions from pg_stat_database."""

from __future__ import annotations

import time

from .common import psql_json


TENANT_SETTING = "SELECT set_config('app.tenant_id'"
PGSS_QUERY = """
SELECT s.queryid::text AS queryid, s.calls, s.total_exec_time AS total_ms, s.mean_exec_time AS mean_ms, s.rows,
       regexp_replace(s.query, '\\s+', ' ', 'g') AS query
FROM pg_stat_statements AS s
WHERE s.dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND s.userid = 'orderdesk_app'::regrole
"""


def is_tenant_setting(query: str) -> bool:
    """pg_stat_statements keeps the text of a statement's first execution since the reset, with its
    constants replaced or not: `set_config('app.tenant_id', $1, true)` or `set_config($2, $1, $3)`."""
    return query.startswith(TENANT_SETTING) or query.startswith("SELECT set_config($2, $1, $3) AS tenant")


def pgss_snapshot(url: str) -> list[dict]:
    return psql_json(url, PGSS_QUERY)


def pgss_per_call(rows: list[dict], calls: int, xacts: dict | None = None) -> dict:
    rows = sorted(rows, key=lambda r: -r["total_ms"])
    per = []
    for r in rows:
        per.append({
            "per_call": round(r["calls"] / calls, 3),
            "calls": r["calls"],
            "mean_ms": round(r["mean_ms"], 4),
            "ms_per_call": round(r["total_ms"] / calls, 4),
            "query": r["query"][:160],
        })
    return {
        "calls": calls,
        "statements_per_call": round(sum(r["calls"] for r in rows) / calls, 2),
        # Transactions per call from pg_stat_database when measured (`xacts`), else (the capture phase)
        # the tenant settings: a statement that sets the tenant inside a function does not show up.
        "transactions_per_call": round(xacts["transactions"] / calls, 2) if xacts
        else round(sum(r["calls"] for r in rows if is_tenant_setting(r["query"])) / calls, 2),
        "tenant_settings_per_call": round(sum(r["calls"] for r in rows if is_tenant_setting(r["query"])) / calls, 2),
        "exec_ms_per_call": round(sum(r["total_ms"] for r in rows) / calls, 4),
        **({"transactions": xacts} if xacts else {}),
        "statements": per,
    }


def calls_from_pgss(rows: list[dict]) -> int | None:
    """Calls the server handled while a snapshot ran: one audit row each (wrk's count misses the
    requests still in flight when it stopped). Rows, not statements: a group commit may insert many
    rows with one statement."""
    audit = [x for x in rows if x["query"].startswith("INSERT INTO orderdesk.audit_log")]
    return sum(int(x["rows"]) for x in audit) if audit else None


# pg_stat_database: transactions of the bench database. A backend publishes its counters when it goes
# idle, at most once a second; what is left over is published by a timer 10 s after it went idle
# (PostgreSQL 15's PGSTAT_IDLE_INTERVAL). So a reading is exact once every backend of the database has
# been idle that long: `flushed_transactions` waits for that (the server's pool keeps its connections
# open, idle). The reading connects to the admin database, so it adds nothing to the count.
IDLE_FLUSH_S = 10.5
XACT_QUERY = """
SELECT d.xact_commit::bigint AS xact_commit, d.xact_rollback::bigint AS xact_rollback,
       coalesce((SELECT min(CASE WHEN a.state = 'idle' THEN extract(epoch FROM now() - a.state_change) ELSE 0 END)
                 FROM pg_stat_activity AS a
                 WHERE a.datname = d.datname AND a.backend_type = 'client backend'), 1e9)::float8 AS idle_s
FROM pg_stat_database AS d WHERE d.datname = '{db}'
"""


def flushed_transactions(admin_url: str, dbname: str, max_wait_s: float = 30.0) -> dict:
    """xact_commit and xact_rollback of `dbname` once its backends have published their counters."""
    deadline = time.monotonic() + max_wait_s
    while True:
        row = psql_json(admin_url, XACT_QUERY.format(db=dbname.replace("'", "''")))[0]
        if row["idle_s"] >= IDLE_FLUSH_S or time.monotonic() >= deadline:
            return {"xact_commit": row["xact_commit"], "xact_rollback": row["xact_rollback"],
                    "waited_for_idle": row["idle_s"] < IDLE_FLUSH_S}
        time.sleep(min(max(IDLE_FLUSH_S - row["idle_s"], 0.2), 2.0))


def transaction_delta(before: dict, after: dict) -> dict:
    commits = after["xact_commit"] - before["xact_commit"]
    rollbacks = after["xact_rollback"] - before["xact_rollback"]
    return {"source": "pg_stat_database", "commits": commits, "rollbacks": rollbacks,
            "transactions": commits + rollbacks,
            "complete": not (before["waited_for_idle"] or after["waited_for_idle"])}
