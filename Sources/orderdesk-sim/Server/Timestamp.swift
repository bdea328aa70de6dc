import Foundation

/// OrderDesk's wall-clock format, `YYYY-MM-DD HH:MM:SS` in UTC, and conversions to and from Unix
/// seconds.
///
/// Done with civil-date arithmetic instead of `DateFormatter` so seeded data never depends on the
/// machine's locale, calendar or time zone database.
enum Timestamp {
    /// `YYYY-MM-DD HH:MM:SS` for a Unix time.
    static func string(fromUnix seconds: Int64) -> String {
        let (days, secondOfDay) = seconds.floorDivided(by: 86_400)
        let (year, month, day) = civilDate(fromDays: days)
        return String(
            format: "%04d-%02d-%02d %02d:%02d:%02d", Int(year), Int(month), Int(day),
            Int(secondOfDay / 3600), Int(secondOfDay % 3600 / 60), Int(secondOfDay % 60))
    }

    /// `YYYY-MM-DD` for a Unix time (shipments' `date_shipped`).
    static func dateString(fromUnix seconds: Int64) -> String {
        String(string(fromUnix: seconds).prefix(10))
    }

    /// ISO 8601 with milliseconds (`2025-04-15T12:12:10.123Z`), used by the admin request log.
    static func iso8601(fromUnixMilliseconds milliseconds: Int64) -> String {
        let (seconds, millis) = milliseconds.floorDivided(by: 1000)
        let text = string(fromUnix: seconds).replacingOccurrences(of: " ", with: "T")
        return text + String(format: ".%03dZ", Int(millis))
    }

    static func nowUnix() -> Int64 { Int64(Date().timeIntervalSince1970) }

    static func now() -> String { string(fromUnix: nowUnix()) }

    /// Parses `YYYY-MM-DD`, `YYYY-MM-DD HH:MM` or `YYYY-MM-DD HH:MM:SS` (a `T` separator is accepted).
    /// A bare date means the start of that day, or its last second when `endOfDay` is set, so an end
    /// date filter includes the whole day.
    static func unix(from text: String, endOfDay: Bool = false) -> Int64? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let parts = trimmed.split(maxSplits: 1, whereSeparator: { $0 == " " || $0 == "T" })
        guard let datePart = parts.first else { return nil }
        let dateFields = datePart.split(separator: "-", omittingEmptySubsequences: false).map { Int64($0) }
        guard dateFields.count == 3, let year = dateFields[0], let month = dateFields[1], let day = dateFields[2],
            (1...12).contains(month), (1...31).contains(day), datePart.count == 10
        else { return nil }
        var secondOfDay: Int64 = endOfDay ? 86_399 : 0
        if parts.count == 2 {
            let timeFields = parts[1].split(separator: ":", omittingEmptySubsequences: false).map { Int64($0) }
            guard (2...3).contains(timeFields.count), timeFields.allSatisfy({ $0 != nil }) else { return nil }
            let hour = timeFields[0]!, minute = timeFields[1]!, second = timeFields.count == 3 ? timeFields[2]! : 0
            guard (0...23).contains(hour), (0...59).contains(minute), (0...59).contains(second) else { return nil }
            secondOfDay = hour * 3600 + minute * 60 + second
        }
        return days(fromCivilYear: year, month: month, day: day) * 86_400 + secondOfDay
    }

    /// Converts a wall-clock time in `timeZone` (given as if it were UTC) to real UTC seconds, for the
    /// `*_local` date filters.
    static func utc(fromLocal localSeconds: Int64, in timeZone: TimeZone) -> Int64 {
        let guess = localSeconds - Int64(timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(localSeconds))))
        return localSeconds - Int64(timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(guess))))
    }

    // Howard Hinnant's days_from_civil / civil_from_days (proleptic Gregorian calendar).
    private static func days(fromCivilYear year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    private static func civilDate(fromDays days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}

extension Int64 {
    /// Division rounding toward negative infinity, with a non-negative remainder.
    fileprivate func floorDivided(by divisor: Int64) -> (quotient: Int64, remainder: Int64) {
        let remainder = ((self % divisor) + divisor) % divisor
        return ((self - remainder) / divisor, remainder)
    }
}
