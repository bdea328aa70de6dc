import JSON

/// The deep merge underneath `OrderMerge`: objects merge member by member, `null` removes a member,
/// anything else (strings, numbers, arrays) replaces the old value.
enum JSONMerge {
    /// `change` applied to `current`; nil means "remove the member".
    static func merge(_ current: JSONValue?, _ change: JSONValue) -> JSONValue? {
        switch change {
        case .null:
            return nil
        case .object(let changes):
            // PHP's `[]` for an empty map counts as an object; a scalar is replaced by the new object.
            var merged = current?.lenientObject ?? [:]
            for (key, value) in changes {
                merged[key] = merge(merged[key], value)
            }
            return .object(merged)
        default:
            return change
        }
    }

    /// `value` with every `null` member removed (a `null` in something new means "absent").
    static func withoutNulls(_ value: JSONValue) -> JSONValue? {
        merge(nil, value)
    }

    /// Equal as OrderDesk would see them: `"12"` equals `12`, `"21.5"` equals `21.5`.
    static func sameValue(_ lhs: JSONValue, _ rhs: JSONValue) -> Bool {
        if lhs == rhs { return true }
        switch (lhs, rhs) {
        case (.array, _), (_, .array), (.object, _), (_, .object):
            return lhs.lenientObject == [:] && rhs.lenientObject == [:]
        default:
            if let l = lhs.lenientDouble, let r = rhs.lenientDouble { return l == r }
            return lhs.lenientString != nil && lhs.lenientString == rhs.lenientString
        }
    }
}
