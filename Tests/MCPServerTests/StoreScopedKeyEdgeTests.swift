import App
import Cryptography
import Foundation
import HTTPTypes
import HummingbirdTesting
import JSON
import Postgres
import TestSupport
import Testing

@testable import MCPServer

/// A key limited to some stores through the real `/mcp` router, in both eras: its `tools/list`
/// leaves out the tools that manage stores (and is private in 2026-07-28), `stores_list` shows
/// only its stores, and selecting another store (argument, handle, a session's active store) is
/// `store_not_allowed`. Nothing here reaches OrderDesk: every refusal happens before.
@Suite(.serialized) struct StoreScopedKeyEdgeTests {
    struct Stores {
        let main: UUID
        let outlet: UUID
    }

    /// Two registration rows (10001 Main, 10002 Outlet), without OrderDesk.
    static func insertStores(tenantID: UUID, fixture: EdgeFixture) async throws -> Stores {
        try await fixture.server.database.withTenantTransaction(tenantID) { tx in
            var ids: [UUID] = []
            for (storeID, name) in [("10001", "Main"), ("10002", "Outlet")] {
                let id = try tx.query(
                    """
                    INSERT INTO orderdesk.stores (tenant_id, store_id, name, api_key_ciphertext, api_key_tag, api_key_nonce)
                    VALUES (\(tenantID), \(storeID), \(name), \(SecureRandom.bytes(16)), \(SecureRandom.bytes(16)),
                            \(SecureRandom.bytes(12)))
                    RETURNING id
                    """)[0].decode(UUID.self, "id")
                ids.append(id)
            }
            return Stores(main: ids[0], outlet: ids[1])
        }
    }

    static func names(_ result: JSONValue?) -> [String] {
        result?["tools"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
    }

    static func errorCode(_ result: JSONValue?) -> String? {
        result?["structuredContent"]?["error"]?["code"]?.stringValue
    }

    @Test func aLimitedKeyListsNoStoreManagementInEitherEraAndItsListIsPrivate() async throws {
        try await EdgeFixture.run { fixture in
            let tenant = try await fixture.createTenant()
            _ = try await Self.insertStores(tenantID: tenant.tenantID, fixture: fixture)
            let writer = try await fixture.keys.createKey(
                tenantID: tenant.tenantID, scopes: [.write], label: nil, storeIDs: ["10001"])
            let reader = try await fixture.keys.createKey(
                tenantID: tenant.tenantID, scopes: [.read], label: nil, storeIDs: ["10001"])
            let all = ToolRegistry.standard.tools
            try await fixture.test { client in
                for (key, expected) in [
                    (writer.masterKey, all.filter { !$0.managesStores }),
                    (reader.masterKey, all.filter { !$0.managesStores && $0.requiredScope == .read }),
                ] {
                    let modern = try #require(
                        expectResult(try await client.modern(ModernMessage.request("tools/list"), method: "tools/list", key: key))
                    )
                    #expect(Self.names(modern) == expected.filter { !$0.needsSession }.map(\.name))
                    #expect(modern["cacheScope"] == "private")
                    let session = try await client.openSession(key: key)
                    let legacy = expectResult(try await client.post(MCPMessage.request("tools/list"), key: key, session: session))
                    #expect(Self.names(legacy) == expected.map(\.name))
                    #expect(!Self.names(legacy).contains("stores_register") && !Self.names(legacy).contains("stores_delete"))
                }
                #expect(all.filter(\.managesStores).map(\.name).sorted() == ["stores_delete", "stores_register"])
                let full = expectResult(
                    try await client.modern(ModernMessage.request("tools/list"), method: "tools/list", key: tenant.masterKey))
                #expect(full?["cacheScope"] == "public")
                #expect(Self.names(full).contains("stores_register"))

                // Calling them anyway: refused like a read-only key calling a write tool, in both eras.
                for (name, arguments) in [
                    ("stores_register", ["store_id": "10003", "api_key": "k", "name": "New"] as JSONValue),
                    ("stores_delete", ["store": "10001"]),
                ] {
                    let modern = expectResult(
                        try await client.modern(
                            ModernMessage.toolCall(name, arguments: arguments), method: "tools/call", name: name,
                            key: writer.masterKey))
                    #expect(Self.errorCode(modern) == "forbidden", "\(name): \(String(describing: modern))")
                    let session = try await client.openSession(key: writer.masterKey)
                    let legacy = expectResult(
                        try await client.post(
                            MCPMessage.toolCall(name, arguments: arguments), key: writer.masterKey, session: session))
                    #expect(Self.errorCode(legacy) == "forbidden")
                }
            }
            let stores = try await fixture.server.database.withTenantTransaction(tenant.tenantID) { tx in
                try tx.query("SELECT store_id FROM orderdesk.stores ORDER BY store_id").map {
                    try $0.decode(String.self, "store_id")
                }
            }
            #expect(stores == ["10001", "10002"], "nothing registered or deleted")
        }
    }

    @Test func aLimitedKeySeesAndSelectsOnlyItsStores() async throws {
        try await EdgeFixture.run { fixture in
            let tenant = try await fixture.createTenant()
            let stores = try await Self.insertStores(tenantID: tenant.tenantID, fixture: fixture)
            let limited = try await fixture.keys.createKey(
                tenantID: tenant.tenantID, scopes: [.write], label: nil, storeIDs: ["10001"])
            try await fixture.test { client in
                let listed = try #require(
                    expectResult(
                        try await client.modern(
                            ModernMessage.toolCall("stores_list"), method: "tools/call", name: "stores_list",
                            key: limited.masterKey)))
                #expect(listed["structuredContent"]?["stores"]?.arrayValue?.map { $0["store_id"] } == ["10001"])
                let everything = expectResult(
                    try await client.modern(
                        ModernMessage.toolCall("stores_list"), method: "tools/call", name: "stores_list",
                        key: tenant.masterKey))
                #expect(everything?["structuredContent"]?["stores"]?.arrayValue?.count == 2)

                // Its own store, by each spelling, resolves; the other is store_not_allowed, by each.
                for identifier in ["10001", "main", stores.main.uuidString] {
                    let ok = expectResult(
                        try await client.modern(
                            ModernMessage.toolCall("stores_use_store", arguments: ["store": .string(identifier)]),
                            method: "tools/call", name: "stores_use_store", key: limited.masterKey))
                    #expect(ok?["isError"] == false, "\(identifier)")
                }
                for identifier in ["10002", "Outlet", stores.outlet.uuidString.lowercased()] {
                    for tool in ["stores_use_store", "stores_resolve", "orders_get", "orders_list", "store_folders_list"] {
                        var arguments: [String: JSONValue] = ["store": .string(identifier)]
                        if tool == "orders_get" { arguments["order_id"] = "1" }
                        let refused = try #require(
                            expectResult(
                                try await client.modern(
                                    ModernMessage.toolCall(tool, arguments: .object(arguments)), method: "tools/call",
                                    name: tool, key: limited.masterKey)))
                        #expect(Self.errorCode(refused) == "store_not_allowed", "\(tool) \(identifier): \(refused)")
                        let error = refused["structuredContent"]?["error"]
                        #expect(error?["message"]?.stringValue?.contains("10001") == true)
                        #expect(error?["details"]?["allowed_store_ids"] == ["10001"] || error?["details"] == nil)
                    }
                }
                // Unknown stores stay not_found, listing only the key's stores.
                let unknown = expectResult(
                    try await client.modern(
                        ModernMessage.toolCall("stores_resolve", arguments: ["store": "nowhere"]), method: "tools/call",
                        name: "stores_resolve", key: limited.masterKey))
                #expect(Self.errorCode(unknown) == "not_found")
                #expect(unknown?["structuredContent"]?["error"]?["message"]?.stringValue?.contains("Outlet") == false)
            }
            let rows = try await fixture.scratch.asOwner { tx in
                try tx.query(
                    """
                    SELECT outcome, store_id FROM orderdesk.audit_log
                    WHERE error_code = 'store_not_allowed' ORDER BY id
                    """
                ).map { (try $0.decode(String.self, "outcome"), try $0.decode(String?.self, "store_id")) }
            }
            #expect(rows.count == 15)
            #expect(rows.allSatisfy { $0.0 == "denied" && $0.1 == "10002" }, "\(rows)")
        }
    }

    @Test func theOnlyStoreIsTheOnlyAllowedOneAndAnotherKeysActiveStoreIsNotAllowed() async throws {
        try await EdgeFixture.run { fixture in
            let tenant = try await fixture.createTenant()
            let stores = try await Self.insertStores(tenantID: tenant.tenantID, fixture: fixture)
            let limited = try await fixture.keys.createKey(
                tenantID: tenant.tenantID, scopes: [.read], label: nil, storeIDs: ["10002"])
            try await fixture.test { client in
                // Two stores, one allowed: store-scoped tools without `store` use it (resolution
                // succeeds; the call then fails reaching the fake store's OrderDesk, never with
                // no_active_store or store_not_allowed).
                let implicit = try #require(
                    expectResult(
                        try await client.modern(
                            ModernMessage.toolCall("orders_get", arguments: ["order_id": "1"]), method: "tools/call",
                            name: "orders_get", key: limited.masterKey)))
                let code = Self.errorCode(implicit)
                #expect(code != "no_active_store" && code != "store_not_allowed", "\(implicit)")
                let unlimited = expectResult(
                    try await client.modern(
                        ModernMessage.toolCall("orders_get", arguments: ["order_id": "1"]), method: "tools/call",
                        name: "orders_get", key: tenant.masterKey))
                #expect(Self.errorCode(unlimited) == "no_active_store")

                // A session whose active store was chosen with the full key: the limited key,
                // using the same session, may not act on it, and stores_list does not show it.
                let session = try await client.openSession(key: tenant.masterKey)
                let chosen = expectResult(
                    try await client.post(
                        MCPMessage.toolCall("stores_use_store", arguments: ["store": .string(stores.main.uuidString)]),
                        key: tenant.masterKey, session: session))
                #expect(chosen?["isError"] == false)
                let refused = expectResult(
                    try await client.post(
                        MCPMessage.toolCall("orders_get", arguments: ["order_id": "1"]), key: limited.masterKey,
                        session: session))
                #expect(Self.errorCode(refused) == "store_not_allowed", "\(String(describing: refused))")
                let listed = expectResult(
                    try await client.post(MCPMessage.toolCall("stores_list"), key: limited.masterKey, session: session))
                #expect(listed?["structuredContent"]?["stores"]?.arrayValue?.map { $0["store_id"] } == ["10002"])
                #expect(listed?["structuredContent"]?["active_store_id"] == .null)
            }
        }
    }
}
