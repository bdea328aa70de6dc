import App
import Cryptography
import Foundation
import Synchronization

/// The audit trail of one tool call as the tool sees it: the facts it reports as it learns them
/// (the store it works on, first as asked and then as resolved; the order it touches; for
/// `tenant_use_master_key`, the tenant it authenticated), and its `started` row, which a tool that
/// changes data writes right before the change leaves this service. The pipeline writes the final
/// row from the same facts, redacted and capped, so it never picks them out of raw arguments.
public final class CallAudit: Sendable {
    private struct State: Sendable {
        var storeID: String?
        var target: String?
        var tenantID: UUID?
        var startedRowWritten = false
    }

    private let state = Mutex(State())
    private let log: AuditLog
    private let redactor: Redactor
    /// The call's row as it began (action, actor, parameters, client), before any outcome.
    private let startedRow: AuditRecord

    init(log: AuditLog, redactor: Redactor, startedRow: AuditRecord) {
        self.log = log
        self.redactor = redactor
        self.startedRow = startedRow
    }

    /// The OrderDesk store id (or, until it is resolved, the identifier the caller gave).
    public func store(_ storeID: String) { state.withLock { $0.storeID = storeID } }
    /// The order the call is about.
    public func target(_ orderID: String) { state.withLock { $0.target = orderID } }
    /// The tenant a call authenticated as, when the caller was not authenticated before it.
    public func tenant(_ tenantID: UUID) { state.withLock { $0.tenantID = tenantID } }

    /// Writes the `started` row, naming what was reported so far. Every tool that changes data calls
    /// it right before the change leaves this service: if the row cannot be written, this throws and
    /// the change is not made ("audit first"). Unauthenticated calls change nothing of a tenant's,
    /// so they get only the final row.
    public func start() async throws {
        guard startedRow.tenantID != nil else { return }
        try await log.record(naming(startedRow))
        state.withLock { $0.startedRowWritten = true }
    }

    var startedRowWritten: Bool { state.withLock { $0.startedRowWritten } }
    var reportedTenant: UUID? { state.withLock { $0.tenantID } }

    /// `record` naming the store and order reported so far, redacted and capped.
    func naming(_ record: AuditRecord) -> AuditRecord {
        let facts = state.withLock { $0 }
        var record = record
        if let store = facts.storeID { record.storeID = AuditParameters.column(store, redactor: redactor) }
        if let target = facts.target { record.target = AuditParameters.column(target, redactor: redactor) }
        return record
    }
}
