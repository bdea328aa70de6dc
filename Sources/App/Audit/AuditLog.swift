import Cryptography
import Foundation
import Postgres
import Synchronization

/// Appends rows to `orderdesk.audit_log`, stamped with this replica's id.
///
/// `record` returns only once its row is committed. Rows of one tenant that arrive while an earlier
/// write of that tenant is in flight are committed together in one statement when it completes
/// (group commit without a timer: a lone call writes at once, exactly as before, and under load
/// one round trip carries many rows). Each batch is one tenant's, in that tenant's transaction.
public final class AuditLog: Sendable {
    private let database: Database
    public let replicaID: String
    /// Rows per batch statement at most.
    static let maximumBatch = 64
    private let queues = Mutex<[UUID?: Queue]>([:])
    private let counters = Mutex(Statistics())

    /// Rows written and the statements that wrote them, since start-up.
    public struct Statistics: Sendable, Equatable {
        public var rows = 0
        public var statements = 0
    }

    public var statistics: Statistics { counters.withLock { $0 } }

    /// Rows of `tenant` queued behind its write in flight, or nil when none is in flight. Lets a test
    /// see a batch form instead of timing it.
    func queuedRows(of tenant: UUID?) -> Int? {
        queues.withLock { $0[tenant]?.waiting.count }
    }

    public init(database: Database, replicaID: String) {
        self.database = database
        self.replicaID = replicaID
    }

    /// Writes `record`: in its tenant's transaction, or with no tenant set for tenantless events (a
    /// failed login with an unknown key). `params` go through the standard `Redactor` once more, so
    /// a caller's slip cannot put a secret-named value into the log; a `clientIP` that is not an IP
    /// address is dropped.
    ///
    /// Throws when the row could not be written; a mutation must not be sent upstream then.
    public func record(_ record: AuditRecord) async throws {
        var record = record
        record.replicaID = replicaID
        record.params = Redactor.standard.redact(record.params)
        // The column is inet: text that is not an address would fail the insert, and with it the call.
        record.clientIP = record.clientIP.flatMap(ClientAddress.canonicalIP)
        let tenant = record.tenantID

        // Nothing of this tenant in flight: write at once, then hand what queued meanwhile to a drain.
        let leads = queues.withLock { queues in
            guard queues[tenant] == nil else { return false }
            queues[tenant] = Queue()
            return true
        }
        if leads {
            defer { handOff(tenant) }
            try await write([record], tenant: tenant)
            return
        }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let startsDrain = queues.withLock { queues in
                let idle = queues[tenant] == nil
                queues[tenant, default: Queue()].waiting.append(Waiting(record: record, continuation: continuation))
                return idle
            }
            if startsDrain { Task { await self.drain(tenant) } }
        }
    }

    /// Writes `record` inside the caller's transaction (of the record's tenant), prepared as `record`
    /// prepares it (replica id, redaction, client address), so that the row commits or rolls back
    /// with the change it describes: a grant never exists without its row.
    public func insert(_ record: AuditRecord, in transaction: TenantTransaction) throws {
        var record = record
        record.replicaID = replicaID
        record.params = Redactor.standard.redact(record.params)
        record.clientIP = record.clientIP.flatMap(ClientAddress.canonicalIP)
        try record.insert(in: transaction)
        counters.withLock {
            $0.rows += 1
            $0.statements += 1
        }
    }

    // MARK: Batching

    private struct Waiting: Sendable {
        let record: AuditRecord
        let continuation: CheckedContinuation<Void, any Error>
    }

    /// A tenant's rows waiting for the write in flight (the entry exists while one is in flight).
    private struct Queue: Sendable {
        var waiting: [Waiting] = []
    }

    /// After a write: nothing queued ends the tenant's turn, else a drain writes the queue.
    private func handOff(_ tenant: UUID?) {
        let more = queues.withLock { queues in
            if queues[tenant]?.waiting.isEmpty ?? true {
                queues[tenant] = nil
                return false
            }
            return true
        }
        if more { Task { await self.drain(tenant) } }
    }

    /// Writes the tenant's queue batch by batch until it is empty, then ends the tenant's turn.
    private func drain(_ tenant: UUID?) async {
        while true {
            let batch: [Waiting] = queues.withLock { queues in
                guard var queue = queues[tenant], !queue.waiting.isEmpty else {
                    queues[tenant] = nil
                    return []
                }
                let taken = Array(queue.waiting.prefix(Self.maximumBatch))
                queue.waiting.removeFirst(taken.count)
                queues[tenant] = queue
                return taken
            }
            if batch.isEmpty { return }
            do {
                try await write(batch.map(\.record), tenant: tenant)
                for waiting in batch { waiting.continuation.resume() }
            } catch let error as PostgresError where batch.count > 1 && error.isDataError {
                // One bad row (a CHECK it breaks) must not fail the others: nothing was written, so
                // each row is tried on its own and only the bad one fails.
                for waiting in batch {
                    do {
                        try await write([waiting.record], tenant: tenant)
                        waiting.continuation.resume()
                    } catch {
                        waiting.continuation.resume(throwing: error)
                    }
                }
            } catch {
                // The database is unreachable, overloaded or refusing: everything queued behind this
                // batch would wait for the same answer one batch at a time, so it gets it now.
                let queued: [Waiting] = queues.withLock { queues in
                    let queued = queues[tenant]?.waiting ?? []
                    queues[tenant]?.waiting = []
                    return queued
                }
                for waiting in batch + queued { waiting.continuation.resume(throwing: error) }
            }
        }
    }

    /// One statement, one round trip, in `tenant`'s transaction.
    private func write(_ records: [AuditRecord], tenant: UUID?) async throws {
        let statement = records.count == 1 ? records[0].insertStatement : AuditRecord.insertStatement(records)
        try await database.statement(statement, tenant: tenant)
        counters.withLock {
            $0.rows += records.count
            $0.statements += 1
        }
    }
}
