import Foundation
import JSON
import OrderDesk
import Postgres
import TestSupport
import Testing

@testable import App

/// The folder list cache, moves and history notes, against a real database and a real simulator.
@Suite(.serialized) struct OrderFolderWorkflowTests {
    @Test func folderListIsCachedUnderTheStoreScopeAndSharedByReplicas() async throws {
        try await OrdersHarness.run { h in
            let first = try await h.service.folders(tenantID: h.tenantID, store: h.store)
            try await h.withSecondReplica { replica2 in
                let second = try await replica2.service.folders(tenantID: h.tenantID, store: h.store)
                #expect(second.cached && second.folders == first.folders)
            }
            #expect(!first.cached)
            #expect(first.folders.map(\.name).sorted() == ["Canceled", "Closed", "New", "Prepared"])
            #expect(first.folders.map(\.id) == first.folders.map(\.id).sorted())
            #expect(try await h.upstream("GET", "/store") == 1)
            #expect(try await h.cacheRows(scope: "store") == 1)
        }
    }

    @Test func orderMutationsLeaveTheFolderListCached() async throws {
        try await OrdersHarness.run { h in
            let id = try await h.orderIDs(1)[0]
            _ = try await h.service.folders(tenantID: h.tenantID, store: h.store)
            _ = try await h.service.addNote(
                tenantID: h.tenantID, store: h.store, orderID: id, note: "Checked", sourceName: nil)
            #expect(try await h.service.folders(tenantID: h.tenantID, store: h.store).cached)
        }
    }

    @Test func folderNamesMatchExactlyAndUnknownOnesListTheFolders() async throws {
        try await OrdersHarness.run { h in
            let prepared = try await h.service.folder(.name("Prepared"), tenantID: h.tenantID, store: h.store)
            #expect(prepared.name == "Prepared")
            #expect(try await h.service.folder(.id(prepared.id), tenantID: h.tenantID, store: h.store) == prepared)

            let lowercase = await orderServiceError {
                try await h.service.folder(.name("prepared"), tenantID: h.tenantID, store: h.store)
            }
            #expect(lowercase?.code == .validation)
            #expect(lowercase?.message.contains("New") == true && lowercase?.message.contains("Canceled") == true)
            // The cached list did not know the name, so it was looked up once more before refusing.
            #expect(try await h.upstream("GET", "/store") == 2)
            let unknownID = await orderServiceError {
                try await h.service.folder(.id(1), tenantID: h.tenantID, store: h.store)
            }
            #expect(unknownID?.code == .validation)
        }
    }

    @Test func moveReportsEachOrderAndInvalidatesTheirCacheEntries() async throws {
        try await OrdersHarness.run { h in
            let ids = try await h.orderIDs(2)
            let closed = try await h.service.folder(.name("Closed"), tenantID: h.tenantID, store: h.store)
            for id in ids { _ = try await h.service.get(tenantID: h.tenantID, store: h.store, orderID: id) }
            _ = try await h.service.list(tenantID: h.tenantID, store: h.store, query: OrderQuery(limit: 5))

            let results = try await h.service.move(
                tenantID: h.tenantID, store: h.store, orderIDs: ids + ["999999999", "not-an-id"], to: closed)

            #expect(results.map(\.orderID) == ids + ["999999999", "not-an-id"])
            #expect(results.map(\.outcome) == [.moved, .moved, .notFound, .notFound])
            #expect(results[0].originalFolderID != nil)
            #expect(try await h.upstream("POST", "/move-orders") == 1)
            #expect(try await h.cacheRows(scope: "order") == 0)
            #expect(try await h.cacheRows(scope: "order_list") == 0)
            for id in ids {
                let after = try await h.service.get(tenantID: h.tenantID, store: h.store, orderID: id)
                #expect(!after.cached && after.order["folder_id"]?.lenientInt == closed.id)
            }
        }
    }

    @Test func moveOfOnlyImpossibleIdsCallsNothing() async throws {
        try await OrdersHarness.run { h in
            let closed = try await h.service.folder(.name("Closed"), tenantID: h.tenantID, store: h.store)
            let results = try await h.service.move(tenantID: h.tenantID, store: h.store, orderIDs: ["abc"], to: closed)
            #expect(results.map(\.outcome) == [.notFound])
            #expect(try await h.upstream("POST", "/move-orders") == 0)
        }
    }

    @Test func addedNoteShowsInTheHistoryAndDropsBothCachedCopies() async throws {
        try await OrdersHarness.run { h in
            let id = try await h.orderIDs(1)[0]
            _ = try await h.service.get(tenantID: h.tenantID, store: h.store, orderID: id)
            let before = try await h.service.get(tenantID: h.tenantID, store: h.store, orderID: id, includeHistory: true)
            #expect(!before.cached && before.order["order_history"]?.arrayValue != nil)
            #expect(try await h.cacheRows(scope: "order") == 2)

            let order = try await h.service.addNote(
                tenantID: h.tenantID, store: h.store, orderID: id, note: "Customer called", sourceName: "Support")

            #expect(order["order_history"]?.arrayValue?.last?["note"] == "Customer called")
            #expect(try await h.cacheRows(scope: "order") == 0)
            let after = try await h.service.get(tenantID: h.tenantID, store: h.store, orderID: id, includeHistory: true)
            #expect(!after.cached)
            #expect(after.order["order_history"]?.arrayValue?.last?["source_name"] == "Support")
            let plain = try await h.service.get(tenantID: h.tenantID, store: h.store, orderID: id)
            #expect(plain.order["order_history"] == nil)
        }
    }

    @Test func noteOnAnUnknownOrderIsNotFound() async throws {
        try await OrdersHarness.run { h in
            await #expect(throws: OrderDeskError.self) {
                try await h.service.addNote(
                    tenantID: h.tenantID, store: h.store, orderID: "999999999", note: "Hello", sourceName: nil)
            }
        }
    }
}
