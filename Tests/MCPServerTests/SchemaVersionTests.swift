import App
import Foundation
import Testing

@Suite struct SchemaVersionTests {
    /// `/readyz` compares the database with `SchemaVersion.required`; forgetting to bump it when
    /// adding a migration would let a new replica serve an old schema.
    @Test func requiredSchemaVersionIsTheNewestMigrationFile() throws {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("migrations")
        let versions = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".sql") }.map { String($0.prefix(4)) }
        #expect(versions.max() == SchemaVersion.required)
    }
}
