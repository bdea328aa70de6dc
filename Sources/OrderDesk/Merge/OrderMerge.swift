import JSON

/// Applies an agent's `changes` to a full order, producing the complete order to PUT back.
///
/// OrderDesk has no PATCH: a PUT replaces the whole order and blanks whatever it leaves out. So an
/// update is fetch → merge → PUT, and this merge must keep everything nobody touched. Rules:
///
/// - Objects merge recursively: `{"shipping": {"city": "Austin"}}` changes the city and keeps the
///   rest of the address. An empty object `{}` changes nothing.
/// - `null` clears: the member is removed from the merged order, and OrderDesk's PUT then blanks it.
/// - Other values (strings, numbers, booleans, arrays such as `discount_list`) replace the old value.
/// - `order_items` is matched by `id`: an entry with an `id` merges into that item (recursively), an
///   entry with `"delete": true` removes it, an entry without an `id` is a new item (it needs a
///   `name` or a `code`). An `id` the order does not have is an error.
/// - `order_notes` are appended after the existing notes; an entry is `{"content": …}` (other note
///   fields allowed) or a plain string, at most 1,800 characters.
/// - Read-only fields (`id`, dates, computed totals, `email_count`, shipments, history) may be sent
///   only with their current value, so a whole fetched order can be sent back as "changes";
///   `folder_id` likewise: moving an order is `moveOrders`, which also runs the folder's rules.
/// - Fields this client does not know are kept as they are, and may be set like any other field.
///
/// Errors are `OrderDeskError` with code `validation`, naming the offending field.
public enum OrderMerge {
    /// Fields OrderDesk computes or that no PUT can change.
    public static let readOnlyFields: Set<String> = [
        "id", "date_added", "date_updated", "quantity_total", "weight_total", "product_total", "discount_total",
        "order_total", "email_count", "order_shipments", "order_history",
    ]

    /// The longest note OrderDesk keeps intact (its limit of 2,000 includes the date and user name).
    public static let maximumNoteLength = 1800

    /// `changes` merged into `order`. Pure: same inputs, same output.
    public static func merge(_ changes: JSONValue, into order: JSONValue) throws -> JSONValue {
        guard case .object(let changeFields) = changes else {
            throw invalid("changes must be a JSON object of order fields, e.g. {\"email\": \"new@example.com\"}.")
        }
        guard case .object(var merged) = order else {
            throw invalid("The order to change is not a JSON object.")
        }
        for key in changeFields.keys.sorted() {
            let change = changeFields[key]!
            switch key {
            case _ where readOnlyFields.contains(key) || key == "folder_id":
                if let current = merged[key], JSONMerge.sameValue(current, change) { continue }
                if change.isNull, merged[key] == nil { continue }
                throw invalid(readOnlyMessage(key))
            case "order_items":
                merged[key] = .array(try mergeItems(merged[key], change))
            case "order_notes":
                merged[key] = .array(try appendNotes(merged[key], change))
            default:
                merged[key] = JSONMerge.merge(merged[key], change)
            }
        }
        return .object(merged)
    }

    /// `merge(_:into:)` for an `Order`.
    public static func merge(_ changes: JSONValue, into order: Order) throws -> Order {
        Order(fields: try merge(changes, into: order.json).objectValue ?? [:])
    }

    private static func mergeItems(_ current: JSONValue?, _ change: JSONValue) throws -> [JSONValue] {
        guard case .array(let entries) = change else {
            throw invalid(
                "order_items must be an array of item changes: {\"id\": …, …} to change an item, "
                    + "{\"id\": …, \"delete\": true} to remove one, an item without id to add one.")
        }
        var items = current?.lenientList ?? []
        for (index, entry) in entries.enumerated() {
            let path = "order_items[\(index)]"
            guard case .object(var fields) = entry else { throw invalid("\(path) must be an object.") }
            let delete: Bool
            switch fields.removeValue(forKey: "delete") {
            case nil, .bool(false)?, .null?: delete = false
            case .bool(true)?: delete = true
            default: throw invalid("\(path).delete must be true or false.")
            }
            let id = fields.removeValue(forKey: "id").flatMap { $0.isNull ? nil : $0.lenientString }
            guard let id, !id.isEmpty else {
                if delete { throw invalid("\(path): delete needs the id of the item to remove.") }
                let item = JSONMerge.withoutNulls(.object(fields)) ?? [:]
                let name = item["name"]?.lenientString ?? "", code = item["code"]?.lenientString ?? ""
                guard !name.isEmpty || !code.isEmpty else {
                    throw invalid("\(path) has no id, so it is a new item, and a new item needs a name or a code.")
                }
                items.append(item)
                continue
            }
            guard let position = items.firstIndex(where: { $0["id"]?.lenientString == id }) else {
                throw invalid("\(path): the order has no item with id \(id).")
            }
            if delete {
                items.remove(at: position)
            } else {
                items[position] = JSONMerge.merge(items[position], .object(fields)) ?? items[position]
            }
        }
        return items
    }

    private static func appendNotes(_ current: JSONValue?, _ change: JSONValue) throws -> [JSONValue] {
        let entries: [JSONValue]
        switch change {
        case .array(let list): entries = list
        case .object, .string: entries = [change]
        default: throw invalid("order_notes must be an array of notes to append (existing notes cannot be removed).")
        }
        var notes = current?.lenientList ?? []
        for (index, entry) in entries.enumerated() {
            let path = "order_notes[\(index)]"
            var note: [String: JSONValue]
            switch entry {
            case .string(let text): note = ["content": .string(text)]
            case .object: note = JSONMerge.withoutNulls(entry)?.objectValue ?? [:]
            default: throw invalid("\(path) must be a string or an object with content.")
            }
            guard let content = note["content"]?.stringValue, !content.trimmingWhitespace.isEmpty else {
                throw invalid("\(path) needs a non-empty content text.")
            }
            guard content.count <= maximumNoteLength else {
                throw invalid("\(path) is \(content.count) characters long; OrderDesk keeps at most \(maximumNoteLength).")
            }
            note["content"] = .string(content)
            notes.append(.object(note))
        }
        return notes
    }

    private static func readOnlyMessage(_ key: String) -> String {
        switch key {
        case "folder_id":
            return "folder_id cannot be changed by an update; move the order to another folder instead."
        case "date_updated":
            return "date_updated is set by OrderDesk; to guard against concurrent changes pass the expected "
                + "date_updated instead."
        case "order_shipments":
            return "order_shipments cannot be changed by an update; add or delete shipments instead."
        case "order_history":
            return "order_history is append-only; add a history entry instead."
        default:
            return "\(key) is read-only (OrderDesk sets or computes it) and cannot be changed."
        }
    }

    private static func invalid(_ message: String) -> OrderDeskError {
        OrderDeskError.invalidRequest(message)
    }
}

extension String {
    fileprivate var trimmingWhitespace: String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
