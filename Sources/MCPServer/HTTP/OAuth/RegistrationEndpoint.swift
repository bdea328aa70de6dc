import App
import Foundation
import HTTPTypes
import Hummingbird
import JSON
import Logging

/// `POST /oauth/register`: RFC 7591 Dynamic Client Registration of public clients (see
/// `ClientRegistration`). JSON in, `201` JSON out; `400 invalid_redirect_uri` or
/// `invalid_client_metadata`; `429` over the per-address registration budget; `503` when the
/// database failed.
struct RegistrationEndpoint: Sendable {
    let registration: ClientRegistration
    let admission: UnauthenticatedAdmission
    let logger: Logger

    func register(_ request: Request, context: MCPRequestContext) async -> Response {
        let id = context.correlationID
        guard OAuthAnswers.hasMediaType(request, "application/json") else {
            return OAuthAnswers.error(
                .badRequest, "invalid_client_metadata", "Send the client metadata as application/json.",
                correlationID: id)
        }
        guard let body = await OAuthAnswers.body(request) else { return OAuthAnswers.tooLarge(correlationID: id) }
        guard let object = (try? JSONValue(parsing: Data(body)))?.objectValue else {
            return OAuthAnswers.error(
                .badRequest, "invalid_client_metadata", "The body must be a JSON object of client metadata.",
                correlationID: id)
        }
        // Charged only for a well-formed request, after the general budget of every OAuth request.
        if case .denied(let seconds) = admission.admit(address: context.clientIP) {
            return OAuthAnswers.tooManyRequests(retryAfter: seconds, correlationID: id)
        }
        do {
            let client = try await registration.register(object)
            logger.info(
                "oauth client registered",
                metadata: [
                    "request_id": "\(id)", "client_id": "\(client.clientID)", "redirect_uris": "\(client.redirectURIs.count)",
                ])
            return Response.json(.created, client.json, correlationID: id)
        } catch let refusal as ClientRegistration.Refusal {
            return OAuthAnswers.error(.badRequest, refusal.code.rawValue, refusal.description, correlationID: id)
        } catch {
            logger.error("client registration failed", metadata: ["request_id": "\(id)", "error": "\(error)"])
            return OAuthAnswers.unavailable(correlationID: id)
        }
    }
}
