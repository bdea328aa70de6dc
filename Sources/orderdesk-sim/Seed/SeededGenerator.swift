/// SplitMix64: a tiny, fast generator whose output depends only on its seed. The standard library's
/// `random(in:using:)` helpers are avoided on purpose, since their algorithms may change between
/// Swift releases and seeded data must not.
struct SeededGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    /// A generator for one store: the same `--seed` and store id always give the same data,
    /// whatever other stores are configured.
    init(seed: UInt64, storeID: String) {
        self.init(seed: seed ^ Self.fnv1a(storeID))
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in `range` (modulo bias is irrelevant for test data).
    mutating func int(in range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.count))
    }

    /// True with the given probability.
    mutating func chance(_ probability: Double) -> Bool {
        Double(next() % 10_000) < probability * 10_000
    }

    mutating func pick<Element>(_ elements: [Element]) -> Element {
        elements[int(in: 0...(elements.count - 1))]
    }

    mutating func digits(_ count: Int) -> String {
        String((0..<count).map { _ in Character(String(int(in: 0...9))) })
    }

    /// FNV-1a, a stable string hash (Swift's `hashValue` is randomized per process).
    static func fnv1a(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        return hash
    }
}
