import JSON
import TestSupport
import Testing

/// `/move-orders` and `/orders/{id}/order-history` as the reference (§2.6, §2.7) describes them.
@Suite("Order workflow routes")
struct OrderWorkflowRouteTests {
    @Test func moveByFolderNameMatchesTheNameExactly() async throws {
        let sim = try await SimulatorProcess.launch()
        defer { sim.stop() }
        let id = try await sim.orderID { _ in true }
        let before = try await sim.order(id)

        let reply = try await sim.request(
            "POST", "/move-orders", body: ["order_id_list": [.int(Int64(id)!)], "destination_folder_name": "canceled"])
        let after = try await sim.order(id)

        #expect(reply.status == 400)
        #expect(reply.json?["status"] == "error")
        #expect(after["folder_id"] == before["folder_id"])
    }

    @Test func moveReportsIntegerIdsAndRecordsTheMoveInTheHistory() async throws {
        let sim = try await SimulatorProcess.launch()
        defer { sim.stop() }
        let folders = try #require(try await sim.request("GET", "/store").json?["store"]?["folders"]?.objectValue)
        let prepared = try #require(folders.first { $0.value == "Prepared" }?.key)
        let id = try await sim.orderID { $0["folder_id"]?.lenientString != prepared }

        let reply = try await sim.request(
            "POST", "/move-orders",
            body: ["order_id_list": [.string(id)], "destination_folder_id": .int(Int64(prepared)!)])
        let after = try await sim.request("GET", "/orders/\(id)?get_order_history=1").json?["order"]

        #expect(reply.json?["execution_time"]?.stringValue?.hasSuffix(" seconds") == true)
        #expect(reply.json?["results"]?.arrayValue?.first?["order_id"] == .int(Int64(id)!))
        #expect(after?["folder_id"]?.lenientString == prepared)
        #expect(after?["order_history"]?.arrayValue?.last?["note"]?.stringValue?.contains("Prepared") == true)
    }

    @Test func historyNotesOverTheLimitAreRefusedAndUnknownOrdersAreNotFound() async throws {
        let sim = try await SimulatorProcess.launch()
        defer { sim.stop() }
        let id = try await sim.orderID { _ in true }

        let long = try await sim.request(
            "POST", "/orders/\(id)/order-history", body: ["note": .string(String(repeating: "x", count: 1801))])
        let missing = try await sim.request("POST", "/orders/999999999/order-history", body: ["note": "Hello"])

        #expect(long.status == 400)
        #expect(missing.status == 404)
        #expect(missing.json?["message"] == "Order Not Found")
    }
}
