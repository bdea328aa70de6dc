/// Filters, ordering and paging of an order search (`GET /orders`). Every property left nil is not
/// sent, so OrderDesk's defaults apply (newest first by `date_added`, 50 per page).
///
/// Dates are `YYYY-MM-DD` or `YYYY-MM-DD HH:MM:SS`; the plain ones are UTC, the `…Local` ones in the
/// store's time zone. OrderDesk asks clients to bound searches with a date range.
public struct OrderQuery: Sendable, Hashable {
    public enum SortOrder: String, Sendable, Hashable {
        case ascending = "ASC"
        case descending = "DESC"
    }

    /// Orders in any of these folders.
    public var folderIDs: [Int64]?
    /// Orders in the folder with exactly this name (instead of `folderIDs`).
    public var folderName: String?
    /// The cart's or marketplace's order id.
    public var sourceID: String?
    public var sourceName: String?
    public var searchStartDate: String?
    public var searchEndDate: String?
    public var searchStartDateLocal: String?
    public var searchEndDateLocal: String?
    public var modifiedStartDate: String?
    public var modifiedEndDate: String?
    public var email: String?
    public var customerID: String?
    public var customerFirstName: String?
    public var customerLastName: String?
    public var customerCompany: String?
    public var customerAddress1: String?
    public var customerPhone: String?
    public var shippingFirstName: String?
    public var shippingLastName: String?
    public var shippingCompany: String?
    public var shippingAddress1: String?
    public var shippingPhone: String?
    /// Adds `order_history` to every order (slow on OrderDesk's side).
    public var includeHistory: Bool
    /// Any order field; OrderDesk's default is `date_added`.
    public var orderBy: String?
    public var order: SortOrder?
    /// 1…500; OrderDesk's default is 50.
    public var limit: Int?
    /// Orders to skip.
    public var offset: Int?

    public init(
        folderIDs: [Int64]? = nil, folderName: String? = nil, sourceID: String? = nil, sourceName: String? = nil,
        searchStartDate: String? = nil, searchEndDate: String? = nil, searchStartDateLocal: String? = nil,
        searchEndDateLocal: String? = nil, modifiedStartDate: String? = nil, modifiedEndDate: String? = nil,
        email: String? = nil, customerID: String? = nil, customerFirstName: String? = nil,
        customerLastName: String? = nil, customerCompany: String? = nil, customerAddress1: String? = nil,
        customerPhone: String? = nil, shippingFirstName: String? = nil, shippingLastName: String? = nil,
        shippingCompany: String? = nil, shippingAddress1: String? = nil, shippingPhone: String? = nil,
        includeHistory: Bool = false, orderBy: String? = nil, order: SortOrder? = nil, limit: Int? = nil,
        offset: Int? = nil
    ) {
        self.folderIDs = folderIDs
        self.folderName = folderName
        self.sourceID = sourceID
        self.sourceName = sourceName
        self.searchStartDate = searchStartDate
        self.searchEndDate = searchEndDate
        self.searchStartDateLocal = searchStartDateLocal
        self.searchEndDateLocal = searchEndDateLocal
        self.modifiedStartDate = modifiedStartDate
        self.modifiedEndDate = modifiedEndDate
        self.email = email
        self.customerID = customerID
        self.customerFirstName = customerFirstName
        self.customerLastName = customerLastName
        self.customerCompany = customerCompany
        self.customerAddress1 = customerAddress1
        self.customerPhone = customerPhone
        self.shippingFirstName = shippingFirstName
        self.shippingLastName = shippingLastName
        self.shippingCompany = shippingCompany
        self.shippingAddress1 = shippingAddress1
        self.shippingPhone = shippingPhone
        self.includeHistory = includeHistory
        self.orderBy = orderBy
        self.order = order
        self.limit = limit
        self.offset = offset
    }

    /// OrderDesk's maximum page size.
    public static let maximumLimit = 500

    /// The query string parameters, in a fixed order. Throws `validation` for values OrderDesk
    /// would reject or misread, before anything is sent.
    func queryItems() throws -> [UpstreamRequest.QueryItem] {
        if let limit, !(1...Self.maximumLimit).contains(limit) {
            throw OrderDeskError.invalidRequest("limit must be between 1 and \(Self.maximumLimit).")
        }
        if let offset, offset < 0 { throw OrderDeskError.invalidRequest("offset must not be negative.") }
        if let orderBy, orderBy.isEmpty || !orderBy.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) {
            throw OrderDeskError.invalidRequest("order_by must be an order field name such as date_added.")
        }
        if folderIDs != nil && folderName != nil {
            throw OrderDeskError.invalidRequest("Filter by folder id or by folder name, not both.")
        }
        let dates: [(String, String?)] = [
            ("search_start_date", searchStartDate), ("search_end_date", searchEndDate),
            ("search_start_date_local", searchStartDateLocal), ("search_end_date_local", searchEndDateLocal),
            ("modified_start_date", modifiedStartDate), ("modified_end_date", modifiedEndDate),
        ]
        for (name, value) in dates {
            if let value, !OrderDeskDate.isValid(value) {
                throw OrderDeskError.invalidRequest(
                    "\(name) must look like \(OrderDeskDate.example.prefix(10)) or \(OrderDeskDate.example) (YYYY-MM-DD or YYYY-MM-DD HH:MM:SS), with real calendar values."
                )
            }
        }
        var pairs: [(String, String?)] = [
            ("folder_id", folderIDs.map { $0.map(String.init).joined(separator: ",") }),
            ("folder_name", folderName), ("source_id", sourceID), ("source_name", sourceName),
        ]
        pairs += dates
        pairs += [
            ("email", email), ("customer_id", customerID), ("customer_first_name", customerFirstName),
            ("customer_last_name", customerLastName), ("customer_company", customerCompany),
            ("customer_address1", customerAddress1), ("customer_phone", customerPhone),
            ("shipping_first_name", shippingFirstName), ("shipping_last_name", shippingLastName),
            ("shipping_company", shippingCompany), ("shipping_address1", shippingAddress1),
            ("shipping_phone", shippingPhone), ("get_order_history", includeHistory ? "1" : nil),
            ("order_by", orderBy), ("order", order?.rawValue), ("limit", limit.map(String.init)),
            ("offset", offset.map(String.init)),
        ]
        return pairs.compactMap { name, value in value.map { UpstreamRequest.QueryItem(name: name, value: $0) } }
    }
}
