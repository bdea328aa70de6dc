import CoreMetrics

/// OrderDesk traffic for `/metrics`. Labels stay bounded: `operation` is the method and the path
/// with every id replaced (`GET /orders/{id}`), `status` an HTTP status or a transport failure kind.
enum UpstreamMetrics {
    /// One attempt (a retried call counts once per attempt).
    static func attempt(_ request: UpstreamRequest, outcome: Result<HTTPResponse, TransportFailure>) {
        let status: String
        switch outcome {
        case .success(let response): status = (100...599).contains(response.status) ? String(response.status) : "other"
        case .failure(let failure): status = failure.kind.metricLabel
        }
        Counter(
            label: "orderdesk_upstream_requests_total",
            dimensions: [("operation", request.operation), ("status", status)]
        ).increment()
    }

    /// A retry about to be made, by the error code that caused it (`rate_limited`, `timeout`, …).
    static func retry(_ request: UpstreamRequest, reason: OrderDeskError) {
        Counter(
            label: "orderdesk_upstream_retries_total",
            dimensions: [("operation", request.operation), ("reason", reason.code.description)]
        ).increment()
    }
}

extension UpstreamRequest {
    /// `GET /orders/{id}/shipments/{id}`: OrderDesk's paths alternate fixed names and ids, so every
    /// segment at an odd position is an id.
    var operation: String {
        let template = path.enumerated().map { $0.offset % 2 == 1 ? "{id}" : $0.element }
        return method.rawValue + " /" + template.joined(separator: "/")
    }
}

extension TransportFailure.Kind {
    var metricLabel: String {
        switch self {
        case .timeout: "timeout"
        case .connect: "connect_error"
        case .network: "network_error"
        case .responseTooLarge: "response_too_large"
        case .unusable: "unusable"
        }
    }
}
