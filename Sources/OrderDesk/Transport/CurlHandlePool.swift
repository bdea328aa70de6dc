import Foundation

/// The reusable easy handles, lent to one transfer at a time.
///
/// The most recently returned handle is lent first (a stack), so sequential requests keep landing on
/// the handle whose connection is still warm, and idle handles' connections simply age out.
/// At most one handle per transfer thread is ever created, because only transfer threads borrow.
///
/// `@unchecked Sendable`: the mutable state is only touched under `lock`.
final class CurlHandlePool: @unchecked Sendable {
    private let lock = NSLock()
    private var idle: [CurlEasyHandle] = []
    private var created = 0

    /// Runs `body` with a handle nobody else is using. Blocking: call only on a transfer thread.
    func withHandle<T>(_ body: (CurlEasyHandle) -> T) -> T? {
        guard let handle = take() else { return nil }
        defer { give(handle) }
        return body(handle)
    }

    var handlesCreated: Int { lock.withLock { created } }

    /// Frees every idle handle, closing its connections. Cleanup runs outside the lock.
    func drain() {
        let released: [CurlEasyHandle] = lock.withLock {
            defer { idle.removeAll() }
            return idle
        }
        withExtendedLifetime(released) {}
    }

    private func take() -> CurlEasyHandle? {
        if let handle = lock.withLock({ idle.popLast() }) { return handle }
        guard let handle = CurlEasyHandle() else { return nil }
        lock.withLock { created += 1 }
        return handle
    }

    private func give(_ handle: CurlEasyHandle) {
        lock.withLock { idle.append(handle) }
    }
}
