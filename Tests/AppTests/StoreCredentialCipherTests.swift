import App
import Cryptography
import Foundation
import Testing

@Suite struct StoreCredentialCipherTests {
    let keyV1 = SecureRandom.bytes(32)
    let keyV2 = SecureRandom.bytes(32)
    let apiKey = "od-api-key-0123456789abcdef"

    func binding(tenant: UUID = UUID(), salt: [UInt8] = SecureRandom.bytes(32), row: UUID = UUID())
        -> StoreCredentialCipher.Binding
    {
        .init(tenantID: tenant, tenantSalt: salt, storeRowID: row)
    }

    @Test func sealedKeyOpensForItsOwnRow() throws {
        let cipher = StoreCredentialCipher(keyring: try EncryptionKeyring(keys: [1: keyV1], current: 1))
        let row = binding()
        let sealed = try cipher.seal(apiKey: apiKey, for: row)
        #expect(sealed.keyVersion == 1)
        #expect(sealed.nonce.count == 12 && sealed.tag.count == 16)
        #expect(sealed.ciphertext.count == apiKey.utf8.count)
        #expect(sealed.ciphertext != Array(apiKey.utf8))
        #expect(try cipher.open(sealed, for: row) == apiKey)
        // A fresh nonce every time.
        #expect(try cipher.seal(apiKey: apiKey, for: row).nonce != sealed.nonce)
    }

    @Test func ciphertextMovedToAnotherRowTenantOrVersionDoesNotOpen() throws {
        let keyring = try EncryptionKeyring(keys: [2: keyV2, 1: keyV1], current: 2)
        let cipher = StoreCredentialCipher(keyring: keyring)
        let row = binding()
        let sealed = try cipher.seal(apiKey: apiKey, for: row)
        #expect(sealed.keyVersion == 2)

        let otherRow = binding(tenant: row.tenantID, salt: row.tenantSalt)
        let otherTenantSameSalt = binding(salt: row.tenantSalt, row: row.storeRowID)
        let otherSalt = binding(tenant: row.tenantID, row: row.storeRowID)
        for wrong in [otherRow, otherTenantSameSalt, otherSalt] {
            #expect(throws: CryptoError.authenticationFailed) { try cipher.open(sealed, for: wrong) }
        }
        // Claiming another key version: another key and another AAD.
        let relabelled = StoreCredentialCipher.Sealed(
            ciphertext: sealed.ciphertext, tag: sealed.tag, nonce: sealed.nonce, keyVersion: 1)
        #expect(throws: CryptoError.authenticationFailed) { try cipher.open(relabelled, for: row) }
        // Tampering.
        var flipped = sealed.ciphertext
        flipped[0] ^= 1
        let tampered = StoreCredentialCipher.Sealed(ciphertext: flipped, tag: sealed.tag, nonce: sealed.nonce, keyVersion: 2)
        #expect(throws: CryptoError.authenticationFailed) { try cipher.open(tampered, for: row) }
        // The same bytes under another server key do not open either.
        let otherServer = StoreCredentialCipher(keyring: try EncryptionKeyring(keys: [2: SecureRandom.bytes(32)], current: 2))
        #expect(throws: CryptoError.authenticationFailed) { try otherServer.open(sealed, for: row) }
    }

    @Test func rotationKeepsOldCiphertextsReadable() throws {
        let row = binding()
        let old = try StoreCredentialCipher(keyring: try EncryptionKeyring(keys: [1: keyV1], current: 1))
            .seal(apiKey: apiKey, for: row)
        let rotated = StoreCredentialCipher(keyring: try EncryptionKeyring(keys: [1: keyV1, 2: keyV2], current: 2))
        #expect(try rotated.open(old, for: row) == apiKey)
        #expect(try rotated.seal(apiKey: apiKey, for: row).keyVersion == 2)
        // Once v1 is dropped, its rows report a configuration problem, not corruption.
        let dropped = StoreCredentialCipher(keyring: try EncryptionKeyring(keys: [2: keyV2], current: 2))
        #expect(throws: ConfigurationError.self) { try dropped.open(old, for: row) }
    }
}

@Suite struct EncryptionKeyringTests {
    @Test func singleKeyIsVersionOne() throws {
        let key = SecureRandom.bytes(32)
        let keyring = try EncryptionKeyring(reader: EnvironmentReader(["ENCRYPTION_KEY": Data(key).base64EncodedString()]))
        #expect(keyring.currentVersion == 1)
        #expect(keyring.versions == [1])
    }

    @Test func keyListPutsTheCurrentKeyFirst() throws {
        let v1 = Data(SecureRandom.bytes(32)).base64EncodedString()
        let v3 = Data(SecureRandom.bytes(32)).base64EncodedString()
        let keyring = try EncryptionKeyring(reader: EnvironmentReader(["ENCRYPTION_KEYS": "v3:\(v3), v1:\(v1)"]))
        #expect(keyring.currentVersion == 3)
        #expect(keyring.versions == [3, 1])
        // Mid-rotation: ENCRYPTION_KEY still set to the old key is accepted.
        let both = try EncryptionKeyring(
            reader: EnvironmentReader(["ENCRYPTION_KEYS": "v3:\(v3),v1:\(v1)", "ENCRYPTION_KEY": v1]))
        #expect(both.currentVersion == 3)
        #expect(!"\(keyring)".contains(v1) && !"\(keyring)".contains(v3))
        var dumped = ""
        dump(keyring, to: &dumped)
        #expect(!dumped.contains(v1) && !dumped.contains(v3))
    }

    @Test func badSettingsNameTheVariableAndTheFixButNotTheValue() {
        let short = Data(SecureRandom.bytes(16)).base64EncodedString()
        let good = Data(SecureRandom.bytes(32)).base64EncodedString()
        let cases: [([String: String], String)] = [
            ([:], "ENCRYPTION_KEY"),
            (["ENCRYPTION_KEY": short], "ENCRYPTION_KEY"),
            (["ENCRYPTION_KEY": "not base64!"], "ENCRYPTION_KEY"),
            (["ENCRYPTION_KEYS": "v1:\(short)"], "ENCRYPTION_KEYS"),
            (["ENCRYPTION_KEYS": good], "ENCRYPTION_KEYS"),
            (["ENCRYPTION_KEYS": "v0:\(good)"], "ENCRYPTION_KEYS"),
            (["ENCRYPTION_KEYS": "v1:\(good),v1:\(good)"], "ENCRYPTION_KEYS"),
            (
                ["ENCRYPTION_KEYS": "v2:\(good)", "ENCRYPTION_KEY": Data(SecureRandom.bytes(32)).base64EncodedString()],
                "ENCRYPTION_KEY"
            ),
        ]
        for (environment, variable) in cases {
            do {
                _ = try EncryptionKeyring(reader: EnvironmentReader(environment))
                Issue.record("accepted \(environment.keys.sorted())")
            } catch let error as ConfigurationError {
                #expect(error.variable == variable)
                for value in environment.values { #expect(!"\(error)".contains(value)) }
                if error.variable == "ENCRYPTION_KEYS" && !environment.keys.contains("ENCRYPTION_KEY")
                    && !"\(error)".contains("twice")
                {
                    #expect("\(error)".contains("openssl rand -base64 32"))
                }
            } catch {
                Issue.record("unexpected \(error)")
            }
        }
        #expect(throws: ConfigurationError.self) { try EncryptionKeyring(keys: [1: SecureRandom.bytes(31)], current: 1) }
        #expect(throws: ConfigurationError.self) { try EncryptionKeyring(keys: [1: SecureRandom.bytes(32)], current: 2) }
    }
}
