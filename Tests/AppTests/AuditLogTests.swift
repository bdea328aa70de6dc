import Foundation
import JSON
import Postgres
import TestSupport
import Testing

@testable import App

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

    @Test func oneBatchStatementWritesRowsOfSeveralTenantsInArrayOrder() async throws {
        try await AppFixture.run(poolSize: 1) { fixture in
            let (a, b) = (try await fixture.createTenant(), try await fixture.createTenant())
            let records = [a.tenantID, nil, b.tenantID, a.tenantID].enumerated().map { n, tenant in
                AuditRecord(
                    tenantID: tenant, correlationID: "mixed-\(n)", actor: nil, action: "orders_get", outcome: "ok")
            }
            let written = try await fixture.database.standalone(AuditRecord.appendStatement(records)).rows[0]
                .decode(Int.self, "written")
            #expect(written == 4)
            for (tenant, expected) in [(a.tenantID, ["mixed-0", "mixed-3"]), (b.tenantID, ["mixed-2"])] {
                let seen = try await fixture.database.withTenantTransaction(tenant) { tx in
                    try tx.query(
                        "SELECT correlation_id FROM orderdesk.audit_log WHERE correlation_id LIKE 'mixed-%' ORDER BY id"
                    ).map { try $0.decode(String.self, "correlation_id") }
                }
                #expect(seen == expected)
            }
            // One INSERT for the whole batch: the ids follow the array, whatever the tenants.
            let all = try await fixture.asSuperuser { tx in
                try tx.query(
                    "SELECT correlation_id, tenant_id FROM orderdesk.audit_log WHERE correlation_id LIKE 'mixed-%' ORDER BY id"
                ).map { (try $0.decode(String.self, "correlation_id"), try $0.decode(UUID?.self, "tenant_id")) }
            }
            #expect(all.map(\.0) == ["mixed-0", "mixed-1", "mixed-2", "mixed-3"])
            #expect(all.map(\.1) == [a.tenantID, nil, b.tenantID, a.tenantID])
            // The statement left neither a tenant nor the batch flag set on its connection (the pool
            // has only this one).
            let leftover = try await fixture.database.standalone(
                """
                SELECT coalesce(current_setting('app.tenant_id', true), '') AS tenant,
                       coalesce(current_setting('app.audit_batch', true), '') AS batch
                """
            ).rows[0]
            #expect(try leftover.decode(String.self, "tenant") == "")
            #expect(try leftover.decode(String.self, "batch") == "")
        }
    }

    @Test func aBatchThatIsNotAnArrayIsRefusedWithAClearError() async throws {
        try await AppFixture.run(poolSize: 1) { fixture in
            let error = await #expect(throws: PostgresError.self) {
                try await fixture.database.standalone(
                    "SELECT orderdesk.append_audit(\(JSONValue.object(["tenant_id": .null]))) AS written")
            }
            #expect(error?.sqlState == "22023")
            #expect(error?.serverMessage == "append_audit expects a jsonb array of rows")
        }
    }

    @Test func concurrentRecordsOfTwoTenantsAreEachWrittenOnceInTheirTenantInFewerStatements() async throws {
        try await AppFixture.run { fixture in
            let tenants = [try await fixture.createTenant(), try await fixture.createTenant()]
            let audit = AuditLog(database: fixture.database, replicaID: "replica-b")
            let perTenant = 120
            try await withThrowingTaskGroup(of: Void.self) { group in
                for n in 0..<perTenant {
                    for (t, tenant) in tenants.enumerated() {
                        group.addTask {
                            var record = AuditRecord(
                                tenantID: tenant.tenantID, correlationID: "batch-\(t)-\(n)", actor: "odmk_x",
                                action: "orders_get", params: ["n": .int(Int64(n)), "password": "hunter2"], outcome: "ok")
                            record.durationMilliseconds = n
                            record.clientIP = "::ffff:198.51.100.\(n % 200)"
                            record.userAgent = "agent \"quoted\" \\ ü"
                            try await audit.record(record)
                        }
                    }
                }
                try await group.waitForAll()
            }
            let stats = audit.statistics
            #expect(stats.rows == 2 * perTenant)
            #expect(stats.statements < 2 * perTenant, "no batching happened: \(stats)")

            let rows = try await fixture.asSuperuser { tx in
                try tx.query(
                    """
                    SELECT tenant_id, correlation_id, params, duration_ms, host(client_ip) AS ip, user_agent, replica_id
                    FROM orderdesk.audit_log WHERE correlation_id LIKE 'batch-%'
                    """)
            }
            #expect(rows.count == 2 * perTenant)
            var seen = Set<String>()
            for row in rows {
                let id = try row.decode(String.self, "correlation_id")
                let parts = id.split(separator: "-")
                let (t, n) = (Int(parts[1])!, Int(parts[2])!)
                #expect(seen.insert(id).inserted, "\(id) written twice")
                #expect(try row.decode(UUID.self, "tenant_id") == tenants[t].tenantID)
                #expect(try row.decode(Int.self, "duration_ms") == n)
                #expect(try row.decode(String.self, "ip") == "198.51.100.\(n % 200)")
                #expect(try row.decode(String.self, "user_agent") == "agent \"quoted\" \\ ü")
                #expect(try row.decode(String.self, "replica_id") == "replica-b")
                let params = try row.decode(JSONValue.self, "params")
                #expect(params["n"] == .int(Int64(n)))
                #expect(params["password"] == "[REDACTED]")
            }
        }
    }

    @Test func aBadRowFailsAloneAndTheRestOfItsBatchIsWritten() async throws {
        try await AppFixture.run(poolSize: 1) { fixture in
            let tenant = try await fixture.createTenant()
            let audit = AuditLog(database: fixture.database, replicaID: "replica-c")
            // The only connection is held, so the first row (the leader) waits for it and every
            // other row queues behind it: the bad row is certainly written in a batch.
            let held = try await HeldConnection(of: fixture.database)
            defer { held.release() }
            let leader = Task {
                try await audit.record(
                    AuditRecord(tenantID: tenant.tenantID, correlationID: "mixed-leader", actor: nil, action: "x", outcome: "ok"))
            }
            try await poll(until: "the leader's write is in flight") { audit.queuedRows(of: tenant.tenantID) != nil }
            let rows = (0..<80).map { n in
                Task {
                    // An empty correlation id breaks the table's CHECK.
                    let record = AuditRecord(
                        tenantID: tenant.tenantID, correlationID: n == 40 ? "" : "mixed-\(n)", actor: nil,
                        action: "orders_get", outcome: "ok")
                    do {
                        try await audit.record(record)
                        return (n, true)
                    } catch {
                        return (n, false)
                    }
                }
            }
            try await poll(until: "every row is queued") { audit.queuedRows(of: tenant.tenantID) == 80 }
            held.release()
            var outcomes: [Int: Bool] = [:]
            for row in rows {
                let (n, ok) = await row.value
                outcomes[n] = ok
            }
            try await leader.value
            #expect(outcomes.filter { !$0.value }.map(\.key) == [40])
            let written = try await fixture.database.withTenantTransaction(tenant.tenantID) { tx in
                try tx.query("SELECT count(*) AS n FROM orderdesk.audit_log WHERE correlation_id LIKE 'mixed-%'")[0]
                    .decode(Int.self, "n")
            }
            #expect(written == 80)
            // The leader alone, then batches; the bad row's batch failed and was written row by row.
            #expect(audit.statistics.rows == 80)
            #expect(audit.statistics.statements > 3)
        }
    }

    @Test func whenTheDatabaseCannotBeReachedEveryQueuedRowFailsWithoutWaitingItsTurn() async throws {
        try await AppFixture.run { fixture in
            let tenant = try await fixture.createTenant()
            // One connection, held until every row has failed; a caller gives up waiting for it after 0.4 s.
            let database = Database(
                configuration: DatabaseConfiguration(
                    url: fixture.scratch.appURL, poolSize: 1, acquireTimeoutMilliseconds: 400))
            let audit = AuditLog(database: database, replicaID: "replica-d")
            let held = try await HeldConnection(of: database)
            defer { held.release() }
            let started = ContinuousClock.now
            // 1 leader + 320 queued rows = 5 batches: one at a time they would take 6 x 0.4 s.
            let finished = await withTaskGroup(of: (Bool, Duration).self) { group in
                for n in 0..<321 {
                    group.addTask {
                        let record = AuditRecord(
                            tenantID: tenant.tenantID, correlationID: "down-\(n)", actor: nil, action: "x", outcome: "ok")
                        let ok = (try? await audit.record(record)) != nil
                        return (ok, ContinuousClock.now - started)
                    }
                }
                return await group.reduce(into: [(Bool, Duration)]()) { $0.append($1) }
            }
            #expect(finished.count == 321)
            #expect(finished.allSatisfy { !$0.0 }, "a row was written while the only connection was held")
            let slowest = finished.map(\.1).max()!
            #expect(slowest < .milliseconds(1800), "the last queued row failed after \(slowest)")
            held.release()
            await database.shutdown()
        }
    }
}
