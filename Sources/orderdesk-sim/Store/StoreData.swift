import JSON

/// Everything one store holds. Stores never see each other's data.
struct StoreData: Sendable {
    let profile: StoreProfile
    var orders: [Int64: Order] = [:]
    var inventory: [Int64: InventoryItem] = [:]
    var nextOrderID: Int64
    var nextItemID: Int64
    var nextShipmentID: Int64
    var nextInventoryID: Int64

    /// The stored order, or OrderDesk's 404.
    func order(_ id: String) throws -> Order {
        guard let number = Int64(id), let order = orders[number] else {
            throw SimulatorError.notFound("Order Not Found")
        }
        return order
    }

    func inventoryItem(_ id: String) throws -> InventoryItem {
        guard let number = Int64(id), let item = inventory[number] else {
            throw SimulatorError.notFound("Inventory Item Not Found")
        }
        return item
    }

    /// Orders per lower-cased email, for the read-only `email_count`.
    func emailCounts() -> [String: Int] {
        var counts: [String: Int] = [:]
        for order in orders.values where !order.email.isEmpty { counts[order.email.lowercased(), default: 0] += 1 }
        return counts
    }

    func render(_ order: Order, includeHistory: Bool = false, emailCounts: [String: Int]? = nil) -> JSONValue {
        let counts = emailCounts ?? self.emailCounts()
        return order.json(emailCount: counts[order.email.lowercased()] ?? 0, includeHistory: includeHistory)
    }
}
