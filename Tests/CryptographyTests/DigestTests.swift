import Cryptography
import Testing

@Suite struct DigestTests {
    /// RFC 4231 §4.2.
    @Test func hmacSha256Rfc4231Case1() {
        let code = HMACSHA256.authenticationCode(key: [UInt8](repeating: 0x0b, count: 20), message: Array("Hi There".utf8))
        #expect(code.hexString == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
    }

    /// RFC 4231 §4.3: a key shorter than the block size.
    @Test func hmacSha256Rfc4231Case2() {
        let code = HMACSHA256.authenticationCode(
            key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8))
        #expect(code.hexString == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test func hmacWithEmptyKeyAndMessageIsComputed() {
        // HMAC-SHA256("", ""), a widely published value.
        let code = HMACSHA256.authenticationCode(key: [], message: [])
        #expect(code.hexString == "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad")
    }

    @Test func hmacVerificationAcceptsTheRightCodeOnly() {
        let key = SecureRandom.bytes(32)
        let message = Array("tenant-42".utf8)
        let code = HMACSHA256.authenticationCode(key: key, message: message)
        #expect(HMACSHA256.isValidAuthenticationCode(code, key: key, message: message))
        #expect(!HMACSHA256.isValidAuthenticationCode(code, key: key, message: Array("tenant-43".utf8)))
        #expect(!HMACSHA256.isValidAuthenticationCode(Array(code.prefix(16)), key: key, message: message))
    }

    /// FIPS 180-4 example "abc".
    @Test func sha256OfAbcMatchesFips180Example() {
        #expect(SHA256.hash(Array("abc".utf8)).hexString == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hexDigest("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func sha256OfEmptyInputMatchesKnownDigest() {
        #expect(SHA256.hexDigest([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test func hexRoundTripsAndRejectsNonHex() {
        #expect([UInt8]([0x00, 0xab, 0xff, 0x10]).hexString == "00abff10")
        #expect([UInt8](hexString: "00ABff10") == [0x00, 0xab, 0xff, 0x10])
        #expect([UInt8](hexString: "") == [])
        #expect([UInt8](hexString: "abc") == nil)
        #expect([UInt8](hexString: "zz") == nil)
    }
}
