import CoreMetrics
import Hummingbird
import NIOCore
import Prometheus

/// The process's metrics registry, installed as the swift-metrics backend, and `GET /metrics`.
public struct PrometheusMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry

    /// Installs a Prometheus registry as the process-wide swift-metrics backend. Call once, at start-up.
    public static func bootstrap() -> PrometheusMetrics {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        // Tool calls: a cached read takes a few milliseconds, an upstream write seconds.
        factory.durationHistogramBuckets["mcp_tool_call_duration_seconds"] = [
            .milliseconds(1), .microseconds(2500), .milliseconds(5), .milliseconds(10), .milliseconds(25),
            .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
            .microseconds(2_500_000), .seconds(5), .seconds(10), .seconds(30),
        ]
        // Waiting for a pooled connection is normally (well) under a millisecond.
        factory.durationHistogramBuckets["odmcp_db_pool_wait_seconds"] = [
            .microseconds(100), .microseconds(500), .milliseconds(1), .milliseconds(5), .milliseconds(10),
            .milliseconds(50), .milliseconds(100), .milliseconds(500), .seconds(1), .seconds(5), .seconds(10),
        ]
        MetricsSystem.bootstrap(factory)
        return PrometheusMetrics(registry: registry)
    }

    /// The Prometheus text exposition of every metric.
    func response() -> Response {
        Response(
            status: .ok,
            headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
    }
}
