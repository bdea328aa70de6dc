import App
import Cryptography
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JSON
import Logging
import Testing

@testable import MCPServer

/// Failures that are ours, not the caller's: 500 for the unforeseen (and not a word of it to the
/// client), 503 with `Retry-After` while the database is unreachable, and `/readyz` saying so.
@Suite(.serialized) struct EdgeFaultTests {
    /// An error whose text must never reach a client.
    struct LeakyFailure: Error, CustomStringConvertible {
        static let secret = "password=hunter2 host=db.internal.example"
        var description: String { "LeakyFailure: \(Self.secret)" }
    }

    @Test func anUnexpectedErrorIs500WithoutItsText() async throws {
        var logger = Logger(label: "edge-tests")
        logger.logLevel = .critical
        let router = Router(context: MCPRequestContext.self)
        router.add(middleware: ExchangeMiddleware(trustedProxies: .none, logger: logger))
        router.post("/mcp") { _, _ -> Response in throw LeakyFailure() }
        router.delete("/mcp") { _, _ -> Response in throw CancellationError() }
        try await Application(router: router).test(.router) { client in
            for method: HTTPRequest.Method in [.post, .delete] {
                let response = try await client.execute(
                    uri: "/mcp", method: method, headers: [.contentType: "application/json"],
                    body: ByteBuffer(string: MCPMessage.request("ping")))
                expectError(response, .internalServerError, -32603, "internal_error")
                #expect(!response.text.contains("hunter2"))
                #expect(!response.text.contains("db.internal"))
                #expect(!response.text.contains("LeakyFailure"))
                #expect(!response.text.contains("Cancellation"))
                #expect(response.headers[.retryAfter] == nil)
            }
        }
    }

    @Test func anUnreachableDatabaseIs503WithRetryAfter5() async throws {
        let server = try EdgeServer.withUnreachableDatabase()
        do {
            try await server.test { client in
                // A Bearer key: the authenticator cannot reach the database to look it up.
                let keyed = try await client.post(MCPMessage.initialize(), key: MasterKey.generate())
                expectError(keyed, .serviceUnavailable, -32603, "database_unavailable")
                #expect(keyed.headers[.retryAfter] == "5")
                #expect(keyed.headers[.wwwAuthenticate] == nil)

                // No key: the session cannot be stored, or looked up.
                let initialize = try await client.post(MCPMessage.initialize(id: 7))
                expectError(initialize, .serviceUnavailable, -32603, "database_unavailable", id: 7)
                #expect(initialize.headers[.retryAfter] == "5")
                #expect(initialize.headers[.mcpSessionID] == nil)

                let ping = try await client.post(MCPMessage.request("ping", id: 8), session: MCPMessage.unknownSessionID())
                expectError(ping, .serviceUnavailable, -32603, "database_unavailable", id: 8)
                #expect(ping.headers[.retryAfter] == "5")
            }
        } catch {
            await server.shutdown()
            throw error
        }
        await server.shutdown()
    }

    /// With session authentication off, a request without a key is refused before any session
    /// lookup: even with the database gone it is a 401, not a 503.
    @Test func aKeylessRequestIsRefusedBeforeTheDatabaseWhenSessionsCannotAuthenticate() async throws {
        let server = try EdgeServer.withUnreachableDatabase(["ALLOW_SESSION_AUTH": "false"])
        do {
            try await server.test { client in
                let ping = try await client.post(MCPMessage.request("ping", id: 3), session: MCPMessage.unknownSessionID())
                expectError(ping, .unauthorized, -32001, "unauthorized", id: 3)
                let delete = try await client.send(.delete, session: MCPMessage.unknownSessionID())
                expectError(delete, .unauthorized, -32001, "unauthorized")
            }
        } catch {
            await server.shutdown()
            throw error
        }
        await server.shutdown()
    }

    @Test func readyzIs503WhileHealthzIs200WhenTheDatabaseIsUnreachable() async throws {
        let server = try EdgeServer.withUnreachableDatabase()
        do {
            try await server.test { client in
                let ready = try await client.execute(uri: "/readyz", method: .get)
                #expect(ready.status == .serviceUnavailable)
                #expect(ready.json?["status"] == "not_ready")
                #expect(ready.json?["reason"] == "database unavailable")
                expectRequestID(ready)

                let health = try await client.execute(uri: "/healthz", method: .get)
                #expect(health.status == .ok)
                expectRequestID(health)
            }
        } catch {
            await server.shutdown()
            throw error
        }
        await server.shutdown()
    }
}
