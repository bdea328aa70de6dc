"""setup / warm: the bench tenant's session and store, the simulator's order ids, a warmed cache."""

from __future__ import annotations

import os
from pathlib import Path

from .common import die, read_json, write_json
from .mcpclient import Mcp, master_key, sim_get


def cmd_setup(a) -> None:
    key = master_key()
    store_key = os.environ.get("BENCH_STORE_KEY") or die("BENCH_STORE_KEY is not set")
    mcp = Mcp(a.mcp)
    session = mcp.initialize(key)
    reg, _ = mcp.tool("stores_register", {"store_id": a.store_id, "api_key": store_key, "name": "Bench Store"}, key, session)
    store_uuid = reg["store"]["id"]
    mcp.tool("stores_use_store", {"store": store_uuid}, key, session)
    unauth = mcp.initialize(None)  # a session without a key (for the known-key cost comparison)
    ids: list[str] = []
    while True:
        page = sim_get(a.sim, f"/orders?limit=500&offset={len(ids)}", a.store_id, store_key)
        ids += [str(o["id"]) for o in page["orders"]]
        if not page["orders"] or len(ids) >= int(page.get("total_records", 0)):
            break
    if len(ids) < 64:
        die(f"the simulator seeded only {len(ids)} orders")
    Path(a.ids_file).write_text("\n".join(ids) + "\n")
    state = {"session": session, "unauth_session": unauth, "store_uuid": store_uuid, "store_id": a.store_id,
             "order_id": ids[0], "order_ids": len(ids)}
    write_json(a.state, state)
    print(f"bench: session ready, store {store_uuid}, {len(ids)} orders in the simulator")


def orders_get_body(order_id: str, rid: int = 1) -> dict:
    return {"jsonrpc": "2.0", "id": rid, "method": "tools/call", "params": {"name": "orders_get", "arguments": {"order_id": order_id}}}


def cmd_warm(a) -> None:
    state = read_json(a.state)
    key, mcp = master_key(), Mcp(a.mcp)
    cached, session = None, None if a.stateless else state["session"]
    for _ in range(a.calls):
        sc, _ = mcp.tool("orders_get", {"order_id": state["order_id"]}, key, session, a.stateless)
        cached = sc.get("cached")
        if str(sc.get("order", {}).get("id")) != state["order_id"]:
            die(f"orders_get answered order {sc.get('order', {}).get('id')!r}, asked for {state['order_id']}")
    if a.expect_cached is not None and cached != (a.expect_cached == "true"):
        die(f"orders_get after warm-up: cached={cached}, expected {a.expect_cached}")
