import Cryptography
import HTTPTypes
import Hummingbird

/// The three cookies of the pages, and reading them back.
///
/// All are `__Host-` cookies (`Secure`, `Path=/`, no `Domain`: only this exact origin can set or
/// read them), `HttpOnly` (no script could read them; there is none anyway) and `SameSite=Lax`
/// (sent when the member follows the mailed link from another site, never with a cross-site POST).
/// Chromium and Firefox accept `Secure` cookies on `http://127.0.0.1` and `localhost`, so local
/// runs behave like production.
enum PageCookie {
    /// The web session's id (`WebSessionStore`), set when a magic link is redeemed.
    static let session = "__Host-odmcp_web"
    /// The browser binding set by the sign-in form: a magic link works only in the browser that has it.
    static let binding = "__Host-odmcp_signin"
    /// The browser value set by `/oauth/authorize`: a pending authorization request is answered
    /// only in the browser that started it (`AuthorizationRequestStore`).
    static let browser = "__Host-odmcp_browser"

    /// The `Set-Cookie` value for `name`.
    static func set(_ name: String, value: String, maxAge: Duration) -> String {
        "\(name)=\(value); Max-Age=\(maxAge.components.seconds); Path=/; Secure; HttpOnly; SameSite=Lax"
    }

    /// The `Set-Cookie` value that deletes `name`.
    static func clear(_ name: String) -> String {
        "\(name)=; Max-Age=0; Path=/; Secure; HttpOnly; SameSite=Lax"
    }

    /// The value of cookie `name` in the request's `Cookie` headers, if it is there exactly once
    /// and made of token characters (our values are base64url; anything else is not ours).
    static func value(_ name: String, in headers: HTTPFields) -> String? {
        var found: [Substring] = []
        for header in headers[values: .cookie] {
            for pair in header.split(separator: ";") {
                let trimmed = pair.drop { $0 == " " }
                guard let equals = trimmed.firstIndex(of: "="), trimmed[..<equals] == name else { continue }
                found.append(trimmed[trimmed.index(after: equals)...])
            }
        }
        guard found.count == 1, let value = found.first, (1...256).contains(value.utf8.count),
            value.utf8.allSatisfy({ Base64URL.isAlphabet($0) })
        else { return nil }
        return String(value)
    }
}
