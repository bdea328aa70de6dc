import Foundation
import HTTPTypes
import HummingbirdTesting
import JSON
import NIOCore
import Testing

@testable import MCPServer

/// JSON-RPC bodies and headers as a 2026-07-28 client writes them: everything in `_meta`, the
/// routing headers mirroring the body, no session.
enum ModernMessage {
    static let version = "2026-07-28"

    static func meta(_ extra: [String: JSONValue] = [:]) -> JSONValue {
        var meta: [String: JSONValue] = [
            RequestEnvelope.protocolVersionKey: .string(version),
            RequestEnvelope.clientCapabilitiesKey: [:],
            RequestEnvelope.clientInfoKey: ["name": "edge-tests", "version": "1.0"],
        ]
        for (key, value) in extra { meta[key] = value }
        return .object(meta)
    }

    static func request(_ method: String, id: JSONValue = 1, params: [String: JSONValue] = [:], meta: JSONValue? = nil)
        -> String
    {
        var params = params
        params["_meta"] = meta ?? Self.meta()
        return MCPMessage.request(method, id: id, params: .object(params))
    }

    static func toolCall(_ name: String, arguments: JSONValue = [:], id: JSONValue = 1, meta: JSONValue? = nil) -> String {
        request("tools/call", id: id, params: ["name": .string(name), "arguments": arguments], meta: meta)
    }

    static func headers(_ method: String, name: String? = nil) -> HTTPFields {
        var fields: HTTPFields = [.mcpProtocolVersion: version, .mcpMethod: method]
        if let name { fields[.mcpName] = name }
        return fields
    }
}

extension TestClientProtocol {
    /// A 2026-07-28 POST: the body, its routing headers (override or drop them to test the checks).
    func modern(
        _ body: String, method: String, name: String? = nil, key: String? = nil, headers: HTTPFields = [:],
        removing: [HTTPField.Name] = []
    ) async throws -> TestResponse {
        var fields = ModernMessage.headers(method, name: name)
        for field in headers { fields[field.name] = field.value }
        return try await post(body, key: key, headers: fields, removing: removing)
    }
}

/// Protocol 2026-07-28 on the same `/mcp` as the session revisions: discovery, the tool list, tool
/// calls without a session, and every check of the request's envelope and headers.
@Suite(.serialized) struct EdgeStatelessTests {
    @Test func discoverNamesBothErasAndNeedsNoKey() async throws {
        try await EdgeFixture.run { fixture in
            try await fixture.test { client in
                let response = try await client.modern(ModernMessage.request("server/discover"), method: "server/discover")
                let result = try #require(expectResult(response))
                #expect(result["resultType"] == "complete")
                #expect(result["supportedVersions"] == .array(ProtocolVersion.supported.map(JSONValue.string)))
                #expect(result["supportedVersions"]?.arrayValue?.first == "2026-07-28")
                #expect(result["capabilities"]?["tools"]?["listChanged"] == false)
                #expect(result["ttlMs"]?.lenientInt.map { $0 >= 0 } == true)
                #expect(result["cacheScope"] == "public")
                #expect(result["_meta"]?["io.modelcontextprotocol/serverInfo"]?["name"] == "orderdesk-mcp")
                #expect(response.headers[.mcpSessionID] == nil)
            }
        }
    }

    @Test func toolsListIsTheSameForEveryCallerAndLeavesOutSessionTools() async throws {
        try await EdgeFixture.run { fixture in
            let a = try await fixture.createTenant()
            let b = try await fixture.createTenant()
            try await fixture.test { client in
                var lists: [JSONValue] = []
                for key in [a.masterKey, b.masterKey, nil, a.masterKey] {
                    let response = try await client.modern(
                        ModernMessage.request("tools/list"), method: "tools/list", key: key)
                    let result = try #require(expectResult(response))
                    #expect(result["resultType"] == "complete")
                    #expect(result["cacheScope"] == "public")
                    #expect(result["ttlMs"]?.lenientInt == 300_000)
                    #expect(result["_meta"]?["io.modelcontextprotocol/serverInfo"]?["version"] != nil)
                    lists.append(try #require(result["tools"]))
                }
                #expect(Set(lists.map { $0.encodedString() }).count == 1, "tools/list varies by caller")
                let names = lists[0].arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
                #expect(!names.contains("tenant_use_master_key"))
                #expect(names.contains("orders_get") && names.contains("stores_use_store"))
                // A session still lists every tool, in the same order.
                let session = try await client.openSession(key: a.masterKey)
                let legacy = expectResult(
                    try await client.post(MCPMessage.request("tools/list"), key: a.masterKey, session: session))
                let legacyNames = legacy?["tools"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
                #expect(legacyNames.filter { $0 != "tenant_use_master_key" } == names)
                #expect(legacyNames.contains("tenant_use_master_key"))
                #expect(legacy?["resultType"] == nil, "legacy results stay as they were")
                let paged = try await client.modern(
                    ModernMessage.request("tools/list", params: ["cursor": "abc"]), method: "tools/list")
                expectError(paged, .badRequest, -32602, "invalid_params", id: 1)
            }
        }
    }

    @Test func aReadOnlyKeySeesOnlyTheToolsItMayCallInEitherEra() async throws {
        try await EdgeFixture.run { fixture in
            let tenant = try await fixture.createTenant()
            let reader = try await fixture.keys.createKey(tenantID: tenant.tenantID, scopes: [.read], label: "reader")
            try await fixture.test { client in
                let modern = try #require(
                    expectResult(
                        try await client.modern(
                            ModernMessage.request("tools/list"), method: "tools/list", key: reader.masterKey)))
                let names = modern["tools"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
                let readTools = ToolRegistry.standard.tools.filter { $0.requiredScope == .read && !$0.needsSession }
                #expect(names == readTools.map(\.name))
                #expect(!names.contains("orders_update") && names.contains("orders_get"))
                #expect(modern["cacheScope"] == "private", "a list that depends on the key is not public")
                let full = expectResult(
                    try await client.modern(ModernMessage.request("tools/list"), method: "tools/list", key: tenant.masterKey))
                #expect(full?["cacheScope"] == "public")
                #expect((full?["tools"]?.arrayValue?.count ?? 0) > names.count)
                // A session of the read-only key lists the same subset (plus the session-only login tool).
                let session = try await client.openSession(key: reader.masterKey)
                let legacy = expectResult(
                    try await client.post(MCPMessage.request("tools/list"), key: reader.masterKey, session: session))
                let legacyNames = legacy?["tools"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
                #expect(legacyNames == ToolRegistry.standard.tools.filter { $0.requiredScope == .read }.map(\.name))
            }
        }
    }

    @Test func aToolCallNeedsTheKeyAndNoSessionAndIsAuditedWithItsRevisionAndTrace() async throws {
        try await EdgeFixture.run { fixture in
            let tenant = try await fixture.createTenant()
            let trace = "00-0af7651916cd43dd8448eb211c80319c-00f067aa0ba902b7-01"
            let bogusSession = MCPMessage.unknownSessionID()
            let response = try await fixture.test { client in
                try await client.modern(
                    ModernMessage.toolCall("stores_list", meta: ModernMessage.meta(["traceparent": .string(trace)])),
                    method: "tools/call", name: "stores_list", key: tenant.masterKey,
                    headers: [.mcpSessionID: bogusSession, HTTPField.Name("Last-Event-ID")!: "7"])
            }
            let result = try #require(expectResult(response))
            #expect(result["isError"] == false, "\(response.text)")
            #expect(result["resultType"] == "complete")
            #expect(result["structuredContent"]?["active_store_id"] == .null)
            #expect(result["_meta"]?["io.modelcontextprotocol/serverInfo"]?["name"] == "orderdesk-mcp")
            #expect(result["_meta"]?["correlation_id"]?.stringValue == response.headers[.requestID])
            #expect(response.headers[.mcpSessionID] == nil)
            let requestID = try #require(response.headers[.requestID])
            let (rows, sessions) = try await fixture.scratch.asOwner { tx in
                let rows = try tx.query(
                    """
                    SELECT outcome, protocol_version, traceparent, session_hash FROM orderdesk.audit_events
                    WHERE correlation_id = \(requestID)
                    """
                ).map {
                    [
                        try $0.decode(String.self, "outcome"), try $0.decode(String?.self, "protocol_version"),
                        try $0.decode(String?.self, "traceparent"), try $0.decode(String?.self, "session_hash"),
                    ]
                }
                let sessions = try tx.query("SELECT count(*)::int AS n FROM orderdesk.sessions")[0].decode(Int.self, "n")
                return (rows, sessions)
            }
            #expect(rows == [["ok", "2026-07-28", trace, nil]])
            #expect(sessions == 0, "a 2026-07-28 request created a session")

            try await fixture.test { client in
                let keyless = try await client.modern(
                    ModernMessage.toolCall("stores_list"), method: "tools/call", name: "stores_list")
                expectError(keyless, .unauthorized, -32001, "unauthorized", id: 1)
                #expect(keyless.headers[.wwwAuthenticate] == Challenge.bare)
                let login = try await client.modern(
                    ModernMessage.toolCall("tenant_use_master_key", arguments: ["master_key": .string(tenant.masterKey)]),
                    method: "tools/call", name: "tenant_use_master_key", key: tenant.masterKey)
                expectError(login, .badRequest, -32602, "invalid_params", id: 1)
                #expect(login.json?["error"]?["message"]?.stringValue?.contains("Authorization") == true)
            }
        }
    }

    @Test func theEnvelopeIsCheckedInTheSpecsOrder() async throws {
        try await EdgeFixture.run { fixture in
            let tenant = try await fixture.createTenant()
            try await fixture.test { client in
                let key = tenant.masterKey
                // -32602: `_meta` missing, or without one of its required keys.
                let bare = MCPMessage.request("tools/list", params: [:])
                expectError(
                    try await client.modern(bare, method: "tools/list", key: key), .badRequest, -32602, "invalid_params", id: 1)
                for missing in [RequestEnvelope.protocolVersionKey, RequestEnvelope.clientCapabilitiesKey] {
                    var meta = ModernMessage.meta().objectValue!
                    meta[missing] = nil
                    let response = try await client.modern(
                        ModernMessage.request("tools/list", meta: .object(meta)), method: "tools/list", key: key)
                    expectError(response, .badRequest, -32602, "invalid_params", id: 1)
                    #expect(response.json?["error"]?["message"]?.stringValue?.contains(missing) == true)
                }
                let badMeta: [(String, JSONValue)] = [
                    (RequestEnvelope.clientCapabilitiesKey, "all"), (RequestEnvelope.clientInfoKey, [:]),
                    (RequestEnvelope.clientInfoKey, ["name": "x"]), (RequestEnvelope.clientInfoKey, ["version": "1"]),
                    (RequestEnvelope.clientInfoKey, ["name": "x\u{0}", "version": "1"]),
                ]
                for (field, value) in badMeta {
                    let request = ModernMessage.request("tools/list", meta: ModernMessage.meta([field: value]))
                    expectError(
                        try await client.modern(request, method: "tools/list", key: key), .badRequest, -32602,
                        "invalid_params", id: 1)
                }
                // -32020: a routing header missing, disagreeing with the body, or sent twice.
                let list = ModernMessage.request("tools/list")
                for name in [HTTPField.Name.mcpProtocolVersion, .mcpMethod] {
                    let response = try await client.modern(list, method: "tools/list", key: key, removing: [name])
                    expectError(response, .badRequest, -32020, "header_mismatch", id: 1)
                }
                expectError(
                    try await client.modern(list, method: "tools/call", key: key), .badRequest, -32020, "header_mismatch",
                    id: 1)
                let call = ModernMessage.toolCall("stores_list")
                expectError(
                    try await client.modern(call, method: "tools/call", key: key), .badRequest, -32020, "header_mismatch",
                    id: 1)
                expectError(
                    try await client.modern(call, method: "tools/call", name: "stores_delete", key: key), .badRequest,
                    -32020, "header_mismatch", id: 1)
                expectResult(
                    try await client.modern(
                        call, method: "tools/call", name: "=?base64?c3RvcmVzX2xpc3Q=?=", key: key))
                expectError(
                    try await client.modern(call, method: "tools/call", name: "=?base64?c3RvcmVzX2xpc3Q?=", key: key),
                    .badRequest, -32020, "header_mismatch", id: 1)
                var twice = ModernMessage.headers("tools/list")
                twice[.contentType] = "application/json"
                twice[.accept] = "application/json, text/event-stream"
                twice.append(HTTPField(name: .mcpMethod, value: "tools/list"))
                #expect(twice[values: .mcpMethod].count == 2)
                let duplicated = try await client.execute(
                    uri: "/mcp", method: .post, headers: twice, body: ByteBuffer(string: list))
                expectError(duplicated, .badRequest, -32020, "header_mismatch", id: 1)
                // The version header twice is refused before the body is read (so without the id).
                var versionTwice = twice
                versionTwice[values: .mcpMethod] = ["tools/list"]
                versionTwice.append(HTTPField(name: .mcpProtocolVersion, value: "2026-07-28"))
                let twoVersions = try await client.execute(
                    uri: "/mcp", method: .post, headers: versionTwice, body: ByteBuffer(string: list))
                expectError(twoVersions, .badRequest, -32020, "header_mismatch", id: 1)
                let future = ModernMessage.request(
                    "tools/list", meta: ModernMessage.meta([RequestEnvelope.protocolVersionKey: "2099-01-01"]))
                expectError(
                    try await client.modern(future, method: "tools/list", key: key), .badRequest, -32020,
                    "header_mismatch", id: 1)
                // Without the header a body that declares its version is still modern: the header is missing.
                expectError(
                    try await client.post(list, key: key, headers: [.mcpMethod: "tools/list"]), .badRequest, -32020,
                    "header_mismatch", id: 1)
                // -32022: a version we do not speak, named in both places, lists the ones we do.
                let unknown = try await client.modern(
                    future, method: "tools/list", key: key, headers: [.mcpProtocolVersion: "2099-01-01"])
                expectError(unknown, .badRequest, -32022, "unsupported_protocol_version", id: 1)
                #expect(unknown.json?["error"]?["data"]?["requested"] == "2099-01-01")
                #expect(unknown.json?["error"]?["data"]?["supported"]?.arrayValue?.contains("2026-07-28") == true)
                // A legacy version in `_meta`: not a per-request revision.
                let legacyInMeta = ModernMessage.request(
                    "tools/list", meta: ModernMessage.meta([RequestEnvelope.protocolVersionKey: "2025-11-25"]))
                let legacy = try await client.modern(
                    legacyInMeta, method: "tools/list", key: key, headers: [.mcpProtocolVersion: "2025-11-25"])
                expectError(legacy, .badRequest, -32022, "unsupported_protocol_version", id: 1)
                #expect(legacy.json?["error"]?["data"]?["supported"] == ["2026-07-28"], "\(legacy.text)")
                // A name header that is the tool's name after a byte-order mark is not the tool's name.
                expectError(
                    try await client.modern(call, method: "tools/call", name: "=?base64?77u/c3RvcmVzX2xpc3Q=?=", key: key),
                    .badRequest, -32020, "header_mismatch", id: 1)
            }
        }
    }

    @Test func unknownMethodsSessionsAndStreamsAreRefusedTheModernWay() async throws {
        try await EdgeFixture.run { fixture in
            let tenant = try await fixture.createTenant()
            try await fixture.test { client in
                let key = tenant.masterKey
                let ping = try await client.modern(ModernMessage.request("ping"), method: "ping", key: key)
                expectError(ping, .notFound, -32601, "method_not_found", id: 1)
                for method in [HTTPRequest.Method.get, .delete] {
                    let response = try await client.send(method, key: key, headers: [.mcpProtocolVersion: "2026-07-28"])
                    #expect(response.status == .methodNotAllowed)
                    #expect(response.headers[.allow] == "POST")
                }
                let notification = try await client.modern(
                    MCPMessage.notification("notifications/cancelled"), method: "notifications/cancelled", key: key)
                #expect(notification.status == .accepted)
                let reply = #"{"jsonrpc":"2.0","id":5,"result":{}}"#
                expectError(
                    try await client.modern(reply, method: "x", key: key), .badRequest, -32600, "invalid_request")
                // `initialize` stays the legacy handshake, whatever version it asks for.
                let initialize = try await client.post(
                    MCPMessage.request(
                        "initialize",
                        params: [
                            "protocolVersion": "2026-07-28", "capabilities": [:], "clientInfo": ["name": "x", "version": "1"],
                        ]),
                    key: key)
                #expect(expectResult(initialize)?["protocolVersion"] == "2025-11-25")
                #expect(initialize.headers[.mcpSessionID] != nil)
            }
        }
    }
}

@Suite struct TraceParentTests {
    @Test func wellFormedTraceParentsAreKeptNormalised() {
        let value = "00-0af7651916cd43dd8448eb211c80319c-00f067aa0ba902b7-01"
        #expect(TraceParent(value)?.value == value)
        #expect(TraceParent(value)?.traceID == "0af7651916cd43dd8448eb211c80319c")
        #expect(TraceParent(" \(value) ")?.value == value)
        // A later version may append fields; the first 55 characters are what we keep.
        #expect(TraceParent("01-0af7651916cd43dd8448eb211c80319c-00f067aa0ba902b7-01-extra")?.value.hasPrefix("01-") == true)
    }

    @Test func malformedTraceParentsAreDropped() {
        for value in [
            "", "00-0af7651916cd43dd8448eb211c80319c-00f067aa0ba902b7", "ff-0af7651916cd43dd8448eb211c80319c-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01", "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",
            "00-0AF7651916CD43DD8448EB211C80319C-00f067aa0ba902b7-01",
            "00-0af7651916cd43dd8448eb211c80319c-00f067aa0ba902b7-01-x",
            "00_0af7651916cd43dd8448eb211c80319c_00f067aa0ba902b7_01", "'; DROP TABLE x; --0000000000000000000000000000000000000",
        ] {
            #expect(TraceParent(value) == nil, "accepted \(value)")
        }
    }

    @Test func routingHeaderValuesDecodeTheBase64SentinelStrictly() {
        #expect(RoutingHeaders.decode("orders_get") == "orders_get")
        #expect(RoutingHeaders.decode("=?base64?SGVsbG8sIOS4lueVjA==?=") == "Hello, 世界")
        #expect(RoutingHeaders.decode("=?base64?SGVsbG8sIOS4lueVjA?=") == nil)  // not canonical (no padding)
        #expect(RoutingHeaders.decode("=?base64?//79?=") == nil)  // not UTF-8
        #expect(RoutingHeaders.decode("=?base64?77u/c3RvcmVzX2xpc3Q=?=") == "\u{FEFF}stores_list")  // BOM kept
        #expect(RoutingHeaders.isPlain("a b\tc") && !RoutingHeaders.isPlain("é") && !RoutingHeaders.isPlain("a\u{7F}"))
    }
}
