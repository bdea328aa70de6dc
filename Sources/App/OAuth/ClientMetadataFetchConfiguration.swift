import Foundation

/// Limits and trust settings of the Client ID Metadata Document fetcher.
public struct ClientMetadataFetchConfiguration: Sendable {
    /// Networks the fetcher may connect to although they are private or special-purpose; empty by
    /// default. Only tests and closed deployments need any (`127.0.0.1/32`).
    var allowedNetworks: [IPNetwork] = []
    /// A PEM file of certificate authorities to trust instead of the system's; nil = the system store.
    public var caFile: String?
    /// The largest document accepted, in bytes (headers are limited separately to 16 KiB).
    public var maxBytes = 5 * 1024
    public var connectTimeout: Duration = .seconds(2)
    /// The limit on one whole fetch: DNS, connect, TLS, request and body.
    public var timeout: Duration = .seconds(3)
    /// How long a fetched document is reused; a shorter `Cache-Control: max-age` wins, and `no-store`
    /// or `no-cache` means it is not kept at all.
    public var cacheTTL: Duration = .seconds(300)
    /// How long a failed fetch is remembered, so a slow or broken URL costs at most one fetch per
    /// this period however often it is presented.
    public var failureTTL: Duration = .seconds(10)
    /// Documents and failures remembered at most (oldest dropped first).
    public var cacheCapacity = 256

    public init() {}

    /// Reads the fetcher's settings. Nothing here turns fetching on or off; the authorization endpoint
    /// fetches when a client_id is an https URL.
    ///
    /// | variable | default | meaning |
    /// |---|---|---|
    /// | `OAUTH_CIMD_ALLOW_CIDRS` | (none) | private/special networks that may still be fetched from, e.g. `127.0.0.1/32` |
    /// | `OAUTH_CIMD_CA_FILE` | (system CAs) | PEM file of CAs to trust instead of the system store |
    /// | `OAUTH_CIMD_MAX_BYTES` | `5120` | largest document accepted (512–1048576) |
    /// | `OAUTH_CIMD_CONNECT_TIMEOUT_MS` | `2000` | DNS + TCP + TLS limit |
    /// | `OAUTH_CIMD_TIMEOUT_MS` | `3000` | whole-fetch limit (100–30000) |
    /// | `OAUTH_CIMD_CACHE_SECONDS` | `300` | how long a document is reused (0–3600) |
    public init(reader: EnvironmentReader) throws {
        self.init()
        allowedNetworks = try IPNetwork.list(
            parsing: reader.text("OAUTH_CIMD_ALLOW_CIDRS") ?? "", variable: "OAUTH_CIMD_ALLOW_CIDRS")
        if let file = reader.text("OAUTH_CIMD_CA_FILE") {
            guard FileManager.default.isReadableFile(atPath: file) else {
                throw ConfigurationError(variable: "OAUTH_CIMD_CA_FILE", problem: "is not a readable file")
            }
            caFile = file
        }
        maxBytes = try reader.integer("OAUTH_CIMD_MAX_BYTES", default: maxBytes, range: 512...1_048_576)
        timeout = .milliseconds(try reader.integer("OAUTH_CIMD_TIMEOUT_MS", default: 3000, range: 100...30_000))
        connectTimeout = .milliseconds(
            try reader.integer("OAUTH_CIMD_CONNECT_TIMEOUT_MS", default: 2000, range: 100...30_000))
        cacheTTL = .seconds(try reader.integer("OAUTH_CIMD_CACHE_SECONDS", default: 300, range: 0...3600))
    }

    /// Adds networks that may be fetched from although private (tests; the environment's
    /// `OAUTH_CIMD_ALLOW_CIDRS` does the same).
    public mutating func allow(_ cidrs: String) throws(ConfigurationError) {
        allowedNetworks += try IPNetwork.list(parsing: cidrs, variable: "OAUTH_CIMD_ALLOW_CIDRS")
    }
}
