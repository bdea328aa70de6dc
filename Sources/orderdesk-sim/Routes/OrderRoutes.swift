import Hummingbird
import JSON

/// `/orders` and `/orders/{id}`: search, read, create, replace, delete.
struct OrderRoutes: Sendable {
    let database: StoreDatabase
    let webhooks: WebhookDispatcher

    func register(on router: some RouterMethods<SimulatorRequestContext>) {
        router.get("orders") { request, context in try list(request, context) }
        router.post("orders") { request, context in try await create(request, context) }
        router.get("orders/:order_id") { request, context in try get(request, context) }
        router.put("orders/:order_id") { request, context in try await replace(request, context) }
        router.delete("orders/:order_id") { _, context in try delete(context) }
    }

    private func list(_ request: Request, _ context: SimulatorRequestContext) throws -> Response {
        let storeID = try context.requireStore()
        let page = try database.read(storeID) { store -> (total: Int, orders: [JSONValue], query: (Int, Int)) in
            let query = try OrderQuery(parameters: request.queryParameters, profile: store.profile)
            let counts = store.emailCounts()
            let matching = store.orders.values.filter(query.matches).map {
                store.render($0, includeHistory: query.includeHistory, emailCounts: counts)
            }
            let sorted = query.sort(matching)
            let pageOrders = Array(sorted.dropFirst(query.offset).prefix(query.limit))
            return (matching.count, pageOrders, (query.offset, query.limit))
        }
        return .orderDeskSuccess(
            [
                "message": .string("Execution took \(context.executionTime)"),
                "total_records": .int(Int64(page.total)),
                "records_returned": .int(Int64(page.orders.count)),
                "offset": .int(Int64(page.query.0)),
                "limit": .int(Int64(page.query.1)),
                "orders": .array(page.orders),
            ], context: context)
    }

    private func get(_ request: Request, _ context: SimulatorRequestContext) throws -> Response {
        let includeHistory = ["1", "true"].contains(request.queryParameters["get_order_history"] ?? "")
        let order = try database.read(try context.requireStore()) { store in
            store.render(try store.order(orderID(context)), includeHistory: includeHistory)
        }
        return .orderDeskSuccess(
            ["message": .string("Execution took \(context.executionTime)"), "order": order], context: context)
    }

    /// `POST /orders`. Validation follows the reference: at least one item, and a name or company on
    /// the customer or shipping address. Defaults: `source_name` "Order Desk", `source_id` = the new
    /// id, first folder, missing address copied from the other one, `payment_status` "Captured".
    /// An order whose `source_id` + `source_name` match an existing order is a duplicate.
    private func create(_ request: Request, _ context: SimulatorRequestContext) async throws -> Response {
        let body = try await request.jsonObjectBody()
        let now = Timestamp.now()
        let storeID = try context.requireStore()
        let (id, order) = try database.update(storeID) { store in
            let entries = try body.objects("order_items")
            guard !entries.isEmpty else { throw SimulatorError.badRequest("An order needs at least one order item.") }
            var folderID = store.profile.folders[0].id
            if let requested = try body.optionalInteger("folder_id") {
                guard store.profile.folder(id: requested) != nil else {
                    throw SimulatorError.badRequest("Folder \(requested) does not exist in this store.")
                }
                folderID = requested
            }
            var order = Order(id: store.nextOrderID, folderID: folderID, dateAdded: now)
            try order.replaceWritableFields(from: body, now: now)
            guard order.hasNameOrCompany else {
                throw SimulatorError.badRequest(
                    "A first and last name combination or a company name must be entered to be a valid order.")
            }
            if body.has("date_added") {
                guard let added = Timestamp.unix(from: body.text("date_added")) else {
                    throw SimulatorError.badRequest("date_added must be YYYY-MM-DD HH:MM:SS.")
                }
                order.dateAdded = Timestamp.string(fromUnix: added)
            }
            if order.sourceName.isEmpty { order.sourceName = "Order Desk" }
            if !order.sourceID.isEmpty,
                let existing = store.orders.values.first(where: {
                    $0.sourceID == order.sourceID && $0.sourceName.caseInsensitiveCompare(order.sourceName) == .orderedSame
                })
            {
                throw SimulatorError.badRequest(
                    "Duplicate order: order \(existing.id) already has source_id \(order.sourceID) from \(order.sourceName).")
            }
            if order.sourceID.isEmpty { order.sourceID = String(order.id) }
            if order.shipping.isBlank { order.shipping = order.customer }
            if order.customer.isBlank {
                order.customer = order.shipping
                order.customer.address3 = ""
                order.customer.address4 = ""
            }
            if order.paymentStatus.isEmpty { order.paymentStatus = "Captured" }
            var nextItemID = store.nextItemID
            try order.reconcileItems(with: entries, nextItemID: &nextItemID)
            order.history.append(HistoryEntry(sourceName: "API", note: "Order Created", dateAdded: now))

            store.nextItemID = nextItemID
            store.nextOrderID += 1
            store.orders[order.id] = order
            return (order.id, store.render(order))
        }
        webhooks.fire(storeID: storeID, orders: [(id, order)], event: .created)
        return .orderDeskSuccess(["message": "Order Created", "order": order], context: context)
    }

    /// `PUT /orders/{id}`: full replacement. Omitted fields become blank; `order_items` entries are
    /// matched by id (updated), added (no or unknown id) or removed (not listed) — when the body has
    /// no `order_items` key at all the items are kept. Shipments, history, `date_added` and the
    /// folder are never changed by a PUT (use `/move-orders` for folders).
    private func replace(_ request: Request, _ context: SimulatorRequestContext) async throws -> Response {
        let body = try await request.jsonObjectBody()
        let now = Timestamp.now()
        let storeID = try context.requireStore()
        let (id, order) = try database.update(storeID) { store in
            var order = try store.order(orderID(context))
            try order.replaceWritableFields(from: body, now: now)
            guard order.hasNameOrCompany else {
                throw SimulatorError.badRequest(
                    "A first and last name combination or a company name must be entered to be a valid order.")
            }
            var nextItemID = store.nextItemID
            if body.has("order_items") {
                try order.reconcileItems(with: body.objects("order_items"), nextItemID: &nextItemID)
            }
            order.dateUpdated = now
            store.nextItemID = nextItemID
            store.orders[order.id] = order
            return (order.id, store.render(order))
        }
        webhooks.fire(storeID: storeID, orders: [(id, order)], event: .updated)
        return .orderDeskSuccess(["message": "Order Updated", "order": order], context: context)
    }

    private func delete(_ context: SimulatorRequestContext) throws -> Response {
        let id = try database.update(try context.requireStore()) { store in
            let order = try store.order(orderID(context))
            store.orders[order.id] = nil
            return order.id
        }
        return .orderDeskSuccess(["message": .string("Order \(id) Deleted")], context: context)
    }

    private func orderID(_ context: SimulatorRequestContext) -> String {
        context.parameters.get("order_id") ?? ""
    }
}
