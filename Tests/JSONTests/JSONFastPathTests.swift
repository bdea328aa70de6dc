import Foundation
import JSON
import Testing

/// The hand-written parser and writer against the Foundation coders they replaced, which stay
/// reachable through `JSONValue`'s Codable conformance: same bytes out, same values in, same errors.
@Suite struct JSONFastPathTests {
    // MARK: Writing

    @Test func writerMatchesJSONEncoderOnRandomValues() {
        var generator = ValueGenerator(seed: 1)
        var mismatches: [String] = []
        var nullDocuments = 0
        for _ in 0..<3000 {
            let value = generator.value()
            let expected = legacyEncoded(value)
            if value.encoded() != expected || value.encodedString() != String(decoding: expected, as: UTF8.self) {
                mismatches.append(
                    "\(value)\n  new: \(value.encodedString())\n  old: \(String(decoding: expected, as: UTF8.self))")
            }
            if expected == Data("null".utf8), value != .null { nullDocuments += 1 }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) mismatches, first: \(mismatches.first ?? "")")
        #expect(nullDocuments > 10, "the generator should also make values with NaN or infinity")
    }

    @Test func keysSortByUTF8BytesLikeJSONEncoder() {
        let value: JSONValue = [
            "b": 1, "B": 2, "a": 3, "\u{e9}": 4, "z": 5, "😀": 6, "\u{ffff}": 7, "a\u{301}": 8, "\u{e1}\u{300}": 9,
            "": 10, "aa": 11, "a ": 12, "\u{7f}": 13, "\u{0}": 14, "Z": 15, "\u{10ffff}": 16, "\u{ff}": 17,
        ]
        let expected =
            #"{"":10,"\u0000":14,"B":2,"Z":15,"a":3,"a ":12,"aa":11,"a\#u{301}":8,"b":1,"z":5,"\#u{7f}":13,"#
            + #""\#u{e1}\#u{300}":9,"\#u{e9}":4,"\#u{ff}":17,"\#u{ffff}":7,"😀":6,"\#u{10ffff}":16}"#
        #expect(value.encodedString() == expected)
        #expect(value.encoded() == legacyEncoded(value))
    }

    @Test func stringsEscapeExactlyLikeJSONEncoder() {
        var everyASCII = ""
        for byte in UInt8(0)..<0x80 { everyASCII.unicodeScalars.append(Unicode.Scalar(byte)) }
        let texts = [
            everyASCII, "\u{80}\u{9f}\u{a0}\u{2028}\u{2029}\u{feff}\u{fffe}\u{ffff}\u{10ffff}", "😀👨‍👩‍👧e\u{301}",
            "a/b\\c\"d", "", "\u{0}", "\"\"\"", "\\\\", "end\u{1f}",
        ]
        for text in texts {
            #expect(JSONValue.string(text).encoded() == legacyEncoded(.string(text)), "\(text.debugDescription)")
        }
        #expect(JSONValue.string("\u{8}\u{9}\u{a}\u{c}\u{d}\u{1}\u{1f}").encodedString() == #""\b\t\n\f\r\u0001\u001f""#)
        #expect(JSONValue.string("/\u{7f}\u{2028}é").encodedString() == "\"/\u{7f}\u{2028}é\"")
    }

    @Test func numbersFormatLikeJSONEncoder() {
        let doubles: [(Double, String)] = [
            (2.0, "2"), (-0.0, "-0"), (0.0, "0"), (1e-7, "1e-07"), (123_456_789_012_345_680_000.0, "1.2345678901234568e+20"),
            (1e16, "1e+16"), (1e15, "1000000000000000"), (0.1, "0.1"), (12.5, "12.5"), (-1.5e-300, "-1.5e-300"),
            (.leastNonzeroMagnitude, "5e-324"), (.greatestFiniteMagnitude, "1.7976931348623157e+308"),
            (9_007_199_254_740_992, "9007199254740992"),
        ]
        for (number, text) in doubles {
            #expect(JSONValue.double(number).encodedString() == text)
            #expect(JSONValue.double(number).encoded() == legacyEncoded(.double(number)), "\(number)")
        }
        for number in [Int64.min, .min + 1, -1, 0, 1, 9, 10, .max - 1, .max] {
            #expect(JSONValue.int(number).encodedString() == String(number))
            #expect(JSONValue.int(number).encoded() == legacyEncoded(.int(number)))
        }
    }

    @Test func nonFiniteDoublesMakeTheWholeDocumentNull() {
        for value: JSONValue in [.double(.nan), .double(.infinity), [1, .double(-.infinity)], ["a": ["b": .double(.nan)]]] {
            #expect(value.encodedString() == "null")
            #expect(value.encoded() == Data("null".utf8))
            #expect(legacyEncoded(value) == Data("null".utf8))
        }
    }

    @Test func writerRefusesNestingFoundationRefused() {
        for depth in [510, 511, 512, 513] {
            var array: JSONValue = 1
            var object: JSONValue = 1
            for _ in 0..<depth {
                array = [array]
                object = ["k": object]
            }
            #expect(array.encoded() == legacyEncoded(array), "arrays nested \(depth) deep")
            #expect(object.encoded() == legacyEncoded(object), "objects nested \(depth) deep")
            #expect((array.encodedString() == "null") == (depth >= 512))
        }
    }

    // MARK: Parsing

    @Test func parserMatchesJSONDecoderOnRandomDocuments() {
        var generator = ValueGenerator(seed: 2)
        let pretty = JSONEncoder()
        pretty.outputFormatting = [.prettyPrinted, .sortedKeys]
        var mismatches: [String] = []
        for round in 0..<3000 {
            let value = generator.value()
            let text = round % 3 == 0 ? (try? pretty.encode(value)) ?? Data("null".utf8) : legacyEncoded(value)
            let new = try? JSONValue(parsing: text)
            let old = try? JSONDecoder().decode(JSONValue.self, from: text)
            if new == nil || new != old {
                mismatches.append("\(String(decoding: text, as: UTF8.self))\n  new: \(String(describing: new))")
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) mismatches, first: \(mismatches.first ?? "")")
    }

    @Test func parsingWhatWasWrittenGivesTheValueBack() throws {
        var generator = ValueGenerator(seed: 3, wholeDoubles: false)
        for _ in 0..<2000 {
            let value = generator.value()
            #expect(try JSONValue(parsing: value.encoded()) == value, "\(value.encodedString())")
        }
        // Whole doubles come back as integers of the same value: 2.0 is written "2", 1e17 "1e+17".
        var anyValue = ValueGenerator(seed: 4)
        for _ in 0..<2000 {
            let value = anyValue.value()
            let text = value.encoded()
            guard text != Data("null".utf8) else { continue }
            #expect(sameExceptNumberKinds(value, try JSONValue(parsing: text)), "\(String(decoding: text, as: UTF8.self))")
        }
    }

    @Test(arguments: [
        "null", "true", "false", "0", "-0", "7", "-12", "9223372036854775807", "-9223372036854775808",
        "9223372036854775808", "-9223372036854775809", "123456789012345678901234567890", "18446744073709551616",
        "2.5", "-1.5E-3", "1.0e-2", "5e-1", "125e-3", "12.5e-1", "1e19", "12345678901234567890.0",
        "1.7976931348623157e308", "4.9e-324", "9007199254740993", "1.0", "1e2", "1E+2", "1e05", "-0.0", "0e-400",
        "1.5e1", "150e-1", "0.1e1", "1.25e+2", "1e18", "0.000000000000000000001e21", "123456789012345678.9e1",
        "9007199254740993.0", "\"\"", #""\u0041\u00e9\u00E9""#, #""\ud83d\ude00\uD83D\uDE00\uDBFF\uDFFF""#,
        #""\"\\\/\b\f\n\r\t""#, #""\u0000""#, "\"a\u{7f}b\u{2028}é😀\"", "[]", "{}", "[1,]", "[1 , ]", "[[1,],]",
        "{\"a\":1,}", "{\"a\":[1,],}", "{\"a\":1 , }", "[\"a\",]", " 1 ", "\n\t\r 1 \n", "\r\n[\r\n]\r\n",
        "[1\n,2]", #"{"a":1,"b":[true,false,null],"c":{"d":"e"}}"#, #"{"a":1,"a":2}"#, "{\"\":1}",
        "{\"\u{e9}\":1,\"e\u{301}\":2}", "{\"e\u{301}\":1,\"\u{e9}\":2}",
        // Rejected by both:
        "", " ", "[", "{", "[1,", "{\"a\"", "{\"a\":", "\"abc", "\"\\", "\"\\u", #""\u00""#, #""\uGGGG""#,
        #""\ud800""#, #""\udc00""#, #""\ud800\u0041""#, #""\ud800x""#, #""\uDC00\uD800""#, #""\ud83d\""#, #""\x""#,
        #""\'""#, "\"a\tb\"", "[,]", "[1,,2]", "[1,,]", "{,}", "{\"a\":1,,}", "1,", "[1 2]", "{\"a\" 1}", "{1:1}",
        "{\"a\":1\"b\":2}", "\"a\"\"b\"", "1 2", "[1]x", "[1]]", "{\"a\":1}x", "1a", "1true", "[1true]", "truex",
        "nulll", "[true1]", "tru", "nul", "tRue", "True", "01", "-01", "00", "[01]", "01.5", "1.", ".5", "-.5", "0.",
        "+1", "-", "--1", "1-", "[-]", "1e", "1e+", "1.5e", "1.e5", "1e1.5", "0x10", "Infinity", "-Infinity", "NaN",
        "1e400", "-1e400", "[1e400]", "{\"a\":1e400}", "1.7976931348623159e308", "1e9999999999999999999999",
        "/*c*/1", "1 //", "\u{c}1", "1\u{c}", "\u{b}1", "\u{a0}1", "[1,2]\u{0}", "\"a\"\u{0}",
    ])
    func parserMatchesJSONDecoderOnHandPickedText(_ text: String) {
        let data = Data(text.utf8)
        let new = try? JSONValue(parsing: data)
        let old = try? JSONDecoder().decode(JSONValue.self, from: data)
        #expect(new == old)
        #expect(new?.encoded() == old?.encoded())
    }

    @Test(
        arguments: [
            [0xEF, 0xBB, 0xBF, 0x31], [0xEF, 0xBB, 0xBF, 0x5B, 0x31, 0x5D], [0xEF, 0xBB, 0xBF],
            [0xFF, 0xFE, 0x5B, 0x00, 0x31, 0x00, 0x5D, 0x00], [0xFE, 0xFF, 0x00, 0x5B, 0x00, 0x31, 0x00, 0x5D],
            [0x5B, 0x00, 0x31, 0x00, 0x5D, 0x00], [0x00, 0x5B, 0x00, 0x31, 0x00, 0x5D], [0x31, 0x00], [0x00, 0x31],
            [0x5B, 0x00, 0x00, 0x00, 0x31, 0x00, 0x00, 0x00, 0x5D, 0x00, 0x00, 0x00],
            [0x00, 0x00, 0x00, 0x5B, 0x00, 0x00, 0x00, 0x31, 0x00, 0x00, 0x00, 0x5D],
            [0x00, 0x00, 0xFE, 0xFF, 0x00, 0x00, 0x00, 0x31], [0xFE, 0xFF, 0x00, 0x00, 0x31, 0x00, 0x00, 0x00],
            [0xFF, 0xFE, 0x00, 0xD8, 0x31, 0x00], [0xFF, 0xFE], [0xFE, 0xFF], [0x00], [0x00, 0x00, 0x00, 0x00],
            [0xEF, 0xBB, 0xBF, 0xEF, 0xBB, 0xBF, 0x31], [0x22, 0x61, 0x22, 0x00],
        ] as [[UInt8]])
    func otherUnicodeEncodingsAreReadLikeJSONDecoder(_ bytes: [UInt8]) {
        let new = try? JSONValue(parsing: Data(bytes))
        let old = try? JSONDecoder().decode(JSONValue.self, from: Data(bytes))
        #expect(new == old)
    }

    @Test(
        arguments: [
            [0x22, 0xFF, 0x22], [0x22, 0xC3, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22], [0x22, 0xC0, 0x80, 0x22],
            [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], [0x22, 0x00, 0x22], [0x5B, 0x22, 0x80, 0x22, 0x5D],
            [0x22, 0xE2, 0x82, 0x22], [0x22, 0xC3, 0x5C, 0x6E, 0x22], [0x22, 0x5C, 0x75, 0x30, 0x30, 0x65, 0x39, 0xA9, 0x22],
            [0x7B, 0x22, 0xFF, 0x22, 0x3A, 0x31, 0x7D], [0xC3, 0xA9], [0x80], [0xFF, 0xFE],
        ] as [[UInt8]])
    func invalidTextIsRejectedWithDecodingError(_ bytes: [UInt8]) {
        #expect(throws: DecodingError.self) { try JSONValue(parsing: Data(bytes)) }
        #expect((try? JSONDecoder().decode(JSONValue.self, from: Data(bytes))) == nil)
    }

    /// Fractions and exponents: `.int` only when the literal's exact value is a whole number that
    /// fits `Int64`. The Codable path looked at the nearest double instead (fuzz BUG-3).
    @Test(
        arguments: [
            ("1e-400", .double(0)), ("1.00000000000000000001", .double(1)), ("0.99999999999999999999", .double(1)),
            ("2e-324", .double(0)), ("1e-9999999999999999999999", .double(0)),
            ("9007199254740993.5", .double(9_007_199_254_740_994)),
            ("9223372036854775807.0", .int(.max)), ("-9223372036854775808.0", .int(.min)), ("9223372036854775807e0", .int(.max)),
            ("92233720368547758070e-1", .int(.max)), ("9223372036854775808.0", .double(9_223_372_036_854_775_808)),
            ("1.0", .int(1)), ("1e2", .int(100)), ("-0.0", .int(0)), ("0e9999999999999999999999", .int(0)), ("1.5e1", .int(15)),
            ("150e-1", .int(15)), ("1e18", .int(1_000_000_000_000_000_000)),
            ("100000000000000000000e-5", .int(1_000_000_000_000_000)),
            ("1e19", .double(1e19)), ("12.50", .double(12.5)), ("1e-1", .double(0.1)),
        ] as [(String, JSONValue)])
    func fractionsAndExponentsGiveAnIntegerOnlyForWholeValues(_ literal: String, _ expected: JSONValue) throws {
        let value = try JSONValue(parsing: Data(literal.utf8))
        #expect(value == expected)
    }

    @Test func aFractionalJSONRPCIdIsNoLongerAnInteger() throws {
        for literal in ["1e-400", "1.00000000000000000001"] {
            let message = try JSONValue(parsing: Data(#"{"jsonrpc":"2.0","id":\#(literal),"method":"ping"}"#.utf8))
            guard case .double = message["id"] else {
                Issue.record("id \(literal) parsed as \(String(describing: message["id"]))")
                continue
            }
        }
    }

    @Test func duplicateKeysKeepTheFirstValueAndItsSpelling() throws {
        #expect(try JSONValue(parsing: Data(#"{"a":1,"a":2}"#.utf8)) == ["a": 1])
        // Canonically equivalent keys are one Swift String key; the first spelling (precomposed é) stays.
        let value = try JSONValue(parsing: Data("{\"\u{e9}\":1,\"e\u{301}\":2}".utf8))
        #expect(value.objectValue?.keys.first?.unicodeScalars.count == 1)
        #expect(value.encodedString() == "{\"\u{e9}\":1}")
        #expect(
            value.encoded()
                == legacyEncoded(try JSONDecoder().decode(JSONValue.self, from: Data("{\"\u{e9}\":1,\"e\u{301}\":2}".utf8))))
    }

    @Test func parserRefusesNestingFoundationRefused() {
        for depth in [511, 512, 513] {
            let arrays = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
            let objects = String(repeating: #"{"a":"#, count: depth) + "1" + String(repeating: "}", count: depth)
            for text in [arrays, objects] {
                #expect(((try? JSONValue(parsing: Data(text.utf8))) != nil) == (depth <= 512), "nested \(depth) deep")
            }
        }
        // JSONDecoder takes seconds on deep input, so it is asked about the limit itself only.
        for depth in [512, 513] {
            let arrays = Data((String(repeating: "[", count: depth) + String(repeating: "]", count: depth)).utf8)
            #expect((try? JSONValue(parsing: arrays)) == (try? JSONDecoder().decode(JSONValue.self, from: arrays)))
        }
        #expect(throws: DecodingError.self) { try JSONValue(parsing: Data(String(repeating: "[", count: 200_000).utf8)) }
    }

    /// Every lead byte followed by up to three bytes around the continuation ranges' edges, as a string.
    @Test func utf8IsValidatedLikeJSONDecoder() {
        let followers: [UInt8] = [0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0]
        var sequences: [[UInt8]] = []
        for lead in UInt8(0x80)...0xFF {
            sequences.append([lead])
            for second in followers {
                sequences.append([lead, second])
                for third in [0x80, 0xBF, 0x41] as [UInt8] {
                    sequences.append([lead, second, third])
                    sequences += [[lead, second, third, 0x80], [lead, second, third, 0x41]]
                }
            }
        }
        var mismatches: [[UInt8]] = []
        var valid = 0
        for sequence in sequences {
            let text = Data([0x22] + sequence + [0x22])
            let new = try? JSONValue(parsing: text)
            if new != (try? JSONDecoder().decode(JSONValue.self, from: text)) { mismatches.append(sequence) }
            if new != nil { valid += 1 }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) mismatches, first: \(mismatches.first ?? [])")
        #expect(valid > 500 && valid < sequences.count - 500)
    }

    @Test func mutatedDocumentsAreAcceptedAndRejectedLikeJSONDecoder() {
        var generator = ValueGenerator(seed: 5)
        var random = SplitMix64(seed: 6)
        let alphabet = Array(#"{}[]",:-+.eE0123456789 \u"#.utf8) + [0x09, 0x0A, 0x74, 0x66, 0x6E, 0x80, 0xC3, 0xFF, 0x00]
        var mismatches: [String] = []
        var accepted = 0
        for _ in 0..<3000 {
            var bytes = Array(legacyEncoded(generator.value(maximumDepth: 3)))
            for _ in 0..<Int.random(in: 1...3, using: &random) {
                let position = Int.random(in: 0...bytes.count, using: &random)
                switch Int.random(in: 0..<4, using: &random) {
                case 0 where position < bytes.count: bytes.remove(at: position)
                case 1: bytes.insert(alphabet.randomElement(using: &random)!, at: position)
                case 2: bytes.removeSubrange(position...)
                default:
                    let end = min(bytes.count, position + Int.random(in: 1...8, using: &random))
                    bytes.insert(contentsOf: bytes[position..<end], at: position)
                }
            }
            let new = try? JSONValue(parsing: Data(bytes))
            let old = try? JSONDecoder().decode(JSONValue.self, from: Data(bytes))
            if new != nil { accepted += 1 }
            if !sameExceptNumberKinds(old, new) {
                mismatches.append("\(String(decoding: bytes, as: UTF8.self).debugDescription): new \(String(describing: new))")
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) mismatches, first: \(mismatches.first ?? "")")
        #expect(accepted > 300 && accepted < 2700, "mutations should give both valid and invalid text: \(accepted) valid")
    }
}

// MARK: - Oracles

/// What `encoded()` returned before the hand-written writer.
private func legacyEncoded(_ value: JSONValue) -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return (try? encoder.encode(value)) ?? Data("null".utf8)
}

/// Equal values, except where a number literal is read by its exact value now and by its nearest
/// double before (see `fractionsAndExponentsGiveAnIntegerOnlyForWholeValues`): the two results
/// must then agree as doubles, give or take the old path's truncation above 2^53.
private func sameExceptNumberKinds(_ old: JSONValue?, _ new: JSONValue?) -> Bool {
    switch (old, new) {
    case (nil, nil): return true
    case (.array(let old)?, .array(let new)?):
        return old.count == new.count && zip(old, new).allSatisfy { sameExceptNumberKinds($0, $1) }
    case (.object(let old)?, .object(let new)?):
        return old.count == new.count && old.allSatisfy { sameExceptNumberKinds($0.value, new[$0.key]) }
    case (.int(let integer)?, .double(let number)?), (.double(let number)?, .int(let integer)?):
        return Double(integer) == number || (integer.magnitude >= 1 << 53 && abs(Double(integer) - number) <= 2)
    default: return old == new
    }
}

// MARK: - Random values

/// Deterministic random numbers, so a failure can be replayed.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }
}

/// Random JSON values biased toward the edge cases: control characters, quotes, backslashes,
/// non-ASCII and combining text, emoji, the Int64 limits, awkward doubles, deep nesting.
struct ValueGenerator {
    private var random: SplitMix64
    /// False: only doubles that are not whole numbers, which come back from text as doubles.
    private let wholeDoubles: Bool

    init(seed: UInt64, wholeDoubles: Bool = true) {
        random = SplitMix64(seed: seed)
        self.wholeDoubles = wholeDoubles
    }

    mutating func value(maximumDepth: Int = 5) -> JSONValue {
        let kinds = maximumDepth > 0 ? 8 : 6
        switch Int.random(in: 0..<kinds, using: &random) {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &random))
        case 2: return .int(integer())
        case 3: return .double(double())
        case 4, 5: return .string(text())
        case 6: return .array((0..<Int.random(in: 0...5, using: &random)).map { _ in value(maximumDepth: maximumDepth - 1) })
        default:
            var members: [String: JSONValue] = [:]
            for _ in 0..<Int.random(in: 0...6, using: &random) { members[text()] = value(maximumDepth: maximumDepth - 1) }
            return .object(members)
        }
    }

    private mutating func integer() -> Int64 {
        switch Int.random(in: 0..<4, using: &random) {
        case 0: return [Int64.min, .min + 1, -1, 0, 1, .max - 1, .max, 1 << 53, (1 << 53) + 1].randomElement(using: &random)!
        case 1: return Int64.random(in: .min ... .max, using: &random)
        default: return Int64.random(in: -100_000...100_000, using: &random)
        }
    }

    private mutating func double() -> Double {
        while true {
            let number: Double
            switch Int.random(in: 0..<7, using: &random) {
            case 0: number = Double(bitPattern: random.next())
            case 1: number = Double(Int.random(in: -1_000_000...1_000_000, using: &random)) / 100
            case 2: number = Double(Int32.random(in: .min ... .max, using: &random))
            case 3: number = pow(10, Double(Int.random(in: -30...30, using: &random))) * (Bool.random(using: &random) ? 1 : -1)
            case 4:
                number = [-0.0, .leastNonzeroMagnitude, 1e-7, 0.1, 2.5, 9.223372036854776e18, 1e300].randomElement(
                    using: &random)!
            case 5: number = Double.random(in: -1e20...1e20, using: &random)
            default: number = [.nan, .infinity, -.infinity, 1.5].randomElement(using: &random)!
            }
            if wholeDoubles || (number.isFinite && number.rounded() != number) { return number }
        }
    }

    private static let scalars: [Unicode.Scalar] = {
        var scalars = (0x20...0x7E).map { Unicode.Scalar(UInt8($0)) }
        scalars += (0x00...0x1F).map { Unicode.Scalar(UInt8($0)) }
        scalars += ["\"", "\\", "/", "\"", "\\", "/"]
        let others: [UInt32] = [
            0x7F, 0x80, 0x9F, 0xA0, 0xE9, 0x301, 0x300, 0x2028, 0x2029, 0xFEFF, 0xFFFD, 0xFFFF, 0x1F600, 0x10FFFF,
            0x4E2D, 0x200D, 0x1F468, 0x1F469,
        ]
        return scalars + others.compactMap(Unicode.Scalar.init)
    }()

    private mutating func text() -> String {
        var text = String.UnicodeScalarView()
        for _ in 0..<Int.random(in: 0...10, using: &random) { text.append(Self.scalars.randomElement(using: &random)!) }
        return String(text)
    }
}
