import HTTPTypes
import Hummingbird
import NIOCore

/// Every answer of the browser pages, with the headers the pages' security rests on.
///
/// - `Content-Security-Policy`: nothing loads but our own stylesheet and images, no script at
///   all, forms post only to us (plus, on the consent page, the client's redirect origin: Chrome
///   applies `form-action` to the redirect that follows a form POST), no framing, no `<base>`.
/// - `X-Frame-Options: DENY` for browsers without `frame-ancestors`, `Referrer-Policy: no-referrer`
///   so a link token or request id never leaves in a `Referer`, `Cache-Control: no-store` so no
///   page with a token or CSRF value is kept, `nosniff`.
struct PageResponse {
    var status: HTTPResponse.Status
    var html: HTML?
    var location: String?
    /// `Set-Cookie` values (`PageCookie`).
    var cookies: [String] = []
    /// An origin added to `form-action` (the consent page's redirect origin).
    var formActionOrigin: String?
    var extraHeaders: HTTPFields = [:]

    static func page(_ html: HTML, status: HTTPResponse.Status = .ok) -> PageResponse {
        PageResponse(status: status, html: html, location: nil)
    }

    /// `303 See Other`: after a POST the browser follows with a GET.
    static func redirect(to location: String) -> PageResponse {
        PageResponse(status: .seeOther, html: nil, location: location)
    }

    static func contentSecurityPolicy(formActionOrigin: String?) -> String {
        let formAction = ["'self'", formActionOrigin].compactMap { $0 }.joined(separator: " ")
        return "default-src 'none'; style-src 'self'; img-src 'self'; form-action \(formAction); "
            + "frame-ancestors 'none'; base-uri 'none'"
    }

    static func securityHeaders(formActionOrigin: String?) -> HTTPFields {
        [
            .contentSecurityPolicy: contentSecurityPolicy(formActionOrigin: formActionOrigin),
            .xFrameOptions: "DENY",
            .referrerPolicy: "no-referrer",
            .cacheControl: "no-store",
            .xContentTypeOptions: "nosniff",
        ]
    }

    var response: Response {
        var headers = Self.securityHeaders(formActionOrigin: formActionOrigin)
        headers.append(contentsOf: extraHeaders)
        for cookie in cookies { headers.append(HTTPField(name: .setCookie, value: cookie)) }
        if let location { headers[.location] = location }
        guard let html else { return Response(status: status, headers: headers) }
        headers[.contentType] = "text/html; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html.description)))
    }
}

extension HTTPField.Name {
    static let xFrameOptions = Self("X-Frame-Options")!
    static let referrerPolicy = Self("Referrer-Policy")!
}
