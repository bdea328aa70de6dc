import Foundation

/// The rules a client_id URL must pass before anything is fetched (draft-ietf-oauth-client-id-metadata-document
/// §3, and the MCP client's own check): `https`, a path other than `/`, no user name or password, no
/// fragment, no `.` or `..` segments, at most 2048 characters of plain URL text.
///
/// The URL is fetched exactly as given, never normalised, so the document's `client_id` can be
/// compared with it byte for byte.
enum ClientIDURL {
    static let maximumLength = 2048

    /// RFC 3986 unreserved and reserved characters plus `%`; anything else (spaces, quotes, `\`,
    /// non-ASCII) would be interpreted differently by different parsers.
    private static let allowedBytes: Set<UInt8> = Set(
        Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~:/?#[]@!$&'()*+,;=%".utf8))

    /// `text` when it may be fetched; otherwise `not_https` or `invalid_url`.
    static func validate(_ text: String) throws(ClientMetadataError) -> String {
        guard text.lowercased().hasPrefix("https://") else { throw ClientMetadataError(.notHTTPS) }
        guard text.hasPrefix("https://"), text.utf8.count <= maximumLength, text.utf8.allSatisfy(allowedBytes.contains),
            !text.contains("#"), let components = URLComponents(string: text), components.scheme == "https",
            let host = components.host, !host.isEmpty, components.user == nil, components.password == nil,
            components.fragment == nil
        else { throw ClientMetadataError(.invalidURL) }
        let path = components.percentEncodedPath
        guard path.hasPrefix("/"), path != "/" else { throw ClientMetadataError(.invalidURL) }
        let dotSegments: Set<String> = [".", "..", "%2e", "%2e%2e", ".%2e", "%2e."]
        for segment in path.split(separator: "/", omittingEmptySubsequences: false)
        where dotSegments.contains(segment.lowercased()) {
            throw ClientMetadataError(.invalidURL)
        }
        return text
    }
}
