import Cryptography
import Testing

@Suite struct ConstantTimeTests {
    @Test func equalBytesCompareEqual() {
        let bytes = SecureRandom.bytes(32)
        #expect(ConstantTime.equals(bytes, Array(bytes)))
        #expect(ConstantTime.equals([], []))
    }

    @Test func aDifferenceAnywhereCompareUnequal() {
        let bytes = SecureRandom.bytes(32)
        for index in [0, 15, 31] {
            var other = bytes
            other[index] ^= 0x80
            #expect(!ConstantTime.equals(bytes, other))
        }
    }

    @Test func differentLengthsCompareUnequal() {
        let bytes = SecureRandom.bytes(32)
        #expect(!ConstantTime.equals(bytes, Array(bytes.prefix(31))))
        #expect(!ConstantTime.equals([], [0]))
    }
}
