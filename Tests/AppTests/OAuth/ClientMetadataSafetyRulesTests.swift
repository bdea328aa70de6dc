import Foundation
import Testing

@testable import App

/// The checks made before and during a fetch that decide whether anything is fetched at all.
@Suite struct ClientMetadataSafetyRulesTests {
    private func urlRefusal(_ text: String) -> ClientMetadataError.Code? {
        do {
            _ = try ClientIDURL.validate(text)
            return nil
        } catch {
            return error.code
        }
    }

    @Test func clientIDURLsMustBeHTTPS() {
        for text in [
            "http://client.example/c.json", "ftp://client.example/c.json", "client.example/c.json", "", "file:///etc/passwd",
        ] {
            #expect(urlRefusal(text) == .notHTTPS, "\(text)")
        }
    }

    @Test func clientIDURLsMustBeSimpleURLsWithAPath() {
        let bad = [
            "HTTPS://client.example/c.json", "https://client.example", "https://client.example/",
            "https://user@client.example/c.json", "https://user:pw@client.example/c.json", "https://client.example/c.json#x",
            "https://client.example/c.json#", "https://client.example/./c.json", "https://client.example/a/../c.json",
            "https://client.example/%2E%2E/c.json", "https://client.example/c .json", "https://client.example/c\\.json",
            "https://client.example/\u{e9}.json", "https://" + String(repeating: "a", count: 2040) + ".example/c",
            "https:///c.json",
        ]
        for text in bad { #expect(urlRefusal(text) == .invalidURL, "\(text)") }
        let good = [
            "https://client.example/c.json", "https://client.example:8443/oauth/client-metadata.json",
            "https://127.0.0.1:4443/client.json", "https://client.example/c.json?v=2", "https://[2001:db8::1]/c.json",
        ]
        for text in good { #expect(urlRefusal(text) == nil, "\(text)") }
    }

    private func permits(_ address: String, allowing cidrs: String = "") throws -> Bool {
        let policy = PeerAddressPolicy(allowed: try IPNetwork.list(parsing: cidrs, variable: "OAUTH_CIMD_ALLOW_CIDRS"))
        return policy.permits(try #require(ClientAddressBytes.of(address)))
    }

    @Test func privateAndSpecialAddressesAreRefused() throws {
        let refused = [
            "127.0.0.1", "127.255.0.9", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.169.254",
            "100.64.0.1", "0.0.0.0", "224.0.0.1", "239.255.255.250", "255.255.255.255", "240.0.0.1", "192.0.2.1",
            "198.18.0.1", "::", "::1", "fe80::1", "fc00::1", "fd12:3456::1", "ff02::1", "2001:db8::1", "::ffff:127.0.0.1",
            "::ffff:10.0.0.1", "64:ff9b::a00:1", "2002:a00:1::1", "2001::1", "fec0::1", "100::1", "::127.0.0.1",
        ]
        for address in refused { #expect(try !permits(address), "\(address)") }
    }

    @Test func publicAddressesArePermitted() throws {
        let permitted = [
            "93.184.215.14", "1.1.1.1", "172.32.0.1", "100.128.0.1", "2606:4700:4700::1111", "::ffff:8.8.8.8",
            "64:ff9b::808:808", "2002:808:808::1",
        ]
        for address in permitted { #expect(try permits(address), "\(address)") }
    }

    @Test func theAllowListOpensExactlyItsNetworks() throws {
        #expect(try permits("127.0.0.1", allowing: "127.0.0.1/32"))
        #expect(try permits("::ffff:127.0.0.1", allowing: "127.0.0.1/32"))
        #expect(try !permits("127.0.0.2", allowing: "127.0.0.1/32"))
        #expect(try !permits("::1", allowing: "127.0.0.1/32"))
        #expect(try permits("::1", allowing: "127.0.0.1/32, ::1"))
        #expect(try permits("10.9.8.7", allowing: "10.0.0.0/8"))
        #expect(try !permits("192.168.0.1", allowing: "10.0.0.0/8"))
    }

    @Test func cacheLifetimeFollowsCacheControlButNeverExceedsTheLimit() {
        let limit = Duration.seconds(300)
        #expect(ClientMetadataFetcher.lifetime(cacheControl: nil, limit: limit) == limit)
        #expect(ClientMetadataFetcher.lifetime(cacheControl: "max-age=60", limit: limit) == .seconds(60))
        #expect(ClientMetadataFetcher.lifetime(cacheControl: "public, max-age=86400", limit: limit) == limit)
        #expect(ClientMetadataFetcher.lifetime(cacheControl: "no-store", limit: limit) == .zero)
        #expect(ClientMetadataFetcher.lifetime(cacheControl: "max-age=60, no-cache", limit: limit) == .zero)
        #expect(ClientMetadataFetcher.lifetime(cacheControl: "max-age=soon", limit: limit) == .zero)
    }

    @Test func contentTypeMustBeJSON() {
        #expect(ClientMetadataTransfer.isJSON("application/json"))
        #expect(ClientMetadataTransfer.isJSON("Application/JSON; charset=utf-8"))
        #expect(!ClientMetadataTransfer.isJSON("text/html"))
        #expect(!ClientMetadataTransfer.isJSON("application/jsonp"))
        #expect(!ClientMetadataTransfer.isJSON("text/plain; x=application/json"))
    }

    @Test func settingsComeFromTheEnvironmentAndDefaultToNothingAllowed() throws {
        let defaults = try ClientMetadataFetchConfiguration(reader: EnvironmentReader([:]))
        #expect(defaults.allowedNetworks.isEmpty)
        #expect(defaults.caFile == nil)
        #expect(defaults.maxBytes == 5120)
        #expect(defaults.timeout == .seconds(3))
        #expect(defaults.connectTimeout == .seconds(2))
        #expect(defaults.cacheTTL == .seconds(300))

        let caFile = FileManager.default.temporaryDirectory.appendingPathComponent("cimd-ca-\(UUID().uuidString).pem")
        try Data("x".utf8).write(to: caFile)
        defer { try? FileManager.default.removeItem(at: caFile) }
        let configured = try ClientMetadataFetchConfiguration(
            reader: EnvironmentReader([
                "OAUTH_CIMD_ALLOW_CIDRS": "127.0.0.1/32, ::1", "OAUTH_CIMD_CA_FILE": caFile.path,
                "OAUTH_CIMD_MAX_BYTES": "2048", "OAUTH_CIMD_TIMEOUT_MS": "1500", "OAUTH_CIMD_CONNECT_TIMEOUT_MS": "500",
                "OAUTH_CIMD_CACHE_SECONDS": "0",
            ]))
        #expect(configured.allowedNetworks.count == 2)
        #expect(configured.caFile == caFile.path)
        #expect(configured.maxBytes == 2048)
        #expect(configured.timeout == .milliseconds(1500))
        #expect(configured.connectTimeout == .milliseconds(500))
        #expect(configured.cacheTTL == .zero)

        for (variable, value) in [
            ("OAUTH_CIMD_ALLOW_CIDRS", "localhost"), ("OAUTH_CIMD_ALLOW_CIDRS", "10.0.0.0/33"),
            ("OAUTH_CIMD_CA_FILE", "/nonexistent/ca.pem"), ("OAUTH_CIMD_MAX_BYTES", "10"),
            ("OAUTH_CIMD_TIMEOUT_MS", "60000"),
        ] {
            let error = #expect(throws: ConfigurationError.self) {
                try ClientMetadataFetchConfiguration(reader: EnvironmentReader([variable: value]))
            }
            #expect(error?.variable == variable)
        }
    }
}

/// An address's bytes as `ClientAddress` parses them (IPv4-mapped text stays 16 bytes here, to
/// exercise the policy's own unmapping).
enum ClientAddressBytes {
    static func of(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, text, &v6) == 1 else { return nil }
        return withUnsafeBytes(of: &v6) { Array($0) }
    }
}
