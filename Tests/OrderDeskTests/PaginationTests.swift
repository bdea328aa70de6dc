import OrderDesk
import Testing

@Suite struct PaginationTests {
    @Test func pagingOverTwelveHundredOrdersReturnsEachExactlyOnce() async throws {
        try await SimulatorHarness.run(orders: 1200) { harness in
            var seen: [String] = []
            var offset = 0
            var pages = 0
            while true {
                let page = try await harness.api.listOrders(
                    OrderQuery(orderBy: "date_added", order: .descending, limit: OrderQuery.maximumLimit, offset: offset))
                #expect(page.totalRecords == 1200)
                #expect(page.recordsReturned == page.orders.count)
                seen += page.orders.compactMap(\.id)
                pages += 1
                guard page.hasMore else { break }
                offset += page.recordsReturned
            }
            #expect(pages == 3)
            #expect(seen.count == 1200)
            #expect(Set(seen).count == 1200)
            #expect(try await harness.upstreamCalls(method: "GET", path: "/orders") == 3)
        }
    }
}
