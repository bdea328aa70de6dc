/// A SQL statement whose interpolations become bind parameters.
///
/// `"SELECT * FROM orderdesk.stores WHERE id = \(storeID)"` sends `... WHERE id = $1` with `storeID`
/// bound, so values can never change the statement's meaning. The only way to splice text into the
/// SQL is `\(unsafeSQL: …)`, for identifiers the code itself chose.
public struct PostgresQuery: Sendable, ExpressibleByStringInterpolation {
    public private(set) var sql: String
    public private(set) var binds: [PostgresBind]

    /// A statement with no parameters, or with parameters already numbered `$1…$n` in `sql`.
    public init(unsafeSQL sql: String, binds: [PostgresBind] = []) {
        self.sql = sql
        self.binds = binds
    }

    public init(stringLiteral value: String) {
        self.init(unsafeSQL: value)
    }

    public init(stringInterpolation: StringInterpolation) {
        self.init(unsafeSQL: stringInterpolation.sql, binds: stringInterpolation.binds)
    }

    public struct StringInterpolation: StringInterpolationProtocol {
        var sql = ""
        var binds: [PostgresBind] = []

        public init(literalCapacity: Int, interpolationCount: Int) {
            sql.reserveCapacity(literalCapacity + interpolationCount * 3)
            binds.reserveCapacity(interpolationCount)
        }

        public mutating func appendLiteral(_ literal: String) {
            sql += literal
        }

        public mutating func appendInterpolation(_ value: some PostgresEncodable) {
            binds.append(value.postgresBind)
            sql += "$\(binds.count)"
        }

        public mutating func appendInterpolation(_ value: (some PostgresEncodable)?) {
            binds.append(value?.postgresBind ?? .null)
            sql += "$\(binds.count)"
        }

        /// Splices `text` into the statement verbatim. Only for SQL the program wrote itself.
        public mutating func appendInterpolation(unsafeSQL text: String) {
            sql += text
        }
    }
}
