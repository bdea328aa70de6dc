import App
import JSON
import OrderDesk
import Postgres

/// The one place where domain errors become tool error codes. Messages are written for the user
/// and never include SQL, secrets or server internals.
enum ToolErrorMapping {
    static func failure(for error: any Error) -> ToolFailure {
        switch error {
        case let failure as ToolFailure:
            return failure
        case let error as StoreError:
            switch error.code {
            case .validation: return ToolFailure(code: "validation_error", message: error.message)
            case .duplicateStoreID: return ToolFailure(code: "duplicate_store_id", message: error.message)
            case .duplicateName: return ToolFailure(code: "duplicate_name", message: error.message)
            case .notFound: return ToolFailure(code: "not_found", message: error.message)
            case .invalidCredentials: return ToolFailure(code: "invalid_credentials", message: error.message)
            case .upstream:
                return error.upstream.map(failure(for:)) ?? ToolFailure(code: "upstream_error", message: error.message)
            }
        case let error as SessionError:
            switch error.reason {
            case .notFound:
                return ToolFailure(code: "not_found", message: "This session has ended; initialize a new one.")
            case .boundToAnotherTenant:
                return ToolFailure.forbidden("This session belongs to another tenant; start a new session for this key.")
            }
        case let error as AuthenticationFailure:
            if error.reason == .tooManyAttempts {
                return ToolFailure(
                    code: "rate_limited", message: "Too many failed authentication attempts; wait and try again.",
                    retryAfterSeconds: error.retryAfterSeconds)
            }
            return ToolFailure(code: "unauthorized", message: "The master key was not accepted (\(error.reason.rawValue)).")
        case let error as OrderServiceError:
            switch error.code {
            case .rateLimited:
                return ToolFailure(code: "rate_limited", message: error.message, retryAfterSeconds: error.retryAfterSeconds)
            case .conflict:
                return ToolFailure(
                    code: "conflict", message: error.message, retryAfterSeconds: error.retryAfterSeconds,
                    details: error.currentDateUpdated.map { ["current_date_updated": .string($0)] })
            case .idempotencyMismatch:
                return ToolFailure(code: "idempotency_mismatch", message: error.message)
            }
        case let error as OrderDeskError:
            return upstream(error)
        case let error as PostgresError where error.isOutage:
            return ToolFailure(
                code: "database_unavailable", message: "The service's database is unavailable right now; retry shortly.",
                retryAfterSeconds: 5)
        default:
            return ToolFailure(code: "internal_error", message: "Something went wrong on our side; the request id identifies it.")
        }
    }

    private static func upstream(_ error: OrderDeskError) -> ToolFailure {
        let retryAfter = error.retryAfter.map { Int(($0 / .seconds(1)).rounded(.up)) }
        let code: String
        switch error.code {
        case .unauthorized: code = "upstream_unauthorized"
        case .notFound: code = "not_found"
        case .rateLimited: code = "rate_limited"
        case .conflict: code = "conflict"
        case .validation: code = "validation_error"
        case .upstreamUnavailable, .timeout: code = "upstream_unavailable"
        default: code = "upstream_error"
        }
        let details: JSONValue? = error.currentDateUpdated.map { ["current_date_updated": .string($0)] }
        return ToolFailure(code: code, message: error.message, retryAfterSeconds: retryAfter, details: details)
    }
}
