import Foundation
import JSON
import Postgres

/// MCP sessions in `orderdesk.sessions`, so any replica serves any request of any session.
///
/// Only `SHA-256(id)` is stored. Sessions expire after `idleTimeout` without use; use pushes the
/// expiry forward, written at most about once a minute per session to keep writes low.
public final class SessionStore: Sendable {
    private let database: Database
    /// How long an unused session lives (`SESSION_IDLE_TIMEOUT_SECONDS`, default 86400).
    public let idleTimeout: Duration
    let idleSeconds: Double
    /// A read pushes the expiry forward only when the last push is older than this.
    let touchAfterSeconds: Double

    public init(database: Database, idleTimeout: Duration = .seconds(86_400)) {
        self.database = database
        let idleTimeout = max(idleTimeout, .seconds(1))
        self.idleTimeout = idleTimeout
        self.idleSeconds = Double(idleTimeout.components.seconds) + Double(idleTimeout.components.attoseconds) / 1e18
        self.touchAfterSeconds = min(60, idleSeconds / 4)
    }

    /// `SESSION_IDLE_TIMEOUT_SECONDS`: 60 to 2592000 (30 days), default 86400.
    public static func idleTimeout(reader: EnvironmentReader) throws -> Duration {
        .seconds(try reader.integer("SESSION_IDLE_TIMEOUT_SECONDS", default: 86_400, range: 60...2_592_000))
    }

    /// Creates a session, bound to `tenantID` (Bearer clients) or unbound (session-auth clients,
    /// which bind it later with `bind`).
    ///
    /// `clientInfo` is kept for support and audit; a large one is cut down to its name and version.
    public func create(tenantID: UUID?, protocolVersion: String, clientInfo: JSONValue?) async throws -> MCPSession {
        let id = MCPSession.generateID()
        let hash = MCPSession.idHash(id)
        let info = clientInfo.map(Self.bounded)
        let idleSeconds = self.idleSeconds
        let insert: @Sendable (TenantTransaction) throws -> Void = { tx in
            try tx.execute(
                """
                INSERT INTO orderdesk.sessions (id_hash, kind, tenant_id, protocol_version, client_info, expires_at)
                VALUES (\(hash), 'mcp', \(tenantID), \(protocolVersion), \(info),
                        now() + make_interval(secs => \(idleSeconds)))
                """)
        }
        if let tenantID {
            try await database.withTenantTransaction(tenantID, insert)
        } else {
            try await database.withUnscopedTransaction(insert)
        }
        return MCPSession(id: id, tenantID: tenantID, activeStoreID: nil, protocolVersion: protocolVersion)
    }

    /// The live session with this id, or nil when it is unknown, expired, revoked, or its tenant is
    /// disabled. Pushes its expiry forward.
    ///
    /// `orderdesk.lookup_session` tells which tenant the session is bound to; the row itself is then
    /// read (and touched) inside that tenant's transaction.
    public func find(id: String) async throws -> MCPSession? {
        try await find(id: id, expectedTenant: nil)
    }

    /// `find(id:)` for a caller whose tenant is already known (a verified Bearer key): the session
    /// is first read directly as that tenant (`orderdesk.open_call`, the statement `CallSnapshots`
    /// sends), which costs one round trip instead of two when it is that tenant's live session of an
    /// active tenant, as it nearly always is. Otherwise (unbound, another tenant's, unknown) the
    /// answer is `find(id:)`'s.
    public func find(id: String, expectedTenant: UUID?) async throws -> MCPSession? {
        guard MCPSession.isWellFormedID(id) else { return nil }
        if let tenant = expectedTenant,
            let session = try await CallSnapshots(database: database, sessions: self).open(
                tenantID: tenant, sessionID: id, allStores: false, storeReference: nil, probe: nil
            ).session(id: id)
        {
            return session
        }
        return try await lookupAndRead(id: id, hash: MCPSession.idHash(id))
    }

    private func lookupAndRead(id: String, hash: [UInt8]) async throws -> MCPSession? {
        // Twice at most: an unbound session can be bound between the lookup and the read.
        for _ in 0..<2 {
            guard let binding = try await lookup(hash), binding.live else { return nil }
            if binding.tenantID != nil && !binding.tenantActive { return nil }
            if let session = try await read(hash, id: id, tenant: binding.tenantID) { return session }
            if binding.tenantID != nil { return nil }
        }
        return nil
    }

    /// Binds an unbound session to `tenantID` (`tenant_use_master_key`). Binding again to the same
    /// tenant returns the session unchanged.
    ///
    /// - Throws: `SessionError(.boundToAnotherTenant)` if another tenant owns it,
    ///   `SessionError(.notFound)` if there is no live session with this id.
    public func bind(id: String, to tenantID: UUID) async throws -> MCPSession {
        guard MCPSession.isWellFormedID(id) else { throw SessionError(.notFound) }
        let hash = MCPSession.idHash(id)
        let idleSeconds = self.idleSeconds
        let outcome = try await database.withTenantTransaction(tenantID) { tx -> SessionRow? in
            let bound = try tx.query(
                """
                UPDATE orderdesk.sessions
                SET tenant_id = \(tenantID), last_seen_at = now(), expires_at = now() + make_interval(secs => \(idleSeconds))
                WHERE id_hash = \(hash) AND kind = 'mcp' AND tenant_id IS NULL
                  AND revoked_at IS NULL AND expires_at > now()
                RETURNING tenant_id, active_store_id, protocol_version
                """)
            if let row = bound.first { return try SessionRow(row) }
            // Already ours? (Row-level security shows only this tenant's and unbound sessions.)
            let own = try tx.query(
                """
                SELECT tenant_id, active_store_id, protocol_version FROM orderdesk.sessions
                WHERE id_hash = \(hash) AND kind = 'mcp' AND tenant_id = \(tenantID)
                  AND revoked_at IS NULL AND expires_at > now()
                """)
            return try own.first.map { try SessionRow($0) }
        }
        if let outcome { return outcome.session(id: id) }
        throw try await refusal(for: hash, tenantID: tenantID)
    }

    /// Sets (or with nil, clears) the session's active store. An unbound session is bound to
    /// `tenantID` on the way, as `bind` would.
    ///
    /// - Throws: `SessionError` as `bind` does; `StoreError(.notFound)` when `storeID` is not one of
    ///   the tenant's stores.
    public func setActiveStore(id: String, tenantID: UUID, storeID: UUID?) async throws -> MCPSession {
        guard MCPSession.isWellFormedID(id) else { throw SessionError(.notFound) }
        let hash = MCPSession.idHash(id)
        let idleSeconds = self.idleSeconds
        let updated: SessionRow?
        do {
            updated = try await database.withTenantTransaction(tenantID) { tx in
                try tx.query(
                    """
                    UPDATE orderdesk.sessions
                    SET tenant_id = \(tenantID), active_store_id = \(storeID), last_seen_at = now(),
                        expires_at = now() + make_interval(secs => \(idleSeconds))
                    WHERE id_hash = \(hash) AND kind = 'mcp' AND (tenant_id = \(tenantID) OR tenant_id IS NULL)
                      AND revoked_at IS NULL AND expires_at > now()
                    RETURNING tenant_id, active_store_id, protocol_version
                    """
                ).first.map { try SessionRow($0) }
            }
        } catch let error as PostgresError where error.sqlState == "23503" {
            // The composite foreign key (tenant_id, active_store_id) → stores(tenant_id, id) refuses
            // another tenant's store and a store that does not exist alike.
            throw StoreError(.notFound, "No such store is registered for this tenant. Use stores_list to see them.")
        }
        if let updated { return updated.session(id: id) }
        throw try await refusal(for: hash, tenantID: tenantID)
    }

    /// Deletes the session (MCP `DELETE`). `tenantID` is the caller's tenant, or nil for a caller
    /// without a key, who can end only an unbound session. Returns false when there was no live
    /// session to end.
    public func end(id: String, tenantID: UUID?) async throws -> Bool {
        guard MCPSession.isWellFormedID(id) else { return false }
        let hash = MCPSession.idHash(id)
        let delete: @Sendable (TenantTransaction) throws -> Bool? = { tx in
            try tx.query(
                """
                DELETE FROM orderdesk.sessions WHERE id_hash = \(hash) AND kind = 'mcp'
                RETURNING (revoked_at IS NULL AND expires_at > now()) AS live
                """
            ).first.map { try $0.decode(Bool.self, "live") }
        }
        if let tenantID, let live = try await database.withTenantTransaction(tenantID, delete) { return live }
        // Unbound sessions can only be deleted with no tenant set (row-level security).
        return try await database.withUnscopedTransaction(delete) ?? false
    }

    // MARK: Queries

    private struct Binding {
        let tenantID: UUID?
        let live: Bool
        let tenantActive: Bool
    }

    /// Who the session belongs to, through the SECURITY DEFINER lookup (usable before any tenant is known).
    private func lookup(_ hash: [UInt8]) async throws -> Binding? {
        try await database.statement(
            """
            SELECT tenant_id, (kind = 'mcp' AND NOT revoked AND expires_at > now()) AS live,
                   coalesce(tenant_active, false) AS tenant_active
            FROM orderdesk.lookup_session(\(hash))
            """, tenant: nil
        ).rows.first.map { row in
            Binding(
                tenantID: try row.decode(UUID?.self, "tenant_id"), live: try row.decode(Bool.self, "live"),
                tenantActive: try row.decode(Bool.self, "tenant_active"))
        }
    }

    /// Reads the live session row in `tenant`'s transaction (or with no tenant, for an unbound one)
    /// and, in the same statement, pushes its expiry forward if the last push is old enough.
    private func read(_ hash: [UInt8], id: String, tenant: UUID?) async throws -> MCPSession? {
        let idleSeconds = self.idleSeconds
        let touchAfter = touchAfterSeconds
        let row = try await database.statement(
            """
            WITH current AS (
                SELECT id_hash, tenant_id, active_store_id, protocol_version, last_seen_at
                FROM orderdesk.sessions
                WHERE id_hash = \(hash) AND kind = 'mcp' AND revoked_at IS NULL AND expires_at > now()
            ), touched AS (
                UPDATE orderdesk.sessions AS s
                SET last_seen_at = now(), expires_at = now() + make_interval(secs => \(idleSeconds))
                FROM current AS c
                WHERE s.id_hash = c.id_hash AND c.last_seen_at < now() - make_interval(secs => \(touchAfter))
                RETURNING s.id_hash
            )
            SELECT c.tenant_id, c.active_store_id, c.protocol_version,
                   st.store_id AS active_store_store_id, st.name AS active_store_name,
                   st.label AS active_store_label, st.created_at AS active_store_created_at
            FROM current AS c
            LEFT JOIN orderdesk.stores AS st ON st.tenant_id = c.tenant_id AND st.id = c.active_store_id
            """, tenant: tenant
        ).rows.first.map { try SessionRow($0, withActiveStore: true) }
        guard let row, row.tenantID == tenant else { return nil }
        return row.session(id: id)
    }

    /// Why a write to a session of `tenantID` found no row: another tenant's, or none at all.
    private func refusal(for hash: [UInt8], tenantID: UUID) async throws -> SessionError {
        guard let binding = try await lookup(hash), binding.live, let owner = binding.tenantID, owner != tenantID else {
            return SessionError(.notFound)
        }
        return SessionError(.boundToAnotherTenant)
    }

    /// At most 4 KiB of client info; beyond that only a capped name and version are kept.
    static func bounded(_ clientInfo: JSONValue) -> JSONValue {
        if clientInfo.encoded().count <= 4096, case .object = clientInfo { return clientInfo }
        var kept: [String: JSONValue] = ["truncated": true]
        for field in ["name", "version"] {
            if let text = clientInfo[field]?.stringValue { kept[field] = .string(String(text.prefix(200))) }
        }
        return .object(kept)
    }
}

/// The columns of a session row the store returns.
private struct SessionRow: Sendable {
    let tenantID: UUID?
    let activeStoreID: UUID?
    let protocolVersion: String
    let activeStore: RegisteredStore?

    /// `withActiveStore`: the row also has the `active_store_*` columns of the joined store.
    init(_ row: PostgresRow, withActiveStore: Bool = false) throws {
        tenantID = try row.decode(UUID?.self, "tenant_id")
        activeStoreID = try row.decode(UUID?.self, "active_store_id")
        protocolVersion = try row.decode(String?.self, "protocol_version") ?? ""
        if withActiveStore, let activeStoreID, let storeID = try row.decode(String?.self, "active_store_store_id") {
            activeStore = RegisteredStore(
                id: activeStoreID, storeID: storeID, name: try row.decode(String.self, "active_store_name"),
                label: try row.decode(String?.self, "active_store_label"),
                createdAt: try row.decode(Date.self, "active_store_created_at"))
        } else {
            activeStore = nil
        }
    }

    func session(id: String) -> MCPSession {
        MCPSession(
            id: id, tenantID: tenantID, activeStoreID: activeStoreID, protocolVersion: protocolVersion,
            activeStore: activeStore)
    }
}
