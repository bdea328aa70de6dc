import Foundation
import HTTPTypes
import HummingbirdTesting
import JSON
import Testing

@testable import MCPServer

/// What `/mcp` answers when it answers: 200 with a result or a JSON-RPC error of the method, 202 for
/// what needs no answer, 204 for an ended session; and the health endpoints. Driven through the real
/// router in process.
@Suite(.serialized) struct EdgeAnswerTests {
    @Test func initializeAnswersTheResultAndANewSessionID() async throws {
        try await EdgeFixture.run { fixture in
            let tenant = try await fixture.createTenant()
            try await fixture.test { client in
                for key in [tenant.masterKey, nil] {
                    let response = try await client.post(MCPMessage.initialize(id: "init-1"), key: key)
                    let result = expectResult(response, id: "init-1")
                    #expect(result?["protocolVersion"] == .string(MCPMessage.protocolVersion))
                    #expect(result?["serverInfo"]?["name"] == "orderdesk-mcp")
                    #expect(result?["capabilities"]?["tools"] != nil)
                    #expect(response.headers[.mcpSessionID]?.utf8.count == 43)
                    #expect(response.headers[.cacheControl] == "no-store")
                }
            }
        }
    }

    @Test func pingAndToolsListAnswerResults() async throws {
        try await EdgeFixture.run { fixture in
            let tenant = try await fixture.createTenant()
            try await fixture.test { client in
                let session = try await client.openSession(key: tenant.masterKey)
                let pong = try await client.post(MCPMessage.request("ping", id: 2), key: tenant.masterKey, session: session)
                #expect(expectResult(pong, id: 2) == [:])
                for params: JSONValue? in [nil, [:], ["cursor": .null]] {
                    let listed = try await client.post(
                        MCPMessage.request("tools/list", id: 3, params: params), key: tenant.masterKey, session: session)
                    let names = expectResult(listed, id: 3)?["tools"]?.arrayValue?.compactMap { $0["name"]?.stringValue }
                    #expect(names?.contains("stores_list") == true)
                }
            }
        }
    }

    @Test func storesListAnswersAToolResult() async throws {
        try await EdgeFixture.run { fixture in
            let tenant = try await fixture.createTenant()
            try await fixture.test { client in
                let session = try await client.openSession(key: tenant.masterKey)
                let response = try await client.post(
                    MCPMessage.toolCall("stores_list", id: 4), key: tenant.masterKey, session: session)
                let result = expectResult(response, id: 4)
                #expect(result?["isError"] == false)
                #expect(result?["structuredContent"]?["stores"] == [])
            }
        }
    }

    @Test func anUnknownMethodIsMethodNotFoundInA200() async throws {
        try await EdgeFixture.run { fixture in
            let tenant = try await fixture.createTenant()
            try await fixture.test { client in
                let session = try await client.openSession(key: tenant.masterKey)
                let response = try await client.post(
                    MCPMessage.request("resources/list", id: "r-1"), key: tenant.masterKey, session: session)
                expectError(response, .ok, -32601, "method_not_found", id: "r-1")
            }
        }
    }

    @Test func toolsCallWithoutOrWithAnUnknownToolNameIsInvalidParamsInA200() async throws {
        try await EdgeFixture.run { fixture in
            let tenant = try await fixture.createTenant()
            try await fixture.test { client in
                let session = try await client.openSession(key: tenant.masterKey)
                let calls: [JSONValue] = [[:], ["arguments": [:]], ["name": 42], ["name": "no_such_tool"], ["name": ""]]
                for (index, params) in calls.enumerated() {
                    let id = JSONValue.int(Int64(10 + index))
                    let response = try await client.post(
                        MCPMessage.request("tools/call", id: id, params: params), key: tenant.masterKey, session: session)
                    expectError(response, .ok, -32602, "invalid_params", id: id)
                }
            }
        }
    }

    @Test func toolsListWithACursorIsInvalidParamsInA200() async throws {
        try await EdgeFixture.run { fixture in
            let tenant = try await fixture.createTenant()
            try await fixture.test { client in
                let session = try await client.openSession(key: tenant.masterKey)
                let response = try await client.post(
                    MCPMessage.request("tools/list", id: 5, params: ["cursor": "page-2"]), key: tenant.masterKey,
                    session: session)
                expectError(response, .ok, -32602, "invalid_params", id: 5)
            }
        }
    }

    @Test func aToolFailureIsAResultWithIsError() async throws {
        try await EdgeFixture.run { fixture in
            let tenant = try await fixture.createTenant()
            try await fixture.test { client in
                let session = try await client.openSession(key: tenant.masterKey)
                let unknownStore = try await client.post(
                    MCPMessage.toolCall("stores_use_store", arguments: ["store": "nowhere"], id: 6), key: tenant.masterKey,
                    session: session)
                let failed = expectResult(unknownStore, id: 6)
                #expect(failed?["isError"] == true)
                #expect(failed?["structuredContent"]?["error"]?["code"] == "not_found")

                let badArguments = try await client.post(
                    MCPMessage.toolCall("stores_list", arguments: ["unexpected": 1], id: 7), key: tenant.masterKey,
                    session: session)
                let invalid = expectResult(badArguments, id: 7)
                #expect(invalid?["isError"] == true)
                #expect(invalid?["structuredContent"]?["error"]?["code"] == "validation_error")
            }
        }
    }

    @Test func aNotificationOrAResponseIsAcceptedWithNoBody() async throws {
        try await EdgeFixture.run { fixture in
            let tenant = try await fixture.createTenant()
            try await fixture.test { client in
                let session = try await client.openSession(key: tenant.masterKey)
                let answers = [
                    try await client.post(
                        MCPMessage.notification("notifications/initialized"), key: tenant.masterKey, session: session),
                    try await client.post(
                        #"{"jsonrpc":"2.0","id":"s-1","result":{}}"#, key: tenant.masterKey, session: session),
                    try await client.post(
                        #"{"jsonrpc":"2.0","id":"s-2","error":{"code":-1,"message":"no"}}"#, key: tenant.masterKey,
                        session: session),
                    // A response needs no session: it is dropped either way.
                    try await client.post(#"{"jsonrpc":"2.0","id":"s-3","result":{}}"#),
                ]
                for response in answers {
                    #expect(response.status == .accepted)
                    #expect(response.body.readableBytes == 0)
                    expectRequestID(response)
                }
            }
        }
    }

    @Test func deleteEndsTheSession() async throws {
        try await EdgeFixture.run { fixture in
            let tenant = try await fixture.createTenant()
            try await fixture.test { client in
                let session = try await client.openSession(key: tenant.masterKey)
                let ended = try await client.send(.delete, key: tenant.masterKey, session: session)
                #expect(ended.status == .noContent)
                #expect(ended.body.readableBytes == 0)
                expectRequestID(ended)

                let afterwards = try await client.post(
                    MCPMessage.request("ping", id: 8), key: tenant.masterKey, session: session)
                expectError(afterwards, .notFound, -32600, "invalid_request", id: 8)
                let again = try await client.send(.delete, key: tenant.masterKey, session: session)
                expectError(again, .notFound, -32600, "invalid_request")
            }
        }
    }

    @Test func healthzAndReadyzAnswer200WhenTheDatabaseIsReady() async throws {
        try await EdgeFixture.run { fixture in
            try await fixture.test { client in
                let health = try await client.execute(uri: "/healthz", method: .get)
                #expect(health.status == .ok)
                #expect(health.json?["status"] == "ok")
                expectRequestID(health)

                let ready = try await client.execute(uri: "/readyz", method: .get)
                #expect(ready.status == .ok)
                #expect(ready.json?["status"] == "ready")
                expectRequestID(ready)
            }
        }
    }
}
