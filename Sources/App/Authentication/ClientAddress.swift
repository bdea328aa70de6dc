import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The key a client's failed attempts are counted under.
///
/// IPv4 addresses count one by one. An IPv6 client usually holds a whole /64 and can pick any
/// address in it, so IPv6 counts per /64 network; IPv4-mapped IPv6 addresses count as the IPv4
/// address. Clients without a usable address share one bucket, `unknown`: refusing them together
/// is safer than not limiting them at all.
struct ClientAddress: Sendable, Hashable {
    let bucketKey: String

    init(_ text: String?) {
        bucketKey = text.flatMap(Self.normalize) ?? "unknown"
    }

    private static func normalize(_ text: String) -> String? {
        guard let address = parse(text) else { return nil }
        switch address {
        case .v4(var v4):
            return format(family: AF_INET, &v4, length: Int(INET_ADDRSTRLEN))
        case .v6(var v6):
            var bytes = withUnsafeBytes(of: &v6) { Array($0) }
            for index in 8..<16 { bytes[index] = 0 }
            bytes.withUnsafeBytes { source in
                withUnsafeMutableBytes(of: &v6) { $0.copyMemory(from: source) }
            }
            return format(family: AF_INET6, &v6, length: Int(INET6_ADDRSTRLEN)).map { $0 + "/64" }
        }
    }

    /// `text` as a canonical IP address (for `audit_log.client_ip`, an `inet`), or nil when it is
    /// not one. IPv4-mapped IPv6 addresses become IPv4.
    static func canonicalIP(_ text: String) -> String? {
        switch parse(text) {
        case .v4(var v4): return format(family: AF_INET, &v4, length: Int(INET_ADDRSTRLEN))
        case .v6(var v6): return format(family: AF_INET6, &v6, length: Int(INET6_ADDRSTRLEN))
        case nil: return nil
        }
    }

    /// The address's bytes: 4 for IPv4 (also when written IPv4-mapped), 16 for IPv6; nil when
    /// `text` is not an IP address.
    static func bytes(_ text: String) -> [UInt8]? {
        switch parse(text) {
        case .v4(var v4): return withUnsafeBytes(of: &v4) { Array($0) }
        case .v6(var v6): return withUnsafeBytes(of: &v6) { Array($0) }
        case nil: return nil
        }
    }

    private enum Parsed {
        case v4(in_addr)
        case v6(in6_addr)
    }

    private static func parse(_ text: String) -> Parsed? {
        var text = TrimmedText.withoutSpaceAround(text)
        // "[2001:db8::1]" and zone ids ("fe80::1%eth0") are not part of the address.
        if text.hasPrefix("["), text.hasSuffix("]") { text = String(text.dropFirst().dropLast()) }
        if let percent = text.firstIndex(of: "%") { text = String(text[..<percent]) }
        guard !text.isEmpty, text.utf8.count <= 64 else { return nil }
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return .v4(v4) }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, text, &v6) == 1 else { return nil }
        let bytes = withUnsafeBytes(of: &v6) { Array($0) }
        // ::ffff:a.b.c.d is an IPv4 client behind a dual-stack socket.
        if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xff && bytes[11] == 0xff {
            bytes[12...].withUnsafeBytes { source in
                withUnsafeMutableBytes(of: &v4) { $0.copyMemory(from: source) }
            }
            return .v4(v4)
        }
        return .v6(v6)
    }

    private static func format<Address>(family: Int32, _ address: inout Address, length: Int) -> String? {
        var buffer = [CChar](repeating: 0, count: length)
        let written = buffer.withUnsafeMutableBufferPointer { output in
            inet_ntop(family, &address, output.baseAddress, socklen_t(length))
        }
        guard written != nil else { return nil }
        return buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }
}
