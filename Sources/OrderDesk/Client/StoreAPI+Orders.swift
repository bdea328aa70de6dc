import JSON

extension StoreAPI {
    /// One page of orders matching `query` (`GET /orders`).
    public func listOrders(_ query: OrderQuery = OrderQuery()) async throws -> OrderPage {
        let subject = "the order list"
        let response = try await send(
            UpstreamRequest(method: .get, path: ["orders"], query: try query.queryItems(), subject: subject))
        let orders = try list("orders", of: response, about: subject).map(Order.init(fields:))
        return OrderPage(
            totalRecords: try count("total_records", of: response, about: subject),
            recordsReturned: response["records_returned"]?.lenientInt.map(Int.init) ?? orders.count,
            offset: response["offset"]?.lenientInt.map(Int.init) ?? query.offset ?? 0,
            limit: response["limit"]?.lenientInt.map(Int.init) ?? query.limit ?? 50,
            orders: orders)
    }

    /// One order by OrderDesk's internal id (not the cart's `source_id`; search by `sourceID` for that).
    public func getOrder(_ id: String, includeHistory: Bool = false) async throws -> Order {
        try Self.requireID(id, "The order id")
        let subject = "order \(id)"
        let response = try await send(
            UpstreamRequest(
                method: .get, path: ["orders", id],
                query: includeHistory ? [.init(name: "get_order_history", value: "1")] : [], subject: subject))
        return Order(fields: try member("order", of: response, about: subject))
    }

    /// Creates an order from `fields` (`POST /orders`) and returns it as OrderDesk stored it.
    ///
    /// OrderDesk requires at least one item in `order_items` and a name or company (flat
    /// `customer_first_name`… or nested `shipping`/`customer` objects); both are checked here before
    /// anything is sent. Not retried once the request may have reached OrderDesk.
    public func createOrder(_ fields: JSONValue) async throws -> Order {
        guard case .object(let object) = fields else {
            throw OrderDeskError.invalidRequest("An order must be a JSON object of order fields.")
        }
        guard let items = object["order_items"]?.arrayValue, !items.isEmpty,
            items.allSatisfy({ $0.objectValue != nil })
        else {
            throw OrderDeskError.invalidRequest("An order needs at least one item in order_items.")
        }
        guard Self.hasNameOrCompany(object) else {
            throw OrderDeskError.invalidRequest(
                "An order needs a first name, last name or company on the customer or the shipping address.")
        }
        let subject = "the new order"
        let response = try await send(UpstreamRequest(method: .post, path: ["orders"], body: fields, subject: subject))
        return Order(fields: try member("order", of: response, about: subject))
    }

    /// Replaces the whole order (`PUT /orders/{id}`) with `order` and returns the stored result.
    ///
    /// OrderDesk blanks every field the body leaves out, so send a complete order: normally one
    /// fetched and changed with `OrderMerge` (or use `updateOrder`). HTTP 409 throws `conflict`.
    public func replaceOrder(_ order: Order) async throws -> Order {
        guard let id = order.id else { throw OrderDeskError.invalidRequest("The order to replace has no id.") }
        try Self.requireID(id, "The order id")
        let subject = "order \(id)"
        let response = try await send(
            UpstreamRequest(method: .put, path: ["orders", id], body: order.json, subject: subject))
        return Order(fields: try member("order", of: response, about: subject))
    }

    /// Deletes an order (`DELETE /orders/{id}`).
    public func deleteOrder(_ id: String) async throws {
        try Self.requireID(id, "The order id")
        _ = try await send(UpstreamRequest(method: .delete, path: ["orders", id], subject: "order \(id)"))
    }

    /// Moves orders to a folder (`POST /move-orders`); the destination folder's rules run.
    /// Returns one result per order, in OrderDesk's order ("Order Not Found" for unknown ids).
    public func moveOrders(_ ids: [String], to folder: FolderReference) async throws -> [OrderMove] {
        guard !ids.isEmpty else { throw OrderDeskError.invalidRequest("Name at least one order to move.") }
        for id in ids { try Self.requireID(id, "Every order id") }
        var body: [String: JSONValue] = [
            // OrderDesk's examples send numeric ids as numbers.
            "order_id_list": .array(ids.map { id in Int64(id).map(JSONValue.int) ?? .string(id) })
        ]
        switch folder {
        case .id(let id): body["destination_folder_id"] = .int(id)
        case .name(let name):
            guard !name.isEmpty else { throw OrderDeskError.invalidRequest("The folder name must not be empty.") }
            body["destination_folder_name"] = .string(name)
        }
        let subject = ids.count == 1 ? "order \(ids[0])" : "the orders to move"
        let response = try await send(
            UpstreamRequest(method: .post, path: ["move-orders"], body: .object(body), subject: subject))
        return (response["results"]?.lenientList ?? []).compactMap(\.objectValue).map { result in
            OrderMove(
                orderID: result["order_id"]?.lenientString, message: result["message"]?.lenientString,
                originalFolderID: result["original_folder_id"]?.lenientInt)
        }
    }

    /// Appends an entry to the order's history (`POST /orders/{id}/order-history`) and returns the
    /// order with its history. History cannot be edited or removed.
    public func addOrderHistory(orderID: String, note: String, sourceName: String? = nil) async throws -> Order {
        try Self.requireID(orderID, "The order id")
        guard !note.isEmpty, note.count <= OrderMerge.maximumNoteLength else {
            throw OrderDeskError.invalidRequest(
                "A history note must hold 1 to \(OrderMerge.maximumNoteLength) characters.")
        }
        var body: [String: JSONValue] = ["note": .string(note)]
        if let sourceName { body["source_name"] = .string(sourceName) }
        let subject = "order \(orderID)"
        let response = try await send(
            UpstreamRequest(
                method: .post, path: ["orders", orderID, "order-history"], body: .object(body), subject: subject))
        return Order(fields: try member("order", of: response, about: subject))
    }

    /// At least one of first name, last name or company on the customer or shipping side, flat or
    /// nested: OrderDesk's documented minimum (its "first and last name or company" wording is the
    /// recommendation, and stricter than what it enforces).
    static func hasNameOrCompany(_ order: [String: JSONValue]) -> Bool {
        ["customer", "shipping"].contains { side in
            let nested = order[side]?.lenientObject ?? [:]
            return ["first_name", "last_name", "company"].contains { field in
                !(order["\(side)_\(field)"]?.lenientString ?? "").isEmpty
                    || !(nested[field]?.lenientString ?? "").isEmpty
            }
        }
    }
}
