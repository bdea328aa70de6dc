import Foundation
import JSON
import OrderDesk
import Postgres
import TestSupport
import Testing

@testable import App

/// The shared read-through cache, against a real database and a real simulator.
@Suite(.serialized) struct OrderCacheTests {
    @Test func secondGetIsServedFromTheCacheWithOneUpstreamCall() async throws {
        try await OrdersHarness.run { h in
            let id = try await h.orderIDs(1)[0]
            let first = try await h.service.get(tenantID: h.tenantID, store: h.store, orderID: id)
            let second = try await h.service.get(tenantID: h.tenantID, store: h.store, orderID: id)
            #expect(first.cached == false)
            #expect(second.cached == true)
            #expect(first.order == second.order)
            #expect(first.order["id"]?.lenientString == id)
            #expect(try await h.upstream("GET", "/orders/\(id)") == 1)
            #expect(try await h.cacheRows(scope: "order") == 1)
        }
    }

    @Test func zeroTTLNeverCaches() async throws {
        try await OrdersHarness.run { h in
            var configuration = OrdersHarness.testConfiguration
            configuration.orderTTL = .zero
            configuration.listTTL = .zero
            let service = h.service(configuration)
            let id = try await h.orderIDs(1)[0]
            for _ in 0..<3 {
                #expect(try await service.get(tenantID: h.tenantID, store: h.store, orderID: id).cached == false)
                #expect(try await service.list(tenantID: h.tenantID, store: h.store, query: OrderQuery(limit: 5)).cached == false)
            }
            #expect(try await h.upstream("GET", "/orders/\(id)") == 3)
            #expect(try await h.upstream("GET", "/orders") == 3)
            #expect(try await h.cacheRows(scope: "order") == 0)
            #expect(try await h.cacheRows(scope: "order_list") == 0)
        }
    }

    @Test func replicasShareTheCache() async throws {
        try await OrdersHarness.run { h in
            let id = try await h.orderIDs(1)[0]
            let query = OrderQuery(email: nil, limit: 4)
            try await h.withSecondReplica { replica2 in
                let fromOne = try await h.service.get(tenantID: h.tenantID, store: h.store, orderID: id)
                let listOne = try await h.service.list(tenantID: h.tenantID, store: h.store, query: query)
                let fromTwo = try await replica2.service.get(tenantID: h.tenantID, store: h.store, orderID: id)
                let listTwo = try await replica2.service.list(tenantID: h.tenantID, store: h.store, query: query)
                #expect(!fromOne.cached && !listOne.cached)
                #expect(fromTwo.cached && listTwo.cached)
                #expect(fromTwo.order == fromOne.order)
                #expect(listTwo.page == listOne.page)
            }
            // Replica 2 made no upstream call at all.
            #expect(try await h.upstream("GET", "/orders/\(id)") == 1)
            #expect(try await h.upstream("GET", "/orders") == 1)
        }
    }

    @Test func updateOnOneReplicaInvalidatesTheOthersCachedOrderAndLists() async throws {
        try await OrdersHarness.run { h in
            let id = try await h.orderIDs(1)[0]
            try await h.withSecondReplica { replica2 in
                let service2 = replica2.service
                _ = try await service2.get(tenantID: h.tenantID, store: h.store, orderID: id)
                _ = try await service2.list(tenantID: h.tenantID, store: h.store, query: OrderQuery(limit: 5))
                _ = try await service2.list(tenantID: h.tenantID, store: h.store, query: OrderQuery(limit: 6))
                #expect(try await service2.get(tenantID: h.tenantID, store: h.store, orderID: id).cached)
                #expect(try await h.cacheRows(scope: "order_list") == 2)

                _ = try await h.service.update(
                    tenantID: h.tenantID, store: h.store, orderID: id,
                    changes: ["email": "changed-by-replica-1@example.com"], expectedDateUpdated: nil)

                #expect(try await h.cacheRows(scope: "order_list") == 0)
                let after = try await service2.get(tenantID: h.tenantID, store: h.store, orderID: id)
                #expect(after.cached == false)
                #expect(after.order["email"]?.stringValue == "changed-by-replica-1@example.com")
                let list = try await service2.list(tenantID: h.tenantID, store: h.store, query: OrderQuery(limit: 5))
                #expect(list.cached == false)
                let listed = list.page["orders"]?.arrayValue?.first { $0["id"]?.lenientString == id }
                #expect(listed?["email"]?.stringValue == "changed-by-replica-1@example.com")
            }
        }
    }

    @Test func differentFiltersGetDifferentEntriesAndEveryFilterReachesOrderDesk() async throws {
        try await OrdersHarness.run { h in
            // One query per filter (and the paging/ordering parameters), each with its expected query-string pair.
            let cases: [(OrderQuery, String)] = [
                (OrderQuery(folderIDs: [1, 2]), "folder_id=1%2C2"),
                (OrderQuery(folderName: "New"), "folder_name=New"),
                (OrderQuery(sourceID: "SRC-1"), "source_id=SRC-1"),
                (OrderQuery(sourceName: "Shopify"), "source_name=Shopify"),
                (OrderQuery(searchStartDate: "2024-01-01"), "search_start_date=2024-01-01"),
                (OrderQuery(searchEndDate: "2030-01-01"), "search_end_date=2030-01-01"),
                (OrderQuery(searchStartDateLocal: "2024-01-02"), "search_start_date_local=2024-01-02"),
                (OrderQuery(searchEndDateLocal: "2030-01-02"), "search_end_date_local=2030-01-02"),
                (OrderQuery(modifiedStartDate: "2024-01-03"), "modified_start_date=2024-01-03"),
                (OrderQuery(modifiedEndDate: "2030-01-03"), "modified_end_date=2030-01-03"),
                (OrderQuery(email: "a@example.com"), "email=a%40example.com"),
                (OrderQuery(customerID: "77"), "customer_id=77"),
                (OrderQuery(customerFirstName: "Ada"), "customer_first_name=Ada"),
                (OrderQuery(customerLastName: "Lovelace"), "customer_last_name=Lovelace"),
                (OrderQuery(customerCompany: "Acme"), "customer_company=Acme"),
                (OrderQuery(customerAddress1: "1 Main"), "customer_address1=1%20Main"),
                (OrderQuery(customerPhone: "555"), "customer_phone=555"),
                (OrderQuery(shippingFirstName: "Bob"), "shipping_first_name=Bob"),
                (OrderQuery(shippingLastName: "Smith"), "shipping_last_name=Smith"),
                (OrderQuery(shippingCompany: "Globex"), "shipping_company=Globex"),
                (OrderQuery(shippingAddress1: "2 Side"), "shipping_address1=2%20Side"),
                (OrderQuery(shippingPhone: "556"), "shipping_phone=556"),
                (OrderQuery(includeHistory: true), "get_order_history=1"),
                (OrderQuery(orderBy: "date_updated"), "order_by=date_updated"),
                (OrderQuery(order: .ascending), "order=ASC"),
                (OrderQuery(limit: 7), "limit=7"),
                (OrderQuery(offset: 3), "offset=3"),
                (OrderQuery(), ""),
            ]
            for (query, _) in cases {
                let result = try await h.service.list(tenantID: h.tenantID, store: h.store, query: query)
                #expect(result.cached == false, "\(query) was answered from another query's entry")
            }
            #expect(try await h.cacheRows(scope: "order_list") == cases.count)
            let sent = try await h.simulator.requests(method: "GET", path: "/orders").compactMap { $0["query"]?.stringValue }
            #expect(sent.count == cases.count)
            for ((_, pair), query) in zip(cases, sent) {
                #expect(normalized(query) == normalized(pair), "sent \(query), expected \(pair)")
            }
            // Asked again, every one is a hit.
            for (query, _) in cases {
                #expect(try await h.service.list(tenantID: h.tenantID, store: h.store, query: query).cached)
            }
            #expect(try await h.upstream("GET", "/orders") == cases.count)
        }
    }

    /// The simulator logs the query as received; percent-encoding may differ in case and in which
    /// characters are escaped.
    private func normalized(_ query: String) -> String {
        (query.removingPercentEncoding ?? query).replacingOccurrences(of: "+", with: " ")
    }

    @Test func listKeyCoversEveryParameterOfOrderQuery() throws {
        // If OrderQuery gains a property, this fails until OrderListKey encodes it.
        let properties = Mirror(reflecting: OrderQuery()).children.compactMap(\.label)
        #expect(properties.count == 27, "OrderQuery has \(properties.count) properties: \(properties)")
        var queries: [OrderQuery] = [
            OrderQuery(), OrderQuery(folderIDs: [1]), OrderQuery(folderIDs: [1, 2]), OrderQuery(folderIDs: []),
            OrderQuery(folderName: "x"), OrderQuery(sourceID: "x"), OrderQuery(sourceName: "x"),
            OrderQuery(searchStartDate: "2024-01-01"), OrderQuery(searchEndDate: "2024-01-01"),
            OrderQuery(searchStartDateLocal: "2024-01-01"), OrderQuery(searchEndDateLocal: "2024-01-01"),
            OrderQuery(modifiedStartDate: "2024-01-01"), OrderQuery(modifiedEndDate: "2024-01-01"),
            OrderQuery(email: "x"), OrderQuery(customerID: "x"), OrderQuery(customerFirstName: "x"),
            OrderQuery(customerLastName: "x"), OrderQuery(customerCompany: "x"), OrderQuery(customerAddress1: "x"),
            OrderQuery(customerPhone: "x"), OrderQuery(shippingFirstName: "x"), OrderQuery(shippingLastName: "x"),
            OrderQuery(shippingCompany: "x"), OrderQuery(shippingAddress1: "x"), OrderQuery(shippingPhone: "x"),
            OrderQuery(includeHistory: true), OrderQuery(orderBy: "x"), OrderQuery(order: .ascending),
            OrderQuery(order: .descending), OrderQuery(limit: 5), OrderQuery(offset: 5), OrderQuery(limit: 5, offset: 5),
            // Values that could run together in a naive encoding.
            OrderQuery(customerFirstName: "a", customerLastName: "b"), OrderQuery(customerFirstName: "a,b"),
            OrderQuery(email: "x\""), OrderQuery(email: "x", customerID: "y"),
        ]
        queries.append(OrderQuery(email: String(repeating: "é", count: 2_000)))
        queries.append(OrderQuery(email: String(repeating: "é", count: 2_001)))
        let keys = queries.map(OrderListKey.key(for:))
        #expect(Set(keys).count == queries.count)
        #expect(keys.allSatisfy { (1...1000).contains($0.unicodeScalars.count) })
        #expect(keys.suffix(2).allSatisfy { $0.hasPrefix("list-sha256:") })
        // Equal queries share their key.
        #expect(
            OrderListKey.key(for: OrderQuery(email: "x", limit: 5)) == OrderListKey.key(for: OrderQuery(email: "x", limit: 5)))
    }

    @Test func longListKeysAreHashedAndStillCached() async throws {
        try await OrdersHarness.run { h in
            let query = OrderQuery(customerAddress1: String(repeating: "Long Street ", count: 120))
            let first = try await h.service.list(tenantID: h.tenantID, store: h.store, query: query)
            #expect(first.cached == false)
            #expect(try await h.service.list(tenantID: h.tenantID, store: h.store, query: query).cached == true)
            #expect(try await h.upstream("GET", "/orders") == 1)
        }
    }

    @Test func pagesCarryPaginationMetadata() async throws {
        try await OrdersHarness.run(orders: 7) { h in
            let first = try await h.service.list(tenantID: h.tenantID, store: h.store, query: OrderQuery(limit: 3)).page
            #expect(first["orders"]?.arrayValue?.count == 3)
            #expect(first["total_records"] == .int(7))
            #expect(first["records_returned"] == .int(3))
            #expect(first["offset"] == .int(0))
            #expect(first["limit"] == .int(3))
            #expect(first["has_more"] == .bool(true))
            #expect(first["next_offset"] == .int(3))
            let last = try await h.service.list(tenantID: h.tenantID, store: h.store, query: OrderQuery(limit: 3, offset: 6))
                .page
            #expect(last["records_returned"] == .int(1))
            #expect(last["has_more"] == .bool(false))
            #expect(last["next_offset"] == .null)
        }
    }

    @Test func anotherTenantCannotReadTheCachedRows() async throws {
        try await OrdersHarness.run { h in
            let id = try await h.orderIDs(1)[0]
            _ = try await h.service.get(tenantID: h.tenantID, store: h.store, orderID: id)
            _ = try await h.service.list(tenantID: h.tenantID, store: h.store, query: OrderQuery(limit: 2))
            let other = try await h.fixture.createTenant()
            #expect(try await h.cacheRows(scope: "order", tenantID: other.tenantID) == 0)
            #expect(try await h.cacheRows(scope: "order_list", tenantID: other.tenantID) == 0)
            let stored = try await h.fixture.asSuperuser { tx in
                try tx.query("SELECT count(*) AS n FROM orderdesk.cache_entries WHERE scope IN ('order', 'order_list')")[0]
                    .decode(Int.self, "n")
            }
            #expect(stored == 2)
            // Through the service: B naming A's store finds no store (its credentials are invisible to B),
            // before any cache row or upstream call.
            let error = await caught(StoreError.self) {
                try await h.service.get(tenantID: other.tenantID, store: h.store, orderID: id)
            }
            #expect(error?.code == .notFound)
            let listError = await caught(StoreError.self) {
                try await h.service.list(tenantID: other.tenantID, store: h.store, query: OrderQuery(limit: 2))
            }
            #expect(listError?.code == .notFound)
            #expect(try await h.upstream("GET", "/orders/\(id)") == 1)
        }
    }

    @Test func aReadThatStartedBeforeAMutationDoesNotRefillTheCache() async throws {
        try await OrdersHarness.run { h in
            let cache = OrderCache(database: h.database)
            let key = OrderCache.orderKey("42")
            guard
                case .miss(let before) = try await cache.lookup(
                    tenantID: h.tenantID, storeID: h.store.id, scope: .order, key: key)
            else {
                Issue.record("unexpected hit")
                return
            }
            // A mutation lands while the read is out fetching.
            try await cache.invalidate(tenantID: h.tenantID, storeID: h.store.id, orderID: "42")
            let stale = try await cache.fill(
                tenantID: h.tenantID, storeID: h.store.id, scope: .order, key: key, value: ["id": "42", "v": 1],
                ttl: .seconds(30), since: before)
            #expect(stale == false)
            #expect(try await h.cacheRows(scope: "order") == 0)
            // A read that started after it fills normally.
            guard
                case .miss(let after) = try await cache.lookup(tenantID: h.tenantID, storeID: h.store.id, scope: .order, key: key)
            else {
                Issue.record("unexpected hit")
                return
            }
            #expect(
                try await cache.fill(
                    tenantID: h.tenantID, storeID: h.store.id, scope: .order, key: key, value: ["id": "42", "v": 2],
                    ttl: .seconds(30), since: after))
            guard
                case .hit(let value) = try await cache.lookup(tenantID: h.tenantID, storeID: h.store.id, scope: .order, key: key)
            else {
                Issue.record("expected a hit")
                return
            }
            #expect(value["v"] == .int(2))
        }
    }

    @Test func expiredEntriesAreNotServed() async throws {
        var configuration = OrdersHarness.testConfiguration
        configuration.orderTTL = .seconds(60)
        try await OrdersHarness.run(configuration: configuration) { h in
            let id = try await h.orderIDs(1)[0]
            #expect(try await h.service.get(tenantID: h.tenantID, store: h.store, orderID: id).cached == false)
            #expect(try await h.service.get(tenantID: h.tenantID, store: h.store, orderID: id).cached == true)
            // Served until the TTL has passed, fetched again after it.
            try await h.ageCacheEntries(scope: .order, by: .seconds(55))
            #expect(try await h.service.get(tenantID: h.tenantID, store: h.store, orderID: id).cached == true)
            try await h.ageCacheEntries(scope: .order, by: .seconds(10))
            #expect(try await h.service.get(tenantID: h.tenantID, store: h.store, orderID: id).cached == false)
            #expect(try await h.upstream("GET", "/orders/\(id)") == 2)
        }
    }
}

extension OrdersHarness {
    /// Moves the times of every cache entry of `scope` `elapsed` into the past, which to the cache is
    /// the same as `elapsed` passing: expiry is decided in SQL against Postgres's clock, which a test
    /// cannot move.
    fileprivate func ageCacheEntries(scope: OrderCache.Scope, by elapsed: Duration) async throws {
        let seconds = elapsed / .seconds(1)
        _ = try await fixture.asSuperuser { tx in
            try tx.execute(
                """
                UPDATE orderdesk.cache_entries
                SET created_at = created_at - make_interval(secs => \(seconds)),
                    expires_at = expires_at - make_interval(secs => \(seconds))
                WHERE scope = \(scope.rawValue)
                """)
        }
    }
}
