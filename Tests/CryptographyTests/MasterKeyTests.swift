import Cryptography
import Testing

private let base64URLAlphabet = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")

@Suite struct MasterKeyTests {
    @Test func generatedKeyHasPrefixLength48AndBase64URLBody() {
        let key = MasterKey.generate()
        #expect(key.hasPrefix("odmk_"))
        #expect(key.count == 48)
        #expect(key.dropFirst(5).allSatisfy { base64URLAlphabet.contains($0) })
        #expect(!key.contains("="))
        #expect(MasterKey.isWellFormed(key))
    }

    @Test func thousandGeneratedKeysAreDistinct() {
        let keys = Set((0..<1000).map { _ in MasterKey.generate() })
        #expect(keys.count == 1000)
        #expect(keys.allSatisfy(MasterKey.isWellFormed))
    }

    @Test(arguments: [
        "",
        "odmk_",
        "odmk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",  // 42 characters after the prefix
        "odmk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",  // 44
        "odmx_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",  // wrong prefix
        "odmk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+",  // standard base64 character
        "odmk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",  // padding
        "odmk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB",  // non-zero padding bits: not from 32 bytes
    ])
    func malformedKeysAreRejected(key: String) {
        #expect(!MasterKey.isWellFormed(key))
    }

    @Test func canonicalKeyOfZeroBytesIsWellFormed() {
        #expect(MasterKey.isWellFormed("odmk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"))
    }

    @Test func displayPrefixIsTheFirstEightCharacters() {
        let key = MasterKey.generate()
        #expect(MasterKey.displayPrefix(key) == String(key.prefix(8)))
        #expect(MasterKey.displayPrefix(key).hasPrefix("odmk_"))
        #expect(MasterKey.displayPrefix(key).count == 8)
    }

    @Test func fingerprintIsHmacOfTheKeyUnderThePepper() {
        let key = MasterKey.generate()
        let pepper = SecureRandom.bytes(32)
        let fingerprint = MasterKey.fingerprint(key, pepper: pepper)
        #expect(fingerprint.count == 32)
        #expect(fingerprint == MasterKey.fingerprint(key, pepper: pepper))
        #expect(fingerprint == HMACSHA256.authenticationCode(key: pepper, message: Array(key.utf8)))
    }

    @Test func fingerprintDependsOnPepperAndKey() {
        let key = MasterKey.generate()
        let pepper = SecureRandom.bytes(32)
        #expect(MasterKey.fingerprint(key, pepper: pepper) != MasterKey.fingerprint(key, pepper: SecureRandom.bytes(32)))
        #expect(MasterKey.fingerprint(key, pepper: pepper) != MasterKey.fingerprint(MasterKey.generate(), pepper: pepper))
    }
}
