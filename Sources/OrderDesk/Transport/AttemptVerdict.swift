import Foundation
import JSON

/// What one attempt's outcome means for the call: done, worth another attempt, or final failure.
enum AttemptVerdict: Sendable {
    case success([String: JSONValue])
    /// Retryable; `notBefore` is the wait OrderDesk asked for (`X-Retry-After` / `Retry-After`).
    case retry(OrderDeskError, notBefore: Duration?)
    case fail(OrderDeskError)
}

extension UpstreamRequest {
    /// Classifies one attempt. The retry rules live here:
    /// - 429 is retried for every method: OrderDesk did not process the request.
    /// - 500/502/503/504 and broken connections are retried only for idempotent methods (GET, PUT,
    ///   DELETE): a POST may have been processed before the failure, and sending it again could
    ///   create a second order, shipment or note.
    /// - Failures before the request left this machine (DNS, connect, TLS setup, a connect timeout)
    ///   are retried for every method.
    func verdict(for outcome: Result<HTTPResponse, TransportFailure>, timeout: Duration) -> AttemptVerdict {
        switch outcome {
        case .success(let response): return verdict(for: response)
        case .failure(let failure): return verdict(for: failure, timeout: timeout)
        }
    }

    private func verdict(for response: HTTPResponse) -> AttemptVerdict {
        let status = response.status
        let json = try? JSONValue(parsing: response.body)
        let upstreamMessage = json?["message"]?.stringValue.flatMap(Self.sanitized)
        switch status {
        case 200..<300:
            guard case .object(let fields) = json else {
                return .fail(
                    OrderDeskError(
                        .badResponse, "OrderDesk's answer about \(subject) was not a JSON object; try again later.",
                        httpStatus: status))
            }
            if fields["status"]?.stringValue == "error" {
                return .fail(refused(upstreamMessage, status: status))
            }
            return .success(fields)
        case 401, 403:
            return .fail(
                OrderDeskError(
                    .unauthorized,
                    "OrderDesk rejected the store id or API key; check the store's credentials (OrderDesk: "
                        + "Store Settings → API).", httpStatus: status))
        case 404:
            return .fail(OrderDeskError(.notFound, "OrderDesk has no \(subject).", httpStatus: status))
        case 409:
            return .fail(
                OrderDeskError(
                    .conflict,
                    "\(subject.capitalizedFirst) was changed by someone else at the same time; "
                        + "fetch it again and retry.", httpStatus: status))
        case 429:
            let wait = Self.retryAfter(response.headers)
            let hint = wait.map { "retry after \($0.secondsText)" } ?? "retry in a few seconds"
            return .retry(
                OrderDeskError(
                    .rateLimited, "OrderDesk's rate limit for this store was reached; \(hint).", httpStatus: status,
                    retryAfter: wait), notBefore: wait)
        case 500, 502, 503, 504:
            let error = OrderDeskError(
                .upstreamUnavailable,
                "OrderDesk is unavailable (HTTP \(status)); try again later."
                    + (method.isIdempotent ? "" : Self.maybeProcessed), httpStatus: status)
            return method.isIdempotent ? .retry(error, notBefore: Self.retryAfter(response.headers)) : .fail(error)
        case 400..<500:
            return .fail(refused(upstreamMessage, status: status))
        case 500...:
            return .fail(
                OrderDeskError(
                    .upstreamUnavailable, "OrderDesk failed (HTTP \(status)); try again later.", httpStatus: status))
        default:
            return .fail(
                OrderDeskError(
                    .badResponse, "OrderDesk answered with an unexpected HTTP status \(status).", httpStatus: status))
        }
    }

    private func verdict(for failure: TransportFailure, timeout: Duration) -> AttemptVerdict {
        let retryable = method.isIdempotent || !failure.requestMayHaveBeenSent
        let caveat = retryable ? "" : Self.maybeProcessed
        let error: OrderDeskError
        switch failure.kind {
        case .timeout:
            error = OrderDeskError(
                .timeout,
                "OrderDesk did not answer about \(subject) within \(timeout.secondsText); try again later."
                    + caveat)
        case .connect:
            error = OrderDeskError(
                .upstreamUnavailable, "Could not connect to OrderDesk (\(failure.detail)); try again later.")
        case .network:
            error = OrderDeskError(
                .upstreamUnavailable,
                "The connection to OrderDesk broke (\(failure.detail)); try again later."
                    + caveat)
        case .responseTooLarge:
            return .fail(OrderDeskError(.badResponse, "OrderDesk's answer about \(subject) was too large to read."))
        case .unusable:
            return .fail(
                OrderDeskError(
                    .upstreamUnavailable,
                    "OrderDesk cannot be reached with this client (\(failure.detail)); check the configured base URL."))
        }
        return retryable ? .retry(error, notBefore: nil) : .fail(error)
    }

    private func refused(_ upstreamMessage: String?, status: Int) -> OrderDeskError {
        let reason = upstreamMessage.map { ": \($0)" } ?? " (HTTP \(status))."
        return OrderDeskError(.validation, "OrderDesk refused the request about \(subject)\(reason)", httpStatus: status)
    }

    private static let maybeProcessed =
        " The request may have reached OrderDesk, so it was not repeated automatically: check before sending it again."

    /// `X-Retry-After` (what OrderDesk documents) or the standard `Retry-After`, in seconds.
    static func retryAfter(_ headers: [String: String]) -> Duration? {
        for name in ["x-retry-after", "retry-after"] {
            if let text = headers[name], let seconds = Double(text.trimmingCharacters(in: .whitespaces)),
                seconds.isFinite, seconds >= 0
            {
                return .milliseconds(Int64((min(seconds, 86_400) * 1000).rounded(.up)))
            }
        }
        return nil
    }

    /// OrderDesk's error text, made safe to repeat: one line, printable, at most 300 characters.
    static func sanitized(_ message: String) -> String? {
        let cleaned = String(
            String.UnicodeScalarView(
                message.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? " " : $0 })
        )
        .trimmingCharacters(in: .whitespaces)
        guard !cleaned.isEmpty else { return nil }
        return cleaned.count > 300 ? String(cleaned.prefix(300)) + "…" : cleaned
    }
}

extension Duration {
    /// "1 s", "1.5 s", "250 ms".
    var secondsText: String {
        let milliseconds = wholeMilliseconds
        if milliseconds < 1000 { return "\(milliseconds) ms" }
        if milliseconds % 1000 == 0 { return "\(milliseconds / 1000) s" }
        return "\(Double(milliseconds) / 1000) s"
    }
}

extension String {
    var capitalizedFirst: String { prefix(1).uppercased() + dropFirst() }
}
