import Foundation
import JSON

/// A tenant's registration of an OrderDesk store, as tools show it. Never holds the API key.
public struct RegisteredStore: Sendable, Hashable, Codable {
    /// Our id for the registration (`stores.id`).
    public let id: UUID
    /// OrderDesk's numeric store id.
    public let storeID: String
    public let name: String
    public let label: String?
    public let createdAt: Date

    public init(id: UUID, storeID: String, name: String, label: String?, createdAt: Date) {
        self.id = id
        self.storeID = storeID
        self.name = name
        self.label = label
        self.createdAt = createdAt
    }

    enum CodingKeys: String, CodingKey {
        case id
        case storeID = "store_id"
        case name
        case label
        case createdAt = "created_at"
    }

    /// `{"id", "store_id", "name", "label", "created_at"}` with the uuid lowercased and the time in
    /// ISO 8601, the shape tool results use.
    public var jsonValue: JSONValue {
        [
            "id": .string(id.uuidString.lowercased()), "store_id": .string(storeID), "name": .string(name),
            "label": label.map(JSONValue.string) ?? .null,
            "created_at": .string(createdAt.formatted(.iso8601)),
        ]
    }
}
