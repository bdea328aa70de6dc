import JSON

/// A JSON-RPC 2.0 error object. The stable `data.code` string tells clients what happened in the
/// same vocabulary as tool errors; `message` is safe to show (no SQL, no secret, no stack).
public struct JSONRPCError: Error, Sendable, Equatable {
    public let code: Int
    public let message: String
    public let data: JSONValue?

    public init(code: Int, message: String, data: JSONValue? = nil) {
        self.code = code
        self.message = message
        self.data = data
    }

    public static func parseError(_ detail: String) -> JSONRPCError {
        JSONRPCError(code: -32700, message: "Parse error: \(detail)", data: ["code": "parse_error"])
    }
    public static func invalidRequest(_ detail: String) -> JSONRPCError {
        JSONRPCError(code: -32600, message: "Invalid Request: \(detail)", data: ["code": "invalid_request"])
    }
    public static func methodNotFound(_ method: String) -> JSONRPCError {
        JSONRPCError(code: -32601, message: "Method not found: \(method)", data: ["code": "method_not_found"])
    }
    public static func invalidParams(_ detail: String) -> JSONRPCError {
        JSONRPCError(code: -32602, message: "Invalid params: \(detail)", data: ["code": "invalid_params"])
    }
    /// Authentication failures (HTTP 401/403 carry this body).
    public static func unauthorized(_ detail: String, code: String = "unauthorized") -> JSONRPCError {
        JSONRPCError(code: -32001, message: detail, data: ["code": .string(code)])
    }
    public static func internalError(_ detail: String, code: String = "internal_error") -> JSONRPCError {
        JSONRPCError(code: -32603, message: detail, data: ["code": .string(code)])
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
