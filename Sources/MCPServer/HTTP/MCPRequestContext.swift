import App
import Foundation
import Hummingbird
import JSON
import NIOCore

/// Per-request context: Hummingbird's core storage, and what the edge's middlewares learn about the
/// request on its way in (who the client is, who the caller is, the message, the session), so the
/// handlers only do their own job.
public struct MCPRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?
    /// `X-Request-ID` of every answer, and `correlation_id` of the audit rows and log lines.
    public let correlationID: String
    /// The client's address: the peer, or what a trusted proxy forwarded (`ExchangeMiddleware`).
    public internal(set) var clientIP: String?
    /// The tenant of a verified Bearer key (`AuthenticationMiddleware`), or of the session's own
    /// key in session-authentication mode (`SessionMiddleware`).
    public internal(set) var principal: TenantPrincipal?
    /// The POST body's JSON-RPC message (`JSONRPCBodyMiddleware`).
    var message: JSONRPCMessage?
    /// The request's live session (`SessionMiddleware`); nil for `initialize`.
    public internal(set) var session: MCPSession?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
        self.correlationID = UUID().uuidString.lowercased()
        self.clientIP = remoteAddress?.ipAddress
    }

    /// The JSON-RPC id of the request being answered, once the body was read.
    var jsonRPCID: JSONValue? {
        if case .request(let id, _, _) = message { return id }
        return nil
    }
}
