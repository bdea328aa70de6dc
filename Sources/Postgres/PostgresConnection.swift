internal import CLibPQ
import Foundation

/// One libpq connection. Every method blocks: call them only from the database thread pool
/// (`Database` does), never from the cooperative pool or an event loop.
///
/// `@unchecked Sendable`: libpq forbids two threads using one `PGconn` at once. The pool hands a
/// connection to exactly one lease at a time and each lease runs as one work item on one thread,
/// so the handle is never touched concurrently; moving it between threads is allowed by libpq.
public final class PostgresConnection: @unchecked Sendable {
    private var connection: OpaquePointer?
    /// The live handle. Only `close()` clears it, and no lease uses a connection after closing it.
    private var handle: OpaquePointer { connection! }

    /// Connects with a libpq URL or key/value string. `settings` become `-c name=value` options
    /// (session settings such as `statement_timeout`), applied by the server at login.
    public init(url: String, settings: [String: String] = [:], applicationName: String = "orderdesk-mcp") throws {
        let options = settings.sorted { $0.key < $1.key }
            .map { "-c \($0.key)=\($0.value.replacingOccurrences(of: " ", with: "\\ "))" }
            .joined(separator: " ")
        let keywords = ["dbname", "options", "application_name", "connect_timeout"]
        let values = [url, options, applicationName, "10"]
        let connection = withCStringArray(keywords) { keywordPointers in
            withCStringArray(values) { valuePointers in
                PQconnectdbParams(keywordPointers, valuePointers, 1)
            }
        }
        guard let connection else {
            throw PostgresError(code: .connectionFailed, serverMessage: "out of memory")
        }
        guard PQstatus(connection) == CONNECTION_OK else {
            let message = String(cString: PQerrorMessage(connection))
            PQfinish(connection)
            throw PostgresError(code: .connectionFailed, serverMessage: message)
        }
        // Server NOTICEs ("relation already exists, skipping") would go to stderr by default.
        PQsetNoticeProcessor(connection, { _, _ in }, nil)
        self.connection = connection
    }

    deinit {
        if let connection { PQfinish(connection) }
    }

    /// Ends the session (PQfinish). Blocking: call it on a database thread.
    public func close() {
        if let connection { PQfinish(connection) }
        connection = nil
    }

    /// False once libpq has noticed the connection broke.
    public var isUsable: Bool { connection != nil && PQstatus(handle) == CONNECTION_OK }

    /// True when no transaction is open (a clean connection to give back to the pool).
    public var isIdle: Bool { PQtransactionStatus(handle) == PQTRANS_IDLE }

    /// Runs one statement with its binds (extended protocol: values never become SQL text).
    @discardableResult
    public func execute(_ query: PostgresQuery) throws -> PostgresResult {
        let binds = query.binds
        for bind in binds where !bind.isBinary && bind.bytes?.contains(0) == true {
            // A text parameter travels as a C string; a NUL would silently cut it short.
            throw PostgresError(code: .invalidQuery, serverMessage: "text parameter contains a NUL byte")
        }
        let buffers: [UnsafeMutablePointer<CChar>?] = binds.map { bind in
            guard let bytes = bind.bytes else { return nil }
            let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count + 1)
            bytes.withUnsafeBufferPointer { source in
                source.withMemoryRebound(to: CChar.self) { chars in
                    if let base = chars.baseAddress { buffer.initialize(from: base, count: bytes.count) }
                }
            }
            buffer[bytes.count] = 0
            return buffer
        }
        defer { buffers.forEach { $0?.deallocate() } }
        let types = binds.map { Oid($0.typeOID) }
        let lengths = binds.map { Int32($0.bytes?.count ?? 0) }
        let formats = binds.map { Int32($0.isBinary ? 1 : 0) }
        let values = buffers.map { UnsafePointer($0) }
        let result = PQexecParams(handle, query.sql, Int32(binds.count), types, values, lengths, formats, 0)
        return try consume(result)
    }

    /// Runs a script of several statements with the simple query protocol. No binds: only for SQL
    /// files the operator shipped (migrations), never for anything containing user input.
    public func executeScript(unsafeSQL sql: String) throws {
        let result = PQexec(handle, sql)
        _ = try consume(result)
    }

    private func consume(_ result: OpaquePointer?) throws -> PostgresResult {
        guard let result else {
            throw connectionError()
        }
        defer { PQclear(result) }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
            return PostgresResult(rows: [], affectedRows: affectedRows(result))
        case PGRES_TUPLES_OK:
            return PostgresResult(rows: rows(result), affectedRows: affectedRows(result))
        default:
            throw serverError(result)
        }
    }

    private func rows(_ result: OpaquePointer) -> [PostgresRow] {
        let rowCount = Int(PQntuples(result))
        let columnCount = Int(PQnfields(result))
        let columns = PostgresColumns(names: (0..<columnCount).map { String(cString: PQfname(result, Int32($0))) })
        var rows: [PostgresRow] = []
        rows.reserveCapacity(rowCount)
        for row in 0..<rowCount {
            var values: [String?] = []
            values.reserveCapacity(columnCount)
            for column in 0..<columnCount {
                if PQgetisnull(result, Int32(row), Int32(column)) == 1 {
                    values.append(nil)
                } else {
                    values.append(String(cString: PQgetvalue(result, Int32(row), Int32(column))))
                }
            }
            rows.append(PostgresRow(columns: columns, values: values))
        }
        return rows
    }

    private func affectedRows(_ result: OpaquePointer) -> Int {
        Int(String(cString: PQcmdTuples(result))) ?? 0
    }

    private func serverError(_ result: OpaquePointer) -> PostgresError {
        let sqlState = field(result, "C")
        let message = field(result, "M") ?? String(cString: PQresultErrorMessage(result))
        if sqlState == nil || !isUsable {
            return PostgresError(code: .connectionClosed, sqlState: sqlState, serverMessage: message)
        }
        return PostgresError(
            code: sqlState == "57014" ? .queryTimeout : .server, sqlState: sqlState,
            constraintName: field(result, "n"), serverMessage: message)
    }

    private func connectionError() -> PostgresError {
        PostgresError(
            code: isUsable ? .server : .connectionClosed, serverMessage: String(cString: PQerrorMessage(handle)))
    }

    private func field(_ result: OpaquePointer, _ code: Unicode.Scalar) -> String? {
        guard let value = PQresultErrorField(result, Int32(code.value)) else { return nil }
        return String(cString: value)
    }
}

/// Calls `body` with a NULL-terminated array of C strings that live for the call.
private func withCStringArray<R>(_ strings: [String], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
    let copies = strings.map { strdup($0) }
    defer { copies.forEach { free($0) } }
    return body(copies.map { UnsafePointer($0) } + [nil])
}
