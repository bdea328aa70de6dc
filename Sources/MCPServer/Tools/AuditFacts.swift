import Foundation
import Synchronization

/// What a tool call tells the audit log about itself, as it learns it: the store it works on (first
/// as asked, then as resolved), the order it touches, and, for `tenant_use_master_key`, the tenant
/// it authenticated. The pipeline writes these into the call's audit row, redacted and capped, so it
/// never has to pick them out of raw arguments or read them back out of the tool's result.
public final class AuditFacts: Sendable {
    struct Facts: Sendable {
        var storeID: String?
        var target: String?
        var tenantID: UUID?
    }

    private let facts = Mutex(Facts())

    public init() {}

    /// The OrderDesk store id (or, until it is resolved, the identifier the caller gave).
    public func store(_ storeID: String) { facts.withLock { $0.storeID = storeID } }
    /// The order the call is about.
    public func target(_ orderID: String) { facts.withLock { $0.target = orderID } }
    /// The tenant a call authenticated as, when the caller was not authenticated before it.
    public func tenant(_ tenantID: UUID) { facts.withLock { $0.tenantID = tenantID } }

    var recorded: Facts { facts.withLock { $0 } }
}
