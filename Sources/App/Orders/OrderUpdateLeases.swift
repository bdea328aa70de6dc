import Foundation
import Logging
import Postgres

/// Serializes updates of one order across replicas with a lease row in
/// `orderdesk.order_update_leases` (tenant, store, order), so that concurrent `orders_update` calls
/// never lose each other's changes.
///
/// A lease holds no database connection while OrderDesk is called: taking it, extending it and giving
/// it back are each one single-statement transaction. It is taken with `INSERT … ON CONFLICT DO
/// UPDATE … WHERE expired` under a random holder token; while another update holds it, the attempt is
/// repeated after a short, growing, jittered pause (a few ms up to 50 ms) until the timeout. Waiters
/// are not queued in order: under heavy contention a late caller can go first.
///
/// The holder calls `Held.confirm()` right before each write: it extends the lease by `duration` if
/// the row still carries the holder's token, and throws otherwise. So an update writes only while no
/// other update can have taken the order, even if its lease ran out while OrderDesk was slow.
/// A replica that dies holding a lease blocks that order until the lease expires (`duration`).
///
/// Inventory stock updates share the table: their `Subject` keys the `order_id` column with an
/// `inventory-item:` prefix, a namespace OrderDesk order ids (plain numbers) never use.
struct OrderUpdateLeases: Sendable {
    /// What a lease serializes: the value of the `order_id` column and how messages name it.
    struct Subject: Sendable, Hashable {
        /// The `order_id` column (1…64 characters).
        let key: String
        /// "Order 31", "Inventory item 2510".
        let name: String
        /// "order", "inventory item".
        let noun: String

        static func order(_ orderID: String) -> Subject {
            Subject(key: orderID, name: "Order \(orderID)", noun: "order")
        }

        static func inventoryItem(_ itemID: Int64) -> Subject {
            Subject(key: "inventory-item:\(itemID)", name: "Inventory item \(itemID)", noun: "inventory item")
        }
    }

    let database: Database
    /// How long a lease is trusted after it was taken or last confirmed: longer than an update can run
    /// between two confirmations, since after it another update may take the order.
    let duration: Duration
    let logger: Logger

    init(database: Database, duration: Duration, logger: Logger = Logger(label: "orderdesk.orders")) {
        self.database = database
        self.duration = duration
        self.logger = logger
    }

    /// A lease this update holds, until `withLease` returns.
    struct Held: Sendable {
        let leases: OrderUpdateLeases
        let tenantID: UUID
        let storeID: UUID
        let subject: Subject
        let holder: UUID

        var orderID: String { subject.key }

        /// Extends the lease, or throws `OrderServiceError(.conflict)` when it is no longer this
        /// update's (it expired and another update took it, or it was swept). Call it right before the
        /// write the lease protects.
        func confirm() async throws {
            guard try await leases.extend(self) else {
                throw OrderServiceError(
                    .conflict,
                    "\(subject.name) was not changed: OrderDesk was so slow that another update of it may have started "
                        + "meanwhile. Nothing was written; fetch the \(subject.noun) and try again.",
                    retryAfterSeconds: 2)
            }
        }
    }

    /// Runs `body` while this update holds the order's lease, then gives the lease back (also when
    /// `body` throws or the task is cancelled).
    /// - Throws: `OrderServiceError(.conflict)` with `retryAfterSeconds` when another update held the
    ///   order for all of `timeout`; `CancellationError` when cancelled while waiting; database
    ///   errors; whatever `body` throws.
    func withLease<T: Sendable>(
        tenantID: UUID, storeID: UUID, orderID: String, timeout: Duration, _ body: @Sendable (Held) async throws -> T
    ) async throws -> T {
        try await withLease(tenantID: tenantID, storeID: storeID, subject: .order(orderID), timeout: timeout, body)
    }

    /// `withLease` for any subject (an order, an inventory item).
    func withLease<T: Sendable>(
        tenantID: UUID, storeID: UUID, subject: Subject, timeout: Duration, _ body: @Sendable (Held) async throws -> T
    ) async throws -> T {
        let held = Held(leases: self, tenantID: tenantID, storeID: storeID, subject: subject, holder: UUID())
        guard try await acquire(held, timeout: timeout) else {
            throw OrderServiceError(
                .conflict,
                "\(subject.name) is being changed by another request that has not finished yet. Try again in a few "
                    + "seconds.", retryAfterSeconds: 2)
        }
        let outcome: Result<T, any Error>
        do {
            outcome = .success(try await body(held))
        } catch {
            outcome = .failure(error)
        }
        await release(held)
        return try outcome.get()
    }

    /// Tries until `timeout`; true once the lease is `held`'s.
    private func acquire(_ held: Held, timeout: Duration) async throws -> Bool {
        var pauses = RetryPause(first: .milliseconds(2), cap: .milliseconds(50), deadline: .now + max(timeout, .zero))
        while true {
            let taken: Bool
            do {
                taken = try await take(held)
            } catch {
                // The statement may have committed before its answer was lost: give back what may be ours.
                await release(held)
                throw error
            }
            if taken { return true }
            guard try await pauses.wait() else { return false }
        }
    }

    /// One attempt: takes the lease if nobody holds it or its holder's lease has expired.
    private func take(_ held: Held) async throws -> Bool {
        let milliseconds = duration.orderServiceMilliseconds
        let result = try await database.statement(
            """
            INSERT INTO orderdesk.order_update_leases AS l
                (tenant_id, store_id, order_id, holder, acquired_at, expires_at)
            VALUES (\(held.tenantID), \(held.storeID), \(held.orderID), \(held.holder), clock_timestamp(),
                    clock_timestamp() + \(milliseconds) * interval '1 millisecond')
            ON CONFLICT (tenant_id, store_id, order_id) DO UPDATE
            SET holder = EXCLUDED.holder, acquired_at = EXCLUDED.acquired_at, expires_at = EXCLUDED.expires_at
            WHERE l.expires_at <= clock_timestamp()
            RETURNING l.holder
            """, tenant: held.tenantID)
        return !result.rows.isEmpty
    }

    /// Extends the lease if it still carries `held`'s token. Whether it expired meanwhile does not
    /// matter: any other update taking it would have replaced the token (or deleted the row).
    private func extend(_ held: Held) async throws -> Bool {
        let milliseconds = duration.orderServiceMilliseconds
        return try await database.statement(
            """
            UPDATE orderdesk.order_update_leases
            SET expires_at = clock_timestamp() + \(milliseconds) * interval '1 millisecond'
            WHERE tenant_id = \(held.tenantID) AND store_id = \(held.storeID) AND order_id = \(held.orderID)
              AND holder = \(held.holder)
            """, tenant: held.tenantID
        ).affectedRows == 1
    }

    /// Deletes the lease if it is still `held`'s. Runs in a task of its own so that a cancelled update
    /// still gives its lease back; if that fails, the lease expires after `duration`.
    private func release(_ held: Held) async {
        let database = self.database
        let released = await Task {
            try await database.statement(
                """
                DELETE FROM orderdesk.order_update_leases
                WHERE tenant_id = \(held.tenantID) AND store_id = \(held.storeID) AND order_id = \(held.orderID)
                  AND holder = \(held.holder)
                """, tenant: held.tenantID)
        }.result
        if case .failure(let error) = released {
            logger.warning(
                "could not release an order update lease; it expires by itself",
                metadata: ["error": "\(error)", "lease_seconds": "\(duration.components.seconds)"])
        }
    }
}
