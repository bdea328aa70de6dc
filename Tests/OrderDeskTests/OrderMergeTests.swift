import JSON
import OrderDesk
import Testing

/// `OrderMerge` is pure: every case is an order, some changes, and the full order expected back
/// (or the error expected instead).
@Suite struct OrderMergeTests {
    static let order: JSONValue = [
        "id": "925086",
        "email": "jane@example.com",
        "date_added": "2025-04-15 12:12:10",
        "date_updated": "2025-04-15 15:32:04",
        "folder_id": 21654,
        "order_total": 51.01,
        "email_count": "2",
        "shipping": [
            "first_name": "Jimmy", "last_name": "Dean", "address1": "800 Emmet St", "address2": "",
            "city": "Nashville", "state": "TN", "postal_code": "37203", "country": "US",
        ],
        "checkout_data": ["Gift Message": "Happy Birthday"],
        "order_metadata": [],
        "x_custom_integration": ["nested": [1, 2, "three"], "flag": true],
        "order_notes": [["content": "Customer called", "username": "rep", "date_added": "2025-04-15 15:30:00"]],
        "order_items": [
            [
                "id": "1670028", "name": "Black Shirt", "price": 19.5, "quantity": 2,
                "variation_list": ["Size": "Large", "Color": "Black"], "metadata": [],
            ],
            ["id": "1670029", "name": "Sticker", "price": "5.5", "quantity": 1, "variation_list": [], "metadata": []],
        ],
        "order_shipments": [["id": "437", "tracking_number": "1Z2398479234"]],
    ]

    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let changes: JSONValue
        let expected: JSONValue
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(
            name: "nested shipping.city change keeps the other address fields",
            changes: ["shipping": ["city": "Austin"]],
            expected: order.setting(["shipping", "city"], to: "Austin")),
        Case(
            name: "item update by id merges into that item only",
            changes: ["order_items": [["id": "1670028", "quantity": 3, "variation_list": ["Size": "XL"]]]],
            expected: order.updatingItem(0) { item in
                item.setting(["quantity"], to: 3).setting(["variation_list", "Size"], to: "XL")
            }),
        Case(
            name: "item matched by numeric id as well as string id",
            changes: ["order_items": [["id": 1_670_029, "price": 6]]],
            expected: order.updatingItem(1) { $0.setting(["price"], to: 6) }),
        Case(
            name: "item without id is added, its nulls dropped",
            changes: ["order_items": [["name": "Mug", "code": "MUG-1", "price": 12, "quantity": 1, "weight": nil]]],
            expected: order.appendingItem(["name": "Mug", "code": "MUG-1", "price": 12, "quantity": 1])),
        Case(
            name: "item with delete true is removed",
            changes: ["order_items": [["id": "1670029", "delete": true]]],
            expected: order.removingItem(1)),
        Case(
            name: "delete false is an ordinary item change",
            changes: ["order_items": [["id": "1670029", "delete": false, "quantity": 4]]],
            expected: order.updatingItem(1) { $0.setting(["quantity"], to: 4) }),
        Case(
            name: "notes are appended after the existing ones",
            changes: ["order_notes": [["content": "Gift wrap", "username": "agent"], "Ship Friday"]],
            expected: order.setting(
                ["order_notes"],
                to: .array(
                    order["order_notes"]!.arrayValue! + [
                        ["content": "Gift wrap", "username": "agent"], ["content": "Ship Friday"],
                    ]))),
        Case(
            name: "null clears a top-level field",
            changes: ["email": nil],
            expected: order.setting(["email"], to: nil)),
        Case(
            name: "null clears a nested field and keeps its siblings",
            changes: ["shipping": ["address2": nil, "phone": "615-555-0100"]],
            expected: order.setting(["shipping", "address2"], to: nil).setting(["shipping", "phone"], to: "615-555-0100")),
        Case(
            name: "unknown fields are preserved and can be set",
            changes: ["x_custom_integration": ["flag": false], "x_new_field": "hello"],
            expected: order.setting(["x_custom_integration", "flag"], to: false).setting(["x_new_field"], to: "hello")),
        Case(
            name: "PHP empty map [] merges like an empty object",
            changes: ["order_metadata": ["fraud_score": 3]],
            expected: order.setting(["order_metadata"], to: ["fraud_score": 3])),
        Case(
            name: "scalars and arrays replace the old value",
            changes: ["checkout_data": ["Gift Message": "Congrats"], "discount_list": [["name": "VIP", "amount": "2.00"]]],
            expected: order.setting(["checkout_data", "Gift Message"], to: "Congrats")
                .setting(["discount_list"], to: [["name": "VIP", "amount": "2.00"]])),
        Case(
            name: "read-only fields sent with their current value are accepted",
            changes: ["id": 925_086, "order_total": "51.01", "date_updated": "2025-04-15 15:32:04", "folder_id": "21654"],
            expected: order),
        Case(
            name: "empty changes change nothing",
            changes: [:],
            expected: order),
    ]

    @Test(arguments: cases)
    func mergeProducesTheFullOrder(_ testCase: Case) throws {
        let merged = try OrderMerge.merge(testCase.changes, into: Self.order)
        #expect(merged == testCase.expected)
    }

    struct Rejection: Sendable, CustomTestStringConvertible {
        let name: String
        let changes: JSONValue
        /// A fragment the error message must contain.
        let mentions: String
        var testDescription: String { name }
    }

    static let rejections: [Rejection] = [
        Rejection(
            name: "unknown item id", changes: ["order_items": [["id": "999", "quantity": 1]]],
            mentions: "no item with id 999"),
        Rejection(
            name: "deleting an unknown item id", changes: ["order_items": [["id": "999", "delete": true]]],
            mentions: "no item with id 999"),
        Rejection(name: "changes that are an array", changes: [["email": "x"]], mentions: "JSON object"),
        Rejection(name: "changes that are a string", changes: "email=x", mentions: "JSON object"),
        Rejection(name: "changes that are null", changes: nil, mentions: "JSON object"),
        Rejection(name: "order_items not an array", changes: ["order_items": ["id": "1670028"]], mentions: "array"),
        Rejection(name: "item entry not an object", changes: ["order_items": ["1670028"]], mentions: "order_items[0]"),
        Rejection(
            name: "delete without id", changes: ["order_items": [["delete": true]]], mentions: "needs the id"),
        Rejection(
            name: "delete that is not a boolean", changes: ["order_items": [["id": "1670028", "delete": "yes"]]],
            mentions: "true or false"),
        Rejection(
            name: "new item without name or code", changes: ["order_items": [["price": 3]]],
            mentions: "name or a code"),
        Rejection(name: "changing the id", changes: ["id": "1"], mentions: "id is read-only"),
        Rejection(name: "changing a computed total", changes: ["order_total": 1], mentions: "order_total is read-only"),
        Rejection(name: "clearing a computed total", changes: ["order_total": nil], mentions: "order_total"),
        Rejection(name: "changing date_added", changes: ["date_added": "2020-01-01"], mentions: "date_added"),
        Rejection(
            name: "changing date_updated", changes: ["date_updated": "2030-01-01 00:00:00"],
            mentions: "expected date_updated"),
        Rejection(name: "changing the folder", changes: ["folder_id": 1], mentions: "move the order"),
        Rejection(
            name: "changing shipments", changes: ["order_shipments": []], mentions: "add or delete shipments"),
        Rejection(name: "empty note", changes: ["order_notes": [["content": "  "]]], mentions: "non-empty content"),
        Rejection(
            name: "note longer than 1800 characters",
            changes: ["order_notes": [.string(String(repeating: "n", count: 1801))]], mentions: "1801 characters"),
        Rejection(name: "notes that are a number", changes: ["order_notes": 5], mentions: "order_notes"),
    ]

    @Test(arguments: rejections)
    func invalidChangesAreRejected(_ rejection: Rejection) throws {
        let error = try #require(throws: OrderDeskError.self) {
            try OrderMerge.merge(rejection.changes, into: Self.order)
        }
        #expect(error.code == .validation)
        #expect(error.httpStatus == nil)
        #expect(error.message.contains(rejection.mentions), "\(error.message)")
    }

    @Test func mergingIntoANonObjectIsRejected() throws {
        let error = try #require(throws: OrderDeskError.self) {
            try OrderMerge.merge(["email": "x"], into: [1, 2])
        }
        #expect(error.code == .validation)
    }

    @Test func mergeIsPureAndRepeatable() throws {
        let changes: JSONValue = ["shipping": ["city": "Austin"], "order_notes": ["again"]]
        let first = try OrderMerge.merge(changes, into: Self.order)
        let second = try OrderMerge.merge(changes, into: Self.order)
        #expect(first == second)
        #expect(Self.order["shipping"]?["city"] == "Nashville")
    }

    @Test func orderOverloadKeepsEveryField() throws {
        let order = try #require(Order(json: Self.order))
        let merged = try OrderMerge.merge(["email": "new@example.com"], into: order)
        #expect(merged.email == "new@example.com")
        #expect(merged.fields.count == order.fields.count)
        #expect(merged["x_custom_integration"] == order["x_custom_integration"])
        #expect(merged.items.map(\.id) == ["1670028", "1670029"])
    }
}

extension JSONValue {
    /// A copy with the member at `path` set (nil removes it), creating objects along the way.
    func setting(_ path: [String], to value: JSONValue?) -> JSONValue {
        guard let key = path.first else { return value ?? .null }
        var members = objectValue ?? [:]
        if path.count == 1 {
            members[key] = value
        } else {
            members[key] = (members[key] ?? [:]).setting(Array(path.dropFirst()), to: value)
        }
        return .object(members)
    }

    func updatingItem(_ index: Int, _ change: (JSONValue) -> JSONValue) -> JSONValue {
        var items = self["order_items"]?.arrayValue ?? []
        items[index] = change(items[index])
        return setting(["order_items"], to: .array(items))
    }

    func appendingItem(_ item: JSONValue) -> JSONValue {
        setting(["order_items"], to: .array((self["order_items"]?.arrayValue ?? []) + [item]))
    }

    func removingItem(_ index: Int) -> JSONValue {
        var items = self["order_items"]?.arrayValue ?? []
        items.remove(at: index)
        return setting(["order_items"], to: .array(items))
    }
}
