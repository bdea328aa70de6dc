import Hummingbird
import JSON

/// `/orders/{id}/shipments` and `/batch-shipments`.
struct ShipmentRoutes: Sendable {
    let database: StoreDatabase
    let webhooks: WebhookDispatcher

    func register(on router: some RouterMethods<SimulatorRequestContext>) {
        router.get("orders/:order_id/shipments") { _, context in try list(context) }
        router.get("orders/:order_id/shipments/:shipment_id") { _, context in try get(context) }
        router.post("orders/:order_id/shipments") { request, context in try await add(request, context) }
        router.put("orders/:order_id/shipments/:shipment_id") { request, context in try await update(request, context) }
        router.delete("orders/:order_id/shipments/:shipment_id") { _, context in try delete(context) }
        router.post("batch-shipments") { request, context in try await addBatch(request, context) }
    }

    private func list(_ context: SimulatorRequestContext) throws -> Response {
        let shipments = try database.read(try context.requireStore()) { store in
            try store.order(orderID(context)).shipments.map { $0.json() }
        }
        return .orderDeskSuccess(
            ["total_records": .int(Int64(shipments.count)), "shipments": .array(shipments)], context: context)
    }

    private func get(_ context: SimulatorRequestContext) throws -> Response {
        let shipment = try database.read(try context.requireStore()) { store in
            try Self.shipment(in: store.order(orderID(context)), context).json()
        }
        return .orderDeskSuccess(["shipment": shipment], context: context)
    }

    /// A shipment equal to an existing one (same carrier and tracking number) is refused with
    /// OrderDesk's `"Shipment Not Added"`.
    private func add(_ request: Request, _ context: SimulatorRequestContext) async throws -> Response {
        let body = try await request.jsonObjectBody()
        let storeID = try context.requireStore()
        let (shipment, order) = try database.update(storeID) { store in
            let shipment = try Self.addShipment(body, toOrder: orderID(context), in: &store)
            let order = try store.order(orderID(context))
            return (shipment, (id: order.id, order: store.render(order)))
        }
        webhooks.fire(storeID: storeID, orders: [order], event: .shipment)
        return .orderDeskSuccess(["message": "Shipment Added", "shipment": shipment], context: context)
    }

    private func update(_ request: Request, _ context: SimulatorRequestContext) async throws -> Response {
        let body = try await request.jsonObjectBody()
        let now = Timestamp.nowUnix()
        let shipment = try database.update(try context.requireStore()) { store in
            var order = try store.order(orderID(context))
            var shipment = try Self.shipment(in: order, context)
            try shipment.replaceWritableFields(from: body, now: now)
            order.shipments = order.shipments.map { $0.id == shipment.id ? shipment : $0 }
            order.dateUpdated = Timestamp.string(fromUnix: now)
            store.orders[order.id] = order
            return shipment.json()
        }
        return .orderDeskSuccess(["message": "Shipment Updated", "shipment": shipment], context: context)
    }

    private func delete(_ context: SimulatorRequestContext) throws -> Response {
        let now = Timestamp.now()
        let id = try database.update(try context.requireStore()) { store in
            var order = try store.order(orderID(context))
            let shipment = try Self.shipment(in: order, context)
            order.shipments.removeAll { $0.id == shipment.id }
            order.dateUpdated = now
            store.orders[order.id] = order
            return shipment.id
        }
        return .orderDeskSuccess(["message": .string("Shipment \(id) Deleted")], context: context)
    }

    /// `POST /batch-shipments`: a bare array of shipments, each naming its `order_id`. Always 200;
    /// each entry gets its own `results[]` status, aligned with the input.
    private func addBatch(_ request: Request, _ context: SimulatorRequestContext) async throws -> Response {
        guard let entries = try await request.jsonBody().arrayValue else {
            throw SimulatorError.badRequest("Request body must be a JSON array of shipments.")
        }
        let storeID = try context.requireStore()
        let (results, added) = try database.update(storeID) { store -> ([JSONValue], [(id: Int64, order: JSONValue)]) in
            var addedTo: [Int64] = []
            let results = entries.map { entry -> JSONValue in
                guard let body = entry.objectValue else {
                    return ["status": "error", "message": "Each shipment must be an object."]
                }
                do {
                    let shipment = try Self.addShipment(body, toOrder: body.text("order_id"), in: &store)
                    if let id = shipment["order_id"]?.lenientInt, !addedTo.contains(id) { addedTo.append(id) }
                    return [
                        "status": "success", "message": "Shipment Added", "order_id": .string(body.text("order_id")),
                        "shipment_id": shipment["id"] ?? .null,
                    ]
                } catch let error as SimulatorError {
                    return ["status": "error", "message": .string(error.message), "order_id": .string(body.text("order_id"))]
                } catch {
                    return ["status": "error", "message": "Shipment Not Added"]
                }
            }
            // Each order that got a shipment, once (first seen first), as the whole batch left it.
            let counts = store.emailCounts()
            let added = addedTo.compactMap { id in
                store.orders[id].map { (id: id, order: store.render($0, emailCounts: counts)) }
            }
            return (results, added)
        }
        webhooks.fire(storeID: storeID, orders: added, event: .shipment)
        return .orderDeskSuccess(["message": "Batch Processed", "results": .array(results)], context: context)
    }

    private static func addShipment(
        _ body: [String: JSONValue], toOrder orderID: String, in store: inout StoreData
    ) throws -> JSONValue {
        var order = try store.order(orderID)
        let now = Timestamp.nowUnix()
        var shipment = Shipment(id: store.nextShipmentID, orderID: order.id, storeID: store.profile.id)
        try shipment.replaceWritableFields(from: body, now: now)
        guard !order.shipments.contains(where: shipment.duplicates) else {
            throw SimulatorError.badRequest("Shipment Not Added")
        }
        shipment.dateAdded = Timestamp.string(fromUnix: now)
        store.nextShipmentID += 1
        order.shipments.append(shipment)
        order.dateUpdated = shipment.dateAdded
        store.orders[order.id] = order
        return shipment.json()
    }

    private func orderID(_ context: SimulatorRequestContext) -> String { context.parameters.get("order_id") ?? "" }

    private static func shipment(in order: Order, _ context: SimulatorRequestContext) throws -> Shipment {
        guard let id = context.parameters.get("shipment_id").flatMap(Int64.init),
            let shipment = order.shipments.first(where: { $0.id == id })
        else { throw SimulatorError.notFound("Shipment Not Found") }
        return shipment
    }
}
