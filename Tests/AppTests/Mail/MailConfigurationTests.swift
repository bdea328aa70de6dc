import App
import Testing

@Suite struct MailConfigurationTests {
    func configuration(_ environment: [String: String]) throws -> MailConfiguration {
        try MailConfiguration(reader: EnvironmentReader(environment))
    }

    func server(_ environment: [String: String]) throws -> SMTPServer {
        guard case .smtp(let server) = try configuration(environment).delivery else {
            Issue.record("expected SMTP delivery")
            throw MailError(.unavailable, "not smtp")
        }
        return server
    }

    @Test func nothingSetMeansMailIsDisabled() throws {
        #expect(try configuration([:]).delivery == nil)
        #expect(MailSender(configuration: try configuration([:])) == nil)
    }

    @Test func credentialsAreSplitOffTheURLAndNeverShown() throws {
        let server = try server([
            "SMTP_URL": "smtps://mailer%40example.com:s3cr%3At@smtp.example.com", "MAIL_FROM": "OrderDesk <noreply@example.com>",
        ])
        #expect(server.url == "smtps://smtp.example.com:465/example.com")
        #expect(server.endpoint == "smtps://smtp.example.com:465")
        #expect(server.username == "mailer@example.com")
        #expect(server.security == .implicitTLS)
        #expect(!server.description.contains("s3cr"))
        var dumped = ""
        dump(server, to: &dumped)
        #expect(!dumped.contains("s3cr"))
        #expect(!String(reflecting: server).contains("s3cr"))
    }

    @Test func plainSMTPToARemoteHostRequiresSTARTTLSUnlessAllowed() throws {
        let remote = ["SMTP_URL": "smtp://relay.example.com:587/mcp.example.com", "MAIL_FROM": "noreply@example.com"]
        #expect(try server(remote).security == .requireSTARTTLS)
        #expect(try server(remote).url == "smtp://relay.example.com:587/mcp.example.com")
        var allowed = remote
        allowed["SMTP_ALLOW_PLAINTEXT"] = "true"
        #expect(try server(allowed).security == .opportunisticSTARTTLS)
        for host in ["127.0.0.1:2525", "localhost:2525", "[::1]:2525"] {
            #expect(
                try server(["SMTP_URL": "smtp://\(host)", "MAIL_FROM": "noreply@example.com"]).security == .plaintextLoopback)
        }
        #expect(try server(["SMTP_URL": "smtp://127.0.0.1", "MAIL_FROM": "a@b.example"]).endpoint == "smtp://127.0.0.1:25")
    }

    @Test func misconfigurationsNameTheVariableAndNeverEchoThePassword() {
        let cases: [([String: String], String)] = [
            (["SMTP_URL": "smtp://u:hunter2@127.0.0.1:25"], "MAIL_FROM"),
            (["SMTP_URL": "http://u:hunter2@mail.example.com", "MAIL_FROM": "a@b.example"], "SMTP_URL"),
            (["SMTP_URL": "smtp://u:hunter2@mail.example.com/?x=1", "MAIL_FROM": "a@b.example"], "SMTP_URL"),
            (["SMTP_URL": "smtp://u:hunter2@mail.example.com/bad_ehlo!", "MAIL_FROM": "a@b.example"], "SMTP_URL"),
            (["SMTP_URL": "smtp://:hunter2@mail.example.com", "MAIL_FROM": "a@b.example"], "SMTP_URL"),
            (["SMTP_URL": "not a url hunter2", "MAIL_FROM": "a@b.example"], "SMTP_URL"),
            (["SMTP_URL": "smtp://u:hunter2@127.0.0.1", "MAIL_FROM": "not-an-address"], "MAIL_FROM"),
            (["SMTP_URL": "smtp://u:hunter2@127.0.0.1", "MAIL_DROP_DIR": "/tmp/x", "MAIL_FROM": "a@b.example"], "MAIL_DROP_DIR"),
            (["SMTP_URL": "smtp://u:hunter2@127.0.0.1", "MAIL_FROM": "a@b.example", "SMTP_TIMEOUT_MS": "5"], "SMTP_TIMEOUT_MS"),
        ]
        for (environment, variable) in cases {
            do {
                _ = try configuration(environment)
                Issue.record("\(variable) case was accepted")
            } catch let error as ConfigurationError {
                #expect(error.variable == variable)
                #expect(!error.description.contains("hunter2"))
            } catch {
                Issue.record("unexpected \(error)")
            }
        }
    }

    @Test func theDevelopmentMailboxNeedsNoSender() throws {
        let configuration = try configuration(["MAIL_DROP_DIR": "/tmp/odmcp-mail"])
        guard case .dropDirectory(let directory) = configuration.delivery else {
            Issue.record("expected the development mailbox")
            return
        }
        #expect(directory == "/tmp/odmcp-mail")
        #expect(configuration.from.address.value == "noreply@localhost")
    }
}
