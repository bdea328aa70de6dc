import JSON
import Testing

@testable import MCPServer

@Suite struct ShipmentArgumentsTests {
    @Test func shipmentToolsAreRegisteredWithTheirScopes() {
        let registry = ToolRegistry.standard
        #expect(registry.tool(named: "shipments_list")?.requiredScope == .read)
        #expect(registry.tool(named: "shipments_add")?.requiredScope == .write)
        #expect(registry.tool(named: "shipments_delete")?.requiredScope == .write)
        #expect(registry.tool(named: "shipments_delete")?.annotations.destructive == true)
        #expect(registry.tool(named: "shipments.add")?.name == "shipments_add")
    }

    @Test func documentedCarriersAreSentInOrderDesksSpelling() throws {
        #expect(try ShipmentSchemas.carrierCode("fedex", path: "c") == "FedEx")
        #expect(try ShipmentSchemas.carrierCode("usps", path: "c") == "USPS")
        #expect(try ShipmentSchemas.carrierCode("Canada Post", path: "c") == "Canada Post")
    }

    @Test func malformedCarrierCodesAreValidationErrors() {
        for bad in ["", " UPS", "U$PS", "<script>", "UPS\n", String(repeating: "A", count: 41), "ÜPS"] {
            #expect(throws: MCPError.self, "\(bad.debugDescription)") { try ShipmentSchemas.carrierCode(bad, path: "c") }
        }
    }

    @Test func theBatchSchemaIsStrictAndBounded() throws {
        let schema = ShipmentsAddTool().inputSchema
        let one: JSONValue = ["order_id": "1", "tracking_number": "1Z", "carrier_code": "UPS"]
        try ArgumentValidator.validate(["shipments": [one]], against: schema)
        #expect(throws: MCPError.self) { try ArgumentValidator.validate(["shipments": []], against: schema) }
        #expect(throws: MCPError.self) {
            try ArgumentValidator.validate(["shipments": .array(Array(repeating: one, count: 51))], against: schema)
        }
        #expect(throws: MCPError.self) {
            try ArgumentValidator.validate(
                ["shipments": [["order_id": "1", "tracking_number": "1Z", "carrier_code": "UPS", "color": "red"]]],
                against: schema)
        }
        #expect(throws: MCPError.self) {
            try ArgumentValidator.validate(["shipments": [["order_id": "1", "tracking_number": "1Z"]]], against: schema)
        }
    }

    @Test func entriesBecomeOrderDeskShipments() throws {
        let entry = try ShipmentSchemas.batchEntry(
            ["order_id": "42", "tracking_number": "1Z9", "carrier_code": "ups", "weight": 2, "date_shipped": "2026-01-31"],
            path: "shipments[0]")
        #expect(entry.orderID == "42")
        #expect(entry.shipment.carrierCode == "UPS")
        #expect(entry.shipment.weight == 2)
        #expect(entry.shipment.dateShipped == "2026-01-31")
        #expect(throws: MCPError.self) {
            try ShipmentSchemas.batchEntry(
                ["order_id": "42", "tracking_number": "1Z9", "carrier_code": "UPS", "date_shipped": "2026-13-01"],
                path: "s")
        }
        #expect(throws: MCPError.self) {
            try ShipmentSchemas.batchEntry(["order_id": "42", "tracking_number": "  ", "carrier_code": "UPS"], path: "s")
        }
    }
}
