import Hummingbird
import JSON

/// `/orders/{id}/order-items`: the items of one order. Every change recomputes the order's totals
/// (they are derived) and moves its `date_updated`.
struct OrderItemRoutes: Sendable {
    let database: StoreDatabase
    let webhooks: WebhookDispatcher

    func register(on router: some RouterMethods<SimulatorRequestContext>) {
        router.get("orders/:order_id/order-items") { _, context in try list(context) }
        router.get("orders/:order_id/order-items/:item_id") { _, context in try get(context) }
        router.post("orders/:order_id/order-items") { request, context in try await add(request, context) }
        router.put("orders/:order_id/order-items/:item_id") { request, context in try await update(request, context) }
        router.delete("orders/:order_id/order-items/:item_id") { _, context in try delete(context) }
    }

    private func list(_ context: SimulatorRequestContext) throws -> Response {
        let items = try database.read(try context.requireStore()) { store in
            try store.order(orderID(context)).items.map { $0.json() }
        }
        return .orderDeskSuccess(["total_records": .int(Int64(items.count)), "order_items": .array(items)], context: context)
    }

    private func get(_ context: SimulatorRequestContext) throws -> Response {
        let item = try database.read(try context.requireStore()) { store in
            try Self.item(in: store.order(orderID(context)), context).json()
        }
        return .orderDeskSuccess(["order_item": item], context: context)
    }

    private func add(_ request: Request, _ context: SimulatorRequestContext) async throws -> Response {
        let body = try await request.jsonObjectBody()
        let now = Timestamp.now()
        let storeID = try context.requireStore()
        let (orderNumber, item, rendered) = try database.update(storeID) { store in
            var order = try store.order(orderID(context))
            let item = try OrderItem(id: store.nextItemID, from: body)
            store.nextItemID += 1
            order.items.append(item)
            order.dateUpdated = now
            store.orders[order.id] = order
            return (order.id, item.json(), store.render(order))
        }
        webhooks.fire(storeID: storeID, orders: [(orderNumber, rendered)], event: .updated)
        return .orderDeskSuccess(["message": "Order Item Added", "order_item": item], context: context)
    }

    /// Full replacement of one item: "Any empty fields will be set to blank".
    private func update(_ request: Request, _ context: SimulatorRequestContext) async throws -> Response {
        let body = try await request.jsonObjectBody()
        let now = Timestamp.now()
        let storeID = try context.requireStore()
        let (orderNumber, item, rendered) = try database.update(storeID) { store in
            var order = try store.order(orderID(context))
            let existing = try Self.item(in: order, context)
            let item = try OrderItem(id: existing.id, from: body)
            order.items = order.items.map { $0.id == item.id ? item : $0 }
            order.dateUpdated = now
            store.orders[order.id] = order
            return (order.id, item.json(), store.render(order))
        }
        webhooks.fire(storeID: storeID, orders: [(orderNumber, rendered)], event: .updated)
        return .orderDeskSuccess(["message": "Order Item Updated", "order_item": item], context: context)
    }

    private func delete(_ context: SimulatorRequestContext) throws -> Response {
        let now = Timestamp.now()
        let storeID = try context.requireStore()
        let (orderNumber, id, rendered) = try database.update(storeID) { store in
            var order = try store.order(orderID(context))
            let item = try Self.item(in: order, context)
            order.items.removeAll { $0.id == item.id }
            order.dateUpdated = now
            store.orders[order.id] = order
            return (order.id, item.id, store.render(order))
        }
        webhooks.fire(storeID: storeID, orders: [(orderNumber, rendered)], event: .updated)
        return .orderDeskSuccess(["message": .string("Order Item \(id) Deleted")], context: context)
    }

    private func orderID(_ context: SimulatorRequestContext) -> String { context.parameters.get("order_id") ?? "" }

    private static func item(in order: Order, _ context: SimulatorRequestContext) throws -> OrderItem {
        guard let id = context.parameters.get("item_id").flatMap(Int64.init),
            let item = order.items.first(where: { $0.id == id })
        else { throw SimulatorError.notFound("Order Item Not Found") }
        return item
    }
}
