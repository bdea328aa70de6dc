/// Why a master key (or an OAuth access token) was refused.
///
/// `description` is a sentence for the client that says what to do next; it never contains key
/// material, so it can go into a response, a log line or an audit row as is.
public struct AuthenticationFailure: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Reason: String, Sendable {
        /// No key was presented.
        case missing
        /// The presented text is not shaped like a master key (`odmk_` + 43 base64url characters).
        case malformed
        /// No such key (or the key does not verify).
        case unknownKey
        /// The key was revoked by the operator.
        case revoked
        /// The key's tenant is disabled.
        case tenantDisabled
        /// An OAuth access token that is malformed, unknown, expired, revoked, of a disabled tenant
        /// or for another resource (all alike: the caller must sign in again).
        case invalidToken = "invalid_token"
        /// Too many failed attempts from this client address; see `retryAfterSeconds`.
        case tooManyAttempts
    }

    public let reason: Reason
    /// For `tooManyAttempts`: seconds until this client address may try again.
    public let retryAfterSeconds: Int?

    public init(_ reason: Reason, retryAfterSeconds: Int? = nil) {
        self.reason = reason
        self.retryAfterSeconds = retryAfterSeconds
    }

    public var description: String {
        switch reason {
        case .missing:
            return "No master key was presented. Send it as `Authorization: Bearer <master key>`."
        case .malformed:
            return
                "The master key is malformed: a master key is `odmk_` followed by 43 characters. Check that it was copied whole."
        case .unknownKey:
            return "The master key is not recognised. Check it, or ask the operator for a new one."
        case .revoked:
            return "This master key has been revoked. Ask the operator for a new one."
        case .tenantDisabled:
            return "This tenant is disabled. Contact the operator."
        case .invalidToken:
            return "The access token is invalid, expired, revoked or not for this server. Sign in again."
        case .tooManyAttempts:
            let wait = retryAfterSeconds.map { "in \($0) seconds" } ?? "later"
            return "Too many failed authentication attempts from this address. Try again \(wait)."
        }
    }
}
