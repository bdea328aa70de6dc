import Foundation
import JSON
import Testing

@Suite struct JSONValueTests {
    @Test func parsesAndEncodesEveryKindOfValue() throws {
        let text = #"{"a":1,"b":2.5,"c":"x","d":true,"e":null,"f":[1,"2"],"g":{"h":[]}}"#
        let value = try JSONValue(parsing: Data(text.utf8))
        #expect(value["a"] == .int(1))
        #expect(value["b"] == .double(2.5))
        #expect(value["c"] == .string("x"))
        #expect(value["d"] == .bool(true))
        #expect(value["e"] == .null)
        #expect(value["f"] == [1, "2"])
        #expect(try JSONValue(parsing: value.encoded()) == value)
    }

    @Test func encodingSortsKeysSoEqualValuesGiveEqualBytes() {
        let one: JSONValue = ["b": 1, "a": ["d": 2, "c": 3]]
        let two: JSONValue = ["a": ["c": 3, "d": 2], "b": 1]
        #expect(one.encoded() == two.encoded())
        #expect(one.encodedString() == #"{"a":{"c":3,"d":2},"b":1}"#)
    }

    @Test func largeIntegersRoundTripExactly() throws {
        let value = try JSONValue(parsing: Data("[9007199254740993]".utf8))
        #expect(value == [.int(9_007_199_254_740_993)])
    }

    @Test func lenientAccessorsAcceptPHPStyleValues() {
        #expect(JSONValue.string("12").lenientInt == 12)
        #expect(JSONValue.double(3).lenientInt == 3)
        #expect(JSONValue.double(3.5).lenientInt == nil)
        #expect(JSONValue.string("12.50").lenientDouble == 12.5)
        #expect(JSONValue.int(42).lenientString == "42")
        #expect(JSONValue.array([]).lenientObject == [:])
        #expect(JSONValue.array([1]).lenientObject == nil)
        #expect(JSONValue.bool(true).lenientInt == nil)
    }

    @Test func malformedTextIsAnError() {
        #expect(throws: (any Error).self) { try JSONValue(parsing: Data("{\"a\":".utf8)) }
        #expect(throws: (any Error).self) { try JSONValue(parsing: Data([0xff, 0xfe])) }
    }
}
