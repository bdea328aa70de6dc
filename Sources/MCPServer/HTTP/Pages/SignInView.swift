/// The sign-in pages: the e-mail form and "check your mail".
enum SignInView {
    /// The e-mail form. `request` is the pending authorization request's id (absent when a member
    /// signs in to see their grants); `problem` explains why a submitted address was not accepted.
    static func form(request: String?, csrf: String, email: String = "", problem: String? = nil) -> HTML {
        let hint: HTML =
            request == nil
            ? "<p>Sign in to see and revoke the applications that can use your tenant’s OrderDesk stores.</p>"
            : "<p>An application asks to use OrderDesk MCP on your behalf. Sign in with the e-mail address your tenant registered for you.</p>"
        let error: HTML = problem.map { "<p class=\"error\" id=\"email-error\" role=\"alert\">\($0)</p>" } ?? ""
        let described: HTML =
            problem == nil
            ? "aria-describedby=\"email-hint\"" : "aria-describedby=\"email-hint email-error\" aria-invalid=\"true\""
        return PageLayout.document(
            title: "Sign in",
            body: """
                \(hint)
                \(error)
                <form method="post" action="/signin">
                <label for="email">E-mail address</label>
                <input type="email" id="email" name="email" value="\(email)" autocomplete="email" required \(described)>
                <p class="hint" id="email-hint">We send a sign-in link to this address. It works once, in this browser only.</p>
                <input type="hidden" name="request" value="\(request ?? "")">
                <input type="hidden" name="csrf" value="\(csrf)">
                <div class="actions"><button type="submit" id="send-link" class="primary">Send sign-in link</button></div>
                </form>
                """)
    }

    static func sent(request: String?, linkMinutes: Int) -> HTML {
        let again = request.map { "/signin?" + URLQuery.encode([("request", $0)]) } ?? "/signin"
        return PageLayout.document(
            title: "Check your mail",
            body: """
                <p>If this address belongs to a member of a tenant on this server, a sign-in link is on its way.</p>
                <p>Open the link <strong>in this browser</strong> within \(String(linkMinutes)) minutes. It works only once.</p>
                <p class="muted">No mail after a few minutes? Check the spam folder, or <a href="\(again)">try again</a> \
                (a few tries per hour at most).</p>
                """)
    }
}
