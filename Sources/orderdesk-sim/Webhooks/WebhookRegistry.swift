import JSON
import Synchronization

/// The configured rules, the log of delivery attempts and the running deliveries. Clearing the rules
/// and the log starts a new generation: posts fired before the clear make no further attempt and
/// log nothing. Removing one rule ends its posts the same way (attempts already made stay logged).
/// Both cancel the deliveries' tasks, so a retry waiting out its delay ends at once.
final class WebhookRegistry: Sendable {
    private struct State {
        var rules: [WebhookRule] = []
        var deliveries: [WebhookDelivery] = []
        var nextRuleID: Int64 = 1
        var generation = 0
        /// Rules removed one by one; their posts must not make another attempt. (Ids are never
        /// reused; `clear` empties the set since the generation check covers older posts.)
        var removedRuleIDs: Set<Int64> = []
        /// The tasks of running deliveries, by a token, with their rule.
        var tasks: [Int: (ruleID: Int64, task: Task<Void, Never>)] = [:]
        var nextTaskToken = 0
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

    /// Removes one rule and stops its posts: no further attempt, pending retries cancelled (its
    /// logged attempts stay). False when there is no such rule.
    func remove(_ id: Int64) -> Bool {
        let cancelled: [Task<Void, Never>]? = state.withLock { state in
            guard let index = state.rules.firstIndex(where: { $0.id == id }) else { return nil }
            state.rules.remove(at: index)
            state.removedRuleIDs.insert(id)
            let tokens = state.tasks.filter { $0.value.ruleID == id }.map(\.key)
            return tokens.compactMap { state.tasks.removeValue(forKey: $0)?.task }
        }
        guard let cancelled else { return false }
        for task in cancelled { task.cancel() }
        return true
    }

    /// Removes every rule and the delivery log, and stops every post fired so far.
    func clear() {
        let cancelled = state.withLock { state in
            state.rules.removeAll()
            state.deliveries.removeAll()
            state.removedRuleIDs.removeAll()
            state.generation += 1
            defer { state.tasks.removeAll() }
            return state.tasks.values.map(\.task)
        }
        for task in cancelled { task.cancel() }
    }

    /// Whether a post of rule `ruleID` fired in `generation` may make another attempt: the rules
    /// were not cleared since, the rule was not removed, and its task was not cancelled.
    func mayAttempt(ruleID: Int64, generation: Int) -> Bool {
        guard !Task.isCancelled else { return false }
        return state.withLock { $0.generation == generation && !$0.removedRuleIDs.contains(ruleID) }
    }

    /// Runs `delivery` in a task that `remove(ruleID)` and `clear()` cancel.
    func launch(ruleID: Int64, _ delivery: @escaping @Sendable () async -> Void) {
        state.withLock { state in
            let token = state.nextTaskToken
            state.nextTaskToken += 1
            // The task's last step takes the lock, so it cannot drop its entry before it is stored.
            let task = Task {
                await delivery()
                self.finished(token)
            }
            state.tasks[token] = (ruleID, task)
        }
    }

    private func finished(_ token: Int) {
        _ = state.withLock { $0.tasks.removeValue(forKey: token) }
    }

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
