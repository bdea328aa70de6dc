import Testing

@testable import OrderDesk

/// One date check for the orders_list tool and the OrderQuery request builder (they used to disagree:
/// the builder also took `HH:MM` and 2026-13-45, which OrderDesk does not document).
@Suite struct OrderDeskDateTests {
    @Test func theTwoShapesOrderDeskDocumentsAreAccepted() {
        for text in ["2026-11-26", "2026-11-26 14:30:00", "2024-02-29", "2000-02-29 23:59:59", "2026-01-01 00:00:00"] {
            #expect(OrderDeskDate.isValid(text), "\(text)")
        }
    }

    @Test func otherShapesAndImpossibleValuesAreRefused() {
        let refused = [
            "2026-13-01", "2026-11-32", "2026-02-29", "1900-02-29", "2026-04-31", "2026-00-10", "2026-11-00",
            "26-11-2026", "2026-11-26T14:30:00Z", "2026-11-26 14:30", "2026-11-26 24:00:00", "2026-11-26 12:60",
            "2026-11-26 12:00:60",
            "2026-11-26 14:30:0", "2026-1-26", "yesterday", "", "２０２６-11-26", "2026-11-26 14:30:00 ",
        ]
        for text in refused { #expect(!OrderDeskDate.isValid(text), "\(text)") }
    }

    @Test func theRequestBuilderUsesTheSameCheck() throws {
        #expect(throws: (any Error).self) { try OrderQuery(searchStartDate: "2026-02-30").queryItems() }
        #expect(throws: (any Error).self) { try OrderQuery(searchStartDate: "2026-11-26 14:30").queryItems() }
        #expect(throws: Never.self) { try OrderQuery(searchStartDate: "2026-11-26 14:30:00").queryItems() }
    }
}
