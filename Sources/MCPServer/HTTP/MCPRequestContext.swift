import Hummingbird
import NIOCore

/// Per-request context: Hummingbird's core storage plus the peer address (audit, brute-force limits).
public struct MCPRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
    }

    /// The client's IP address as text (no port), when known.
    var clientIP: String? { remoteAddress?.ipAddress }
}
