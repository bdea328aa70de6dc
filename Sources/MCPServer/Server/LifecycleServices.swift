import Logging
import ServiceLifecycle

/// A resource that only needs closing: it idles until graceful shutdown (or cancellation), then
/// closes. Listed before the HTTP server in the `ServiceGroup`, it closes after the server has
/// finished its in-flight requests (a group shuts its services down in reverse order).
struct ClosingService: Service, CustomStringConvertible {
    let description: String
    let close: @Sendable () async -> Void

    func run() async throws {
        try? await gracefulShutdown()
        await close()
    }
}

/// Work repeated every `interval` until graceful shutdown (a pass in progress is cancelled then).
struct PeriodicService: Service, CustomStringConvertible {
    let description: String
    let interval: Duration
    let pass: @Sendable () async -> Void

    /// Returns (never throws) when stopped: a service that throws at shutdown fails the whole group,
    /// and `serve` would exit 1 after a clean SIGTERM.
    func run() async {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await Task.sleep(for: interval)
                } catch {
                    return
                }
                await pass()
            }
        }
    }
}

/// A long-running loop of its own (it returns when its task is cancelled), stopped at graceful
/// shutdown.
struct LoopService: Service, CustomStringConvertible {
    let description: String
    let loop: @Sendable () async -> Void

    func run() async {
        await cancelWhenGracefulShutdown { await loop() }
    }
}
