import Foundation

/// This server as an OAuth protected resource (RFC 9728): `PUBLIC_BASE_URL` and what follows from it.
///
/// Nil (`PUBLIC_BASE_URL` unset) means OAuth is off: `/mcp` refuses every access token and its 401
/// challenge keeps the `realm` form. The base URL is configured, never derived from a request's
/// `Host`, and must be exactly the origin clients use, because tokens are bound to `resource`.
public struct ProtectedResource: Sendable, Hashable {
    /// `scheme://host[:port]`: lowercase, no default port, no path, no trailing slash.
    public let publicBaseURL: String

    /// The RFC 8707 resource (audience) every accepted access token must carry: `PUBLIC_BASE_URL/mcp`.
    public var resource: String { publicBaseURL + "/mcp" }

    /// Where the protected resource metadata of `/mcp` lives (RFC 9728 §3.1), named in 401 and 403 challenges.
    public var metadataURL: String { publicBaseURL + "/.well-known/oauth-protected-resource/mcp" }

    /// Checks `publicBaseURL`: an absolute `http` or `https` URL with a host, lowercase scheme and
    /// host, no user, path (not even `/`), query, fragment or default port.
    public init(publicBaseURL text: String) throws(ConfigurationError) {
        func refuse(_ problem: String) -> ConfigurationError {
            ConfigurationError(
                variable: "PUBLIC_BASE_URL", problem: "\(problem); give the origin clients use, e.g. https://mcp.example.com")
        }
        guard text.unicodeScalars.allSatisfy({ $0.isASCII && $0.value > 0x20 && $0.value < 0x7F }),
            let components = URLComponents(string: text), let scheme = components.scheme,
            let host = components.host, !host.isEmpty
        else { throw refuse("must be an absolute http(s) URL") }
        guard scheme == "http" || scheme == "https" else { throw refuse("the scheme must be lowercase http or https") }
        guard host == host.lowercased() else { throw refuse("the host must be lowercase") }
        guard components.user == nil, components.password == nil else { throw refuse("must not carry a user or password") }
        guard components.percentEncodedPath.isEmpty else {
            throw refuse("must have no path and no trailing slash (the MCP endpoint is PUBLIC_BASE_URL/mcp)")
        }
        guard components.query == nil, components.fragment == nil else { throw refuse("must have no query or fragment") }
        if let port = components.port {
            guard (1...65535).contains(port) else { throw refuse("the port is out of range") }
            guard port != (scheme == "https" ? 443 : 80) else { throw refuse("leave out the scheme's default port") }
        }
        publicBaseURL = text
    }

    /// Reads `PUBLIC_BASE_URL`; nil when it is unset (OAuth off).
    public init?(reader: EnvironmentReader) throws(ConfigurationError) {
        guard let text = reader.text("PUBLIC_BASE_URL") else { return nil }
        try self.init(publicBaseURL: text)
    }
}
