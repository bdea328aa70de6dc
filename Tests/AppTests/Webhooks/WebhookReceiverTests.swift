import Cryptography
import Foundation
import JSON
import Logging
import OrderDesk
import Postgres
import TestSupport
import Testing

@testable import App

/// OrderDesk's webhooks against a real database and a real simulator's store registration: the
/// signature is checked with the key stored for each tenant's registration, a payload is kept once,
/// and the order's cached answer and the store's lists are dropped.
@Suite(.serialized) struct WebhookReceiverTests {
    static let apiKey = SimulatorProcess.Store.standard.apiKey

    @Test func signedPostDropsTheCachedOrderAndTheListsAndIsStoredOnce() async throws {
        try await OrdersHarness.run { h in
            let id = try await h.orderIDs(1)[0]
            _ = try await h.service.get(tenantID: h.tenantID, store: h.store, orderID: id)
            _ = try await h.service.list(tenantID: h.tenantID, store: h.store, query: OrderQuery(limit: 5))
            #expect(try await h.cacheRows(scope: "order") == 1)
            #expect(try await h.cacheRows(scope: "order_list") == 1)

            let receiver = Self.receiver(h)
            let post = Self.delivery(orderJSON: #"{"id":"\#(id)","email":"changed@example.com"}"#)
            let first = try await receiver.receive(post)
            #expect(first == .init(orderID: id, registrations: 1, duplicates: 0))
            #expect(try await h.cacheRows(scope: "order") == 0)
            #expect(try await h.cacheRows(scope: "order_list") == 0)

            let again = try await receiver.receive(post)
            #expect(again == .init(orderID: id, registrations: 1, duplicates: 1))
            let events = try await WebhookEventLog(database: h.database).recent(tenantID: h.tenantID, limit: 10)
            #expect(events.count == 1)
            #expect(events.first?.orderID == id)
            #expect(events.first?.status == "processed")
            #expect(events.first?.payloadSHA256 == SHA256.hexDigest(post.order))
            #expect(events.first?.processedAt != nil)
            let stored = try await h.database.withTenantTransaction(h.tenantID) { tx in
                try tx.query("SELECT payload FROM orderdesk.webhook_events")[0].decode(JSONValue.self, "payload")
            }
            #expect(stored["email"] == "changed@example.com")
        }
    }

    @Test func aDifferentPayloadForTheSameOrderIsAnotherEvent() async throws {
        try await OrdersHarness.run { h in
            let receiver = Self.receiver(h)
            _ = try await receiver.receive(Self.delivery(orderJSON: #"{"id":7,"folder_id":1}"#))
            let moved = try await receiver.receive(Self.delivery(orderJSON: #"{"id":7,"folder_id":2}"#))
            #expect(moved == .init(orderID: "7", registrations: 1, duplicates: 0))
            #expect(try await WebhookEventLog(database: h.database).recent(tenantID: h.tenantID, limit: 10).count == 2)
        }
    }

    @Test func aWrongSignatureIsRefusedAndNothingChanges() async throws {
        try await OrdersHarness.run { h in
            let id = try await h.orderIDs(1)[0]
            _ = try await h.service.get(tenantID: h.tenantID, store: h.store, orderID: id)
            let receiver = Self.receiver(h)
            let body = Array(#"{"id":"\#(id)"}"#.utf8)
            let forged = [
                WebhookReceiver.Delivery(
                    storeID: "10001", signature: HMACSHA256.authenticationCode(key: Array("not-the-key".utf8), message: body),
                    order: body),
                WebhookReceiver.Delivery(storeID: "10001", signature: [UInt8](repeating: 0, count: 32), order: body),
                // Signed, but for other bytes than the ones sent.
                WebhookReceiver.Delivery(
                    storeID: "10001", signature: Self.sign(Array(#"{"id":"1"}"#.utf8)), order: body),
            ]
            for post in forged {
                let refusal = await caught(WebhookReceiver.Refusal.self) { try await receiver.receive(post) }
                #expect(refusal == .badSignature)
            }
            // Twice: the second check runs against the cached key.
            #expect(await caught(WebhookReceiver.Refusal.self) { try await receiver.receive(forged[0]) } == .badSignature)
            #expect(try await WebhookEventLog(database: h.database).recent(tenantID: h.tenantID, limit: 10).isEmpty)
            #expect(try await h.cacheRows(scope: "order") == 1)
        }
    }

    @Test func anUnregisteredStoreIsRefused() async throws {
        try await OrdersHarness.run { h in
            let post = Self.delivery(orderJSON: #"{"id":"1"}"#, storeID: "99999")
            #expect(await caught(WebhookReceiver.Refusal.self) { try await Self.receiver(h).receive(post) } == .unknownStore)
        }
    }

    @Test func aSignedPayloadThatIsNotAnObjectIsRefusedAndNotStored() async throws {
        try await OrdersHarness.run { h in
            for text in ["not json", "[1,2]", #""text""#, ""] {
                let refusal = await caught(WebhookReceiver.Refusal.self) {
                    try await Self.receiver(h).receive(Self.delivery(orderJSON: text))
                }
                #expect(refusal == .invalidPayload, "\(text)")
            }
            let events = try await WebhookEventLog(database: h.database).recent(tenantID: h.tenantID, limit: 10)
            #expect(events.isEmpty)
        }
    }

    /// Two tenants registered the same OrderDesk store: each gets the event under its own row-level
    /// security, and a disabled tenant's registration is not tried.
    @Test func everyActiveRegistrationOfTheStoreGetsTheEvent() async throws {
        try await OrdersHarness.run { h in
            let other = try await h.fixture.createTenant()
            _ = try await h.primary.registry.register(
                tenantID: other.tenantID, storeID: "10001", apiKey: Self.apiKey, name: "Shared", label: nil)
            let receiver = Self.receiver(h)
            let receipt = try await receiver.receive(Self.delivery(orderJSON: #"{"id":"42"}"#))
            #expect(receipt == .init(orderID: "42", registrations: 2, duplicates: 0))
            let log = WebhookEventLog(database: h.database)
            #expect(try await log.recent(tenantID: h.tenantID, limit: 10).count == 1)
            #expect(try await log.recent(tenantID: other.tenantID, limit: 10).count == 1)

            #expect(try await h.fixture.keys.disableTenant(tenantID: other.tenantID))
            let later = try await receiver.receive(Self.delivery(orderJSON: #"{"id":"43"}"#))
            #expect(later.registrations == 1)
            #expect(try await log.recent(tenantID: other.tenantID, limit: 10).count == 1)
        }
    }

    @Test func theOperatorListingNamesAnUnknownTenantAndFiltersByStore() async throws {
        try await OrdersHarness.run { h in
            let log = WebhookEventLog(database: h.database)
            let nobody = UUID()
            let error = await caught(AdministrationError.self) { try await log.recent(tenantID: nobody, limit: 5) }
            #expect(error?.code == .tenantNotFound)
            _ = try await Self.receiver(h).receive(Self.delivery(orderJSON: #"{"id":"5"}"#))
            #expect(try await log.recent(tenantID: h.tenantID, storeID: "10001", limit: 5).count == 1)
            #expect(try await log.recent(tenantID: h.tenantID, storeID: "20002", limit: 5).isEmpty)
        }
    }

    /// A redelivery changes nothing: it neither stores a second row nor drops what was cached since.
    @Test func aReplayDoesNotInvalidateAgain() async throws {
        try await OrdersHarness.run { h in
            let id = try await h.orderIDs(1)[0]
            let receiver = Self.receiver(h)
            let post = Self.delivery(orderJSON: #"{"id":"\#(id)"}"#)
            _ = try await receiver.receive(post)
            _ = try await h.service.get(tenantID: h.tenantID, store: h.store, orderID: id)
            #expect(try await h.cacheRows(scope: "order") == 1)
            #expect(try await receiver.receive(post).duplicates == 1)
            #expect(try await h.cacheRows(scope: "order") == 1)
            #expect(try await h.service.get(tenantID: h.tenantID, store: h.store, orderID: id).cached)
        }
    }

    /// Genuine posts PostgreSQL cannot keep as jsonb are accepted (no endless OrderDesk retries),
    /// recorded as failed with a placeholder, and still invalidate the order.
    @Test func aSignedPayloadJsonbCannotHoldIsRecordedAsFailed() async throws {
        try await OrdersHarness.run { h in
            let id = try await h.orderIDs(1)[0]
            _ = try await h.service.get(tenantID: h.tenantID, store: h.store, orderID: id)
            let receiver = Self.receiver(h)
            let receipt = try await receiver.receive(Self.delivery(orderJSON: #"{"id":"\#(id)","note":"a\u0000b"}"#))
            #expect(receipt == .init(orderID: id, registrations: 1, duplicates: 0))
            #expect(try await h.cacheRows(scope: "order") == 0)
            let events = try await WebhookEventLog(database: h.database).recent(tenantID: h.tenantID, limit: 10)
            #expect(events.map(\.status) == ["failed"])
            #expect(events.first?.orderID == id)
            // A number no double holds is not JSON this server reads: refused before anything is stored.
            let huge = await caught(WebhookReceiver.Refusal.self) {
                try await receiver.receive(Self.delivery(orderJSON: #"{"id":"\#(id)","total":1e999}"#))
            }
            #expect(huge == .invalidPayload)
            #expect(try await WebhookEventLog(database: h.database).recent(tenantID: h.tenantID, limit: 10).count == 1)
        }
    }

    /// The cached key is the only check once cached: a forged post does not decrypt the key again.
    @Test func forgedPostsDoNotDecryptTheKeyAgain() async throws {
        try await OrdersHarness.run { h in
            let receiver = Self.receiver(h)
            _ = try await receiver.receive(Self.delivery(orderJSON: #"{"id":"1"}"#))
            // Make the stored ciphertext undecryptable: a decryption would now fail and be logged,
            // a cached key still verifies and still refuses forgeries.
            let changed = try await h.database.withTenantTransaction(h.tenantID) { tx in
                try tx.execute("UPDATE orderdesk.stores SET api_key_tag = \([UInt8](repeating: 0, count: 16))")
            }
            #expect(changed == 1)
            let forged = WebhookReceiver.Delivery(
                storeID: "10001", signature: [UInt8](repeating: 1, count: 32), order: Array(#"{"id":"2"}"#.utf8))
            #expect(await caught(WebhookReceiver.Refusal.self) { try await receiver.receive(forged) } == .badSignature)
            #expect(try await receiver.receive(Self.delivery(orderJSON: #"{"id":"3"}"#)).registrations == 1)
            // A fresh receiver (another replica) has no cached key and cannot decrypt: refused.
            let other = Self.receiver(h)
            #expect(
                await caught(WebhookReceiver.Refusal.self) { try await other.receive(Self.delivery(orderJSON: #"{"id":"4"}"#)) }
                    == .badSignature)
        }
    }

    @Test func formDecodingKeepsTheExactBytesOfTheOrderField() throws {
        let json = #"{"id":"1","note":"a+b & c=d %"}"#
        let body = Array(("x=1&order=" + Self.formEncode(json) + "&y=%41").utf8)
        #expect(try WebhookForm.orderField(body) == Array(json.utf8))
        #expect(try WebhookForm.orderField(Array("order=a+b%2Bc%e2%82%ac".utf8)) == Array("a b+c€".utf8))
        #expect(try WebhookForm.orderField(Array("order".utf8)) == [])
        #expect(throws: WebhookForm.Failure.missingOrder) { try WebhookForm.orderField(Array("orders=1&x=2".utf8)) }
        #expect(throws: WebhookForm.Failure.repeatedOrder) { try WebhookForm.orderField(Array("order=1&order=1".utf8)) }
        for bad in ["order=%", "order=%4", "order=%zz", "order=ab%4"] {
            #expect(throws: WebhookForm.Failure.malformedEncoding) { try WebhookForm.orderField(Array(bad.utf8)) }
        }
    }

    // MARK: Helpers

    static func receiver(_ h: OrdersHarness) -> WebhookReceiver {
        WebhookReceiver(database: h.database, stores: h.primary.registry, logger: Logger(label: "webhook-tests"))
    }

    static func sign(_ bytes: [UInt8]) -> [UInt8] {
        HMACSHA256.authenticationCode(key: Array(apiKey.utf8), message: bytes)
    }

    static func delivery(orderJSON: String, storeID: String = "10001") -> WebhookReceiver.Delivery {
        let bytes = Array(orderJSON.utf8)
        return .init(storeID: storeID, signature: sign(bytes), order: bytes)
    }

    /// PHP's `urlencode`: letters, digits and `-_.` stay, space is `+`, everything else `%XX`.
    static func formEncode(_ text: String) -> String {
        text.utf8.map { byte -> String in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."):
                String(UnicodeScalar(byte))
            case UInt8(ascii: " "): "+"
            default: String(format: "%%%02X", byte)
            }
        }.joined()
    }
}
