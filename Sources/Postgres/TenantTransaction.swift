import Foundation

/// The open transaction a `Database.withTenantTransaction` body runs in. Valid only inside the body.
public struct TenantTransaction: @unchecked Sendable {
    // @unchecked: it wraps the leased connection, which only the body's work item uses.
    let connection: PostgresConnection
    /// The tenant set for this transaction, nil for an unscoped one.
    public let tenant: UUID?

    /// Runs a statement and returns its rows.
    @discardableResult
    public func query(_ query: PostgresQuery) throws -> [PostgresRow] {
        try connection.execute(query).rows
    }

    /// Runs a statement and returns how many rows it inserted, updated or deleted.
    @discardableResult
    public func execute(_ query: PostgresQuery) throws -> Int {
        try connection.execute(query).affectedRows
    }
}
