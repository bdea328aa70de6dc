/// One row of a result, with values in PostgreSQL's text format (the connection sets
/// `DateStyle=ISO` and `TimeZone=UTC`, so timestamps and bytea have one fixed shape).
public struct PostgresRow: Sendable {
    let columns: PostgresColumns
    let values: [String?]

    /// The value of `column` decoded as `T`. Ask for `T?` when the column can be NULL.
    public func decode<T: PostgresDecodable>(_ type: T.Type = T.self, _ column: String) throws -> T {
        guard let index = columns.index(of: column) else {
            throw PostgresError(code: .decoding, serverMessage: "no column named \(column)")
        }
        return try decode(type, at: index)
    }

    /// The value at position `index` decoded as `T`.
    public func decode<T: PostgresDecodable>(_ type: T.Type = T.self, at index: Int) throws -> T {
        guard values.indices.contains(index) else {
            throw PostgresError(code: .decoding, serverMessage: "no column at index \(index)")
        }
        do {
            return try T.decode(postgresText: values[index])
        } catch let error as PostgresError {
            throw error
        } catch {
            throw PostgresError(code: .decoding, serverMessage: "column \(columns.names[index]): \(error)")
        }
    }

    public var columnNames: [String] { columns.names }
}

/// Column names of a result, shared by all its rows.
final class PostgresColumns: Sendable {
    let names: [String]
    private let positions: [String: Int]

    init(names: [String]) {
        self.names = names
        var positions: [String: Int] = [:]
        for (index, name) in names.enumerated() where positions[name] == nil {
            positions[name] = index
        }
        self.positions = positions
    }

    func index(of name: String) -> Int? { positions[name] }
}

/// The rows a statement returned and the number of rows it affected (`UPDATE 3` → 3).
public struct PostgresResult: Sendable {
    public let rows: [PostgresRow]
    public let affectedRows: Int
}
