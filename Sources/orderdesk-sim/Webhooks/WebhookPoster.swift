import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// Sends one form post over HTTP/1.1 with SwiftNIO: asynchronous end to end, so no event loop or
/// cooperative thread ever blocks on a receiver. One connection per post (`Connection: close`).
///
/// Only `http://` is supported: the simulator has no TLS stack, so an `https://` rule records the
/// attempt as failed with an explanatory error (receivers in tests listen on loopback).
struct WebhookPoster: Sendable {
    /// What one attempt produced: the receiver's status (0 without a response) or why there was none.
    struct Outcome: Sendable {
        var status: Int
        var error: String?
    }

    static let maximumResponseBytes = 1024 * 1024

    let timeout: Duration
    var group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton

    func post(url: String, headers: [(String, String)], body: String) async -> Outcome {
        guard let parsed = URL(string: url), let host = parsed.host, !host.isEmpty else {
            return Outcome(status: 0, error: "invalid URL")
        }
        guard parsed.scheme?.lowercased() == "http" else {
            return Outcome(status: 0, error: "https is not supported by the simulator (no TLS); use an http:// URL")
        }
        let port = parsed.port ?? 80
        var target = parsed.path.isEmpty ? "/" : parsed.path
        if let query = parsed.query { target += "?" + query }
        let bodyBytes = Array(body.utf8)
        var head = HTTPRequestHead(version: .http1_1, method: .POST, uri: target)
        head.headers.add(name: "Host", value: parsed.port.map { "\(host):\($0)" } ?? host)
        head.headers.add(name: "User-Agent", value: "orderdesk-sim")
        head.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        head.headers.add(name: "Content-Length", value: String(bodyBytes.count))
        head.headers.add(name: "Connection", value: "close")
        for (name, value) in headers { head.headers.add(name: name, value: value) }

        let timeoutAmount = TimeAmount.nanoseconds(
            timeout.components.seconds * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000)
        let timedOut = Mutex(false)
        do {
            let channel = try await ClientBootstrap(group: group)
                .connectTimeout(timeoutAmount)
                .connect(host: host, port: port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(
                            wrappingChannelSynchronously: channel)
                    }
                }
            // The whole exchange shares one deadline: closing the channel ends the read below.
            let deadline = channel.channel.eventLoop.scheduleTask(in: timeoutAmount) {
                timedOut.withLock { $0 = true }
                channel.channel.close(promise: nil)
            }
            defer { deadline.cancel() }
            let status: Int? = try await channel.executeThenClose { inbound, outbound in
                try await outbound.write(.head(head))
                try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: bodyBytes))))
                try await outbound.write(.end(nil))
                var status: Int?
                var received = 0
                for try await part in inbound {
                    switch part {
                    case .head(let response) where response.status.code >= 200: status = Int(response.status.code)
                    case .head: continue
                    case .body(let chunk):
                        received += chunk.readableBytes
                        if received > Self.maximumResponseBytes { return status }
                    case .end: return status
                    }
                }
                return status
            }
            if let status { return Outcome(status: status, error: nil) }
            return Outcome(status: 0, error: timedOut.withLock { $0 } ? timeoutText : "connection closed without a response")
        } catch {
            if timedOut.withLock({ $0 }) { return Outcome(status: 0, error: timeoutText) }
            if case ChannelError.connectTimeout = error { return Outcome(status: 0, error: timeoutText) }
            return Outcome(status: 0, error: "\(error)")
        }
    }

    private var timeoutText: String {
        "no answer within \(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000) ms"
    }
}
