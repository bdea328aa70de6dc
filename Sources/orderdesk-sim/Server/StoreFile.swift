import Foundation
import JSON

/// Reads the stores to simulate from `--stores FILE` and `--store ID:KEY`.
enum StoreFile {
    /// Used when no store is configured, so `orderdesk-sim` alone gives a working demo upstream.
    static func defaultStores(orders: Int) -> [StoreConfiguration] {
        [
            StoreConfiguration(id: "10001", apiKey: "odsim-demo-key-10001", name: "Acme Outfitters", orders: orders),
            StoreConfiguration(id: "10002", apiKey: "odsim-demo-key-10002", name: "Blue Harbor Supply", orders: orders),
        ]
    }

    /// `[{"store_id":"…","api_key":"…","name":"…","orders":N,"timezone":"…"}]`; `name`, `orders`
    /// and `timezone` are optional.
    static func load(path: String, defaultOrders: Int) throws -> [StoreConfiguration] {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw StoreFileError("cannot read \(path): \(error.localizedDescription)")
        }
        guard let entries = (try? JSONValue(parsing: data))?.arrayValue else {
            throw StoreFileError("\(path) must hold a JSON array of stores")
        }
        return try entries.enumerated().map { index, entry in
            guard let object = entry.objectValue else { throw StoreFileError("store #\(index + 1) is not an object") }
            let id = object.text("store_id"), key = object.text("api_key")
            guard !id.isEmpty, !key.isEmpty else {
                throw StoreFileError("store #\(index + 1) needs store_id and api_key")
            }
            let name = object.text("name")
            var store = StoreConfiguration(
                id: id, apiKey: key, name: name.isEmpty ? "Sim Store \(id)" : name,
                orders: Int(object["orders"]?.lenientInt ?? Int64(defaultOrders)))
            let timezone = object.text("timezone")
            if !timezone.isEmpty { store.timezone = timezone }
            guard store.orders >= 0 else { throw StoreFileError("store \(id): orders must not be negative") }
            return store
        }
    }

    /// `ID:KEY` (the key is everything after the first colon).
    static func parse(option: String, defaultOrders: Int) throws -> StoreConfiguration {
        let parts = option.split(separator: ":", maxSplits: 1)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw StoreFileError("--store expects ID:KEY, got \(option.isEmpty ? "nothing" : "a value without a colon")")
        }
        let id = String(parts[0])
        return StoreConfiguration(id: id, apiKey: String(parts[1]), name: "Sim Store \(id)", orders: defaultOrders)
    }
}

struct StoreFileError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
