/// Why a session operation was refused.
public struct SessionError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Reason: String, Sendable {
        /// No live session has this id (never existed, expired, revoked or ended).
        case notFound
        /// The session belongs to another tenant; a session is bound to one tenant for life.
        case boundToAnotherTenant
    }

    public let reason: Reason

    public init(_ reason: Reason) {
        self.reason = reason
    }

    public var description: String {
        switch reason {
        case .notFound:
            return "The MCP session does not exist or has expired. Start a new one with initialize."
        case .boundToAnotherTenant:
            return "The MCP session belongs to another tenant. Start a new session for this master key."
        }
    }
}
