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
    /// The request's live session (`SessionMiddleware`); nil for `initialize` and for 2026-07-28.
    public internal(set) var session: MCPSession?
    /// What the request's opening statement read with the session (`SessionMiddleware`), if it ran.
    var snapshot: CallSnapshot?
    /// Which era the request speaks (`RevisionMiddleware`).
    var revision: ProtocolRevision = .legacy
    /// The caller's W3C trace context, when it sent a well-formed one (`RevisionMiddleware`).
    var traceParent: TraceParent?

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

/// The protocol era of one request.
enum ProtocolRevision: Sendable, Equatable {
    /// 2025-03-26 … 2025-11-25: the session's negotiated version applies.
    case legacy
    /// 2026-07-28: stateless, everything the server needs is in the request.
    case modern(version: String, clientInfo: JSONValue?)
}
