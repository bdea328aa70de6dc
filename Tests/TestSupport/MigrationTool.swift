import Foundation

/// Runs one of the package's built executables to completion and collects what it printed.
public enum BinaryProcess {
    public struct Outcome: Sendable {
        public let exitCode: Int32
        public let output: String
        public let errorOutput: String
    }

    /// `name arguments…`, with `environment` replacing the test process's environment when given.
    public static func run(_ name: String, _ arguments: [String], environment: [String: String]? = nil) async throws
        -> Outcome
    {
        let process = Process()
        process.executableURL = try BinaryLocator.url(of: name)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        // Read both pipes before waiting, so a chatty process cannot block on a full pipe.
        async let out = Task.detached { output.fileHandleForReading.readDataToEndOfFile() }.value
        async let err = Task.detached { errors.fileHandleForReading.readDataToEndOfFile() }.value
        let (outData, errData) = await (out, err)
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async {
                process.waitUntilExit()
                continuation.resume()
            }
        }
        return Outcome(
            exitCode: process.terminationStatus, output: String(decoding: outData, as: UTF8.self),
            errorOutput: String(decoding: errData, as: UTF8.self))
    }
}

/// Runs the real `orderdesk-mcp migrate` binary, the way a deploy script does.
public enum MigrationTool {
    public typealias Outcome = BinaryProcess.Outcome

    /// `orderdesk-mcp migrate <arguments…>` against `url`, with `migrations/` as the directory unless
    /// `--migrations-dir` is among the arguments.
    public static func run(_ arguments: [String], url: String) async throws -> Outcome {
        var arguments = ["migrate"] + arguments + ["--database-url", url]
        if !arguments.contains("--migrations-dir") {
            arguments += ["--migrations-dir", TestDatabase.migrationsDirectory.path]
        }
        return try await BinaryProcess.run("orderdesk-mcp", arguments)
    }

    /// `migrate up`, failing the test setup when it does not exit 0.
    public static func migrate(url: String) async throws {
        let outcome = try await run(["up"], url: url)
        guard outcome.exitCode == 0 else {
            throw TestSetupError("migrate up failed (\(outcome.exitCode)): \(outcome.errorOutput)")
        }
    }
}

/// Finds the package's built executables: `ODMCP_BIN_DIR` (set by `make test`), else the directory
/// the test bundle was built into.
public enum BinaryLocator {
    public static func url(of name: String) throws -> URL {
        var candidates: [URL] = []
        if let directory = ProcessInfo.processInfo.environment["ODMCP_BIN_DIR"] {
            candidates.append(URL(fileURLWithPath: directory).appendingPathComponent(name))
        }
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            candidates.append(directory.appendingPathComponent(name))
            directory = directory.deletingLastPathComponent()
        }
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw TestSetupError("cannot find the \(name) binary: build it first (`swift build`) or set ODMCP_BIN_DIR")
        }
        return found
    }
}
