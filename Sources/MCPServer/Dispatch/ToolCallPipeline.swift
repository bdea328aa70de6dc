import App
import Cryptography
import Foundation
import JSON
import Logging

/// Runs one `tools/call`: validation, scope, rate limit, audit, the tool, and the result shape.
///
/// Order matters: a write is audited as `started` before it acts, and if that audit row cannot be
/// written the tool does not run. Every call ends with exactly one final audit row.
struct ToolCallPipeline: Sendable {
    let registry: ToolRegistry
    let services: ServerServices
    let replicaID: String
    /// Charges refused logins by tool against their address's unauthenticated budget.
    let refusals: AuthenticationRefusals

    struct Caller: Sendable {
        let principal: TenantPrincipal?
        /// nil in 2026-07-28, which has no sessions.
        let session: MCPSession?
        /// The revision the request speaks (the session's, or the request's own in 2026-07-28).
        let protocolVersion: String
        let traceParent: TraceParent?
        let correlationID: String
        let clientIP: String?
        let userAgent: String?
        let logger: Logger
        /// What the request's opening statement read (legacy revisions: `SessionMiddleware`).
        var snapshot: CallSnapshot? = nil
    }

    /// The `tools/call` result (success or `isError`), or a JSON-RPC error for an unknown tool.
    func call(params: [String: JSONValue], caller: Caller) async throws(MCPError) -> ToolResult {
        guard case .string(let name)? = params["name"] else {
            await auditRejected(action: "tools/call", caller: caller)
            throw .invalidParams("`name` (the tool name) is required")
        }
        guard let tool = registry.tool(named: name) else {
            await auditRejected(action: AuditParameters.capped(name, 100), caller: caller)
            throw .invalidParams(
                "Unknown tool: \(AuditParameters.capped(name, 100)). Call tools/list for the available tools.")
        }
        if tool.needsSession && caller.session == nil {
            await auditRejected(action: tool.name, caller: caller)
            throw .invalidParams(
                "Unknown tool in \(caller.protocolVersion): \(tool.name) authenticates a session, and this revision has "
                    + "none. Send `Authorization: Bearer <master key>` with every request instead.")
        }
        let sentArguments: JSONValue
        switch params["arguments"] {
        case .none, .some(.null): sentArguments = [:]
        case .some(let value): sentArguments = value
        }
        let started = ContinuousClock.now
        // The original product's argument names, renamed (a conflict between both spellings is
        // reported after the rate limit, like any invalid call).
        let renaming = Result { () throws(MCPError) in
            try ArgumentAliases.normalize(sentArguments, aliases: ArgumentAliases.of(tool))
        }
        let rawArguments = (try? renaming.get()) ?? sentArguments
        let redactor = Redactor(knownSecrets: Self.secrets(in: rawArguments))
        var record = AuditRecord(
            tenantID: caller.principal?.tenantID, correlationID: caller.correlationID,
            actor: caller.principal?.keyPrefix, action: tool.name,
            params: AuditParameters.record(rawArguments, redactor: redactor), outcome: "started")
        caller.label(&record)
        record.replicaID = replicaID
        record.clientIP = caller.clientIP
        record.userAgent = caller.userAgent.map { AuditParameters.capped($0, 300) }
        var callAudit: CallAudit?
        var opened = caller.snapshot
        // 2026-07-28 has no session: a call of a tool that reads the cache opens itself (stores and
        // cache entry in one statement instead of two transactions).
        let statelessOpening: CallOpening? = {
            guard opened == nil, caller.session == nil, let principal = caller.principal else { return nil }
            let opening = CallOpening(tool: tool, arguments: rawArguments.objectValue ?? [:], principal: principal)
            return opening.probe != nil ? opening : nil
        }()

        let outcome: Result<JSONValue, MCPError>
        do {
            if caller.principal == nil && !tool.allowedWithoutTenant {
                throw MCPError.notAuthenticated
            }
            if let principal = caller.principal, principal.isAccessToken {
                try checkGrant(principal, for: tool)
            } else if let principal = caller.principal {
                guard principal.allows(tool.requiredScope) else {
                    throw MCPError.forbidden("This master key is read-only; \(tool.name) needs a key with write scope.")
                }
                guard !(tool.managesStores && principal.isStoreRestricted) else {
                    throw MCPError.forbidden(
                        "This master key is limited to some stores; \(tool.name) needs a key for all of the tenant's stores.")
                }
            }
            if let principal = caller.principal {
                // It opens here when its rate decision is due, so that the decision rides along (legacy
                // revisions open in `SessionMiddleware`); else after validation, as before.
                // A reservation made here is spent by `consume` right below.
                if let opening = statelessOpening, let scope = opening.rateScope {
                    let rate = services.rateLimiter.openingRate(tenantID: principal.tenantID, scope: scope)
                    if rate.charge != nil {
                        opened = try await services.snapshots.open(
                            tenantID: principal.tenantID, sessionID: nil, opening, rate: rate)
                    }
                }
                let cost = services.rateLimits.cost(of: tool.requiredScope)
                if case .denied(let retryAfter) = try await services.rateLimiter.consume(tenantID: principal.tenantID, cost: cost)
                {
                    throw MCPError(
                        .rateLimited, "This tenant is over its request rate; retry after \(retryAfter) s.",
                        retryAfterSeconds: retryAfter)
                }
            }
            // After the rate limit, so invalid calls are charged like any other.
            do {
                _ = try renaming.get()
                try ArgumentValidator.validate(rawArguments, against: tool.inputSchema)
            } catch {
                record.params = AuditParameters.namesOnly(rawArguments)
                throw error
            }
            let arguments = ToolArguments(values: rawArguments.objectValue ?? [:])
            let audit = CallAudit(log: services.audit, redactor: redactor, startedRow: record)
            callAudit = audit
            var context = ToolContext(
                principal: caller.principal, session: caller.session, services: services,
                correlationID: caller.correlationID, clientIP: caller.clientIP, logger: caller.logger, callAudit: audit)
            if opened == nil, let opening = statelessOpening, let principal = caller.principal {
                opened = try await services.snapshots.open(tenantID: principal.tenantID, sessionID: nil, opening)
            }
            context.snapshot = opened
            outcome = .success(try await tool.call(arguments: arguments, context: context))
        } catch {
            let failure = MCPError(from: error)
            if failure.code.isServerFault {
                caller.logger.error(
                    "tool call failed",
                    metadata: ["tool": "\(tool.name)", "error": "\(redactor.redact(String(describing: error)))"])
            }
            outcome = .failure(failure)
        }

        if caller.principal == nil, case .failure = outcome,
            let limited = await refusals.turnAway(clientIP: caller.clientIP, correlationID: caller.correlationID)
        {
            // A refused login over its address's budget: counted, not written, and told to wait.
            ToolMetrics.finished(tool: tool.name, outcome: "rate_limited", code: limited.code.rawValue, duration: .zero)
            return Self.result(.failure(limited), correlationID: caller.correlationID)
        }
        // tenant_use_master_key learns the tenant only during the call.
        if record.tenantID == nil, case .success = outcome, let tenant = callAudit?.reportedTenant { record.tenantID = tenant }
        if let callAudit { record = callAudit.naming(record) }
        let auditedStart = callAudit?.startedRowWritten ?? false
        if tool.requiredScope == .write, record.tenantID != nil, !auditedStart, case .success = outcome {
            caller.logger.critical("a write tool succeeded without its started audit row", metadata: ["tool": "\(tool.name)"])
        }
        record.durationMilliseconds = Int((ContinuousClock.now - started) / .milliseconds(1))
        switch outcome {
        case .success:
            record.outcome = "ok"
        case .failure(let failure):
            record.outcome = failure.code.auditOutcome
            record.errorCode = failure.code.rawValue
        }
        ToolMetrics.finished(
            tool: tool.name, outcome: record.outcome, code: record.errorCode, duration: ContinuousClock.now - started)
        // One line per call at LOG_LEVEL=debug (request_id and trace_id come with the logger).
        caller.logger.debug(
            "tool call",
            metadata: [
                "tool": "\(tool.name)", "outcome": "\(record.outcome)", "protocol_version": "\(caller.protocolVersion)",
                "duration_ms": "\(record.durationMilliseconds ?? 0)",
            ])
        do {
            try await services.audit.record(record)
        } catch {
            caller.logger.error("audit write failed", metadata: ["tool": "\(tool.name)", "started_row": "\(auditedStart)"])
            if case .success = outcome {
                // The call happened but cannot be proven: tell the caller rather than pretend, and
                // say that a write was applied, so a client does not repeat it blindly.
                let unproven = MCPError(from: error)
                let failure =
                    tool.requiredScope == .write
                    ? MCPError(
                        unproven.code,
                        "The change was made, but the audit log could not record it (\(unproven.message)). "
                            + "Do not repeat it blindly: read the result back first.",
                        retryAfterSeconds: unproven.retryAfterSeconds, details: ["applied": true])
                    : unproven
                return Self.result(.failure(failure), correlationID: caller.correlationID)
            }
        }
        // An access token short of a scope: a 403 with its challenge, in every revision (audited above).
        if case .failure(let failure) = outcome, failure.endsExchange { throw failure }
        return Self.result(outcome, correlationID: caller.correlationID)
    }

    /// What an OAuth access token may call. A tool that manages stores needs `stores:manage` (instead
    /// of `orders:write`) and a grant for all of the tenant's stores; any other tool needs
    /// `orders:read`, or `orders:write` for a write. A missing scope is a 403 `insufficient_scope`
    /// naming the scopes to ask for (MCP step-up authorization), decided before the tool runs.
    private func checkGrant(_ principal: TenantPrincipal, for tool: any Tool) throws(MCPError) {
        if tool.managesStores {
            guard case .accessToken(managesStores: true) = principal.credential else {
                throw insufficientScope("orders:read stores:manage", tool: tool)
            }
            guard !principal.isStoreRestricted else {
                throw MCPError.forbidden(
                    "This access token is limited to some stores; \(tool.name) needs a grant for all of the tenant's stores.")
            }
            return
        }
        guard principal.allows(tool.requiredScope) else {
            throw insufficientScope(tool.requiredScope == .write ? "orders:read orders:write" : "orders:read", tool: tool)
        }
    }

    private func insufficientScope(_ scope: String, tool: any Tool) -> MCPError {
        var failure = MCPError(
            .forbidden,
            "This access token was not granted the scope \(tool.name) needs; authorize again with scope \"\(scope)\".",
            details: ["scope": .string(scope)], status: .forbidden)
        if let resource = refusals.resource {
            failure.challenge = AuthenticationRefusals.insufficientScopeChallenge(scope: scope, resource: resource)
        }
        failure.endsExchange = true
        return failure
    }

    /// A `tools/call` refused before any tool ran (no or unknown tool name) is audited too.
    private func auditRejected(action: String, caller: Caller) async {
        ToolMetrics.rejected()
        var record = AuditRecord(
            tenantID: caller.principal?.tenantID, correlationID: caller.correlationID,
            actor: caller.principal?.keyPrefix, action: action.isEmpty ? "tools/call" : action, outcome: "error")
        record.errorCode = ErrorCode.unknownTool.rawValue
        caller.label(&record)
        record.replicaID = replicaID
        record.clientIP = caller.clientIP
        record.userAgent = caller.userAgent.map { AuditParameters.capped($0, 300) }
        do {
            try await services.audit.record(record)
        } catch {
            caller.logger.error("audit write failed", metadata: ["action": "tools/call"])
        }
    }

    /// The result: the tool's value or its failure, with the call's correlation id.
    static func result(_ outcome: Result<JSONValue, MCPError>, correlationID: String) -> ToolResult {
        switch outcome {
        case .success(let value): ToolResult(structured: value, isError: false, correlationID: correlationID)
        case .failure(let failure): ToolResult(structured: failure.toolResult, isError: true, correlationID: correlationID)
        }
    }

    /// Values that must never be stored or logged even outside secret-named fields.
    private static func secrets(in arguments: JSONValue) -> [String] {
        ["api_key", "master_key"].compactMap { arguments[$0]?.stringValue }
    }
}

extension ToolCallPipeline.Caller {
    /// What every audit row of the call says about the caller's connection.
    func label(_ record: inout AuditRecord) {
        record.sessionHash = session?.idHashHex
        record.protocolVersion = protocolVersion.isEmpty ? nil : protocolVersion
        record.traceParent = traceParent?.value
    }
}
