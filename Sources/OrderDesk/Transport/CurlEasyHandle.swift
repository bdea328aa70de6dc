import CCurl
import Foundation

/// One libcurl easy handle, which owns a cache of live connections: performing transfer after
/// transfer on the same handle reuses its keep-alive connection (`CURLINFO_NUM_CONNECTS` is then 0).
///
/// `@unchecked Sendable`: libcurl forbids using one easy handle from two threads at once. The
/// handle is only ever touched inside `CurlHandlePool.withHandle`, which lends it to exactly one
/// transfer-thread work item at a time; it merely travels between threads while idle.
final class CurlEasyHandle: @unchecked Sendable {
    private let handle: UnsafeMutableRawPointer

    init?() {
        guard CurlRuntime.ensureInitialised(), let handle = curl_easy_init() else { return nil }
        self.handle = handle
    }

    deinit {
        curl_easy_cleanup(handle)
    }

    /// Performs one blocking HTTP exchange. Call only on a transfer thread.
    func perform(_ transfer: Transfer) -> TransferResult {
        // Options from the previous transfer are cleared; live connections and the DNS cache are kept.
        curl_easy_reset(handle)
        defer { curl_easy_reset(handle) }

        let remaining = transfer.deadline - .now
        guard remaining > .zero else {
            return TransferResult(
                outcome: .failure(
                    TransportFailure(kind: .timeout, requestMayHaveBeenSent: false, detail: "deadline passed")),
                newConnections: 0)
        }
        let sink = ResponseSink(limit: transfer.maxResponseBytes)
        var headerList: UnsafeMutablePointer<curl_slist>?
        for header in transfer.headers { headerList = curl_slist_append(headerList, header) }
        defer { curl_slist_free_all(headerList) }

        configure(transfer, remaining: remaining, headerList: headerList)
        let code: CURLcode = withExtendedLifetime(sink) {
            let context = Unmanaged.passUnretained(sink).toOpaque()
            _ = odcurl_setopt_write(handle, CURLOPT_WRITEFUNCTION) { data, size, count, context in
                guard let context else { return 0 }
                let sink = Unmanaged<ResponseSink>.fromOpaque(context).takeUnretainedValue()
                // Returning less than we were given makes libcurl abort with CURLE_WRITE_ERROR.
                return sink.appendBody(data, count: size * count) ? size * count : 0
            }
            _ = odcurl_setopt_ptr(handle, CURLOPT_WRITEDATA, context)
            _ = odcurl_setopt_write(handle, CURLOPT_HEADERFUNCTION) { data, size, count, context in
                guard let context else { return 0 }
                let sink = Unmanaged<ResponseSink>.fromOpaque(context).takeUnretainedValue()
                sink.appendHeaderLine(data, count: size * count)
                return size * count
            }
            _ = odcurl_setopt_ptr(handle, CURLOPT_HEADERDATA, context)
            // A POST or PUT always carries a body; without one libcurl would read the body from stdin.
            let needsBody = transfer.method == .post || transfer.method == .put
            guard let body = transfer.body ?? (needsBody ? Data() : nil) else { return curl_easy_perform(handle) }
            _ = odcurl_setopt_long(handle, CURLOPT_POSTFIELDSIZE, body.count)
            guard !body.isEmpty else {
                _ = odcurl_setopt_str(handle, CURLOPT_COPYPOSTFIELDS, "")
                return curl_easy_perform(handle)
            }
            return body.withUnsafeBytes { bytes -> CURLcode in
                // POSTFIELDS is not copied: the bytes must (and do) outlive curl_easy_perform.
                _ = odcurl_setopt_ptr(handle, CURLOPT_POSTFIELDS, bytes.baseAddress)
                return curl_easy_perform(handle)
            }
        }

        let newConnections = info(CURLINFO_NUM_CONNECTS)
        if code == CURLE_OK {
            return TransferResult(
                outcome: .success(
                    HTTPResponse(status: info(CURLINFO_RESPONSE_CODE), headers: sink.headers, body: sink.body)),
                newConnections: newConnections)
        }
        return TransferResult(outcome: .failure(failure(for: code, sink: sink)), newConnections: newConnections)
    }

    private func configure(_ transfer: Transfer, remaining: Duration, headerList: UnsafeMutablePointer<curl_slist>?) {
        // String options are copied by libcurl, so temporary C strings are fine here.
        _ = odcurl_setopt_str(handle, CURLOPT_URL, transfer.url)
        _ = odcurl_setopt_str(handle, CURLOPT_PROTOCOLS_STR, "http,https")
        // Timeouts must not use SIGALRM in a multi-threaded process (and libcurl must not touch SIGPIPE).
        _ = odcurl_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
        _ = odcurl_setopt_long(handle, CURLOPT_TIMEOUT_MS, remaining.wholeMilliseconds)
        _ = odcurl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, min(transfer.connectTimeout, remaining).wholeMilliseconds)
        _ = odcurl_setopt_long(handle, CURLOPT_TCP_KEEPALIVE, 1)
        _ = odcurl_setopt_long(handle, CURLOPT_FOLLOWLOCATION, 0)
        _ = odcurl_setopt_str(handle, CURLOPT_ACCEPT_ENCODING, "")
        _ = odcurl_setopt_ptr(handle, CURLOPT_HTTPHEADER, headerList.map { UnsafeRawPointer($0) })
        if !transfer.method.isIdempotent {
            // libcurl silently sends a request again when a reused keep-alive connection closes
            // before any answer arrives. OrderDesk may have processed it already, so a POST (which
            // creates orders, shipments, notes) always goes out on a connection of its own.
            _ = odcurl_setopt_long(handle, CURLOPT_FRESH_CONNECT, 1)
        }
        switch transfer.method {
        case .get: _ = odcurl_setopt_long(handle, CURLOPT_HTTPGET, 1)
        case .post: _ = odcurl_setopt_long(handle, CURLOPT_POST, 1)
        case .put, .delete: _ = odcurl_setopt_str(handle, CURLOPT_CUSTOMREQUEST, transfer.method.rawValue)
        }
    }

    private func info(_ key: CURLINFO) -> Int {
        var value = 0
        return odcurl_getinfo_long(handle, key, &value) == CURLE_OK ? value : 0
    }

    private func failure(for code: CURLcode, sink: ResponseSink) -> TransportFailure {
        var pretransfer = 0.0
        _ = odcurl_getinfo_double(handle, CURLINFO_PRETRANSFER_TIME, &pretransfer)
        // libcurl resets both per transfer. Pre-transfer time is stamped just before the request is
        // written, so a zero means nothing left this machine.
        let mayHaveBeenSent = pretransfer > 0 || info(CURLINFO_REQUEST_SIZE) > 0
        let detail = String(cString: curl_easy_strerror(code))
        let kind: TransportFailure.Kind
        switch code {
        case CURLE_OPERATION_TIMEDOUT:
            kind = .timeout
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY, CURLE_COULDNT_CONNECT, CURLE_SSL_CONNECT_ERROR:
            kind = .connect
        case CURLE_WRITE_ERROR where sink.overflowed:
            kind = .responseTooLarge
        case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL, CURLE_PEER_FAILED_VERIFICATION:
            kind = .unusable
        default:
            kind = .network
        }
        return TransportFailure(
            kind: kind, requestMayHaveBeenSent: kind == .connect ? false : mayHaveBeenSent, detail: detail)
    }
}

/// Collects one response's headers and body from libcurl's callbacks (which run on the transfer
/// thread, inside `curl_easy_perform`).
private final class ResponseSink {
    let limit: Int
    private(set) var body = Data()
    private(set) var headers: [String: String] = [:]
    private(set) var overflowed = false

    init(limit: Int) { self.limit = limit }

    func appendBody(_ data: UnsafeMutablePointer<CChar>?, count: Int) -> Bool {
        guard count > 0, let data else { return true }
        guard body.count + count <= limit else {
            overflowed = true
            return false
        }
        body.append(UnsafeRawPointer(data).assumingMemoryBound(to: UInt8.self), count: count)
        return true
    }

    func appendHeaderLine(_ data: UnsafeMutablePointer<CChar>?, count: Int) {
        guard count > 0, let data else { return }
        let line = String(decoding: UnsafeRawBufferPointer(start: data, count: count), as: UTF8.self)
        if line.hasPrefix("HTTP/") {
            // A new status line (after `100 Continue`): only the final response's headers count.
            headers = [:]
            return
        }
        guard let colon = line.firstIndex(of: ":") else { return }
        let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
        let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
        headers[name] = value
    }
}

extension Duration {
    /// Whole milliseconds, at least 1 (libcurl treats 0 as "no timeout").
    var wholeMilliseconds: Int {
        let (seconds, attoseconds) = components
        return max(1, Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000))
    }
}
