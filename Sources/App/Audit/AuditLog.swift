import Cryptography
import Foundation
import Postgres
import Synchronization

/// Appends rows to `orderdesk.audit_log`, stamped with this replica's id.
///
/// `record` returns only once its row is committed. Rows that arrive while an earlier write is in
/// flight are committed together in one statement when it completes (group commit without a timer:
/// a lone call writes at once, and under load one round trip carries many rows), whatever their
/// tenants: `orderdesk.append_audit` (SECURITY DEFINER, executable by the app role only) inserts
/// them with one INSERT in array order, and a batch is one statement with no BEGIN or COMMIT.
public final class AuditLog: Sendable {
    private let database: Database
    public let replicaID: String
    /// Rows per batch statement at most.
    static let maximumBatch = 64
    /// The rows waiting for the write in flight; nil while no write is in flight.
    private let queue = Mutex<Queue?>(nil)
    private let counters = Mutex(Statistics())

    /// Rows written and the statements that wrote them, since start-up.
    public struct Statistics: Sendable, Equatable {
        public var rows = 0
        public var statements = 0
    }

    public var statistics: Statistics { counters.withLock { $0 } }

    /// Rows of `tenant` queued behind the write in flight, or nil when none is in flight. Lets a test
    /// see a batch form instead of timing it.
    func queuedRows(of tenant: UUID?) -> Int? {
        queue.withLock { queue in queue?.waiting.count { $0.record.tenantID == tenant } }
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

        // Nothing in flight: write at once, then hand what queued meanwhile to a drain.
        let leads = queue.withLock { queue in
            guard queue == nil else { return false }
            queue = Queue()
            return true
        }
        if leads {
            defer { handOff() }
            try await write([record])
            return
        }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let startsDrain = queue.withLock { queue in
                let idle = queue == nil
                queue = queue ?? Queue()
                queue?.waiting.append(Waiting(record: record, continuation: continuation))
                return idle
            }
            if startsDrain { Task { await self.drain() } }
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

    /// Rows waiting for the write in flight.
    private struct Queue: Sendable {
        var waiting: [Waiting] = []
    }

    /// After a write: nothing queued ends the turn, else a drain writes the queue.
    private func handOff() {
        let more = queue.withLock { queue in
            if queue?.waiting.isEmpty ?? true {
                queue = nil
                return false
            }
            return true
        }
        if more { Task { await self.drain() } }
    }

    /// Writes the queue batch by batch until it is empty, then ends the turn.
    private func drain() async {
        while true {
            let batch: [Waiting] = queue.withLock { queue in
                guard var pending = queue, !pending.waiting.isEmpty else {
                    queue = nil
                    return []
                }
                let taken = Array(pending.waiting.prefix(Self.maximumBatch))
                pending.waiting.removeFirst(taken.count)
                queue = pending
                return taken
            }
            if batch.isEmpty { return }
            do {
                try await write(batch.map(\.record))
                for waiting in batch { waiting.continuation.resume() }
            } catch let error as PostgresError where batch.count > 1 && error.isDataError {
                // One bad row (a CHECK it breaks) must not fail the others: nothing was written, so
                // each row is tried on its own and only the bad one fails.
                for waiting in batch {
                    do {
                        try await write([waiting.record])
                        waiting.continuation.resume()
                    } catch {
                        waiting.continuation.resume(throwing: error)
                    }
                }
            } catch {
                // The database is unreachable, overloaded or refusing: everything queued behind this
                // batch would wait for the same answer one batch at a time, so it gets it now.
                let queued: [Waiting] = queue.withLock { queue in
                    let queued = queue?.waiting ?? []
                    queue?.waiting = []
                    return queued
                }
                for waiting in batch + queued { waiting.continuation.resume(throwing: error) }
            }
        }
    }

    /// One statement, one round trip, its own transaction (each row in its tenant's setting).
    private func write(_ records: [AuditRecord]) async throws {
        try await database.standalone(AuditRecord.appendStatement(records))
        counters.withLock {
            $0.rows += records.count
            $0.statements += 1
        }
    }
}
