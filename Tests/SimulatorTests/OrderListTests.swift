import Foundation
import JSON
import TestSupport
import Testing

/// `GET /orders`: envelope, paging and the filters of reference §2.1.
@Suite("GET /orders")
struct OrderListTests {
    @Test func envelopeReportsTotalsAndPagesWithLimitAndOffset() async throws {
        let sim = try await SimulatorProcess.launch(orders: 30)
        defer { sim.stop() }

        let (defaults, _) = try await sim.listOrders()
        let (page, orders) = try await sim.listOrders("limit=7&offset=25")
        let (all, everything) = try await sim.listOrders("limit=500")

        #expect(defaults["limit"] == 50)
        #expect(defaults["offset"] == 0)
        #expect(defaults["status"] == "success")
        #expect(defaults["total_records"] == 30)
        #expect(page["total_records"] == 30)
        #expect(page["records_returned"] == 5)
        #expect(page["offset"] == 25)
        #expect(page["limit"] == 7)
        #expect(orders.map { $0["id"] } == Array(everything.dropFirst(25)).map { $0["id"] })
        #expect(all["records_returned"] == 30)
    }

    @Test func newestOrdersComeFirstByDefault() async throws {
        let sim = try await SimulatorProcess.launch()
        defer { sim.stop() }

        let (_, orders) = try await sim.listOrders()
        let dates = orders.compactMap { $0["date_added"]?.stringValue }

        #expect(dates.count == 25)
        #expect(dates == dates.sorted(by: >))
    }

    @Test func limitAbove500IsCappedAt500() async throws {
        let sim = try await SimulatorProcess.launch(orders: 520)
        defer { sim.stop() }

        let (envelope, orders) = try await sim.listOrders("limit=800")

        #expect(envelope["limit"] == 500)
        #expect(envelope["records_returned"] == 500)
        #expect(envelope["total_records"] == 520)
        #expect(orders.count == 500)
    }

    @Test func folderIdFilterReturnsOnlyOrdersInThoseFolders() async throws {
        let sim = try await SimulatorProcess.launch(orders: 40)
        defer { sim.stop() }
        let folders = try #require(try await sim.request("GET", "/store").json?["store"]?["folders"]?.objectValue)
        let closed = try #require(folders.first { $0.value == "Closed" }?.key)

        let (envelope, orders) = try await sim.listOrders("folder_id=\(closed)&limit=500")
        let (byName, _) = try await sim.listOrders("folder_name=closed")

        #expect(!orders.isEmpty)
        #expect(orders.allSatisfy { $0["folder_id"]?.lenientString == closed })
        #expect(byName["total_records"] == envelope["total_records"])
    }

    @Test func emailFilterMatchesExactlyAndIgnoresCase() async throws {
        let sim = try await SimulatorProcess.launch(orders: 40)
        defer { sim.stop() }
        let (_, all) = try await sim.listOrders("limit=500")
        let email = try #require(all.first?["email"]?.stringValue)
        let expected = all.filter { $0["email"]?.stringValue == email }.count

        let (_, orders) = try await sim.listOrders("email=\(email.uppercased())")

        #expect(orders.count == expected)
        #expect(orders.allSatisfy { $0["email"]?.stringValue == email })
    }

    @Test func dateWindowFilterKeepsOrdersAddedInsideIt() async throws {
        let sim = try await SimulatorProcess.launch(orders: 40)
        defer { sim.stop() }

        let (_, orders) = try await sim.listOrders("search_start_date=2025-04-01&search_end_date=2025-04-15+23:59:59&limit=500")
        let (_, all) = try await sim.listOrders("limit=500")
        let expected = all.filter {
            let date = $0["date_added"]?.stringValue ?? ""
            return date >= "2025-04-01 00:00:00" && date <= "2025-04-15 23:59:59"
        }

        #expect(!orders.isEmpty)
        #expect(orders.map { $0["id"] } == expected.map { $0["id"] })
    }

    @Test func shippingLastNameAndSourceFiltersNarrowTheList() async throws {
        let sim = try await SimulatorProcess.launch(orders: 40)
        defer { sim.stop() }
        let (_, all) = try await sim.listOrders("limit=500")
        let sample = try #require(all.first)
        let lastName = try #require(sample["shipping"]?["last_name"]?.stringValue)
        let sourceID = try #require(sample["source_id"]?.stringValue)
        let sourceName = try #require(sample["source_name"]?.stringValue)

        let (_, byName) = try await sim.listOrders(
            "shipping_last_name=\(lastName.lowercased().addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)&limit=500")
        let (_, bySource) = try await sim.listOrders(
            "source_id=\(sourceID)&source_name=\(sourceName.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)")

        #expect(!byName.isEmpty)
        #expect(byName.allSatisfy { $0["shipping"]?["last_name"]?.stringValue == lastName })
        #expect(bySource.map { $0["id"] } == [sample["id"]])
    }

    @Test func orderByAnyFieldSortsAscendingOrDescending() async throws {
        let sim = try await SimulatorProcess.launch()
        defer { sim.stop() }

        let (_, ascending) = try await sim.listOrders("order_by=order_total&order=asc")
        let totals = ascending.compactMap { $0["order_total"]?.lenientDouble }

        #expect(totals.count == 25)
        #expect(totals == totals.sorted())
    }

    @Test func unparsableDateIsABadRequest() async throws {
        let sim = try await SimulatorProcess.launch()
        defer { sim.stop() }

        let reply = try await sim.request("GET", "/orders?search_start_date=yesterday")

        #expect(reply.status == 400)
        #expect(reply.json?["status"] == "error")
    }
}
