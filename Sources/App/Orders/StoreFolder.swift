import JSON

/// One folder of an OrderDesk store. Every order lives in exactly one folder; folders are made and
/// renamed only in OrderDesk's web app (the API has no call for it).
public struct StoreFolder: Sendable, Hashable {
    public let id: Int64
    public let name: String

    public init(id: Int64, name: String) {
        self.id = id
        self.name = name
    }

    public var json: JSONValue { ["id": .int(id), "name": .string(name)] }

    /// The folders of a cached or fetched list (`[{"id", "name"}]`, sorted by id); malformed entries
    /// are skipped.
    static func list(from json: JSONValue) -> [StoreFolder] {
        (json.arrayValue ?? []).compactMap { entry in
            guard let id = entry["id"]?.lenientInt, let name = entry["name"]?.lenientString else { return nil }
            return StoreFolder(id: id, name: name)
        }
    }
}

/// Which folder a move goes to, as the caller named it.
public enum FolderChoice: Sendable, Hashable {
    case id(Int64)
    /// The exact name: OrderDesk matches folder names case-sensitively.
    case name(String)
}
