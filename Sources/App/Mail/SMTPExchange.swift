import CCurl
import OrderDesk

/// One message handed to an SMTP server by libcurl: connect (TLS as configured), EHLO, AUTH when
/// credentials are given, MAIL FROM, RCPT TO, DATA. Blocking: run only on `MailSender`'s threads.
///
/// A fresh easy handle per message: sign-in mail is rare, and a relay's idle connection would
/// time out between messages anyway.
enum SMTPExchange {
    static func send(_ message: [UInt8], from: MailAddress, to: MailAddress, via server: SMTPServer) -> MailError? {
        guard CurlRuntime.ensureInitialised(), let handle = curl_easy_init() else {
            return MailError(.unavailable, "libcurl could not start; mail cannot be sent")
        }
        defer { curl_easy_cleanup(handle) }
        let recipients = curl_slist_append(nil, "<\(to.value)>")
        defer { curl_slist_free_all(recipients) }
        guard recipients != nil else { return MailError(.unavailable, "out of memory") }

        // String options are copied by libcurl, so temporary C strings are fine.
        _ = odcurl_setopt_str(handle, CURLOPT_URL, server.url)
        _ = odcurl_setopt_str(handle, CURLOPT_PROTOCOLS_STR, "smtp,smtps")
        // Timeouts must not use SIGALRM in a multi-threaded process.
        _ = odcurl_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
        _ = odcurl_setopt_long(handle, CURLOPT_TIMEOUT_MS, milliseconds(server.timeout))
        _ = odcurl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, milliseconds(server.connectTimeout))
        _ = odcurl_setopt_long(handle, CURLOPT_USE_SSL, useSSL(server.security))
        if let username = server.username {
            _ = odcurl_setopt_str(handle, CURLOPT_USERNAME, username)
            _ = odcurl_setopt_str(handle, CURLOPT_PASSWORD, server.password ?? "")
        }
        _ = odcurl_setopt_str(handle, CURLOPT_MAIL_FROM, "<\(from.value)>")
        _ = odcurl_setopt_ptr(handle, CURLOPT_MAIL_RCPT, recipients.map { UnsafeRawPointer($0) })
        _ = odcurl_setopt_long(handle, CURLOPT_UPLOAD, 1)

        let source = MessageSource(message)
        var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        let (code, refusal) = errorBuffer.withUnsafeMutableBufferPointer { errorBuffer -> (CURLcode, Refusal) in
            _ = odcurl_setopt_ptr(handle, CURLOPT_ERRORBUFFER, errorBuffer.baseAddress)
            // The buffer only lives inside this closure: libcurl must forget it before it ends.
            defer { _ = odcurl_setopt_ptr(handle, CURLOPT_ERRORBUFFER, nil) }
            // The read callback has the write callback's C type, so the existing shim serves both.
            _ = odcurl_setopt_write(handle, CURLOPT_READFUNCTION) { buffer, size, count, context in
                guard let buffer, let context else { return 0 }
                return Unmanaged<MessageSource>.fromOpaque(context).takeUnretainedValue().read(into: buffer, max: size * count)
            }
            _ = odcurl_setopt_ptr(handle, CURLOPT_READDATA, Unmanaged.passUnretained(source).toOpaque())
            let code = withExtendedLifetime(source) { curl_easy_perform(handle) }
            return (code, Refusal(errorText: String(cString: errorBuffer.baseAddress!)))
        }
        guard code != CURLE_OK else { return nil }
        var reply = 0
        _ = odcurl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &reply)
        return failure(code, reply: reply, refusal: refusal, server: server)
    }

    /// Which envelope command the server refused, told by the fixed prefix libcurl writes into its
    /// error buffer (`MAIL failed: 553`, `RCPT failed: 550`). Nothing else of the buffer is used.
    enum Refusal {
        case sender, recipient, other

        init(errorText: String) {
            self = errorText.hasPrefix("MAIL failed") ? .sender : errorText.hasPrefix("RCPT failed") ? .recipient : .other
        }
    }

    /// Maps libcurl's result to a `MailError`. Only libcurl's fixed error names and the numeric
    /// SMTP reply code are shown: the server's reply text and libcurl's error buffer never are, as
    /// they could quote an address or a credential back.
    static func failure(_ code: CURLcode, reply: Int, refusal: Refusal, server: SMTPServer) -> MailError {
        let replyText = reply > 0 ? " (SMTP reply \(reply))" : ""
        switch code {
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_CONNECT:
            return MailError(
                .connectFailed,
                "could not connect to \(server.endpoint); check SMTP_URL's host and port and that the server is up")
        case CURLE_OPERATION_TIMEDOUT:
            return MailError(
                .timedOut, "the SMTP exchange with \(server.endpoint) timed out (SMTP_TIMEOUT_MS, SMTP_CONNECT_TIMEOUT_MS)")
        case CURLE_USE_SSL_FAILED:
            return MailError(
                .tlsFailed,
                "\(server.endpoint) does not offer STARTTLS; use smtps:// or, on a trusted network only, SMTP_ALLOW_PLAINTEXT=true"
            )
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_CERTPROBLEM:
            return MailError(
                .tlsFailed,
                "TLS with \(server.endpoint) failed (\(String(cString: curl_easy_strerror(code)))); check the certificate and port"
            )
        case CURLE_LOGIN_DENIED:
            return MailError(
                .authenticationFailed, "\(server.endpoint) refused the user name and password in SMTP_URL\(replyText)")
        default:
            break
        }
        switch refusal {
        case .sender where reply == 530:
            return MailError(
                .authenticationFailed, "\(server.endpoint) requires authentication; put user:password in SMTP_URL\(replyText)")
        case .sender:
            return MailError(.senderRefused, "\(server.endpoint) refused the sender address MAIL_FROM\(replyText)")
        case .recipient:
            return MailError(.recipientRefused, "\(server.endpoint) refused the recipient address\(replyText)")
        case .other:
            break
        }
        return MailError(
            .deliveryFailed, "sending through \(server.endpoint) failed: \(String(cString: curl_easy_strerror(code)))\(replyText)"
        )
    }

    private static func useSSL(_ security: SMTPServer.Security) -> Int {
        let level: curl_usessl
        switch security {
        case .implicitTLS, .requireSTARTTLS: level = CURLUSESSL_ALL
        case .opportunisticSTARTTLS: level = CURLUSESSL_TRY
        case .plaintextLoopback: level = CURLUSESSL_NONE
        }
        return Int(level.rawValue)
    }

    /// Whole milliseconds, at least 1 (libcurl treats 0 as "no limit").
    private static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return max(1, Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000))
    }
}

/// Feeds the rendered message to libcurl's read callback (on the transfer thread).
private final class MessageSource {
    private let bytes: [UInt8]
    private var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    func read(into buffer: UnsafeMutablePointer<CChar>, max: Int) -> Int {
        let count = min(max, bytes.count - offset)
        guard count > 0 else { return 0 }
        bytes.withUnsafeBytes { source in
            UnsafeMutableRawPointer(buffer).copyMemory(from: source.baseAddress! + offset, byteCount: count)
        }
        offset += count
        return count
    }
}
