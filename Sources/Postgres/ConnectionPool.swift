import Foundation
import NIOPosix

/// A bounded set of connections. Callers beyond the bound wait asynchronously (no thread is held
/// while waiting) until a connection is released or the acquire timeout passes.
///
/// Generic over the connection so that its bookkeeping can be tested without a database; the server
/// uses `ConnectionPool<PostgresConnection>`. `connect` and `Connection.close()` block and run on
/// `threadPool`.
///
/// Each of the `maximum` slots is free or taken, and `openCount` counts the taken ones: a connection
/// idle or leased, a connection being opened, or a slot handed to a waiter who is about to open one.
/// A slot is given up (`vacate`) only when its connection is closed or fails to open, and then it
/// passes straight to the first waiter if there is one, still counted: counting it again when that
/// waiter connects would lose a slot for good each time (issue 11).
actor ConnectionPool<Connection: PoolableConnection> {
    /// What a waiting caller is handed when its turn comes.
    private enum Grant {
        /// A released connection, ready for use.
        case connection(Connection)
        /// A taken slot without a connection (its own was closed or failed to open): open one in it.
        case slot
    }

    private struct Waiter {
        let id: Int
        let continuation: CheckedContinuation<Grant, any Error>
    }

    private let maximum: Int
    private let acquireTimeout: Duration
    private let threadPool: NIOThreadPool
    private let connect: @Sendable () throws -> Connection

    private var idle: [Connection] = []
    private var openCount = 0
    /// First come, first served. Callers wait only while every slot is taken and none is idle.
    private var waiters: [Waiter] = []
    private var nextWaiterID = 0
    private var isClosed = false

    init(
        maximum: Int, acquireTimeout: Duration, threadPool: NIOThreadPool,
        connect: @escaping @Sendable () throws -> Connection
    ) {
        self.maximum = maximum
        self.acquireTimeout = acquireTimeout
        self.threadPool = threadPool
        self.connect = connect
    }

    /// A connection for the caller's exclusive use until `release`. The wait is reported as
    /// `odmcp_db_pool_wait_seconds` (and a timeout as `odmcp_db_pool_timeouts_total`).
    func lease(timeout: Duration? = nil) async throws -> Connection {
        let started = ContinuousClock.now
        do {
            let connection = try await acquire(timeout: timeout ?? acquireTimeout)
            PoolMetrics.waited(ContinuousClock.now - started)
            return connection
        } catch let error as PostgresError where error.code == .poolTimeout {
            PoolMetrics.timedOut()
            throw error
        }
    }

    private func acquire(timeout: Duration) async throws -> Connection {
        guard !isClosed else { throw PostgresError(code: .poolClosed) }
        if let connection = idle.popLast() {
            return connection
        }
        if openCount < maximum {
            openCount += 1
            return try await openConnection()
        }
        switch try await waitForTurn(timeout: timeout) {
        case .connection(let connection):
            return connection
        case .slot:
            return try await openConnection()
        }
    }

    /// Waits in line until `release` or `vacate` hands over a connection or a slot, or until the
    /// timeout or a cancellation removes the waiter. Whichever comes first wins: the other finds no
    /// waiter left and does nothing, so a grant is never lost to a timer firing at the same moment.
    private func waitForTurn(timeout: Duration) async throws -> Grant {
        try Task.checkCancellation()
        let id = nextWaiterID
        nextWaiterID += 1
        let timer = Task { [weak self] in
            guard (try? await Task.sleep(for: timeout)) != nil else { return }
            await self?.failWaiter(id, with: PostgresError(code: .poolTimeout))
        }
        defer { timer.cancel() }
        let grant = try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                waiters.append(Waiter(id: id, continuation: continuation))
            }
        } onCancel: {
            Task { await self.failWaiter(id, with: CancellationError()) }
        }
        // Cancelled just after the grant (the cancellation found no waiter to fail): the caller is
        // going away, so what it was given goes to the next one in line.
        if Task.isCancelled {
            switch grant {
            case .connection(let connection): release(connection, reusable: true)
            case .slot: vacate()
            }
            throw CancellationError()
        }
        return grant
    }

    /// Gives a connection back. A connection that broke or is still inside a transaction is closed
    /// instead of reused, so no state (least of all a tenant) can leak into the next lease.
    func release(_ connection: Connection, reusable: Bool) {
        guard reusable && !isClosed else {
            close(connection)
            vacate()
            return
        }
        if waiters.isEmpty {
            idle.append(connection)
        } else {
            waiters.removeFirst().continuation.resume(returning: .connection(connection))
        }
    }

    /// Closes idle connections and refuses new leases; leased connections close on release.
    func shutdown() {
        isClosed = true
        let waiting = waiters
        waiters.removeAll()
        for waiter in waiting {
            waiter.continuation.resume(throwing: PostgresError(code: .poolClosed))
        }
        for connection in idle {
            close(connection)
        }
        openCount -= idle.count
        idle.removeAll()
    }

    var statistics: (open: Int, idle: Int, waiting: Int) { (openCount, idle.count, waiters.count) }

    /// Opens a connection in a slot the caller has already taken (counted in `openCount`).
    private func openConnection() async throws -> Connection {
        do {
            // A waiter handed a slot just before `shutdown` gets here afterwards.
            guard !isClosed else { throw PostgresError(code: .poolClosed) }
            let connect = self.connect
            return try await threadPool.runIfActive { try connect() }
        } catch {
            // The next waiter, if any, tries a connection of its own in this slot.
            vacate()
            throw error
        }
    }

    /// Gives up a taken slot whose connection was closed or never opened: the first waiter takes it
    /// over as it is (still counted), or else it is free again.
    private func vacate() {
        if waiters.isEmpty {
            openCount -= 1
        } else {
            waiters.removeFirst().continuation.resume(returning: .slot)
        }
    }

    private func failWaiter(_ id: Int, with error: any Error) {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return }
        waiters.remove(at: index).continuation.resume(throwing: error)
    }

    /// PQfinish sends a goodbye message on the socket; do it on a database thread. Once the thread
    /// pool has stopped (a connection given back after `Database.shutdown()`), NIO runs the work item
    /// at once on the calling thread, which may be a Swift concurrency thread: then the goodbye goes
    /// to a thread of its own instead.
    private nonisolated func close(_ connection: Connection) {
        threadPool.submit { state in
            guard state == .active else {
                Thread.detachNewThread { connection.close() }
                return
            }
            connection.close()
        }
    }
}
