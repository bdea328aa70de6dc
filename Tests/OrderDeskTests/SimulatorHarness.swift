import Foundation
import JSON
import OrderDesk
import TestSupport

/// A fresh simulator process and a client pointed at it, with retry waits shortened so failure
/// scenarios run in milliseconds. Every client test gets its own, so tests never share state.
struct SimulatorHarness {
    let simulator: SimulatorProcess
    let client: OrderDeskClient

    /// The API of the simulator's first store.
    var api: StoreAPI { client.store(credentials(simulator.stores[0])) }

    func api(_ store: SimulatorProcess.Store) -> StoreAPI { client.store(credentials(store)) }

    func credentials(_ store: SimulatorProcess.Store) -> StoreCredentials {
        StoreCredentials(storeID: store.id, apiKey: store.apiKey)
    }

    /// Retries: 3, waits 20 → 40 → 80 ms, no jitter; conflicts: 5 retries from 20 ms; 10 s deadline.
    static func fastConfiguration(baseURL: String) -> OrderDeskConfiguration {
        OrderDeskConfiguration(
            baseURL: baseURL, connectTimeout: .seconds(2), timeout: .seconds(10),
            retry: RetryPolicy(maxRetries: 3, baseDelay: .milliseconds(20), maxDelay: .milliseconds(200), jitter: 0),
            conflictRetry: RetryPolicy(maxRetries: 5, baseDelay: .milliseconds(20), maxDelay: .milliseconds(200), jitter: 0),
            maxConnections: 4)
    }

    /// Runs `body` against a new simulator; the client is shut down and the process stopped afterwards.
    static func run<T>(
        stores: [SimulatorProcess.Store] = [.standard], orders: Int = 25, rateLimited: Bool = false,
        configure: (inout OrderDeskConfiguration) -> Void = { _ in },
        _ body: (SimulatorHarness) async throws -> T
    ) async throws -> T {
        let simulator = try await SimulatorProcess.launch(stores: stores, orders: orders, rateLimited: rateLimited)
        defer { simulator.stop() }
        var configuration = fastConfiguration(baseURL: simulator.baseURL.absoluteString)
        configure(&configuration)
        let client = OrderDeskClient(configuration: configuration)
        do {
            let result = try await body(SimulatorHarness(simulator: simulator, client: client))
            await client.shutdown()
            return result
        } catch {
            await client.shutdown()
            throw error
        }
    }

    /// The id of some seeded order.
    func someOrderID() async throws -> String {
        let page = try await api.listOrders(OrderQuery(limit: 1))
        guard let id = page.orders.first?.id else { throw TestSetupError("the simulator seeded no orders") }
        return id
    }

    /// How many API requests the simulator answered, optionally for one method and path glob.
    func upstreamCalls(method: String? = nil, path: String? = nil) async throws -> Int {
        try await simulator.requestCount(method: method, path: path)
    }

    /// Forgets the requests made so far (faults and buckets too), so a scenario counts only its own.
    func resetLog() async throws {
        try await simulator.reset()
    }
}

/// Runs `body` and returns the `OrderDeskError` it throws, or nil (recording an issue) if it does not.
func orderDeskError<T>(_ body: () async throws -> T) async -> OrderDeskError? {
    do {
        _ = try await body()
        return nil
    } catch let error as OrderDeskError {
        return error
    } catch {
        return nil
    }
}
