import Cryptography
import Foundation
import Postgres

/// Appends rows to `orderdesk.audit_log`, each in its own short transaction, stamped with this
/// replica's id.
public final class AuditLog: Sendable {
    private let database: Database
    public let replicaID: String

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
        // One round trip: this runs for every tool call.
        try await database.statement(record.insertStatement, tenant: record.tenantID)
    }
}
