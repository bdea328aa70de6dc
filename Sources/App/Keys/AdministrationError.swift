import Foundation

/// Why an operator command on keys or tenants was refused. The message names the id and says
/// what to check.
public struct AdministrationError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case tenantNotFound = "tenant_not_found"
        case keyNotFound = "key_not_found"
        /// `keys create --store` named a store id the tenant has not registered.
        case storeNotRegistered = "store_not_registered"
        case validation
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    static func tenantNotFound(_ tenantID: UUID) -> AdministrationError {
        AdministrationError(
            .tenantNotFound,
            "no tenant with id \(tenantID.uuidString.lowercased()); `orderdesk-mcp tenants list` shows them")
    }

    static func keyNotFound(_ keyID: UUID, tenantID: UUID) -> AdministrationError {
        AdministrationError(
            .keyNotFound,
            "tenant \(tenantID.uuidString.lowercased()) has no key with id \(keyID.uuidString.lowercased()); "
                + "`orderdesk-mcp keys list --tenant \(tenantID.uuidString.lowercased())` shows them")
    }

    public var description: String { message }
}
