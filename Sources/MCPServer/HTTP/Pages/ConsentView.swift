import App

/// The consent page: who asks (client name, where the answer goes), for what (scopes), over which
/// of the tenant's stores. Ids and names are the ones the e2e test drives.
enum ConsentView {
    struct Content {
        let requestID: String
        let csrf: String
        let request: AuthorizationRequest
        let tenantName: String
        let email: String
        let stores: [RegisteredStore]
        /// Scopes to show ticked (the requested ones, or what the member kept before a problem).
        var checkedScopes: Set<String>
        /// OrderDesk store ids to show ticked; nil: "all stores" chosen.
        var checkedStores: Set<String>?
        var problem: String?
    }

    static let scopeLabels: [String: String] = [
        OAuthScope.ordersRead.rawValue: "Read orders, shipments and inventory",
        OAuthScope.ordersWrite.rawValue: "Create and change orders, shipments and inventory",
        OAuthScope.storesManage.rawValue: "Register and remove OrderDesk stores",
    ]

    static func page(_ content: Content) -> HTML {
        let request = content.request
        let scopes: [HTML] = request.scopes.map { scope in
            let checked: HTML = content.checkedScopes.contains(scope) ? " checked" : ""
            let id = "scope-" + scope.replacingOccurrences(of: ":", with: "-")
            return """
                <div class="choice"><input type="checkbox" name="scope" value="\(scope)" id="\(id)"\(checked)>\
                <label for="\(id)">\(scopeLabels[scope] ?? scope) <span class="muted">(\(scope))</span></label></div>

                """
        }
        let problem: HTML = content.problem.map { "<p class=\"error\" role=\"alert\">\($0)</p>\n" } ?? ""
        return PageLayout.document(
            title: "Allow access?",
            body: """
                \(problem)<p><strong id="client-name">\(request.clientName)</strong> wants to use OrderDesk MCP as \
                \(content.email) for the tenant <strong>\(content.tenantName)</strong>.</p>
                <dl>
                <dt>Answer goes to</dt><dd id="redirect-host">\(redirectHost(request.redirectURI))</dd>
                <dt>Application id</dt><dd class="muted">\(request.clientID)</dd>
                </dl>
                <form method="post" action="/consent">
                <fieldset><legend>It may</legend>
                \(scopes)</fieldset>
                \(storeChoice(content))
                <input type="hidden" name="request" value="\(content.requestID)">
                <input type="hidden" name="csrf" value="\(content.csrf)">
                <div class="actions">
                <button type="submit" name="decision" value="allow" id="allow" class="primary">Allow</button>
                <button type="submit" name="decision" value="deny" id="deny" class="secondary">Deny</button>
                </div>
                </form>
                <p class="hint">You can revoke access at any time on <a href="/account/grants">your grants page</a>.</p>
                <p class="hint">Not \(content.email), or another tenant? <a id="switch-account" \
                href="/signin?\(URLQuery.encode([("request", content.requestID)]))">Sign in again</a> \
                (a new link is mailed; this request waits for it).</p>
                """)
    }

    private static func storeChoice(_ content: Content) -> HTML {
        let all: HTML = content.checkedStores == nil ? " checked" : ""
        let selected: HTML = content.checkedStores == nil ? "" : " checked"
        let stores: [HTML] = content.stores.map { store in
            let checked: HTML = content.checkedStores?.contains(store.storeID) == true ? " checked" : ""
            let label = store.label.map { "\(store.name) (\($0))" } ?? store.name
            return """
                <div class="choice"><input type="checkbox" name="store" value="\(store.storeID)" id="store-\(store.storeID)"\(checked)>\
                <label for="store-\(store.storeID)">\(label) <span class="muted">#\(store.storeID)</span></label></div>

                """
        }
        return """
            <fieldset><legend>Stores</legend>
            <div class="choice"><input type="radio" name="stores" value="all" id="stores-all"\(all)>\
            <label for="stores-all">All stores of the tenant, including ones added later</label></div>
            <div class="choice"><input type="radio" name="stores" value="selected" id="stores-selected"\(selected)>\
            <label for="stores-selected">Only these:</label></div>
            <div class="nested">
            \(stores)</div>
            </fieldset>
            """
    }

    /// The host (and port, when there is one) of a redirect URI: what the member needs to recognise.
    static func redirectHost(_ uri: String) -> String {
        guard let schemeEnd = uri.range(of: "://") else { return uri }
        let rest = uri[schemeEnd.upperBound...]
        return String(rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" })
    }

    /// The origin (`scheme://host[:port]`) of a redirect URI, for the consent page's `form-action`.
    static func redirectOrigin(_ uri: String) -> String? {
        guard let schemeEnd = uri.range(of: "://") else { return nil }
        let origin = uri[..<schemeEnd.lowerBound] + "://" + redirectHost(uri)
        // Only characters a CSP source expression may hold: a stray `;` or space would change the policy.
        guard origin.unicodeScalars.allSatisfy({ $0.isASCII && !" ;,'\"".unicodeScalars.contains($0) }) else { return nil }
        return String(origin)
    }
}
