import App
import Foundation
import HTTPTypes
import Hummingbird
import JSON
import Logging

/// How the edge refuses a caller it cannot authenticate: a 401 with a Bearer challenge (or a 429
/// after too many failed attempts from the address), and an `auth.failed` audit row, unless this
/// address (or the replica) has had its share this minute (`AuthFailureAuditSampler`): then only
/// metrics count it, and one `auth.failed.suppressed` row sums the minute up once it is over.
/// Revoked keys and disabled tenants always get a row.
///
/// Before anything of an unauthenticated request is written (its audit row, a session), the address
/// is charged against `UnauthenticatedAdmission`: beyond its budget it gets 429 and nothing is written.
struct AuthenticationRefusals: Sendable {
    let sampler: AuthFailureAuditSampler
    let admission: UnauthenticatedAdmission
    let audit: AuditLog
    let logger: Logger

    static let realm = "orderdesk-mcp"

    /// The failure to throw for this refusal, after auditing it. `reason` is
    /// `AuthenticationFailure.Reason`'s raw value, `malformed_header` or `session_key_revoked`.
    func refuse(
        _ reason: String, retryAfterSeconds: Int? = nil, request: Request, context: MCPRequestContext, id: JSONValue? = nil
    ) async -> MCPError {
        // Revoked keys and disabled tenants keep their audit row, whatever the address's budget.
        if !AuthFailureAuditSampler.alwaysAudited.contains(reason), let limited = overBudget(context, id: id) {
            // Not written, but counted: the minute's auth.failed.suppressed row includes it.
            if let ended = sampler.countSuppressed(address: context.clientIP) {
                await auditSuppressed(ended, correlationID: context.correlationID)
            }
            return limited
        }
        await auditFailure(reason: reason, request: request, context: context)
        if reason == AuthenticationFailure.Reason.tooManyAttempts.rawValue {
            return MCPError(
                .rateLimited, "Too many failed authentication attempts; retry later.",
                retryAfterSeconds: retryAfterSeconds ?? 60
            ).answering(id)
        }
        var failure = MCPError(
            .unauthorized,
            "Authentication failed: send `Authorization: Bearer <master key>` with a valid, unrevoked key."
        ).answering(id)
        // RFC 6750 §3.1: a request that carried no credentials at all gets no error code.
        failure.challenge =
            reason == AuthenticationFailure.Reason.missing.rawValue
            ? #"Bearer realm="\#(Self.realm)""#
            : #"Bearer realm="\#(Self.realm)", error="invalid_token""#
        return failure
    }

    /// Charges a request without a valid credential that is about to write; throws the 429 when the
    /// address is over its budget.
    func chargeUnauthenticated(_ context: MCPRequestContext, id: JSONValue?) throws(MCPError) {
        if let limited = overBudget(context, id: id) { throw limited }
    }

    /// For a login by tool (`tenant_use_master_key`) whose key was refused: whether its audit row may
    /// be written. Over the address's budget the attempt is only counted, and the answer is the
    /// seconds to wait. A valid key is never charged: only refused logins come here.
    func admitRefusedLogin(clientIP: String?, correlationID: String) async -> Int? {
        guard case .denied(let retryAfter) = admission.admit(address: clientIP) else { return nil }
        if let ended = sampler.countSuppressed(address: clientIP) {
            await auditSuppressed(ended, correlationID: correlationID)
        }
        return retryAfter
    }

    private func overBudget(_ context: MCPRequestContext, id: JSONValue?) -> MCPError? {
        guard case .denied(let retryAfter) = admission.admit(address: context.clientIP) else { return nil }
        return MCPError(
            .rateLimited, "Too many unauthenticated requests from this address; retry in \(retryAfter) seconds.",
            retryAfterSeconds: retryAfter
        ).answering(id)
    }

    private func auditFailure(reason: String, request: Request, context: MCPRequestContext) async {
        let (decision, ended) = sampler.decide(address: context.clientIP, reason: reason)
        if let ended { await auditSuppressed(ended, correlationID: context.correlationID) }
        guard decision == .write else { return }
        var record = AuditRecord(
            tenantID: nil, correlationID: context.correlationID, actor: nil, action: "auth.failed",
            params: ["reason": .string(reason)], outcome: "denied")
        record.clientIP = context.clientIP
        record.userAgent = request.headers[.userAgent].map { String($0.prefix(300)) }
        record.errorCode = ErrorCode.unauthorized.rawValue
        do {
            try await audit.record(record)
        } catch {
            logger.error("could not audit an authentication failure", metadata: ["request_id": "\(context.correlationID)"])
        }
    }

    /// The summary row of a minute whose refused logins were not all audited, once it is over
    /// (`AuthFailureSummaryService` calls this every 15 s; a refusal after the minute may get there first).
    func auditSuppressedAuthFailures() async {
        guard let ended = sampler.endWindowIfOver() else { return }
        await auditSuppressed(ended, correlationID: UUID().uuidString.lowercased())
    }

    private func auditSuppressed(_ ended: AuthFailureAuditSampler.Suppressed, correlationID: String) async {
        let window = ended.windowStart.formatted(.iso8601)
        var summary = AuditRecord(
            tenantID: nil, correlationID: correlationID, actor: nil, action: "auth.failed.suppressed",
            params: [
                "attempts": .int(Int64(ended.attempts)), "addresses": .int(Int64(ended.addresses)),
                "window_start": .string(window), "window_seconds": .int(Int64(AuthFailureAuditSampler.windowSeconds)),
            ],
            outcome: "denied")
        summary.errorCode = ErrorCode.unauthorized.rawValue
        let counts: Logger.Metadata = [
            "attempts": "\(ended.attempts)", "addresses": "\(ended.addresses)", "window_start": "\(window)",
        ]
        logger.warning("authentication failures without an audit row in an ended window", metadata: counts)
        do {
            try await audit.record(summary)
        } catch {
            logger.error(
                "could not audit the count of authentication failures without a row",
                metadata: counts.merging(["request_id": "\(correlationID)"]) { $1 })
        }
    }
}
