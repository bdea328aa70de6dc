import App
import Foundation
import JSON

/// What a request's opening statement (`CallSnapshots.open`) reads besides the session: for a
/// `tools/call` of a tool that reads the cache (`Tool.cacheProbe`), every store of the tenant, the
/// `store` argument's ranks and the cache entry; for anything else only the session's active store.
struct CallOpening: Sendable {
    let allStores: Bool
    let storeReference: String?
    let probe: CacheProbe?
    /// The scope the rate limit will charge the call for, when the opening may make that decision
    /// (`TenantRateLimiter.openingRate`); nil for requests that are not such a tool call.
    let rateScope: KeyScope?

    static let sessionOnly = CallOpening(allStores: false, storeReference: nil, probe: nil, rateScope: nil)

    /// The opening of a call of `tool` with `arguments` by `principal` (arguments as sent: names the
    /// original product used are not read here, so such a call reads its cache entry later, as before).
    init(tool: any Tool, arguments: [String: JSONValue], principal: TenantPrincipal?) {
        let probe = tool.cacheProbe(for: arguments)
        self.init(
            allStores: probe != nil, storeReference: probe != nil ? arguments["store"]?.stringValue : nil, probe: probe,
            rateScope: Self.chargedScope(of: tool, by: principal))
    }

    private init(allStores: Bool, storeReference: String?, probe: CacheProbe?, rateScope: KeyScope?) {
        self.allStores = allStores
        self.storeReference = storeReference
        self.probe = probe
        self.rateScope = rateScope
    }

    /// The opening of a request carrying `message` (`sessionOnly` unless it calls a tool).
    init(message: JSONRPCMessage?, registry: ToolRegistry, principal: TenantPrincipal?) {
        guard case .request(_, "tools/call", let params)? = message,
            let tool = params["name"]?.stringValue.flatMap(registry.tool(named:))
        else {
            self = .sessionOnly
            return
        }
        self.init(tool: tool, arguments: params["arguments"]?.objectValue ?? [:], principal: principal)
    }

    /// The scope `ToolCallPipeline` will charge a call of `tool` by `principal` for, or nil when the
    /// pipeline may refuse it before charging: only a master key that passes the pipeline's scope
    /// checks (an access token's grant is checked first, and its calls are charged as before).
    /// Tokens taken for a call that is refused anyway are not lost: they stay in the allowance (and a
    /// call whose session is not found gives back the cost promised to it, `OpeningRate.release`).
    static func chargedScope(of tool: any Tool, by principal: TenantPrincipal?) -> KeyScope? {
        guard let principal, !principal.isAccessToken, principal.allows(tool.requiredScope),
            !(tool.managesStores && principal.isStoreRestricted)
        else { return nil }
        return tool.requiredScope
    }
}

extension CallSnapshots {
    func open(tenantID: UUID, sessionID: String?, _ opening: CallOpening, rate: TenantRateLimiter.OpeningRate? = nil)
        async throws -> CallSnapshot
    {
        try await open(
            tenantID: tenantID, sessionID: sessionID, allStores: opening.allStores,
            storeReference: opening.storeReference, probe: opening.probe, rate: rate)
    }
}
