import Hummingbird
import JSON

/// The simulator's own control endpoints under `/_sim`. They need no credentials, are not logged,
/// faulted or rate limited, and exist only because the simulator is a local test tool: it must
/// never be reachable from outside the machine running the tests.
struct AdminRoutes: Sendable {
    let database: StoreDatabase
    let faults: FaultQueue
    let log: RequestLog
    let limiter: RateLimiter
    let webhooks: WebhookRegistry

    func register(on router: some RouterMethods<SimulatorRequestContext>) {
        router.post("_sim/faults") { request, _ in try await addFaults(request) }
        router.get("_sim/faults") { _, _ in
            Response.orderDesk(["status": "success", "faults": .array(faults.pending.map { $0.json() })])
        }
        router.delete("_sim/faults") { _, _ in
            Response.orderDesk(["status": "success", "cleared": .int(Int64(faults.clear()))])
        }
        router.get("_sim/requests") { request, _ in requests(request) }
        router.delete("_sim/requests") { _, _ in
            log.clear()
            return Response.orderDesk(["status": "success"])
        }
        router.post("_sim/reset") { request, _ in try await reset(request) }
        router.get("_sim/stores") { _, _ in try stores() }
        // Unknown admin paths answer here rather than falling through to the API's authentication.
        for method in [HTTPRequest.Method.get, .post, .put, .delete] {
            router.on("_sim/**", method: method) { request, _ -> Response in
                throw SimulatorError.notFound("Unknown admin endpoint \(request.uri.path).")
            }
        }
    }

    /// Body: one fault object, or an array of them (queued in array order).
    private func addFaults(_ request: Request) async throws -> Response {
        let body = try await request.jsonBody()
        let objects: [[String: JSONValue]]
        switch body {
        case .object(let object): objects = [object]
        case .array(let elements):
            objects = try elements.map {
                guard let object = $0.objectValue else { throw SimulatorError.badRequest("Each fault must be an object.") }
                return object
            }
        default: throw SimulatorError.badRequest("Request body must be a fault object or an array of them.")
        }
        var added: [JSONValue] = []
        var queued = 0
        for object in objects {
            let result = try faults.add(object)
            added.append(result.fault.json())
            queued = result.queued
        }
        let fault: JSONValue = added.count == 1 ? added[0] : .array(added)
        return .orderDesk(["status": "success", "fault": fault, "queued": .int(Int64(queued))])
    }

    /// Optional filters: `method`, `path` (same glob as faults), `store_id`.
    private func requests(_ request: Request) -> Response {
        let parameters = request.queryParameters
        let method = parameters["method"]?.uppercased()
        let pattern = parameters["path"].map(PathPattern.init)
        let storeID = parameters["store_id"]
        let entries = log.all.filter { entry in
            (method == nil || method == "*" || entry.method == method) && (pattern?.matches(entry.path) ?? true)
                && (storeID == nil || entry.storeID == storeID)
        }
        return .orderDesk(["count": .int(Int64(entries.count)), "requests": .array(entries.map { $0.json() })])
    }

    /// Clears faults, the request log, the webhook rules and their delivery log, and refills every bucket; `{"reseed": true}` also restores
    /// the seeded data. The body is optional.
    private func reset(_ request: Request) async throws -> Response {
        var reseed = false
        if let body = try? await request.jsonBody() { reseed = body["reseed"]?.boolValue ?? false }
        faults.clear()
        log.clear()
        webhooks.clear()
        limiter.refillAll()
        if reseed { database.reseed() }
        return .orderDesk(["status": "success", "reseeded": .bool(reseed)])
    }

    /// The configured stores (ids, names, folders, order counts; never keys), for demos and scripts.
    private func stores() throws -> Response {
        let stores = try database.storeIDs.map { id in
            try database.read(id) { store -> JSONValue in
                [
                    "store_id": .string(id), "name": .string(store.profile.name),
                    "orders": .int(Int64(store.orders.count)), "inventory_items": .int(Int64(store.inventory.count)),
                    "folders": .object(
                        Dictionary(uniqueKeysWithValues: store.profile.folders.map { (String($0.id), .string($0.name)) })),
                ]
            }
        }
        return .orderDesk(["status": "success", "stores": .array(stores)])
    }
}
