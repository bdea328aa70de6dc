import Foundation
import Logging
import NIOPosix

/// The server's way into PostgreSQL: a bounded connection pool whose libpq calls all run on a
/// dedicated thread pool, one work item per transaction.
///
/// Tenant data is reachable only through `withTenantTransaction`; row-level security makes every
/// other path see no tenant rows at all (the app role is neither owner nor BYPASSRLS).
public final class Database: Sendable {
    let threadPool: NIOThreadPool
    let pool: ConnectionPool<PostgresConnection>
    let logger: Logger
    /// What opens every transaction: `BEGIN`, and with unnamed statements the per-transaction
    /// settings (`DatabaseConfiguration.transactionSettings`), sent together in one round trip.
    let prologue: [PostgresQuery]

    public init(configuration: DatabaseConfiguration, logger: Logger = Logger(label: "orderdesk.database")) {
        let threadPool = NIOThreadPool(numberOfThreads: configuration.poolSize)
        threadPool.start()
        self.threadPool = threadPool
        self.logger = logger
        let url = configuration.url
        let settings = configuration.startupSettings
        let applicationName = configuration.applicationName
        let preparedStatements = configuration.preparedStatements
        let connect: @Sendable () throws -> PostgresConnection = {
            try PostgresConnection(
                url: url, settings: settings, applicationName: applicationName, preparedStatements: preparedStatements)
        }
        self.prologue = ["BEGIN"] + [configuration.transactionSettings].compactMap { $0 }
        self.pool = ConnectionPool(
            maximum: configuration.poolSize,
            acquireTimeout: .milliseconds(configuration.acquireTimeoutMilliseconds),
            threadPool: threadPool, connect: connect)
    }

    /// Runs `body` in one transaction with `app.tenant_id` set to `tenant` for that transaction
    /// only. Commits when `body` returns, rolls back when it throws. If the tenant setting cannot be
    /// confirmed the transaction is rolled back and nothing runs (fail closed).
    ///
    /// `body` runs on a database thread and must not block on anything but this transaction.
    @discardableResult
    public func withTenantTransaction<T: Sendable>(
        _ tenant: UUID, _ body: @escaping @Sendable (TenantTransaction) throws -> T
    ) async throws -> T {
        try await withTransaction(tenant: tenant, body)
    }

    /// A transaction with no tenant set. Row-level security then shows no tenant's rows: this is for
    /// the narrow pre-authentication functions (key lookup) and tenant-less infrastructure.
    @discardableResult
    public func withUnscopedTransaction<T: Sendable>(
        _ body: @escaping @Sendable (TenantTransaction) throws -> T
    ) async throws -> T {
        try await withTransaction(tenant: nil, body)
    }

    /// Runs one statement as a transaction of its own in a single network round trip: `BEGIN`, the
    /// tenant setting (when `tenant` is given), the statement and `COMMIT` travel as one pipeline.
    /// For the per-call hot path (session, rate limit, cache, audit), where each transaction is a
    /// single statement and four round trips would be three too many.
    ///
    /// Tenant safety is that of `withTenantTransaction`: the server runs the statement only after the
    /// tenant setting succeeded (it skips the rest of a pipeline after an error), and row-level
    /// security checks that setting on every row. Only the client-side confirmation of the setting
    /// comes after the statement instead of before it; a mismatch still throws.
    ///
    /// Behind a transaction-mode pooler the pipeline stays on one server connection: it is one
    /// transaction ending in one Sync, and the pooler lets go of a server connection only when the
    /// server reports it idle after a Sync. After a failure the server skips the rest up to that Sync
    /// and leaves the transaction aborted, which the `ROLLBACK` below ends on the same connection.
    @discardableResult
    public func statement(_ query: PostgresQuery, tenant: UUID?) async throws -> PostgresResult {
        let prologue = self.prologue
        return try await withLease(retryingStaleConnection: true) { connection in
            var queries = prologue
            let tenantIndex = queries.count
            if let tenant {
                queries.append("SELECT set_config('app.tenant_id', \(tenant.uuidString.lowercased()), true) AS tenant")
            }
            let results = try Self.transaction(queries + [query], on: connection)
            if let tenant {
                guard results[tenantIndex].rows.count == 1,
                    try results[tenantIndex].rows[0].decode(String.self, "tenant") == tenant.uuidString.lowercased()
                else { throw PostgresError(code: .tenantContext) }
            }
            return results[results.count - 1]
        }
    }

    /// Runs one statement as its own implicit transaction: no `BEGIN`, no `COMMIT`, no tenant set by
    /// the client. For statements that set `app.tenant_id` themselves, first thing, inside a
    /// function (`orderdesk.open_call`): the caller must check the tenant the statement reports.
    /// One round trip, and one statement in `pg_stat_statements`.
    ///
    /// With unnamed statements (behind a transaction-mode pooler) the connection carries no session
    /// settings, so the statement gets the same prologue as every transaction: `BEGIN`, the settings,
    /// the statement and `COMMIT`, still one pipeline and one round trip.
    @discardableResult
    public func standalone(_ query: PostgresQuery) async throws -> PostgresResult {
        try await standalone([query])[0]
    }

    /// Several statements as one transaction in one round trip, the first of which sets
    /// `app.tenant_id` itself (`orderdesk.open_call`): `BEGIN` (with the prologue's settings), the
    /// statements and `COMMIT` as one pipeline, with no tenant set by the client. The setting the first
    /// statement makes is transaction-local, so the later ones run as that tenant too, and row-level
    /// security checks them against it. The caller must check the tenant the first one reports.
    @discardableResult
    public func standalone(_ queries: [PostgresQuery]) async throws -> [PostgresResult] {
        let prologue = self.prologue
        return try await withLease(retryingStaleConnection: true) { connection in
            guard queries.count > 1 || prologue.count > 1 else { return try connection.executePipeline(queries) }
            return Array(try Self.transaction(prologue + queries, on: connection).dropFirst(prologue.count))
        }
    }

    /// `queries` (starting with `BEGIN`) and `COMMIT` as one pipeline; the results of `queries`.
    /// After a failure the server skipped the rest up to the pipeline's end and left the transaction
    /// aborted: it is rolled back on the same connection.
    private static func transaction(_ queries: [PostgresQuery], on connection: PostgresConnection) throws
        -> [PostgresResult]
    {
        do {
            return Array(try connection.executePipeline(queries + ["COMMIT"]).dropLast())
        } catch {
            if connection.isUsable && !connection.isIdle { _ = try? connection.execute("ROLLBACK") }
            throw error
        }
    }

    /// A raw connection outside any transaction, for maintenance (the migration runner, readiness
    /// checks). The connection goes back to the pool only if it is left idle and healthy.
    public func withConnection<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T {
        try await withLease(retryingStaleConnection: false) { connection in try body(connection) }
    }

    /// Closes idle connections and stops the threads once no lease is running.
    public func shutdown() async {
        await pool.shutdown()
        try? await threadPool.shutdownGracefully()
    }

    /// Connections open, idle, and callers waiting for one.
    public func poolStatistics() async -> (open: Int, idle: Int, waiting: Int) {
        await pool.statistics
    }

    private func withTransaction<T: Sendable>(
        tenant: UUID?, _ body: @escaping @Sendable (TenantTransaction) throws -> T
    ) async throws -> T {
        let prologue = self.prologue
        return try await withLease(retryingStaleConnection: true) { connection in
            do {
                if prologue.count == 1 {
                    try connection.execute(prologue[0])
                } else {
                    _ = try connection.executePipeline(prologue)
                }
                if let tenant {
                    let confirmed = try connection.execute(
                        "SELECT set_config('app.tenant_id', \(tenant.uuidString.lowercased()), true) AS tenant")
                    guard confirmed.rows.count == 1,
                        try confirmed.rows[0].decode(String.self, "tenant") == tenant.uuidString.lowercased()
                    else { throw PostgresError(code: .tenantContext) }
                }
                let value = try body(TenantTransaction(connection: connection, tenant: tenant))
                try connection.execute("COMMIT")
                return value
            } catch {
                if connection.isUsable { _ = try? connection.execute("ROLLBACK") }
                throw error
            }
        }
    }

    /// Leases a connection and runs `work` with it as one item on the database thread pool.
    ///
    /// A pooled connection may have died while idle (server restart). When `work` fails before
    /// anything could have been applied because the connection is dead, the connection is dropped and
    /// the work runs once more on a fresh one.
    private func withLease<T: Sendable>(
        retryingStaleConnection: Bool, _ work: @escaping @Sendable (PostgresConnection) throws -> T
    ) async throws -> T {
        var attempts = retryingStaleConnection ? 2 : 1
        while true {
            attempts -= 1
            let connection = try await pool.lease()
            do {
                let value = try await threadPool.runIfActive { try work(connection) }
                await pool.release(connection, reusable: connection.isUsable && connection.isIdle)
                return value
            } catch let error as PostgresError where error.isConnectionFailure {
                await pool.release(connection, reusable: false)
                logger.warning("database connection lost", metadata: ["code": "\(error.code)"])
                if attempts > 0 && error.failedBeforeAnyStatement { continue }
                throw error
            } catch {
                await pool.release(connection, reusable: connection.isUsable && connection.isIdle)
                throw error
            }
        }
    }
}

extension PostgresError {
    /// A connection that was found dead on its first statement (`BEGIN`) ran nothing; retrying is safe.
    /// libpq reports a dead socket without a SQLSTATE.
    var failedBeforeAnyStatement: Bool { code == .connectionClosed && sqlState == nil }
}
