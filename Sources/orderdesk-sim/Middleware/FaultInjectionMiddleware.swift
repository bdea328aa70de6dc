import Hummingbird
import JSON
import NIOCore

/// Applies the faults queued through `/_sim/faults`. It runs before authentication and rate
/// limiting, the way a failing load balancer or a crashed upstream answers before OrderDesk's own
/// checks; an injected response therefore carries no `X-Tokens-Remaining` unless the fault's
/// `headers` add one.
struct FaultInjectionMiddleware: RouterMiddleware {
    typealias Context = SimulatorRequestContext

    let faults: FaultQueue

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard let fault = faults.take(method: request.method.rawValue, path: request.uri.path) else {
            return try await next(request, context)
        }
        context.trace.recordFault(fault.kind)
        if fault.delayMilliseconds > 0 { try await Task.sleep(for: .milliseconds(fault.delayMilliseconds)) }

        if fault.dropConnection {
            // Closing the channel here means the response returned below is never written: the
            // client sees the connection closed with no reply (curl: error 52, "Empty reply").
            context.trace.recordDroppedConnection()
            try? await context.channel.close(mode: .all).get()
            return Response(status: .internalServerError)
        }
        if fault.conflictOnPut {
            return reply(
                fault, status: fault.status ?? 409,
                defaultMessage: "The order was changed by another process. Fetch it again and retry.")
        }
        if fault.malformedBody {
            var response = try await next(request, context)
            let body = try await response.body.collected()
            let cut = body.getSlice(at: body.readerIndex, length: body.readableBytes / 2) ?? ByteBuffer()
            response.body = ResponseBody(byteBuffer: cut.readableBytes > 0 ? cut : ByteBuffer(string: "{\"status\":"))
            if let status = fault.status { response.status = .init(code: status) }
            for (name, value) in fault.headers { if let name = HTTPFieldName(name) { response.headers[name] = value } }
            return response
        }
        if let status = fault.status {
            return reply(fault, status: status, defaultMessage: "Simulated fault: HTTP \(status)")
        }
        return try await next(request, context)
    }

    private func reply(_ fault: Fault, status: Int, defaultMessage: String) -> Response {
        let body = fault.body ?? JSONValue.object(["status": "error", "message": .string(defaultMessage)]).encodedString()
        var headers: HTTPFields = [.contentType: "application/json"]
        for (name, value) in fault.headers { if let name = HTTPFieldName(name) { headers[name] = value } }
        return Response(status: .init(code: status), headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }
}

extension ResponseBody {
    /// The whole body in one buffer (used to corrupt it for the `malformed_body` fault).
    consuming func collected() async throws -> ByteBuffer {
        let sink = BufferSink()
        try await write(CollectingWriter(sink: sink))
        return sink.buffer
    }
}

/// Holds collected bytes; used only within one request's task.
private final class BufferSink {
    var buffer = ByteBuffer()
}

private struct CollectingWriter: ResponseBodyWriter {
    let sink: BufferSink

    mutating func write(_ buffer: ByteBuffer) async throws {
        var buffer = buffer
        sink.buffer.writeBuffer(&buffer)
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
