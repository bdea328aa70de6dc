import JSON

/// A tool call that did not succeed, reported to the model as an `isError` result.
///
/// `code` is stable and machine-readable; `message` says what to do next and never carries a
/// secret, SQL or a stack trace.
public struct ToolFailure: Error, Sendable, Equatable {
    public let code: String
    public let message: String
    public let retryAfterSeconds: Int?
    /// Extra structured details (e.g. the stores to choose from).
    public let details: JSONValue?

    public init(code: String, message: String, retryAfterSeconds: Int? = nil, details: JSONValue? = nil) {
        self.code = code
        self.message = message
        self.retryAfterSeconds = retryAfterSeconds
        self.details = details
    }

    public static func validation(_ message: String) -> ToolFailure { ToolFailure(code: "validation_error", message: message) }
    public static func notFound(_ message: String) -> ToolFailure { ToolFailure(code: "not_found", message: message) }
    public static func forbidden(_ message: String) -> ToolFailure { ToolFailure(code: "forbidden", message: message) }

    var json: JSONValue {
        var error: [String: JSONValue] = ["code": .string(code), "message": .string(message)]
        if let retryAfterSeconds { error["retry_after"] = .int(Int64(retryAfterSeconds)) }
        if let details { error["details"] = details }
        return ["error": .object(error)]
    }
}
