"""Keys limited to some stores (issue 14, part 4: `keys create --scope read --store 10001`), through
the real client in both protocol eras (and, in 2025, with the key given to `tenant_use_master_key`
instead of the Authorization header): such a key lists and selects only its stores, the tenant's
"only store" is the only one it may use, any other store by OrderDesk id, name or uuid handle is
`not_found` exactly as a store that does not exist (so guessing one confirms nothing), a session's
active store chosen with another key is `store_not_allowed` naming only the allowed ids, nothing of
the other store reaches OrderDesk, and the tools that register or delete stores are neither listed
nor callable.
An unlimited key of the same tenant still sees everything. The CLI refuses a store the tenant has
not registered."""

import json

import pytest

from e2e_support import MODERN_VERSION, WRITE_TOOLS, RawClient, mcp_session, run, tool_error

MODES = [("legacy", "bearer"), ("legacy", "tool"), (MODERN_VERSION, "bearer")]
STORE_TOOLS = {"stores_register", "stores_delete"}


def _two_stores(order_tenant, orders_sim, claim_store_id, o1, label):
    """A tenant with two registered stores of the order simulator → (tenant, store A, store B)."""
    t, a = order_tenant(label, name=f"{label} A")
    sid = claim_store_id()
    with RawClient(o1.mcp_url, t.master_key, tenant_id=t.id) as c:
        c.open()
        b = c.tool("stores_register", {"store_id": sid, "api_key": orders_sim.stores[sid], "name": f"{label} B"}).ok()["store"]
    return t, a, b


def _session(o1, key, t, mode, auth):
    return mcp_session(o1.mcp_url, key if auth == "bearer" else None, t.id, mode=mode)


async def _login(s, key, auth):
    if auth == "tool":
        (await s.tool("tenant_use_master_key", {"master_key": key})).ok()


@pytest.mark.parametrize("mode,auth", MODES)
def test_a_read_key_limited_to_store_a_sees_and_uses_only_a(
    o1, order_tenant, orders_sim, claim_store_id, cli, mode, auth
):
    t, a, b = _two_stores(order_tenant, orders_sim, claim_store_id, o1, f"limited-{mode}-{auth}")
    key = cli.create_key(t, scope="read", stores=(a["store_id"],))
    assert key["store_ids"] == [a["store_id"]], key
    reader = key["master_key"]
    modern = mode == MODERN_VERSION

    async def main():
        async with _session(o1, t.master_key, t, mode, auth) as s:
            await _login(s, t.master_key, auth)
            everything = {x.name for x in (await s.client.list_tools()).tools}
        async with _session(o1, reader, t, mode, auth) as s:
            await _login(s, reader, auth)
            listed = {x.name for x in (await s.client.list_tools()).tools}
            assert not (listed & WRITE_TOOLS) and not (listed & STORE_TOOLS), listed
            assert {"stores_list", "stores_use_store", "orders_get", "orders_list"} <= listed < everything

            stores = (await s.tool("stores_list")).ok()["stores"]
            assert [x["store_id"] for x in stores] == [a["store_id"]], stores

            # Two stores registered, one allowed: without `store` the tools use A.
            mark = orders_sim.mark()
            page = (await s.tool("orders_list", {"limit": 3})).ok()
            assert page["orders"], page
            order_id = str(page["orders"][0]["id"])
            got = (await s.tool("orders_get", {"order_id": order_id, "store": a["store_id"]})).ok()
            assert str(got["order"]["id"]) == order_id
            assert orders_sim.since(mark, store_id=a["store_id"]), "A's orders came from OrderDesk"

            # B, however named: not_found, listing only A, exactly as once B no longer exists.
            calls = [
                (tool, args)
                for ident in (b["store_id"], b["id"], b["name"])
                for tool, args in (
                    ("orders_list", {"store": ident}),
                    ("orders_get", {"store": ident, "order_id": order_id}),
                    ("stores_use_store", {"store": ident}),
                    ("stores_resolve", {"store": ident}),
                )
            ]

            async def refusals():
                results = []
                for tool, args in calls:
                    result = await s.tool(tool, args)
                    err = tool_error(result, "not_found", f"{tool} {args['store']}")
                    assert err["message"] == f'No store matches "{args["store"]}". Registered stores: {a["name"]}.', err
                    assert err["details"] == {"stores": [a["name"]]}, err
                    assert b["store_id"] not in json.dumps(err["details"]), err
                    results.append({k: v for k, v in result.raw.items() if k != "_meta"})  # _meta: the request id
                return results

            mark = orders_sim.mark()
            hidden = await refusals()
            assert orders_sim.since(mark, store_id=b["store_id"]) == [], "nothing of B reached OrderDesk"
            with RawClient(o1.mcp_url, t.master_key, tenant_id=t.id) as full:
                full.open()
                full.tool("stores_delete", {"store": b["id"]}).ok()
            unknown = await refusals()
            assert hidden == unknown, "a store outside the key's limit answers as one that does not exist"

            # The store tools it cannot see cannot be called either.
            tool_error(
                await s.tool("stores_register", {"store_id": "49999", "api_key": "x", "name": "nope"}),
                "forbidden", "stores_register")
            tool_error(await s.tool("stores_delete", {"store": a["id"]}), "forbidden", "stores_delete")

            # Its own store by handle works; in a session it becomes the active store.
            used = (await s.tool("stores_use_store", {"store": a["id"]})).ok()
            assert used["store_handle"] == a["id"] and used["remembered"] is (not modern)

    run(main())


@pytest.mark.parametrize("mode", ["legacy", MODERN_VERSION])
def test_a_write_key_limited_to_a_cannot_manage_stores_or_write_to_b(
    o1, order_tenant, orders_sim, claim_store_id, cli, mode
):
    t, a, b = _two_stores(order_tenant, orders_sim, claim_store_id, o1, f"limited-writer-{mode}")
    writer = cli.create_key(t, scope="write", stores=(a["store_id"],))["master_key"]

    async def main():
        async with mcp_session(o1.mcp_url, writer, t.id, mode=mode) as s:
            listed = {x.name for x in (await s.client.list_tools()).tools}
            assert {"orders_update", "orders_create", "orders_delete"} <= listed and not (listed & STORE_TOOLS), listed
            mark = orders_sim.mark()
            err = tool_error(
                await s.tool("orders_add_note", {"store": b["store_id"], "order_id": "1", "note": "hi"}),
                "not_found", "orders_add_note on B")
            assert err["message"] == f'No store matches "{b["store_id"]}". Registered stores: {a["name"]}.', err
            tool_error(await s.tool("stores_delete", {"store": b["id"]}), "forbidden", "stores_delete B")
            assert orders_sim.since(mark, store_id=b["store_id"]) == []
        # The unlimited key of the same tenant still sees and may use everything.
        async with mcp_session(o1.mcp_url, t.master_key, t.id, mode=mode) as s:
            listed = {x.name for x in (await s.client.list_tools()).tools}
            assert STORE_TOOLS <= listed
            stores = (await s.tool("stores_list")).ok()["stores"]
            assert {x["store_id"] for x in stores} == {a["store_id"], b["store_id"]}
            (await s.tool("orders_list", {"store": b["store_id"], "limit": 1})).ok()

    run(main())


def test_a_legacy_sessions_active_store_chosen_by_another_key_is_not_allowed(
    o1, order_tenant, orders_sim, claim_store_id, cli
):
    """The same session, B made active with the tenant's full key, then used with a key limited to A."""
    t, a, b = _two_stores(order_tenant, orders_sim, claim_store_id, o1, "limited-active")
    reader = cli.create_key(t, scope="read", stores=(a["store_id"],))["master_key"]
    with RawClient(o1.mcp_url, t.master_key, tenant_id=t.id) as c:
        c.open()
        c.tool("stores_use_store", {"store": b["id"]}).ok()
        c.key = reader
        err = tool_error(c.tool("orders_list", {"limit": 1}), "store_not_allowed", "B active, limited key")
        # It names the ids the key may use, never B's.
        assert err["details"] == {"allowed_store_ids": [a["store_id"]]}, err
        assert a["store_id"] in err["message"] and b["store_id"] not in err["message"], err
        assert b["name"] not in err["message"], err
        listed = c.tool("stores_list").ok()
        assert [x["store_id"] for x in listed["stores"]] == [a["store_id"]] and listed["active_store_id"] is None


def test_the_cli_refuses_an_unregistered_store_and_lists_the_limits(o1, order_tenant, cli):
    t, a = order_tenant("limited-cli")
    with pytest.raises(RuntimeError) as refused:
        cli.create_key(t, scope="read", stores=("49998",))
    text = str(refused.value)
    assert "failed (1)" in text and "no registered store with OrderDesk store id 49998" in text, text
    assert a["store_id"] in text, text
    with pytest.raises(RuntimeError) as malformed:
        cli.create_key(t, scope="read", stores=("main",))
    assert "failed (1)" in str(malformed.value) and "is not an OrderDesk store id" in str(malformed.value)

    made = cli.create_key(t, scope="read", stores=(a["store_id"],))
    listed = cli._run("keys", "list", "--tenant", t.id)
    assert f"stores:{a['store_id']}" in listed and "stores:all" in listed, listed
    rows = {r["key_id"]: r for r in json.loads(cli._run("keys", "list", "--tenant", t.id, "--json"))}
    assert rows[made["key_id"]]["store_ids"] == [a["store_id"]]
    assert [r["store_ids"] for k, r in rows.items() if k != made["key_id"]] == [None]
