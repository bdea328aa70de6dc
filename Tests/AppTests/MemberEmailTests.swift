import App
import Testing

@Suite struct MemberEmailTests {
    func reason(_ text: String) -> String? {
        do {
            _ = try MemberEmail(text)
            return nil
        } catch {
            return error.reason
        }
    }

    @Test func addressesAreTrimmedAndLowercased() throws {
        #expect(try MemberEmail("  Alice.Smith@Example.COM\t").address == "alice.smith@example.com")
        #expect(try MemberEmail("o'brien+orders@mail.example.co.uk").address == "o'brien+orders@mail.example.co.uk")
        #expect(try MemberEmail("x!#$%&*/=?^_`{|}~-y@a-b.example").address == "x!#$%&*/=?^_`{|}~-y@a-b.example")
        // An internationalized domain in its ASCII form.
        #expect(try MemberEmail("info@xn--bcher-kva.example").address == "info@xn--bcher-kva.example")
        // Two spellings, one member.
        #expect(try MemberEmail("BOB@example.com") == MemberEmail("bob@example.com"))
    }

    @Test func lineBreaksNulSpacesAndControlCharactersAreRefusedAnywhere() {
        for text in [
            "alice@example.com\r\n", "alice@example.com\nBcc: mallory@example.com", "al\rice@example.com",
            "alice\u{0}@example.com", "alice@example.com\u{0}", "al ice@example.com", "alice@exa mple.com",
            "alice\u{7F}@example.com", "alice\u{1B}@example.com", "alice@example.com\u{85}",
        ] {
            #expect(reason(text) != nil, "\(text.debugDescription) was accepted")
        }
        #expect(reason("alice\r\n@example.com")?.contains("control character") == true)
    }

    @Test func unicodeIsRefusedWithAHintAboutTheAsciiDomainForm() {
        let hint = reason("info@bücher.example")
        #expect(hint?.contains("xn--") == true)
        #expect(reason("jörg@example.com") != nil)
        // A Cyrillic "а" that looks like a Latin "a": refused, not a second spelling of one address.
        #expect(reason("\u{430}lice@example.com") != nil)
        // Unicode spaces are not trimmed into acceptance.
        #expect(reason("\u{A0}alice@example.com") != nil)
    }

    @Test func theAtSignAndBothPartsAreRequired() {
        #expect(reason("") == "the e-mail address is empty")
        #expect(reason("   ") == "the e-mail address is empty")
        #expect(reason("alice.example.com")?.contains("exactly one @") == true)
        #expect(reason("alice@bob@example.com")?.contains("exactly one @") == true)
        #expect(reason("@example.com")?.contains("nothing before") == true)
        #expect(reason("alice@")?.contains("nothing after") == true)
        #expect(reason("\"alice smith\"@example.com") != nil)  // quoted local parts are not supported
        #expect(reason("\"alice\"@example.com") != nil)
    }

    @Test func dotsAndDomainLabelsFollowTheRules() {
        for text in [
            ".alice@example.com", "alice.@example.com", "al..ice@example.com", "alice@localhost", "alice@example.com.",
            "alice@.example.com", "alice@example..com", "alice@-example.com", "alice@example-.com", "alice@exa_mple.com",
            "alice@[192.0.2.1]", "alice@192.0.2.1", "alice(comment)@example.com",
        ] {
            #expect(reason(text) != nil, "\(text) was accepted")
        }
        #expect(reason("a@b.c") == nil)
        #expect(reason("alice@123.example") == nil)
    }

    @Test func lengthsAreCappedAt64BeforeTheAtAnd254InAll() {
        let local64 = String(repeating: "a", count: 64)
        #expect(reason(local64 + "@example.com") == nil)
        #expect(reason(local64 + "a@example.com")?.contains("64") == true)
        let label = String(repeating: "b", count: 63)
        // 2 + 63*3 + 3 dots ... built to exactly 254 and 255 characters.
        let domain250 = [label, label, label, String(repeating: "c", count: 58)].joined(separator: ".")
        #expect(domain250.count == 250)
        #expect(reason("abc@" + domain250) == nil)  // 254
        #expect(reason("abcd@" + domain250)?.contains("254") == true)  // 255
        #expect(reason("a@" + String(repeating: "b", count: 64) + ".com") != nil)  // a 64-character label
        #expect(reason(String(repeating: "x", count: 100_000)) != nil)
    }
}
