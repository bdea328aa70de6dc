import Foundation

/// Where one migration stands against the ledger.
public struct MigrationStatus: Sendable, Equatable {
    public enum State: String, Sendable {
        case applied
        case pending
        /// Applied, but the file changed since.
        case modified
        /// Applied, but the file is gone.
        case missing
    }

    public let version: String
    public let name: String
    public let state: State
    public let appliedAt: Date?
}
