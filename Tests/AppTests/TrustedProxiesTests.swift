import App
import Testing

@Suite struct TrustedProxiesTests {
    @Test func withoutTrustedProxiesTheForwardedHeaderIsIgnored() {
        #expect(TrustedProxies.none.clientAddress(peer: "10.0.0.2", forwardedFor: ["203.0.113.7"]) == "10.0.0.2")
        #expect(TrustedProxies.none.clientAddress(peer: nil, forwardedFor: ["203.0.113.7"]) == nil)
    }

    @Test func onlyATrustedPeerIsBelieved() throws {
        let proxies = try TrustedProxies(parsing: "10.0.0.0/8, 192.0.2.10")
        #expect(proxies.clientAddress(peer: "10.1.2.3", forwardedFor: ["203.0.113.7"]) == "203.0.113.7")
        #expect(proxies.clientAddress(peer: "192.0.2.10", forwardedFor: ["203.0.113.7"]) == "203.0.113.7")
        #expect(proxies.clientAddress(peer: "192.0.2.11", forwardedFor: ["203.0.113.7"]) == "192.0.2.11")
        #expect(proxies.clientAddress(peer: "11.0.0.1", forwardedFor: ["203.0.113.7"]) == "11.0.0.1")
        // A trusted peer with no header is itself the client.
        #expect(proxies.clientAddress(peer: "10.1.2.3", forwardedFor: []) == "10.1.2.3")
    }

    @Test func theRightmostUntrustedHopIsTheClientSoForgedEntriesOnTheLeftDoNotCount() throws {
        let proxies = try TrustedProxies(parsing: "10.0.0.0/8")
        let forged = ["1.1.1.1, 203.0.113.7, 10.0.0.9"]
        #expect(proxies.clientAddress(peer: "10.0.0.2", forwardedFor: forged) == "203.0.113.7")
        // Several header lines are one list, in order.
        #expect(proxies.clientAddress(peer: "10.0.0.2", forwardedFor: ["1.1.1.1", "203.0.113.8, 10.0.0.9"]) == "203.0.113.8")
        // Every hop trusted: the leftmost is as far as the chain goes.
        #expect(proxies.clientAddress(peer: "10.0.0.2", forwardedFor: ["10.0.0.7, 10.0.0.9"]) == "10.0.0.7")
        // A malformed hop ends the walk at the last trusted address, never at a guess.
        #expect(proxies.clientAddress(peer: "10.0.0.2", forwardedFor: ["203.0.113.7, junk"]) == "10.0.0.2")
        #expect(proxies.clientAddress(peer: "10.0.0.2", forwardedFor: ["junk, 10.0.0.9"]) == "10.0.0.9")
        #expect(proxies.clientAddress(peer: "10.0.0.2", forwardedFor: ["203.0.113.7:4431"]) == "10.0.0.2")
    }

    @Test func ipv6NetworksAndMappedAddresses() throws {
        let proxies = try TrustedProxies(parsing: "fd00::/8, 10.0.0.0/8")
        #expect(proxies.trusts("fd12:3456::1"))
        #expect(!proxies.trusts("fe80::1"))
        #expect(proxies.trusts("::ffff:10.9.8.7"))
        #expect(proxies.clientAddress(peer: "fd00::5", forwardedFor: ["2001:db8::42"]) == "2001:db8::42")
        #expect(proxies.clientAddress(peer: "fd00::5", forwardedFor: ["[2001:db8::43]"]) == "2001:db8::43")
        let everyone = try TrustedProxies(parsing: "0.0.0.0/0")
        #expect(everyone.trusts("198.51.100.1"))
        #expect(!everyone.trusts("2001:db8::1"))
    }

    @Test func badSettingsAreRefusedWithTheVariableNamed() {
        for text in ["10.0.0.0/33", "fd00::/129", "10.0.0.0/x", "example.com", "10.0.0.1/8/8"] {
            #expect(throws: ConfigurationError.self, "\(text)") { try TrustedProxies(parsing: text) }
        }
        do {
            _ = try TrustedProxies(parsing: "10.0.0.0/8, nonsense")
            Issue.record("accepted nonsense")
        } catch {
            #expect(error.variable == "TRUSTED_PROXIES")
            #expect(error.description.contains("nonsense"))
        }
        #expect((try? TrustedProxies(parsing: " , "))?.isEmpty == true)
    }
}
