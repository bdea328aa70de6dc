import JSON

/// A scripted failure for matching API requests, queued with `POST /_sim/faults`.
///
/// Effects, in the order they apply: `delay_ms` waits first; `drop_connection` then closes the
/// connection without an answer; `conflict_on_put` answers PUTs with 409; `status` answers with
/// that status, `headers` and `body` instead of calling the API; `malformed_body` lets the API
/// answer and then cuts its JSON in half (keeping `status` if given). A fault with only
/// `delay_ms` just slows requests down.
struct Fault: Sendable {
    let id: Int
    /// Upper-cased method, or `*`.
    let method: String
    let path: PathPattern
    /// How many more requests this fault applies to; nil = unlimited (until `expiresAt`).
    var remaining: Int?
    let forSeconds: Double?
    var expiresAt: ContinuousClock.Instant?
    let status: Int?
    let headers: [String: String]
    let body: String?
    let delayMilliseconds: Int
    let dropConnection: Bool
    let malformedBody: Bool
    let conflictOnPut: Bool

    /// Parses the admin request; a 400 names the offending field.
    init(id: Int, json: [String: JSONValue], now: ContinuousClock.Instant) throws {
        self.id = id
        let method = json.text("method").uppercased()
        self.method = method.isEmpty ? "*" : method
        path = PathPattern(json.text("path"))
        let count = try json.optionalInteger("count")
        forSeconds = try json.optionalNumber("for_seconds")
        if let count, count < 1 { throw SimulatorError.badRequest("count must be at least 1.") }
        if let forSeconds, forSeconds <= 0 { throw SimulatorError.badRequest("for_seconds must be positive.") }
        // Neither given: the next one matching request.
        remaining = count.map(Int.init) ?? (forSeconds == nil ? 1 : nil)
        expiresAt = forSeconds.map { now.advanced(by: .milliseconds(Int64($0 * 1000))) }
        if let status = try json.optionalInteger("status") {
            guard (100...599).contains(status) else { throw SimulatorError.badRequest("status must be 100–599.") }
            self.status = Int(status)
        } else {
            self.status = nil
        }
        var headers: [String: String] = [:]
        for (name, value) in try json.map("headers") {
            guard let text = value.lenientString else { throw SimulatorError.badRequest("headers values must be strings.") }
            headers[name] = text
        }
        self.headers = headers
        if let body = json["body"], !body.isNull {
            // A JSON body given as an object/array is sent as its JSON text.
            self.body = body.stringValue ?? body.encodedString()
        } else {
            self.body = nil
        }
        delayMilliseconds = Int(try json.optionalInteger("delay_ms") ?? 0)
        guard delayMilliseconds >= 0, delayMilliseconds <= 600_000 else {
            throw SimulatorError.badRequest("delay_ms must be between 0 and 600000.")
        }
        dropConnection = json["drop_connection"]?.boolValue ?? false
        malformedBody = json["malformed_body"]?.boolValue ?? false
        conflictOnPut = json["conflict_on_put"]?.boolValue ?? false
    }

    func applies(toMethod requestMethod: String, path requestPath: String) -> Bool {
        if conflictOnPut && requestMethod != "PUT" { return false }
        return (method == "*" || method == requestMethod) && path.matches(requestPath)
    }

    /// A short name for the request log.
    var kind: String {
        if dropConnection { return "drop_connection" }
        if conflictOnPut { return "conflict_on_put" }
        if malformedBody { return "malformed_body" }
        if let status { return "status_\(status)" }
        return "delay"
    }

    func json() -> JSONValue {
        var object: [String: JSONValue] = [
            "id": .int(Int64(id)), "method": .string(method), "path": .string(path.text), "kind": .string(kind),
            "delay_ms": .int(Int64(delayMilliseconds)), "drop_connection": .bool(dropConnection),
            "malformed_body": .bool(malformedBody), "conflict_on_put": .bool(conflictOnPut),
            "headers": .object(headers.mapValues(JSONValue.string)),
        ]
        object["remaining"] = remaining.map { .int(Int64($0)) } ?? .null
        object["for_seconds"] = forSeconds.map(JSONValue.double) ?? .null
        object["status"] = status.map { .int(Int64($0)) } ?? .null
        object["body"] = body.map(JSONValue.string) ?? .null
        return .object(object)
    }
}
