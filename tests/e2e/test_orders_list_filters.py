"""Every filter of orders_list reaches OrderDesk (checked in the simulator's request log), filters
work, and two different argument sets never share a cache entry."""

from urllib.parse import parse_qs

from e2e_support import RawClient


def _target(orders_sim, sid):
    """A seeded order with every field the filters need, read from the simulator directly (so the
    server's cache knows nothing about it)."""
    orders = orders_sim.api("GET", "/orders", sid, params={"limit": 500}).json()["orders"]
    for o in orders:
        if o["customer"].get("company") and o["shipping"].get("company") and o.get("customer_id") and o.get("source_id"):
            return o, orders
    raise AssertionError("no seeded order with companies, customer id and source id")


def _filters(o, folders):
    c, s = o["customer"], o["shipping"]
    day_added, day_updated = o["date_added"][:10], o["date_updated"][:10]
    return {
        "folder_id": o["folder_id"],
        "folder_name": folders[str(o["folder_id"])],
        "search_start_date": day_added,
        "search_end_date": f"{day_added} 23:59:59",
        "modified_start_date": f"{day_updated} 00:00:00",
        "modified_end_date": day_updated,
        "email": o["email"].upper(),
        "customer_id": o["customer_id"],
        "customer_first_name": c["first_name"],
        "customer_last_name": c["last_name"],
        "customer_company": c["company"],
        "customer_phone": c["phone"],
        "shipping_first_name": s["first_name"],
        "shipping_last_name": s["last_name"],
        "shipping_company": s["company"],
        "shipping_phone": s["phone"],
        "source_id": o["source_id"],
        "source_name": o["source_name"],
        "order_by": "order_total",
        "order": "asc",
    }


def test_every_filter_reaches_the_simulator_and_has_its_own_cache_entry(o1, o2, order_tenant, orders_sim):
    t, store = order_tenant("orders-filters")
    sid = store["store_id"]
    target, everything = _target(orders_sim, sid)
    folders = orders_sim.store_info()[sid]["folders"]
    filters = _filters(target, folders)
    tid = str(target["id"])
    with RawClient(o1.mcp_url, t.master_key, tenant_id=t.id) as c:
        c.open()
        for field, value in filters.items():
            mark = orders_sim.mark()
            r = c.tool("orders_list", {field: value, "limit": 100}).ok()
            sent = orders_sim.since(mark, store_id=sid)
            assert r["cached"] is False, f"{field}: a new filter was answered from the cache (shared cache entry)"
            assert len(sent) == 1 and sent[0]["method"] == "GET" and sent[0]["path"] == "/orders", f"{field}: upstream {sent}"
            qs = parse_qs(sent[0]["query"], keep_blank_values=True)
            got = qs.get(field)
            want = str(value)
            if field in ("order", "email"):
                assert got and got[0].lower() == want.lower(), f"{field}: sent {sent[0]['query']!r}"
            else:
                assert got == [want], f"{field}={want!r} did not reach OrderDesk as such: query {sent[0]['query']!r}"
            assert qs.get("limit") == ["100"], sent[0]["query"]
            ids = [str(o["id"]) for o in r["orders"]]
            if field not in ("order_by", "order"):
                assert tid in ids, f"{field}={value!r}: the target order is not in the {len(ids)} results"
            assert r["total_records"] == len(ids) and r["has_more"] is False and r["next_offset"] is None

        # the filters do filter (spot checks against the data)
        by_email = c.tool("orders_list", {"email": target["email"], "limit": 100}).ok()["orders"]
        assert by_email and all(o["email"].lower() == target["email"].lower() for o in by_email)
        assert len(by_email) == sum(1 for o in everything if o["email"].lower() == target["email"].lower())
        by_source = c.tool("orders_list", {"source_name": target["source_name"], "limit": 100}).ok()["orders"]
        assert by_source and all(o["source_name"] == target["source_name"] for o in by_source)
        assert len(by_source) < len(everything), "source_name did not filter"
        asc = c.tool("orders_list", {"order_by": "order_total", "order": "asc", "limit": 100}).ok()["orders"]
        totals = [float(o["order_total"]) for o in asc]
        assert totals == sorted(totals) and len(totals) == len(everything)

        # the same arguments again: cached, no upstream call — on this replica and on the other
        mark = orders_sim.mark()
        again = c.tool("orders_list", {"email": filters["email"], "limit": 100}).ok()
        assert again["cached"] is True
        other = c.tool("orders_list", {"email": filters["email"], "limit": 100}, url=o2.mcp_url).ok()
        assert other["cached"] is True
        assert orders_sim.since(mark, store_id=sid) == [], "a repeated filter called OrderDesk"

        # …but a different value, limit, offset, order or an extra filter is a different entry
        variants = [
            {"email": "nobody@example.com", "limit": 100},
            {"email": filters["email"], "limit": 99},
            {"email": filters["email"], "limit": 100, "offset": 1},
            {"email": filters["email"], "limit": 100, "order": "asc"},
            {"email": filters["email"], "limit": 100, "source_name": target["source_name"]},
            {"shipping_company": filters["customer_last_name"], "limit": 100},  # a used value, in another field
            {"customer_first_name": filters["customer_last_name"], "limit": 100},
            {"search_end_date": filters["search_start_date"], "limit": 100},  # the day form of a used date
            {"limit": 100},
        ]
        for args in variants:
            mark = orders_sim.mark()
            r = c.tool("orders_list", args).ok()
            sent = orders_sim.since(mark, store_id=sid)
            assert r["cached"] is False and len(sent) == 1, f"{args}: cached={r['cached']}, upstream {len(sent)}"
