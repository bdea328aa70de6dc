import ArgumentParser
import Foundation
import Logging

/// `orderdesk-sim`: a local OrderDesk API v2 for tests and demos. See docs/simulator.md.
@main
struct OrderDeskSimulatorCommand: AsyncParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(
            commandName: "orderdesk-sim",
            abstract: "Simulate the OrderDesk API v2 over HTTP on loopback, with seeded stores and fault injection.",
            discussion: """
                Prints exactly one line on stdout once listening: `orderdesk-sim listening on http://HOST:PORT`.
                The API lives under /api/v2. Admin endpoints under /_sim need no credentials: never expose the \
                simulator beyond the local machine.
                """)
    }

    @Option(help: "Address to bind. Keep it on loopback.")
    var host = "127.0.0.1"

    @Option(help: "Port to bind; 0 picks a free port (the listening line tells which).")
    var port = 8787

    @Option(name: .customLong("stores"), help: "JSON file: [{\"store_id\",\"api_key\",\"name\",\"orders\"}].")
    var storesFile: String?

    @Option(name: .customLong("store"), help: "A store as ID:KEY (repeatable).")
    var storeOptions: [String] = []

    @Option(help: "Seed for the generated data; the same seed gives the same data.")
    var seed: UInt64 = 1

    @Option(help: "Orders to seed per store (a store file entry may override it).")
    var orders = 25

    @Flag(help: "Turn the per-store leaky bucket (20 requests, +3/s) off.")
    var noRateLimit = false

    @Option(help: "Delay added to every API request, in milliseconds.")
    var latencyMs = 0

    @Option(help: "How long a webhook receiver gets to answer one post, in milliseconds (OrderDesk: 30 s).")
    var webhookTimeoutMs = 30_000

    @Option(help: "Log level for stderr: trace, debug, info, notice, warning, error, critical.")
    var logLevel = "info"

    func validate() throws {
        guard (0...65_535).contains(port) else { throw ValidationError("--port must be 0–65535.") }
        guard orders >= 0, orders <= 100_000 else { throw ValidationError("--orders must be 0–100000.") }
        guard latencyMs >= 0 else { throw ValidationError("--latency-ms must not be negative.") }
        guard (1...300_000).contains(webhookTimeoutMs) else {
            throw ValidationError("--webhook-timeout-ms must be 1–300000.")
        }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("Unknown --log-level \(logLevel).") }
    }

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        // stdout carries only the listening line; everything else goes to stderr.
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "orderdesk-sim")

        var stores: [StoreConfiguration] = []
        do {
            if let storesFile { stores += try StoreFile.load(path: storesFile, defaultOrders: orders) }
            stores += try storeOptions.map { try StoreFile.parse(option: $0, defaultOrders: orders) }
        } catch let error as StoreFileError {
            throw ValidationError(error.description)
        }
        if stores.isEmpty { stores = StoreFile.defaultStores(orders: orders) }
        let ids = stores.map(\.id)
        guard Set(ids).count == ids.count else { throw ValidationError("A store id is configured twice.") }

        let simulator = SimulatorApplication(
            settings: .init(
                host: host, port: port, stores: stores, seed: seed, rateLimited: !noRateLimit,
                latencyMilliseconds: latencyMs, webhookTimeout: .milliseconds(webhookTimeoutMs)))
        try await simulator.run(logger: logger) { baseURL in
            FileHandle.standardOutput.write(Data("orderdesk-sim listening on \(baseURL)\n".utf8))
        }
    }
}
