import Foundation
import JSON

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A running `orderdesk-sim` child process, started on a free port, with a small HTTP client for its
/// API and its `/_sim` admin endpoints. Each test launches its own, so tests never share state:
///
/// ```swift
/// let sim = try await SimulatorProcess.launch(seed: 7)
/// defer { sim.stop() }
/// try await sim.injectFault(path: "/orders/*", count: 2, status: 503)
/// let reply = try await sim.request("GET", "/orders")
/// ```
///
/// `@unchecked Sendable`: every stored property is immutable after `launch`; `Process` itself is not
/// `Sendable`, but it is only touched by `stop()`, which serializes through `stopLock` and is
/// idempotent, so tests may share one simulator across concurrent tasks.
public final class SimulatorProcess: @unchecked Sendable {
    /// A store to simulate.
    public struct Store: Sendable, Hashable {
        public let id: String
        public let apiKey: String
        public let name: String?
        /// Orders to seed; nil = the `orders` given to `launch`.
        public let orders: Int?

        public init(id: String, apiKey: String, name: String? = nil, orders: Int? = nil) {
            self.id = id
            self.apiKey = apiKey
            self.name = name
            self.orders = orders
        }

        /// The store every test gets unless it asks for others.
        public static let standard = Store(id: "10001", apiKey: "sim-test-key-10001-AbCdEfGhIjKlMnOp", name: "Test Store")
        public static let second = Store(id: "20002", apiKey: "sim-test-key-20002-QrStUvWxYzAbCdEf", name: "Second Store")
    }

    /// An HTTP answer from the simulator.
    public struct Reply: Sendable {
        public let status: Int
        /// Header values by lower-cased name.
        public let headers: [String: String]
        public let body: Data

        /// The body as JSON, or nil when it is not JSON.
        public var json: JSONValue? { try? JSONValue(parsing: body) }

        public func header(_ name: String) -> String? { headers[name.lowercased()] }
    }

    /// The API base URL, `http://127.0.0.1:PORT/api/v2` — what `ORDERDESK_BASE_URL` should be.
    public let baseURL: URL
    /// `http://127.0.0.1:PORT`, where the `/_sim` admin endpoints live.
    public let rootURL: URL
    public let stores: [Store]

    private let process: Process
    private let stdoutPipe: Pipe
    private let errorLogURL: URL
    private let session: URLSession
    private let stopLock = NSLock()

    private init(process: Process, stdoutPipe: Pipe, errorLogURL: URL, rootURL: URL, stores: [Store]) {
        self.process = process
        self.stdoutPipe = stdoutPipe
        self.errorLogURL = errorLogURL
        self.rootURL = rootURL
        self.baseURL = rootURL.appendingPathComponent("api/v2")
        self.stores = stores
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 30
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        self.session = URLSession(configuration: configuration)
    }

    deinit { stop() }

    // MARK: Lifecycle

    /// Starts `orderdesk-sim --port 0` and waits for its "listening on" line.
    ///
    /// The binary is found through `ODMCP_BIN_DIR`, else next to the test bundle (see `BinaryLocator`).
    /// - Parameters:
    ///   - stores: the stores to simulate (written to a `--stores` file).
    ///   - seed: `--seed`; the same seed gives the same data.
    ///   - orders: orders seeded per store.
    ///   - rateLimited: false adds `--no-rate-limit`.
    ///   - latencyMilliseconds: `--latency-ms`.
    ///   - extraArguments: anything else to pass.
    public static func launch(
        stores: [Store] = [.standard], seed: Int = 1, orders: Int = 25, rateLimited: Bool = true,
        latencyMilliseconds: Int = 0, extraArguments: [String] = [], startupTimeout: TimeInterval = 30
    ) async throws -> SimulatorProcess {
        let scratch = FileManager.default.temporaryDirectory
            .appendingPathComponent("orderdesk-sim-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        let storesFile = scratch.appendingPathComponent("stores.json")
        let storeList: JSONValue = .array(
            stores.map { store in
                var object: [String: JSONValue] = ["store_id": .string(store.id), "api_key": .string(store.apiKey)]
                if let name = store.name { object["name"] = .string(name) }
                if let orders = store.orders { object["orders"] = .int(Int64(orders)) }
                return .object(object)
            })
        try storeList.encoded().write(to: storesFile)
        let errorLog = scratch.appendingPathComponent("stderr.log")
        _ = FileManager.default.createFile(atPath: errorLog.path, contents: nil)

        let process = Process()
        process.executableURL = try simulatorBinary()
        var arguments = [
            "--host", "127.0.0.1", "--port", "0", "--stores", storesFile.path, "--seed", String(seed),
            "--orders", String(orders), "--latency-ms", String(latencyMilliseconds), "--log-level", "warning",
        ]
        if !rateLimited { arguments.append("--no-rate-limit") }
        process.arguments = arguments + extraArguments
        let stdoutPipe = Pipe()
        process.standardOutput = stdoutPipe
        // A file, not a pipe: nobody drains stderr, and a full pipe would block the simulator.
        process.standardError = try FileHandle(forWritingTo: errorLog)
        process.standardInput = FileHandle.nullDevice
        try process.run()

        let line = await ProcessOutput.firstLine(
            of: stdoutPipe.fileHandleForReading, pid: process.processIdentifier, timeout: startupTimeout)
        let prefix = "orderdesk-sim listening on "
        guard let line, line.hasPrefix(prefix), let url = URL(string: String(line.dropFirst(prefix.count))) else {
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
            let errors = (try? String(contentsOf: errorLog, encoding: .utf8)) ?? ""
            throw TestSetupError(
                "orderdesk-sim did not start (stdout: \(line ?? "nothing"), exit \(process.terminationStatus)): \(errors)")
        }
        return SimulatorProcess(
            process: process, stdoutPipe: stdoutPipe, errorLogURL: errorLog, rootURL: url, stores: stores)
    }

    /// Stops the simulator (SIGTERM, then SIGKILL after two seconds). Safe to call more than once.
    public func stop() {
        stopLock.lock()
        defer { stopLock.unlock() }
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(2)
        while process.isRunning, Date() < deadline { usleep(10_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        try? stdoutPipe.fileHandleForReading.close()
        try? FileManager.default.removeItem(at: errorLogURL.deletingLastPathComponent())
    }

    /// What the simulator wrote to stderr so far (for failure messages).
    public func errorOutput() -> String {
        (try? String(contentsOf: errorLogURL, encoding: .utf8)) ?? ""
    }

    private static func simulatorBinary() throws -> URL {
        if let found = try? BinaryLocator.url(of: "orderdesk-sim") { return found }
        // macOS runs tests inside `xctest`, so look next to the `.xctest` bundle under .build/debug.
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
            let candidate = bundle.bundleURL.deletingLastPathComponent().appendingPathComponent("orderdesk-sim")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        throw TestSetupError("cannot find the orderdesk-sim binary: run `swift build` first or set ODMCP_BIN_DIR")
    }

    // MARK: API

    /// Sends an API request to `path` (relative to `/api/v2`, e.g. `/orders?limit=5`).
    /// - Parameters:
    ///   - store: whose credentials to send; nil sends none. Defaults to the first store.
    ///   - apiKey: overrides the store's key (to test wrong keys).
    ///   - body: JSON body; `rawBody` sends bytes as they are.
    public func request(
        _ method: String, _ path: String, store: Store? = nil, useCredentials: Bool = true, apiKey: String? = nil,
        body: JSONValue? = nil, rawBody: Data? = nil, headers: [String: String] = [:]
    ) async throws -> Reply {
        var allHeaders = headers
        if useCredentials, let store = store ?? stores.first {
            allHeaders["ORDERDESK-STORE-ID"] = store.id
            allHeaders["ORDERDESK-API-KEY"] = apiKey ?? store.apiKey
        }
        return try await send(method, url: url(baseURL, path), headers: allHeaders, body: rawBody ?? body?.encoded())
    }

    /// `GET /orders/{id}` as JSON (`order` member), failing the call when the status is not 200.
    public func order(_ id: String, store: Store? = nil) async throws -> JSONValue {
        let reply = try await request("GET", "/orders/\(id)", store: store)
        guard reply.status == 200, let order = reply.json?["order"] else {
            throw TestSetupError("GET /orders/\(id) answered \(reply.status): \(String(decoding: reply.body, as: UTF8.self))")
        }
        return order
    }

    // MARK: Admin

    /// Queues a fault for matching API requests (see docs/simulator.md, "Fault injection").
    /// - Parameters:
    ///   - method: `GET`, `PUT`, … or `*`.
    ///   - path: glob on the path after `/api/v2`: `*` within a segment, `**` across; `*` alone = all.
    ///   - count: how many matching requests get it (default 1 unless `forSeconds` is given).
    public func injectFault(
        method: String = "*", path: String = "*", count: Int? = nil, forSeconds: Double? = nil, status: Int? = nil,
        headers: [String: String] = [:], body: String? = nil, delayMilliseconds: Int? = nil,
        dropConnection: Bool = false, malformedBody: Bool = false, conflictOnPut: Bool = false
    ) async throws {
        var fault: [String: JSONValue] = ["method": .string(method), "path": .string(path)]
        if let count { fault["count"] = .int(Int64(count)) }
        if let forSeconds { fault["for_seconds"] = .double(forSeconds) }
        if let status { fault["status"] = .int(Int64(status)) }
        if !headers.isEmpty { fault["headers"] = .object(headers.mapValues(JSONValue.string)) }
        if let body { fault["body"] = .string(body) }
        if let delayMilliseconds { fault["delay_ms"] = .int(Int64(delayMilliseconds)) }
        if dropConnection { fault["drop_connection"] = true }
        if malformedBody { fault["malformed_body"] = true }
        if conflictOnPut { fault["conflict_on_put"] = true }
        try await injectFault(.object(fault))
    }

    /// Queues a fault given as the admin endpoint's JSON (an object, or an array queued in order).
    public func injectFault(_ fault: JSONValue) async throws {
        try await admin("POST", "/_sim/faults", body: fault)
    }

    public func clearFaults() async throws {
        try await admin("DELETE", "/_sim/faults")
    }

    /// The request log, oldest first; optionally only one method and/or a path glob.
    public func requests(method: String? = nil, path: String? = nil) async throws -> [JSONValue] {
        var query: [String] = []
        if let method { query.append("method=\(method)") }
        if let path { query.append("path=\(path.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? path)") }
        let reply = try await admin("GET", "/_sim/requests" + (query.isEmpty ? "" : "?" + query.joined(separator: "&")))
        return reply.json?["requests"]?.arrayValue ?? []
    }

    public func requestCount(method: String? = nil, path: String? = nil) async throws -> Int {
        try await requests(method: method, path: path).count
    }

    /// Clears faults and the request log and refills the rate-limit buckets; `reseed` also restores
    /// the seeded data.
    public func reset(reseed: Bool = false) async throws {
        try await admin("POST", "/_sim/reset", body: ["reseed": .bool(reseed)])
    }

    @discardableResult
    private func admin(_ method: String, _ path: String, body: JSONValue? = nil) async throws -> Reply {
        let reply = try await send(method, url: url(rootURL, path), headers: [:], body: body?.encoded())
        guard (200..<300).contains(reply.status) else {
            throw TestSetupError("\(method) \(path) answered \(reply.status): \(String(decoding: reply.body, as: UTF8.self))")
        }
        return reply
    }

    // MARK: HTTP

    private func url(_ base: URL, _ path: String) throws -> URL {
        let slashed = path.hasPrefix("/") ? path : "/" + path
        guard let url = URL(string: base.absoluteString + slashed) else { throw TestSetupError("bad path \(path)") }
        return url
    }

    private func send(_ method: String, url: URL, headers: [String: String], body: Data?) async throws -> Reply {
        var request = URLRequest(url: url)
        request.httpMethod = method
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        if let body {
            request.httpBody = body
            if request.value(forHTTPHeaderField: "Content-Type") == nil {
                request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            }
        }
        let (data, response) = try await session.data(for: request)
        guard let http = response as? HTTPURLResponse else { throw TestSetupError("not an HTTP response from \(url)") }
        var replyHeaders: [String: String] = [:]
        for (name, value) in http.allHeaderFields {
            if let name = name as? String, let value = value as? String { replyHeaders[name.lowercased()] = value }
        }
        return Reply(status: http.statusCode, headers: replyHeaders, body: data)
    }
}
