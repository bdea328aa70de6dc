import JSON

extension StoreAPI {
    /// One page of inventory items (`GET /inventory-items`).
    public func listInventoryItems(_ query: InventoryQuery = InventoryQuery()) async throws -> InventoryPage {
        let subject = "the inventory list"
        let response = try await send(
            UpstreamRequest(method: .get, path: ["inventory-items"], query: try query.queryItems(), subject: subject))
        let items = try list("inventory_items", of: response, about: subject).map(InventoryItem.init(fields:))
        return InventoryPage(
            totalRecords: response["total_records"]?.lenientInt.map(Int.init) ?? items.count,
            recordsReturned: response["records_returned"]?.lenientInt.map(Int.init) ?? items.count,
            items: items)
    }

    /// One inventory item (`GET /inventory-items/{id}`).
    public func getInventoryItem(_ id: Int64) async throws -> InventoryItem {
        let subject = "inventory item \(id)"
        let response = try await send(
            UpstreamRequest(method: .get, path: ["inventory-items", String(id)], subject: subject))
        return InventoryItem(fields: try member("inventory_item", of: response, about: subject))
    }

    /// Creates an inventory item (`POST /inventory-items`); `name` and a unique `code` are required.
    /// Returns the stored item when OrderDesk's answer includes it, else nil.
    public func createInventoryItem(_ fields: JSONValue) async throws -> InventoryItem? {
        guard case .object(let object) = fields else {
            throw OrderDeskError.invalidRequest("An inventory item must be a JSON object of item fields.")
        }
        guard !(object["name"]?.lenientString ?? "").isEmpty, !(object["code"]?.lenientString ?? "").isEmpty else {
            throw OrderDeskError.invalidRequest("An inventory item needs a name and a code (SKU).")
        }
        let response = try await send(
            UpstreamRequest(method: .post, path: ["inventory-items"], body: fields, subject: "the new inventory item"))
        return response["inventory_item"]?.objectValue.map(InventoryItem.init(fields:))
    }

    /// Replaces an inventory item (`PUT /inventory-items/{id}`). OrderDesk blanks every field left
    /// out, so pass the complete item (or use `updateInventoryItem`). Returns the stored item when
    /// OrderDesk's answer includes it, else nil.
    public func replaceInventoryItem(_ id: Int64, with fields: JSONValue) async throws -> InventoryItem? {
        guard fields.objectValue != nil else {
            throw OrderDeskError.invalidRequest("An inventory item must be a JSON object of item fields.")
        }
        let response = try await send(
            UpstreamRequest(
                method: .put, path: ["inventory-items", String(id)], body: fields, subject: "inventory item \(id)"))
        return response["inventory_item"]?.objectValue.map(InventoryItem.init(fields:))
    }

    /// Changes some fields of an inventory item: fetch, deep-merge `changes` (`null` clears), PUT
    /// the complete item. `id`, `date_added` and `date_updated` cannot be changed. Returns the
    /// stored item (the merged one when OrderDesk's answer does not include it).
    public func updateInventoryItem(_ id: Int64, changes: JSONValue) async throws -> InventoryItem {
        guard case .object(let changeFields) = changes else {
            throw OrderDeskError.invalidRequest("changes must be a JSON object of inventory item fields.")
        }
        let current = try await getInventoryItem(id)
        for key in ["id", "date_added", "date_updated"] {
            if let change = changeFields[key], !JSONMerge.sameValue(change, current.fields[key] ?? .null) {
                throw OrderDeskError.invalidRequest("\(key) is read-only and cannot be changed.")
            }
        }
        let merged = JSONMerge.merge(current.json, changes) ?? current.json
        return try await replaceInventoryItem(id, with: merged) ?? InventoryItem(fields: merged.objectValue ?? [:])
    }

    /// Deletes an inventory item (`DELETE /inventory-items/{id}`).
    public func deleteInventoryItem(_ id: Int64) async throws {
        _ = try await send(
            UpstreamRequest(method: .delete, path: ["inventory-items", String(id)], subject: "inventory item \(id)"))
    }
}
