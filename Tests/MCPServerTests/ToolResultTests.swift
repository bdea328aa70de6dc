import Foundation
import JSON
import Testing

@testable import MCPServer

@Suite struct ToolResultTests {
    static let values: [JSONValue] = [
        [:],
        ["order": ["id": 925_086, "email": "a@example.com", "order_total": 12.5, "tags": ["x", "y"], "note": .null]],
        ["text": "quotes \" backslash \\ slash / tab \t newline \n bell \u{7} é ü 😀 \u{2028}", "flag": true],
        ["orders": .array((0..<30).map { ["id": .int(Int64($0)), "items": [["sku": .string("S-\($0)"), "qty": 2]]] })],
        ["error": ["code": "not_found", "message": "No order 1 in store \"Main\".", "details": ["applied": false]]],
        ["big": .int(Int64.max), "small": .int(Int64.min), "tiny": .double(1e-300), "neg": .double(-0.25)],
    ]
    static let ids: [JSONValue] = [1, 0, -7, "req-\"7\"", .string("ünï"), .int(Int64.max)]

    @Test func theResponseIsByteForByteTheGenericEncoding() {
        for (n, value) in Self.values.enumerated() {
            for id in Self.ids {
                let result = ToolResult(structured: value, isError: n % 2 == 0, correlationID: "c-\(n)-\(UUID().uuidString)")
                let generic = JSONRPCResponse.result(id: id, Self.generic(result)).encoded()
                let fast = result.responseBody(id: id)
                #expect(fast == generic, "value \(n), id \(id): \(String(decoding: fast, as: UTF8.self).prefix(300))")
            }
        }
    }

    @Test func aStatelessResponseIsByteForByteTheGenericEncodingToo() {
        let serverInfo: JSONValue = ["name": "orderdesk-mcp", "title": "OrderDesk \"MCP\"", "version": "0.1.0"]
        for (n, value) in Self.values.enumerated() {
            for id in Self.ids {
                let result = ToolResult(structured: value, isError: n % 2 == 1, correlationID: "c-\(n)")
                let generic = JSONRPCResponse.result(id: id, Self.generic(result, serverInfo: serverInfo)).encoded()
                let fast = result.responseBody(id: id, serverInfo: serverInfo)
                #expect(fast == generic, "value \(n), id \(id): \(String(decoding: fast, as: UTF8.self).prefix(300))")
            }
        }
    }

    /// The result object built as a `JSONValue` and encoded the ordinary way: the oracle. A
    /// 2026-07-28 result also carries `resultType` and the server's identity in `_meta`.
    static func generic(_ result: ToolResult, serverInfo: JSONValue? = nil) -> JSONValue {
        var meta: [String: JSONValue] = ["correlation_id": .string(result.correlationID)]
        var members: [String: JSONValue] = [
            "content": [["type": "text", "text": .string(result.structured.encodedString())]],
            "structuredContent": result.structured,
            "isError": .bool(result.isError),
        ]
        if let serverInfo {
            meta["io.modelcontextprotocol/serverInfo"] = serverInfo
            members["resultType"] = "complete"
        }
        members["_meta"] = .object(meta)
        return .object(members)
    }

    @Test func theTextContentIsTheStructuredContentAsJSONText() throws {
        let value = Self.values[2]
        let body = ToolResult(structured: value, isError: false, correlationID: "c").responseBody(id: 3)
        let parsed = try JSONValue(parsing: body)
        let result = try #require(parsed["result"])
        #expect(result["structuredContent"] == value)
        let text = try #require(result["content"]?.arrayValue?.first?["text"]?.stringValue)
        #expect(try JSONValue(parsing: Data(text.utf8)) == value)
        #expect(result["isError"] == false)
        #expect(result["_meta"]?["correlation_id"] == "c")
        #expect(parsed["id"] == 3 && parsed["jsonrpc"] == "2.0")
    }
}
