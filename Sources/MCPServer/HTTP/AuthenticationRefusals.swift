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
/// is charged against `UnauthenticatedAdmission`: beyond its budget it gets 429 and neither is
/// written. (A refused key has already counted against the failed-login budget in
/// `auth_failure_buckets` by then: that write is capped per address by `AUTH_FAILURES_PER_MINUTE`.)
struct AuthenticationRefusals: Sendable {
    let sampler: AuthFailureAuditSampler
    let admission: UnauthenticatedAdmission
    let audit: AuditLog
    /// `PUBLIC_BASE_URL`: when set, challenges point at the protected resource metadata (RFC 9728)
    /// instead of naming a realm.
    let resource: ProtectedResource?
    let logger: Logger

    static let realm = "orderdesk-mcp"

    /// The failure to throw for this refusal, after auditing it. `reason` is
    /// `AuthenticationFailure.Reason`'s raw value, `malformed_header` or `session_key_revoked`.
    func refuse(
        _ reason: String, retryAfterSeconds: Int? = nil, request: Request, context: MCPRequestContext
    ) async -> MCPError {
        // Revoked keys and disabled tenants keep their audit row, whatever the address's budget.
        if !AuthFailureAuditSampler.alwaysAudited.contains(reason),
            let limited = await turnAway(clientIP: context.clientIP, correlationID: context.correlationID)
        {
            return limited.answering(context.jsonRPCID)
        }
        await auditFailure(reason: reason, request: request, context: context)
        if reason == AuthenticationFailure.Reason.tooManyAttempts.rawValue {
            return MCPError(from: AuthenticationFailure(.tooManyAttempts, retryAfterSeconds: retryAfterSeconds))
                .answering(context.jsonRPCID)
        }
        var failure = MCPError(
            .unauthorized,
            resource == nil
                ? "Authentication failed: send `Authorization: Bearer <master key>` with a valid, unrevoked key."
                : "Authentication failed: send `Authorization: Bearer <master key or OAuth access token>` with a "
                    + "valid, unrevoked credential (the challenge names the protected resource metadata)."
        ).answering(context.jsonRPCID)
        // RFC 6750 §3.1: a request that carried no credentials at all gets no error code.
        failure.challenge = unauthorizedChallenge(
            invalidCredential: reason != AuthenticationFailure.Reason.missing.rawValue)
        return failure
    }

    /// `WWW-Authenticate` of a 401: with `PUBLIC_BASE_URL`, the protected resource metadata and
    /// the scope to ask for (MCP authorization); without it, the realm as before.
    func unauthorizedChallenge(invalidCredential: Bool) -> String {
        let error = invalidCredential ? #", error="invalid_token""# : ""
        guard let resource else { return #"Bearer realm="\#(Self.realm)""# + error }
        return #"Bearer resource_metadata="\#(resource.metadataURL)", scope="orders:read""# + error
    }

    /// `WWW-Authenticate` of a 403 for an access token that lacks `scope` (RFC 6750 §3.1, MCP step-up
    /// authorization): the scopes to ask for and where the metadata is.
    static func insufficientScopeChallenge(scope: String, resource: ProtectedResource) -> String {
        #"Bearer error="insufficient_scope", scope="\#(scope)", resource_metadata="\#(resource.metadataURL)""#
    }

    /// Charges an unauthenticated request that is about to write something that is not a refusal
    /// (a session for `initialize`); throws the 429 when the address is over its budget.
    func chargeUnauthenticated(_ context: MCPRequestContext) throws(MCPError) {
        guard case .denied(let retryAfter) = admission.admit(address: context.clientIP) else { return }
        throw Self.overBudget(retryAfter: retryAfter).answering(context.jsonRPCID)
    }

    /// For a refused attempt about to write its audit row (a refused key at the edge, a refused
    /// login by tool): nil when it may be written; over the address's budget, the 429 to answer,
    /// and the attempt is only counted in the minute's `auth.failed.suppressed` row. A valid key is
    /// never charged: only refusals come here.
    func turnAway(clientIP: String?, correlationID: String) async -> MCPError? {
        guard case .denied(let retryAfter) = admission.admit(address: clientIP) else { return nil }
        if let ended = sampler.countSuppressed(address: clientIP) {
            await auditSuppressed(ended, correlationID: correlationID)
        }
        return Self.overBudget(retryAfter: retryAfter)
    }

    private static func overBudget(retryAfter: Int) -> MCPError {
        MCPError(
            .rateLimited, "Too many unauthenticated requests from this address; retry in \(retryAfter) seconds.",
            retryAfterSeconds: retryAfter)
    }

    private func auditFailure(reason: String, request: Request, context: MCPRequestContext) async {
        let (decision, ended) = sampler.decide(address: context.clientIP, reason: reason)
        if let ended { await auditSuppressed(ended, correlationID: context.correlationID) }
        guard decision == .write else { return }
        var record = AuditRecord(
            tenantID: nil, correlationID: context.correlationID, actor: nil, action: "auth.failed",
            params: ["reason": .string(reason)], outcome: "denied")
        record.clientIP = context.clientIP
        record.userAgent = request.headers[.userAgent].map { AuditParameters.capped($0, 300) }
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
