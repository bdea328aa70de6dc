import App
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Postgres
import Testing

@testable import MCPServer

/// A tiny browser for the page tests: a cookie jar over the in-process router, and readers for
/// what the pages and the development mailbox hold.
struct PageBrowser {
    var cookies: [String: String] = [:]

    mutating func get(_ client: any TestClientProtocol, _ uri: String) async throws -> TestResponse {
        let response = try await client.execute(uri: uri, method: .get, headers: cookieHeader, body: nil)
        keep(response)
        return response
    }

    mutating func post(_ client: any TestClientProtocol, _ uri: String, _ form: [(String, String)]) async throws
        -> TestResponse
    {
        var headers = cookieHeader
        headers[.contentType] = "application/x-www-form-urlencoded"
        let response = try await client.execute(
            uri: uri, method: .post, headers: headers, body: ByteBuffer(string: URLQuery.encode(form)))
        keep(response)
        return response
    }

    private var cookieHeader: HTTPFields {
        cookies.isEmpty
            ? [:] : [.cookie: cookies.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "; ")]
    }

    private mutating func keep(_ response: TestResponse) {
        for header in response.headers[values: .setCookie] {
            let first = header.split(separator: ";")[0]
            let parts = first.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(parts[0])
            if header.contains("Max-Age=0") { cookies[name] = nil } else { cookies[name] = String(parts[1]) }
        }
    }

    static func text(_ response: TestResponse) -> String { String(buffer: response.body) }

    /// The `value` of the hidden input `name` on a page.
    static func hidden(_ name: String, in response: TestResponse) -> String? {
        let html = text(response)
        guard let start = html.range(of: #"name="\#(name)" value=""#)?.upperBound else { return nil }
        return String(html[start...].prefix { $0 != "\"" })
    }

    /// The query parameter `name` of a URL or a `Location`.
    static func parameter(_ name: String, in url: String) -> String? {
        guard let query = url.split(separator: "?", maxSplits: 1).dropFirst().first else { return nil }
        return FormFields(parsing: query)?.single(name)
    }
}

/// The development mailbox (`MAIL_DROP_DIR`) of one test.
struct DropMailbox {
    let directory: String

    static func make() throws -> DropMailbox {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("pages-mail-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return DropMailbox(directory: path)
    }

    func messages() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".eml") }.sorted().map {
            try String(contentsOfFile: directory + "/" + $0, encoding: .utf8)
        }
    }

    /// Waits (up to 5 s) until `count` messages are there.
    func waitFor(_ count: Int) async throws -> [String] {
        for _ in 0..<100 {
            let found = try messages()
            if found.count >= count { return found }
            try await Task.sleep(for: .milliseconds(50))
        }
        return try messages()
    }

    /// The sign-in links in a message (the e2e test's regex).
    static func links(in message: String) -> [String] {
        let pattern = #"https?://\S+/signin/link\?\S+"#
        var links: [String] = []
        var rest = message[...]
        while let range = rest.range(of: pattern, options: .regularExpression) {
            links.append(String(rest[range]))
            rest = rest[range.upperBound...]
        }
        return links
    }

    func remove() { try? FileManager.default.removeItem(atPath: directory) }
}
