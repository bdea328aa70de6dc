import Cryptography

/// The opaque secrets of the OAuth flow: a prefix (so the server can tell them apart, and from a
/// master key, without a database probe) and 32 random bytes in unpadded base64url.
///
/// Only `SHA-256(UTF-8 of the whole string)` is stored. They carry 256 random bits, so an unkeyed
/// hash cannot be searched; argon2 (as for master keys, which people may choose) is not needed.
public enum OAuthTokenFormat: String, Sendable, CaseIterable {
    /// Authorization code, single use, about a minute.
    case code = "odac_"
    /// Access token, the Bearer credential on `/mcp`.
    case access = "odat_"
    /// Refresh token, single use: each refresh issues a new one.
    case refresh = "odrt_"

    public var prefix: String { rawValue }

    /// Characters after the prefix: 32 bytes in base64url without padding.
    static let bodyLength = 43

    /// The kind `text` has the shape of, or nil when it is none of them (checked without a query).
    public static func kind(of text: String) -> OAuthTokenFormat? {
        allCases.first { $0.matches(text) }
    }

    /// Whether `text` has this kind's prefix followed by exactly 43 base64url characters.
    public func matches(_ text: String) -> Bool {
        let utf8 = text.utf8
        guard utf8.count == prefix.utf8.count + Self.bodyLength, utf8.starts(with: prefix.utf8) else { return false }
        return utf8.dropFirst(prefix.utf8.count).allSatisfy(Base64URL.isAlphabet)
    }

    /// A new secret of this kind from `SecureRandom`.
    func generate() -> String {
        prefix + Base64URL.encode(SecureRandom.bytes(32))
    }

    /// What the database stores and looks up: SHA-256 of the string's UTF-8.
    static func hash(_ text: String) -> [UInt8] {
        SHA256.hash(Array(text.utf8))
    }
}
