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

    /// One INSERT of several records (all of one tenant), passed as one jsonb array so the
    /// statement text, and with it the prepared statement, is the same for every batch size.
    static func insertStatement(_ records: [AuditRecord]) -> PostgresQuery {
        let rows: JSONValue = .array(records.map(\.jsonRow))
        return """
            INSERT INTO orderdesk.audit_log (tenant_id, correlation_id, session_hash, replica_id, actor, action,
                store_id, target, params, outcome, error_code, duration_ms, client_ip, user_agent)
            SELECT r.tenant_id, r.correlation_id, r.session_hash, r.replica_id, r.actor, r.action,
                r.store_id, r.target, r.params, r.outcome, r.error_code, r.duration_ms, r.client_ip::inet, r.user_agent
            FROM ROWS FROM (jsonb_to_recordset(\(rows)) AS (
                tenant_id uuid, correlation_id text, session_hash text, replica_id text, actor text, action text,
                store_id text, target text, params jsonb, outcome text, error_code text, duration_ms integer,
                client_ip text, user_agent text)) WITH ORDINALITY AS r(
                tenant_id, correlation_id, session_hash, replica_id, actor, action, store_id, target, params,
                outcome, error_code, duration_ms, client_ip, user_agent, ordinal)
            ORDER BY r.ordinal
            """
    }

    private var jsonRow: JSONValue {
        func text(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
        return [
            "tenant_id": text(tenantID?.uuidString.lowercased()), "correlation_id": .string(correlationID),
            "session_hash": text(sessionHash), "replica_id": text(replicaID), "actor": text(actor),
            "action": .string(action), "store_id": text(storeID), "target": text(target), "params": params,
            "outcome": .string(outcome), "error_code": text(errorCode),
            "duration_ms": durationMilliseconds.map { .int(Int64($0)) } ?? .null,
            "client_ip": text(clientIP), "user_agent": text(userAgent),
        ]
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
