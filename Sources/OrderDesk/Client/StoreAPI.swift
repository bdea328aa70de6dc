import JSON

/// One OrderDesk store's API: every call carries this store's credentials and goes through the
/// shared client's connections, retries and deadline.
///
/// Cheap to create (a reference to the client plus the credentials); make one per request or keep
/// one per store. Every method throws `OrderDeskError` (or `CancellationError`), and no error it
/// throws contains the API key.
public struct StoreAPI: Sendable {
    let client: OrderDeskClient
    let credentials: StoreCredentials
    /// Told when a call ends `rateLimited` with OrderDesk's requested wait, so the caller can hold
    /// off later calls to this store too (OrderDesk's limit is per store, not per call).
    var onRateLimited: (@Sendable (Duration) async -> Void)?

    /// The OrderDesk store id this handle acts for.
    public var storeID: String { credentials.storeID }

    /// Sends `request` and returns the response object; errors are redacted of the API key.
    func send(_ request: UpstreamRequest) async throws -> [String: JSONValue] {
        do {
            return try await client.send(request, as: credentials)
        } catch let error as OrderDeskError {
            if error.code == .rateLimited, let wait = error.retryAfter, let onRateLimited {
                await onRateLimited(wait)
            }
            throw error.redacting(credentials.apiKey)
        }
    }

    /// The object member `key` of a response, or `badResponse`.
    func member(_ key: String, of response: [String: JSONValue], about subject: String) throws -> [String: JSONValue] {
        guard let object = response[key]?.objectValue else {
            throw OrderDeskError(.badResponse, "OrderDesk's answer about \(subject) has no \(key) object.")
        }
        return object
    }

    /// The list member `key` of a response (array or PHP-style map), or `badResponse`.
    func list(_ key: String, of response: [String: JSONValue], about subject: String) throws -> [[String: JSONValue]] {
        guard let list = response[key]?.lenientList else {
            throw OrderDeskError(.badResponse, "OrderDesk's answer about \(subject) has no \(key) list.")
        }
        return try list.map { element in
            guard let object = element.lenientObject else {
                throw OrderDeskError(.badResponse, "OrderDesk's answer about \(subject) has a malformed \(key) entry.")
            }
            return object
        }
    }

    /// An integer member of a response (OrderDesk sends some as strings), or `badResponse`.
    func count(_ key: String, of response: [String: JSONValue], about subject: String) throws -> Int {
        guard let value = response[key]?.lenientInt, value >= 0 else {
            throw OrderDeskError(.badResponse, "OrderDesk's answer about \(subject) has no valid \(key).")
        }
        return Int(value)
    }

    /// Rejects ids that cannot be an OrderDesk id before anything is sent.
    static func requireID(_ id: String, _ what: String) throws {
        guard !id.isEmpty, id.count <= 64, id.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else {
            throw OrderDeskError.invalidRequest("\(what) must be a non-empty id.")
        }
        // "." and ".." survive percent-encoding and libcurl would normalise them away, turning
        // DELETE /orders/.. into DELETE on the API root.
        guard id != ".", id != ".." else {
            throw OrderDeskError.invalidRequest("\(what) must be a non-empty id.")
        }
    }
}
