import Cryptography
import Testing

/// RFC 5869 Appendix A, the SHA-256 cases.
@Suite struct HKDFTests {
    @Test func rfc5869Case1BasicInputsProduceTheExactOutputKeyMaterial() throws {
        let okm = try HKDF.deriveKey(
            inputKeyMaterial: hex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"),
            salt: hex("000102030405060708090a0b0c"),
            info: hex("f0f1f2f3f4f5f6f7f8f9"),
            outputByteCount: 42)
        #expect(okm.hexString == "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865")
    }

    @Test func rfc5869Case2LongInputsProduceTheExactOutputKeyMaterial() throws {
        let okm = try HKDF.deriveKey(
            inputKeyMaterial: Array(0x00...0x4f),
            salt: Array(0x60...0xaf),
            info: Array(0xb0...0xff),
            outputByteCount: 82)
        #expect(
            okm.hexString
                == "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
                + "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71"
                + "cc30c58179ec3e87c14c01d5c1f3434f1d87")
    }

    @Test func rfc5869Case3EmptySaltAndInfoProduceTheExactOutputKeyMaterial() throws {
        let okm = try HKDF.deriveKey(
            inputKeyMaterial: hex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"),
            salt: [],
            info: [],
            outputByteCount: 42)
        #expect(okm.hexString == "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8")
    }

    @Test func differentTenantInfoDerivesDifferentKeys() throws {
        let serverKey = SecureRandom.bytes(32)
        let salt = SecureRandom.bytes(16)
        let first = try HKDF.deriveKey(
            inputKeyMaterial: serverKey, salt: salt,
            info: Array("orderdesk-mcp/v1/store-credentials/tenant-a".utf8), outputByteCount: 32)
        let second = try HKDF.deriveKey(
            inputKeyMaterial: serverKey, salt: salt,
            info: Array("orderdesk-mcp/v1/store-credentials/tenant-b".utf8), outputByteCount: 32)
        #expect(first != second)
    }

    @Test(arguments: [0, -1, HKDF.maximumOutputByteCount + 1])
    func outputLengthOutsideTheRfcLimitIsRejected(outputByteCount: Int) {
        #expect(throws: CryptoError.invalidOutputLength) {
            try HKDF.deriveKey(inputKeyMaterial: [1, 2, 3], salt: [], info: [], outputByteCount: outputByteCount)
        }
    }

    @Test func maximumOutputLengthIsAllowed() throws {
        let okm = try HKDF.deriveKey(
            inputKeyMaterial: [1, 2, 3], salt: [], info: [], outputByteCount: HKDF.maximumOutputByteCount)
        #expect(okm.count == 8160)
    }
}
