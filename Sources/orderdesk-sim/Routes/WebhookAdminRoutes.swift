import Hummingbird
import JSON

/// Admin endpoints for OrderDesk's "Post Order JSON" rules (reference §6) and for changes made
/// "in OrderDesk's UI". Like the other `/_sim` routes they need no credentials and are not logged,
/// faulted or rate limited.
///
/// - `POST /_sim/webhooks`: add a rule (`store_id`, `url`, optional `events`, `max_attempts`,
///   `retry_delay_ms`); `GET` lists the rules; `DELETE` removes every rule and the delivery log;
///   `DELETE /_sim/webhooks/{rule_id}` removes one rule (its deliveries stay in the log). Both stop
///   the retries of posts already fired: no attempt starts after the call answered.
/// - `GET /_sim/webhooks/deliveries`: one entry per attempt (filters `store_id`, `order_id`).
/// - `POST /_sim/webhooks/fire`: post an order's current state to the matching rules now.
/// - `POST /_sim/orders/{order_id}/edit`: change plain order fields outside the API, then post
///   `updated` unless `"fire": false`.
struct WebhookAdminRoutes: Sendable {
    let database: StoreDatabase
    let registry: WebhookRegistry
    let dispatcher: WebhookDispatcher

    func register(on router: some RouterMethods<SimulatorRequestContext>) {
        router.post("_sim/webhooks") { request, _ in try await addRule(request) }
        router.get("_sim/webhooks") { _, _ in
            Response.orderDesk(["status": "success", "rules": .array(registry.rules.map { $0.json() })])
        }
        router.delete("_sim/webhooks") { _, _ in
            registry.clear()
            return Response.orderDesk(["status": "success"])
        }
        router.delete("_sim/webhooks/:rule_id") { _, context in
            guard let id = context.parameters.get("rule_id").flatMap(Int64.init), registry.remove(id) else {
                throw SimulatorError.notFound("Unknown webhook rule.")
            }
            return Response.orderDesk(["status": "success"])
        }
        router.get("_sim/webhooks/deliveries") { request, _ in
            let parameters = request.queryParameters
            let deliveries = registry.deliveries(storeID: parameters["store_id"], orderID: parameters["order_id"])
            return Response.orderDesk([
                "count": .int(Int64(deliveries.count)), "deliveries": .array(deliveries.map { $0.json() }),
            ])
        }
        router.post("_sim/webhooks/fire") { request, _ in try await fire(request) }
        router.post("_sim/orders/:order_id/edit") { request, context in
            try await edit(request, orderID: context.parameters.get("order_id") ?? "")
        }
    }

    private func addRule(_ request: Request) async throws -> Response {
        let body = try await request.jsonObjectBody()
        let rule = try registry.add { id in
            let rule = try WebhookRule(id: id, body: body)
            guard database.profile(rule.storeID) != nil else {
                throw SimulatorError.badRequest("Unknown store \(rule.storeID).")
            }
            return rule
        }
        return .orderDesk(["status": "success", "rule": rule.json()])
    }

    /// Body `{"store_id", "order_id", "event"}` (`event` defaults to `updated`).
    private func fire(_ request: Request) async throws -> Response {
        let body = try await request.jsonObjectBody()
        let storeID = try requireStore(body)
        let eventName = body["event"]?.stringValue ?? WebhookEvent.updated.rawValue
        guard let event = WebhookEvent(rawValue: eventName) else {
            throw SimulatorError.badRequest("Unknown event \(eventName); use created, updated, moved, shipment.")
        }
        let orderID = body["order_id"]?.lenientString ?? ""
        let (id, order) = try database.read(storeID) { store in
            let order = try store.order(orderID)
            return (order.id, store.render(order))
        }
        let deliveries = await dispatcher.fireAwaitingFirstAttempts(storeID: storeID, orderID: id, event: event, order: order)
        return .orderDesk(["status": "success", "order": order, "deliveries": .array(deliveries)])
    }

    /// Body `{"store_id", "set": {field: value, …}, "fire": true}`. `set` may hold the plain text
    /// fields of an order (`email`, `shipping_method`, `payment_status`, `tag_name`, …), the
    /// writable totals and `folder_id` (an existing folder). Moves `date_updated`.
    private func edit(_ request: Request, orderID: String) async throws -> Response {
        let body = try await request.jsonObjectBody()
        let storeID = try requireStore(body)
        guard let changes = body["set"]?.objectValue, !changes.isEmpty else {
            throw SimulatorError.badRequest("set must be a non-empty object of order fields.")
        }
        let fire = body["fire"]?.boolValue ?? true
        let now = Timestamp.now()
        let (id, order) = try database.update(storeID) { store in
            var order = try store.order(orderID)
            for (key, value) in changes {
                try Self.apply(key, value, to: &order, profile: store.profile)
            }
            order.dateUpdated = now
            store.orders[order.id] = order
            return (order.id, store.render(order))
        }
        let deliveries =
            fire ? await dispatcher.fireAwaitingFirstAttempts(storeID: storeID, orderID: id, event: .updated, order: order) : []
        return .orderDesk(["status": "success", "order": order, "deliveries": .array(deliveries)])
    }

    private static func apply(_ key: String, _ value: JSONValue, to order: inout Order, profile: StoreProfile) throws {
        if let field = Order.writableText.first(where: { $0.key == key }) {
            guard let text = value.lenientString else { throw SimulatorError.badRequest("\(key) must be a string.") }
            order[keyPath: field.path] = text
        } else if let field = Order.writableTotals.first(where: { $0.key == key }) {
            guard let number = value.lenientDouble else { throw SimulatorError.badRequest("\(key) must be a number.") }
            order[keyPath: field.path] = number
        } else if key == "folder_id" {
            guard let folderID = value.lenientInt, profile.folder(id: folderID) != nil else {
                throw SimulatorError.badRequest("folder_id must be a folder of this store.")
            }
            order.folderID = folderID
        } else {
            let allowed = (Order.writableText.map(\.key) + Order.writableTotals.map(\.key) + ["folder_id"]).sorted()
            throw SimulatorError.badRequest("\(key) cannot be set here; use one of \(allowed.joined(separator: ", ")).")
        }
    }

    private func requireStore(_ body: [String: JSONValue]) throws -> String {
        guard let storeID = body["store_id"]?.lenientString, !storeID.isEmpty else {
            throw SimulatorError.badRequest("store_id is required.")
        }
        guard database.profile(storeID) != nil else { throw SimulatorError.notFound("Unknown store \(storeID).") }
        return storeID
    }
}
