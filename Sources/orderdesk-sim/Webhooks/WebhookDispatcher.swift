import Foundation
import JSON

/// Fires the store's "Post Order JSON" rules: after API mutations in the background (the API answer
/// never waits for a receiver), and for the admin routes with the first attempts awaited.
///
/// Each firing serializes the order once; its retries resend the same bytes. A receiver's 200 or
/// 201 is success; anything else, or no answer within the poster's timeout, is retried after the
/// rule's `retry_delay_ms`, up to `max_attempts` attempts in all.
struct WebhookDispatcher: Sendable {
    static let storeIDHeader = "X-ORDER-DESK-STORE-ID"
    static let hashHeader = "X-ORDER-DESK-HASH"

    /// One firing: the order's JSON as sent, signed with the store's key.
    struct Payload: Sendable {
        let storeID: String
        let orderID: Int64
        let event: WebhookEvent
        let body: String
        let signature: String
    }

    let registry: WebhookRegistry
    let database: StoreDatabase
    let poster: WebhookPoster

    /// After an API mutation: posts each order, as the mutation left it (`orders` are rendered inside
    /// the mutation, so two quick mutations never send the same state twice), to every rule of the
    /// store that listens to `event`. An order listed twice is posted once (its first entry).
    /// Returns at once.
    func fire(storeID: String, orders: [(id: Int64, order: JSONValue)], event: WebhookEvent) {
        let (rules, generation) = registry.rules(storeID: storeID, event: event)
        guard !rules.isEmpty, !orders.isEmpty else { return }
        var seen: Set<Int64> = []
        for (orderID, order) in orders where seen.insert(orderID).inserted {
            guard let payload = payload(storeID: storeID, orderID: orderID, event: event, order: order) else { continue }
            for rule in rules {
                registry.launch(ruleID: rule.id) {
                    await deliver(payload, rule: rule, fromAttempt: 1, generation: generation)
                }
            }
        }
    }

    /// Posts `order` to every matching rule and waits for the first attempts (retries go on in the
    /// background). Returns `{rule_id, status, error}` per rule, in rule order.
    func fireAwaitingFirstAttempts(storeID: String, orderID: Int64, event: WebhookEvent, order: JSONValue) async
        -> [JSONValue]
    {
        let (rules, generation) = registry.rules(storeID: storeID, event: event)
        guard !rules.isEmpty, let payload = payload(storeID: storeID, orderID: orderID, event: event, order: order) else {
            return []
        }
        let results = await withTaskGroup(of: (Int, JSONValue).self) { group in
            for (index, rule) in rules.enumerated() {
                group.addTask {
                    let outcome = await attempt(payload, rule: rule, number: 1, generation: generation)
                    if !Self.succeeded(outcome), rule.maxAttempts > 1 {
                        registry.launch(ruleID: rule.id) {
                            await deliver(payload, rule: rule, fromAttempt: 2, generation: generation)
                        }
                    }
                    let result: JSONValue = [
                        "rule_id": .int(rule.id), "status": .int(Int64(outcome.status)),
                        "error": outcome.error.map { .string($0) } ?? .null,
                    ]
                    return (index, result)
                }
            }
            var results: [(Int, JSONValue)] = []
            for await result in group { results.append(result) }
            return results
        }
        return results.sorted { $0.0 < $1.0 }.map(\.1)
    }

    private func payload(storeID: String, orderID: Int64, event: WebhookEvent, order: JSONValue) -> Payload? {
        guard let apiKey = database.profile(storeID)?.apiKey else { return nil }
        let json = order.encodedString()
        return Payload(
            storeID: storeID, orderID: orderID, event: event, body: WebhookPayload.formBody(orderJSON: json),
            signature: WebhookPayload.signature(orderJSON: json, apiKey: apiKey))
    }

    /// Attempts `fromAttempt` … `max_attempts`, waiting `retry_delay_ms` before each but the first;
    /// stops at the first success, when the rules are cleared or the rule is removed (checked before
    /// every attempt; both also cancel this task, which ends a waiting retry at once).
    private func deliver(_ payload: Payload, rule: WebhookRule, fromAttempt: Int, generation: Int) async {
        for number in fromAttempt...max(fromAttempt, rule.maxAttempts) where number <= rule.maxAttempts {
            if number > 1 {
                try? await Task.sleep(for: .milliseconds(rule.retryDelayMilliseconds))
            }
            guard registry.mayAttempt(ruleID: rule.id, generation: generation) else { return }
            if Self.succeeded(await attempt(payload, rule: rule, number: number, generation: generation)) { return }
        }
    }

    private func attempt(_ payload: Payload, rule: WebhookRule, number: Int, generation: Int) async
        -> WebhookPoster.Outcome
    {
        let sentAt = Timestamp.iso8601(fromUnixMilliseconds: Int64(Date().timeIntervalSince1970 * 1000))
        let outcome = await poster.post(
            url: rule.url,
            headers: [(Self.storeIDHeader, payload.storeID), (Self.hashHeader, payload.signature)],
            body: payload.body)
        // A post cut short because its rule was removed or the rules cleared is not an attempt.
        if outcome.status == 0, Task.isCancelled { return outcome }
        registry.record(
            WebhookDelivery(
                ruleID: rule.id, storeID: payload.storeID, orderID: payload.orderID, event: payload.event,
                attempt: number, status: outcome.status, error: outcome.error, sentAt: sentAt),
            generation: generation)
        return outcome
    }

    private static func succeeded(_ outcome: WebhookPoster.Outcome) -> Bool {
        outcome.status == 200 || outcome.status == 201
    }
}
