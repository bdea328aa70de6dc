import App
import Foundation
import Hummingbird

/// `GET /account/grants` and `POST /account/grants/revoke`: a signed-in member sees the grants of
/// the session's tenant and can revoke any of them.
struct GrantsEndpoint: Sendable {
    static let action = "/account/grants/revoke"
    let services: PageServices

    func get(_ request: Request) async throws -> PageResponse {
        guard let (_, session) = try await services.session(of: request) else { return .redirect(to: "/signin") }
        let grants = try await services.grants.listGrants(tenantID: session.tenantID, includeRevoked: true)
        return .page(
            GrantsView.page(
                grants, tenantName: session.tenantName, email: session.email.address,
                csrf: PageCSRF.sessionToken(secret: session.csrfSecret, action: Self.action)))
    }

    func revoke(_ request: Request, correlationID: String, clientIP: String?) async throws -> PageResponse {
        guard let fields = try await PageServices.form(request) else {
            return MessageView.page("Invalid request", "The form could not be read.", status: .badRequest)
        }
        guard let (_, session) = try await services.session(of: request),
            PageCSRF.isValidSessionToken(fields.single("csrf"), secret: session.csrfSecret, action: Self.action)
        else { return MessageView.forbidden() }
        guard let grantID = fields.single("grant").flatMap(UUID.init(uuidString:)) else {
            return MessageView.page("Invalid request", "No grant was chosen.", status: .badRequest)
        }
        // The revocation and its audit row commit together (nothing is revoked without its row).
        var record = AuditRecord(
            tenantID: session.tenantID, correlationID: correlationID, actor: "member:" + session.email.address,
            action: "oauth.grant_revoked", params: ["via": "grants page"], outcome: "ok")
        record.clientIP = clientIP
        _ = try await services.grants.revokeGrant(tenantID: session.tenantID, grantID: grantID, audit: record)
        return .redirect(to: "/account/grants")
    }
}
