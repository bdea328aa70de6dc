import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JSON
import Testing

@testable import MCPServer

/// Requests `/mcp` refuses for what they are, whoever sends them: 400, 403 (Origin), 404, 405, 406,
/// 413 and 415, each with its JSON-RPC error. Driven through the real router in process.
@Suite(.serialized) struct EdgeRequestRefusalTests {
    @Test func aBodyThatIsNotJSONIs400ParseError() async throws {
        try await EdgeFixture.run { fixture in
            try await fixture.test { client in
                for body in ["{not json", #"{"jsonrpc":"2.0","id":1,"method":"ping""#, "", "\u{FEFF}nope"] {
                    expectError(try await client.post(body), .badRequest, -32700, "parse_error")
                }
                let invalidUTF8 = try await client.execute(
                    uri: "/mcp", method: .post, headers: [.contentType: "application/json"],
                    body: ByteBuffer(bytes: [0x7B, 0x22, 0xFF, 0xFE, 0x22, 0x3A, 0x31, 0x7D]))
                expectError(invalidUTF8, .badRequest, -32700, "parse_error")
            }
        }
    }

    @Test func aBodyThatIsNotOneJSONRPCMessageIs400InvalidRequest() async throws {
        try await EdgeFixture.run { fixture in
            try await fixture.test { client in
                let cases: [(body: String, id: JSONValue)] = [
                    (#"[{"jsonrpc":"2.0","id":1,"method":"ping"}]"#, .null),  // a batch
                    (#""ping""#, .null),
                    ("42", .null),
                    (#"{"jsonrpc":"1.0","id":3,"method":"ping"}"#, 3),
                    (#"{"id":3,"method":"ping"}"#, 3),
                    (#"{"jsonrpc":"2.0","id":true,"method":"ping"}"#, .null),
                    (#"{"jsonrpc":"2.0","id":null,"method":"ping"}"#, .null),
                    (#"{"jsonrpc":"2.0","id":1.5,"method":"ping"}"#, .null),
                    (#"{"jsonrpc":"2.0","id":{"n":1},"method":"ping"}"#, .null),
                    (#"{"jsonrpc":"2.0","id":4,"method":"ping","params":[1]}"#, 4),
                    (#"{"jsonrpc":"2.0","id":"p","method":"ping","params":"x"}"#, "p"),
                    (#"{"jsonrpc":"2.0","id":5}"#, 5),
                    (#"{"jsonrpc":"2.0","id":6,"method":""}"#, 6),
                    (#"{"jsonrpc":"2.0","id":7,"method":7}"#, 7),
                    (String(repeating: "[", count: 65) + String(repeating: "]", count: 65), .null),
                ]
                for (body, id) in cases {
                    expectError(try await client.post(body), .badRequest, -32600, "invalid_request", id: id)
                }
            }
        }
    }

    @Test func aRequestWithoutMcpSessionIdIs400() async throws {
        try await EdgeFixture.run { fixture in
            let tenant = try await fixture.createTenant()
            try await fixture.test { client in
                for key in [tenant.masterKey, nil] {
                    for body in [MCPMessage.request("ping", id: 9), MCPMessage.toolCall("stores_list", id: 9)] {
                        expectError(try await client.post(body, key: key), .badRequest, -32600, "invalid_request", id: 9)
                    }
                    let empty = try await client.post(
                        MCPMessage.request("ping", id: 9), key: key, headers: [.mcpSessionID: ""])
                    expectError(empty, .badRequest, -32600, "invalid_request", id: 9)
                    let notification = try await client.post(MCPMessage.notification("notifications/initialized"), key: key)
                    expectError(notification, .badRequest, -32600, "invalid_request")
                    expectError(try await client.send(.delete, key: key), .badRequest, -32600, "invalid_request")
                }
            }
        }
    }

    @Test func anUnsupportedProtocolVersionIs400() async throws {
        try await EdgeFixture.run { fixture in
            let tenant = try await fixture.createTenant()
            try await fixture.test { client in
                let session = try await client.openSession(key: tenant.masterKey)
                for version in ["2024-11-05", "1999-01-01", "latest"] {
                    let response = try await client.post(
                        MCPMessage.request("ping", id: 1), key: tenant.masterKey, session: session,
                        headers: [.mcpProtocolVersion: version])
                    expectError(response, .badRequest, -32022, "unsupported_protocol_version", id: 1)
                    let error = response.json?["error"]
                    #expect(error?["data"]?["requested"] == .string(version))
                    #expect(error?["data"]?["supported"] == .array(ProtocolVersion.supported.map(JSONValue.string)))
                }
                let initialize = try await client.post(
                    MCPMessage.initialize(), key: tenant.masterKey, headers: [.mcpProtocolVersion: "2099-01-01"])
                expectError(initialize, .badRequest, -32022, "unsupported_protocol_version", id: 1)
                // Every session revision the server names is accepted in a session.
                for version in ProtocolVersion.legacy {
                    let response = try await client.post(
                        MCPMessage.request("ping", id: 1), key: tenant.masterKey, session: session,
                        headers: [.mcpProtocolVersion: version])
                    expectResult(response)
                }
            }
        }
    }

    @Test func initializeWithoutItsParamsOrWithABadClientInfoIs400InvalidParams() async throws {
        try await EdgeFixture.run { fixture in
            let tenant = try await fixture.createTenant()
            try await fixture.test { client in
                let version = JSONValue.string(MCPMessage.protocolVersion)
                let params: [JSONValue?] = [
                    nil,
                    [:],
                    ["protocolVersion": 20250618],
                    ["protocolVersion": ""],
                    ["protocolVersion": version, "clientInfo": ["name": "edge\u{0}tests", "version": "1"]],
                    ["protocolVersion": version, "clientInfo": ["name": "edge", "version": "1\u{0}"]],
                    ["protocolVersion": version, "clientInfo": ["name": 7, "version": "1"]],
                    ["protocolVersion": version, "clientInfo": ["name": .string(String(repeating: "n", count: 201))]],
                    ["protocolVersion": version, "clientInfo": "edge-tests"],
                    ["protocolVersion": version, "capabilities": "all"],
                ]
                for (index, params) in params.enumerated() {
                    let id = JSONValue.string("init-\(index)")
                    for key in [tenant.masterKey, nil] {
                        let response = try await client.post(
                            MCPMessage.request("initialize", id: id, params: params), key: key)
                        expectError(response, .badRequest, -32602, "invalid_params", id: id)
                        #expect(response.headers[.mcpSessionID] == nil)
                    }
                }
            }
        }
    }

    @Test func anOriginNotInAllowedOriginsIs403() async throws {
        try await EdgeFixture.run { fixture in
            let tenant = try await fixture.createTenant()
            try await fixture.test { client in
                let session = try await client.openSession(key: tenant.masterKey)
                for origin in ["https://evil.example", "null", EdgeServer.allowedOrigin + ".evil.example"] {
                    let initialize = try await client.post(
                        MCPMessage.initialize(), key: tenant.masterKey, headers: [.origin: origin])
                    expectError(initialize, .forbidden, -32600, "invalid_request")
                    let ended = try await client.send(
                        .delete, key: tenant.masterKey, session: session, headers: [.origin: origin])
                    expectError(ended, .forbidden, -32600, "invalid_request")
                }
                let allowed = try await client.post(
                    MCPMessage.initialize(), key: tenant.masterKey, headers: [.origin: EdgeServer.allowedOrigin])
                expectResult(allowed)
            }
        }
    }

    @Test func anUnknownOrExpiredSessionIs404() async throws {
        try await EdgeFixture.run { fixture in
            let tenant = try await fixture.createTenant()
            try await fixture.test { client in
                let live = try await client.openSession(key: tenant.masterKey)
                for session in ["no-such-session", MCPMessage.unknownSessionID()] {
                    for key in [tenant.masterKey, nil] {
                        let ping = try await client.post(MCPMessage.request("ping", id: 2), key: key, session: session)
                        expectError(ping, .notFound, -32600, "invalid_request", id: 2)
                    }
                    let ended = try await client.send(.delete, key: tenant.masterKey, session: session)
                    expectError(ended, .notFound, -32600, "invalid_request")
                }
                try await fixture.expireAllSessions()
                for key in [tenant.masterKey, nil] {
                    let ping = try await client.post(MCPMessage.request("ping", id: 3), key: key, session: live)
                    expectError(ping, .notFound, -32600, "invalid_request", id: 3)
                }
            }
        }
    }

    @Test func getPutPatchAndOptionsAre405NamingPostAndDelete() async throws {
        try await EdgeFixture.run { fixture in
            let tenant = try await fixture.createTenant()
            try await fixture.test { client in
                let session = try await client.openSession(key: tenant.masterKey)
                for method: HTTPRequest.Method in [.get, .put, .patch, .options] {
                    for key in [tenant.masterKey, nil] {
                        let response = try await client.send(method, key: key, session: session)
                        expectError(response, .methodNotAllowed, -32600, "invalid_request")
                        #expect(response.headers[.allow] == "POST, DELETE", "\(method)")
                    }
                }
            }
        }
    }

    @Test func anAcceptWithoutJSONIs406() async throws {
        try await EdgeFixture.run { fixture in
            let tenant = try await fixture.createTenant()
            try await fixture.test { client in
                for accept in ["text/event-stream", "text/html, text/plain", "application/xml"] {
                    let response = try await client.post(
                        MCPMessage.initialize(), key: tenant.masterKey, headers: [.accept: accept])
                    expectError(response, .notAcceptable, -32600, "invalid_request")
                }
                for accept in ["application/json", "*/*", "application/*", "text/event-stream, application/json;q=0.9"] {
                    expectResult(
                        try await client.post(MCPMessage.initialize(), key: tenant.masterKey, headers: [.accept: accept]))
                }
                expectResult(try await client.post(MCPMessage.initialize(), key: tenant.masterKey, removing: [.accept]))
            }
        }
    }

    @Test func aBodyOverMaxBodyBytesIs413() async throws {
        try await EdgeFixture.run(["MAX_BODY_BYTES": "1024"]) { fixture in
            let tenant = try await fixture.createTenant()
            try await fixture.test { client in
                func initialize(padding: Int) -> String {
                    MCPMessage.request(
                        "initialize",
                        params: [
                            "protocolVersion": .string(MCPMessage.protocolVersion),
                            "capabilities": ["padding": .string(String(repeating: "x", count: padding))],
                        ])
                }
                let tooLarge = initialize(padding: 1100)
                #expect(tooLarge.utf8.count > 1024)
                expectError(try await client.post(tooLarge, key: tenant.masterKey), .contentTooLarge, -32600, "invalid_request")

                let fits = initialize(padding: 900)
                #expect(fits.utf8.count <= 1024)
                expectResult(try await client.post(fits, key: tenant.masterKey))
            }
        }
    }

    @Test func aContentTypeOtherThanJSONIs415() async throws {
        try await EdgeFixture.run { fixture in
            let tenant = try await fixture.createTenant()
            try await fixture.test { client in
                for contentType in ["text/plain", "application/x-www-form-urlencoded", "application/jsonx"] {
                    let response = try await client.post(
                        MCPMessage.initialize(), key: tenant.masterKey, headers: [.contentType: contentType])
                    expectError(response, .unsupportedMediaType, -32600, "invalid_request")
                }
                let missing = try await client.post(MCPMessage.initialize(), key: tenant.masterKey, removing: [.contentType])
                expectError(missing, .unsupportedMediaType, -32600, "invalid_request")

                let withCharset = try await client.post(
                    MCPMessage.initialize(), key: tenant.masterKey, headers: [.contentType: "Application/JSON; charset=utf-8"])
                expectResult(withCharset)
            }
        }
    }
}
