import App
import Foundation
import HTTPTypes
import Hummingbird
import JSON

/// The two discovery documents: RFC 9728 protected resource metadata of `/mcp`, and RFC 8414
/// authorization server metadata. Public, cacheable for 5 minutes, readable from any origin, and
/// indifferent to `MCP-Protocol-Version` (clients send it on every request).
///
/// The issuer is `PUBLIC_BASE_URL` exactly (never derived from `Host`): clients compare it as a
/// string with the protected resource's `authorization_servers[0]` and with the `iss` of each
/// authorization response.
struct OAuthMetadata: Sendable {
    let resource: ProtectedResource
    /// The one JSON text of each document, built once.
    let protectedResource: Data
    let authorizationServer: Data

    static let scopes = OAuthScope.allCases.map(\.rawValue)

    init(resource: ProtectedResource) {
        self.resource = resource
        protectedResource = Self.protectedResourceJSON(resource).encoded()
        authorizationServer = Self.authorizationServerJSON(resource).encoded()
    }

    static func protectedResourceJSON(_ resource: ProtectedResource) -> JSONValue {
        [
            "resource": .string(resource.resource),
            "authorization_servers": [.string(resource.publicBaseURL)],
            "scopes_supported": .array(scopes.map(JSONValue.string)),
            "bearer_methods_supported": ["header"],
            "resource_name": "OrderDesk MCP",
        ]
    }

    static func authorizationServerJSON(_ resource: ProtectedResource) -> JSONValue {
        let base = resource.publicBaseURL
        return [
            "issuer": .string(base),
            "authorization_endpoint": .string(base + "/oauth/authorize"),
            "token_endpoint": .string(base + "/oauth/token"),
            "registration_endpoint": .string(base + "/oauth/register"),
            "revocation_endpoint": .string(base + "/oauth/revoke"),
            "scopes_supported": .array(scopes.map(JSONValue.string)),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "token_endpoint_auth_methods_supported": ["none"],
            "revocation_endpoint_auth_methods_supported": ["none"],
            "code_challenge_methods_supported": ["S256"],
            "client_id_metadata_document_supported": true,
            "authorization_response_iss_parameter_supported": true,
        ]
    }

    func protectedResource(_ request: Request, context: MCPRequestContext) -> Response {
        Self.document(protectedResource, correlationID: context.correlationID)
    }

    func authorizationServer(_ request: Request, context: MCPRequestContext) -> Response {
        Self.document(authorizationServer, correlationID: context.correlationID)
    }

    private static func document(_ body: Data, correlationID: String) -> Response {
        var response = Response.json(.ok, encoded: body, correlationID: correlationID)
        response.headers[.cacheControl] = "public, max-age=300"
        return response
    }
}
