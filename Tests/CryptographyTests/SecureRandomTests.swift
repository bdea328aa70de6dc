import Cryptography
import Testing

@Suite struct SecureRandomTests {
    @Test func returnsTheRequestedNumberOfBytes() {
        #expect(SecureRandom.bytes(0).isEmpty)
        #expect(SecureRandom.bytes(1).count == 1)
        #expect(SecureRandom.bytes(4096).count == 4096)
    }

    @Test func successiveCallsDiffer() {
        #expect(SecureRandom.bytes(32) != SecureRandom.bytes(32))
    }
}
