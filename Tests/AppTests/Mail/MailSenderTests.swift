import App
import Foundation
import Testing

@Suite struct MailSenderTests {
    @Test func theDevelopmentMailboxWritesOnePrivateMessageFile() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("odmcp-mail-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let sender = try #require(
            MailSender(configuration: MailConfiguration(reader: EnvironmentReader(["MAIL_DROP_DIR": directory]))))
        let receipt = try await sender.send(
            MailMessage(to: MailAddress("member@example.com"), subject: "Hello", body: "line one\nline two"))
        await sender.shutdown()
        let file = try #require(receipt.file)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == [(file as NSString).lastPathComponent])
        #expect(file.hasSuffix(".eml"))
        let text = try String(contentsOfFile: file, encoding: .utf8)
        #expect(text.contains("Message-ID: \(receipt.messageID)\r\n"))
        #expect(text.contains("To: member@example.com\r\n"))
        #expect(text.hasSuffix("\r\n\r\nline one\r\nline two\r\n"))
        let permissions = try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int
        #expect(permissions == 0o600)
    }

    @Test func aClosedPortIsAConnectFailureThatNamesNoPassword() async throws {
        // Port 1 on loopback: nothing listens there, so the connection is refused at once.
        let sender = try #require(
            MailSender(
                configuration: MailConfiguration(
                    reader: EnvironmentReader([
                        "SMTP_URL": "smtp://mailer:hunter2-secret@127.0.0.1:1", "MAIL_FROM": "noreply@example.com",
                    ]))))
        let error = await #expect(throws: MailError.self) {
            try await sender.send(MailMessage(to: MailAddress("member@example.com"), subject: "s", body: "body-text"))
        }
        await sender.shutdown()
        #expect(error?.code == .connectFailed)
        #expect(error?.description.contains("smtp://127.0.0.1:1") == true)
        #expect(error?.description.contains("hunter2") == false)
        #expect(error?.description.contains("body-text") == false)
        #expect(!sender.destination.contains("hunter2"))
    }

    @Test func aSenderThatIsShutDownRefusesToSend() async throws {
        let sender = try #require(
            MailSender(configuration: MailConfiguration(reader: EnvironmentReader(["MAIL_DROP_DIR": "/tmp/never-used"]))))
        await sender.shutdown()
        let error = await #expect(throws: MailError.self) {
            try await sender.send(MailMessage(to: MailAddress("member@example.com"), subject: "s", body: "b"))
        }
        #expect(error?.code == .unavailable)
    }
}
