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
    /// (session settings such as `statement_timeout`), applied by the server at login; with none, no
    /// `options` parameter is sent at all (a transaction-mode pooler refuses it). `client_encoding`
    /// and `application_name` are connection parameters of their own, which poolers carry.
    ///
    /// With `.unnamed` statements nothing is prepared on the server: every statement is parsed anew.
    public init(
        url: String, settings: [String: String] = [:], applicationName: String = "orderdesk-mcp",
        preparedStatements: PreparedStatementMode = .named
    ) throws {
        let options = settings.sorted { $0.key < $1.key }
            .map { "-c \($0.key)=\($0.value.replacingOccurrences(of: " ", with: "\\ "))" }
            .joined(separator: " ")
        var keywords = ["dbname", "application_name", "client_encoding", "connect_timeout"]
        var values = [url, applicationName, "UTF8", "10"]
        if !options.isEmpty {
            keywords.append("options")
            values.append(options)
        }
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
        self.preparesStatements = preparedStatements == .named
    }

    deinit {
        if let connection { PQfinish(connection) }
    }

    /// Ends the session (PQfinish). Blocking: call it on a database thread.
    public func close() {
        if let connection { PQfinish(connection) }
        connection = nil
    }

    /// False once libpq has noticed the connection broke (or a pipeline was left unfinished).
    public var isUsable: Bool { isConnected && PQpipelineStatus(handle) == PQ_PIPELINE_OFF }

    private var isConnected: Bool { connection != nil && PQstatus(handle) == CONNECTION_OK }

    /// True when no transaction is open (a clean connection to give back to the pool).
    public var isIdle: Bool { PQtransactionStatus(handle) == PQTRANS_IDLE }

    /// Named server-side statements of this session by SQL text and parameter types: each statement
    /// is parsed and planned once per connection, not on every call. Bounded; past the bound,
    /// statements run unnamed. Prepared statements are not transactional, so a rollback keeps them.
    private var prepared: [PreparedKey: String] = [:]
    private var preparedCount = 0
    /// False with `.unnamed` statements: then every statement runs unnamed, as past the bound.
    private let preparesStatements: Bool
    static let maximumPrepared = 256

    private struct PreparedKey: Hashable {
        let sql: String
        let types: [UInt32]
        init(_ query: PostgresQuery) {
            sql = query.sql
            types = query.binds.map(\.typeOID)
        }
    }

    /// A name for a statement not prepared yet, or nil when the bound is reached.
    private func newStatementName() -> String? {
        guard preparesStatements, prepared.count < Self.maximumPrepared else { return nil }
        preparedCount += 1
        return "odmcp_\(preparedCount)"
    }

    /// Runs one statement with its binds (extended protocol: values never become SQL text).
    @discardableResult
    public func execute(_ query: PostgresQuery) throws -> PostgresResult {
        let key = PreparedKey(query)
        if prepared[key] == nil, let name = newStatementName() {
            let preparation = try withParameters(query) { count, types, _, _, _ in
                PQprepare(handle, name, query.sql, count, types)
            }
            _ = try checked { try consume(preparation) }
            prepared[key] = name
        }
        let result = try withParameters(query) { count, types, values, lengths, formats in
            if let name = prepared[key] {
                return PQexecPrepared(handle, name, count, values, lengths, formats, 0)
            }
            return PQexecParams(handle, query.sql, count, types, values, lengths, formats, 0)
        }
        return try checked { try consume(result) }
    }

    /// Forgets the prepared statements when the server says they are gone or stale (a pooler's
    /// `DISCARD ALL`, a schema change altering a result type); the next call prepares afresh.
    private func checked(_ body: () throws -> PostgresResult) throws -> PostgresResult {
        do {
            return try body()
        } catch let error as PostgresError where error.sqlState == "26000" || error.sqlState == "0A000" {
            prepared.removeAll()
            throw error
        }
    }

    /// Sends every statement at once and then reads every answer: one network round trip for all of
    /// them (libpq pipeline mode). The statements run in order; after the first failure the server
    /// skips the rest, and that failure is thrown. Without an explicit `BEGIN` … `COMMIT`, the whole
    /// pipeline is one implicit transaction: a failure rolls back every statement of it.
    ///
    /// Before anything is sent, the connection is checked for a close the server already announced
    /// (a restart ends idle sessions): then nothing ran, and the error says so (`failedBeforeAnyStatement`,
    /// so `Database` retries on a fresh connection). A connection that breaks later is not retried:
    /// the statements may have run.
    public func executePipeline(_ queries: [PostgresQuery]) throws -> [PostgresResult] {
        // An idle session has nothing to say: anything readable (the server's goodbye before it
        // closed the session, or the close itself) means it is gone. Nothing has been sent yet.
        var socket = pollfd(fd: PQsocket(handle), events: Int16(POLLIN), revents: 0)
        guard socket.fd >= 0, poll(&socket, 1, 0) == 0 else {
            throw PostgresError(code: .connectionClosed, serverMessage: "the server closed the idle connection")
        }
        guard PQenterPipelineMode(handle) == 1 else { throw connectionError() }
        // A statement not prepared yet is prepared in the same pipeline, right before it runs.
        var preparing: [PreparedKey: String] = [:]
        var answers: [PreparedKey?] = []  // per answer expected: a preparation (its key) or a statement (nil)
        for query in queries {
            let key = PreparedKey(query)
            var name = prepared[key] ?? preparing[key]
            if name == nil, let fresh = newStatementName() {
                let sent = try withParameters(query) { count, types, _, _, _ in
                    PQsendPrepare(handle, fresh, query.sql, count, types)
                }
                guard sent == 1 else { throw pipelineBroken() }
                preparing[key] = fresh
                answers.append(key)
                name = fresh
            }
            let sent = try withParameters(query) { count, types, values, lengths, formats in
                if let name {
                    return PQsendQueryPrepared(handle, name, count, values, lengths, formats, 0)
                }
                return PQsendQueryParams(handle, query.sql, count, types, values, lengths, formats, 0)
            }
            guard sent == 1 else { throw pipelineBroken() }
            answers.append(nil)
        }
        guard PQpipelineSync(handle) == 1 else { throw pipelineBroken() }
        var results: [Result<PostgresResult, PostgresError>] = []
        var failedPreparation: PostgresError?
        for preparation in answers {
            // Each answer is followed by a null result.
            guard let first = PQgetResult(handle) else { throw pipelineBroken() }
            while let extra = PQgetResult(handle) { PQclear(extra) }
            let outcome: Result<PostgresResult, PostgresError>
            if PQresultStatus(first) == PGRES_PIPELINE_ABORTED {
                PQclear(first)
                outcome = .failure(PostgresError(code: .server, serverMessage: "skipped after an earlier error"))
            } else {
                do {
                    outcome = .success(try checked { try consume(first) })
                } catch let error as PostgresError {
                    outcome = .failure(error)
                }
            }
            if let key = preparation {
                // A preparation's own answer is not a result; if it failed, its statement reports why.
                switch outcome {
                case .success: prepared[key] = preparing[key]
                case .failure(let error): failedPreparation = failedPreparation ?? error
                }
                continue
            }
            if let error = failedPreparation {
                results.append(.failure(error))
                failedPreparation = nil
            } else {
                results.append(outcome)
            }
        }
        guard let sync = PQgetResult(handle), PQresultStatus(sync) == PGRES_PIPELINE_SYNC else {
            throw pipelineBroken()
        }
        PQclear(sync)
        guard PQexitPipelineMode(handle) == 1 else { throw pipelineBroken() }
        return try results.map { try $0.get() }
    }

    /// A pipeline that could not be completed leaves the connection unusable (`isUsable` is false
    /// while it stays in pipeline mode), so the pool closes it.
    private func pipelineBroken() -> PostgresError {
        PostgresError(
            code: .connectionClosed, sqlState: "08006", serverMessage: String(cString: PQerrorMessage(handle)))
    }

    /// Calls `body` with libpq's parameter arrays for `query`'s binds, valid for the call.
    private func withParameters<R>(
        _ query: PostgresQuery,
        _ body: (
            Int32, [Oid], [UnsafePointer<CChar>?], [Int32], [Int32]
        ) -> R
    ) throws -> R {
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
        return body(Int32(binds.count), types, values, lengths, formats)
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
        if sqlState == nil || !isConnected {
            return PostgresError(code: .connectionClosed, sqlState: sqlState, serverMessage: message)
        }
        return PostgresError(
            code: sqlState == "57014" ? .queryTimeout : .server, sqlState: sqlState,
            constraintName: field(result, "n"), serverMessage: message)
    }

    private func connectionError() -> PostgresError {
        PostgresError(
            code: isConnected ? .server : .connectionClosed, serverMessage: String(cString: PQerrorMessage(handle)))
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
