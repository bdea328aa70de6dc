import Foundation
import Postgres

/// A tenant's stored webhooks, newest first, for operators (`orderdesk-mcp webhooks list`). Never the
/// payload: it carries the customer's name, address and e-mail.
public struct WebhookEventLog: Sendable {
    public struct Event: Sendable, Equatable {
        public let id: Int64
        public let receivedAt: Date
        public let processedAt: Date?
        public let storeID: String
        public let orderID: String?
        public let status: String
        /// Hex SHA-256 of the `order` field: the same for a redelivery of the same post.
        public let payloadSHA256: String
    }

    let database: Database

    public init(database: Database) {
        self.database = database
    }

    /// Up to `limit` events of the tenant, newest first; only store `storeID` when given.
    /// - Throws: `AdministrationError(.tenantNotFound)`.
    public func recent(tenantID: UUID, storeID: String? = nil, limit: Int) async throws -> [Event] {
        let limit = Int64(max(1, min(limit, 10_000)))
        return try await database.withTenantTransaction(tenantID) { tx in
            guard try !tx.query("SELECT 1 FROM orderdesk.tenants WHERE id = \(tenantID)").isEmpty else {
                throw AdministrationError.tenantNotFound(tenantID)
            }
            return try tx.query(
                """
                SELECT id, received_at, processed_at, store_id, order_id, status, encode(dedup_key, 'hex') AS payload_sha256
                FROM orderdesk.webhook_events
                WHERE \(storeID)::text IS NULL OR store_id = \(storeID)
                ORDER BY received_at DESC, id DESC
                LIMIT \(limit)
                """
            ).map { row in
                Event(
                    id: try row.decode(Int64.self, "id"), receivedAt: try row.decode(Date.self, "received_at"),
                    processedAt: try row.decode(Date?.self, "processed_at"), storeID: try row.decode(String.self, "store_id"),
                    orderID: try row.decode(String?.self, "order_id"), status: try row.decode(String.self, "status"),
                    payloadSHA256: try row.decode(String.self, "payload_sha256"))
            }
        }
    }
}
