/// What one call of `orderdesk.sweep_expired(p_limit)` did.
public struct SweepRound: Sendable, Equatable {
    /// Rows deleted, by table (`cache_entries`, `sessions`, …); empty when `swept` is false.
    public let deleted: [String: Int]
    /// The most rows the round could delete from each table.
    public let batchLimit: Int
    /// False when another replica held the sweep lock, so this one deleted nothing.
    public let swept: Bool

    public init(deleted: [String: Int], batchLimit: Int, swept: Bool) {
        self.deleted = deleted
        self.batchLimit = batchLimit
        self.swept = swept
    }

    public var total: Int { deleted.values.reduce(0, +) }

    /// A table gave up a whole batch, so it may hold more expired rows than one round deletes. (It
    /// may also have held exactly one batch: the next round then finds nothing, which is harmless.)
    public var mayHaveMore: Bool { deleted.values.contains { $0 >= batchLimit } }
}
