import Cryptography
import Testing

@Suite struct Argon2idTests {
    /// RFC 9106 §5.3: Argon2id, m = 32 KiB, t = 3, p = 4, with secret and associated data.
    @Test func rfc9106Argon2idVectorIsReproduced() throws {
        let parameters = Argon2id(memoryKiB: 32, iterations: 3, parallelism: 4, hashByteCount: 32)
        let tag = try parameters.hashRaw(
            password: [UInt8](repeating: 0x01, count: 32),
            salt: [UInt8](repeating: 0x02, count: 16),
            secret: [UInt8](repeating: 0x03, count: 8),
            associatedData: [UInt8](repeating: 0x04, count: 12))
        #expect(tag.hexString == "0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659")
    }

    @Test func defaultsMeetTheDesignMinimum() {
        let defaults = Argon2id()
        #expect(defaults.memoryKiB >= 19 * 1024)
        #expect(defaults.iterations >= 2)
        #expect(defaults.parallelism == 1)
        #expect(defaults.saltByteCount == 16)
        #expect(defaults.hashByteCount == 32)
    }

    @Test func hashedPasswordVerifiesAndRecordsItsParameters() throws {
        let key = MasterKey.generate()
        let encoded = try Argon2id().hash(password: key)
        #expect(encoded.hasPrefix("$argon2id$v=19$m=19456,t=2,p=1$"))
        #expect(Argon2id.verify(encoded: encoded, password: key))
        #expect(Argon2id.verify(encoded: encoded, password: Array(key.utf8)))
    }

    @Test func wrongPasswordDoesNotVerify() throws {
        let encoded = try Argon2id().hash(password: "correct horse battery staple")
        #expect(!Argon2id.verify(encoded: encoded, password: "correct horse battery stapler"))
        #expect(!Argon2id.verify(encoded: encoded, password: ""))
    }

    @Test func samePasswordHashesDifferentlyEachTime() throws {
        let parameters = Argon2id()
        #expect(try parameters.hash(password: "same") != parameters.hash(password: "same"))
    }

    @Test(arguments: ["", "not a hash", "$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaA", "$argon2id$v=19$m=1"])
    func malformedEncodedStringNeverVerifies(encoded: String) {
        #expect(!Argon2id.verify(encoded: encoded, password: "anything"))
    }

    @Test func saltShorterThanLibargon2MinimumIsRejected() {
        #expect(throws: CryptoError.invalidParameters) {
            try Argon2id(saltByteCount: 4).hash(password: "secret")
        }
        #expect(throws: CryptoError.invalidParameters) {
            try Argon2id(memoryKiB: 32, iterations: 1).hashRaw(password: [1], salt: [1, 2, 3])
        }
    }
}
