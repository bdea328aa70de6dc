/// Limits of `POST /webhooks/orderdesk`.
///
/// OrderDesk posts every store's webhooks from the same few addresses, so the per-address budget is
/// shared by all the tenants' stores behind one OrderDesk server: it is far above the per-address
/// budget for unauthenticated MCP requests, and is there to stop a flood, not to meter tenants.
public struct WebhookConfiguration: Sendable, Hashable {
    /// Largest body taken; larger answers 413 before the body is read further.
    public var maximumBodyBytes: Int
    /// Per source address and replica.
    public var admission: UnauthenticatedAdmissionConfiguration

    public init(maximumBodyBytes: Int = 1_048_576, perMinute: Int = 1200, burst: Int = 300) {
        self.maximumBodyBytes = maximumBodyBytes
        admission = UnauthenticatedAdmissionConfiguration(perMinute: perMinute, burst: burst)
    }

    /// Reads:
    /// - `WEBHOOK_MAX_BODY_BYTES`: 1024–16777216, default 1048576.
    /// - `WEBHOOK_PER_MINUTE`: 1–1000000, default 1200.
    /// - `WEBHOOK_BURST`: 1–1000000, default 300.
    public init(reader: EnvironmentReader) throws {
        self.init(
            maximumBodyBytes: try reader.integer("WEBHOOK_MAX_BODY_BYTES", default: 1_048_576, range: 1024...16_777_216),
            perMinute: try reader.integer("WEBHOOK_PER_MINUTE", default: 1200, range: 1...1_000_000),
            burst: try reader.integer("WEBHOOK_BURST", default: 300, range: 1...1_000_000))
    }
}
