import App
import JSON
import OrderDesk
import Postgres

extension MCPError {
    /// The one place where domain errors become `MCPError`s. Only a real database outage says
    /// `database_unavailable`; a value the database refused is the caller's (`validation_error`);
    /// anything unforeseen is `internal_error`, with details only in the log.
    public init(from error: any Error) {
        switch error {
        case let error as MCPError:
            self = error
        case let error as StoreError:
            self = Self.store(error)
        case let error as SessionError:
            switch error.reason {
            case .notFound: self = .notFound("This session has ended; initialize a new one.")
            case .boundToAnotherTenant:
                self = .forbidden("This session belongs to another tenant; start a new session for this key.")
            }
        case let error as AuthenticationFailure:
            self =
                error.reason == .tooManyAttempts
                ? MCPError(
                    .rateLimited, "Too many failed authentication attempts; wait and try again.",
                    retryAfterSeconds: error.retryAfterSeconds ?? 60)
                : MCPError(.unauthorized, "The master key was not accepted (\(error.reason.rawValue)).")
        case let error as OrderServiceError:
            self = Self.orders(error)
        case let error as OrderDeskError:
            self = Self.upstream(error)
        case let error as PostgresError where error.isOutage:
            self = .databaseUnavailable
        case let error as PostgresError where error.isRefusedInput:
            self = .validation("A value in the request cannot be stored (for example text with the NUL character U+0000).")
        default:
            self = .internalError
        }
    }

    private static func store(_ error: StoreError) -> MCPError {
        switch error.code {
        case .validation: MCPError(.validationError, error.message)
        case .duplicateStoreID: MCPError(.duplicateStoreID, error.message)
        case .duplicateName: MCPError(.duplicateName, error.message)
        case .notFound: MCPError(.notFound, error.message)
        case .invalidCredentials: MCPError(.invalidCredentials, error.message)
        case .upstream: error.upstream.map(MCPError.init(from:)) ?? MCPError(.upstreamError, error.message)
        }
    }

    private static func orders(_ error: OrderServiceError) -> MCPError {
        switch error.code {
        case .rateLimited: MCPError(.rateLimited, error.message, retryAfterSeconds: error.retryAfterSeconds)
        case .conflict:
            MCPError(
                .conflict, error.message, retryAfterSeconds: error.retryAfterSeconds,
                details: error.currentDateUpdated.map { ["current_date_updated": .string($0)] })
        case .idempotencyMismatch: MCPError(.idempotencyMismatch, error.message)
        case .validation: MCPError(.validationError, error.message)
        case .notFound: MCPError(.notFound, error.message)
        }
    }

    private static func upstream(_ error: OrderDeskError) -> MCPError {
        let retryAfter = error.retryAfter.map { Int(($0 / .seconds(1)).rounded(.up)) }
        let code: ErrorCode
        switch error.code {
        case .unauthorized: code = .upstreamUnauthorized
        case .notFound: code = .notFound
        case .rateLimited: code = .rateLimited
        case .conflict: code = .conflict
        case .validation: code = .validationError
        case .upstreamUnavailable, .timeout: code = .upstreamUnavailable
        default: code = .upstreamError
        }
        let details: JSONValue? = error.currentDateUpdated.map { ["current_date_updated": .string($0)] }
        return MCPError(code, error.message, retryAfterSeconds: retryAfter, details: details)
    }
}

extension PostgresError {
    /// Refusals a caller's text can cause (a NUL byte, an unencodable or overlong value): the
    /// caller's to fix. Every other data or constraint error is a bug or a race of ours.
    fileprivate var isRefusedInput: Bool {
        code == .invalidQuery || ["22021", "22P05", "22001", "54000"].contains(sqlState ?? "")
    }
}
