import Foundation

/// Reads secret key material from the environment: base64, with a minimum length.
public enum EnvironmentSecrets {
    /// `MASTER_KEY_PEPPER`: base64 of at least 32 random bytes, the HMAC key for master-key fingerprints.
    public static func masterKeyPepper(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws
        -> [UInt8]
    {
        try decode("MASTER_KEY_PEPPER", minimumBytes: 32, exactBytes: nil, environment)
    }

    /// Decodes the base64 secret in `variable`.
    public static func decode(
        _ variable: String, minimumBytes: Int, exactBytes: Int?, _ environment: [String: String]
    ) throws -> [UInt8] {
        let howTo = "generate one with `openssl rand -base64 32`"
        guard let text = environment[variable]?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty else {
            throw ConfigurationError(variable: variable, problem: "not set; \(howTo)")
        }
        guard let bytes = Data(base64Encoded: text).map(Array.init) else {
            throw ConfigurationError(variable: variable, problem: "not valid base64; \(howTo)")
        }
        if let exactBytes, bytes.count != exactBytes {
            throw ConfigurationError(
                variable: variable, problem: "must decode to exactly \(exactBytes) bytes (got \(bytes.count)); \(howTo)")
        }
        guard bytes.count >= minimumBytes else {
            throw ConfigurationError(
                variable: variable, problem: "must decode to at least \(minimumBytes) bytes (got \(bytes.count)); \(howTo)")
        }
        return bytes
    }
}
