import App
import Foundation
import JSON
import Testing

@testable import MCPServer

/// How a store appears in tool results: ids, names, an ISO 8601 UTC timestamp, never credentials.
@Suite struct RegisteredStoreJSONTests {
    @Test func createdAtIsISO8601InUTCWithSecondPrecision() {
        let id = UUID()
        let store = RegisteredStore(
            id: id, storeID: "10001", name: "Acme", label: nil, createdAt: Date(timeIntervalSince1970: 1_764_199_897.75))
        #expect(store.json["created_at"] == "2025-11-26T23:31:37Z")
        #expect(store.json["id"]?.stringValue == id.uuidString.lowercased())
        #expect(store.json["label"] == .null)
        #expect(Set(store.json.objectValue?.keys.map { $0 } ?? []) == ["id", "store_id", "name", "label", "created_at"])
    }
}
