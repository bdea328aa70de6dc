/// The secret an OrderDesk MCP tenant presents to the server: `odmk_` + 43 base64url characters.
///
/// 32 random bytes (256 bits). The `odmk_` prefix lets secret scanners and the `Redactor`
/// recognise a leaked key, and tells an operator what kind of secret they are holding.
public enum MasterKey {
    /// Marks every master key.
    public static let prefix = "odmk_"
    /// Random bytes behind a key.
    public static let randomByteCount = 32
    /// Characters in a key: the prefix plus 43 unpadded base64url characters.
    public static let length = 48
    /// Characters shown by `displayPrefix`: enough to tell keys apart in a list, far too few to guess one.
    public static let displayPrefixLength = 8

    /// A new master key from 32 bytes of `SecureRandom`.
    public static func generate() -> String {
        var bytes = SecureRandom.bytes(randomByteCount)
        defer { bytes.secureZero() }
        return prefix + Base64URL.encode(bytes)
    }

    /// Whether `key` has exactly the shape `generate()` produces.
    ///
    /// Checked before any database lookup or Argon2 work, so junk is rejected cheaply. Beyond the
    /// prefix, length and alphabet, the last character must carry zero padding bits, as every
    /// encoding of 32 bytes does.
    public static func isWellFormed(_ key: String) -> Bool {
        let characters = Array(key.utf8)
        guard characters.count == length, key.hasPrefix(prefix) else { return false }
        var lastValue: UInt8 = 0
        for character in characters.dropFirst(prefix.utf8.count) {
            guard let value = Base64URL.value(of: character) else { return false }
            lastValue = value
        }
        // 43 characters carry 258 bits for 256 bits of key: the final 2 bits are always zero.
        return lastValue & 0b11 == 0
    }

    /// The first 8 characters (`odmk_` + 3), safe to show in listings and logs to identify a key.
    public static func displayPrefix(_ key: String) -> String {
        String(key.prefix(displayPrefixLength))
    }

    /// The lookup fingerprint `HMAC-SHA256(pepper, UTF-8 of key)` (DESIGN §5).
    ///
    /// Deterministic, so it can be a unique index for O(1) lookup; keyed with the server's
    /// `MASTER_KEY_PEPPER`, so a database dump alone cannot confirm a guessed key.
    public static func fingerprint(_ key: String, pepper: [UInt8]) -> [UInt8] {
        var keyBytes = Array(key.utf8)
        defer { keyBytes.secureZero() }
        return HMACSHA256.authenticationCode(key: pepper, message: keyBytes)
    }
}
