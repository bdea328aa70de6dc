import Foundation
import Postgres
import Testing

@Suite struct PostgresQueryTests {
    @Test func interpolationsBecomeNumberedBindsNotSQLText() {
        let name = "Robert'); DROP TABLE stores;--"
        let limit = 5
        let query: PostgresQuery = "SELECT * FROM t WHERE name = \(name) AND n < \(limit)"
        #expect(query.sql == "SELECT * FROM t WHERE name = $1 AND n < $2")
        #expect(query.binds.count == 2)
        #expect(query.binds[0].bytes == Array(name.utf8))
        #expect(!query.sql.contains("DROP"))
    }

    @Test func optionalNilBindsAsSQLNull() {
        let missing: String? = nil
        let query: PostgresQuery = "SELECT \(missing)"
        #expect(query.sql == "SELECT $1")
        #expect(query.binds[0].bytes == nil)
    }

    @Test func unsafeSQLIsTheOnlyWayToSpliceText() {
        let query: PostgresQuery = "SELECT \(unsafeSQL: "now()"), \(1)"
        #expect(query.sql == "SELECT now(), $1")
        #expect(query.binds.count == 1)
    }

    @Test func byteaBindsTravelInBinaryFormat() {
        let bytes: [UInt8] = [0, 1, 255]
        let query: PostgresQuery = "SELECT \(bytes)"
        #expect(query.binds[0].isBinary)
        #expect(query.binds[0].typeOID == 17)
    }

    @Test func errorDescriptionNeverCarriesTheServerMessage() {
        let error = PostgresError(
            code: .server, sqlState: "22P02", serverMessage: "invalid input syntax for type uuid: \"s3cret\"")
        #expect(!error.description.contains("s3cret"))
        #expect(error.description.contains("22P02"))
    }
}
