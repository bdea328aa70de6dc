import JSON

/// A discount line (`discount_list[]`); the amount is positive and rendered as a string (`"1.70"`).
struct Discount: Sendable, Equatable {
    var name: String
    var code: String
    var amount: Double

    init(name: String, code: String, amount: Double) {
        self.name = name
        self.code = code
        self.amount = amount
    }

    init(from body: [String: JSONValue]) throws {
        name = body.text("name")
        code = body.text("code")
        amount = abs(try body.number("amount"))
    }

    func json() -> JSONValue {
        ["name": .string(name), "code": .string(code), "amount": .string(Money.fixed(amount))]
    }
}

/// A note shown on the order (`order_notes[]`).
struct OrderNote: Sendable, Equatable {
    /// OrderDesk stores at most 2000 characters per note, date and username included.
    static let maximumLength = 2000

    var dateAdded: String
    var username: String
    var content: String

    init(dateAdded: String, username: String, content: String) {
        self.dateAdded = dateAdded
        self.username = username
        self.content = content
    }

    init(from body: [String: JSONValue], now: String) throws {
        content = body.text("content")
        username = body.text("username")
        let date = body.text("date_added")
        dateAdded = date.isEmpty ? now : date
        guard content.count + username.count + dateAdded.count <= Self.maximumLength else {
            throw SimulatorError.badRequest(
                "An order note may hold at most \(Self.maximumLength) characters including its date and username.")
        }
    }

    func json() -> JSONValue {
        ["date_added": .string(dateAdded), "username": .string(username), "content": .string(content)]
    }
}

/// An append-only history entry (`order_history[]`).
struct HistoryEntry: Sendable, Equatable {
    var sourceName: String
    var note: String
    var dateAdded: String

    func json() -> JSONValue {
        ["source_name": .string(sourceName), "note": .string(note), "date_added": .string(dateAdded)]
    }
}
