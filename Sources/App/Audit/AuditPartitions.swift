import Logging
import Postgres

/// Keeps monthly partitions of `orderdesk.audit_log` ready ahead of time, through
/// `orderdesk.ensure_audit_partitions` (migration 0019), which the app role may call.
///
/// Every replica calls it hourly and `migrate up` after applying migrations; concurrent calls are
/// harmless (one creates, the others find the function's lock taken and return nothing). Should all
/// of them stop for months, writes still succeed: they land in the DEFAULT partition, and the next
/// call moves them into the month it creates.
public struct AuditPartitions: Sendable {
    /// Months kept ready beyond the current one.
    public static let monthsAhead = 3

    let database: Database

    public init(database: Database) {
        self.database = database
    }

    /// Creates the missing partitions of the current UTC month and the next `months` (0-36), and
    /// returns their names (`audit_log_2027_01`), oldest first; none when all exist.
    @discardableResult
    public func ensureAhead(months: Int = monthsAhead) async throws -> [String] {
        let months = Int32(clamping: months)
        return try await database.withUnscopedTransaction { tx in
            try tx.query("SELECT name FROM orderdesk.ensure_audit_partitions(\(months)) AS name").map {
                try $0.decode(String.self, "name")
            }
        }
    }

    /// `ensureAhead` for `migrate up`: does nothing on a database whose schema predates 0019.
    public func ensureAheadIfInstalled(months: Int = monthsAhead) async throws -> [String] {
        let installed = try await database.withUnscopedTransaction { tx in
            try tx.query(
                "SELECT to_regprocedure('orderdesk.ensure_audit_partitions(integer)') IS NOT NULL AS installed"
            )[0].decode(Bool.self, "installed")
        }
        return installed ? try await ensureAhead(months: months) : []
    }

    /// One maintenance pass for the server's background loop: never throws, logs what it created
    /// and any failure (the next pass tries again).
    public func maintain(logger: Logger) async {
        do {
            let created = try await ensureAhead()
            if !created.isEmpty {
                logger.notice("created audit_log partitions", metadata: ["partitions": "\(created.joined(separator: ","))"])
            }
        } catch {
            logger.warning("creating audit_log partitions ahead failed", metadata: ["error": "\(error)"])
        }
    }
}
