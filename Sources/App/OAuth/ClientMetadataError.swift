/// Why a Client ID Metadata Document (an https URL used as `client_id`) could not be used.
///
/// The authorization endpoint turns every one of these into `invalid_client` and an error page (never
/// a redirect: the redirect URI is unverified until the document is). `code` is stable, for logs,
/// metrics and tests; `description` is a sentence for the person at the browser and the client's
/// developer. Neither echoes the document's content or the server's answer.
public struct ClientMetadataError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, CaseIterable {
        /// The client_id URL is not `https://` (nothing was fetched).
        case notHTTPS = "not_https"
        /// The client_id URL is https but otherwise unusable: userinfo, a fragment, no path, a dot
        /// segment, too long, unparseable (nothing was fetched).
        case invalidURL = "invalid_url"
        /// The host resolved to a private, loopback, link-local or otherwise special address that is
        /// not in the allow-list; no connection was made.
        case privateAddress = "private_address"
        /// DNS, TCP or TLS failed (including an untrusted certificate).
        case unreachable
        /// The connect or total time limit passed.
        case timeout
        /// The server answered with a 3xx; redirects are never followed.
        case redirect
        /// The server answered with a status other than 200 (and not a redirect).
        case badStatus = "bad_status"
        /// The answer is not `application/json`.
        case badContentType = "bad_content_type"
        /// The answer (headers or body) is larger than the limit.
        case tooLarge = "too_large"
        /// The document is not a JSON object, or a field is missing or wrong (see `field`).
        case invalidDocument = "invalid_document"
        /// The document's `client_id` is not exactly the URL it was fetched from.
        case clientIDMismatch = "client_id_mismatch"
        /// The fetcher is shut down or libcurl is unavailable.
        case unavailable
    }

    public let code: Code
    /// For `invalid_document`: the offending member (`client_name`, `redirect_uris`, …), or
    /// `document` when the whole body is not a JSON object.
    public let field: String?
    /// For `bad_status` and `redirect`: the HTTP status.
    public let status: Int?

    public init(_ code: Code, field: String? = nil, status: Int? = nil) {
        self.code = code
        self.field = field
        self.status = status
    }

    static func invalid(_ field: String) -> ClientMetadataError { ClientMetadataError(.invalidDocument, field: field) }

    public var description: String {
        let prefix = "The client's metadata document could not be used: "
        switch code {
        case .notHTTPS: return prefix + "a client_id URL must start with https://."
        case .invalidURL:
            return prefix
                + "the client_id URL must be an https URL with a path, at most 2048 characters, without a user name, password, fragment or dot segments."
        case .privateAddress: return prefix + "its host is a private or local network address."
        case .unreachable: return prefix + "its server could not be reached over a trusted https connection."
        case .timeout: return prefix + "its server did not answer in time."
        case .redirect: return prefix + "its URL redirects (HTTP \(status ?? 0)); serve the document at the client_id URL itself."
        case .badStatus: return prefix + "its server answered HTTP \(status ?? 0) instead of 200."
        case .badContentType: return prefix + "it is not served as application/json."
        case .tooLarge: return prefix + "it is larger than this server accepts."
        case .invalidDocument: return prefix + "its \(field ?? "content") is missing or invalid."
        case .clientIDMismatch: return prefix + "its client_id is not exactly the URL it was fetched from."
        case .unavailable: return prefix + "fetching is unavailable on this server right now."
        }
    }
}
