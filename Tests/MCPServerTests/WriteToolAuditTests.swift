import App
import Foundation
import HTTPTypes
import HummingbirdTesting
import JSON
import Postgres
import TestSupport
import Testing

@testable import MCPServer

/// "Audit first" for every tool that changes data: called through the real router against the
/// simulator, each write tool leaves a `started` row and then its final row, in that order. The
/// tools write their started row themselves (`ToolContext.auditStart()`), so a new write tool that
/// forgets it, or has no example here, fails this suite.
@Suite(.serialized) struct WriteToolAuditTests {
    /// Valid arguments for each write tool, for a tenant whose only store is `SimulatorProcess.Store.standard`
    /// (registered under the name "Main"); `{order}` is replaced by an order id the store has,
    /// `{shipment_order}` by one kept for the shipment tools and `{shipment}` by the id of the
    /// shipment shipments_add gave it.
    static let examples: [String: JSONValue] = [
        "stores_register": [
            "store_id": .string(SimulatorProcess.Store.second.id), "api_key": .string(SimulatorProcess.Store.second.apiKey),
            "name": "Second",
        ],
        "orders_create": [
            "store": "Main",
            "order": [
                "email": "ann@example.com", "shipping": ["first_name": "Ann", "last_name": "Lee"],
                "order_items": [["name": "Mug", "code": "MUG-1", "price": 12, "quantity": 1]],
            ],
        ],
        "orders_update": ["store": "Main", "order_id": "{order}", "changes": ["email": "changed@example.com"]],
        "orders_add_note": ["store": "Main", "order_id": "{order}", "note": "Audited note"],
        "orders_move": ["store": "Main", "order_ids": ["{order}"], "folder_name": "Closed"],
        "orders_delete": ["store": "Main", "order_id": "{order}"],
        "stores_delete": ["store": "Second"],
        "shipments_add": [
            "store": "Main",
            "shipments": [["order_id": "{shipment_order}", "tracking_number": "1ZAUDIT0001", "carrier_code": "UPS"]],
        ],
        "shipments_delete": ["store": "Main", "order_id": "{shipment_order}", "shipment_id": "{shipment}"],
        "inventory_items_update_stock": ["store": "Main", "code": "STK-PACK", "delta": 1],
    ]

    @Test func everyWriteToolHasAnExample() {
        let writeTools = Set(ToolRegistry.standard.tools.filter { $0.requiredScope == .write }.map(\.name))
        #expect(writeTools == Set(Self.examples.keys), "write tools without an example here: \(writeTools)")
    }

    @Test func everyWriteToolAuditsItsStartBeforeItsOutcome() async throws {
        let simulator = try await SimulatorProcess.launch(stores: [.standard, .second], orders: 5, rateLimited: false)
        defer { simulator.stop() }
        try await EdgeFixture.run(["ORDERDESK_BASE_URL": simulator.baseURL.absoluteString]) { fixture in
            let tenant = try await fixture.createTenant()
            let main: JSONValue = [
                "store_id": .string(SimulatorProcess.Store.standard.id),
                "api_key": .string(SimulatorProcess.Store.standard.apiKey), "name": "Main",
            ]
            try await fixture.test { client in
                let session = try await client.openSession(key: tenant.masterKey)
                let registered = try await client.post(
                    MCPMessage.toolCall("stores_register", arguments: main), key: tenant.masterKey, session: session)
                #expect(expectResult(registered)?["isError"] == false, "\(registered.text)")
            }
            let orderIDs = try await Self.orderIDs(simulator)
            // In the order a tenant would call them: register, create, update, note, move, ship, delete, restock,
            // unregister.
            let order = [
                "stores_register", "orders_create", "orders_update", "orders_add_note", "orders_move", "shipments_add",
                "shipments_delete", "orders_delete", "inventory_items_update_stock",
                "stores_delete",
            ]
            #expect(Set(order) == Set(Self.examples.keys))
            for (index, tool) in order.enumerated() {
                let orderID = orderIDs[index % orderIDs.count]
                var example = Self.replacing("{order}", with: orderID, in: Self.examples[tool] ?? [:])
                example = Self.replacing("{shipment_order}", with: orderIDs[1], in: example)
                if tool == "shipments_delete" {
                    let shipment = try await Self.shipmentID(simulator, orderID: orderIDs[1], tracking: "1ZAUDIT0001")
                    example = Self.replacing("{shipment}", with: shipment, in: example)
                }
                let arguments = example
                let requestID = try await fixture.test { client in
                    let session = try await client.openSession(key: tenant.masterKey)
                    let response = try await client.post(
                        MCPMessage.toolCall(tool, arguments: arguments, id: 1), key: tenant.masterKey, session: session)
                    let result = expectResult(response)
                    #expect(result?["isError"] == false, "\(tool): \(response.text)")
                    return response.headers[.requestID] ?? ""
                }
                let outcomes = try await fixture.auditOutcomes(correlationID: requestID)
                #expect(outcomes == ["started", "ok"], "\(tool): audit rows \(outcomes)")
            }
        }
    }

    private static func orderIDs(_ simulator: SimulatorProcess) async throws -> [String] {
        let reply = try await simulator.request("GET", "/orders?limit=5", store: .standard)
        let orders = reply.json?["orders"]?.arrayValue ?? []
        let ids = orders.compactMap { $0["id"]?.lenientString }
        try #require(ids.count >= 3, "the simulator's store has too few orders: \(ids)")
        return ids
    }

    private static func shipmentID(_ simulator: SimulatorProcess, orderID: String, tracking: String) async throws
        -> String
    {
        let reply = try await simulator.request("GET", "/orders/\(orderID)/shipments", store: .standard)
        let shipments = reply.json?["shipments"]?.arrayValue ?? []
        let id = shipments.first { $0["tracking_number"]?.stringValue == tracking }?["id"]?.lenientString
        return try #require(id, "shipments_add left no shipment \(tracking) on order \(orderID)")
    }

    private static func replacing(_ marker: String, with value: String, in json: JSONValue) -> JSONValue {
        switch json {
        case .string(marker): .string(value)
        case .object(let members): .object(members.mapValues { replacing(marker, with: value, in: $0) })
        case .array(let elements): .array(elements.map { replacing(marker, with: value, in: $0) })
        default: json
        }
    }
}

extension EdgeFixture {
    /// The outcomes of the audit rows of one request, in the order they were written.
    func auditOutcomes(correlationID: String) async throws -> [String] {
        try await scratch.asOwner { tx in
            try tx.query("SELECT outcome FROM orderdesk.audit_log WHERE correlation_id = \(correlationID) ORDER BY id")
                .map { try $0.decode(String.self, "outcome") }
        }
    }
}
