import Foundation
import Hummingbird
import JSON

extension Response {
    /// A JSON response with an explicit `Content-Length`, as OrderDesk sends.
    static func orderDesk(_ body: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status,
            headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: body.encoded())))
    }

    /// A success envelope: `status`, `execution_time` and the given members.
    static func orderDeskSuccess(
        _ members: [String: JSONValue], context: SimulatorRequestContext, status: HTTPResponse.Status = .ok
    ) -> Response {
        var object = members
        object["status"] = "success"
        object["execution_time"] = .string(context.executionTime)
        return .orderDesk(.object(object), status: status)
    }
}

extension SimulatorRequestContext {
    /// Seconds since the request arrived, formatted like OrderDesk's `"0.1454 seconds"`.
    var executionTime: String {
        let elapsed = ContinuousClock.now - receivedAt
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return String(format: "%.4f seconds", seconds)
    }
}
