import Foundation
import JSON

/// A `tools/call` result: the tool's structured answer (or its error), shown twice as MCP asks,
/// as `structuredContent` and as the JSON text of the one `content` item.
struct ToolResult: Sendable {
    let structured: JSONValue
    let isError: Bool
    let correlationID: String

    /// The JSON-RPC response carrying this result: `{"id", "jsonrpc": "2.0", "result": {"_meta":
    /// {"correlation_id"}, "content": [{"text", "type": "text"}], "isError", "structuredContent"}}`,
    /// byte for byte what `JSONValue.encoded()` writes for that object (keys sorted), but with the
    /// structured answer written once and reused as the text: it is most of the bytes of an order.
    /// A 2026-07-28 result also names the server in `_meta` (`serverInfo`) and says
    /// `"resultType": "complete"`.
    func responseBody(id: JSONValue, serverInfo: JSONValue? = nil) -> Data {
        let text = structured.encodedString()
        var body = Data()
        body.reserveCapacity(text.utf8.count * 2 + 300)
        body.append(contentsOf: #"{"id":"#.utf8)
        body.append(id.encoded())
        body.append(contentsOf: #","jsonrpc":"2.0","result":{"_meta":{"correlation_id":"#.utf8)
        body.append(JSONValue.string(correlationID).encoded())
        if let serverInfo {
            body.append(contentsOf: #","io.modelcontextprotocol/serverInfo":"#.utf8)
            body.append(serverInfo.encoded())
        }
        body.append(contentsOf: #"},"content":[{"text":"#.utf8)
        body.append(JSONValue.string(text).encoded())
        body.append(contentsOf: #","type":"text"}],"isError":"#.utf8)
        body.append(contentsOf: (isError ? "true" : "false").utf8)
        if serverInfo != nil { body.append(contentsOf: #","resultType":"complete""#.utf8) }
        body.append(contentsOf: #","structuredContent":"#.utf8)
        body.append(contentsOf: text.utf8)
        body.append(contentsOf: "}}".utf8)
        return body
    }
}
