import Foundation
import JSON
import TestSupport
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `/_sim/webhooks` and `/_sim/orders/{id}/edit` without a receiver: validation, the rule list,
/// `fire: false`, and failed attempts logged with status 0 and their error. Posts that reach a
/// receiver are covered end to end by tests/e2e/test_simulator_webhooks.py.
@Suite("Webhook admin routes")
struct WebhookAdminTests {
    @Test func ruleDefaultsAndValidation() async throws {
        let sim = try await SimulatorProcess.launch()
        defer { sim.stop() }

        let created = try await admin(sim, "POST", "/_sim/webhooks", ["store_id": "10001", "url": "http://127.0.0.1:9/hook"])
        let rule = try #require(created.json?["rule"])
        #expect(created.status == 200)
        #expect(rule["id"] == 1)
        #expect(rule["events"] == ["created", "updated", "moved", "shipment"])
        #expect(rule["max_attempts"] == 5)
        #expect(rule["retry_delay_ms"] == 10000)

        let refused: [JSONValue] = [
            ["store_id": "99999", "url": "http://127.0.0.1:9/hook"],
            ["store_id": "10001", "url": "ftp://127.0.0.1/hook"],
            ["store_id": "10001", "url": "http://127.0.0.1:9/hook", "events": ["deleted"]],
            ["store_id": "10001", "url": "http://127.0.0.1:9/hook", "max_attempts": 11],
            ["store_id": "10001", "url": "http://127.0.0.1:9/hook", "retry_delay_ms": 60001],
        ]
        for body in refused {
            let reply = try await admin(sim, "POST", "/_sim/webhooks", body)
            #expect(reply.status == 400, "\(body.encodedString())")
            #expect(reply.json?["status"] == "error")
        }
        let listed = try await admin(sim, "GET", "/_sim/webhooks")
        #expect(listed.json?["rules"]?.arrayValue?.count == 1)

        _ = try await admin(sim, "DELETE", "/_sim/webhooks")
        #expect(try await admin(sim, "GET", "/_sim/webhooks").json?["rules"] == [])
    }

    @Test func editWithoutFireChangesTheOrderOutsideTheAPIAndPostsNothing() async throws {
        let sim = try await SimulatorProcess.launch()
        defer { sim.stop() }
        let id = try await sim.orderID { _ in true }
        _ = try await admin(sim, "POST", "/_sim/webhooks", ["store_id": "10001", "url": "http://127.0.0.1:9/hook"])
        let logged = try await sim.requestCount()

        let reply = try await admin(
            sim, "POST", "/_sim/orders/\(id)/edit",
            ["store_id": "10001", "set": ["email": "ui-edit@example.com"], "fire": false])

        #expect(reply.status == 200)
        #expect(reply.json?["order"]?["email"] == "ui-edit@example.com")
        #expect(reply.json?["deliveries"] == [])
        #expect(try await sim.order(id)["email"] == "ui-edit@example.com")
        #expect(try await sim.requestCount() == logged + 1)  // only the GET above
        #expect(try await admin(sim, "GET", "/_sim/webhooks/deliveries").json?["count"] == 0)
    }

    @Test func editRefusesUnknownFieldsStoresAndOrders() async throws {
        let sim = try await SimulatorProcess.launch()
        defer { sim.stop() }
        let id = try await sim.orderID { _ in true }

        let field = try await admin(sim, "POST", "/_sim/orders/\(id)/edit", ["store_id": "10001", "set": ["id": "5"]])
        let folder = try await admin(
            sim, "POST", "/_sim/orders/\(id)/edit", ["store_id": "10001", "set": ["folder_id": 424242]])
        let store = try await admin(sim, "POST", "/_sim/orders/\(id)/edit", ["store_id": "99999", "set": ["email": "x"]])
        let order = try await admin(sim, "POST", "/_sim/orders/1/edit", ["store_id": "10001", "set": ["email": "x"]])

        #expect(field.status == 400)
        #expect(folder.status == 400)
        #expect(store.status == 404)
        #expect(order.status == 404)
    }

    @Test func unreachableReceiverIsLoggedAsStatusZeroAndRetried() async throws {
        let sim = try await SimulatorProcess.launch()
        defer { sim.stop() }
        let id = try await sim.orderID { _ in true }
        // Port 9 (discard) on loopback: nothing listens there, so the connection is refused.
        _ = try await admin(
            sim, "POST", "/_sim/webhooks",
            ["store_id": "10001", "url": "http://127.0.0.1:9/hook", "max_attempts": 2, "retry_delay_ms": 0])
        _ = try await admin(
            sim, "POST", "/_sim/webhooks",
            ["store_id": "10001", "url": "https://127.0.0.1:9/hook", "max_attempts": 1, "events": ["updated"]])

        let fired = try await admin(
            sim, "POST", "/_sim/webhooks/fire", ["store_id": "10001", "order_id": .string(id), "event": "updated"])
        let first = try #require(fired.json?["deliveries"]?.arrayValue)
        #expect(first.count == 2)
        #expect(first.map { $0["status"] } == [0, 0])
        #expect(first.allSatisfy { $0["error"]?.stringValue?.isEmpty == false })

        var deliveries: [JSONValue] = []
        for _ in 0..<50 {
            deliveries =
                try await admin(sim, "GET", "/_sim/webhooks/deliveries?order_id=\(id)").json?["deliveries"]?
                .arrayValue ?? []
            if deliveries.count >= 3 { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(deliveries.count == 3)
        #expect(deliveries.filter { $0["rule_id"] == 1 }.map { $0["attempt"] } == [1, 2])
        #expect(deliveries.first { $0["rule_id"] == 2 }?["error"]?.stringValue?.contains("https") == true)

        try await sim.reset()
        #expect(try await admin(sim, "GET", "/_sim/webhooks").json?["rules"] == [])
    }

    @Test func removingARuleStopsItsPendingRetries() async throws {
        let sim = try await SimulatorProcess.launch()
        defer { sim.stop() }
        let id = try await sim.orderID { _ in true }
        let created = try await admin(
            sim, "POST", "/_sim/webhooks",
            ["store_id": "10001", "url": "http://127.0.0.1:9/hook", "max_attempts": 5, "retry_delay_ms": 1000])
        let ruleID = try #require(created.json?["rule"]?["id"]?.lenientInt)

        let fired = try await admin(
            sim, "POST", "/_sim/webhooks/fire", ["store_id": "10001", "order_id": .string(id), "event": "updated"])
        #expect(fired.json?["deliveries"]?.arrayValue?.map { $0["status"] } == [0])
        #expect(try await admin(sim, "DELETE", "/_sim/webhooks/\(ruleID)").status == 200)
        // The delay leaves a loaded machine time to delete the rule before the second attempt is due.
        try await Task.sleep(for: .milliseconds(2500))  // two retries would have come by now

        let deliveries = try await admin(sim, "GET", "/_sim/webhooks/deliveries?order_id=\(id)").json?["deliveries"]
        #expect(deliveries?.arrayValue?.map { $0["attempt"] } == [1])
    }

    @Test func clearingTheRulesStopsPendingRetries() async throws {
        let sim = try await SimulatorProcess.launch()
        defer { sim.stop() }
        let id = try await sim.orderID { _ in true }
        _ = try await admin(
            sim, "POST", "/_sim/webhooks",
            ["store_id": "10001", "url": "http://127.0.0.1:9/hook", "max_attempts": 5, "retry_delay_ms": 300])
        _ = try await admin(
            sim, "POST", "/_sim/webhooks/fire", ["store_id": "10001", "order_id": .string(id), "event": "updated"])

        _ = try await admin(sim, "DELETE", "/_sim/webhooks")
        // A rule added after the clear must not pick up the old post's retries either.
        _ = try await admin(
            sim, "POST", "/_sim/webhooks", ["store_id": "10001", "url": "http://127.0.0.1:9/other", "events": ["created"]])
        try await Task.sleep(for: .milliseconds(1200))

        #expect(try await admin(sim, "GET", "/_sim/webhooks/deliveries").json?["count"] == 0)
    }

    @Test func anOrderListedTwiceInOneMoveIsPostedOnce() async throws {
        let sim = try await SimulatorProcess.launch()
        defer { sim.stop() }
        let folders = try #require(try await sim.request("GET", "/store").json?["store"]?["folders"]?.objectValue)
        let prepared = try #require(folders.first { $0.value == "Prepared" }?.key)
        let id = try await sim.orderID { $0["folder_id"]?.lenientString != prepared }
        _ = try await admin(
            sim, "POST", "/_sim/webhooks",
            ["store_id": "10001", "url": "http://127.0.0.1:9/hook", "max_attempts": 1, "events": ["moved"]])

        let reply = try await sim.request(
            "POST", "/move-orders",
            body: ["order_id_list": [.string(id), .int(Int64(id)!)], "destination_folder_id": .int(Int64(prepared)!)])
        #expect(reply.status == 200)
        var deliveries: [JSONValue] = []
        for _ in 0..<30 {
            deliveries =
                try await admin(sim, "GET", "/_sim/webhooks/deliveries?order_id=\(id)").json?["deliveries"]?
                .arrayValue ?? []
            if !deliveries.isEmpty { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        try await Task.sleep(for: .milliseconds(300))  // a second post would be logged by now
        deliveries =
            try await admin(sim, "GET", "/_sim/webhooks/deliveries?order_id=\(id)").json?["deliveries"]?.arrayValue ?? []
        #expect(deliveries.map { $0["event"] } == ["moved"])
    }

    /// An admin call; unlike `SimulatorProcess`'s own helper it hands back error answers too.
    private func admin(_ sim: SimulatorProcess, _ method: String, _ path: String, _ body: JSONValue? = nil) async throws
        -> AdminReply
    {
        var request = URLRequest(url: try #require(URL(string: sim.rootURL.absoluteString + path)))
        request.httpMethod = method
        if let body {
            request.httpBody = body.encoded()
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        return AdminReply(status: status, json: try? JSONValue(parsing: data))
    }
}

struct AdminReply {
    let status: Int
    let json: JSONValue?
}
