import Cryptography

/// The opaque values of the browser sign-in: authorization request ids, magic-link tokens,
/// browser bindings and web session ids. Each is 32 random bytes in unpadded base64url
/// (43 characters, no prefix: they travel in URLs and cookies, never as Bearer credentials).
///
/// Only `SHA-256(UTF-8 of the text)` is stored. 256 random bits cannot be searched, so an unkeyed
/// hash is enough (as for OAuth tokens).
enum SignInSecret {
    static let length = 43

    /// A new value from `SecureRandom`.
    static func generate() -> String {
        Base64URL.encode(SecureRandom.bytes(32))
    }

    /// Whether `text` could have come from `generate()`; anything else is unknown without a query.
    static func isWellFormed(_ text: String) -> Bool {
        text.utf8.count == length && text.utf8.allSatisfy(Base64URL.isAlphabet)
    }

    /// What the database stores and looks up.
    static func hash(_ text: String) -> [UInt8] {
        SHA256.hash(Array(text.utf8))
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
