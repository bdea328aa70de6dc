import Foundation
import HTTPTypes
import Hummingbird
import JSON

/// Decides which protocol era a POST speaks, per request: 2026-07-28 (stateless) when the
/// `MCP-Protocol-Version` header says so, when the body carries a per-request version in `_meta`, or
/// for `server/discover`; the legacy session revisions otherwise (`initialize` always). A modern
/// request passes the spec's checks in order (envelope -32602, headers -32020, version -32022) and
/// then skips the session entirely. Also reads the caller's trace context, in either era.
struct RevisionMiddleware: RouterMiddleware {
    typealias Context = MCPRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        guard request.method == .post, let message = context.message else { return try await next(request, context) }
        var context = context
        let header = request.headers[.mcpProtocolVersion]
        let headerIsModern = header.map(ProtocolVersion.isModern) ?? false
        switch message {
        case .request(let id, let method, let params):
            context.traceParent = Self.traceParent(params: params, request: request)
            guard method != "initialize",
                headerIsModern || RequestEnvelope.declaresVersion(params) || method == "server/discover"
            else { break }
            do {
                let envelope = try RequestEnvelope(params: params)
                try RoutingHeaders.check(request.headers, method: method, params: params, envelope: envelope)
                context.revision = .modern(version: try envelope.checkSupported(), clientInfo: envelope.clientInfo)
            } catch {
                throw MCPError(from: error).answering(id)
            }
        case .notification:
            if headerIsModern { context.revision = .modern(version: header!, clientInfo: nil) }
        case .response:
            if headerIsModern {
                throw MCPError.invalidRequest("a 2026-07-28 client sends no JSON-RPC responses: this server sends no requests")
            }
        }
        return try await next(request, context)
    }

    /// `_meta.traceparent`, else the `traceparent` header; nil when neither is well-formed.
    static func traceParent(params: [String: JSONValue], request: Request) -> TraceParent? {
        if let text = params["_meta"]?.objectValue?["traceparent"]?.stringValue, let parsed = TraceParent(text) {
            return parsed
        }
        return request.headers[.traceparent].flatMap(TraceParent.init)
    }
}

/// The 2026-07-28 request headers that mirror the body for intermediaries (`MCP-Protocol-Version`,
/// `Mcp-Method`, `Mcp-Name`): each must be present once, in plain header characters, and equal the
/// body byte for byte (not merely canonically equivalent), or the request is refused as
/// `HeaderMismatch` (-32020, HTTP 400).
enum RoutingHeaders {
    /// Methods whose `Mcp-Name` mirrors a body parameter, and which one.
    static let namedParameter = ["tools/call": "name", "prompts/get": "name", "resources/read": "uri"]

    static func check(_ headers: HTTPFields, method: String, params: [String: JSONValue], envelope: RequestEnvelope)
        throws(MCPError)
    {
        for name in [HTTPField.Name.mcpProtocolVersion, .mcpMethod, .mcpName] {
            let values = headers[values: name]
            guard values.count <= 1 else { throw mismatch("\(name) is sent more than once") }
            if let value = values.first, !isPlain(value) {
                throw mismatch("\(name) holds characters a header value cannot carry; encode it as =?base64?…?=")
            }
        }
        guard let version = headers[.mcpProtocolVersion] else { throw mismatch("the MCP-Protocol-Version header is missing") }
        guard case .string(let declared) = envelope.protocolVersion, declared.utf8.elementsEqual(version.utf8) else {
            throw mismatch("MCP-Protocol-Version \(version.prefix(40)) does not match `_meta` protocolVersion")
        }
        guard let methodHeader = headers[.mcpMethod] else { throw mismatch("the Mcp-Method header is missing") }
        guard methodHeader.utf8.elementsEqual(method.utf8) else {
            throw mismatch("Mcp-Method \(methodHeader.prefix(100)) does not match the body's method")
        }
        guard let parameter = namedParameter[method], let bodyValue = params[parameter]?.stringValue else { return }
        guard let nameHeader = headers[.mcpName] else { throw mismatch("the Mcp-Name header is missing") }
        guard let decoded = decode(nameHeader), decoded.utf8.elementsEqual(bodyValue.utf8) else {
            throw mismatch("Mcp-Name does not match the body's `\(parameter)`")
        }
    }

    /// Visible ASCII, space and tab only (RFC 9110 field values as MCP restricts them).
    static func isPlain(_ value: String) -> Bool {
        value.utf8.allSatisfy { $0 == 0x09 || (0x20...0x7E).contains($0) }
    }

    /// A header value, or the UTF-8 text inside its `=?base64?…?=` sentinel; nil when the sentinel
    /// holds anything but canonical base64 of UTF-8 (so a corrupt header never matches by accident).
    static func decode(_ value: String) -> String? {
        guard value.hasPrefix("=?base64?"), value.hasSuffix("?="), value.utf8.count >= 11 else { return value }
        let payload = String(value.dropFirst(9).dropLast(2))
        guard let data = Data(base64Encoded: payload), data.base64EncodedString() == payload else { return nil }
        // Strict, and byte for byte: Foundation's decoder would drop a leading BOM, so
        // "\u{FEFF}orders_get" would match "orders_get".
        return String(validating: Array(data), as: UTF8.self)
    }

    private static func mismatch(_ detail: String) -> MCPError {
        MCPError(.headerMismatch, "Header mismatch: \(detail)")
    }
}
