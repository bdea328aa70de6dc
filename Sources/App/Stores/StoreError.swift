import OrderDesk

/// Why a store operation was refused. `message` tells the user what to do next and never contains
/// an API key.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case validation
        case duplicateStoreID = "duplicate_store_id"
        case duplicateName = "duplicate_name"
        case notFound = "not_found"
        /// OrderDesk refused the store id and API key.
        case invalidCredentials = "invalid_credentials"
        /// OrderDesk could not be asked (see `upstream`).
        case upstream
    }

    public let code: Code
    public let message: String
    /// For `.upstream`: what went wrong talking to OrderDesk.
    public let upstream: OrderDeskError?

    public init(_ code: Code, _ message: String, upstream: OrderDeskError? = nil) {
        self.code = code
        self.message = message
        self.upstream = upstream
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
