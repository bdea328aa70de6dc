import Foundation
import JSON
import TestSupport

extension SimulatorProcess {
    /// Orders from `GET /orders` with the given query (no leading `?`), failing on a non-200.
    func listOrders(_ query: String = "", store: Store? = nil) async throws -> (envelope: JSONValue, orders: [JSONValue]) {
        let reply = try await request("GET", "/orders" + (query.isEmpty ? "" : "?" + query), store: store)
        guard reply.status == 200, let envelope = reply.json else {
            throw TestSetupError("GET /orders?\(query) answered \(reply.status): \(String(decoding: reply.body, as: UTF8.self))")
        }
        return (envelope, envelope["orders"]?.arrayValue ?? [])
    }

    /// The id of the first order (newest first) that satisfies `condition`.
    func orderID(where condition: (JSONValue) -> Bool) async throws -> String {
        let (_, orders) = try await listOrders("limit=500")
        guard let id = orders.first(where: condition)?["id"]?.stringValue else {
            throw TestSetupError("no seeded order matches the test's condition")
        }
        return id
    }
}

extension JSONValue {
    /// A copy of this object with `key` set (or removed when `value` is nil).
    func setting(_ key: String, to value: JSONValue?) -> JSONValue {
        var members = objectValue ?? [:]
        members[key] = value
        return .object(members)
    }
}
