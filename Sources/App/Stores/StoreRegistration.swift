import Foundation

/// The validated input of `StoreRegistry.register`: the same rules the `stores` table checks, caught
/// early with messages that say what to fix (and never quote the API key).
public struct StoreRegistration: Sendable {
    let storeID: String
    let apiKey: String
    let name: String
    let label: String?

    init(storeID: String, apiKey: String, name: String?, label: String?) throws {
        let storeID = storeID.trimmingCharacters(in: .whitespacesAndNewlines)
        guard Self.isOrderDeskStoreID(storeID) else {
            throw StoreError(.validation, "store_id must be OrderDesk's numeric store id: 1 to 20 digits.")
        }
        let apiKey = apiKey.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !apiKey.isEmpty else {
            throw StoreError(.validation, "api_key is empty. Copy the API key from OrderDesk (Store Settings → API).")
        }
        guard apiKey.unicodeScalars.count <= 200 else {
            throw StoreError(.validation, "api_key is longer than 200 characters; an OrderDesk API key is much shorter.")
        }
        guard !apiKey.unicodeScalars.contains(where: Self.isSpaceOrControl) else {
            throw StoreError(.validation, "api_key contains spaces or control characters. Copy it again from OrderDesk.")
        }
        let name =
            (name?.trimmingCharacters(in: .whitespacesAndNewlines)).flatMap { $0.isEmpty ? nil : $0 }
            ?? "Store \(storeID)"
        guard name.unicodeScalars.count <= 100 else {
            throw StoreError(.validation, "name must be 1 to 100 characters.")
        }
        guard !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw StoreError(.validation, "name must not contain line breaks or control characters.")
        }
        // Identifiers resolve by uuid, then store id, then name: a name shaped like an id could
        // silently pick another store.
        guard !name.utf8.allSatisfy({ (0x30...0x39).contains($0) }), UUID(uuidString: name) == nil else {
            throw StoreError(.validation, "name must not look like a store id or a uuid; add a word, e.g. \"Store \(name)\".")
        }
        let label = (label?.trimmingCharacters(in: .whitespacesAndNewlines)).flatMap { $0.isEmpty ? nil : $0 }
        if let label, label.unicodeScalars.count > 200 {
            throw StoreError(.validation, "label must be at most 200 characters.")
        }
        self.storeID = storeID
        self.apiKey = apiKey
        self.name = name
        self.label = label
    }

    private static func isSpaceOrControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.isWhitespace || scalar.properties.generalCategory == .control
    }

    /// OrderDesk's numeric store id: 1 to 20 ASCII digits (the `stores.store_id` CHECK).
    public static func isOrderDeskStoreID(_ text: String) -> Bool {
        (1...20).contains(text.utf8.count) && text.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }
}
