import Hummingbird
import JSON

/// `/inventory-items` and `/batch-inventory-items`. Inventory ids are integers and `total_records`
/// is a string here, both as OrderDesk returns them.
struct InventoryRoutes: Sendable {
    let database: StoreDatabase

    func register(on router: some RouterMethods<SimulatorRequestContext>) {
        router.get("inventory-items") { request, context in try list(request, context) }
        router.get("inventory-items/:item_id") { _, context in try get(context) }
        router.post("inventory-items") { request, context in try await add(request, context) }
        router.put("inventory-items/:item_id") { request, context in try await update(request, context) }
        router.delete("inventory-items/:item_id") { _, context in try delete(context) }
        router.put("batch-inventory-items") { request, context in try await updateBatch(request, context) }
    }

    /// Filters: `code` (comma-separated SKUs, exact), `search` (substring of name or code); paging
    /// with `limit` (default 50, capped at 500) and `offset`; ordered by id.
    private func list(_ request: Request, _ context: SimulatorRequestContext) throws -> Response {
        let parameters = request.queryParameters
        let codes = parameters["code"].map { Set($0.split(separator: ",").map { $0.lowercased() }) }
        let search = parameters["search"] ?? ""
        let limit =
            parameters["limit"].flatMap(Int.init).map { $0 > 0 ? min($0, OrderQuery.maximumLimit) : OrderQuery.defaultLimit }
            ?? OrderQuery.defaultLimit
        let offset = max(0, parameters["offset"].flatMap(Int.init) ?? 0)
        let (total, items) = try database.read(try context.requireStore()) { store in
            let matching = store.inventory.values.sorted { $0.id < $1.id }.filter { item in
                (codes.map { $0.contains(item.code.lowercased()) } ?? true)
                    && (search.isEmpty || item.name.localizedCaseInsensitiveContains(search)
                        || item.code.localizedCaseInsensitiveContains(search))
            }
            return (matching.count, matching.dropFirst(offset).prefix(limit).map { $0.json() })
        }
        return .orderDeskSuccess(
            [
                "records_returned": .int(Int64(items.count)), "total_records": .string(String(total)),
                "inventory_items": .array(items),
            ], context: context)
    }

    private func get(_ context: SimulatorRequestContext) throws -> Response {
        let item = try database.read(try context.requireStore()) { store in
            try store.inventoryItem(itemID(context)).json()
        }
        return .orderDeskSuccess(["records_returned": 1, "inventory_item": item], context: context)
    }

    private func add(_ request: Request, _ context: SimulatorRequestContext) async throws -> Response {
        let body = try await request.jsonObjectBody()
        let now = Timestamp.now()
        let item = try database.update(try context.requireStore()) { store in
            var item = InventoryItem(id: store.nextInventoryID, dateAdded: now)
            try item.replaceWritableFields(from: body)
            try Self.requireUniqueCode(item, in: store)
            store.nextInventoryID += 1
            store.inventory[item.id] = item
            return item.json()
        }
        return .orderDeskSuccess(["message": "Inventory Item Added", "inventory_item": item], context: context)
    }

    private func update(_ request: Request, _ context: SimulatorRequestContext) async throws -> Response {
        let body = try await request.jsonObjectBody()
        let now = Timestamp.now()
        let item = try database.update(try context.requireStore()) { store in
            try Self.replace(store.inventoryItem(itemID(context)), with: body, now: now, in: &store).json()
        }
        return .orderDeskSuccess(["message": "Inventory Item Updated", "inventory_item": item], context: context)
    }

    private func delete(_ context: SimulatorRequestContext) throws -> Response {
        let id = try database.update(try context.requireStore()) { store in
            let item = try store.inventoryItem(itemID(context))
            store.inventory[item.id] = nil
            return item.id
        }
        return .orderDeskSuccess(["message": .string("Inventory Item \(id) Deleted")], context: context)
    }

    /// `PUT /batch-inventory-items`: a bare array of full items, each with its `id`. Items are
    /// updated one by one; each gets its own entry in `results`.
    private func updateBatch(_ request: Request, _ context: SimulatorRequestContext) async throws -> Response {
        guard let entries = try await request.jsonBody().arrayValue else {
            throw SimulatorError.badRequest("Request body must be a JSON array of inventory items.")
        }
        let now = Timestamp.now()
        let (updated, results) = try database.update(try context.requireStore()) { store -> (Int, [JSONValue]) in
            var updated = 0
            let results = entries.map { entry -> JSONValue in
                let id = entry["id"]?.lenientString ?? ""
                do {
                    guard let body = entry.objectValue else { throw SimulatorError.badRequest("Each item must be an object.") }
                    _ = try Self.replace(store.inventoryItem(id), with: body, now: now, in: &store)
                    updated += 1
                    return ["id": .string(id), "status": "success", "message": "Inventory Item Updated"]
                } catch let error as SimulatorError {
                    return ["id": .string(id), "status": "error", "message": .string(error.message)]
                } catch {
                    return ["id": .string(id), "status": "error", "message": "Inventory Item Not Updated"]
                }
            }
            return (updated, results)
        }
        return .orderDeskSuccess(
            ["message": .string("\(updated) Inventory Items Updated"), "results": .array(results)], context: context)
    }

    private static func replace(
        _ existing: InventoryItem, with body: [String: JSONValue], now: String, in store: inout StoreData
    ) throws -> InventoryItem {
        var item = existing
        try item.replaceWritableFields(from: body)
        try requireUniqueCode(item, in: store)
        item.dateUpdated = now
        store.inventory[item.id] = item
        return item
    }

    private static func requireUniqueCode(_ item: InventoryItem, in store: StoreData) throws {
        if store.inventory.values.contains(where: {
            $0.id != item.id && $0.code.caseInsensitiveCompare(item.code) == .orderedSame
        }) {
            throw SimulatorError.badRequest("An inventory item with code \(item.code) already exists.")
        }
    }

    private func itemID(_ context: SimulatorRequestContext) -> String { context.parameters.get("item_id") ?? "" }
}
