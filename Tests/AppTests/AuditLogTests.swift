import App
import Foundation
import JSON
import Postgres
import Testing

@Suite(.serialized) struct AuditLogTests {
    @Test func tenantRecordIsWrittenWithReplicaAndRedactedParams() async throws {
        try await AppFixture.run { fixture in
            let a = try await fixture.createTenant()
            let b = try await fixture.createTenant()
            let audit = AuditLog(database: fixture.database, replicaID: "replica-7")
            var record = AuditRecord(
                tenantID: a.tenantID, correlationID: "req-audit-1", actor: "odmk_abc", action: "orders_update",
                params: ["order_id": "925086", "api_key": "sk-secret-value-123", "note": .string("key \(a.masterKey)")],
                outcome: "ok")
            record.storeID = "10001"
            record.target = "925086"
            record.durationMilliseconds = 42
            record.clientIP = "::ffff:203.0.113.9"
            record.userAgent = "test-agent"
            try await audit.record(record)

            let rows = try await fixture.database.withTenantTransaction(a.tenantID) { tx in
                try tx.query(
                    """
                    SELECT replica_id, actor, action, store_id, target, params, outcome, duration_ms, host(client_ip) AS ip
                    FROM orderdesk.audit_log WHERE correlation_id = 'req-audit-1'
                    """)
            }
            #expect(rows.count == 1)
            let row = try #require(rows.first)
            #expect(try row.decode(String.self, "replica_id") == "replica-7")
            #expect(try row.decode(String.self, "actor") == "odmk_abc")
            #expect(try row.decode(String.self, "target") == "925086")
            #expect(try row.decode(Int.self, "duration_ms") == 42)
            #expect(try row.decode(String.self, "ip") == "203.0.113.9")
            let params = try row.decode(JSONValue.self, "params")
            #expect(params["order_id"] == "925086")
            #expect(params["api_key"] == "[REDACTED]")
            #expect(params.encodedString().contains(a.masterKey) == false)

            let seenByB = try await fixture.database.withTenantTransaction(b.tenantID) { tx in
                try tx.query("SELECT count(*) AS n FROM orderdesk.audit_log WHERE correlation_id = 'req-audit-1'")[0]
                    .decode(Int.self, "n")
            }
            #expect(seenByB == 0)
        }
    }

    @Test func tenantlessRecordIsWrittenWithNoTenantSet() async throws {
        try await AppFixture.run { fixture in
            let audit = AuditLog(database: fixture.database, replicaID: "replica-1")
            var record = AuditRecord(
                tenantID: nil, correlationID: "req-auth-1", actor: nil, action: "auth.failed",
                params: ["reason": "unknownKey"], outcome: "denied")
            record.clientIP = "not-an-address"
            try await audit.record(record)
            let rows = try await fixture.asSuperuser { tx in
                try tx.query(
                    "SELECT tenant_id, replica_id, client_ip FROM orderdesk.audit_log WHERE correlation_id = 'req-auth-1'")
            }
            #expect(rows.count == 1)
            #expect(try rows[0].decode(UUID?.self, "tenant_id") == nil)
            #expect(try rows[0].decode(String.self, "replica_id") == "replica-1")
            #expect(try rows[0].decode(String?.self, "client_ip") == nil)
        }
    }
}
