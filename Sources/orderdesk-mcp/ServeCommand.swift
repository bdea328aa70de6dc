import App
import ArgumentParser
import Cryptography
import Foundation
import Logging
import MCPServer

/// `orderdesk-mcp serve`: the MCP server. All configuration comes from the environment (README).
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Run the MCP server (configured by environment variables; see README).")

    func run() async throws {
        let configuration: ServerConfiguration
        do {
            configuration = try ServerConfiguration(reader: EnvironmentReader())
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode.failure
        }
        // Key verifications must not leave 19 MiB behind in every thread's malloc arena.
        Argon2id.keepWorkingMemoryOutOfMallocArenas()
        let level = configuration.logLevel
        LoggingSystem.bootstrap { label in JSONLogHandler(label: label, level: level) }
        var base = Logger(label: "orderdesk-mcp")
        base[metadataKey: "replica"] = "\(configuration.replicaID)"
        let logger = base
        let server = MCPServerApplication(
            configuration: configuration, logger: logger, metrics: PrometheusMetrics.bootstrap())
        try await server.run { url in
            // Exactly one line on stdout (scripts read the port from it); logs go to stderr.
            FileHandle.standardOutput.write(Data("orderdesk-mcp listening on \(url)\n".utf8))
            logger.info("listening", metadata: ["url": "\(url)"])
        }
    }
}
