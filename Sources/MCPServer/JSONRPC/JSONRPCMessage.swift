import Foundation
import JSON

/// One client→server JSON-RPC message, as read from a POST body.
enum JSONRPCMessage: Sendable {
    /// Expects exactly one response.
    case request(id: JSONValue, method: String, params: [String: JSONValue])
    /// No response (HTTP 202).
    case notification(method: String)
    /// A response to a server→client request; this server sends none, so it is acknowledged and dropped.
    case response

    /// Bodies nested deeper than this are refused before parsing (a stack-depth guard).
    static let maximumDepth = 64

    /// Parses and validates the envelope. Errors carry the request id when one could be read.
    static func parse(_ body: Data) throws(MCPError) -> JSONRPCMessage {
        guard JSONNesting.depth(of: body) <= maximumDepth else {
            throw MCPError.invalidRequest("JSON nested deeper than \(maximumDepth) levels")
        }
        let value: JSONValue
        do {
            value = try JSONValue(parsing: body)
        } catch {
            throw MCPError.parseError("the body is not valid UTF-8 JSON")
        }
        if case .array = value {
            throw MCPError.invalidRequest("batches are not supported; send one message per POST")
        }
        guard case .object(let members) = value else {
            throw MCPError.invalidRequest("a JSON-RPC message must be a JSON object")
        }
        let id = members["id"]
        let validID: JSONValue?
        switch id {
        case .some(.string), .some(.int): validID = id
        case .none: validID = nil
        default:
            throw MCPError.invalidRequest("\"id\" must be a string or an integer")
        }
        guard members["jsonrpc"] == "2.0" else {
            throw MCPError.invalidRequest("\"jsonrpc\" must be \"2.0\"").answering(validID)
        }
        if members["method"] == nil, validID != nil, members["result"] != nil || members["error"] != nil {
            return .response
        }
        guard case .string(let method)? = members["method"], !method.isEmpty else {
            throw MCPError.invalidRequest("\"method\" must be a non-empty string").answering(validID)
        }
        let params: [String: JSONValue]
        switch members["params"] {
        case .none, .some(.null): params = [:]
        case .some(.object(let object)): params = object
        default:
            throw MCPError.invalidRequest("\"params\" must be an object").answering(validID)
        }
        guard let validID else { return .notification(method: method) }
        return .request(id: validID, method: method, params: params)
    }

    /// The id of the request in `body`, if it is a JSON object with a string or integer `id`: for
    /// answering a request refused before its body was otherwise looked at.
    static func requestID(in body: Data) -> JSONValue? {
        guard JSONNesting.depth(of: body) <= maximumDepth, let value = try? JSONValue(parsing: body),
            let id = value.objectValue?["id"]
        else { return nil }
        switch id {
        case .string, .int: return id
        default: return nil
        }
    }

}

/// Measures how deeply arrays and objects nest, without parsing (strings are skipped).
enum JSONNesting {
    static func depth(of data: Data) -> Int {
        var depth = 0
        var deepest = 0
        var inString = false
        var escaped = false
        for byte in data {
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                deepest = max(deepest, depth)
            case UInt8(ascii: "]"), UInt8(ascii: "}"): depth -= 1
            default: break
            }
        }
        return deepest
    }
}
