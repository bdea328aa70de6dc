import Foundation
import JSON
import Synchronization

/// Every API request the simulator answered (admin requests excluded), for tests to count calls
/// and retries. API keys are never recorded: only the store id header is kept, and any configured
/// key found in a query string is masked.
final class RequestLog: Sendable {
    /// Oldest entries are dropped beyond this, so a long-running demo cannot grow without bound.
    static let capacity = 10_000

    struct Entry: Sendable {
        let method: String
        let path: String
        let query: String
        let storeID: String?
        /// 0 when the connection was dropped without an answer.
        let status: Int
        let fault: String?
        let atMilliseconds: Int64
        let durationMilliseconds: Int

        func json() -> JSONValue {
            [
                "method": .string(method), "path": .string(path), "query": .string(query),
                "store_id": storeID.map(JSONValue.string) ?? .null, "status": .int(Int64(status)),
                "fault": fault.map(JSONValue.string) ?? .null,
                "at": .string(Timestamp.iso8601(fromUnixMilliseconds: atMilliseconds)),
                "duration_ms": .int(Int64(durationMilliseconds)),
            ]
        }
    }

    private let entries = Mutex<[Entry]>([])
    private let secrets: [String]

    /// - Parameter secrets: the configured API keys, masked wherever they would appear.
    init(secrets: [String]) { self.secrets = secrets.filter { !$0.isEmpty } }

    func record(_ entry: Entry) {
        entries.withLock { entries in
            entries.append(entry)
            if entries.count > Self.capacity { entries.removeFirst(entries.count - Self.capacity) }
        }
    }

    var all: [Entry] { entries.withLock { $0 } }

    func clear() { entries.withLock { $0.removeAll() } }

    /// `text` with every configured key masked. A key longer than the text cannot be in it: with
    /// thousands of stores configured, skipping those keeps a request from costing milliseconds.
    func redact(_ text: String) -> String {
        let length = text.utf8.count
        return secrets.reduce(text) { text, secret in
            secret.utf8.count > length ? text : text.replacingOccurrences(of: secret, with: "[REDACTED]")
        }
    }
}
