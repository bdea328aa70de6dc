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

    static func parse(_ text: String) -> Date? {
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
