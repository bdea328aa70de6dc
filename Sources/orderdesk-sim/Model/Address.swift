import JSON

/// A postal address on an order (`shipping` and `customer`). OrderDesk returns `address3`/`address4`
/// only on the shipping address.
struct Address: Sendable, Equatable {
    var firstName = ""
    var lastName = ""
    var company = ""
    var address1 = ""
    var address2 = ""
    var address3 = ""
    var address4 = ""
    var city = ""
    var state = ""
    var postalCode = ""
    var country = ""
    var phone = ""

    /// JSON key and storage of every field; computed (not stored) so it needs no Sendable key paths.
    static var fields: [(key: String, path: WritableKeyPath<Address, String>)] {
        [
            ("first_name", \.firstName), ("last_name", \.lastName), ("company", \.company),
            ("address1", \.address1), ("address2", \.address2), ("address3", \.address3),
            ("address4", \.address4), ("city", \.city), ("state", \.state),
            ("postal_code", \.postalCode), ("country", \.country), ("phone", \.phone),
        ]
    }

    var isBlank: Bool { Self.fields.allSatisfy { self[keyPath: $0.path].isEmpty } }

    /// "A first and last name combination or a company name must be entered to be a valid order."
    var hasNameOrCompany: Bool { !firstName.isEmpty || !lastName.isEmpty || !company.isEmpty }

    /// Reads the nested object (`"shipping": {…}`) and then the flat form OrderDesk also accepts
    /// (`"shipping_first_name": …`), the flat form winning where both are given.
    init(from body: [String: JSONValue], key: String) throws {
        let nested = try body.map(key)
        for field in Self.fields {
            self[keyPath: field.path] = nested.text(field.key)
            let flatKey = "\(key)_\(field.key)"
            if body.has(flatKey) { self[keyPath: field.path] = body.text(flatKey) }
        }
    }

    init() {}

    func json(includeExtraLines: Bool) -> JSONValue {
        var object: [String: JSONValue] = [:]
        for field in Self.fields where includeExtraLines || (field.key != "address3" && field.key != "address4") {
            object[field.key] = .string(self[keyPath: field.path])
        }
        return .object(object)
    }
}

/// The sender's address printed on labels (`return_address`).
struct ReturnAddress: Sendable, Equatable {
    var title = ""
    var name = ""
    var company = ""
    var address1 = ""
    var address2 = ""
    var city = ""
    var state = ""
    var postalCode = ""
    var country = ""
    var phone = ""

    static var fields: [(key: String, path: WritableKeyPath<ReturnAddress, String>)] {
        [
            ("title", \.title), ("name", \.name), ("company", \.company), ("address1", \.address1),
            ("address2", \.address2), ("city", \.city), ("state", \.state), ("postal_code", \.postalCode),
            ("country", \.country), ("phone", \.phone),
        ]
    }

    init() {}

    init(from body: [String: JSONValue]) throws {
        let nested = try body.map("return_address")
        for field in Self.fields { self[keyPath: field.path] = nested.text(field.key) }
    }

    func json() -> JSONValue {
        .object(Dictionary(uniqueKeysWithValues: Self.fields.map { ($0.key, JSONValue.string(self[keyPath: $0.path])) }))
    }
}
