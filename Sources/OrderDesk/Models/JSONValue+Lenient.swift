import JSON

extension JSONValue {
    /// A list, accepting the shapes PHP produces for one: an array, an object keyed by position
    /// (`{"0": …, "1": …}`, ordered by key), or `""`/`null` for "none". Nil for anything else.
    var lenientList: [JSONValue]? {
        switch self {
        case .array(let elements):
            return elements
        case .object(let members):
            return members.sorted { lhs, rhs in
                switch (Int(lhs.key), Int(rhs.key)) {
                case (let l?, let r?): return l < r
                default: return lhs.key < rhs.key
                }
            }.map(\.value)
        case .null:
            return []
        case .string(let text) where text.isEmpty:
            return []
        default:
            return nil
        }
    }

    /// A boolean, accepting `1`/`0` and `"true"`/`"1"` as PHP sends them.
    var lenientBool: Bool? {
        switch self {
        case .bool(let flag): return flag
        case .int(let number): return number != 0
        case .string(let text):
            switch text.lowercased() {
            case "1", "true", "yes": return true
            case "0", "false", "no", "": return false
            default: return nil
            }
        default: return nil
        }
    }
}

/// Typed, lenient reads of a JSON object's members, shared by the model wrappers.
protocol LenientFields {
    var fields: [String: JSONValue] { get }
}

extension LenientFields {
    func string(_ key: String) -> String? { fields[key]?.lenientString }
    func integer(_ key: String) -> Int64? { fields[key]?.lenientInt }
    func number(_ key: String) -> Double? { fields[key]?.lenientDouble }
    func map(_ key: String) -> [String: JSONValue] { fields[key]?.lenientObject ?? [:] }
    func objects(_ key: String) -> [[String: JSONValue]] {
        (fields[key]?.lenientList ?? []).compactMap(\.objectValue)
    }
}
