/// An authorization request (`GET /oauth/authorize`) that passed validation and waits for the
/// browser to sign in and consent. It holds no tenant data: only what the client sent in its URL,
/// plus the client's name as resolved then.
public struct AuthorizationRequest: Sendable, Hashable, Codable {
    /// A DCR client id (`odc_…`) or a Client ID Metadata Document URL.
    public var clientID: String
    /// The client's name, shown on the consent page (1–200 characters).
    public var clientName: String
    /// Already matched exactly against the client's redirect URIs.
    public var redirectURI: String
    /// The client's `state`, returned unchanged with the code or the error.
    public var state: String?
    /// PKCE S256 challenge (43 base64url characters).
    public var codeChallenge: String
    /// Requested scopes, validated (`OAuthScope` names), at least one.
    public var scopes: [String]
    /// RFC 8707 resource (the server's `/mcp` URL).
    public var resource: String

    public init(
        clientID: String, clientName: String, redirectURI: String, state: String?, codeChallenge: String,
        scopes: [String], resource: String
    ) {
        self.clientID = clientID
        self.clientName = clientName
        self.redirectURI = redirectURI
        self.state = state
        self.codeChallenge = codeChallenge
        self.scopes = scopes
        self.resource = resource
    }
}
