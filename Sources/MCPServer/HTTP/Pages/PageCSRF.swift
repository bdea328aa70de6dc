import App
import Cryptography

/// CSRF tokens of the pages' forms: a keyed MAC of a secret the browser holds in an `HttpOnly`
/// cookie, so only a page we rendered for that browser can carry a matching token (another site
/// can make the browser send the cookie, but cannot read it or our page).
///
/// - Before sign-in (the e-mail form): HMAC-SHA256 of the browser-binding cookie's value under a
///   key derived from the encryption keyring (HKDF, purpose `pages/signin-csrf`). Nothing is stored.
/// - With a web session (consent, grants): HMAC-SHA256 of the form's action under the session's
///   `csrfSecret`, which `WebSession` derives from the session id (an HMAC of it; it is not
///   stored). The consent form's token also covers the request id (`consentToken`), so a token
///   answers one authorization request only.
///
/// A missing or wrong token is a 403 page. Tokens are base64url of 32 bytes.
struct PageCSRF: Sendable {
    private let signInKey: [UInt8]

    init(keyring: EncryptionKeyring) throws {
        signInKey = try keyring.derivedKey(purpose: "orderdesk-mcp pages/signin-csrf v1")
    }

    init(key: [UInt8]) { signInKey = key }

    /// The token of the sign-in form for the browser holding `binding`.
    func signInToken(binding: String) -> String {
        Base64URL.encode(HMACSHA256.authenticationCode(key: signInKey, message: Array("signin|\(binding)".utf8)))
    }

    func isValidSignInToken(_ token: String?, binding: String?) -> Bool {
        guard let token, let binding else { return false }
        return ConstantTime.equals(Array(token.utf8), Array(signInToken(binding: binding).utf8))
    }

    /// The token of the form posting to `action` in a web session with `secret`.
    static func sessionToken(secret: [UInt8], action: String) -> String {
        Base64URL.encode(HMACSHA256.authenticationCode(key: secret, message: Array("session|\(action)".utf8)))
    }

    /// The token of the consent form for request `requestID` in a web session with `secret`.
    static func consentToken(secret: [UInt8], requestID: String) -> String {
        sessionToken(secret: secret, action: "/consent|" + requestID)
    }

    static func isValidConsentToken(_ token: String?, secret: [UInt8], requestID: String) -> Bool {
        isValidSessionToken(token, secret: secret, action: "/consent|" + requestID)
    }

    static func isValidSessionToken(_ token: String?, secret: [UInt8], action: String) -> Bool {
        guard let token else { return false }
        return ConstantTime.equals(Array(token.utf8), Array(sessionToken(secret: secret, action: action).utf8))
    }
}
