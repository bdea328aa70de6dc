import App
import Foundation

/// `GET /account/grants`: the tenant's grants, each with a revoke button.
enum GrantsView {
    static func page(_ grants: [OAuthGrant], tenantName: String, email: String, csrf: String) -> HTML {
        let formatter = ISO8601DateFormatter()
        let rows: [HTML] = grants.map { grant in
            let id = grant.id.uuidString.lowercased()
            let stores = grant.storeIDs.map { $0.sorted().joined(separator: ", ") } ?? "all"
            let used = grant.lastUsedAt.map(formatter.string(from:)) ?? "never"
            let action: HTML =
                grant.revokedAt == nil
                ? """
                <form method="post" action="/account/grants/revoke"><input type="hidden" name="grant" value="\(id)">\
                <input type="hidden" name="csrf" value="\(csrf)">\
                <button type="submit" id="revoke-\(id)" class="secondary" aria-label="Revoke \(grant.clientName)">Revoke</button></form>
                """
                : "<span class=\"muted\">revoked</span>"
            return """
                <tr data-grant-id="\(id)"><td>\(grant.clientName)<br><span class="muted">\(grant.memberEmail)</span></td>\
                <td>\(OAuthScope.scopeString(grant.scopes))</td><td>\(stores)</td>\
                <td>\(formatter.string(from: grant.createdAt))</td><td>\(used)</td><td>\(action)</td></tr>

                """
        }
        let table: HTML =
            grants.isEmpty
            ? "<p>No application has access.</p>"
            : """
            <table><caption class="muted">Applications with access to \(tenantName)</caption>
            <thead><tr><th scope="col">Application</th><th scope="col">Scopes</th><th scope="col">Stores</th>\
            <th scope="col">Allowed</th><th scope="col">Last used</th><th scope="col"><span class="muted">Action</span></th></tr></thead>
            <tbody>
            \(rows)</tbody></table>
            """
        return PageLayout.document(
            title: "Applications with access",
            body: """
                <p>Signed in as \(email) for <strong>\(tenantName)</strong>. Revoking ends every token of that \
                application at once.</p>
                \(table)
                """)
    }
}
