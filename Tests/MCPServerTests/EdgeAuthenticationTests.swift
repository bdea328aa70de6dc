import Cryptography
import Foundation
import HTTPTypes
import HummingbirdTesting
import JSON
import Testing

@testable import MCPServer

/// Who may use `/mcp`: 401 with its Bearer challenge, 403 for another tenant's session, and 429 for
/// an address that refused keys or unauthenticated requests have used up. Driven through the real
/// router in process; each test that is about a limit has a server (and limiters) of its own.
@Suite(.serialized) struct EdgeAuthenticationTests {
    @Test func noCredentialsWhenSessionAuthenticationIsOffIs401WithABareChallenge() async throws {
        try await EdgeFixture.run(["ALLOW_SESSION_AUTH": "false"]) { fixture in
            let tenant = try await fixture.createTenant()
            try await fixture.test { client in
                let response = try await client.post(MCPMessage.initialize(id: "i"))
                expectError(response, .unauthorized, -32001, "unauthorized", id: "i")
                #expect(response.headers[.wwwAuthenticate] == Challenge.bare)
                #expect(response.headers[.mcpSessionID] == nil)

                // A Bearer session used without its key.
                let session = try await client.openSession(key: tenant.masterKey)
                let ping = try await client.post(MCPMessage.request("ping", id: 2), session: session)
                expectError(ping, .unauthorized, -32001, "unauthorized", id: 2)
                #expect(ping.headers[.wwwAuthenticate] == Challenge.bare)
            }
        }
    }

    @Test func anUnauthenticatedSessionCallingATenantToolIs401WithABareChallenge() async throws {
        try await EdgeFixture.run { fixture in
            try await fixture.test { client in
                let session = try await client.openSession(key: nil)
                // What an unauthenticated session may do.
                expectResult(try await client.post(MCPMessage.request("ping", id: 1), session: session))
                expectResult(try await client.post(MCPMessage.request("tools/list", id: 1), session: session))

                for body in [MCPMessage.toolCall("stores_list", id: 3), MCPMessage.request("resources/list", id: 3)] {
                    let response = try await client.post(body, session: session)
                    expectError(response, .unauthorized, -32001, "unauthorized", id: 3)
                    #expect(response.headers[.wwwAuthenticate] == Challenge.bare)
                }
            }
        }
    }

    /// A session opened with a Bearer key has no credential of its own (its id alone authorizes
    /// nothing), so using it without the key is a request without credentials.
    @Test func aBearerSessionUsedWithoutItsKeyIs401WithABareChallenge() async throws {
        try await EdgeFixture.run { fixture in
            let tenant = try await fixture.createTenant()
            try await fixture.test { client in
                let session = try await client.openSession(key: tenant.masterKey)
                for body in [MCPMessage.request("ping", id: 2), MCPMessage.toolCall("stores_list", id: 2)] {
                    let response = try await client.post(body, session: session)
                    expectError(response, .unauthorized, -32001, "unauthorized", id: 2)
                    #expect(response.headers[.wwwAuthenticate] == Challenge.bare)
                }
                let ended = try await client.send(.delete, session: session)
                expectError(ended, .unauthorized, -32001, "unauthorized")
                #expect(ended.headers[.wwwAuthenticate] == Challenge.bare)
            }
        }
    }

    @Test func aSessionWhoseLoginKeyWasRevokedIs401WithAnInvalidTokenChallenge() async throws {
        try await EdgeFixture.run { fixture in
            let tenant = try await fixture.createTenant()
            let login = try await fixture.keys.createKey(tenantID: tenant.tenantID, scopes: [.read], label: "login")
            let session = try await fixture.test { client in
                let session = try await client.openSession(key: nil)
                let loggedIn = try await client.post(
                    MCPMessage.toolCall("tenant_use_master_key", arguments: ["master_key": .string(login.masterKey)], id: 1),
                    session: session)
                #expect(expectResult(loggedIn)?["isError"] == false)
                // The session id is the credential now.
                let listed = try await client.post(MCPMessage.toolCall("stores_list", id: 2), session: session)
                #expect(expectResult(listed, id: 2)?["isError"] == false)
                return session
            }
            #expect(try await fixture.keys.revokeKey(tenantID: tenant.tenantID, keyID: login.keyID, reason: "leaked"))
            try await fixture.test { client in
                let response = try await client.post(MCPMessage.request("ping", id: 3), session: session)
                expectError(response, .unauthorized, -32001, "unauthorized", id: 3)
                #expect(response.headers[.wwwAuthenticate] == Challenge.invalidToken)
                // The session ended with its key: its id cannot keep writing refusal rows.
                let again = try await client.post(MCPMessage.request("ping", id: 4), session: session)
                expectError(again, .notFound, -32600, "invalid_request", id: 4)
            }
        }
    }

    /// Authentication comes before the body: a refused key learns nothing about what it sent, not
    /// even whether it was JSON or too large.
    @Test func aBadKeyIsRefusedBeforeTheBodyIsRead() async throws {
        try await EdgeFixture.run(["MAX_BODY_BYTES": "1024"]) { fixture in
            try await fixture.test { client in
                for body in ["{not json", String(repeating: "x", count: 4096)] {
                    let response = try await client.post(body, key: MasterKey.generate())
                    expectError(response, .unauthorized, -32001, "unauthorized")
                    #expect(response.headers[.wwwAuthenticate] == Challenge.invalidToken)
                }
            }
        }
    }

    @Test func aBadKeyIs401WithAnInvalidTokenChallenge() async throws {
        try await EdgeFixture.run { fixture in
            let tenant = try await fixture.createTenant()
            let revoked = try await fixture.keys.createKey(tenantID: tenant.tenantID, scopes: [.read], label: "old")
            #expect(try await fixture.keys.revokeKey(tenantID: tenant.tenantID, keyID: revoked.keyID, reason: "rotated"))
            let disabled = try await fixture.createTenant()
            #expect(try await fixture.keys.disableTenant(tenantID: disabled.tenantID))
            let authorizations = [
                "Basic b2RtazpzZWNyZXQ=",  // not Bearer
                "Bearer",  // no token
                "Bearer not-a-master-key",  // malformed
                "Bearer " + String(tenant.masterKey.dropLast()),  // malformed: one character short
                "Bearer " + MasterKey.generate(),  // well-formed, unknown
                "Bearer " + revoked.masterKey,  // revoked
                "Bearer " + disabled.masterKey,  // its tenant is disabled
            ]
            try await fixture.test { client in
                let session = try await client.openSession(key: tenant.masterKey)
                // Before any session, and on a live one.
                let requests: [(body: String, session: String?)] = [
                    (MCPMessage.initialize(), nil), (MCPMessage.request("ping"), session),
                ]
                for authorization in authorizations {
                    for request in requests {
                        let response = try await client.post(
                            request.body, session: request.session, headers: [.authorization: authorization])
                        expectError(response, .unauthorized, -32001, "unauthorized")
                        #expect(response.headers[.wwwAuthenticate] == Challenge.invalidToken, "\(authorization.prefix(12))")
                        #expect(response.headers[.mcpSessionID] == nil)
                    }
                }
            }
        }
    }

    @Test func aSessionUsedWithAnotherTenantsKeyIs403Forbidden() async throws {
        try await EdgeFixture.run { fixture in
            let owner = try await fixture.createTenant()
            let other = try await fixture.createTenant()
            try await fixture.test { client in
                let session = try await client.openSession(key: owner.masterKey)
                for body in [MCPMessage.request("ping", id: 4), MCPMessage.toolCall("stores_list", id: 4)] {
                    let response = try await client.post(body, key: other.masterKey, session: session)
                    expectError(response, .forbidden, -32001, "forbidden", id: 4)
                }
                let ended = try await client.send(.delete, key: other.masterKey, session: session)
                expectError(ended, .forbidden, -32001, "forbidden")
                // The owner's session is untouched.
                expectResult(
                    try await client.post(MCPMessage.request("ping", id: 5), key: owner.masterKey, session: session), id: 5)
            }
        }
    }

    @Test func tooManyRefusedKeysFromOneAddressIs429WithRetryAfter() async throws {
        try await EdgeFixture.run(["AUTH_FAILURES_PER_MINUTE": "2"]) { fixture in
            let tenant = try await fixture.createTenant()
            try await fixture.test { client in
                for _ in 0..<2 {
                    let refused = try await client.post(MCPMessage.initialize(), key: MasterKey.generate())
                    expectError(refused, .unauthorized, -32001, "unauthorized")
                }
                let limited = try await client.post(MCPMessage.initialize(), key: MasterKey.generate())
                expectError(limited, .tooManyRequests, -32001, "rate_limited")
                let retryAfter = limited.headers[.retryAfter].flatMap(Int.init)
                #expect(
                    retryAfter.map { (1...60).contains($0) } == true, "Retry-After: \(limited.headers[.retryAfter] ?? "none")")
                #expect(limited.headers[.wwwAuthenticate] == nil)
                // A live key is never refused for the address it comes from.
                expectResult(try await client.post(MCPMessage.initialize(), key: tenant.masterKey))
            }
        }
    }

    @Test func overTheUnauthenticatedBudgetIs429WithRetryAfter() async throws {
        try await EdgeFixture.run(["UNAUTHENTICATED_BURST": "2", "UNAUTHENTICATED_PER_MINUTE": "1"]) { fixture in
            let tenant = try await fixture.createTenant()
            try await fixture.test { client in
                let session = try await client.openSession(key: nil)
                expectResult(try await client.post(MCPMessage.initialize(id: 2)), id: 2)
                let limited = try await client.post(MCPMessage.initialize(id: 3))
                expectError(limited, .tooManyRequests, -32001, "rate_limited", id: 3)
                #expect(limited.headers[.mcpSessionID] == nil)
                let retryAfter = limited.headers[.retryAfter].flatMap(Int.init)
                #expect(
                    retryAfter.map { (1...60).contains($0) } == true, "Retry-After: \(limited.headers[.retryAfter] ?? "none")")

                // A refused key from the same address is over the same budget.
                let refusedKey = try await client.post(MCPMessage.initialize(), key: MasterKey.generate())
                expectError(refusedKey, .tooManyRequests, -32001, "rate_limited")
                #expect(refusedKey.headers[.retryAfter] != nil)

                // So is a refused login by tool, which would write its audit row: a rate_limited tool error.
                let refusedLogin = try await client.post(
                    MCPMessage.toolCall("tenant_use_master_key", arguments: ["master_key": .string(MasterKey.generate())], id: 4),
                    session: session)
                let refused = expectResult(refusedLogin, id: 4)
                #expect(refused?["isError"] == true)
                #expect(refused?["structuredContent"]?["error"]?["code"] == "rate_limited")
                #expect(refused?["structuredContent"]?["error"]?["retry_after"]?.lenientInt.map { $0 >= 1 } == true)
                // Counted, not written: no audit row carries this request's id.
                let requestID = try #require(refusedLogin.headers[.requestID])
                let rows = try await fixture.scratch.asOwner { tx in
                    try tx.query("SELECT count(*)::int AS n FROM orderdesk.audit_log WHERE correlation_id = \(requestID)")[0]
                        .decode(Int.self, "n")
                }
                #expect(rows == 0, "a refused login over the budget wrote \(rows) audit rows")

                // What writes nothing is not charged, and a valid key never is: not on initialize,
                // and not when a session logs in with it by tool.
                expectResult(try await client.post(MCPMessage.request("ping", id: 5), session: session), id: 5)
                expectResult(try await client.post(MCPMessage.initialize(), key: tenant.masterKey))
                let login = try await client.post(
                    MCPMessage.toolCall("tenant_use_master_key", arguments: ["master_key": .string(tenant.masterKey)], id: 6),
                    session: session)
                #expect(expectResult(login, id: 6)?["isError"] == false, "\(login.text)")
            }
        }
    }
}
