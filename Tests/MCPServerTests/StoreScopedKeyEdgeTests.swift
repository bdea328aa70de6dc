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
/// only its stores, selecting another store by argument or handle is `not_found` exactly as for a
/// store that does not exist, and a session's active store chosen with another key is
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

                // Its own store, by each spelling, resolves.
                for identifier in ["10001", "main", stores.main.uuidString] {
                    let ok = expectResult(
                        try await client.modern(
                            ModernMessage.toolCall("stores_use_store", arguments: ["store": .string(identifier)]),
                            method: "tools/call", name: "stores_use_store", key: limited.masterKey))
                    #expect(ok?["isError"] == false, "\(identifier)")
                }
                // The other, by each spelling and through each tool, is answered exactly as once it
                // no longer exists: `not_found` listing only the key's stores, the same result and
                // the same audit rows, so guessing it confirms nothing.
                let calls = ["10002", "Outlet", stores.outlet.uuidString.lowercased()].flatMap { identifier in
                    ["stores_use_store", "stores_resolve", "orders_get", "orders_list", "store_folders_list"].map {
                        tool in
                        var arguments: [String: JSONValue] = ["store": .string(identifier)]
                        if tool == "orders_get" { arguments["order_id"] = "1" }
                        return (tool, identifier, JSONValue.object(arguments))
                    }
                }
                func refusals() async throws -> [JSONValue] {
                    var results: [JSONValue] = []
                    for (tool, identifier, arguments) in calls {
                        let refused = try #require(
                            expectResult(
                                try await client.modern(
                                    ModernMessage.toolCall(tool, arguments: arguments), method: "tools/call", name: tool,
                                    key: limited.masterKey)))
                        #expect(Self.errorCode(refused) == "not_found", "\(tool) \(identifier): \(refused)")
                        let error = refused["structuredContent"]?["error"]
                        #expect(
                            error?["message"]?.stringValue == "No store matches \"\(identifier)\". Registered stores: Main.",
                            "\(tool) \(identifier): \(refused)")
                        #expect(error?["details"] == ["stores": ["Main"]])
                        var result = refused.objectValue ?? [:]
                        result["_meta"] = nil  // the correlation id
                        results.append(.object(result))
                    }
                    return results
                }
                let auditedBefore = try await Self.auditMark(fixture)
                let hidden = try await refusals()
                let auditedBetween = try await Self.auditMark(fixture)
                try await fixture.server.database.withTenantTransaction(tenant.tenantID) { tx in
                    _ = try tx.execute("DELETE FROM orderdesk.stores WHERE id = \(stores.outlet)")
                }
                let unknown = try await refusals()
                #expect(hidden == unknown, "a store outside the limit answers as one that does not exist")
                let audit = try await Self.auditRows(fixture, after: auditedBefore, upTo: auditedBetween)
                #expect(audit.count == calls.count)
                #expect(audit == (try await Self.auditRows(fixture, after: auditedBetween, upTo: .max)))
                #expect(audit.allSatisfy { $0.outcome == "error" && $0.errorCode == "not_found" }, "\(audit)")
                #expect(audit.map(\.storeID) == calls.map { Optional($0.1) }, "the identifier, as for an unknown one")
            }
            let rows = try await fixture.scratch.asOwner { tx in
                try tx.query("SELECT count(*) AS n FROM orderdesk.audit_log WHERE error_code = 'store_not_allowed'")[0]
                    .decode(Int.self, "n")
            }
            #expect(rows == 0)
        }
    }

    @Test func aLimitedKeysStoreNamedAfterAHiddenStoresIDResolvesByName() async throws {
        try await EdgeFixture.run { fixture in
            let tenant = try await fixture.createTenant()
            let stores = try await Self.insertStores(tenantID: tenant.tenantID, fixture: fixture)
            // Main (10001) is named "10002", Outlet's OrderDesk id: the full key means Outlet by
            // "10002" (an id outranks a name); the key limited to Main means Main, by name.
            try await fixture.server.database.withTenantTransaction(tenant.tenantID) { tx in
                _ = try tx.execute("UPDATE orderdesk.stores SET name = '10002' WHERE id = \(stores.main)")
            }
            let limited = try await fixture.keys.createKey(
                tenantID: tenant.tenantID, scopes: [.read], label: nil, storeIDs: ["10001"])
            try await fixture.test { client in
                for (key, storeID, matched) in [(tenant.masterKey, "10002", "id"), (limited.masterKey, "10001", "name")] {
                    let resolved = expectResult(
                        try await client.modern(
                            ModernMessage.toolCall("stores_resolve", arguments: ["store": "10002"]), method: "tools/call",
                            name: "stores_resolve", key: key))
                    #expect(resolved?["isError"] == false, "\(String(describing: resolved))")
                    let content = resolved?["structuredContent"]
                    #expect(content?["store"]?["store_id"] == .string(storeID), "\(String(describing: content))")
                    #expect(content?["matched_by"] == .string(matched), "\(String(describing: content))")
                }
            }
        }
    }

    struct AuditRow: Equatable, CustomStringConvertible {
        let action: String
        let outcome: String
        let errorCode: String?
        let storeID: String?
        let target: String?
        var description: String { "\(action) \(outcome) \(errorCode ?? "-") \(storeID ?? "-") \(target ?? "-")" }
    }

    static func auditMark(_ fixture: EdgeFixture) async throws -> Int {
        try await fixture.scratch.asOwner { tx in
            try tx.query("SELECT coalesce(max(id), 0)::bigint AS id FROM orderdesk.audit_log")[0].decode(Int.self, "id")
        }
    }

    static func auditRows(_ fixture: EdgeFixture, after: Int, upTo: Int) async throws -> [AuditRow] {
        try await fixture.scratch.asOwner { tx in
            try tx.query(
                """
                SELECT action, outcome, error_code, store_id, target FROM orderdesk.audit_log
                WHERE id > \(after) AND id <= \(upTo) ORDER BY id
                """
            ).map {
                AuditRow(
                    action: try $0.decode(String.self, "action"), outcome: try $0.decode(String.self, "outcome"),
                    errorCode: try $0.decode(String?.self, "error_code"), storeID: try $0.decode(String?.self, "store_id"),
                    target: try $0.decode(String?.self, "target"))
            }
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
                // It names the stores the key may use, never the active store's OrderDesk id or name.
                let error = refused?["structuredContent"]?["error"]
                let message = try #require(error?["message"]?.stringValue)
                #expect(message.contains("10002") && !message.contains("10001") && !message.contains("Main"), "\(message)")
                #expect(error?["details"] == ["allowed_store_ids": ["10002"]])
                let listed = expectResult(
                    try await client.post(MCPMessage.toolCall("stores_list"), key: limited.masterKey, session: session))
                #expect(listed?["structuredContent"]?["stores"]?.arrayValue?.map { $0["store_id"] } == ["10002"])
                #expect(listed?["structuredContent"]?["active_store_id"] == .null)
            }
        }
    }
}
