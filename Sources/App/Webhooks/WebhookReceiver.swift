import Cryptography
import Foundation
import JSON
import Logging
import Postgres

/// Takes OrderDesk's "Post Order JSON" webhooks: checks the signature against every tenant that
/// registered the store, keeps each distinct payload once per registration in
/// `orderdesk.webhook_events`, and drops the order's cached answer and the store's cached lists so
/// that the next call on any replica reads the change (the cache is shared in Postgres).
///
/// The order of work makes a failure safe to retry: the cache is invalidated before the event is
/// stored, so an event on record has had its effect, and a post that failed half-way (answered 503)
/// is redone in full when OrderDesk retries it.
public final class WebhookReceiver: Sendable {
    /// One post as it arrived. `signature` is the decoded `X-ORDER-DESK-HASH`; `order` the exact
    /// bytes of the form field `order`.
    public struct Delivery: Sendable {
        public let storeID: String
        public let signature: [UInt8]
        public let order: [UInt8]

        public init(storeID: String, signature: [UInt8], order: [UInt8]) {
            self.storeID = storeID
            self.signature = signature
            self.order = order
        }
    }

    /// What became of a verified post.
    public struct Receipt: Sendable, Equatable {
        /// The order id in the payload (`id`), if it had one.
        public let orderID: String?
        /// Registrations (tenants) the post was verified for.
        public let registrations: Int
        /// Of those, how many already had this exact payload (a redelivery).
        public let duplicates: Int
    }

    public enum Refusal: Error, Equatable, Sendable {
        /// No active tenant registered the store id.
        case unknownStore
        /// The signature matches none of the registrations' API keys.
        case badSignature
        /// Signed correctly, but `order` is not a JSON object.
        case invalidPayload
    }

    private let database: Database
    private let stores: StoreRegistry
    private let cache: OrderCache
    private let signingKeys: WebhookSigningKeys
    private let logger: Logger

    public init(database: Database, stores: StoreRegistry, logger: Logger) {
        self.database = database
        self.stores = stores
        cache = OrderCache(database: database)
        signingKeys = WebhookSigningKeys()
        self.logger = logger
    }

    /// - Throws: `Refusal`, or a database error (nothing was stored for the registration that failed;
    ///   OrderDesk retries the post).
    public func receive(_ delivery: Delivery) async throws -> Receipt {
        let registrations = try await database.withUnscopedTransaction { [storeID = delivery.storeID] tx in
            try tx.query("SELECT tenant_id, store_row_id FROM orderdesk.webhook_registrations(\(storeID))").map {
                Registration(
                    tenantID: try $0.decode(UUID.self, "tenant_id"), storeRowID: try $0.decode(UUID.self, "store_row_id"))
            }
        }
        guard !registrations.isEmpty else { throw Refusal.unknownStore }
        var verified: [Registration] = []
        for registration in registrations where try await isSigned(delivery, for: registration) {
            verified.append(registration)
        }
        guard !verified.isEmpty else { throw Refusal.badSignature }
        guard case .object(let order)? = try? JSONValue(parsing: Data(delivery.order)) else { throw Refusal.invalidPayload }
        let orderID = Self.orderID(order["id"])
        let payload = JSONValue.object(order)
        let dedupKey = SHA256.hash(delivery.order)
        var duplicates = 0
        for registration in verified {
            try await cache.invalidate(tenantID: registration.tenantID, storeID: registration.storeRowID, orderID: orderID)
            let stored = try await database.withTenantTransaction(registration.tenantID) { [storeID = delivery.storeID] tx in
                try tx.execute(
                    """
                    INSERT INTO orderdesk.webhook_events
                        (tenant_id, store_id, dedup_key, order_id, payload, status, processed_at)
                    VALUES (\(registration.tenantID), \(storeID), \(dedupKey), \(orderID), \(payload), 'processed', now())
                    ON CONFLICT (tenant_id, store_id, dedup_key) DO NOTHING
                    """) > 0
            }
            if !stored { duplicates += 1 }
        }
        return Receipt(orderID: orderID, registrations: verified.count, duplicates: duplicates)
    }

    private struct Registration: Sendable {
        let tenantID: UUID
        let storeRowID: UUID
    }

    /// Checks the signature with the registration's API key: the cached one first, and when that does
    /// not match, the stored one (the key may have been replaced since it was cached).
    private func isSigned(_ delivery: Delivery, for registration: Registration) async throws -> Bool {
        if let cached = signingKeys.key(for: registration.storeRowID) {
            if HMACSHA256.isValidAuthenticationCode(delivery.signature, key: cached, message: delivery.order) { return true }
            signingKeys.forget(registration.storeRowID)
        }
        let key: [UInt8]
        do {
            key = Array(try await stores.credentials(tenantID: registration.tenantID, id: registration.storeRowID).apiKey.utf8)
        } catch let error as StoreError where error.code == .notFound {
            return false  // deleted since the lookup
        } catch let error as CryptoError {
            // A row that does not decrypt cannot verify anything; the other registrations still can.
            logger.error(
                "a registered store's API key does not decrypt; its webhooks are refused",
                metadata: ["store_row_id": "\(registration.storeRowID)", "error": "\(error)"])
            return false
        }
        signingKeys.remember(key, for: registration.storeRowID)
        return HMACSHA256.isValidAuthenticationCode(delivery.signature, key: key, message: delivery.order)
    }

    /// OrderDesk's order ids are numbers, sent as a string or a number.
    static func orderID(_ value: JSONValue?) -> String? {
        switch value {
        case .string(let text) where !text.isEmpty && text.count <= 40: text
        case .int(let number): String(number)
        default: nil
        }
    }
}
