import Cryptography
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JSON
import Testing

@testable import MCPServer

/// JSON-RPC bodies as an MCP client writes them.
enum MCPMessage {
    static let protocolVersion = "2025-06-18"

    static func request(_ method: String, id: JSONValue = 1, params: JSONValue? = nil) -> String {
        var members: [String: JSONValue] = ["jsonrpc": "2.0", "id": id, "method": .string(method)]
        if let params { members["params"] = params }
        return JSONValue.object(members).encodedString()
    }

    static func notification(_ method: String) -> String {
        JSONValue.object(["jsonrpc": "2.0", "method": .string(method)]).encodedString()
    }

    static func initialize(id: JSONValue = 1, clientInfo: JSONValue = ["name": "edge-tests", "version": "1.0"]) -> String {
        request(
            "initialize", id: id,
            params: ["protocolVersion": .string(protocolVersion), "capabilities": [:], "clientInfo": clientInfo])
    }

    /// A session id shaped like the server's (43 base64url characters) that no session has.
    static func unknownSessionID() -> String {
        String(MasterKey.generate().dropFirst(MasterKey.prefix.count))
    }

    static func toolCall(_ name: String, arguments: JSONValue = [:], id: JSONValue = 1) -> String {
        request("tools/call", id: id, params: ["name": .string(name), "arguments": arguments])
    }
}

extension TestClientProtocol {
    /// POSTs `body` to `/mcp` with the headers a well-behaved client sends (JSON in, JSON or SSE
    /// accepted), the key as a Bearer credential and the session id when given, then `headers` on
    /// top; `removing` drops headers altogether.
    func post(
        _ body: String, key: String? = nil, session: String? = nil, headers: HTTPFields = [:],
        removing: [HTTPField.Name] = []
    ) async throws -> TestResponse {
        var fields: HTTPFields = [.contentType: "application/json", .accept: "application/json, text/event-stream"]
        if session != nil { fields[.mcpProtocolVersion] = MCPMessage.protocolVersion }
        return try await send(.post, body: ByteBuffer(string: body), key: key, session: session, base: fields, headers, removing)
    }

    /// `method` on `/mcp` without a body (DELETE, and the methods `/mcp` does not have).
    func send(_ method: HTTPRequest.Method, key: String? = nil, session: String? = nil, headers: HTTPFields = [:])
        async throws -> TestResponse
    {
        try await send(method, body: nil, key: key, session: session, base: [:], headers, [])
    }

    private func send(
        _ method: HTTPRequest.Method, body: ByteBuffer?, key: String?, session: String?, base: HTTPFields,
        _ headers: HTTPFields, _ removing: [HTTPField.Name]
    ) async throws -> TestResponse {
        var fields = base
        if let key { fields[.authorization] = "Bearer \(key)" }
        if let session { fields[.mcpSessionID] = session }
        for field in headers { fields[field.name] = field.value }
        for name in removing { fields[name] = nil }
        return try await execute(uri: "/mcp", method: method, headers: fields, body: body)
    }

    /// `initialize`, which must succeed: the new session's id.
    func openSession(key: String?, sourceLocation: SourceLocation = #_sourceLocation) async throws -> String {
        let response = try await post(MCPMessage.initialize(), key: key)
        try #require(response.status == .ok, "initialize answered \(response.status)", sourceLocation: sourceLocation)
        return try #require(response.headers[.mcpSessionID], sourceLocation: sourceLocation)
    }
}

extension TestResponse {
    /// The body as JSON, nil when it is not JSON.
    var json: JSONValue? { try? JSONValue(parsing: Data(buffer: body)) }
    var text: String { String(buffer: body) }
}

/// Every answer names its request: `X-Request-ID`, a UUID.
func expectRequestID(_ response: TestResponse, sourceLocation: SourceLocation = #_sourceLocation) {
    let value = response.headers[.requestID]
    #expect(value.flatMap(UUID.init(uuidString:)) != nil, "X-Request-ID is \(value ?? "missing")", sourceLocation: sourceLocation)
}

/// A JSON-RPC error answer: the HTTP `status`, JSON-RPC `code`, `data.code`, the `id` it answers,
/// a JSON body and `X-Request-ID`.
func expectError(
    _ response: TestResponse, _ status: HTTPResponse.Status, _ code: Int64, _ stableCode: String, id: JSONValue = .null,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(response.status == status, "status; body: \(response.text)", sourceLocation: sourceLocation)
    #expect(response.headers[.contentType] == "application/json", sourceLocation: sourceLocation)
    let body = response.json
    #expect(body?["jsonrpc"] == "2.0", "body: \(response.text)", sourceLocation: sourceLocation)
    #expect(body?["id"] == id, "id; body: \(response.text)", sourceLocation: sourceLocation)
    #expect(body?["result"] == nil, sourceLocation: sourceLocation)
    #expect(body?["error"]?["code"] == .int(code), "code; body: \(response.text)", sourceLocation: sourceLocation)
    #expect(
        body?["error"]?["data"]?["code"] == .string(stableCode), "data.code; body: \(response.text)",
        sourceLocation: sourceLocation)
    #expect(body?["error"]?["message"]?.stringValue?.isEmpty == false, sourceLocation: sourceLocation)
    expectRequestID(response, sourceLocation: sourceLocation)
}

/// A JSON-RPC result in a 200 answering `id`: the result.
@discardableResult
func expectResult(_ response: TestResponse, id: JSONValue = 1, sourceLocation: SourceLocation = #_sourceLocation)
    -> JSONValue?
{
    #expect(response.status == .ok, "status; body: \(response.text)", sourceLocation: sourceLocation)
    #expect(response.headers[.contentType] == "application/json", sourceLocation: sourceLocation)
    let body = response.json
    #expect(body?["jsonrpc"] == "2.0", "body: \(response.text)", sourceLocation: sourceLocation)
    #expect(body?["id"] == id, sourceLocation: sourceLocation)
    #expect(body?["error"] == nil, "body: \(response.text)", sourceLocation: sourceLocation)
    expectRequestID(response, sourceLocation: sourceLocation)
    return body?["result"]
}

/// `WWW-Authenticate` of a request that carried no credentials (RFC 6750 §3.1: no error code) and of
/// one whose credentials were refused.
enum Challenge {
    static let bare = #"Bearer realm="orderdesk-mcp""#
    static let invalidToken = #"Bearer realm="orderdesk-mcp", error="invalid_token""#
}
