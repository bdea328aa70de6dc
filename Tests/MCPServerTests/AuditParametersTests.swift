import Cryptography
import JSON
import Testing

@testable import MCPServer

@Suite struct AuditParametersTests {
    let redactor = Redactor(knownSecrets: ["sk_live_abcdefgh"])

    @Test func smallArgumentsAreKeptAfterRedaction() {
        let recorded = AuditParameters.record(["store": "Main", "api_key": "sk_live_abcdefgh"], redactor: redactor)
        #expect(recorded["store"] == "Main")
        #expect(recorded["api_key"] == .string(Redactor.placeholder))
    }

    @Test func hugeArgumentsAreRecordedByNameAndSizeOnly() {
        let huge = String(repeating: "x", count: 1_000_000)
        let recorded = AuditParameters.record(["note": .string(huge), "store": "Main"], redactor: redactor)
        #expect(recorded["_truncated"] == true)
        #expect(recorded["argument_names"] == ["note", "store"])
        #expect(recorded.encoded().count < AuditParameters.maximumBytes)
    }

    @Test func nulCharactersAreRemovedBecauseJSONBRefusesThem() {
        let recorded = AuditParameters.record(["note": "a\u{0}b"], redactor: redactor)
        #expect(recorded["note"] == "ab")
        #expect(AuditParameters.column("1\u{0}2", redactor: redactor) == "12")
    }

    @Test func columnsAreRedactedAndCapped() {
        #expect(AuditParameters.column("key sk_live_abcdefgh", redactor: redactor)?.contains("sk_live") == false)
        #expect(AuditParameters.column(String(repeating: "9", count: 500), redactor: redactor)?.count == 100)
    }

    @Test func invalidArgumentsKeepOnlyTheirNames() {
        let recorded = AuditParameters.namesOnly(["key": "sk_live_abcdefgh", "x": 1])
        #expect(recorded["argument_names"] == ["key", "x"])
        #expect(!recorded.encodedString().contains("sk_live"))
    }

    @Test func cappingCountsCodePointsLikePostgres() {
        // One grapheme cluster made of many scalars: prefix(100) would keep all of them.
        let combining = "e" + String(repeating: "\u{301}", count: 150)
        #expect(AuditParameters.capped(combining, 100).unicodeScalars.count == 100)
        #expect(AuditParameters.namesOnly(["a\u{0}b": 1])["argument_names"] == ["ab"])
        // Short texts too lose their NULs, and keep everything else.
        #expect(AuditParameters.capped("1\u{0}2", 100) == "12")
        #expect(AuditParameters.capped("1234", 4) == "1234")
        #expect(AuditParameters.capped("12345", 4) == "1234")
        #expect(AuditParameters.capped("ééé", 2) == "éé")
    }

    @Test func nulCharactersLeaveKeysAndStringsAtAnyDepth() {
        let recorded = AuditParameters.record(
            ["order_id": "1\u{0}2", "changes": ["tag\u{0}_name": "a\u{0}", "list": ["x\u{0}y"]]], redactor: redactor)
        #expect(recorded == ["order_id": "12", "changes": ["tag_name": "a", "list": ["xy"]]])
        #expect(!recorded.encodedString().contains("\\u0000"))
    }
}
