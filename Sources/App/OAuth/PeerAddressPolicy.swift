/// Which addresses the metadata fetcher may connect to: any globally routable one, and nothing
/// private, loopback, link-local, unique-local, multicast, unspecified, reserved or documentation-only
/// unless an operator listed it (`OAUTH_CIMD_ALLOW_CIDRS`, e.g. `127.0.0.1/32` for tests).
///
/// This guards against server-side request forgery: a client_id URL is chosen by whoever starts an
/// authorization, and would otherwise let them make this server call its own admin ports, the cloud
/// metadata service (169.254.169.254) or anything else on the internal network. The check runs on
/// the address libcurl is about to connect to, after DNS, so a name that resolves (or re-resolves)
/// to an internal address is refused as well.
struct PeerAddressPolicy: Sendable {
    let allowed: [IPNetwork]

    /// Whether a connection to `address` (4 or 16 bytes) may be opened.
    func permits(_ address: [UInt8]) -> Bool {
        let address = Self.unmapped(address)
        if allowed.contains(where: { $0.contains(address) }) { return true }
        return !Self.isSpecialPurpose(address)
    }

    /// IPv4-mapped IPv6 (`::ffff:a.b.c.d`) is the IPv4 address: a dual-stack socket reaches it.
    static func unmapped(_ address: [UInt8]) -> [UInt8] {
        guard address.count == 16, address[0..<10].allSatisfy({ $0 == 0 }), address[10] == 0xFF, address[11] == 0xFF
        else { return address }
        return Array(address[12...])
    }

    /// The IANA special-purpose registries (RFC 6890 and successors), IPv4 and IPv6, plus multicast.
    private static let specialIPv4: [IPNetwork] = [
        v4(0, 0, 0, 0, 8),  // "this network", 0.0.0.0
        v4(10, 0, 0, 0, 8),  // private
        v4(100, 64, 0, 0, 10),  // carrier-grade NAT
        v4(127, 0, 0, 0, 8),  // loopback
        v4(169, 254, 0, 0, 16),  // link-local (cloud metadata services live here)
        v4(172, 16, 0, 0, 12),  // private
        v4(192, 0, 0, 0, 24),  // IETF protocol assignments
        v4(192, 0, 2, 0, 24),  // documentation
        v4(192, 88, 99, 0, 24),  // 6to4 relay anycast
        v4(192, 168, 0, 0, 16),  // private
        v4(198, 18, 0, 0, 15),  // benchmarking
        v4(198, 51, 100, 0, 24),  // documentation
        v4(203, 0, 113, 0, 24),  // documentation
        v4(224, 0, 0, 0, 4),  // multicast
        v4(240, 0, 0, 0, 4),  // reserved, and 255.255.255.255 broadcast
    ]

    private static let specialIPv6: [IPNetwork] = [
        v6([], 96),  // ::, ::1 and the deprecated IPv4-compatible addresses
        v6([0x00, 0x64, 0xFF, 0x9B, 0x00, 0x01], 48),  // local-use NAT64
        v6([0x01, 0x00], 64),  // discard-only
        v6([0x20, 0x01, 0x00, 0x00], 23),  // IETF protocol assignments, Teredo
        v6([0x20, 0x01, 0x0D, 0xB8], 32),  // documentation
        v6([0x3F, 0xFF], 20),  // documentation
        v6([0xFC], 7),  // unique-local
        v6([0xFE, 0x80], 10),  // link-local
        v6([0xFE, 0xC0], 10),  // site-local (deprecated)
        v6([0xFF], 8),  // multicast
    ]

    private static let nat64 = v6([0x00, 0x64, 0xFF, 0x9B], 96)
    private static let sixToFour = v6([0x20, 0x02], 16)

    static func isSpecialPurpose(_ address: [UInt8]) -> Bool {
        switch address.count {
        case 4:
            return specialIPv4.contains { $0.contains(address) }
        case 16:
            // Translated and tunnelled addresses carry an IPv4 address that is what is finally reached.
            if nat64.contains(address) { return isSpecialPurpose(Array(address[12..<16])) }
            if sixToFour.contains(address) { return isSpecialPurpose(Array(address[2..<6])) }
            return specialIPv6.contains { $0.contains(address) }
        default:
            return true
        }
    }

    private static func v4(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8, _ prefix: Int) -> IPNetwork {
        IPNetwork(bytes: [a, b, c, d], prefixLength: prefix)
    }

    private static func v6(_ leading: [UInt8], _ prefix: Int) -> IPNetwork {
        IPNetwork(bytes: leading + Array(repeating: 0, count: 16 - leading.count), prefixLength: prefix)
    }
}
