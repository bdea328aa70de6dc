import Foundation
import JSON

/// The `GET /orders` search: filters, ordering and paging, as listed in the reference (§2.1).
///
/// Choices where OrderDesk's behaviour is not documented: `email`, `customer_id`, `source_id`,
/// `source_name` and `folder_name` match exactly but case-insensitively; the name, company,
/// address and phone filters match a case-insensitive substring; a `limit` above 500 is capped
/// at 500 and the envelope reports the limit applied; an unparsable date is a 400.
struct OrderQuery {
    static let defaultLimit = 50
    static let maximumLimit = 500

    let limit: Int
    let offset: Int
    let orderBy: String
    let descending: Bool
    let includeHistory: Bool

    private let folderIDs: Set<Int64>?
    private let exactFilters: [(value: String, field: (Order) -> String)]
    private let substringFilters: [(value: String, field: (Order) -> String)]
    private let addedWindow: DateWindow?
    private let modifiedWindow: DateWindow?

    init(parameters: [String: String], profile: StoreProfile) throws {
        let requestedLimit = parameters["limit"].flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        limit = requestedLimit.map { $0 > 0 ? min($0, Self.maximumLimit) : Self.defaultLimit } ?? Self.defaultLimit
        offset = max(0, parameters["offset"].flatMap { Int($0.trimmingCharacters(in: .whitespaces)) } ?? 0)
        let requestedOrderBy = parameters["order_by"]?.trimmingCharacters(in: .whitespaces) ?? ""
        orderBy = requestedOrderBy.isEmpty ? "date_added" : requestedOrderBy
        descending = parameters["order"]?.uppercased() != "ASC"
        includeHistory = ["1", "true", "yes"].contains(parameters["get_order_history"]?.lowercased() ?? "")

        var folders: Set<Int64>?
        if let list = parameters["folder_id"], !list.isEmpty {
            folders = Set(list.split(separator: ",").compactMap { Int64($0.trimmingCharacters(in: .whitespaces)) })
        }
        if let name = parameters["folder_name"], !name.isEmpty {
            let named: Set<Int64> = profile.folder(named: name).map { [$0.id] } ?? []
            folders = folders.map { $0.intersection(named) } ?? named
        }
        folderIDs = folders

        let exact: [(String, (Order) -> String)] = [
            ("email", \.email), ("customer_id", \.customerID), ("source_id", \.sourceID),
            ("source_name", \.sourceName),
        ]
        exactFilters = exact.compactMap { name, field in
            guard let value = parameters[name], !value.isEmpty else { return nil }
            return (value, field)
        }
        var substring: [(String, (Order) -> String)] = []
        for (prefix, address) in [("customer", \Order.customer), ("shipping", \Order.shipping)] {
            let fields: [(String, (Address) -> String)] = [
                ("first_name", \.firstName), ("last_name", \.lastName), ("company", \.company),
                ("address1", \.address1), ("phone", \.phone),
            ]
            for (name, field) in fields {
                if let value = parameters["\(prefix)_\(name)"], !value.isEmpty {
                    substring.append((value, { field($0[keyPath: address]) }))
                }
            }
        }
        substringFilters = substring

        let timeZone = TimeZone(identifier: profile.timezone) ?? .gmt
        addedWindow =
            try Self.window(
                parameters, start: "search_start_date", end: "search_end_date", timeZone: nil)
            ?? Self.window(
                parameters, start: "search_start_date_local", end: "search_end_date_local", timeZone: timeZone)
        modifiedWindow = try Self.window(
            parameters, start: "modified_start_date", end: "modified_end_date", timeZone: nil)
    }

    func matches(_ order: Order) -> Bool {
        if let folderIDs, !folderIDs.contains(order.folderID) { return false }
        for filter in exactFilters where filter.field(order).caseInsensitiveCompare(filter.value) != .orderedSame {
            return false
        }
        for filter in substringFilters where filter.field(order).range(of: filter.value, options: .caseInsensitive) == nil {
            return false
        }
        if let addedWindow, !addedWindow.contains(Timestamp.unix(from: order.dateAdded) ?? 0) { return false }
        if let modifiedWindow, !modifiedWindow.contains(Timestamp.unix(from: order.dateUpdated) ?? 0) { return false }
        return true
    }

    /// Sorts rendered orders by `order_by`, which may name any order field, including the flat
    /// address names (`shipping_last_name`). Numbers (also numeric strings such as ids) compare
    /// numerically; ties fall back to the order id so pages are stable.
    func sort(_ orders: [JSONValue]) -> [JSONValue] {
        let keyed = orders.map { (key: sortKey(of: $0, field: orderBy), id: $0["id"]?.lenientInt ?? 0, order: $0) }
        return keyed.sorted { left, right in
            let comparison = Self.compare(left.key, right.key)
            if comparison != .orderedSame {
                return descending ? comparison == .orderedDescending : comparison == .orderedAscending
            }
            return descending ? left.id > right.id : left.id < right.id
        }.map(\.order)
    }

    private func sortKey(of order: JSONValue, field: String) -> JSONValue {
        if let value = order[field] { return value }
        for prefix in ["customer_", "shipping_"] where field.hasPrefix(prefix) {
            let nested = order[String(prefix.dropLast())]
            if let value = nested?[String(field.dropFirst(prefix.count))] { return value }
        }
        return order["date_added"] ?? .null
    }

    private static func compare(_ left: JSONValue, _ right: JSONValue) -> ComparisonResult {
        let leftNumber = isNumeric(left) ? left.lenientDouble : nil
        let rightNumber = isNumeric(right) ? right.lenientDouble : nil
        if let leftNumber, let rightNumber {
            return leftNumber < rightNumber ? .orderedAscending : leftNumber > rightNumber ? .orderedDescending : .orderedSame
        }
        return (left.lenientString ?? "").localizedStandardCompare(right.lenientString ?? "")
    }

    private static func isNumeric(_ value: JSONValue) -> Bool {
        switch value {
        case .int, .double: return true
        case .string(let text): return !text.isEmpty && Double(text) != nil && !text.contains("-")
        default: return false
        }
    }

    /// A closed date window from a pair of parameters; either end may be open.
    private static func window(
        _ parameters: [String: String], start: String, end: String, timeZone: TimeZone?
    ) throws -> DateWindow? {
        func bound(_ name: String, endOfDay: Bool) throws -> Int64? {
            guard let text = parameters[name], !text.isEmpty else { return nil }
            guard let seconds = Timestamp.unix(from: text, endOfDay: endOfDay) else {
                throw SimulatorError.badRequest("\(name) must be YYYY-MM-DD or YYYY-MM-DD HH:MM:SS.")
            }
            return timeZone.map { Timestamp.utc(fromLocal: seconds, in: $0) } ?? seconds
        }
        let lower = try bound(start, endOfDay: false)
        let upper = try bound(end, endOfDay: true)
        guard lower != nil || upper != nil else { return nil }
        return DateWindow(lower: lower ?? .min, upper: upper ?? .max)
    }
}

/// Inclusive bounds in Unix seconds; a window whose start is after its end matches nothing.
private struct DateWindow {
    let lower: Int64
    let upper: Int64

    func contains(_ seconds: Int64) -> Bool { lower <= seconds && seconds <= upper }
}
