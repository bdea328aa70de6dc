import HTTPTypes

/// The stable, machine-readable name of every failure this service reports: the `code` of a tool
/// error result and the `data.code` of a JSON-RPC error. Clients branch on these: never rename one.
public enum ErrorCode: String, Sendable {
    // The request itself.
    case parseError = "parse_error"
    case invalidRequest = "invalid_request"
    case methodNotFound = "method_not_found"
    case invalidParams = "invalid_params"
    /// 2026-07-28: an `MCP-Protocol-Version`, `Mcp-Method` or `Mcp-Name` header is missing or
    /// disagrees with the body (`HeaderMismatch`).
    case headerMismatch = "header_mismatch"
    /// The requested protocol revision is not one this server speaks (`UnsupportedProtocolVersion`).
    case unsupportedProtocolVersion = "unsupported_protocol_version"
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
    /// The caller's key is limited to some stores and the call selected another
    /// (`master_key_metadata.store_ids`).
    case storeNotAllowed = "store_not_allowed"
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
        case .headerMismatch: -32020
        case .unsupportedProtocolVersion: -32022
        case .invalidParams, .unknownTool, .validationError: -32602
        case .unauthorized, .forbidden, .storeNotAllowed, .rateLimited: -32001
        default: -32603
        }
    }

    /// The HTTP status of a failure that ends the exchange: at the edge, and for every JSON-RPC error
    /// of a 2026-07-28 request (that revision gives unknown methods 404 and bad params 400). Legacy
    /// session methods answer their JSON-RPC errors in a 200; tool errors always travel in a 200.
    var httpStatus: HTTPResponse.Status {
        switch self {
        case .parseError, .invalidRequest, .invalidParams, .unknownTool, .validationError, .headerMismatch,
            .unsupportedProtocolVersion:
            .badRequest
        case .notFound, .methodNotFound: .notFound
        case .unauthorized: .unauthorized
        case .forbidden, .storeNotAllowed: .forbidden
        case .rateLimited: .tooManyRequests
        case .databaseUnavailable: .serviceUnavailable
        default: .internalServerError
        }
    }

    /// `audit_log.outcome` of a call that failed this way.
    var auditOutcome: String {
        switch self {
        case .rateLimited: "rate_limited"
        case .unauthorized, .forbidden, .storeNotAllowed: "denied"
        default: "error"
        }
    }

    /// Failures that are ours, not the caller's: logged with their cause.
    var isServerFault: Bool { self == .internalError || self == .databaseUnavailable }
}
