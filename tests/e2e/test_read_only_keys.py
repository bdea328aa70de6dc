"""A read-only key sees only the tools it may call (issue 14, part 4), through the real client in
both protocol eras: the missing tools are exactly those it is refused (`forbidden`), and in
2026-07-28 its list is marked `cacheScope: "private"` (it depends on the key) while a full list is
`"public"`."""

import pytest

from e2e_support import MODERN_VERSION, WRITE_TOOLS, ModernRawClient, mcp_session, run, tool_error


@pytest.mark.parametrize("mode", ["legacy", MODERN_VERSION])
def test_read_only_key_lists_only_what_it_may_call(r1, make_tenant, cli, mode):
    t = make_tenant(f"read-only-list-{mode}")
    reader = cli.create_key(t, scope="read")["master_key"]

    async def main():
        async with mcp_session(r1.mcp_url, t.master_key, t.id, mode=mode) as s:
            everything = {x.name for x in (await s.client.list_tools()).tools}
        async with mcp_session(r1.mcp_url, reader, t.id, mode=mode) as s:
            readable = {x.name for x in (await s.client.list_tools()).tools}
            assert readable < everything and not (readable & WRITE_TOOLS), (readable, everything)
            assert {"orders_get", "orders_list", "stores_list"} <= readable
            for name in sorted(everything - readable):
                tool_error(await s.tool(name, {}), "forbidden", f"{name} with a read-only key")

    run(main())


def test_read_only_list_is_private_and_the_full_list_public(r1, make_tenant, cli):
    t = make_tenant("read-only-cache-scope")
    reader = cli.create_key(t, scope="read")["master_key"]
    scopes = {}
    for label, key in (("reader", reader), ("writer", t.master_key), ("nobody", None)):
        with ModernRawClient(r1.mcp_url, key, tenant_id=t.id) as c:
            r = c.list_tools()
            assert r.status_code == 200, r.text[:300]
            scopes[label] = r.json()["result"]["cacheScope"]
    assert scopes == {"reader": "private", "writer": "public", "nobody": "public"}, scopes
