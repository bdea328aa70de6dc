import Foundation

/// The server's key-encryption keys, by version: the current one encrypts, every listed one decrypts.
///
/// Rotation: add the new key in front (`ENCRYPTION_KEYS=v2:<new>,v1:<old>`), restart, re-encrypt,
/// then drop the old one. `description` names the versions only, never key bytes.
public struct EncryptionKeyring: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    private let keys: [Int: [UInt8]]
    /// The version new ciphertexts are made with.
    public let currentVersion: Int

    /// Every version this keyring can decrypt, newest first.
    public var versions: [Int] { keys.keys.sorted(by: >) }

    private static let howTo = "generate one with `openssl rand -base64 32`"

    /// Reads `ENCRYPTION_KEYS` (`v2:<base64>,v1:<base64>`, the first is current) or, when that is not
    /// set, `ENCRYPTION_KEY` (`<base64>`, version 1). Every key is 32 bytes. When both are set,
    /// `ENCRYPTION_KEY` must equal `ENCRYPTION_KEYS`' v1 (the state in the middle of a first rotation).
    ///
    /// - Throws: `ConfigurationError` naming the variable; never echoing a value.
    public init(reader: EnvironmentReader) throws {
        let list = reader.text("ENCRYPTION_KEYS") ?? ""
        let single = reader.text("ENCRYPTION_KEY") ?? ""
        guard !list.isEmpty else {
            guard !single.isEmpty else {
                throw ConfigurationError(
                    variable: "ENCRYPTION_KEY", problem: "not set (nor ENCRYPTION_KEYS); \(Self.howTo)")
            }
            let key = try reader.secret("ENCRYPTION_KEY", minimumBytes: 32, exactBytes: 32)
            try self.init(keys: [1: key], current: 1)
            return
        }
        var keys: [Int: [UInt8]] = [:]
        var current: Int?
        for (position, entry) in list.split(separator: ",").enumerated() {
            let parts = entry.trimmingCharacters(in: .whitespaces).split(separator: ":", maxSplits: 1)
            guard parts.count == 2, parts[0].first == "v", let version = Int(parts[0].dropFirst()), version >= 1 else {
                throw ConfigurationError(
                    variable: "ENCRYPTION_KEYS",
                    problem: "entry \(position + 1) is not `v<number>:<base64 key>` (e.g. v2:…,v1:…); \(Self.howTo)")
            }
            guard keys[version] == nil else {
                throw ConfigurationError(variable: "ENCRYPTION_KEYS", problem: "version v\(version) is listed twice")
            }
            guard let key = Data(base64Encoded: String(parts[1])).map(Array.init), key.count == 32 else {
                throw ConfigurationError(
                    variable: "ENCRYPTION_KEYS", problem: "the key of v\(version) is not base64 of 32 bytes; \(Self.howTo)")
            }
            keys[version] = key
            if current == nil { current = version }
        }
        guard let current else {
            throw ConfigurationError(variable: "ENCRYPTION_KEYS", problem: "lists no key; \(Self.howTo)")
        }
        if !single.isEmpty {
            let key = try reader.secret("ENCRYPTION_KEY", minimumBytes: 32, exactBytes: 32)
            guard keys[1] == key else {
                throw ConfigurationError(
                    variable: "ENCRYPTION_KEY",
                    problem: "is set together with ENCRYPTION_KEYS but differs from its v1; unset ENCRYPTION_KEY")
            }
        }
        try self.init(keys: keys, current: current)
    }

    /// A keyring from raw keys. Every key must be 32 bytes, versions ≥ 1, `current` among them.
    public init(keys: [Int: [UInt8]], current: Int) throws {
        guard !keys.isEmpty, keys[current] != nil else {
            throw ConfigurationError(variable: "ENCRYPTION_KEYS", problem: "the current version v\(current) has no key")
        }
        for (version, key) in keys {
            guard version >= 1 else {
                throw ConfigurationError(variable: "ENCRYPTION_KEYS", problem: "versions start at v1")
            }
            guard key.count == 32 else {
                throw ConfigurationError(
                    variable: "ENCRYPTION_KEYS", problem: "the key of v\(version) must be 32 bytes; \(Self.howTo)")
            }
        }
        self.keys = keys
        self.currentVersion = current
    }

    /// The key of `version`, or nil when this keyring does not hold it.
    func key(version: Int) -> [UInt8]? { keys[version] }

    public var description: String {
        "EncryptionKeyring(current: v\(currentVersion), versions: \(versions.map { "v\($0)" }.joined(separator: ",")))"
    }

    public var debugDescription: String { description }
    /// `dump` shows the versions, not the keys.
    public var customMirror: Mirror { Mirror(self, children: ["currentVersion": currentVersion, "versions": versions]) }
}
