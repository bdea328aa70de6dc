import NIOPosix

/// A bounded set of connections. Callers beyond the bound wait asynchronously (no thread is held
/// while waiting) until a connection is released or the acquire timeout passes.
///
/// Generic over the connection so that its bookkeeping can be tested without a database; the server
/// uses `ConnectionPool<PostgresConnection>`. `connect` and `Connection.close()` block and run on
/// `threadPool`.
actor ConnectionPool<Connection: PoolableConnection> {
    private let maximum: Int
    private let acquireTimeout: Duration
    private let threadPool: NIOThreadPool
    private let connect: @Sendable () throws -> Connection

    private var idle: [Connection] = []
    private var openCount = 0
    private var waiters: [(id: Int, continuation: CheckedContinuation<Connection?, any Error>)] = []
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
            return try await openConnection()
        }
        let id = nextWaiterID
        nextWaiterID += 1
        let timer = Task { [weak self] in
            try? await Task.sleep(for: timeout)
            await self?.failWaiter(id, with: PostgresError(code: .poolTimeout))
        }
        defer { timer.cancel() }
        let granted = try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                waiters.append((id, continuation))
            }
        } onCancel: {
            Task { await self.failWaiter(id, with: CancellationError()) }
        }
        if let granted { return granted }
        // A broken connection was dropped while we waited: its slot is ours now.
        return try await openConnection()
    }

    /// Gives a connection back. A connection that broke or is still inside a transaction is closed
    /// instead of reused, so no state (least of all a tenant) can leak into the next lease.
    func release(_ connection: Connection, reusable: Bool) {
        if reusable && !isClosed {
            if !waiters.isEmpty {
                waiters.removeFirst().continuation.resume(returning: connection)
            } else {
                idle.append(connection)
            }
            return
        }
        close(connection)
        openCount -= 1
        if !waiters.isEmpty && !isClosed {
            openCount += 1
            waiters.removeFirst().continuation.resume(returning: nil)
        }
    }

    /// Closes idle connections and refuses new leases; leased connections close on release.
    func shutdown() {
        isClosed = true
        for waiter in waiters {
            waiter.continuation.resume(throwing: PostgresError(code: .poolClosed))
        }
        waiters.removeAll()
        for connection in idle {
            close(connection)
            openCount -= 1
        }
        idle.removeAll()
    }

    var statistics: (open: Int, idle: Int, waiting: Int) { (openCount, idle.count, waiters.count) }

    private func openConnection() async throws -> Connection {
        openCount += 1
        do {
            let connect = self.connect
            return try await threadPool.runIfActive { try connect() }
        } catch {
            openCount -= 1
            if !waiters.isEmpty {
                // Let the next waiter try to open a connection of its own.
                openCount += 1
                waiters.removeFirst().continuation.resume(returning: nil)
            }
            throw error
        }
    }

    private func failWaiter(_ id: Int, with error: any Error) {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return }
        waiters.remove(at: index).continuation.resume(throwing: error)
    }

    /// PQfinish sends a goodbye message on the socket; do it on a database thread.
    private nonisolated func close(_ connection: Connection) {
        threadPool.submit { _ in connection.close() }
    }
}
