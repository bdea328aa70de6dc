import Foundation
import JSON

/// The rule events the simulator can fire, named after what changed through the API.
enum WebhookEvent: String, Sendable, CaseIterable {
    case created, updated, moved, shipment
}

/// One "Post Order JSON" rule of a store: which events post where, and how failures are retried.
struct WebhookRule: Sendable {
    static let defaultMaxAttempts = 5
    static let maxAttemptsRange = 1...10
    static let defaultRetryDelayMilliseconds = 10_000
    static let retryDelayRange = 0...60_000

    let id: Int64
    let storeID: String
    let url: String
    /// In `WebhookEvent.allCases` order.
    let events: [WebhookEvent]
    let maxAttempts: Int
    let retryDelayMilliseconds: Int

    /// Reads the body of `POST /_sim/webhooks`; the store's existence is checked by the caller.
    init(id: Int64, body: [String: JSONValue]) throws {
        self.id = id
        guard let storeID = body["store_id"]?.lenientString, !storeID.isEmpty else {
            throw SimulatorError.badRequest("store_id is required.")
        }
        self.storeID = storeID
        let url = body["url"]?.stringValue ?? ""
        guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased(), ["http", "https"].contains(scheme),
            let host = parsed.host, !host.isEmpty
        else { throw SimulatorError.badRequest("url must be an absolute http:// or https:// URL.") }
        self.url = url
        if let list = body["events"], !list.isNull {
            guard let names = list.arrayValue, !names.isEmpty else {
                throw SimulatorError.badRequest("events must be a non-empty array of created, updated, moved, shipment.")
            }
            let requested = try Set(
                names.map { value in
                    guard let event = value.stringValue.flatMap(WebhookEvent.init(rawValue:)) else {
                        throw SimulatorError.badRequest(
                            "Unknown event \(value.encodedString()); use created, updated, moved, shipment.")
                    }
                    return event
                })
            events = WebhookEvent.allCases.filter(requested.contains)
        } else {
            events = WebhookEvent.allCases
        }
        maxAttempts = try Self.integer(body, "max_attempts", default: Self.defaultMaxAttempts, in: Self.maxAttemptsRange)
        retryDelayMilliseconds = try Self.integer(
            body, "retry_delay_ms", default: Self.defaultRetryDelayMilliseconds, in: Self.retryDelayRange)
    }

    func json() -> JSONValue {
        [
            "id": .int(id), "store_id": .string(storeID), "url": .string(url),
            "events": .array(events.map { .string($0.rawValue) }), "max_attempts": .int(Int64(maxAttempts)),
            "retry_delay_ms": .int(Int64(retryDelayMilliseconds)),
        ]
    }

    private static func integer(
        _ body: [String: JSONValue], _ name: String, default fallback: Int, in range: ClosedRange<Int>
    ) throws -> Int {
        guard let value = body[name], !value.isNull else { return fallback }
        guard case .int(let number) = value, range.contains(Int(number)) else {
            throw SimulatorError.badRequest("\(name) must be an integer from \(range.lowerBound) to \(range.upperBound).")
        }
        return Int(number)
    }
}

/// One attempt to deliver one post, as `GET /_sim/webhooks/deliveries` lists it.
struct WebhookDelivery: Sendable {
    let ruleID: Int64
    let storeID: String
    let orderID: Int64
    let event: WebhookEvent
    let attempt: Int
    /// The receiver's HTTP status; 0 when no response arrived.
    let status: Int
    let error: String?
    let sentAt: String

    var succeeded: Bool { status == 200 || status == 201 }

    func json() -> JSONValue {
        [
            "rule_id": .int(ruleID), "store_id": .string(storeID), "order_id": .string(String(orderID)),
            "event": .string(event.rawValue), "attempt": .int(Int64(attempt)), "status": .int(Int64(status)),
            "error": error.map { .string($0) } ?? .null, "sent_at": .string(sentAt),
        ]
    }
}
