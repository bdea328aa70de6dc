/// The load balancers and proxies in front of the server (`TRUSTED_PROXIES`), whose
/// `X-Forwarded-For` says who the client is. Everyone else's `X-Forwarded-For` is ignored: a client
/// could write anything there.
///
/// The client is the rightmost address in `X-Forwarded-For` that is not a trusted proxy (each
/// proxy appends the address it received the request from, so entries left of the last untrusted
/// one may be forged). The client address is what the failed-login budget counts, what the
/// `auth.failed` sampling groups by, and what audit rows record.
public struct TrustedProxies: Sendable, Equatable {
    private let networks: [IPNetwork]

    /// No proxy is trusted: the client is the connection's peer.
    public static let none = TrustedProxies(networks: [])

    private init(networks: [IPNetwork]) {
        self.networks = networks
    }

    /// Comma-separated addresses and CIDR networks: `10.0.0.5, 10.1.0.0/16, fd00::/8`.
    public init(parsing text: String) throws(ConfigurationError) {
        networks = try IPNetwork.list(parsing: text, variable: "TRUSTED_PROXIES")
    }

    public var isEmpty: Bool { networks.isEmpty }

    /// Whether `address` is one of the trusted proxies.
    public func trusts(_ address: String) -> Bool {
        guard let bytes = ClientAddress.bytes(address) else { return false }
        return networks.contains { $0.contains(bytes) }
    }

    /// The client's address for a request that arrived from `peer` with these `X-Forwarded-For`
    /// header values (in order). The peer itself unless it is trusted and the header names someone;
    /// a malformed entry stops the walk there (the last trusted hop is the answer, never a guess).
    public func clientAddress(peer: String?, forwardedFor: [String]) -> String? {
        // Without proxies (the usual case) no address is parsed at all.
        guard !networks.isEmpty, !forwardedFor.isEmpty, let peer, trusts(peer) else { return peer }
        let hops = forwardedFor.joined(separator: ",").split(separator: ",").map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        var client = peer
        for hop in hops.reversed() {
            guard let canonical = ClientAddress.canonicalIP(hop) else { return client }
            client = canonical
            if !trusts(canonical) { return canonical }
        }
        return client
    }
}
