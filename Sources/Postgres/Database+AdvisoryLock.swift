import Foundation
import Logging
import NIOPosix

extension Database {
    /// Runs `body` while this process holds the session-level advisory lock `key`, so that at most one
    /// holder in the whole cluster (any replica, any pool) runs a body for the same key at a time.
    ///
    /// The lock is taken with `pg_try_advisory_lock` on a connection of the separate lock pool
    /// (`DatabaseConfiguration.lockPoolSize`), so holders can never take the connections every other
    /// request needs, however long their bodies wait for OrderDesk. While another session holds the
    /// lock, the connection goes back and the attempt is repeated after a short, growing, jittered
    /// pause (a few ms up to 50 ms), so waiters hold neither a connection nor a thread and never block
    /// the cooperative pool. Only the holder keeps its connection, for the duration of `body`; at most
    /// `lockPoolSize` bodies run at once per process, and a caller finding every lock connection busy
    /// until `timeout` fails like one that did not get the lock. Waiters are not queued in order:
    /// under heavy contention a late caller can go first.
    ///
    /// Afterwards `pg_advisory_unlock` runs on the same connection, which then goes back to the pool.
    /// If the unlock fails or cannot run, the connection is closed instead: ending the session is what
    /// releases a session-level lock for certain, so a lock is never leaked into the pool.
    ///
    /// If the holder's connection breaks while `body` runs, PostgreSQL releases the lock at once and
    /// another caller may enter before `body` finishes. Bodies should therefore keep the work they
    /// protect short and idempotent where they can.
    ///
    /// - Throws: `PostgresError(code: .queryTimeout, sqlState: "55P03")` (`isLockNotAvailable`) when the
    ///   lock was not obtained within `timeout`; `CancellationError` when the task is cancelled while
    ///   waiting; whatever `body` throws (after unlocking).
    public func withAdvisoryLock<T: Sendable>(
        key: Int64, timeout: Duration, _ body: @Sendable () async throws -> T
    ) async throws -> T {
        try await withAdvisoryLock(key: key, timeout: timeout) { (_: HeldAdvisoryLock) in try await body() }
    }

    /// `withAdvisoryLock`, with a handle whose `confirm()` checks the lock is still held: a server
    /// restart ends the holder's session, and with it the lock, while `body` may still be working.
    /// Call it right before the step the lock protects (e.g. the write).
    public func withAdvisoryLock<T: Sendable>(
        key: Int64, timeout: Duration, _ body: @Sendable (HeldAdvisoryLock) async throws -> T
    ) async throws -> T {
        let clock = ContinuousClock()
        let deadline = clock.now + max(timeout, .zero)
        var pause = Duration.milliseconds(2)
        var mayReplaceStaleConnection = true
        while true {
            let holder: PostgresConnection?
            do {
                holder = try await tryAdvisoryLock(key: key, leaseTimeout: max(deadline - clock.now, .milliseconds(1)))
            } catch let error as PostgresError where error.code == .poolTimeout {
                throw PostgresError(
                    code: .queryTimeout, sqlState: PostgresError.lockNotAvailableState,
                    serverMessage: "every lock connection stayed busy for \(timeout)")
            } catch let error as PostgresError where mayReplaceStaleConnection && error.failedBeforeAnyStatement {
                // A pooled connection that died while idle (server restart): try once more on a fresh one.
                mayReplaceStaleConnection = false
                continue
            }
            if let connection = holder {
                let outcome: Result<T, any Error>
                do {
                    outcome = .success(try await body(HeldAdvisoryLock(connection: connection, threadPool: threadPool)))
                } catch {
                    outcome = .failure(error)
                }
                await advisoryUnlock(key: key, on: connection)
                return try outcome.get()
            }
            let now = clock.now
            guard now < deadline else {
                throw PostgresError(
                    code: .queryTimeout, sqlState: PostgresError.lockNotAvailableState,
                    serverMessage: "advisory lock not obtained within \(timeout)")
            }
            // Jitter spreads the retries of many waiters; the last pause ends at the deadline so the
            // final attempt still happens.
            let jittered = pause * Double.random(in: 0.5...1.5)
            try await Task.sleep(for: min(jittered, deadline - now))
            pause = min(pause * 2, .milliseconds(50))
        }
    }

    /// One `pg_try_advisory_lock` attempt. Returns the connection now holding the lock, or nil (the
    /// connection already released) when another session holds it.
    private func tryAdvisoryLock(key: Int64, leaseTimeout: Duration) async throws -> PostgresConnection? {
        let connection = try await lockPool.lease(timeout: leaseTimeout)
        let acquired: Bool
        do {
            acquired = try await threadPool.runIfActive {
                try connection.execute("SELECT pg_try_advisory_lock(\(key)) AS acquired").rows[0].decode(
                    Bool.self, "acquired")
            }
        } catch {
            // Whether the statement ran is unknown (e.g. a lost connection): do not reuse the session.
            await lockPool.release(connection, reusable: false)
            throw error
        }
        if acquired { return connection }
        await lockPool.release(connection, reusable: connection.isUsable && connection.isIdle)
        return nil
    }

    /// Releases the lock and the connection; closes the connection when the unlock is not confirmed.
    private func advisoryUnlock(key: Int64, on connection: PostgresConnection) async {
        let threadPool = self.threadPool
        // A fresh task: a cancelled caller must still unlock, and runIfActive drops queued work of a
        // cancelled task.
        let unlocked = await Task {
            try await threadPool.runIfActive {
                try connection.execute("SELECT pg_advisory_unlock(\(key)) AS unlocked").rows[0].decode(
                    Bool.self, "unlocked")
            }
        }.result
        let confirmed = (try? unlocked.get()) == true
        if !confirmed {
            logger.warning("advisory unlock failed; closing the connection to release the lock")
        }
        await lockPool.release(connection, reusable: confirmed && connection.isUsable && connection.isIdle)
    }
}

extension PostgresError {
    /// SQLSTATE `55P03` (lock_not_available): what PostgreSQL reports when `lock_timeout` expires.
    static let lockNotAvailableState = "55P03"

    /// A lock was not obtained in time: `withAdvisoryLock`'s timeout, or the server's `lock_timeout`.
    public var isLockNotAvailable: Bool { sqlState == Self.lockNotAvailableState }
}

/// The session holding an advisory lock, while `withAdvisoryLock`'s body runs.
public struct HeldAdvisoryLock: Sendable {
    let connection: PostgresConnection
    let threadPool: NIOThreadPool

    /// Throws unless the holder's session is still alive, i.e. the session-level lock is still held
    /// (it ends only with an unlock or with the session). One round trip on the holder's connection.
    public func confirm() async throws {
        let connection = self.connection
        do {
            try await threadPool.runIfActive { _ = try connection.execute("SELECT 1") }
        } catch let error as PostgresError where error.isConnectionFailure {
            throw PostgresError(
                code: .connectionClosed, sqlState: error.sqlState ?? "08006",
                serverMessage: "the database session holding the lock ended; nothing was written")
        }
    }
}
