import Hummingbird

/// Runs before routing: serves the API both under `/api/v2` (the real base URL) and at the root,
/// drops a trailing slash, and honours `X-HTTP-Method-Override` on POST (OrderDesk's docs use it
/// for PUT in their curl examples).
struct APIPathResponder<Wrapped: HTTPResponder>: HTTPResponder where Wrapped.Context == SimulatorRequestContext {
    typealias Context = SimulatorRequestContext

    static var prefix: String { "/api/v2" }
    static var methodOverrideHeader: HTTPFieldName { HTTPFieldName("X-HTTP-Method-Override")! }

    let wrapped: Wrapped

    func respond(to request: Request, context: Context) async throws -> Response {
        var head = request.head
        var path = request.uri.path
        if path == Self.prefix || path.hasPrefix(Self.prefix + "/") { path.removeFirst(Self.prefix.count) }
        if path.isEmpty { path = "/" }
        if path.count > 1, path.hasSuffix("/") { path.removeLast() }
        head.path = path + (request.uri.query.map { "?" + $0 } ?? "")
        if head.method == .post, let override = request.headers[Self.methodOverrideHeader],
            let method = HTTPRequest.Method(override.uppercased()), [.put, .delete].contains(method)
        {
            head.method = method
        }
        return try await wrapped.respond(to: Request(head: head, body: request.body), context: context)
    }
}
