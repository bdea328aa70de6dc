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

    static let sessionOnly = CallOpening(allStores: false, storeReference: nil, probe: nil)

    /// The opening of a call of `tool` with `arguments` (as sent: names the original product used are
    /// not read here, so such a call reads its cache entry later, as before).
    init(tool: any Tool, arguments: [String: JSONValue]) {
        let probe = tool.cacheProbe(for: arguments)
        self.init(
            allStores: probe != nil, storeReference: probe != nil ? arguments["store"]?.stringValue : nil, probe: probe)
    }

    private init(allStores: Bool, storeReference: String?, probe: CacheProbe?) {
        self.allStores = allStores
        self.storeReference = storeReference
        self.probe = probe
    }

    /// The opening of a request carrying `message` (`sessionOnly` unless it calls such a tool).
    init(message: JSONRPCMessage?, registry: ToolRegistry) {
        guard case .request(_, "tools/call", let params)? = message,
            let tool = params["name"]?.stringValue.flatMap(registry.tool(named:)),
            let arguments = params["arguments"]?.objectValue
        else {
            self = .sessionOnly
            return
        }
        self.init(tool: tool, arguments: arguments)
    }
}

extension CallSnapshots {
    func open(tenantID: UUID, sessionID: String?, _ opening: CallOpening) async throws -> CallSnapshot {
        try await open(
            tenantID: tenantID, sessionID: sessionID, allStores: opening.allStores,
            storeReference: opening.storeReference, probe: opening.probe)
    }
}
