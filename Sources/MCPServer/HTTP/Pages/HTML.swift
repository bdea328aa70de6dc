/// A piece of HTML that is safe to send: literal markup written in the source, with every
/// interpolated `String` escaped by `HTML.escape` and only other `HTML` values inserted as they are.
///
/// The one way text reaches a page, so no value (a client's name, a state, an address) can become
/// markup: `"<p>\(name)</p>" as HTML` escapes `name`; there is no unescaped string interpolation.
struct HTML: Sendable, Equatable, ExpressibleByStringInterpolation, CustomStringConvertible {
    private(set) var markup: String

    init(stringLiteral value: String) { markup = value }

    init(stringInterpolation: Interpolation) { markup = stringInterpolation.markup }

    private init(markup: String) { self.markup = markup }

    var description: String { markup }

    struct Interpolation: StringInterpolationProtocol {
        var markup = ""

        init(literalCapacity: Int, interpolationCount: Int) { markup.reserveCapacity(literalCapacity * 2) }

        mutating func appendLiteral(_ literal: String) { markup += literal }

        /// Text: escaped.
        mutating func appendInterpolation(_ text: String) { markup += HTML.escape(text) }

        /// Markup built elsewhere from `HTML` values: inserted as it is.
        mutating func appendInterpolation(_ html: HTML) { markup += html.markup }

        /// A list of fragments, one after the other.
        mutating func appendInterpolation(_ fragments: [HTML]) {
            for fragment in fragments { markup += fragment.markup }
        }
    }

    /// Escapes the five characters that are markup in text and in quoted attribute values
    /// (`&`, `<`, `>`, `"`, `'`), so the result is inert in both places.
    static func escape(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for character in text.unicodeScalars {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.unicodeScalars.append(character)
            }
        }
        return escaped
    }
}
