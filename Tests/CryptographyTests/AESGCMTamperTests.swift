import Cryptography
import Testing

/// A stored store credential as the App layer will build it: random key, row-binding AAD.
private struct Fixture {
    let key = SecureRandom.bytes(32)
    let aad = Array("tenant-42|store-7|v1".utf8)
    let plaintext = Array("orderdesk-api-key-0123456789".utf8)

    func sealed() throws -> AESGCM.SealedBox {
        try AESGCM.seal(plaintext, key: key, authenticating: aad)
    }
}

private func flippingFirstBit(of bytes: [UInt8]) -> [UInt8] {
    var bytes = bytes
    bytes[0] ^= 0x01
    return bytes
}

@Suite struct AESGCMTamperTests {
    @Test func sealedBoxOpensWithTheSameKeyAndAAD() throws {
        let fixture = Fixture()
        let box = try fixture.sealed()
        #expect(box.nonce.count == 12)
        #expect(box.tag.count == 16)
        #expect(box.ciphertext.count == fixture.plaintext.count)
        #expect(box.ciphertext != fixture.plaintext)
        #expect(try AESGCM.open(box, key: fixture.key, authenticating: fixture.aad) == fixture.plaintext)
    }

    @Test func tamperedTagIsRejected() throws {
        let fixture = Fixture()
        let box = try fixture.sealed()
        let tampered = AESGCM.SealedBox(nonce: box.nonce, ciphertext: box.ciphertext, tag: flippingFirstBit(of: box.tag))
        #expect(throws: CryptoError.authenticationFailed) {
            try AESGCM.open(tampered, key: fixture.key, authenticating: fixture.aad)
        }
    }

    @Test func tamperedNonceIsRejected() throws {
        let fixture = Fixture()
        let box = try fixture.sealed()
        let tampered = AESGCM.SealedBox(nonce: flippingFirstBit(of: box.nonce), ciphertext: box.ciphertext, tag: box.tag)
        #expect(throws: CryptoError.authenticationFailed) {
            try AESGCM.open(tampered, key: fixture.key, authenticating: fixture.aad)
        }
    }

    @Test func tamperedCiphertextIsRejected() throws {
        let fixture = Fixture()
        let box = try fixture.sealed()
        let tampered = AESGCM.SealedBox(nonce: box.nonce, ciphertext: flippingFirstBit(of: box.ciphertext), tag: box.tag)
        #expect(throws: CryptoError.authenticationFailed) {
            try AESGCM.open(tampered, key: fixture.key, authenticating: fixture.aad)
        }
    }

    @Test func ciphertextMovedToAnotherRowIsRejectedByItsAAD() throws {
        let fixture = Fixture()
        let box = try fixture.sealed()
        #expect(throws: CryptoError.authenticationFailed) {
            try AESGCM.open(box, key: fixture.key, authenticating: Array("tenant-42|store-8|v1".utf8))
        }
        #expect(throws: CryptoError.authenticationFailed) {
            try AESGCM.open(box, key: fixture.key, authenticating: [])
        }
    }

    @Test func anotherKeyIsRejected() throws {
        let fixture = Fixture()
        let box = try fixture.sealed()
        #expect(throws: CryptoError.authenticationFailed) {
            try AESGCM.open(box, key: SecureRandom.bytes(32), authenticating: fixture.aad)
        }
    }

    @Test func truncatedTagOrNonceIsRejectedAsTampering() throws {
        let fixture = Fixture()
        let box = try fixture.sealed()
        let shortTag = AESGCM.SealedBox(nonce: box.nonce, ciphertext: box.ciphertext, tag: Array(box.tag.prefix(12)))
        let shortNonce = AESGCM.SealedBox(nonce: Array(box.nonce.prefix(8)), ciphertext: box.ciphertext, tag: box.tag)
        #expect(throws: CryptoError.authenticationFailed) {
            try AESGCM.open(shortTag, key: fixture.key, authenticating: fixture.aad)
        }
        #expect(throws: CryptoError.authenticationFailed) {
            try AESGCM.open(shortNonce, key: fixture.key, authenticating: fixture.aad)
        }
    }

    @Test(arguments: [0, 16, 24, 31, 33, 64])
    func keyThatIsNot32BytesIsRejected(keyLength: Int) throws {
        let key = [UInt8](repeating: 7, count: keyLength)
        #expect(throws: CryptoError.invalidKeyLength) {
            try AESGCM.seal([1, 2, 3], key: key, authenticating: [])
        }
        let box = try Fixture().sealed()
        #expect(throws: CryptoError.invalidKeyLength) {
            try AESGCM.open(box, key: key, authenticating: [])
        }
    }

    @Test func explicitNonceThatIsNot12BytesIsRejected() {
        #expect(throws: CryptoError.invalidNonceLength) {
            try AESGCM.seal([1], key: SecureRandom.bytes(32), authenticating: [], nonce: SecureRandom.bytes(16))
        }
    }

    @Test func nonceNeverRepeatsAcross100000Encryptions() throws {
        let key = SecureRandom.bytes(32)
        var nonces = Set<[UInt8]>()
        for _ in 0..<100_000 {
            nonces.insert(try AESGCM.seal([0x2a], key: key, authenticating: []).nonce)
        }
        #expect(nonces.count == 100_000)
    }

    @Test func combinedFormRoundTrips() throws {
        let fixture = Fixture()
        let box = try fixture.sealed()
        #expect(box.combined.count == 12 + fixture.plaintext.count + 16)
        let restored = try AESGCM.SealedBox(combined: box.combined)
        #expect(restored == box)
        #expect(try AESGCM.open(restored, key: fixture.key, authenticating: fixture.aad) == fixture.plaintext)
        #expect(throws: CryptoError.authenticationFailed) {
            try AESGCM.SealedBox(combined: Array(box.combined.prefix(27)))
        }
    }

    @Test func errorDescriptionsNeverContainKeyOrPlaintext() throws {
        let fixture = Fixture()
        let box = try fixture.sealed()
        let tampered = AESGCM.SealedBox(nonce: box.nonce, ciphertext: box.ciphertext, tag: flippingFirstBit(of: box.tag))
        do {
            _ = try AESGCM.open(tampered, key: fixture.key, authenticating: fixture.aad)
            Issue.record("tampered box opened")
        } catch {
            let text = "\(error) \(String(reflecting: error))"
            #expect(!text.contains(fixture.key.hexString))
            #expect(!text.contains(String(decoding: fixture.plaintext, as: UTF8.self)))
            #expect(text.contains("authentication failed"))
        }
    }
}
