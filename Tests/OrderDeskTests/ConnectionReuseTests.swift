import JSON
import OrderDesk
import Testing

/// Connection reuse, observed through libcurl's own count of new connections per transfer
/// (`CURLINFO_NUM_CONNECTS`, summed in `OrderDeskClient.statistics`).
@Suite struct ConnectionReuseTests {
    @Test func sequentialRequestsReuseOneConnection() async throws {
        try await SimulatorHarness.run { harness in
            for _ in 0..<40 { _ = try await harness.api.testConnection() }
            let statistics = harness.client.statistics
            #expect(statistics.transfers == 40)
            #expect(statistics.connectionsOpened <= statistics.handles)
            #expect(statistics.connectionsOpened == 1)
            #expect(statistics.handles <= harness.client.configuration.maxConnections)
        }
    }

    @Test func concurrentRequestsOpenAtMostOneConnectionPerHandle() async throws {
        try await SimulatorHarness.run { harness in
            let api = harness.api
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<8 {
                    group.addTask { for _ in 0..<10 { _ = try await api.testConnection() } }
                }
                try await group.waitForAll()
            }
            let statistics = harness.client.statistics
            #expect(statistics.transfers == 80)
            #expect(statistics.handles <= harness.client.configuration.maxConnections)
            #expect(statistics.connectionsOpened <= statistics.handles)
        }
    }

    @Test func manyStoresShareTheSameConnections() async throws {
        try await SimulatorHarness.run(stores: [.standard, .second], orders: 3) { harness in
            for _ in 0..<10 {
                _ = try await harness.api(.standard).testConnection()
                _ = try await harness.api(.second).testConnection()
            }
            #expect(harness.client.statistics.transfers == 20)
            #expect(harness.client.statistics.connectionsOpened == 1)
        }
    }

    /// A GET whose kept-alive connection is closed without an answer is resent by libcurl itself on
    /// a new connection (within the same transfer); the new connection is then reused in turn.
    @Test func aDroppedConnectionIsReplacedOnce() async throws {
        try await SimulatorHarness.run { harness in
            _ = try await harness.api.testConnection()
            try await harness.simulator.injectFault(path: "/test", count: 1, dropConnection: true)
            for _ in 0..<5 { _ = try await harness.api.testConnection() }
            let statistics = harness.client.statistics
            #expect(statistics.transfers == 6)
            #expect(statistics.connectionsOpened == 2)
            let statuses = try await harness.simulator.requests().compactMap { $0["status"]?.lenientInt }
            #expect(statuses == [200, 0, 200, 200, 200, 200, 200])
        }
    }

    /// POSTs never ride a kept-alive connection (see `droppedPostOnAWarmConnectionIsNotResentByLibcurl`),
    /// but the connection they open is kept for the requests after them.
    @Test func postsOpenTheirOwnConnection() async throws {
        try await SimulatorHarness.run { harness in
            let id = try await harness.someOrderID()
            for index in 0..<3 { _ = try await harness.api.addOrderHistory(orderID: id, note: "note \(index)") }
            for _ in 0..<5 { _ = try await harness.api.getOrder(id) }
            let statistics = harness.client.statistics
            #expect(statistics.transfers == 9)
            #expect(statistics.connectionsOpened == 4)
        }
    }
}
