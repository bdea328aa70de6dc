import Foundation
import JSON
import Postgres

/// Reads a tool call's snapshot (`CallSnapshot`) with one statement, `orderdesk.open_call`, which
/// sets the tenant for its own transaction and reads as the app role, so row-level security applies
/// as in any tenant transaction. One round trip instead of one per question.
public final class CallSnapshots: Sendable {
    private let database: Database
    private let sessions: SessionStore

    public init(database: Database, sessions: SessionStore) {
        self.database = database
        self.sessions = sessions
    }

    /// Reads, for `tenantID`: the session `sessionID` (touched when due, as `SessionStore` does), the
    /// tenant's stores (`allStores`, else only the session's active store) ranked against
    /// `storeReference` (a `store` argument), and `probe`'s cache entry for each store the call may
    /// choose: the one `storeReference` names, else the active store, else every listed store.
    ///
    /// `rate`: what the call owes the rate limit (`TenantRateLimiter.openingRate`). A due decision is
    /// made here in the same transaction and round trip, and `consume` then pays the call from the
    /// allowance it leaves. It is settled on every path; when this throws, the call will not consume,
    /// so nothing stays promised to it.
    ///
    /// - Throws: `PostgresError(.tenantContext)` if the statement did not run as `tenantID`.
    public func open(
        tenantID: UUID, sessionID: String?, allStores: Bool, storeReference: String?, probe: CacheProbe?,
        rate: TenantRateLimiter.OpeningRate? = nil
    ) async throws -> CallSnapshot {
        var taken: [PostgresRow]?
        do {
            let snapshot = try await read(
                tenantID: tenantID, sessionID: sessionID, allStores: allStores, storeReference: storeReference,
                probe: probe, charge: rate?.charge, taken: &taken)
            rate?.charge?.settle(rows: taken, forTheCall: true)
            return snapshot
        } catch {
            rate?.charge?.settle(rows: taken, forTheCall: false)
            rate?.release()
            throw error
        }
    }

    /// `open`'s statement(s) and their rows; `taken` gets what the charge's statement returned.
    private func read(
        tenantID: UUID, sessionID: String?, allStores: Bool, storeReference: String?, probe: CacheProbe?,
        charge: TenantRateLimiter.OpeningCharge?, taken: inout [PostgresRow]?
    ) async throws -> CallSnapshot {
        let sessionHash = sessionID.flatMap { MCPSession.isWellFormedID($0) ? MCPSession.idHash($0) : nil }
        let reference = storeReference.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            .flatMap { $0.isEmpty || $0.unicodeScalars.count > 200 ? nil : $0 }
        let referenceUUID = reference.flatMap(UUID.init(uuidString:))
        let (idle, touchAfter) = (sessions.idleSeconds, sessions.touchAfterSeconds)
        let opening: PostgresQuery = """
            SELECT * FROM orderdesk.open_call(\(tenantID), \(sessionHash), \(idle), \(touchAfter), \(allStores),
                                              \(reference), \(referenceUUID), \(probe?.scope.rawValue), \(probe?.key))
            """
        // The charge comes second: it runs as the tenant the opening set for the transaction.
        let results = try await database.standalone([opening] + [charge?.query].compactMap { $0 })
        let rows = results[0].rows
        let expected = tenantID.uuidString.lowercased()
        guard let first = rows.first, try first.decode(String.self, "tenant") == expected else {
            throw PostgresError(code: .tenantContext)
        }
        if charge != nil { taken = results[1].rows }
        var stores: [CallSnapshot.Store] = []
        for row in rows {
            guard let id = try row.decode(UUID?.self, "store_uuid") else { continue }
            stores.append(
                CallSnapshot.Store(
                    store: RegisteredStore(
                        id: id, storeID: try row.decode(String.self, "store_id"),
                        name: try row.decode(String.self, "store_name"),
                        label: try row.decode(String?.self, "store_label"),
                        createdAt: try row.decode(Date.self, "store_created_at")),
                    rank: try row.decode(Int?.self, "store_rank"), probed: try row.decode(Bool.self, "cache_probed"),
                    cached: try row.decode(JSONValue?.self, "cached")))
        }
        return CallSnapshot(
            tenantID: tenantID, sessionFound: try first.decode(Bool.self, "session_found"),
            activeStoreID: try first.decode(UUID?.self, "active_store_id"),
            protocolVersion: try first.decode(String?.self, "protocol_version") ?? "", stores: stores,
            listedAllStores: allStores, storeReference: reference, probe: probe,
            checkedAt: try first.decode(String.self, "checked_at"))
    }
}
