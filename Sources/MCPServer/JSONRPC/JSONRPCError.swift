import JSON

/// A JSON-RPC 2.0 error object as it goes on the wire (`MCPError.jsonRPC` makes it). The stable
/// `data.code` string tells clients what happened in the same vocabulary as tool errors; `message`
/// is safe to show (no SQL, no secret, no stack).
public struct JSONRPCError: Sendable, Equatable {
    public let code: Int
    public let message: String
    public let data: JSONValue?

    public init(code: Int, message: String, data: JSONValue? = nil) {
        self.code = code
        self.message = message
        self.data = data
    }

    var json: JSONValue {
        var members: [String: JSONValue] = ["code": .int(Int64(code)), "message": .string(message)]
        if let data { members["data"] = data }
        return .object(members)
    }
}

/// The one JSON-RPC response to one request.
enum JSONRPCResponse {
    static func result(id: JSONValue, _ result: JSONValue) -> JSONValue {
        ["jsonrpc": "2.0", "id": id, "result": result]
    }

    static func error(id: JSONValue?, _ error: JSONRPCError) -> JSONValue {
        ["jsonrpc": "2.0", "id": id ?? .null, "error": error.json]
    }
}
