import Cryptography
import Testing

/// A published AES-256-GCM vector: 256-bit key, 96-bit IV, 128-bit tag.
struct AESGCMVector: Sendable, CustomTestStringConvertible {
    let source: String
    let key: String
    let nonce: String
    let aad: String
    let plaintext: String
    let ciphertext: String
    let tag: String

    var testDescription: String { source }
}

/// Vectors from Wycheproof `testvectors/aes_gcm_test.json`, group ivSize 96 / keySize 256 / tagSize 128
/// (C2SP/wycheproof), all with result "valid".
private let wycheproofVectors = [
    AESGCMVector(
        source: "Wycheproof tcId 73 (AAD and plaintext)",
        key: "92ace3e348cd821092cd921aa3546374299ab46209691bc28b8752d17f123c20",
        nonce: "00112233445566778899aabb", aad: "00000000ffffffff",
        plaintext: "00010203040506070809", ciphertext: "e27abdd2d2a53d2f136b",
        tag: "9a4a2579529301bcfb71c78d4060f52c"),
    AESGCMVector(
        source: "Wycheproof tcId 74 (empty plaintext, non-empty AAD)",
        key: "29d3a44f8723dc640239100c365423a312934ac80239212ac3df3421a2098123",
        nonce: "00112233445566778899aabb", aad: "aabbccddeeff",
        plaintext: "", ciphertext: "",
        tag: "2a7d77fa526b8250cb296078926b5020"),
    AESGCMVector(
        source: "Wycheproof tcId 75 (empty plaintext and AAD)",
        key: "80ba3192c803ce965ea371d5ff073cf0f43b6a2ab576b208426e11409c09b9b0",
        nonce: "4da5bf8dfd5852c1ea12379d", aad: "",
        plaintext: "", ciphertext: "",
        tag: "4771a7c404a472966cea8f73c8bfe17a"),
    AESGCMVector(
        source: "Wycheproof tcId 83 (8-byte AAD)",
        key: "cdccfe3f46d782ef47df4e72f0c02d9c7f774def970d23486f11a57f54247f17",
        nonce: "376187894605a8d45e30de51", aad: "956846a209e087ed",
        plaintext: "e28e0e9f9d22463ac0e42639b530f42102fded75",
        ciphertext: "feca44952447015b5df1f456df8ca4bb4eee2ce2",
        tag: "082e91924deeb77880e1b1c84f9b8d30"),
    AESGCMVector(
        source: "Wycheproof tcId 84 (16-byte AAD)",
        key: "f32364b1d339d82e4f132d8f4a0ec1ff7e746517fa07ef1a7f422f4e25a48194",
        nonce: "5a86a50a0e8a179c734b996d", aad: "ab2ac7c44c60bdf8228c7884adb20184",
        plaintext: "43891bccb522b1e72a6b53cf31c074e9d6c2df8e",
        ciphertext: "43dda832e942e286da314daa99bef5071d9d2c78",
        tag: "c3922583476ced575404ddb85dd8cd44"),
    AESGCMVector(
        source: "Wycheproof tcId 86 (64-byte plaintext, no AAD)",
        key: "5b1d1035c0b17ee0b0444767f80a25b8c1b741f4b50a4d3052226baa1c6fb701",
        nonce: "d61040a313ed492823cc065b", aad: "",
        plaintext: "d096803181beef9e008ff85d5ddc38ddacf0f09ee5f7e07f1e4079cb64d0dc8f"
            + "5e6711cd4921a7887de76e2678fdc67618f1185586bfea9d4c685d50e4bb9a82",
        ciphertext: "c7d191b601f86c28b6a1bdef6a57b4f6ee3ae417bc125c381cdf1c4dac184ed1"
            + "d84f1196206d62cad112b038845720e02c061179a8836f02b93fa7008379a6bf",
        tag: "f15612f6c40f2e0db6dc76fc4822fcfe"),
    AESGCMVector(
        source: "Wycheproof tcId 93 (special case: all-zero tag)",
        key: "00112233445566778899aabbccddeeff102132435465768798a9bacbdcedfe0f",
        nonce: "ffffffffffffffffffffffff", aad: "",
        plaintext: "c6152244cea1978d3e0bc274cf8c0b3b", ciphertext: "7cb6fc7c6abc009efe9551a99f36a421",
        tag: "00000000000000000000000000000000"),
]

@Suite struct AESGCMVectorTests {
    @Test(arguments: wycheproofVectors)
    func sealReproducesThePublishedCiphertextAndTag(vector: AESGCMVector) throws {
        let box = try AESGCM.seal(
            hex(vector.plaintext), key: hex(vector.key), authenticating: hex(vector.aad), nonce: hex(vector.nonce))
        #expect(box.nonce.hexString == vector.nonce)
        #expect(box.ciphertext.hexString == vector.ciphertext)
        #expect(box.tag.hexString == vector.tag)
    }

    @Test(arguments: wycheproofVectors)
    func openRecoversThePublishedPlaintext(vector: AESGCMVector) throws {
        let box = AESGCM.SealedBox(nonce: hex(vector.nonce), ciphertext: hex(vector.ciphertext), tag: hex(vector.tag))
        let plaintext = try AESGCM.open(box, key: hex(vector.key), authenticating: hex(vector.aad))
        #expect(plaintext.hexString == vector.plaintext)
    }

    /// Wycheproof tcIds 94 and 116: the valid message of that group with one tag bit, then all tag
    /// bits, flipped; both are marked "invalid".
    @Test(arguments: ["9de8fef6d8ab1bf1bf887232eab590dd", "631701092754e40e40778dcd154a6f22"])
    func wycheproofFlippedTagVectorsAreRejected(tag: String) {
        let box = AESGCM.SealedBox(
            nonce: hex("505152535455565758595a5b"), ciphertext: hex("b2061457c0759fc1749f174ee1ccadfa"), tag: hex(tag))
        #expect(throws: CryptoError.authenticationFailed) {
            try AESGCM.open(
                box, key: hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"), authenticating: [])
        }
    }

    /// The same group's message with its original tag (tcId 94's tag with bit 0 flipped back) opens,
    /// so the rejections above are caused by the flipped bits alone.
    @Test func wycheproofTamperGroupOpensWithTheOriginalTag() throws {
        let box = AESGCM.SealedBox(
            nonce: hex("505152535455565758595a5b"), ciphertext: hex("b2061457c0759fc1749f174ee1ccadfa"),
            tag: hex("9ce8fef6d8ab1bf1bf887232eab590dd"))
        let plaintext = try AESGCM.open(
            box, key: hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"), authenticating: [])
        #expect(plaintext.hexString == "202122232425262728292a2b2c2d2e2f")
    }
}
