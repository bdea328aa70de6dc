import App
import Hummingbird

/// `GET /signin` (the e-mail form), `POST /signin` (ask for a link) and `GET /signin/sent`.
///
/// The form sets the browser-binding cookie (a random value) if the browser has none; its CSRF
/// token is an HMAC of that value (`PageCSRF`). The POST answers the same 303 for every address —
/// member or not, within the limits or not — and the mail leaves in the background (`SignInMailQueue`).
struct SignInEndpoint: Sendable {
    let services: PageServices

    func form(_ request: Request) async throws -> PageResponse {
        let fields = PageServices.query(request) ?? FormFields(parsing: "")!
        let requestID = PageServices.requestID(fields)
        if fields.count("request") > 0 {
            guard let requestID else { return MessageView.requestExpired() }
            if let refusal = PageServices.refusal(try await services.pending(requestID, for: request)) { return refusal }
        }
        let binding = self.binding(of: request)
        var response = PageResponse.page(
            SignInView.form(request: requestID, csrf: services.csrf.signInToken(binding: binding)))
        response.cookies.append(PageCookie.set(PageCookie.binding, value: binding, maxAge: services.links.ttl))
        return response
    }

    func post(_ request: Request, correlationID: String, clientIP: String?) async throws -> PageResponse {
        guard let fields = try await PageServices.form(request) else {
            return MessageView.page("Invalid request", "The form could not be read.", status: .badRequest)
        }
        let binding = PageCookie.value(PageCookie.binding, in: request.headers)
        guard let binding, MagicLinkStore.isWellFormedBinding(binding),
            services.csrf.isValidSignInToken(fields.single("csrf"), binding: binding)
        else { return MessageView.forbidden() }
        let requestID = PageServices.requestID(fields)
        // A request of another browser gets no mail (the answer does not depend on the address).
        if let requestID, let refusal = PageServices.refusal(try await services.pending(requestID, for: request)) {
            return refusal
        }
        let email: MemberEmail
        do {
            email = try MemberEmail(fields.single("email") ?? "")
        } catch {
            return .page(
                SignInView.form(
                    request: requestID, csrf: services.csrf.signInToken(binding: binding),
                    email: fields.single("email") ?? "", problem: "This is not an address we can send to: \(error.reason)."),
                status: .badRequest)
        }
        guard let mail = services.mail else {
            return MessageView.page(
                "Sign-in by mail is not available",
                "This server has no way to send mail (its operator has not set SMTP_URL). Ask them to set it up.",
                status: .serviceUnavailable)
        }
        // Over a limit: the same answer, and no mail (the limits count every address alike).
        if services.limiter.admit(address: email, ip: clientIP) {
            // Only queued here: the lookup runs in the queue's worker, so the answer takes the same
            // time for a member and anyone else.
            mail.enqueue(
                SignInMailQueue.Job(email: email, binding: binding, requestID: requestID, correlationID: correlationID))
        }
        var response = PageResponse.redirect(to: Self.sentLocation(requestID))
        response.cookies.append(PageCookie.set(PageCookie.binding, value: binding, maxAge: services.links.ttl))
        return response
    }

    func sent(_ request: Request) -> PageResponse {
        let fields = PageServices.query(request) ?? FormFields(parsing: "")!
        return .page(
            SignInView.sent(
                request: PageServices.requestID(fields), linkMinutes: Int(services.links.ttl.components.seconds / 60)))
    }

    /// The browser's binding, or a new one.
    private func binding(of request: Request) -> String {
        if let value = PageCookie.value(PageCookie.binding, in: request.headers), MagicLinkStore.isWellFormedBinding(value) {
            return value
        }
        return MagicLinkStore.newBinding()
    }

    static func sentLocation(_ requestID: String?) -> String {
        requestID.map { "/signin/sent?" + URLQuery.encode([("request", $0)]) } ?? "/signin/sent"
    }
}
