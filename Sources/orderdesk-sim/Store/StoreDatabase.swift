import Synchronization

/// All simulated stores. Each store's data sits behind its own lock, so stores never contend, and
/// every change is applied to a copy that replaces the stored data only when the change succeeds:
/// a request that fails half way leaves nothing behind.
final class StoreDatabase: Sendable {
    private final class Slot: Sendable {
        let seeded: StoreData
        let current: Mutex<StoreData>

        init(seeded: StoreData) {
            self.seeded = seeded
            self.current = Mutex(seeded)
        }
    }

    private let slots: [String: Slot]
    /// Store ids in configuration order.
    let storeIDs: [String]

    init(stores: [StoreData]) {
        var slots: [String: Slot] = [:]
        for store in stores { slots[store.profile.id] = Slot(seeded: store) }
        self.slots = slots
        self.storeIDs = stores.map(\.profile.id)
    }

    func profile(_ storeID: String) -> StoreProfile? { slots[storeID]?.seeded.profile }

    func read<Result: Sendable>(_ storeID: String, _ body: (StoreData) throws -> Result) throws -> Result {
        let snapshot = try slot(storeID).current.withLock { $0 }
        return try body(snapshot)
    }

    func update<Result: Sendable>(_ storeID: String, _ body: (inout StoreData) throws -> Result) throws -> Result {
        try slot(storeID).current.withLock { data in
            var draft = data
            let result = try body(&draft)
            data = draft
            return result
        }
    }

    /// Restores every store to its seeded state.
    func reseed() {
        for slot in slots.values { slot.current.withLock { $0 = slot.seeded } }
    }

    private func slot(_ storeID: String) throws -> Slot {
        guard let slot = slots[storeID] else { throw SimulatorError.unauthorized("Unknown store.") }
        return slot
    }
}
