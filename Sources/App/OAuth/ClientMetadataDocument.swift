import Foundation
import JSON

/// A validated OAuth Client ID Metadata Document: what an MCP client publishes at the https URL it
/// uses as its `client_id` (MCP 2026-07-28 "Client Registration", draft-ietf-oauth-client-id-metadata-document).
///
/// Only what this server acts on is kept: the name shown on the consent page and the redirect URIs an
/// authorization request's `redirect_uri` must match exactly. `client_uri`, `logo_uri` and other
/// members are ignored (nothing of the client's is displayed or fetched besides its name).
public struct ClientMetadataDocument: Sendable, Hashable {
    /// The URL the document was fetched from, which its `client_id` equals exactly.
    public let clientID: String
    /// Shown on the consent page: 1–200 code points, no control or bidirectional-override characters.
    public let clientName: String
    /// Absolute `https` URIs, or `http` ones on a loopback host (native clients), without fragments.
    public let redirectURIs: [String]

    static let maximumNameLength = 200
    static let maximumRedirectURIs = 20
    static let maximumRedirectURILength = 2048

    /// Parses and validates `body`, fetched from `clientID`.
    ///
    /// Throws `client_id_mismatch` when the document names another client, and `invalid_document`
    /// (with the member) for anything else wrong.
    public init(parsing body: Data, fetchedFrom clientID: String) throws(ClientMetadataError) {
        guard let value = try? JSONValue(parsing: body), let object = value.objectValue else {
            throw .invalid("document")
        }
        try self.init(object, fetchedFrom: clientID)
    }

    init(_ object: [String: JSONValue], fetchedFrom clientID: String) throws(ClientMetadataError) {
        guard let documentID = object["client_id"]?.stringValue else { throw .invalid("client_id") }
        guard documentID == clientID else { throw ClientMetadataError(.clientIDMismatch) }

        guard let name = object["client_name"]?.stringValue, Self.isDisplayable(name) else {
            throw .invalid("client_name")
        }

        guard let list = object["redirect_uris"]?.arrayValue, !list.isEmpty, list.count <= Self.maximumRedirectURIs
        else { throw .invalid("redirect_uris") }
        var redirectURIs: [String] = []
        for item in list {
            guard let uri = item.stringValue, Self.isAcceptableRedirectURI(uri) else { throw .invalid("redirect_uris") }
            redirectURIs.append(uri)
        }

        // A metadata document cannot carry a shared secret (anyone can read it); this server only
        // has public clients, which prove themselves with PKCE.
        if let method = object["token_endpoint_auth_method"], method.stringValue != "none" {
            throw .invalid("token_endpoint_auth_method")
        }
        if object["client_secret"] != nil { throw .invalid("client_secret") }
        if object["client_secret_expires_at"] != nil { throw .invalid("client_secret_expires_at") }
        // Optional, but when given they must allow the only flow this server offers.
        if let grants = object["grant_types"], !Self.isStringList(grants, containing: "authorization_code") {
            throw .invalid("grant_types")
        }
        if let responses = object["response_types"], !Self.isStringList(responses, containing: "code") {
            throw .invalid("response_types")
        }

        self.clientID = clientID
        self.clientName = name
        self.redirectURIs = redirectURIs
    }

    /// Whether `redirectURI` (from an authorization request) is one of the document's, compared
    /// exactly as strings (no normalisation, as OAuth 2.1 requires).
    public func allowsRedirect(to redirectURI: String) -> Bool {
        redirectURIs.contains(redirectURI)
    }

    /// Not blank, not too long, and nothing that could make a consent page say something else than
    /// it seems to: no control characters, line separators or bidirectional overrides. The length
    /// is in Unicode scalars (code points), as PostgreSQL's `char_length` counts in the columns'
    /// CHECKs: counting characters (graphemes) would let combining marks or emoji sequences through
    /// here and fail at the insert.
    static func isDisplayable(_ name: String) -> Bool {
        guard name.unicodeScalars.count <= maximumNameLength, !name.trimmingCharacters(in: .whitespaces).isEmpty else {
            return false
        }
        return name.unicodeScalars.allSatisfy { scalar in
            switch scalar.properties.generalCategory {
            case .control, .lineSeparator, .paragraphSeparator, .surrogate, .unassigned, .privateUse: return false
            default: return !bidirectionalControls.contains { $0.contains(scalar.value) }
            }
        }
    }

    /// The marks and overrides that reorder text: U+061C, U+200E–200F, U+202A–202E, U+2066–2069.
    private static let bidirectionalControls: [ClosedRange<UInt32>] = [
        0x061C...0x061C, 0x200E...0x200F, 0x202A...0x202E, 0x2066...0x2069,
    ]

    /// Absolute, `https` (or `http` on a loopback host, RFC 8252 §7.3), a host, no user info, no fragment.
    static func isAcceptableRedirectURI(_ uri: String) -> Bool {
        guard uri.utf8.count <= maximumRedirectURILength, !uri.contains("#"),
            uri.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }),
            let components = URLComponents(string: uri), let scheme = components.scheme,
            let host = components.host, !host.isEmpty, components.user == nil, components.password == nil
        else { return false }
        switch scheme {
        case "https": return true
        case "http": return ["127.0.0.1", "::1", "[::1]", "localhost"].contains(host.lowercased())
        default: return false
        }
    }

    private static func isStringList(_ value: JSONValue, containing required: String) -> Bool {
        guard let items = value.arrayValue else { return false }
        let strings = items.compactMap(\.stringValue)
        return strings.count == items.count && strings.contains(required)
    }
}
