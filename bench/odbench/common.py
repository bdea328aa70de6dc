"""What every part of the bench shares: the protocol revisions it speaks, the harness error, JSON
fragments and psql."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path


PROTOCOL = "2025-11-25"
STATELESS = "2026-07-28"  # no initialize, no session: each request carries _meta and routing headers
STATELESS_META = {
    "io.modelcontextprotocol/protocolVersion": STATELESS,
    "io.modelcontextprotocol/clientCapabilities": {},
    "io.modelcontextprotocol/clientInfo": {"name": "bench", "version": "1"},
}
ACCEPT = "application/json, text/event-stream"


class HarnessError(Exception):
    pass


def die(msg: str) -> None:
    raise HarnessError(msg)


# ---------------------------------------------------------------------------------------------
# Small helpers: JSON files, psql, /proc
# ---------------------------------------------------------------------------------------------


def read_json(path) -> dict:
    return json.loads(Path(path).read_text())


def write_json(path, data) -> None:
    tmp = Path(str(path) + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n")
    tmp.replace(path)


def psql(url: str, sql: str, check: bool = True) -> str:
    p = subprocess.run(
        ["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", url],
        input=sql, capture_output=True, text=True, timeout=120,
    )
    if check and p.returncode != 0:
        die(f"psql failed: {p.stderr.strip()}\nSQL: {sql[:400]}")
    return p.stdout if p.returncode == 0 else p.stderr


def psql_json(url: str, query: str) -> list:
    out = psql(url, f"SELECT coalesce(json_agg(q), '[]'::json) FROM ({query}) AS q;").strip()
    return json.loads(out or "[]")


def us_to_ms(v) -> float:
    return round(float(v) / 1000.0, 3)
