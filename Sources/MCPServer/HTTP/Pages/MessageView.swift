import HTTPTypes

/// Pages that only say what happened: errors and refusals. Never a redirect.
enum MessageView {
    static func page(_ title: String, _ paragraphs: String..., status: HTTPResponse.Status) -> PageResponse {
        .page(PageLayout.message(title: title, paragraphs: paragraphs), status: status)
    }

    /// An authorization request the client got wrong, once its redirect URI is trusted. Not sent back
    /// on its own (that would make every such request an open redirect to any client's chosen URI,
    /// RFC 9700 §4.11.2): the page explains, and the member may follow a plain link that carries the
    /// RFC 6749 §4.1.2.1 error to `host`.
    static func authorizationRefused(code: String, description: String, host: String, location: String) -> PageResponse {
        .page(
            PageLayout.document(
                title: "The application sent an invalid request",
                body: """
                    <p>The sign-in request from the application cannot be answered: \(description) \
                    <span class="muted">(\(code))</span>.</p>
                    <p>Nothing was allowed. You can tell the application, which runs at <strong>\(host)</strong>, \
                    or close this page.</p>
                    <p><a id="return" href="\(location)">Return to the application</a></p>
                    """), status: .badRequest)
    }

    static func forbidden() -> PageResponse {
        page(
            "Request refused",
            "This form was not sent from a page this server showed you in this browser (its security token is missing or wrong).",
            "Go back, reload the page and try again.", status: .forbidden)
    }

    /// A pending authorization request opened in a browser other than the one that started it.
    static func otherBrowser() -> PageResponse {
        page(
            "This sign-in was started in another browser",
            "For your safety, a sign-in for an application can only be finished in the browser where it started.",
            "Go back to that browser, or start again from your application in this one.", status: .forbidden)
    }

    static func requestExpired() -> PageResponse {
        page(
            "This sign-in request is no longer valid",
            "It has expired, or it was already answered. Start again from your application.", status: .badRequest)
    }

    /// Over the per-address budget of the pages that start or continue a sign-in (`429`).
    static func tooManyRequests(retryAfter seconds: Int) -> PageResponse {
        var response = page(
            "Too many requests", "This network address has made too many sign-in requests.",
            "Wait \(seconds) seconds, then try again.", status: .tooManyRequests)
        response.extraHeaders[.retryAfter] = String(seconds)
        return response
    }

    static func failure() -> PageResponse {
        page(
            "Something went wrong", "The server could not finish this step. Try again in a moment.",
            status: .internalServerError)
    }
}
