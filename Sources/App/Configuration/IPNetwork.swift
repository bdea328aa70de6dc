import Foundation

/// An IPv4 or IPv6 network in CIDR form (`10.1.0.0/16`, `fd00::/8`; a bare address is a /32 or
/// /128), as the settings that list networks (`TRUSTED_PROXIES`, `OAUTH_CIMD_ALLOW_CIDRS`) give them.
/// IPv4-mapped IPv6 text (`::ffff:10.0.0.1`) is the IPv4 address.
struct IPNetwork: Sendable, Equatable {
    /// 4 bytes for IPv4, 16 for IPv6.
    let bytes: [UInt8]
    let prefixLength: Int

    init(bytes: [UInt8], prefixLength: Int) {
        self.bytes = bytes
        self.prefixLength = prefixLength
    }

    /// Whether `address` (4 or 16 bytes) is inside the network; an address of the other family never is.
    func contains(_ address: [UInt8]) -> Bool {
        guard address.count == bytes.count else { return false }
        var remaining = prefixLength
        for index in bytes.indices where remaining > 0 {
            let bits = min(8, remaining)
            let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
            if address[index] & mask != bytes[index] & mask { return false }
            remaining -= bits
        }
        return true
    }

    /// The comma-separated networks of `text`; an error names `variable` and the bad entry.
    static func list(parsing text: String, variable: String) throws(ConfigurationError) -> [IPNetwork] {
        var networks: [IPNetwork] = []
        for item in text.split(separator: ",") {
            let entry = item.trimmingCharacters(in: .whitespaces)
            if entry.isEmpty { continue }
            let parts = entry.split(separator: "/", maxSplits: 1)
            guard let bytes = ClientAddress.bytes(String(parts[0])) else {
                throw ConfigurationError(
                    variable: variable, problem: "\"\(entry.prefix(60))\" is not an IP address or CIDR network")
            }
            let maximum = bytes.count * 8
            var prefixLength = maximum
            if parts.count == 2 {
                guard let length = Int(parts[1]), (0...maximum).contains(length) else {
                    throw ConfigurationError(
                        variable: variable, problem: "\"\(entry.prefix(60))\" has a prefix length outside 0–\(maximum)")
                }
                prefixLength = length
            }
            networks.append(IPNetwork(bytes: bytes, prefixLength: prefixLength))
        }
        return networks
    }
}
