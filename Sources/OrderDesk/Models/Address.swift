import JSON

/// A shipping, customer or return address. `customer` has no `address3`/`address4`.
public struct Address: Sendable, Hashable, LenientFields {
    public let fields: [String: JSONValue]

    public init(fields: [String: JSONValue]) { self.fields = fields }

    public var firstName: String? { string("first_name") }
    public var lastName: String? { string("last_name") }
    public var company: String? { string("company") }
    public var address1: String? { string("address1") }
    public var address2: String? { string("address2") }
    public var address3: String? { string("address3") }
    public var address4: String? { string("address4") }
    public var city: String? { string("city") }
    public var state: String? { string("state") }
    public var postalCode: String? { string("postal_code") }
    /// A country code or full name, as the cart sent it.
    public var country: String? { string("country") }
    public var phone: String? { string("phone") }
}
