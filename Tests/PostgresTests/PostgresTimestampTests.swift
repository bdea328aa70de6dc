import Foundation
import Testing

@testable import Postgres

@Suite struct PostgresTimestampTests {
    private func direct(_ text: String) -> Date? {
        var text = text
        return text.withUTF8(PostgresTimestamp.parseISO)
    }

    @Test func knownInstantsAreReadExactly() throws {
        #expect(PostgresTimestamp.parse("1970-01-01 00:00:00+00") == Date(timeIntervalSince1970: 0))
        #expect(PostgresTimestamp.parse("2000-03-01 00:00:00+00") == Date(timeIntervalSince1970: 951_868_800))
        #expect(PostgresTimestamp.parse("1969-12-31 23:59:59+00") == Date(timeIntervalSince1970: -1))
        #expect(PostgresTimestamp.parse("2026-11-26 16:29:26+02") == Date(timeIntervalSince1970: 1_795_703_366))
        #expect(PostgresTimestamp.parse("2026-11-26 09:59:26-04:30") == Date(timeIntervalSince1970: 1_795_703_366))
        let fraction = try #require(PostgresTimestamp.parse("2026-11-26 14:29:26.123456+00"))
        #expect(abs(fraction.timeIntervalSince1970 - 1_795_703_366.123456) < 1e-6)
        let short = try #require(PostgresTimestamp.parse("2026-11-26 14:29:26.5+00"))
        #expect(short.timeIntervalSince1970 == 1_795_703_366.5)
    }

    @Test func theDirectReadingAgreesWithTheGeneralOneAndWithFormat() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            // 1900 to 2100 in microseconds (further out, a Double holds less than a microsecond).
            let micros = Int64.random(in: -2_208_988_800_000_000...4_102_444_800_000_000, using: &generator)
            let date = Date(timeIntervalSince1970: Double(micros) / 1_000_000)
            let text = PostgresTimestamp.format(date)
            let read = try #require(direct(text), "\(text)")
            let general = try #require(PostgresTimestamp.parseGenerally(text), "\(text)")
            #expect(abs(read.timeIntervalSince1970 - general.timeIntervalSince1970) < 2e-6, "\(text)")
            #expect(PostgresTimestamp.format(read) == text)
        }
    }

    @Test(arguments: [
        "infinity", "12026-01-01 00:00:00+00", "2026-01-01 00:00:00+05:30:15", "2026-01-01T00:00:00+00",
        "2026-13-01 00:00:00+00", "2026-01-01 24:00:00+00", "2026-01-01 00:00:00.+00", "2026-01-01 00:00:00",
        "2026-01-01 00:00:00+00 BC", "2026-01-01 00:00:00.1234567+00", "",
    ])
    func otherShapesAreLeftToTheGeneralReading(text: String) {
        #expect(direct(text) == nil)
        #expect(PostgresTimestamp.parse(text) == PostgresTimestamp.parseGenerally(text))
    }
}
