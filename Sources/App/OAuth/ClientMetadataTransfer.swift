import CCurl
import Foundation
import OrderDesk

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// What a metadata URL answered, before the document is validated.
struct FetchedMetadata: Sendable {
    var body: Data
    /// `Cache-Control`, lower-cased, when present.
    var cacheControl: String?
}

/// One blocking GET of a client_id URL with libcurl, under the fetcher's limits. Call only on the
/// fetcher's own threads (never an event loop or the cooperative pool): `curl_easy_perform` blocks
/// for up to the whole timeout.
///
/// Each fetch uses a fresh easy handle and a fresh connection (these are rare and must never reuse
/// a connection opened for another URL), https only, no proxy (a proxy would hide the real peer
/// from the address check), no redirects, no compression (the size limit is on what is read).
struct ClientMetadataTransfer {
    let url: String
    let configuration: ClientMetadataFetchConfiguration

    static let maximumHeaderBytes = 16 * 1024

    func perform() -> Result<FetchedMetadata, ClientMetadataError> {
        guard CurlRuntime.ensureInitialised(), let handle = curl_easy_init() else {
            return .failure(ClientMetadataError(.unavailable))
        }
        defer { curl_easy_cleanup(handle) }
        let state = TransferState(
            limit: configuration.maxBytes, policy: PeerAddressPolicy(allowed: configuration.allowedNetworks))
        var headerList: UnsafeMutablePointer<curl_slist>?
        headerList = curl_slist_append(headerList, "Accept: application/json")
        headerList = curl_slist_append(headerList, "User-Agent: orderdesk-mcp (OAuth client metadata)")
        defer { curl_slist_free_all(headerList) }

        // String options are copied by libcurl.
        _ = odcurl_setopt_str(handle, CURLOPT_URL, url)
        _ = odcurl_setopt_str(handle, CURLOPT_PROTOCOLS_STR, "https")
        _ = odcurl_setopt_str(handle, CURLOPT_REDIR_PROTOCOLS_STR, "https")
        _ = odcurl_setopt_long(handle, CURLOPT_FOLLOWLOCATION, 0)
        // "" disables proxies even when http_proxy/https_proxy/ALL_PROXY are set.
        _ = odcurl_setopt_str(handle, CURLOPT_PROXY, "")
        _ = odcurl_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
        _ = odcurl_setopt_long(handle, CURLOPT_TIMEOUT_MS, milliseconds(configuration.timeout))
        _ = odcurl_setopt_long(
            handle, CURLOPT_CONNECTTIMEOUT_MS, milliseconds(min(configuration.connectTimeout, configuration.timeout)))
        _ = odcurl_setopt_long(handle, CURLOPT_FRESH_CONNECT, 1)
        _ = odcurl_setopt_long(handle, CURLOPT_FORBID_REUSE, 1)
        // A declared Content-Length over the limit is refused before the body is read.
        _ = odcurl_setopt_long(handle, CURLOPT_MAXFILESIZE, configuration.maxBytes)
        _ = odcurl_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, 1)
        _ = odcurl_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, 2)
        if let caFile = configuration.caFile { _ = odcurl_setopt_str(handle, CURLOPT_CAINFO, caFile) }
        _ = odcurl_setopt_long(handle, CURLOPT_HTTPGET, 1)
        _ = odcurl_setopt_ptr(handle, CURLOPT_HTTPHEADER, headerList.map { UnsafeRawPointer($0) })

        let code: CURLcode = withExtendedLifetime(state) {
            let context = Unmanaged.passUnretained(state).toOpaque()
            _ = odcurl_setopt_opensocket(handle) { context, _, address in
                guard let context, let address else { return CURL_SOCKET_BAD }
                let state = Unmanaged<TransferState>.fromOpaque(context).takeUnretainedValue()
                return state.openSocket(address)
            }
            _ = odcurl_setopt_ptr(handle, CURLOPT_OPENSOCKETDATA, context)
            _ = odcurl_setopt_write(handle, CURLOPT_WRITEFUNCTION) { data, size, count, context in
                guard let context else { return 0 }
                let state = Unmanaged<TransferState>.fromOpaque(context).takeUnretainedValue()
                // Returning less than given makes libcurl abort the transfer (CURLE_WRITE_ERROR).
                return state.appendBody(data, count: size * count) ? size * count : 0
            }
            _ = odcurl_setopt_ptr(handle, CURLOPT_WRITEDATA, context)
            _ = odcurl_setopt_write(handle, CURLOPT_HEADERFUNCTION) { data, size, count, context in
                guard let context else { return 0 }
                let state = Unmanaged<TransferState>.fromOpaque(context).takeUnretainedValue()
                return state.appendHeaderLine(data, count: size * count) ? size * count : 0
            }
            _ = odcurl_setopt_ptr(handle, CURLOPT_HEADERDATA, context)
            return curl_easy_perform(handle)
        }

        switch code {
        case CURLE_OK: break
        // A name may resolve to several addresses; only when none could be used is the refusal the reason.
        case _ where state.refusedPeer: return .failure(ClientMetadataError(.privateAddress))
        case CURLE_OPERATION_TIMEDOUT: return .failure(ClientMetadataError(.timeout))
        case CURLE_WRITE_ERROR where state.overflowed, CURLE_FILESIZE_EXCEEDED:
            return .failure(ClientMetadataError(.tooLarge))
        case CURLE_UNSUPPORTED_PROTOCOL: return .failure(ClientMetadataError(.notHTTPS))
        case CURLE_URL_MALFORMAT: return .failure(ClientMetadataError(.invalidURL))
        default: return .failure(ClientMetadataError(.unreachable))
        }

        var status = 0
        _ = odcurl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        if (300..<400).contains(status) { return .failure(ClientMetadataError(.redirect, status: status)) }
        guard status == 200 else { return .failure(ClientMetadataError(.badStatus, status: status)) }
        guard let contentType = state.headers["content-type"], Self.isJSON(contentType) else {
            return .failure(ClientMetadataError(.badContentType))
        }
        return .success(FetchedMetadata(body: state.body, cacheControl: state.headers["cache-control"]?.lowercased()))
    }

    /// `application/json`, any case, with or without parameters (`; charset=utf-8`).
    static func isJSON(_ contentType: String) -> Bool {
        let mediaType = contentType.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        return mediaType.trimmingCharacters(in: .whitespaces).lowercased() == "application/json"
    }

    private func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return max(1, Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000))
    }
}

/// The state libcurl's callbacks share during one transfer (all on the transfer's thread, inside
/// `curl_easy_perform`, so no lock is needed).
private final class TransferState {
    let limit: Int
    let policy: PeerAddressPolicy
    private(set) var body = Data()
    private(set) var headers: [String: String] = [:]
    private(set) var overflowed = false
    /// Set when a resolved address was refused: the error is then `private_address`, whatever
    /// libcurl reports (it only sees a socket it could not open).
    private(set) var refusedPeer = false
    private var headerBytes = 0

    init(limit: Int, policy: PeerAddressPolicy) {
        self.limit = limit
        self.policy = policy
    }

    /// `CURLOPT_OPENSOCKETFUNCTION`: opens the socket only when the address libcurl is about to
    /// connect to is permitted; `CURL_SOCKET_BAD` makes libcurl give up on that address.
    func openSocket(_ address: UnsafeMutablePointer<curl_sockaddr>) -> curl_socket_t {
        guard let bytes = Self.addressBytes(address), policy.permits(bytes) else {
            refusedPeer = true
            return CURL_SOCKET_BAD
        }
        let descriptor = socket(address.pointee.family, address.pointee.socktype, address.pointee.protocol)
        guard descriptor >= 0 else { return CURL_SOCKET_BAD }
        // Not inherited by child processes.
        _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
        return descriptor
    }

    /// The raw IPv4 (4 bytes) or IPv6 (16 bytes) address; nil for any other family (refused).
    private static func addressBytes(_ address: UnsafeMutablePointer<curl_sockaddr>) -> [UInt8]? {
        guard let offset = MemoryLayout<curl_sockaddr>.offset(of: \curl_sockaddr.addr) else { return nil }
        let socketAddress = UnsafeRawPointer(address) + offset
        let length = Int(address.pointee.addrlen)
        switch address.pointee.family {
        case AF_INET:
            guard length >= MemoryLayout<sockaddr_in>.size else { return nil }
            let raw = socketAddress.loadUnaligned(as: sockaddr_in.self)
            return withUnsafeBytes(of: raw.sin_addr) { Array($0) }
        case AF_INET6:
            guard length >= MemoryLayout<sockaddr_in6>.size else { return nil }
            let raw = socketAddress.loadUnaligned(as: sockaddr_in6.self)
            return withUnsafeBytes(of: raw.sin6_addr) { Array($0) }
        default:
            return nil
        }
    }

    func appendBody(_ data: UnsafeMutablePointer<CChar>?, count: Int) -> Bool {
        guard count > 0, let data else { return true }
        guard body.count + count <= limit else {
            overflowed = true
            return false
        }
        body.append(UnsafeRawPointer(data).assumingMemoryBound(to: UInt8.self), count: count)
        return true
    }

    func appendHeaderLine(_ data: UnsafeMutablePointer<CChar>?, count: Int) -> Bool {
        guard count > 0, let data else { return true }
        headerBytes += count
        guard headerBytes <= ClientMetadataTransfer.maximumHeaderBytes else {
            overflowed = true
            return false
        }
        let line = String(decoding: UnsafeRawBufferPointer(start: data, count: count), as: UTF8.self)
        if line.hasPrefix("HTTP/") {
            // A new status line (after `100 Continue`): only the final response's headers count.
            headers = [:]
            return true
        }
        guard let colon = line.firstIndex(of: ":") else { return true }
        let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
        headers[name] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
        return true
    }
}
