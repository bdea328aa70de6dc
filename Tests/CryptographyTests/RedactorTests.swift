import JSON
import Testing

@testable import Cryptography

private let redacted = JSONValue.string("[REDACTED]")

@Suite struct RedactorTests {
    @Test func nestedApiKeyIsRedacted() {
        let input = JSONValue.object([
            "store": .object(["id": .int(7), "api_key": .string("abc"), "settings": .object(["apiKey": .int(5)])])
        ])
        let output = Redactor.standard.redact(input)
        #expect(output["store"]?["api_key"] == redacted)
        #expect(output["store"]?["settings"]?["apiKey"] == redacted)
        #expect(output["store"]?["id"] == .int(7))
    }

    @Test func authorizationHeaderIsRedactedWhateverItsCase() {
        let headers = JSONValue.object([
            "Authorization": .string("Basic dXNlcjpwYXNz"),
            "Content-Type": .string("application/json"),
        ])
        let output = Redactor.standard.redact(headers)
        #expect(output["Authorization"] == redacted)
        #expect(output["Content-Type"] == .string("application/json"))
    }

    @Test func orderDeskApiKeyHeaderIsRedacted() {
        let headers = JSONValue.object(["ORDERDESK-API-KEY": .string("x"), "ORDERDESK-STORE-ID": .string("12345")])
        let output = Redactor.standard.redact(headers)
        #expect(output["ORDERDESK-API-KEY"] == redacted)
        #expect(output["ORDERDESK-STORE-ID"] == .string("12345"))
    }

    @Test(arguments: [
        "master_key", "MASTER-KEY", "access_token", "refreshToken", "password", "db_password", "client_secret",
        "passphrase", "Set-Cookie", "MASTER_KEY_PEPPER", "ENCRYPTION_KEY", "x-api-key",
    ])
    func secretNamedMembersAreRedacted(name: String) {
        #expect(Redactor.isSensitiveName(name))
        #expect(Redactor.standard.redact(.object([name: .string("value")]))[name] == redacted)
    }

    @Test(arguments: ["store_id", "order_id", "email", "name", "key_version", "status", "keyword"])
    func ordinaryMembersAreNotSecretNamed(name: String) {
        #expect(!Redactor.isSensitiveName(name))
    }

    @Test func knownSecretInsideALongerStringIsReplaced() {
        let secret = "sk_live_0123456789abcdef"
        let redactor = Redactor(knownSecrets: [secret])
        let output = redactor.redact(.object(["message": .string("OrderDesk rejected key \(secret) for store 7")]))
        #expect(output["message"] == .string("OrderDesk rejected key [REDACTED] for store 7"))
        #expect(redactor.redact("\(secret)\(secret)") == "[REDACTED][REDACTED]")
    }

    @Test func knownSecretsShorterThanEightCharactersAreIgnored() {
        let redactor = Redactor(knownSecrets: ["", "short", "1"])
        #expect(redactor.redact("a short note about item 1") == "a short note about item 1")
    }

    @Test func longerKnownSecretWinsOverOneItContains() {
        let redactor = Redactor(knownSecrets: ["abcdefgh", "abcdefgh-ijklmnop"])
        #expect(redactor.redact("key=abcdefgh-ijklmnop.") == "key=[REDACTED].")
    }

    @Test func masterKeyShapedStringInFreeTextIsReplaced() {
        let key = MasterKey.generate()
        let text = "tenant presented \(key), which is revoked"
        #expect(Redactor.standard.redact(text) == "tenant presented [REDACTED], which is revoked")
        #expect(Redactor.standard.redact("prefix odmk_abc is fine") == "prefix odmk_abc is fine")
    }

    @Test func bearerTokenInFreeTextIsReplaced() {
        let text = "request failed: Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig+/= then retried"
        #expect(Redactor.standard.redact(text) == "request failed: Authorization: Bearer [REDACTED] then retried")
        #expect(Redactor.standard.redact("bearer abc123") == "bearer [REDACTED]")
        #expect(Redactor.standard.redact("the bearer of bad news") == "the bearer [REDACTED] bad news")
        #expect(Redactor.standard.redact("x BeArEr abc123") == "x BeArEr [REDACTED]")
        #expect(Redactor.standard.redact("bebbearer; bearer abc123") == "bebbearer; bearer [REDACTED]")
        #expect(Redactor.standard.redact("bearing abc123") == "bearing abc123")
    }

    @Test func secretNamesAreFoundInAnyCaseWithSeparatorsAndThroughUnicodeLowercasing() {
        for name in ["X-Api_KEY", "client_SECRET", "Set-Cookie", "access-token", "to\u{212A}en", "PASS_WORD"] {
            #expect(Redactor.isSensitiveName(name), "\(name)")
        }
        for name in ["order_id", "email", "tag_name", "k", "", "ключ"] {
            #expect(!Redactor.isSensitiveName(name), "\(name)")
        }
    }

    @Test func arraysOfObjectsAreRedactedElementByElement() {
        let key = MasterKey.generate()
        let input = JSONValue.array([
            .object(["name": .string("a"), "token": .string("t1")]),
            .object(["name": .string("b"), "note": .string("uses \(key)")]),
            .array([.object(["password": .string("p")])]),
        ])
        let output = Redactor.standard.redact(input)
        #expect(
            output
                == .array([
                    .object(["name": .string("a"), "token": redacted]),
                    .object(["name": .string("b"), "note": .string("uses [REDACTED]")]),
                    .array([.object(["password": redacted])]),
                ]))
    }

    @Test func nonSecretFieldsAreUntouched() {
        let input = JSONValue.object([
            "order_id": .int(1234), "total": .double(19.5), "paid": .bool(true), "notes": .null,
            "email": .string("buyer@example.com"), "items": .array([.object(["sku": .string("ABC-1"), "qty": .int(2)])]),
        ])
        #expect(Redactor(knownSecrets: ["unrelated-secret-value"]).redact(input) == input)
    }

    @Test func redactorDescriptionDoesNotRevealItsSecrets() {
        let redactor = Redactor(knownSecrets: ["super-secret-value"])
        #expect(!"\(redactor)".contains("super-secret-value"))
        #expect(!String(reflecting: redactor).contains("super-secret-value"))
    }

    @Test func addingSecretsKeepsTheEarlierOnes() {
        let redactor = Redactor(knownSecrets: ["first-secret-1"]).adding(knownSecrets: ["second-secret-2"])
        #expect(redactor.redact("first-secret-1 second-secret-2") == "[REDACTED] [REDACTED]")
    }

    @Test func redactingTwiceChangesNothingMore() {
        let key = MasterKey.generate()
        let once = Redactor(knownSecrets: ["known-secret-1"]).redact("Bearer abc.def \(key) known-secret-1")
        #expect(once == "Bearer [REDACTED] [REDACTED] [REDACTED]")
        #expect(Redactor(knownSecrets: ["known-secret-1"]).redact(once) == once)
    }
}

@Suite struct RedactorByteSearchTests {
    private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test(arguments: [
        ("apikey", "xapikey", true), ("apikey", "apikeyx", true), ("apikey", "apikey", true),
        ("aab", "aaab", true), ("token", "tokeN", false), ("token", "toke", false), ("token", "", false),
        ("abc", "ababab", false), ("", "anything", true),
    ])
    func findsANeedleWhereverItStarts(needle: String, haystack: String, expected: Bool) {
        #expect(Redactor.occurs(bytes(needle), in: bytes(haystack)) == expected)
        #expect(Redactor.occurs(bytes(needle), in: haystack.utf8) == expected)
        // A collection without contiguous storage takes the other path.
        #expect(Redactor.occurs(bytes(needle), in: bytes(haystack).lazy.map { $0 }) == expected)
    }

    @Test func knownSecretAfterNonASCIITextAndAtTheEndIsReplaced() {
        let secret = "sk_live_0123456789abcdef"
        let redactor = Redactor(knownSecrets: [secret])
        #expect(redactor.redact("Grüße, 東京 \(secret)") == "Grüße, 東京 [REDACTED]")
        #expect(redactor.redact("\(secret)\(secret)") == "[REDACTED][REDACTED]")
        #expect(redactor.redact("sk_live_0123456789abcde") == "sk_live_0123456789abcde")
    }
}
