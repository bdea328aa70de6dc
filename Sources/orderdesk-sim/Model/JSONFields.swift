import JSON

/// Lenient readers for request bodies. OrderDesk clients send numbers as strings, ids as numbers
/// and `[]` for empty maps; an omitted or `null` field reads as blank, which is what gives PUT its
/// "anything left out becomes blank" semantics.
extension Dictionary where Key == String, Value == JSONValue {
    /// A string field; numbers are accepted and converted, anything else is blank.
    func text(_ key: String) -> String {
        guard let value = self[key] else { return "" }
        if case .bool(let flag) = value { return flag ? "1" : "0" }
        return value.lenientString ?? ""
    }

    /// True when the key is present and not `null`.
    func has(_ key: String) -> Bool {
        guard let value = self[key] else { return false }
        return !value.isNull
    }

    /// A number field; blank when omitted, `null` or `""`, a 400 when it is not a number.
    func number(_ key: String) throws -> Double {
        try optionalNumber(key) ?? 0
    }

    func optionalNumber(_ key: String) throws -> Double? {
        guard let value = self[key], !value.isNull, value != "" else { return nil }
        guard let number = value.lenientDouble, number.isFinite else {
            throw SimulatorError.badRequest("\(key) must be a number.")
        }
        return number
    }

    func optionalInteger(_ key: String) throws -> Int64? {
        guard let value = self[key], !value.isNull, value != "" else { return nil }
        guard let number = value.lenientInt else { throw SimulatorError.badRequest("\(key) must be a whole number.") }
        return number
    }

    /// A key/value map field; PHP's `[]` reads as an empty map.
    func map(_ key: String) throws -> [String: JSONValue] {
        guard let value = self[key], !value.isNull else { return [:] }
        guard let members = value.lenientObject else { throw SimulatorError.badRequest("\(key) must be an object.") }
        return members
    }

    /// A list of objects.
    func objects(_ key: String) throws -> [[String: JSONValue]] {
        guard let value = self[key], !value.isNull else { return [] }
        guard let elements = value.arrayValue else { throw SimulatorError.badRequest("\(key) must be an array.") }
        return try elements.map { element in
            guard let members = element.objectValue else {
                throw SimulatorError.badRequest("Each entry of \(key) must be an object.")
            }
            return members
        }
    }
}

extension JSONValue {
    /// A map as PHP's `json_encode` writes it: `[]` when empty, an object otherwise.
    static func phpMap(_ members: [String: JSONValue]) -> JSONValue {
        members.isEmpty ? .array([]) : .object(members)
    }

    /// A money amount rounded to cents, as a JSON number.
    static func money(_ amount: Double) -> JSONValue { .double(Money.round(amount)) }
}

/// Money arithmetic helpers: amounts are doubles rounded to cents after every computation, so
/// rendered totals never show binary noise like `51.010000000000005`.
enum Money {
    static func round(_ amount: Double, places: Int = 2) -> Double {
        let scale = places == 2 ? 100.0 : 10_000.0
        return (amount * scale).rounded() / scale
    }

    /// The way PHP prints a number that is stored as a string: `"10"`, `"5.5"`.
    static func phpText(_ amount: Double) -> String {
        let rounded = round(amount, places: 4)
        if rounded == rounded.rounded(), abs(rounded) < 1e15 { return String(Int64(rounded)) }
        return String(describing: rounded)
    }

    /// Two decimals, as OrderDesk writes discount amounts (`"1.70"`).
    static func fixed(_ amount: Double) -> String {
        let cents = Int64((amount * 100).rounded())
        let sign = cents < 0 ? "-" : ""
        let magnitude = abs(cents)
        let fraction = magnitude % 100
        return "\(sign)\(magnitude / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }
}
