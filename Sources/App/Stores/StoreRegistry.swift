import Cryptography
import Foundation
import OrderDesk
import Postgres

/// A tenant's OrderDesk stores: register (credentials checked with OrderDesk first, API key
/// encrypted), list, resolve by id or name, delete, and decrypt credentials for a call.
///
/// Every query runs in the tenant's own transaction, so row-level security keeps tenants apart even
/// if a query here were wrong.
public final class StoreRegistry: Sendable {
    private let database: Database
    private let cipher: StoreCredentialCipher
    private let orderDesk: OrderDeskClient

    public init(database: Database, keyring: EncryptionKeyring, orderDesk: OrderDeskClient) {
        self.database = database
        self.cipher = StoreCredentialCipher(keyring: keyring)
        self.orderDesk = orderDesk
    }

    /// Registers a store after OrderDesk has accepted its credentials (`GET /test`).
    ///
    /// Duplicates (store id; name, ignoring case) are refused before OrderDesk is called, and again
    /// by the unique indexes if one was registered in the meantime.
    /// - Throws: `StoreError` (`validation`, `duplicate_store_id`, `duplicate_name`,
    ///   `invalid_credentials`, `upstream`).
    public func register(
        tenantID: UUID, storeID: String, apiKey: String, name: String?, label: String?
    ) async throws -> RegisteredStore {
        let input = try StoreRegistration(storeID: storeID, apiKey: apiKey, name: name, label: label)
        if let duplicate = try await database.withTenantTransaction(tenantID, { tx in try Self.duplicate(of: input, in: tx) }) {
            throw duplicate
        }
        do {
            _ = try await orderDesk.store(StoreCredentials(storeID: input.storeID, apiKey: input.apiKey)).testConnection()
        } catch let error as OrderDeskError where error.code == .unauthorized {
            throw StoreError(
                .invalidCredentials,
                "OrderDesk refused store id \(input.storeID) with this API key. Copy both again from OrderDesk "
                    + "(Store Settings → API) and retry.")
        } catch let error as OrderDeskError {
            throw StoreError(
                .upstream, "Could not check the credentials with OrderDesk: \(error.message) Nothing was saved; try again.",
                upstream: error)
        }
        let rowID = UUID()
        let cipher = self.cipher
        do {
            return try await database.withTenantTransaction(tenantID) { tx in
                guard let salt = try Self.tenantSalt(tenantID, in: tx) else {
                    throw StoreError(.notFound, "The tenant does not exist.")
                }
                let sealed = try cipher.seal(
                    apiKey: input.apiKey, for: .init(tenantID: tenantID, tenantSalt: salt, storeRowID: rowID))
                let rows = try tx.query(
                    """
                    INSERT INTO orderdesk.stores (id, tenant_id, store_id, name, label,
                        api_key_ciphertext, api_key_tag, api_key_nonce, key_version)
                    VALUES (\(rowID), \(tenantID), \(input.storeID), \(input.name), \(input.label),
                        \(sealed.ciphertext), \(sealed.tag), \(sealed.nonce), \(Int32(sealed.keyVersion)))
                    RETURNING id, store_id, name, label, created_at
                    """)
                return try Self.store(rows[0])
            }
        } catch let error as PostgresError where error.isUniqueViolation {
            // Registered by a concurrent request after the check above.
            if error.constraintName == "stores_tenant_id_store_id_key" {
                throw StoreError(
                    .duplicateStoreID,
                    "OrderDesk store \(input.storeID) is already registered. Use stores_list to find it.")
            }
            throw StoreError(
                .duplicateName, "A store named \"\(input.name)\" is already registered. Choose another name.")
        }
    }

    /// The tenant's stores, by name.
    public func list(tenantID: UUID) async throws -> [RegisteredStore] {
        try await database.statement(
            """
            SELECT id, store_id, name, label, created_at FROM orderdesk.stores
            ORDER BY lower(name), name, id
            """, tenant: tenantID
        ).rows.map(Self.store)
    }

    /// The store `identifier` names: our uuid, else the OrderDesk store id (exact), else the name
    /// (ignoring case). nil when nothing matches.
    public func resolve(tenantID: UUID, identifier: String) async throws -> (store: RegisteredStore, matchedBy: StoreMatch)? {
        let identifier = identifier.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !identifier.isEmpty, identifier.unicodeScalars.count <= 200 else { return nil }
        let uuid = UUID(uuidString: identifier)
        let rows = try await database.statement(
            """
            SELECT id, store_id, name, label, created_at,
                   CASE WHEN id = \(uuid) THEN 0 WHEN store_id = \(identifier) THEN 1 ELSE 2 END AS rank
            FROM orderdesk.stores
            WHERE id = \(uuid) OR store_id = \(identifier) OR lower(name) = lower(\(identifier))
            ORDER BY rank
            LIMIT 1
            """, tenant: tenantID
        ).rows
        guard let row = rows.first else { return nil }
        return (try Self.store(row), try row.decode(Int.self, "rank") < 2 ? .id : .name)
    }

    /// Removes the registration (its cache entries go with it; sessions that chose it lose their
    /// active store). False when the tenant has no such store.
    public func delete(tenantID: UUID, id: UUID) async throws -> Bool {
        try await database.withTenantTransaction(tenantID) { tx in
            try tx.execute("DELETE FROM orderdesk.stores WHERE id = \(id)") > 0
        }
    }

    /// The decrypted OrderDesk credentials of store `id`, for one upstream call. Keep them no longer.
    /// - Throws: `StoreError(.notFound)`; `CryptoError` if the stored ciphertext does not decrypt.
    public func credentials(tenantID: UUID, id: UUID) async throws -> StoreCredentials {
        let cipher = self.cipher
        return try await database.withTenantTransaction(tenantID) { tx in
            let rows = try tx.query(
                """
                SELECT s.store_id, s.api_key_ciphertext, s.api_key_tag, s.api_key_nonce, s.key_version, t.hkdf_salt
                FROM orderdesk.stores AS s
                JOIN orderdesk.tenants AS t ON t.id = s.tenant_id
                WHERE s.id = \(id)
                """)
            guard let row = rows.first else {
                throw StoreError(.notFound, "No such store is registered. Use stores_list to see the registered stores.")
            }
            let sealed = StoreCredentialCipher.Sealed(
                ciphertext: try row.decode([UInt8].self, "api_key_ciphertext"), tag: try row.decode([UInt8].self, "api_key_tag"),
                nonce: try row.decode([UInt8].self, "api_key_nonce"), keyVersion: try row.decode(Int.self, "key_version"))
            let apiKey = try cipher.open(
                sealed, for: .init(tenantID: tenantID, tenantSalt: try row.decode([UInt8].self, "hkdf_salt"), storeRowID: id))
            return StoreCredentials(storeID: try row.decode(String.self, "store_id"), apiKey: apiKey)
        }
    }

    // MARK: Queries

    private static func duplicate(of input: StoreRegistration, in tx: TenantTransaction) throws -> StoreError? {
        let rows = try tx.query(
            """
            SELECT store_id, name, store_id = \(input.storeID) AS same_store
            FROM orderdesk.stores
            WHERE store_id = \(input.storeID) OR lower(name) = lower(\(input.name))
            ORDER BY same_store DESC
            LIMIT 1
            """)
        guard let row = rows.first else { return nil }
        let existingName = try row.decode(String.self, "name")
        if try row.decode(Bool.self, "same_store") {
            return StoreError(
                .duplicateStoreID,
                "OrderDesk store \(input.storeID) is already registered as \"\(existingName)\". Use that registration, "
                    + "or remove it with stores_delete before registering the store again.")
        }
        return StoreError(
            .duplicateName,
            "A store named \"\(existingName)\" is already registered (names ignore case). Choose another name.")
    }

    private static func tenantSalt(_ tenantID: UUID, in tx: TenantTransaction) throws -> [UInt8]? {
        try tx.query("SELECT hkdf_salt FROM orderdesk.tenants WHERE id = \(tenantID)").first?.decode([UInt8].self, "hkdf_salt")
    }

    private static func store(_ row: PostgresRow) throws -> RegisteredStore {
        RegisteredStore(
            id: try row.decode(UUID.self, "id"), storeID: try row.decode(String.self, "store_id"),
            name: try row.decode(String.self, "name"), label: try row.decode(String?.self, "label"),
            createdAt: try row.decode(Date.self, "created_at"))
    }
}
