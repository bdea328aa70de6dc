import Cryptography
import Foundation

/// One `migrations/NNNN_name.sql` file.
public struct MigrationFile: Sendable, Equatable {
    /// The four-digit prefix; files apply in this order.
    public let version: String
    public let name: String
    public let fileName: String
    public let sql: String
    /// SHA-256 of the file's bytes, hex. The ledger keeps it so an edited applied file is caught.
    public let checksum: String

    public init(fileName: String, contents: Data) throws {
        guard let match = fileName.wholeMatch(of: /(\d{4})_([a-z0-9_]+)\.sql/) else {
            throw MigrationError.badFileName(fileName)
        }
        guard let sql = String(data: contents, encoding: .utf8) else {
            throw MigrationError.notUTF8(fileName)
        }
        self.version = String(match.1)
        self.name = String(match.2)
        self.fileName = fileName
        self.sql = sql
        self.checksum = SHA256.hash(Array(contents)).hexString
    }

    /// Every migration in `directory`, in order. Any other `.sql` file, or two files with one
    /// version, is an error rather than something silently skipped.
    public static func load(from directory: URL) throws -> [MigrationFile] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            throw MigrationError.directoryUnreadable(directory.path)
        }
        let files = try names.filter { $0.hasSuffix(".sql") }.sorted().map { name in
            try MigrationFile(fileName: name, contents: Data(contentsOf: directory.appendingPathComponent(name)))
        }
        var seen: Set<String> = []
        for file in files where !seen.insert(file.version).inserted {
            throw MigrationError.duplicateVersion(file.version)
        }
        return files
    }
}
