import Hummingbird
import JSON

/// Moving orders between folders and appending to an order's history.
struct OrderWorkflowRoutes: Sendable {
    /// An order keeps at most this many history entries (reference §2.6, unverified).
    static let maximumHistoryEntries = 250
    static let maximumNoteLength = 1800

    let database: StoreDatabase
    let webhooks: WebhookDispatcher

    func register(on router: some RouterMethods<SimulatorRequestContext>) {
        router.post("move-orders") { request, context in try await move(request, context) }
        router.post("orders/:order_id/order-history") { request, context in try await addHistory(request, context) }
    }

    /// `POST /move-orders` with `order_id_list` and exactly one of `destination_folder_id` /
    /// `destination_folder_name`. Unknown ids get a per-order "Order Not Found" result; the move
    /// itself is recorded in each order's history.
    private func move(_ request: Request, _ context: SimulatorRequestContext) async throws -> Response {
        let body = try await request.jsonObjectBody()
        guard let list = body["order_id_list"]?.arrayValue, !list.isEmpty else {
            throw SimulatorError.badRequest("order_id_list must be a non-empty array of order ids.")
        }
        let ids = try list.map { value in
            guard let id = value.lenientInt else { throw SimulatorError.badRequest("order_id_list must hold order ids.") }
            return id
        }
        let byID = body.has("destination_folder_id"), byName = body.has("destination_folder_name")
        guard byID != byName else {
            throw SimulatorError.badRequest("Give exactly one of destination_folder_id or destination_folder_name.")
        }
        let now = Timestamp.now()
        let storeID = try context.requireStore()
        let (moved, rendered, results) = try database.update(storeID) {
            store -> ([Int64], [(id: Int64, order: JSONValue)], [JSONValue]) in
            let destination =
                byID
                ? try body.optionalInteger("destination_folder_id").flatMap { store.profile.folder(id: $0) }
                : store.profile.folder(exactlyNamed: body.text("destination_folder_name"))
            guard let destination else { throw SimulatorError.badRequest("Destination folder not found.") }
            var moved: [Int64] = []
            var results: [JSONValue] = []
            for id in ids {
                guard var order = store.orders[id] else {
                    results.append(["order_id": .int(id), "message": "Order Not Found"])
                    continue
                }
                let original = order.folderID
                let originalName = store.profile.folder(id: original)?.name ?? String(original)
                order.folderID = destination.id
                order.dateUpdated = now
                order.history.append(
                    HistoryEntry(
                        sourceName: "API", note: "Order Moved from \(originalName) to \(destination.name) Folder",
                        dateAdded: now))
                store.orders[id] = order
                moved.append(id)
                results.append([
                    "order_id": .int(id), "message": .string("Order Moved to \(destination.name) Folder"),
                    "original_folder_id": .int(original),
                ])
            }
            // One `moved` post per order, even when the list names it twice, as the batch left it.
            let counts = store.emailCounts()
            var seen: Set<Int64> = []
            let rendered = moved.filter { seen.insert($0).inserted }.compactMap { id in
                store.orders[id].map { (id: id, order: store.render($0, emailCounts: counts)) }
            }
            return (moved, rendered, results)
        }
        webhooks.fire(storeID: storeID, orders: rendered, event: .moved)
        return .orderDeskSuccess(
            ["message": .string("\(moved.count) Orders Moved"), "results": .array(results)], context: context)
    }

    /// `POST /orders/{id}/order-history` with `note` and an optional `source_name` (default "API").
    private func addHistory(_ request: Request, _ context: SimulatorRequestContext) async throws -> Response {
        let body = try await request.jsonObjectBody()
        let note = body.text("note")
        guard !note.isEmpty else { throw SimulatorError.badRequest("note is required.") }
        guard note.count <= Self.maximumNoteLength else {
            throw SimulatorError.badRequest("note may hold at most \(Self.maximumNoteLength) characters.")
        }
        let sourceName = body.has("source_name") ? body.text("source_name") : "API"
        let now = Timestamp.now()
        let (count, order) = try database.update(try context.requireStore()) { store -> (Int, JSONValue) in
            var order = try store.order(context.parameters.get("order_id") ?? "")
            guard order.history.count < Self.maximumHistoryEntries else {
                throw SimulatorError.badRequest("This order already has \(Self.maximumHistoryEntries) history entries.")
            }
            order.history.append(HistoryEntry(sourceName: sourceName, note: note, dateAdded: now))
            store.orders[order.id] = order
            return (order.history.count, store.render(order, includeHistory: true))
        }
        return .orderDeskSuccess(["total_records": .int(Int64(count)), "order": order], context: context)
    }
}
