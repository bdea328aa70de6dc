import CCurl

/// Where and how mail is sent over SMTP: parsed from `SMTP_URL` by libcurl's own URL parser, so
/// the URL checked here is exactly the URL libcurl dials.
///
/// Credentials come only from the URL's user-info (`smtps://user:pass@host`, percent-encoded);
/// they are split off here and handed to libcurl as separate options, so the URL kept (and ever
/// shown) carries none.
public struct SMTPServer: Sendable, CustomStringConvertible {
    /// How TLS is used on the connection.
    public enum Security: String, Sendable {
        /// `smtps://`: TLS from the first byte.
        case implicitTLS = "implicit TLS"
        /// `smtp://` upgraded with STARTTLS; the exchange fails if the server does not offer it.
        case requireSTARTTLS = "STARTTLS required"
        /// `smtp://` with `SMTP_ALLOW_PLAINTEXT=true`: STARTTLS when offered, plain text otherwise.
        case opportunisticSTARTTLS = "STARTTLS if offered"
        /// `smtp://` to a loopback host (a local relay or development sink): no TLS.
        case plaintextLoopback = "plain text (loopback)"
    }

    /// The URL libcurl is given: no user-info; the path is the EHLO name.
    public let url: String
    /// `scheme://host:port`, safe to print.
    public let endpoint: String
    public let username: String?
    let password: String?
    public let security: Security
    public var connectTimeout: Duration = .seconds(10)
    public var timeout: Duration = .seconds(30)

    public var description: String { "\(endpoint) (\(security.rawValue)\(username == nil ? "" : ", authenticated"))" }

    /// Parses `text` as `smtp[s]://[user:password@]host[:port][/ehlo-name]`. `ehloDefault` (the
    /// sender's domain) is the EHLO name when the URL has no path; libcurl would otherwise say
    /// `localhost`, which strict relays refuse. `allowPlaintext` lets `smtp://` reach a
    /// non-loopback host without requiring STARTTLS.
    public init(parsing text: String, ehloDefault: Substring, allowPlaintext: Bool) throws(ConfigurationError) {
        func problem(_ text: String) -> ConfigurationError { ConfigurationError(variable: "SMTP_URL", problem: text) }
        guard let handle = curl_url() else { throw problem("could not be parsed (libcurl unavailable)") }
        defer { curl_url_cleanup(handle) }
        guard curl_url_set(handle, CURLUPART_URL, text, 0) == CURLUE_OK else {
            throw problem("must look like smtp://host:587 or smtps://user:password@host:465 (percent-encode the password)")
        }
        func part(_ what: CURLUPart, flags: UInt32 = 0) -> String? {
            var value: UnsafeMutablePointer<CChar>?
            guard curl_url_get(handle, what, &value, flags) == CURLUE_OK, let value else { return nil }
            defer { curl_free(value) }
            return String(cString: value)
        }
        let scheme = part(CURLUPART_SCHEME)?.lowercased()
        guard scheme == "smtp" || scheme == "smtps", let scheme else { throw problem("must start with smtp:// or smtps://") }
        guard let host = part(CURLUPART_HOST)?.lowercased(), !host.isEmpty else { throw problem("names no host") }
        guard part(CURLUPART_QUERY) == nil, part(CURLUPART_FRAGMENT) == nil, part(CURLUPART_OPTIONS) == nil else {
            throw problem("must not have a query, a fragment or ;options")
        }
        let decoded = UInt32(CURLU_URLDECODE)
        username = part(CURLUPART_USER, flags: decoded).flatMap { $0.isEmpty ? nil : $0 }
        password = part(CURLUPART_PASSWORD, flags: decoded)
        if password != nil, username == nil { throw problem("has a password but no user name") }
        if let username, username.utf8.contains(where: { $0 < 0x20 }) {
            throw problem("has a control character in the user name")
        }
        if let password, password.utf8.contains(where: { $0 < 0x20 }) { throw problem("has a control character in the password") }

        var ehlo = String((part(CURLUPART_PATH) ?? "/").dropFirst())
        if ehlo.isEmpty { ehlo = String(ehloDefault) }
        let labels = Array(ehlo.utf8).split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard ehlo.utf8.count <= 253, labels.allSatisfy(MailAddress.isHostLabel) else {
            throw problem("its path is the EHLO name and must be a host name, like smtp://relay:587/orderdesk.example")
        }
        let port = part(CURLUPART_PORT, flags: UInt32(CURLU_DEFAULT_PORT)) ?? (scheme == "smtps" ? "465" : "25")

        let loopback = host == "localhost" || host == "[::1]" || host.hasPrefix("127.")
        if scheme == "smtps" {
            security = .implicitTLS
        } else if loopback {
            security = .plaintextLoopback
        } else {
            security = allowPlaintext ? .opportunisticSTARTTLS : .requireSTARTTLS
        }
        endpoint = "\(scheme)://\(host):\(port)"
        url = "\(endpoint)/\(ehlo)"
    }
}

extension SMTPServer: CustomReflectable {
    /// `dump()` and debuggers show the endpoint, never the password.
    public var customMirror: Mirror {
        Mirror(self, children: ["endpoint": endpoint, "security": security, "username": username as Any], displayStyle: .struct)
    }
}
