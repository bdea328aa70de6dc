import Cryptography
import Foundation
import JSON
import Postgres

/// OAuth 2.0 Dynamic Client Registration (RFC 7591) of public clients: validates the client
/// metadata a client sends to `POST /oauth/register` and stores it in `orderdesk.oauth_clients`.
///
/// Only public clients exist here: `token_endpoint_auth_method` must be absent or `none`, no secret
/// is issued, and PKCE is their proof. Redirect URIs follow the rules of Client ID Metadata
/// Documents (`ClientMetadataDocument.isAcceptableRedirectURI`). The registered `scope` is kept
/// for support only: it never caps a later authorization request (MCP clients widen their scope
/// when they step up). Refresh tokens are issued whatever `grant_types` says.
public struct ClientRegistration: Sendable {
    let database: Database

    public init(database: Database) {
        self.database = database
    }

    /// What a registration answers (RFC 7591 §3.2.1): the stored client.
    public struct RegisteredClient: Sendable, Hashable {
        /// `odc_` + 192 random bits, base64url.
        public let clientID: String
        public let issuedAt: Date
        public let clientName: String
        public let redirectURIs: [String]
        public let grantTypes: [String]
        public let responseTypes: [String]
        public let applicationType: String?

        /// The RFC 7591 response body.
        public var json: JSONValue {
            var body: [String: JSONValue] = [
                "client_id": .string(clientID), "client_id_issued_at": .int(Int64(issuedAt.timeIntervalSince1970)),
                "client_name": .string(clientName), "redirect_uris": .array(redirectURIs.map(JSONValue.string)),
                "grant_types": .array(grantTypes.map(JSONValue.string)),
                "response_types": .array(responseTypes.map(JSONValue.string)),
                "token_endpoint_auth_method": "none",
            ]
            if let applicationType { body["application_type"] = .string(applicationType) }
            return .object(body)
        }
    }

    /// An RFC 7591 §3.2.2 error: `invalid_redirect_uri` or `invalid_client_metadata`.
    public struct Refusal: Error, Sendable, Hashable {
        public enum Code: String, Sendable {
            case invalidRedirectURI = "invalid_redirect_uri"
            case invalidClientMetadata = "invalid_client_metadata"
        }

        public let code: Code
        /// The `error_description`: which member is wrong and what is accepted.
        public let description: String

        init(_ code: Code, _ description: String) {
            self.code = code
            self.description = description
        }

        static func metadata(_ description: String) -> Refusal { Refusal(.invalidClientMetadata, description) }
    }

    static let supportedGrantTypes = ["authorization_code", "refresh_token"]
    static let maximumRedirectURIs = 10
    static let maximumScopeLength = 1000
    /// The name shown on the consent page when the client sends none.
    static let unnamedClient = "Unnamed client"

    /// The accepted registration: what is stored and answered.
    public struct Metadata: Sendable, Hashable {
        public let clientName: String
        public let redirectURIs: [String]
        public let grantTypes: [String]
        public let responseTypes: [String]
        public let applicationType: String?
        public let scope: String?
    }

    /// Validates a registration request's client metadata (the JSON object of the body).
    ///
    /// - `redirect_uris` (required): 1–10 absolute `https` URIs, or `http` ones on a loopback host,
    ///   without fragments; else `invalid_redirect_uri`.
    /// - `client_name`: 1–200 printable characters, counted in code points as the database does. Absent, the client is shown as
    ///   "Unnamed client (host)", the host of its first redirect URI.
    /// - `token_endpoint_auth_method`: absent or `none`.
    /// - `grant_types`: a subset of `authorization_code`, `refresh_token` containing
    ///   `authorization_code` (default both); `response_types`: `["code"]` (the default).
    /// - `application_type`: absent, `web` or `native`; `scope`: a string (kept, never enforced).
    /// Other members (`client_uri`, `logo_uri`, `contacts`, …) are ignored and not stored.
    public static func validate(_ object: [String: JSONValue]) throws(Refusal) -> Metadata {
        guard let list = object["redirect_uris"]?.arrayValue, !list.isEmpty else {
            throw Refusal(.invalidRedirectURI, "redirect_uris must be a non-empty array of URIs.")
        }
        guard list.count <= maximumRedirectURIs else {
            throw Refusal(.invalidRedirectURI, "redirect_uris may hold at most \(maximumRedirectURIs) URIs.")
        }
        var redirectURIs: [String] = []
        for item in list {
            guard let uri = item.stringValue, ClientMetadataDocument.isAcceptableRedirectURI(uri) else {
                throw Refusal(
                    .invalidRedirectURI,
                    "Each redirect URI must be an absolute https URI, or http on 127.0.0.1, [::1] or localhost, "
                        + "without a fragment or user information, at most 2048 characters.")
            }
            if !redirectURIs.contains(uri) { redirectURIs.append(uri) }
        }

        let clientName: String
        switch object["client_name"] {
        case nil, .null?:
            clientName = derivedName(redirectURIs[0])
        case let value?:
            guard let name = value.stringValue, ClientMetadataDocument.isDisplayable(name) else {
                throw .metadata("client_name must be 1-200 printable characters.")
            }
            clientName = name
        }

        if let method = object["token_endpoint_auth_method"], method != .null, method.stringValue != "none" {
            throw .metadata("token_endpoint_auth_method must be none: this server registers public clients only (PKCE).")
        }
        let grantTypes = try stringList(object["grant_types"], member: "grant_types") ?? supportedGrantTypes
        guard grantTypes.allSatisfy(supportedGrantTypes.contains), grantTypes.contains("authorization_code") else {
            throw .metadata("grant_types must contain authorization_code and may contain refresh_token, nothing else.")
        }
        let responseTypes = try stringList(object["response_types"], member: "response_types") ?? ["code"]
        guard responseTypes == ["code"] else { throw .metadata("response_types must be [\"code\"].") }

        var applicationType: String?
        if let value = object["application_type"], value != .null {
            guard let text = value.stringValue, ["web", "native"].contains(text) else {
                throw .metadata("application_type must be web or native.")
            }
            applicationType = text
        }
        var scope: String?
        if let value = object["scope"], value != .null {
            guard let text = value.stringValue, text.utf8.count <= maximumScopeLength,
                text.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value < 0x7F })
            else { throw .metadata("scope must be a space-separated list of scope names.") }
            scope = text
        }
        return Metadata(
            clientName: clientName, redirectURIs: redirectURIs, grantTypes: deduplicated(grantTypes),
            responseTypes: responseTypes, applicationType: applicationType, scope: scope)
    }

    /// Validates and stores a registration; the client id is new and random.
    ///
    /// - Throws: `Refusal` for invalid metadata; a database error when the row could not be written.
    public func register(_ object: [String: JSONValue]) async throws -> RegisteredClient {
        let metadata = try Self.validate(object)
        let clientID = "odc_" + Base64URL.encode(SecureRandom.bytes(24))
        var stored: [String: JSONValue] = [
            "client_name": .string(metadata.clientName),
            "redirect_uris": .array(metadata.redirectURIs.map(JSONValue.string)),
            "grant_types": .array(metadata.grantTypes.map(JSONValue.string)),
            "response_types": .array(metadata.responseTypes.map(JSONValue.string)),
            "token_endpoint_auth_method": "none",
        ]
        if let applicationType = metadata.applicationType { stored["application_type"] = .string(applicationType) }
        if let scope = metadata.scope { stored["scope"] = .string(scope) }
        let storedMetadata = JSONValue.object(stored)
        let row = try await database.statement(
            """
            INSERT INTO orderdesk.oauth_clients (client_id, client_name, redirect_uris, metadata)
            VALUES (\(clientID), \(metadata.clientName), \(PostgresTextArray(metadata.redirectURIs)), \(storedMetadata))
            RETURNING created_at
            """, tenant: nil
        ).rows.first
        let issuedAt = try row?.decode(Date.self, "created_at") ?? Date()
        return RegisteredClient(
            clientID: clientID, issuedAt: issuedAt, clientName: metadata.clientName, redirectURIs: metadata.redirectURIs,
            grantTypes: metadata.grantTypes, responseTypes: metadata.responseTypes,
            applicationType: metadata.applicationType)
    }

    /// "Unnamed client (host)", or "Unnamed client" when that would be too long.
    static func derivedName(_ redirectURI: String) -> String {
        guard let host = URLComponents(string: redirectURI)?.host, !host.isEmpty else { return unnamedClient }
        let name = "\(unnamedClient) (\(host))"
        return name.unicodeScalars.count <= ClientMetadataDocument.maximumNameLength ? name : unnamedClient
    }

    private static func stringList(_ value: JSONValue?, member: String) throws(Refusal) -> [String]? {
        guard let value, value != .null else { return nil }
        guard let items = value.arrayValue, !items.isEmpty, items.count <= 10 else {
            throw .metadata("\(member) must be a non-empty array of strings.")
        }
        let strings = items.compactMap(\.stringValue)
        guard strings.count == items.count else { throw .metadata("\(member) must be a non-empty array of strings.") }
        return deduplicated(strings)
    }

    private static func deduplicated(_ list: [String]) -> [String] {
        var seen: [String] = []
        for item in list where !seen.contains(item) { seen.append(item) }
        return seen
    }
}
