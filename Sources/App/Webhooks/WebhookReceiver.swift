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
/// Storing the event and invalidating the cache are one transaction: an event on record has had
/// its effect, a post that failed (answered 503) is redone in full when OrderDesk retries it, and a
/// redelivery of a stored payload changes nothing (so replaying a captured post cannot keep a
/// store's cache cold).
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
        if registrations.count >= Self.registrationLimit {
            logger.warning(
                "a store id has more registrations than a webhook is checked against; later ones miss its webhooks",
                metadata: ["store_id": "\(delivery.storeID)", "limit": "\(Self.registrationLimit)"])
        }
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
        var stored = 0
        for registration in verified {
            switch try await store(payload, dedupKey: dedupKey, orderID: orderID, of: delivery, for: registration) {
            case .stored: stored += 1
            case .duplicate: duplicates += 1
            case .storeDeleted: break
            }
        }
        return Receipt(orderID: orderID, registrations: stored + duplicates, duplicates: duplicates)
    }

    /// At most this many registrations of one store id are checked (`webhook_registrations`' LIMIT).
    static let registrationLimit = 64

    private enum Outcome {
        case stored, duplicate, storeDeleted
    }

    /// Stores the event for one registration and, if it is new, drops the cached entries, in one
    /// transaction. A payload PostgreSQL cannot keep as `jsonb` (a NUL in a string, a number out of
    /// range) is recorded as `failed` with a placeholder, and the cache is still invalidated: the
    /// post is genuine and says the order changed, and refusing it would only make OrderDesk retry
    /// the same bytes in vain.
    private func store(
        _ payload: JSONValue, dedupKey: [UInt8], orderID: String?, of delivery: Delivery, for registration: Registration
    ) async throws -> Outcome {
        do {
            return try await insert(payload, status: "processed", dedupKey: dedupKey, orderID: orderID, delivery, registration)
        } catch let error as PostgresError where error.sqlState.map(Self.unstorablePayloadStates.contains) == true {
            logger.warning(
                "a webhook payload cannot be stored as jsonb; recorded as failed",
                metadata: ["store_id": "\(delivery.storeID)", "sqlstate": "\(error.sqlState ?? "")"])
            let placeholder: JSONValue = ["unstorable": true, "sqlstate": .string(error.sqlState ?? "")]
            return try await insert(placeholder, status: "failed", dedupKey: dedupKey, orderID: orderID, delivery, registration)
        }
    }

    /// 22P05: a `\u0000` in a string; 22P02/22003: a number `jsonb` cannot hold; 54000: too deep or big.
    private static let unstorablePayloadStates: Set<String> = ["22P05", "22P02", "22003", "54000"]

    private func insert(
        _ payload: JSONValue, status: String, dedupKey: [UInt8], orderID: String?, _ delivery: Delivery,
        _ registration: Registration
    ) async throws -> Outcome {
        do {
            return try await database.withTenantTransaction(registration.tenantID) { [storeID = delivery.storeID] tx in
                let inserted = try tx.execute(
                    """
                    INSERT INTO orderdesk.webhook_events
                        (tenant_id, store_id, dedup_key, order_id, payload, status, processed_at)
                    VALUES (\(registration.tenantID), \(storeID), \(dedupKey), \(orderID), \(payload), \(status), now())
                    ON CONFLICT (tenant_id, store_id, dedup_key) DO NOTHING
                    """)
                guard inserted > 0 else { return .duplicate }
                try OrderCache.invalidate(
                    tenantID: registration.tenantID, storeID: registration.storeRowID, orderIDs: orderID.map { [$0] } ?? [],
                    in: tx)
                return .stored
            }
        } catch let error as PostgresError where error.sqlState == "23503" {
            // The store was deleted since the lookup (its cache rows' foreign key): nothing to keep true.
            return .storeDeleted
        }
    }

    private struct Registration: Sendable {
        let tenantID: UUID
        let storeRowID: UUID
    }

    /// Checks the signature with the registration's API key (cached after its first decryption).
    private func isSigned(_ delivery: Delivery, for registration: Registration) async throws -> Bool {
        // A store row's API key never changes (a new key means a new registration, a new row id), so
        // a cached key that does not verify is a wrong signature: no second decryption, or every
        // forged post would cost a database transaction per registration.
        if let cached = signingKeys.key(for: registration.storeRowID) {
            return HMACSHA256.isValidAuthenticationCode(delivery.signature, key: cached, message: delivery.order)
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
