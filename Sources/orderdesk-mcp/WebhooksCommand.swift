import App
import ArgumentParser
import Foundation
import JSON

/// `orderdesk-mcp webhooks list`: the OrderDesk webhooks stored for a tenant, run as the app role
/// (`DATABASE_URL`). Never prints a payload (customer data); the SHA-256 tells redeliveries apart.
struct WebhooksCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "webhooks", abstract: "Inspect the OrderDesk webhooks a tenant received.", subcommands: [List.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List a tenant's stored OrderDesk webhooks, newest first (never their payload).")
        @OptionGroup var options: TenantsCommand.Options
        @Option(help: "The tenant's id (see `tenants list`).") var tenant: String
        @Option(help: "Only this OrderDesk store id.") var store: String?
        @Option(help: "At most this many (1-10000).") var limit = 50
        @Flag(help: "Print JSON instead of text.") var json = false

        func validate() throws {
            guard (1...10_000).contains(limit) else { throw ValidationError("--limit must be between 1 and 10000") }
            if let store, !StoreRegistration.isOrderDeskStoreID(store) {
                throw ValidationError("--store must be an OrderDesk store id (digits), like 10001")
            }
        }

        func run() async throws {
            let tenantID = try parseID(tenant, option: "--tenant")
            try await reportingFailures {
                let database = try options.database()
                let events: [WebhookEventLog.Event]
                do {
                    events = try await WebhookEventLog(database: database).recent(
                        tenantID: tenantID, storeID: store, limit: limit)
                    await database.shutdown()
                } catch {
                    await database.shutdown()
                    throw error
                }
                let formatter = ISO8601DateFormatter()
                if json {
                    let rows: [JSONValue] = events.map { event in
                        [
                            "id": .int(event.id), "received_at": .string(formatter.string(from: event.receivedAt)),
                            "processed_at": event.processedAt.map { .string(formatter.string(from: $0)) } ?? .null,
                            "store_id": .string(event.storeID), "order_id": event.orderID.map(JSONValue.string) ?? .null,
                            "status": .string(event.status), "payload_sha256": .string(event.payloadSHA256),
                        ]
                    }
                    print(JSONValue.array(rows).encodedString())
                } else {
                    for event in events {
                        print(
                            "\(event.id)  \(formatter.string(from: event.receivedAt))  store \(event.storeID)  "
                                + "order \(event.orderID ?? "-")  \(event.status)  \(event.payloadSHA256.prefix(16))…")
                    }
                }
            }
        }
    }
}
