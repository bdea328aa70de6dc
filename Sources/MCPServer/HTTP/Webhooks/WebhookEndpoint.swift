import App
import Cryptography
import Foundation
import HTTPTypes
import Hummingbird
import JSON
import Logging

/// `POST /webhooks/orderdesk`: OrderDesk's "Post Order JSON" rule action, exactly as OrderDesk sends
/// it (form field `order`, headers `X-ORDER-DESK-STORE-ID` and `X-ORDER-DESK-HASH`).
///
/// Checks, cheapest first: the source address's budget (429), the two headers (401), the media type
/// (415), the body size (413), the form (400), then the signature against every registration of the
/// store (401, nothing stored). Answers 200 once the event is stored or was already stored; 503 when
/// the database failed, so OrderDesk retries. Refusals never say whether the store id is registered.
struct WebhookEndpoint: Sendable {
    let receiver: WebhookReceiver
    let configuration: WebhookConfiguration
    let admission: UnauthenticatedAdmission
    let logger: Logger

    static let unauthorizedMessage =
        "The webhook is not signed by a registered store: X-ORDER-DESK-STORE-ID must name a store registered here and "
        + "X-ORDER-DESK-HASH must be the HMAC-SHA256 of the order field keyed with that store's API key."

    func post(_ request: Request, context: MCPRequestContext) async throws -> Response {
        let id = context.correlationID
        if case .denied(let seconds) = admission.admit(address: context.clientIP) {
            ServiceMetrics.webhook("rate_limited")
            var response = refusal(.tooManyRequests, "rate_limited", "Too many webhook posts from this address.", id)
            response.headers[.retryAfter] = String(seconds)
            return response
        }
        guard let storeID = Self.single(request.headers[values: .orderDeskStoreID]),
            StoreRegistration.isOrderDeskStoreID(storeID),
            let hash = Self.single(request.headers[values: .orderDeskHash]), hash.utf8.count == 64,
            let signature = [UInt8](hexString: hash)
        else {
            ServiceMetrics.webhook("unsigned")
            return refusal(.unauthorized, "unauthorized", Self.unauthorizedMessage, id)
        }
        guard Self.isForm(request.headers[.contentType]) else {
            ServiceMetrics.webhook("unsupported_media_type")
            return refusal(
                .unsupportedMediaType, "unsupported_media_type",
                "Send the order as application/x-www-form-urlencoded (field order), as OrderDesk's Post Order JSON does.", id)
        }
        let limit = configuration.maximumBodyBytes
        var request = request
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: limit)
        } catch {
            ServiceMetrics.webhook("too_large")
            return refusal(.contentTooLarge, "too_large", "The body is larger than \(limit / 1024) KiB.", id)
        }
        let order: [UInt8]
        do {
            order = try WebhookForm.orderField(Array(buffer: body))
        } catch {
            ServiceMetrics.webhook("invalid_payload")
            return refusal(.badRequest, "invalid_payload", Self.describe(error), id)
        }
        return await receive(.init(storeID: storeID, signature: signature, order: order), id: id)
    }

    private func receive(_ delivery: WebhookReceiver.Delivery, id: String) async -> Response {
        let log = logger.with(requestID: id)
        do {
            let receipt = try await receiver.receive(delivery)
            let duplicate = receipt.duplicates == receipt.registrations
            ServiceMetrics.webhook(duplicate ? "duplicate" : "stored")
            log.info(
                "webhook received",
                metadata: [
                    "store_id": "\(delivery.storeID)", "order_id": "\(receipt.orderID ?? "-")",
                    "registrations": "\(receipt.registrations)", "duplicate": "\(duplicate)",
                ])
            return Response.json(.ok, ["status": "success", "duplicate": .bool(duplicate)], correlationID: id)
        } catch let refusal as WebhookReceiver.Refusal {
            switch refusal {
            case .unknownStore, .badSignature:
                ServiceMetrics.webhook(refusal == .unknownStore ? "unknown_store" : "bad_signature")
                log.warning(
                    "webhook refused", metadata: ["store_id": "\(delivery.storeID)", "reason": "\(refusal)"])
                return self.refusal(.unauthorized, "unauthorized", Self.unauthorizedMessage, id)
            case .invalidPayload:
                ServiceMetrics.webhook("invalid_payload")
                return self.refusal(.badRequest, "invalid_payload", "The order field is not a JSON object.", id)
            }
        } catch {
            ServiceMetrics.webhook("failed")
            log.error("webhook not stored", metadata: ["store_id": "\(delivery.storeID)", "error": "\(error)"])
            var response = self.refusal(
                .serviceUnavailable, "unavailable", "The webhook could not be stored right now; retry shortly.", id)
            response.headers[.retryAfter] = "10"
            return response
        }
    }

    func methodNotAllowed(_ request: Request, context: MCPRequestContext) -> Response {
        var response = refusal(
            .methodNotAllowed, "method_not_allowed", "Only POST is accepted here.", context.correlationID)
        response.headers[.allow] = "POST"
        return response
    }

    private func refusal(_ status: HTTPResponse.Status, _ code: String, _ message: String, _ id: String) -> Response {
        Response.json(status, ["error": ["code": .string(code), "message": .string(message)]], correlationID: id)
    }

    private static func single(_ values: [String]) -> String? {
        values.count == 1 ? values[0] : nil
    }

    private static func isForm(_ contentType: String?) -> Bool {
        guard let contentType else { return false }
        let mediaType = contentType.split(separator: ";", maxSplits: 1)[0].trimmingCharacters(in: .whitespaces)
        return mediaType.lowercased() == "application/x-www-form-urlencoded"
    }

    private static func describe(_ error: any Error) -> String {
        switch error as? WebhookForm.Failure {
        case .missingOrder: "The form has no order field."
        case .repeatedOrder: "The form has more than one order field."
        case .malformedEncoding, nil: "The form body is not valid application/x-www-form-urlencoded."
        }
    }
}

extension HTTPField.Name {
    static let orderDeskStoreID = HTTPField.Name("X-ORDER-DESK-STORE-ID")!
    static let orderDeskHash = HTTPField.Name("X-ORDER-DESK-HASH")!
}
