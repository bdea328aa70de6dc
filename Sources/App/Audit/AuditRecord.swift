import Foundation
import JSON
import Postgres

/// One row of `orderdesk.audit_log`. `params` must already be redacted (see `Redactor`).
public struct AuditRecord: Sendable {
    public var tenantID: UUID?
    public var correlationID: String
    public var sessionHash: String?
    public var replicaID: String?
    public var actor: String?
    public var action: String
    public var storeID: String?
    public var target: String?
    public var params: JSONValue
    public var outcome: String
    public var errorCode: String?
    public var durationMilliseconds: Int?
    public var clientIP: String?
    public var userAgent: String?

    public init(
        tenantID: UUID?, correlationID: String = UUID().uuidString.lowercased(), actor: String?, action: String,
        params: JSONValue = [:], outcome: String
    ) {
        self.tenantID = tenantID
        self.correlationID = correlationID
        self.actor = actor
        self.action = action
        self.params = params
        self.outcome = outcome
    }

    /// Appends the record inside `transaction` (whose tenant must be the record's tenant).
    public func insert(in transaction: TenantTransaction) throws {
        try transaction.execute(insertStatement)
    }

    /// The INSERT of this record.
    var insertStatement: PostgresQuery {
        """
        INSERT INTO orderdesk.audit_log (tenant_id, correlation_id, session_hash, replica_id, actor, action,
            store_id, target, params, outcome, error_code, duration_ms, client_ip, user_agent)
        VALUES (\(tenantID), \(correlationID), \(sessionHash), \(replicaID), \(actor), \(action),
            \(storeID), \(target), \(params), \(outcome), \(errorCode), \(durationMilliseconds.map(Int32.init)),
            \(clientIP)::inet, \(userAgent))
        """
    }
}
