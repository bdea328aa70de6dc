import Foundation
import TestSupport

/// A real HTTPS server playing an MCP client's metadata host: `tests/servers/cimd_server.py` (python3
/// standard library) behind a fresh self-signed certificate for `127.0.0.1`, made with the `openssl`
/// command. Each test launches its own, so request logs never mix:
///
/// ```swift
/// let host = try await ClientMetadataHost.launch()
/// defer { host.stop() }
/// let url = host.url("/client.json")        // https://127.0.0.1:PORT/client.json
/// try host.log()                             // ["connect", "GET /client.json", …]
/// ```
///
/// `@unchecked Sendable`: the stored properties are immutable after `launch`; the process is only
/// touched by `stop()`, which serializes through `stopLock`.
final class ClientMetadataHost: @unchecked Sendable {
    /// `https://127.0.0.1:PORT`.
    let base: String
    /// The self-signed certificate, which is its own CA: what `OAUTH_CIMD_CA_FILE` should name.
    let caFile: String
    private let directory: URL
    private let process: Process
    private let stopLock = NSLock()

    private init(base: String, caFile: String, directory: URL, process: Process) {
        self.base = base
        self.caFile = caFile
        self.directory = directory
        self.process = process
    }

    deinit { stop() }

    func url(_ path: String) -> String { base + path }

    /// One line per accepted TCP connection (`connect`, logged before TLS) and per request (`GET /path`).
    func log() throws -> [String] {
        try String(contentsOf: directory.appendingPathComponent("requests.log"), encoding: .utf8)
            .split(separator: "\n").map(String.init)
    }

    static func launch() async throws -> ClientMetadataHost {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("cimd-host-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let cert = directory.appendingPathComponent("cert.pem").path
        let key = directory.appendingPathComponent("key.pem").path
        try run(
            "openssl",
            [
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key,
                "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            ])

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", script.path, "--cert", cert, "--key", key, "--log",
            directory.appendingPathComponent("requests.log").path,
        ]
        let stdout = Pipe()
        process.standardOutput = stdout
        let errors = directory.appendingPathComponent("stderr.log")
        _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: errors)
        process.standardInput = FileHandle.nullDevice
        try process.run()

        let line = await ProcessOutput.firstLine(
            of: stdout.fileHandleForReading, pid: process.processIdentifier, timeout: 20)
        let prefix = "cimd-server listening on "
        guard let line, line.hasPrefix(prefix) else {
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
            let text = (try? String(contentsOf: errors, encoding: .utf8)) ?? ""
            throw TestSetupError("cimd_server.py did not start (stdout: \(line ?? "nothing")): \(text)")
        }
        return ClientMetadataHost(
            base: String(line.dropFirst(prefix.count)), caFile: cert, directory: directory, process: process)
    }

    /// SIGTERM, then SIGKILL after two seconds; removes the certificate and log. Idempotent.
    func stop() {
        stopLock.withLock {
            guard process.isRunning else { return }
            process.terminate()
            let deadline = Date().addingTimeInterval(2)
            while process.isRunning, Date() < deadline { usleep(10_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
            try? FileManager.default.removeItem(at: directory)
        }
    }

    /// `tests/servers/cimd_server.py`, found from this file's place in the repository.
    private static var script: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("tests/servers/cimd_server.py")
    }

    private static func run(_ tool: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [tool] + arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw TestSetupError("\(tool) failed with status \(process.terminationStatus) (is it installed?)")
        }
    }
}
