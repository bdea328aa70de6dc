/// The date-time text OrderDesk's order searches take: `YYYY-MM-DD` or `YYYY-MM-DD HH:MM:SS` (the
/// two forms its documentation gives, e.g. `2015-04-15 12:05:06`), with real calendar values (no
/// 2026-02-30, no 24:00:00). One definition for the tool's argument check and the client's request
/// builder, so they cannot disagree.
public enum OrderDeskDate {
    /// The example every error message about a date shows, in its long form.
    public static let example = "2026-11-26 14:30:00"

    public static func isValid(_ text: String) -> Bool {
        let digits = Array(text.utf8)
        guard digits.count == 10 || digits.count == 19 else { return false }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for index in range {
                let byte = digits[index]
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        func separator(_ index: Int, _ expected: Character) -> Bool { digits[index] == expected.asciiValue }
        guard let year = number(0..<4), separator(4, "-"), let month = number(5..<7), separator(7, "-"),
            let day = number(8..<10), (1...12).contains(month), (1...days(inMonth: month, year: year)).contains(day)
        else { return false }
        guard digits.count > 10 else { return true }
        guard separator(10, " "), let hour = number(11..<13), separator(13, ":"), let minute = number(14..<16),
            separator(16, ":"), let second = number(17..<19)
        else { return false }
        return hour < 24 && minute < 60 && second < 60
    }

    private static func days(inMonth month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}
