#!/usr/bin/env python3
"""The measuring half of `make bench`: bench/run.sh starts and stops the processes (PostgreSQL
database, simulator, server) and calls the subcommands here, which talk MCP, drive wrk and
pgbench, and write one JSON fragment per measurement into the run's work directory. `report`
assembles the fragments into bench/results/<UTC timestamp>.json (+ latest.json) and prints the
table. Python standard library only.

The work is split by job in bench/odbench/: mcpclient (MCP over HTTP, the simulator's API), seeding
(the bench tenant's session, store and order ids), floor (capture of one call's SQL, the pgbench
script, pgbench runs), load (wrk runs with CPU accounting), sqlstats (statements per call from
pg_stat_statements, transactions from pg_stat_database), metrics (the server's /metrics), memory
(RSS), auth (first use of a key), tenants (the many-tenant phase), report (the table); cpu and
common hold what they share. This file only maps subcommands to them.

Exit status: 0 fine; 3 the harness broke (an error answer, a process died, a tool misbehaved).
A missed target is not an error: the table says FAIL.

Secrets (the master key, the store's API key, other keys) come from the environment or from files
in the 0700 work directory, never from the command line, and are never written to the results.
"""

from __future__ import annotations

import argparse
import os
import sys

from odbench.auth import cmd_auth
from odbench.common import STATELESS, HarnessError
from odbench.cpu import cmd_load
from odbench.floor import cmd_capture, cmd_pgbench
from odbench.load import cmd_wrk
from odbench.memory import cmd_rss
from odbench.report import cmd_report
from odbench.seeding import cmd_setup, cmd_warm
from odbench.tenants import cmd_many_run, cmd_many_seed, cmd_many_stores, cmd_many_tables


def add_accounting(s) -> None:
    s.add_argument("--dbname", default=os.environ.get("BENCH_DB"), help="bench database (its backends' CPU is reported)")
    s.add_argument("--admin-url", default=os.environ.get("ODMCP_ADMIN_DATABASE_URL"),
                   help="admin connection for pg_stat_database (transactions per call, with --pgss-db)")
    s.add_argument("--metrics", help="the server's /metrics URL (its counters over the run)")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)

    s = sub.add_parser("setup")
    for opt in ("--mcp", "--sim", "--store-id", "--state", "--ids-file"):
        s.add_argument(opt, required=True)
    s.set_defaults(fn=cmd_setup)

    s = sub.add_parser("warm")
    s.add_argument("--mcp", required=True)
    s.add_argument("--state", required=True)
    s.add_argument("--calls", type=int, default=3)
    s.add_argument("--expect-cached", choices=["true", "false"])
    s.add_argument("--stateless", action="store_true", help=f"call in the {STATELESS} request shape (no session)")
    s.set_defaults(fn=cmd_warm)

    s = sub.add_parser("capture")
    for opt in ("--mcp", "--state", "--db-url", "--app-url", "--admin-url", "--dbname", "--log-file", "--script", "--vars", "--out"):
        s.add_argument(opt, required=True)
    s.add_argument("--calls", type=int, default=200)
    s.set_defaults(fn=cmd_capture)

    s = sub.add_parser("wrk")
    s.add_argument("--label", required=True)
    s.add_argument("--out", required=True)
    s.add_argument("--url", required=True)
    s.add_argument("--state")
    s.add_argument("--conns", type=int, required=True)
    s.add_argument("--threads", type=int, default=2)
    s.add_argument("--duration", type=int, default=10)
    s.add_argument("--method", default="POST")
    s.add_argument("--body")
    s.add_argument("--mcp-session", choices=["session", "unauth_session"])
    s.add_argument("--stateless", action="store_true", help=f"{STATELESS} request shape: no session, _meta, routing headers")
    s.add_argument("--auth", action="store_true", help="send Authorization: Bearer $BENCH_MASTER_KEY")
    s.add_argument("--sim-store", action="store_true", help="send the simulator store's credentials")
    s.add_argument("--expect", action="append", help="a substring every good answer contains (repeatable; {ORDER} as in --body)")
    s.add_argument("--count")
    s.add_argument("--require-count", action="store_true")
    s.add_argument("--ids-file")
    s.add_argument("--stop-after", type=int)
    s.add_argument("--server-pid", type=int)
    s.add_argument("--pgss-db")
    add_accounting(s)
    s.set_defaults(fn=cmd_wrk)

    s = sub.add_parser("pgbench")
    for opt in ("--label", "--out", "--url", "--script", "--vars"):
        s.add_argument(opt, required=True)
    s.add_argument("--clients", type=int, required=True)
    s.add_argument("--threads", type=int, default=2)
    s.add_argument("--duration", type=int, default=10)
    s.add_argument("--protocol", default="prepared")
    s.set_defaults(fn=cmd_pgbench)

    s = sub.add_parser("auth")
    for opt in ("--mcp", "--state", "--keys-file", "--out"):
        s.add_argument(opt, required=True)
    s.set_defaults(fn=cmd_auth)

    s = sub.add_parser("load")
    s.add_argument("--seconds", type=float, default=3)
    s.set_defaults(fn=cmd_load)

    s = sub.add_parser("rss")
    s.add_argument("--pid", type=int, required=True)
    s.add_argument("--calls", type=int, default=0)
    s.add_argument("--calls-from", nargs="*", help="wrk fragments whose successful calls add up to the count")
    s.add_argument("--warmup-from", nargs="*", help="wrk fragments of the uncounted warm-up before the count")
    for opt in ("--label", "--out"):
        s.add_argument(opt, required=True)
    s.set_defaults(fn=cmd_rss)

    s = sub.add_parser("many-stores", help="the simulator's store file for the many-tenant phase")
    s.add_argument("--tenants", type=int, required=True)
    s.add_argument("--orders", type=int, required=True)
    s.add_argument("--out", required=True)
    s.set_defaults(fn=cmd_many_stores)

    s = sub.add_parser("many-seed", help="tenants, keys (CLI), stores, sessions, order ids of the many-tenant phase")
    for opt in ("--cli", "--mcp", "--sim", "--stores", "--out", "--result"):
        s.add_argument(opt, required=True)
    s.add_argument("--jobs", type=int, default=2, help="CLI processes (and MCP connections) at a time")
    s.set_defaults(fn=cmd_many_seed)

    s = sub.add_parser("many-run", help="one wrk run of the many-tenant phase (wrk_tenants.lua)")
    for opt in ("--label", "--out", "--url", "--tenants-file"):
        s.add_argument(opt, required=True)
    s.add_argument("--shape", choices=["session", "stateless"], required=True)
    s.add_argument("--conns", type=int, default=32)
    s.add_argument("--threads", type=int, default=2)
    s.add_argument("--calls", type=int, required=True)
    s.add_argument("--duration", type=int, required=True, help="cap in seconds (wrk stops at --calls)")
    s.add_argument("--zipf-s", type=float, default=1.1)
    s.add_argument("--seed", type=int, default=1, help="seed of the Zipf draws (give each run its own)")
    s.add_argument("--server-pid", type=int)
    s.add_argument("--pgss-db")
    add_accounting(s)
    s.set_defaults(fn=cmd_many_run)

    s = sub.add_parser("many-tables", help="sizes and row counts of the growing tables")
    for opt in ("--db-url", "--out"):
        s.add_argument(opt, required=True)
    s.add_argument("--calls-from", nargs="*", help="wrk fragments of the phase (their calls add up to the count)")
    s.set_defaults(fn=cmd_many_tables)

    s = sub.add_parser("report")
    s.add_argument("--work", required=True)
    s.add_argument("--results-dir", required=True)
    s.set_defaults(fn=cmd_report)

    a = p.parse_args()
    try:
        a.fn(a)
    except HarnessError as e:
        print(f"bench: error: {e}", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
