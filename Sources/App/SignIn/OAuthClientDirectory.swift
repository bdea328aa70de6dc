import Cryptography
import Foundation
import Postgres

/// A client an authorization request names, as the consent page shows it.
public struct OAuthClient: Sendable, Hashable {
    /// The `client_id` as sent: `odc_…` (registered) or an https URL (metadata document).
    public let clientID: String
    /// `client_name`, displayable (checked at registration or when the document was fetched).
    public let name: String
    /// Exact strings; a redirect URI must equal one of them.
    public let redirectURIs: [String]
    /// True for a Client ID Metadata Document client, false for a DCR one.
    public let isMetadataDocument: Bool

    public init(clientID: String, name: String, redirectURIs: [String], isMetadataDocument: Bool) {
        self.clientID = clientID
        self.name = name
        self.redirectURIs = redirectURIs
        self.isMetadataDocument = isMetadataDocument
    }

    /// Whether `redirectURI` is one of the client's, compared exactly (no normalisation).
    public func allowsRedirect(to redirectURI: String) -> Bool {
        redirectURIs.contains(redirectURI)
    }
}

/// Why `OAuthClientDirectory.resolve` found no usable client. Shown on an error page (400), never
/// by redirecting: the redirect URI is not trusted yet.
public enum OAuthClientLookupError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Not a registered `odc_…` id, and not an https URL.
    case unknownClient
    /// An https `client_id` whose metadata document could not be used.
    case metadata(ClientMetadataError)
    /// An https `client_id`, but this server fetches no metadata documents.
    case metadataDocumentsDisabled
    /// The database could not be asked; try again later (503 rather than 400).
    case unavailable

    public var description: String {
        switch self {
        case .unknownClient:
            return "This application is not registered with this server (unknown client_id). Register it again and retry."
        case .metadata(let error):
            return error.description
        case .metadataDocumentsDisabled:
            return "This server does not accept client metadata documents (an https client_id); register the application instead."
        case .unavailable:
            return "The server could not look up this application right now. Try again in a moment."
        }
    }
}

/// Resolves an authorization request's `client_id`: a client registered with Dynamic Client
/// Registration (`odc_…`, `orderdesk.oauth_clients`), or an https URL whose Client ID Metadata
/// Document the `ClientMetadataFetcher` fetches and validates (and caches).
public final class OAuthClientDirectory: Sendable {
    let database: Database
    let fetcher: ClientMetadataFetcher?

    /// - Parameter fetcher: nil when metadata documents are not accepted.
    public init(database: Database, fetcher: ClientMetadataFetcher?) {
        self.database = database
        self.fetcher = fetcher
    }

    public func resolve(_ clientID: String) async throws(OAuthClientLookupError) -> OAuthClient {
        if clientID.hasPrefix("https://") {
            guard let fetcher else { throw .metadataDocumentsDisabled }
            let document: ClientMetadataDocument
            do {
                document = try await fetcher.document(for: clientID)
            } catch {
                throw .metadata(error)
            }
            return OAuthClient(
                clientID: document.clientID, name: document.clientName, redirectURIs: document.redirectURIs,
                isMetadataDocument: true)
        }
        guard Self.isRegisteredClientID(clientID) else { throw .unknownClient }
        let row: PostgresRow?
        do {
            row = try await database.statement(
                "SELECT client_name, redirect_uris FROM orderdesk.oauth_clients WHERE client_id = \(clientID)",
                tenant: nil
            ).rows.first
        } catch {
            throw .unavailable
        }
        guard let row else { throw .unknownClient }
        do {
            return OAuthClient(
                clientID: clientID, name: try row.decode(String.self, "client_name"),
                redirectURIs: try row.decode(PostgresTextArray.self, "redirect_uris").elements,
                isMetadataDocument: false)
        } catch {
            throw .unavailable
        }
    }

    /// The shape `oauth_clients.client_id` allows: `odc_` and 22 to 43 base64url characters.
    static func isRegisteredClientID(_ clientID: String) -> Bool {
        let utf8 = clientID.utf8
        guard utf8.starts(with: "odc_".utf8), (26...47).contains(utf8.count) else { return false }
        return utf8.dropFirst(4).allSatisfy(Base64URL.isAlphabet)
    }
}
