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
    /// The MCP revision of the request (`2026-07-28`, or a session's negotiated version).
    public var protocolVersion: String?
    /// The caller's W3C `traceparent`, normalised, when it sent one.
    public var traceParent: String?

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

    /// The columns a record fills (`id` and `occurred_at` are the table's).
    private static let columns =
        "tenant_id, correlation_id, session_hash, replica_id, actor, action, store_id, target, params, outcome, error_code, duration_ms, client_ip, user_agent, protocol_version, traceparent"

    /// The audit writer's batch, `orderdesk.append_audit`: the records (of any tenants) as one jsonb
    /// array whose keys are the column names, so the statement text (and its prepared statement) is
    /// the same for every batch size and Postgres converts each value to its column's type.
    static func appendStatement(_ records: [AuditRecord]) -> PostgresQuery {
        let rows: JSONValue = .array(records.map(\.jsonRow))
        return "SELECT orderdesk.append_audit(\(rows)) AS written"
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
            "protocol_version": text(protocolVersion), "traceparent": text(traceParent),
        ]
    }

    /// The INSERT of this record.
    var insertStatement: PostgresQuery {
        """
        INSERT INTO orderdesk.audit_log (\(unsafeSQL: Self.columns))
        VALUES (\(tenantID), \(correlationID), \(sessionHash), \(replicaID), \(actor), \(action),
            \(storeID), \(target), \(params), \(outcome), \(errorCode), \(durationMilliseconds.map(Int32.init)),
            \(clientIP)::inet, \(userAgent), \(protocolVersion), \(traceParent))
        """
    }
}
