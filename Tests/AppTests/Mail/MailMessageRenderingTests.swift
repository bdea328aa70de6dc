import App
import Foundation
import Testing

@Suite struct MailMessageRenderingTests {
    let from = try! MailMailbox(parsing: "OrderDesk MCP <noreply@orderdesk.example>")
    let date = Date(timeIntervalSince1970: 1_796_601_600)  // 2026-12-07 00:00:00 UTC

    func render(_ message: MailMessage) -> String {
        String(decoding: message.rendered(from: from, date: date, messageID: "<abc@orderdesk.example>"), as: UTF8.self)
    }

    func headerBlock(_ text: String) -> String { String(text[..<text.range(of: "\r\n\r\n")!.lowerBound]) }

    @Test func asciiMessageHasEveryHeaderAndCRLFLineEndings() throws {
        let message = try MailMessage(
            to: MailAddress("member@example.com"), subject: "Sign in to OrderDesk MCP",
            body: "Open this link:\nhttps://mcp.example/oauth/signin/link?token=abc\n.hidden line\n")
        let text = render(message)
        #expect(
            headerBlock(text).components(separatedBy: "\r\n") == [
                "Date: Mon, 07 Dec 2026 00:00:00 +0000",
                "Message-ID: <abc@orderdesk.example>",
                "From: \"OrderDesk MCP\" <noreply@orderdesk.example>",
                "To: member@example.com",
                "Subject: Sign in to OrderDesk MCP",
                "MIME-Version: 1.0",
                "Content-Type: text/plain; charset=utf-8",
                "Content-Transfer-Encoding: 7bit",
            ])
        // Printable ASCII stays readable: the link is one unbroken line; dot-stuffing is libcurl's job.
        #expect(
            text.hasSuffix(
                "\r\n\r\nOpen this link:\r\nhttps://mcp.example/oauth/signin/link?token=abc\r\n.hidden line\r\n"))
        // No bare LF anywhere.
        #expect(!text.replacingOccurrences(of: "\r\n", with: "").contains("\n"))
        #expect(!text.contains("\r\r"))
    }

    @Test func nonASCIISubjectIsEncodedInWordsOfAtMost75Bytes() throws {
        let subject = "Connexion à OrderDesk — votre lien de connexion personnel, valable quinze minutes ✅"
        let text = render(try MailMessage(to: MailAddress("a@example.com"), subject: subject, body: "x"))
        let subjectLines = headerBlock(text).components(separatedBy: "\r\n").drop { !$0.hasPrefix("Subject:") }
            .prefix { $0.hasPrefix("Subject:") || $0.hasPrefix(" ") }
        #expect(subjectLines.count > 1)
        var decoded: [UInt8] = []
        for (index, line) in subjectLines.enumerated() {
            let word = index == 0 ? String(line.dropFirst("Subject: ".count)) : String(line.dropFirst())
            #expect(word.utf8.count <= 75)
            #expect(line.utf8.count <= 78)
            #expect(word.hasPrefix("=?utf-8?B?") && word.hasSuffix("?="))
            let payload = word.dropFirst("=?utf-8?B?".count).dropLast(2)
            let bytes = try #require(Data(base64Encoded: String(payload)))
            // Each word holds whole characters (RFC 2047 §5).
            #expect(String(bytes: bytes, encoding: .utf8) != nil)
            decoded += bytes
        }
        #expect(String(decoding: decoded, as: UTF8.self) == subject)
        #expect(text.utf8.allSatisfy { $0 < 0x80 })
    }

    @Test func utf8BodyIsQuotedPrintableWithShortLines() throws {
        let body = "Grüße, Zoë!\n" + String(repeating: "é", count: 60) + "\ntrailing space \n.dot"
        let text = render(try MailMessage(to: MailAddress("a@example.com"), subject: "Hi", body: body))
        #expect(headerBlock(text).contains("Content-Transfer-Encoding: quoted-printable"))
        let encoded = String(text[text.range(of: "\r\n\r\n")!.upperBound...])
        #expect(encoded.utf8.allSatisfy { $0 < 0x80 })
        for line in encoded.components(separatedBy: "\r\n") { #expect(line.utf8.count <= 76) }
        #expect(encoded.contains("Gr=C3=BC=C3=9Fe, Zo=C3=AB!\r\n"))
        #expect(encoded.contains("trailing space=20\r\n"))
        #expect(encoded.hasSuffix("\r\n.dot\r\n"))
        #expect(Self.decodeQuotedPrintable(encoded) == body.replacingOccurrences(of: "\n", with: "\r\n") + "\r\n")
    }

    @Test func subjectWithLineBreaksOrControlsIsRefused() throws {
        let to = try MailAddress("a@example.com")
        for subject in ["Hi\r\nBcc: victim@example.com", "Hi\nBcc: x@y.z", "Hi\rX: y", "nul\u{0}byte", "tab\there", "c1\u{85}"] {
            let error = try #require(throws: MailError.self) { try MailMessage(to: to, subject: subject, body: "x") }
            #expect(error.code == .invalidHeader)
        }
        #expect(throws: MailError.self) {
            try MailMessage(to: to, subject: String(repeating: "a", count: MailMessage.maxSubjectBytes + 1), body: "")
        }
    }

    @Test func addressesThatCouldInjectOrAreNotPlainAreRefused() {
        let bad = [
            "", "plain", "@example.com", "a@", "a@@example.com", "a b@example.com", "a@exa mple.com",
            "a@example.com\r\nBcc: victim@example.com", "a@example.com\n", "a\u{0}@example.com", "<a@example.com>",
            "a@example.com>", "a,b@example.com", "\"a\"@example.com", ".a@example.com", "a.@example.com",
            "a..b@example.com", "a@-example.com", "a@example-.com", "a@example..com", "a@[127.0.0.1]", "zoë@example.com",
            "a@exämple.com", String(repeating: "a", count: 65) + "@example.com", " a@example.com",
        ]
        for text in bad {
            #expect(throws: MailError.self, "\(text.debugDescription) must be refused") { try MailAddress(text) }
        }
        for text in ["member@example.com", "first.last+tag@sub.example.co", "o'neil@example.com", "noreply@localhost"] {
            #expect((try? MailAddress(text))?.value == text)
        }
    }

    @Test func displayNamesAreQuotedOrEncodedAndNeverInjected() throws {
        #expect(try MailMailbox(parsing: "noreply@x.example").description == "noreply@x.example")
        let quoted = try MailMailbox(parsing: "\"Order \\\"Desk\\\"\" <noreply@x.example>")
        #expect(quoted.address.value == "noreply@x.example")
        let unicode = try MailMailbox(parsing: "Böb <b@x.example>")
        let text = String(
            decoding: try MailMessage(to: MailAddress("a@example.com"), subject: "s", body: "b")
                .rendered(from: unicode, date: date, messageID: "<i@x.example>"), as: UTF8.self)
        #expect(text.contains("From: =?utf-8?B?QsO2Yg==?= <b@x.example>\r\n"))
        #expect(throws: MailError.self) { try MailMailbox(parsing: "Evil\r\nBcc: v@x.example <b@x.example>") }
        #expect(throws: MailError.self) { try MailMailbox(parsing: "Name <b@x.example\r\n>") }
    }

    @Test func messageIDsAreRandomAndInTheSendersDomain() {
        let first = MailMessage.newMessageID(domain: "orderdesk.example")
        #expect(first.hasPrefix("<") && first.hasSuffix("@orderdesk.example>"))
        #expect(first.count == "<@orderdesk.example>".count + 32)
        #expect(first != MailMessage.newMessageID(domain: "orderdesk.example"))
    }

    static func decodeQuotedPrintable(_ text: String) -> String {
        var bytes: [UInt8] = []
        let input = Array(text.replacingOccurrences(of: "=\r\n", with: "").utf8)
        var index = 0
        while index < input.count {
            if input[index] == UInt8(ascii: "="), index + 2 < input.count,
                let byte = UInt8(String(decoding: input[(index + 1)...(index + 2)], as: UTF8.self), radix: 16)
            {
                bytes.append(byte)
                index += 3
            } else {
                bytes.append(input[index])
                index += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
