import Cryptography
import Foundation

/// The state of one MCP session (`Mcp-Session-Id`), as every replica sees it.
///
/// The raw `id` exists only in memory and on the wire; the database keeps `SHA-256(id)`.
public struct MCPSession: Sendable, Hashable {
    /// The raw session id: 32 random bytes, base64url without padding (43 characters).
    public let id: String
    /// The tenant the session is bound to; nil until a session-auth client authenticates.
    public let tenantID: UUID?
    /// The store chosen with `stores_use_store` (our `stores.id`).
    public let activeStoreID: UUID?
    /// The MCP protocol revision negotiated in `initialize`.
    public let protocolVersion: String
    /// The active store's registration as it was when the session was read at the start of this
    /// request (same statement, so order tools need no second query); nil when none is active or
    /// the session did not come from a per-request read.
    public let activeStore: RegisteredStore?

    public init(
        id: String, tenantID: UUID?, activeStoreID: UUID?, protocolVersion: String, activeStore: RegisteredStore? = nil
    ) {
        self.id = id
        self.tenantID = tenantID
        self.activeStoreID = activeStoreID
        self.protocolVersion = protocolVersion
        self.activeStore = activeStore?.id == activeStoreID ? activeStore : nil
    }

    /// `sessions.id_hash` of a session id: SHA-256 of its UTF-8 text.
    public static func idHash(_ id: String) -> [UInt8] {
        SHA256.hash(Array(id.utf8))
    }

    /// Hex SHA-256 of the id, the form `audit_log.session_hash` records.
    public var idHashHex: String { Self.idHash(id).hexString }

    /// Characters in a session id.
    static let idLength = 43

    /// A new id from 32 bytes of `SecureRandom`.
    static func generateID() -> String {
        Base64URL.encode(SecureRandom.bytes(32))
    }

    /// Whether `id` could have come from `generateID()`; anything else is unknown without a query.
    public static func isWellFormedID(_ id: String) -> Bool {
        id.utf8.count == idLength && id.utf8.allSatisfy(Base64URL.isAlphabet)
    }
}
