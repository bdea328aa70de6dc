import App
import JSON

/// One MCP tool: its published description and what it does.
public protocol Tool: Sendable {
    /// snake_case name; `tools/call` also accepts the dotted alias (`stores_list` → `stores.list`).
    var name: String { get }
    /// Other snake_case names `tools/call` accepts for this tool (and their dotted forms), e.g. the
    /// seed's `products_get`. They are not listed by `tools/list` (one entry per tool, so a client
    /// does not offer a model the same tool twice); the tool's description names them, and audit
    /// rows name the tool by `name`.
    var aliases: [String] { get }
    var title: String { get }
    var description: String { get }
    /// JSON Schema of the arguments (`type: object`, `additionalProperties: false`).
    var inputSchema: JSONValue { get }
    /// JSON Schema of `structuredContent` on success.
    var outputSchema: JSONValue { get }
    var annotations: ToolAnnotations { get }
    /// The key scope a caller needs (`write` for anything that changes data).
    var requiredScope: KeyScope { get }
    /// Whether the call is allowed on a session that is not yet authenticated.
    var allowedWithoutTenant: Bool { get }
    /// Whether the tool only means something inside a session (legacy revisions): 2026-07-28 does
    /// not list it and refuses it as unknown.
    var needsSession: Bool { get }
    /// Whether the tool adds or removes the tenant's stores: a key limited to some stores
    /// (`TenantPrincipal.isStoreRestricted`) neither sees nor may call it.
    var managesStores: Bool { get }

    /// The cache entry the call will read first, if the tool reads one and `arguments` name it: the
    /// call's opening statement then reads it along with the session and the stores
    /// (`CallSnapshots`), saving the call a round trip. nil for tools that do not read the cache.
    func cacheProbe(for arguments: [String: JSONValue]) -> CacheProbe?

    func call(arguments: ToolArguments, context: ToolContext) async throws -> JSONValue
}

extension Tool {
    public var aliases: [String] { [] }
    public var allowedWithoutTenant: Bool { false }
    public var needsSession: Bool { false }
    public var managesStores: Bool { false }
    public func cacheProbe(for arguments: [String: JSONValue]) -> CacheProbe? { nil }

    /// The tool as `tools/list` shows it (its input schema with the old argument names beside the
    /// current ones: `ArgumentAliases`).
    var listing: JSONValue {
        [
            "name": .string(name), "title": .string(title), "description": .string(description),
            "inputSchema": ArgumentAliases.listedSchema(inputSchema, aliases: ArgumentAliases.of(self)),
            "outputSchema": outputSchema, "annotations": annotations.json,
        ]
    }
}

/// MCP tool annotations (hints for clients).
public struct ToolAnnotations: Sendable {
    public var readOnly: Bool
    public var destructive: Bool
    public var idempotent: Bool
    public var openWorld: Bool

    public static let read = ToolAnnotations(readOnly: true, destructive: false, idempotent: true, openWorld: true)
    public static let localRead = ToolAnnotations(readOnly: true, destructive: false, idempotent: true, openWorld: false)

    var json: JSONValue {
        [
            "readOnlyHint": .bool(readOnly), "destructiveHint": .bool(destructive),
            "idempotentHint": .bool(idempotent), "openWorldHint": .bool(openWorld),
        ]
    }
}
