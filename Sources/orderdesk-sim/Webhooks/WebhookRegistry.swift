import JSON
import Synchronization

/// The configured rules and the log of delivery attempts. Clearing both starts a new generation:
/// retries of posts fired before the clear stop and log nothing.
final class WebhookRegistry: Sendable {
    private struct State {
        var rules: [WebhookRule] = []
        var deliveries: [WebhookDelivery] = []
        var nextRuleID: Int64 = 1
        var generation = 0
    }

    /// The log keeps at most this many attempts (the oldest are dropped).
    static let maximumDeliveries = 10_000

    private let state = Mutex(State())

    func add(_ makeRule: (Int64) throws -> WebhookRule) rethrows -> WebhookRule {
        try state.withLock { state in
            let rule = try makeRule(state.nextRuleID)
            state.nextRuleID += 1
            state.rules.append(rule)
            return rule
        }
    }

    var rules: [WebhookRule] { state.withLock { $0.rules } }

    /// The rules of `storeID` that fire on `event`, and the generation they belong to.
    func rules(storeID: String, event: WebhookEvent) -> (rules: [WebhookRule], generation: Int) {
        state.withLock { state in
            (state.rules.filter { $0.storeID == storeID && $0.events.contains(event) }, state.generation)
        }
    }

    /// Removes one rule; posts it already fired keep their retries. False when there is no such rule.
    func remove(_ id: Int64) -> Bool {
        state.withLock { state in
            guard let index = state.rules.firstIndex(where: { $0.id == id }) else { return false }
            state.rules.remove(at: index)
            return true
        }
    }

    /// Removes every rule and the delivery log.
    func clear() {
        state.withLock { state in
            state.rules.removeAll()
            state.deliveries.removeAll()
            state.generation += 1
        }
    }

    func isCurrent(_ generation: Int) -> Bool { state.withLock { $0.generation == generation } }

    /// Logs an attempt unless the rules were cleared since it was fired.
    func record(_ delivery: WebhookDelivery, generation: Int) {
        state.withLock { state in
            guard state.generation == generation else { return }
            state.deliveries.append(delivery)
            if state.deliveries.count > Self.maximumDeliveries {
                state.deliveries.removeFirst(state.deliveries.count - Self.maximumDeliveries)
            }
        }
    }

    func deliveries(storeID: String?, orderID: String?) -> [WebhookDelivery] {
        state.withLock { state in
            state.deliveries.filter { delivery in
                (storeID == nil || delivery.storeID == storeID) && (orderID == nil || String(delivery.orderID) == orderID)
            }
        }
    }
}
