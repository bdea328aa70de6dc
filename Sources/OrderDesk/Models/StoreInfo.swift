import JSON

/// The store's name, settings and folders (`GET /store`).
public struct StoreInfo: Sendable, Hashable {
    public let id: String?
    public let name: String?
    /// Folder id → folder name. Every order lives in exactly one folder.
    public let folders: [Int64: String]
    /// The store's settings with secrets removed: OrderDesk's answer echoes the API key and the SMTP
    /// credentials, and those must never reach a log, a cache or an MCP client.
    public let settings: [String: JSONValue]

    /// Settings whose names say they hold a secret.
    static func isSecretSetting(_ name: String) -> Bool {
        let name = name.lowercased()
        return ["api_key", "apikey", "password", "secret", "token", "smtp_username"].contains { name.contains($0) }
    }

    init(store: [String: JSONValue]) {
        id = store["id"]?.lenientString
        name = store["name"]?.lenientString
        settings = (store["settings"]?.lenientObject ?? [:]).filter { !Self.isSecretSetting($0.key) }
        var folders: [Int64: String] = [:]
        if let map = store["folders"]?.lenientObject {
            // The documented shape: {"21654": "New", …}.
            for (key, value) in map {
                if let id = Int64(key), let name = value.lenientString { folders[id] = name }
            }
        } else {
            // Tolerate a list of {"id": …, "name": …} objects.
            for folder in store["folders"]?.lenientList ?? [] {
                if let id = folder["id"]?.lenientInt, let name = folder["name"]?.lenientString { folders[id] = name }
            }
        }
        self.folders = folders
    }

    /// The id of the folder called `name` (exact match first, then case-insensitive).
    public func folderID(named name: String) -> Int64? {
        if let exact = folders.first(where: { $0.value == name }) { return exact.key }
        return folders.first { $0.value.lowercased() == name.lowercased() }?.key
    }
}
