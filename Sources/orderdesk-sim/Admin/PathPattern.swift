import Foundation

/// A glob over the API path (the part after `/api/v2`): `*` matches within one path segment, `**`
/// matches across segments, and a pattern of just `*` or `**` matches every path.
struct PathPattern: Sendable, Equatable {
    let text: String

    init(_ text: String) {
        var pattern = text.trimmingCharacters(in: .whitespaces)
        if pattern.hasPrefix("/api/v2") { pattern.removeFirst("/api/v2".count) }
        if pattern.isEmpty || pattern == "*" || pattern == "**" {
            self.text = "**"
        } else {
            self.text = pattern.hasPrefix("/") || pattern.hasPrefix("*") ? pattern : "/" + pattern
        }
    }

    func matches(_ path: String) -> Bool {
        Self.match(Array(text.utf8)[...], Array(path.utf8)[...])
    }

    private static func match(_ pattern: ArraySlice<UInt8>, _ path: ArraySlice<UInt8>) -> Bool {
        let star = UInt8(ascii: "*"), slash = UInt8(ascii: "/")
        guard let first = pattern.first else { return path.isEmpty }
        if first == star {
            let crossesSegments = pattern.dropFirst().first == star
            let rest = pattern.dropFirst(crossesSegments ? 2 : 1)
            var candidate = path
            while true {
                if match(rest, candidate) { return true }
                guard let next = candidate.first, crossesSegments || next != slash else { return false }
                candidate = candidate.dropFirst()
            }
        }
        guard let next = path.first, next == first else { return false }
        return match(pattern.dropFirst(), path.dropFirst())
    }
}
