"""Folders and order workflow tools end to end with the real `mcp` client: store_folders_list (cached
in the shared cache, so the second call and another replica answer without OrderDesk), orders_move
(by exact folder name, unknown names refused before anything is sent, one unknown order reported
`not_found` while the others move), orders_add_note (shown by orders_get with include_history, the
1800-character limit), and read-only keys refused on both writes. Legacy (2025-11-25 session) and
2026-07-28 (stateless) modes."""

import pytest

from e2e_support import MODERN_VERSION, RawClient, assert_tool_result_shape, is_store, mcp_session, run, tool_error

MODES = ["legacy", MODERN_VERSION]
MISSING_ORDER = "999999999"


def _orders(sim, sid) -> list[dict]:
    return sim.api("GET", "/orders", sid, params={"limit": 500}).json()["orders"]


@pytest.mark.parametrize("mode", MODES)
def test_folders_move_and_notes(mode, o1, o2, orders_sim, order_tenant):
    t, store = order_tenant(f"folders-{mode}")
    run(_folders_move_and_notes(mode, o1, o2, orders_sim, t, store))


async def _folders_move_and_notes(mode, o1, o2, sim, t, store):
    sid = store["store_id"]
    folders = {int(k): v for k, v in sim.store_info()[sid]["folders"].items()}
    by_name = {v: k for k, v in folders.items()}
    args = lambda extra: {**extra, "store": store["id"]}  # noqa: E731 - 2026-07-28 has no session to remember it

    async with mcp_session(o1.mcp_url, t.master_key, t.id, mode=mode) as s:
        # folders: fetched once, then from the shared cache (this replica and the other one)
        mark = sim.mark()
        first = await s.tool("store_folders_list", args({}))
        assert_tool_result_shape(first)
        f1 = first.ok()
        assert f1["cached"] is False and is_store(f1["store"], store), f1
        assert {f["id"]: f["name"] for f in f1["folders"]} == folders, f1["folders"]
        assert [f["id"] for f in f1["folders"]] == sorted(folders)
        assert len(sim.since(mark, method="GET", path="/store", store_id=sid)) == 1
        mark = sim.mark()
        f2 = (await s.tool("store_folders_list", args({}))).ok()
        assert f2["cached"] is True and f2["folders"] == f1["folders"], f2
        assert sim.since(mark, store_id=sid) == [], "a cached folder list called OrderDesk"
        if mode == MODERN_VERSION:
            async with mcp_session(o2.mcp_url, t.master_key, t.id, mode=mode) as s2:
                assert (await s2.tool("store_folders_list", args({}))).ok()["cached"] is True

        # move two orders by folder name; orders_get afterwards is fresh and shows the new folder
        target = "Prepared"
        movable = [str(o["id"]) for o in _orders(sim, sid) if int(o["folder_id"]) != by_name[target]][:3]
        assert len(movable) == 3, "the seeded store has too few orders outside Prepared"
        a, b, c = movable
        for oid in (a, b):
            assert (await s.tool("orders_get", args({"order_id": oid}))).ok()["order"]["id"] == oid
        mark = sim.mark()
        moved = await s.tool("orders_move", args({"order_ids": [a, b], "folder_name": target}))
        assert_tool_result_shape(moved)
        m = moved.ok()
        assert m["folder"] == {"id": by_name[target], "name": target} and m["moved"] == 2, m
        assert [(r["order_id"], r["result"]) for r in m["results"]] == [(a, "moved"), (b, "moved")], m["results"]
        assert all(isinstance(r.get("original_folder_id"), int) for r in m["results"]), m["results"]
        posts = sim.since(mark, method="POST", path="/move-orders", store_id=sid)
        assert len(posts) == 1 and posts[0]["status"] == 200, posts
        assert sim.since(mark, method="GET", path="/store", store_id=sid) == [], "the folder name was not resolved from the cache"
        for oid in (a, b):
            got = (await s.tool("orders_get", args({"order_id": oid}))).ok()
            assert got["cached"] is False and int(got["order"]["folder_id"]) == by_name[target], got["order"]["folder_id"]
            assert int(sim.api("GET", f"/orders/{oid}", sid).json()["order"]["folder_id"]) == by_name[target]

        # an unknown folder name (names are case-sensitive) fails before anything is moved
        for wrong in ("No Such Folder", target.lower()):
            mark = sim.mark()
            r = await s.tool("orders_move", args({"order_ids": [c], "folder_name": wrong}))
            err = tool_error(r, "validation_error", f"move to {wrong!r}")
            assert all(name in err["message"] for name in folders.values()), err["message"]
            assert sim.since(mark, method="POST", store_id=sid) == [], "a move to an unknown folder reached OrderDesk"
        both = await s.tool("orders_move", args({"order_ids": [c], "folder_id": by_name[target], "folder_name": target}))
        tool_error(both, "validation_error", "folder_id and folder_name")

        # one missing order in a batch: reported not_found, the other one moves
        closed = by_name["Closed"]
        batch = (await s.tool("orders_move", args({"order_ids": [c, MISSING_ORDER], "folder_id": closed}))).ok()
        assert batch["moved"] == 1, batch
        assert [(r["order_id"], r["result"]) for r in batch["results"]] == [(c, "moved"), (MISSING_ORDER, "not_found")]
        assert int(sim.api("GET", f"/orders/{c}", sid).json()["order"]["folder_id"]) == closed

        # add a note: orders_get with include_history shows it (the cached copy was dropped)
        before = (await s.tool("orders_get", args({"order_id": a, "include_history": True}))).ok()
        assert before["cached"] is False and "order_history" in before["order"], before["order"].keys()
        assert (await s.tool("orders_get", args({"order_id": a, "include_history": True}))).ok()["cached"] is True
        text = f"Called the customer ({mode})"
        mark = sim.mark()
        added = await s.tool("orders_add_note", args({"order_id": a, "note": text}))
        assert_tool_result_shape(added)
        n = added.ok()
        assert n["order"]["order_history"][-1]["note"] == text and is_store(n["store"], store), n["order"]["order_history"]
        assert len(sim.since(mark, method="POST", path=f"/orders/{a}/order-history", store_id=sid)) == 1
        after = (await s.tool("orders_get", args({"order_id": a, "include_history": True}))).ok()
        assert after["cached"] is False, "the note did not invalidate the cached order"
        history = after["order"]["order_history"]
        assert [h["note"] for h in history][-1] == text and len(history) == len(before["order"]["order_history"]) + 1
        # the move is in the history too (OrderDesk notes each move)
        assert any(target in h["note"] for h in history), history

        # 1801 characters are refused before OrderDesk; an unknown order is not_found
        mark = sim.mark()
        tool_error(await s.tool("orders_add_note", args({"order_id": a, "note": "x" * 1801})), "validation_error", "1801")
        assert sim.since(mark, method="POST", store_id=sid) == [], "an overlong note reached OrderDesk"
        tool_error(await s.tool("orders_add_note", args({"order_id": MISSING_ORDER, "note": "hi"})), "not_found", "missing")


def test_read_only_key_cannot_move_or_add_notes(o1, cli, orders_sim, order_tenant):
    t, store = order_tenant("folders-read-only")
    sid = store["store_id"]
    oid = str(_orders(orders_sim, sid)[0]["id"])
    rk = cli.create_key(t, "read")
    assert "write" not in rk["scopes"], rk
    with RawClient(o1.mcp_url, rk["master_key"], tenant_id=t.id) as c:
        c.open()
        assert c.tool("store_folders_list").ok()["folders"], "a read key can list folders"
        mark = orders_sim.mark()
        r = c.tool("orders_move", {"order_ids": [oid], "folder_name": "Closed"})
        assert r.is_error and r.error_code == "forbidden", r.raw
        r = c.tool("orders_add_note", {"order_id": oid, "note": "not allowed"})
        assert r.is_error and r.error_code == "forbidden", r.raw
        assert orders_sim.since(mark, method="POST", store_id=sid) == [], "a forbidden write reached OrderDesk"
