import JSON

/// One line of an order (`order_items[]`).
struct OrderItem: Sendable, Equatable {
    var id: Int64
    var name = ""
    var price = 0.0
    /// OrderDesk returns some prices as strings (`"price": "10"`); an item keeps the form it was
    /// given so clients meet both.
    var priceIsText = false
    var quantity: Int64 = 1
    var weight = 0.0
    var code = ""
    var deliveryType = "ship"
    var categoryCode = ""
    var fulfillmentMethod = ""
    var variationList: [String: JSONValue] = [:]
    var metadata: [String: JSONValue] = [:]

    static let deliveryTypes: Set<String> = ["ship", "noship", "download", "future"]

    init(id: Int64) { self.id = id }

    /// Builds an item from a request body. Every field is replaced; an omitted one takes OrderDesk's
    /// creation default (price 0.00, quantity 1, delivery type `ship`) or blank.
    init(id: Int64, from body: [String: JSONValue]) throws {
        self.id = id
        name = body.text("name")
        price = try body.number("price")
        if case .string = body["price"] { priceIsText = true }
        quantity = try body.optionalInteger("quantity") ?? 1
        guard quantity >= 0 else { throw SimulatorError.badRequest("quantity must not be negative.") }
        weight = try body.number("weight")
        code = body.text("code")
        let delivery = body.text("delivery_type").lowercased()
        guard delivery.isEmpty || Self.deliveryTypes.contains(delivery) else {
            throw SimulatorError.badRequest("delivery_type must be one of ship, noship, download, future.")
        }
        deliveryType = delivery.isEmpty ? "ship" : delivery
        categoryCode = body.text("category_code")
        fulfillmentMethod = body.text("fulfillment_method")
        variationList = try body.map("variation_list")
        metadata = try body.map("metadata")
    }

    func json() -> JSONValue {
        [
            "id": .string(String(id)),
            "name": .string(name),
            "price": priceIsText ? .string(Money.phpText(price)) : .money(price),
            "quantity": .int(quantity),
            "weight": .double(Money.round(weight, places: 4)),
            "code": .string(code),
            "delivery_type": .string(deliveryType),
            "category_code": .string(categoryCode),
            "fulfillment_method": .string(fulfillmentMethod),
            "variation_list": .phpMap(variationList),
            "metadata": .phpMap(metadata),
        ]
    }
}
