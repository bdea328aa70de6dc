/// The OrderDesk store id and API key that authenticate one store's requests.
///
/// The key never appears in `description`, `debugDescription` or a reflection `dump`: it is sent only
/// in the `ORDERDESK-API-KEY` header.
public struct StoreCredentials: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    public let storeID: String
    public let apiKey: String

    public init(storeID: String, apiKey: String) {
        self.storeID = storeID
        self.apiKey = apiKey
    }

    public var description: String { "OrderDesk store \(storeID)" }
    public var debugDescription: String { "StoreCredentials(storeID: \(storeID), apiKey: [redacted])" }
    public var customMirror: Mirror { Mirror(self, children: ["storeID": storeID, "apiKey": "[redacted]"]) }

    /// Header values cannot carry line breaks or NUL bytes (that would let a value inject headers).
    var headerSafe: Bool {
        !storeID.isEmpty && !apiKey.isEmpty
            && !(storeID + apiKey).unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F }
    }
}
