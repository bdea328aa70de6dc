internal import COpenSSL

/// Why a cryptographic operation failed.
///
/// An "open enum": a struct around a private enum, so new cases can be added without breaking
/// `switch` statements elsewhere. Match with `==` against the static members
/// (`error == .authenticationFailed`); equality ignores the detail text.
///
/// No error carries key, nonce, tag, password or plaintext bytes: `description` is built only
/// from fixed strings, so errors may be logged and returned to clients as they are.
public struct CryptoError: Error, Sendable, Hashable, CustomStringConvertible {
    private enum Code: Sendable, Hashable {
        case invalidKeyLength
        case invalidNonceLength
        case invalidOutputLength
        case invalidParameters
        case authenticationFailed
        case libraryFailure
    }

    private let code: Code
    /// A fixed, non-secret explanation (a C function name or a libargon2 message).
    private let detail: String?

    private init(_ code: Code, detail: String? = nil) {
        self.code = code
        self.detail = detail
    }

    /// A key does not have the length the algorithm needs (AES-256-GCM: exactly 32 bytes).
    public static var invalidKeyLength: CryptoError { CryptoError(.invalidKeyLength) }

    /// A caller-supplied nonce is not 12 bytes long.
    public static var invalidNonceLength: CryptoError { CryptoError(.invalidNonceLength) }

    /// HKDF was asked for 0 bytes or more than 255 × 32 bytes.
    public static var invalidOutputLength: CryptoError { CryptoError(.invalidOutputLength) }

    /// Parameters out of the range the algorithm accepts (for example an Argon2 salt under 8 bytes).
    public static var invalidParameters: CryptoError { CryptoError(.invalidParameters) }

    /// Decryption refused: ciphertext, nonce, tag, associated data or key do not belong together.
    public static var authenticationFailed: CryptoError { CryptoError(.authenticationFailed) }

    /// OpenSSL or libargon2 failed for a reason unrelated to the input (allocation, provider missing).
    public static var libraryFailure: CryptoError { CryptoError(.libraryFailure) }

    /// A library failure in `call`.
    ///
    /// Also empties this thread's OpenSSL error queue: libpq and libcurl share libcrypto and read
    /// that queue, so a stale entry from us would be reported as their failure.
    static func libraryFailure(_ call: String) -> CryptoError {
        ERR_clear_error()
        return CryptoError(.libraryFailure, detail: call)
    }

    /// Invalid parameters, explained by a fixed message.
    static func invalidParameters(_ explanation: String) -> CryptoError {
        CryptoError(.invalidParameters, detail: explanation)
    }

    public static func == (lhs: CryptoError, rhs: CryptoError) -> Bool {
        lhs.code == rhs.code
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(code)
    }

    public var description: String {
        let summary: String
        switch code {
        case .invalidKeyLength:
            summary = "invalid key length: AES-256-GCM keys must be exactly 32 bytes"
        case .invalidNonceLength:
            summary = "invalid nonce length: AES-GCM nonces must be exactly 12 bytes"
        case .invalidOutputLength:
            summary = "invalid output length: HKDF-SHA256 derives between 1 and 8160 bytes"
        case .invalidParameters:
            summary = "invalid parameters for the cryptographic operation"
        case .authenticationFailed:
            summary =
                "authentication failed: the data was altered, moved to another record, "
                + "or encrypted under a different key"
        case .libraryFailure:
            summary = "the cryptographic library failed; check the OpenSSL and libargon2 installation"
        }
        guard let detail else { return summary }
        return "\(summary) (\(detail))"
    }
}
