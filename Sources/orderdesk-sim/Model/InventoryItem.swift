import JSON

/// A product in the store's inventory (`/inventory-items`). Unlike orders, its `id` is an integer.
struct InventoryItem: Sendable, Equatable {
    var id: Int64
    var name = ""
    var code = ""
    var price = 0.0
    var cost = 0.0
    var weight = 0.0
    var stock: Int64 = 0
    var location = ""
    var updateSource = ""
    /// `null` when unset, as in live data.
    var manufacturerSKU: String?
    var metadata: [String: JSONValue] = [:]
    var variationList: [String: JSONValue] = [:]
    var dateAdded: String
    var dateUpdated: String

    init(id: Int64, dateAdded: String) {
        self.id = id
        self.dateAdded = dateAdded
        self.dateUpdated = dateAdded
    }

    /// Replaces every writable field ("All fields should be passed through. Any empty fields will be
    /// set to blank on the record."). `name` and `code` are required.
    mutating func replaceWritableFields(from body: [String: JSONValue]) throws {
        name = body.text("name")
        code = body.text("code")
        guard !name.isEmpty, !code.isEmpty else {
            throw SimulatorError.badRequest("An inventory item needs a name and a code.")
        }
        price = try body.number("price")
        cost = try body.number("cost")
        weight = try body.number("weight")
        stock = try body.optionalInteger("stock") ?? 0
        location = body.text("location")
        updateSource = body.has("update_source") ? body.text("update_source") : "API"
        manufacturerSKU = body.has("manufacturer_sku") ? body.text("manufacturer_sku") : nil
        metadata = try body.map("metadata")
        variationList = try body.map("variation_list")
    }

    func json() -> JSONValue {
        [
            "id": .int(id), "name": .string(name), "code": .string(code), "price": .money(price),
            "cost": .money(cost), "weight": .double(Money.round(weight, places: 4)), "stock": .int(stock),
            "location": .string(location), "update_source": .string(updateSource),
            "manufacturer_sku": manufacturerSKU.map(JSONValue.string) ?? .null,
            "metadata": .phpMap(metadata), "variation_list": .phpMap(variationList),
            "date_added": .string(dateAdded), "date_updated": .string(dateUpdated),
        ]
    }
}
