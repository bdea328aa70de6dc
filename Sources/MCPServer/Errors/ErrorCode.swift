import HTTPTypes

/// The stable, machine-readable name of every failure this service reports: the `code` of a tool
/// error result and the `data.code` of a JSON-RPC error. Clients branch on these: never rename one.
public enum ErrorCode: String, Sendable {
    // The request itself.
    case parseError = "parse_error"
    case invalidRequest = "invalid_request"
    case methodNotFound = "method_not_found"
    case invalidParams = "invalid_params"
    /// `tools/call` named no tool or an unknown one (the JSON-RPC error says `invalid_params`; the
    /// audit row says this).
    case unknownTool = "unknown_tool"
    // Who is calling.
    case unauthorized
    case forbidden
    case rateLimited = "rate_limited"
    // What a tool found.
    case validationError = "validation_error"
    case notFound = "not_found"
    case conflict
    case noActiveStore = "no_active_store"
    case duplicateStoreID = "duplicate_store_id"
    case duplicateName = "duplicate_name"
    case invalidCredentials = "invalid_credentials"
    case idempotencyMismatch = "idempotency_mismatch"
    // OrderDesk.
    case upstreamUnauthorized = "upstream_unauthorized"
    case upstreamError = "upstream_error"
    case upstreamUnavailable = "upstream_unavailable"
    // Ours.
    case databaseUnavailable = "database_unavailable"
    case internalError = "internal_error"

    /// The JSON-RPC error code a failure with this code carries.
    var jsonRPCCode: Int {
        switch self {
        case .parseError: -32700
        case .invalidRequest: -32600
        case .methodNotFound: -32601
        case .invalidParams, .unknownTool, .validationError: -32602
        case .unauthorized, .forbidden, .rateLimited: -32001
        default: -32603
        }
    }

    /// The HTTP status of a failure that ends the exchange before a JSON-RPC method runs (inside a
    /// method, JSON-RPC errors and tool errors travel in a 200, so the tool-only codes never get here).
    var httpStatus: HTTPResponse.Status {
        switch self {
        case .parseError, .invalidRequest, .invalidParams, .validationError: .badRequest
        case .notFound: .notFound
        case .unauthorized: .unauthorized
        case .forbidden: .forbidden
        case .rateLimited: .tooManyRequests
        case .databaseUnavailable: .serviceUnavailable
        default: .internalServerError
        }
    }

    /// `audit_log.outcome` of a call that failed this way.
    var auditOutcome: String {
        switch self {
        case .rateLimited: "rate_limited"
        case .unauthorized, .forbidden: "denied"
        default: "error"
        }
    }

    /// Failures that are ours, not the caller's: logged with their cause.
    var isServerFault: Bool { self == .internalError || self == .databaseUnavailable }
}
