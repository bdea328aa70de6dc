import Foundation
import Hummingbird
import JSON
import NIOCore

extension Request {
    /// Largest body the simulator accepts.
    static let maximumBodySize = 2 * 1024 * 1024

    /// The body parsed as JSON; a 400 when it is missing or not JSON.
    func jsonBody() async throws -> JSONValue {
        let buffer: ByteBuffer
        do {
            buffer = try await body.collect(upTo: Self.maximumBodySize)
        } catch {
            throw SimulatorError(status: .contentTooLarge, message: "Request body is larger than 2 MiB.")
        }
        guard buffer.readableBytes > 0 else { throw SimulatorError.badRequest("A JSON request body is required.") }
        do {
            return try JSONValue(parsing: Data(buffer.readableBytesView))
        } catch {
            throw SimulatorError.badRequest("Request body is not valid JSON.")
        }
    }

    /// The body as a JSON object.
    func jsonObjectBody() async throws -> [String: JSONValue] {
        guard let object = try await jsonBody().objectValue else {
            throw SimulatorError.badRequest("Request body must be a JSON object.")
        }
        return object
    }

    var queryParameters: [String: String] { QueryParameters.parse(uri.query) }
}
