/// A folder orders live in. OrderDesk has no API to create or rename folders.
struct Folder: Sendable, Equatable {
    let id: Int64
    let name: String
}

/// What is fixed about a simulated store: its credentials, settings and folders.
struct StoreProfile: Sendable {
    let id: String
    let apiKey: String
    let name: String
    /// The store's "local time" zone, used by the `*_local` date filters.
    let timezone: String
    /// Always non-empty; the first folder is where new orders go.
    let folders: [Folder]

    func folder(id: Int64) -> Folder? { folders.first { $0.id == id } }

    /// The `folder_name` filter of `GET /orders`: lenient about case.
    func folder(named name: String) -> Folder? {
        folders.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }
    }

    /// `destination_folder_name` of `/move-orders`: OrderDesk documents an exact match, so a name that
    /// differs only in case is not found (reference §2.7).
    func folder(exactlyNamed name: String) -> Folder? { folders.first { $0.name == name } }
}

/// A store as given on the command line or in the `--stores` file.
struct StoreConfiguration: Sendable, Equatable {
    var id: String
    var apiKey: String
    var name: String
    /// How many orders to seed.
    var orders: Int
    var timezone: String = "America/Los_Angeles"
}
