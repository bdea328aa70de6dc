import Foundation

/// timestamptz in the ISO text form the connection is set up for (`DateStyle=ISO`, `TimeZone=UTC`):
/// `2026-11-26 14:29:26.123456+00`.
enum PostgresTimestamp {
    /// Microsecond precision, like timestamptz itself (ISO 8601 formatters stop at milliseconds).
    static func format(_ date: Date) -> String {
        let totalMicroseconds = (date.timeIntervalSince1970 * 1_000_000).rounded()
        let seconds = (totalMicroseconds / 1_000_000).rounded(.down)
        let micros = Int(totalMicroseconds - seconds * 1_000_000)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 0)!
        let parts = calendar.dateComponents(
            [.year, .month, .day, .hour, .minute, .second], from: Date(timeIntervalSince1970: seconds))
        func pad(_ value: Int?, _ width: Int) -> String {
            let text = String(value ?? 0)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(parts.year, 4))-\(pad(parts.month, 2))-\(pad(parts.day, 2)) "
            + "\(pad(parts.hour, 2)):\(pad(parts.minute, 2)):\(pad(parts.second, 2)).\(pad(micros, 6))+00"
    }

    /// `text` as a date; nil when it is not a timestamptz in that form.
    static func parse(_ text: String) -> Date? {
        var text = text
        // The form the server always sends, read directly (this runs for every timestamp of every row);
        // anything else (a year past 9999, an offset with seconds) takes the general path.
        return text.withUTF8(parseISO) ?? parseGenerally(text)
    }

    /// "YYYY-MM-DD HH:MM:SS[.f{1,6}]±HH[:MM]" exactly, else nil.
    static func parseISO(_ bytes: UnsafeBufferPointer<UInt8>) -> Date? {
        var position = 0
        func digits(_ count: Int) -> Int? {
            guard position + count <= bytes.count else { return nil }
            var value = 0
            for _ in 0..<count {
                let digit = Int(bytes[position]) - 48
                guard digit >= 0 && digit <= 9 else { return nil }
                value = value * 10 + digit
                position += 1
            }
            return value
        }
        func skip(_ byte: Character) -> Bool {
            guard position < bytes.count, bytes[position] == byte.asciiValue! else { return false }
            position += 1
            return true
        }
        guard let year = digits(4), skip("-"), let month = digits(2), skip("-"), let day = digits(2), skip(" "),
            let hour = digits(2), skip(":"), let minute = digits(2), skip(":"), let second = digits(2),
            (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 60
        else { return nil }
        var microseconds = 0
        if skip(".") {
            var places = 0
            while position < bytes.count, places < 6, let digit = digits(1) {
                microseconds = microseconds * 10 + digit
                places += 1
            }
            guard places > 0 else { return nil }
            for _ in places..<6 { microseconds *= 10 }
        }
        guard position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-")
        else { return nil }
        let sign = bytes[position] == UInt8(ascii: "-") ? -1 : 1
        position += 1
        guard let offsetHours = digits(2) else { return nil }
        var offsetMinutes = 0
        if skip(":") {
            guard let minutes = digits(2) else { return nil }
            offsetMinutes = minutes
        }
        guard position == bytes.count else { return nil }
        let days = daysSinceEpoch(year: year, month: month, day: day)
        let seconds = days * 86_400 + hour * 3_600 + minute * 60 + second - sign * (offsetHours * 3_600 + offsetMinutes * 60)
        return Date(timeIntervalSince1970: Double(seconds) + Double(microseconds) / 1_000_000)
    }

    /// Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's days_from_civil).
    static func daysSinceEpoch(year: Int, month: Int, day: Int) -> Int {
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
        let yearOfEra = shiftedYear - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func parseGenerally(_ text: String) -> Date? {
        // "YYYY-MM-DD HH:MM:SS[.ffffff]+00[:MM]"
        let parts = text.split(separator: " ", maxSplits: 1)
        guard parts.count == 2 else { return nil }
        let dateParts = parts[0].split(separator: "-").compactMap { Int($0) }
        guard dateParts.count == 3 else { return nil }
        var time = Substring(parts[1])
        var offsetSeconds = 0
        if let signIndex = time.lastIndex(where: { $0 == "+" || $0 == "-" }) {
            let sign = time[signIndex] == "-" ? -1 : 1
            let offset = time[time.index(after: signIndex)...].split(separator: ":").compactMap { Int($0) }
            guard !offset.isEmpty else { return nil }
            offsetSeconds = sign * (offset[0] * 3600 + (offset.count > 1 ? offset[1] * 60 : 0))
            time = time[..<signIndex]
        }
        let hms = time.split(separator: ":")
        guard hms.count == 3, let hour = Int(hms[0]), let minute = Int(hms[1]), let second = Double(hms[2]) else {
            return nil
        }
        var components = DateComponents()
        components.year = dateParts[0]
        components.month = dateParts[1]
        components.day = dateParts[2]
        components.hour = hour
        components.minute = minute
        components.second = 0
        components.timeZone = TimeZone(secondsFromGMT: 0)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 0)!
        guard let base = calendar.date(from: components) else { return nil }
        return base.addingTimeInterval(second - Double(offsetSeconds))
    }
}
