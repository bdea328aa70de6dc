import NIOPosix
import Synchronization

@testable import Postgres

/// One seeded run: a controller picks the next operation, then waits until the pool is at rest (every
/// lease still running is waiting in line) and checks it.
final class PoolModel: Sendable {
    private let maximum: Int
    private let threadPool: NIOThreadPool
    private let backend = FakeBackend()
    private let pool: ConnectionPool<FakeConnection>
    private let ledger = LeaseLedger()
    /// The controller's own state: only `run` and `finish` touch it, one after the other.
    private let control: Mutex<Control>

    private struct Control {
        var random: SplitMix64
        var nextLease = 0
        var tasks: [Int: Task<Void, Never>] = [:]
        var log: [String] = []
    }

    init(seed: UInt64, maximum: Int) {
        self.maximum = maximum
        threadPool = NIOThreadPool(numberOfThreads: 1)
        threadPool.start()
        let backend = self.backend
        pool = ConnectionPool(
            maximum: maximum, acquireTimeout: .seconds(2), threadPool: threadPool, connect: { try backend.connect() })
        control = Mutex(Control(random: SplitMix64(seed: seed)))
    }

    var violations: [String] { ledger.state.withLock { $0.violations } }
    var outcomes: [String: Int] { ledger.state.withLock { $0.outcomes } }

    func run(steps: Int) async {
        for step in 0..<steps {
            let roll = random(0..<100)
            switch roll {
            case 0..<36:
                // Short timeouts expire while connections come and go; long ones outlast them.
                let timeout: Duration = random(0..<10) < 6 ? .milliseconds(random(1..<30)) : .seconds(2)
                startLease(timeout: timeout)
            case 36..<58:
                await releaseOne()
            case 58..<64:
                cancel(oldest: random(0..<2) == 0)
            case 64..<74:
                // The grant and the cancellation of the first waiter race.
                await releaseOne()
                cancel(oldest: true)
            case 74..<80:
                backend.isUp.toggle()
                note("backend \(backend.isUp ? "up" : "down")")
            case 80..<96:
                let pause = random(0..<15)
                note("pause \(pause) ms")
                try? await Task.sleep(for: .milliseconds(pause))
            default:
                await recover()
            }
            guard await settleAndCheck("step \(step)") else { return }
        }
        await recover()
    }

    /// Everything back to normal, then every slot must be leasable at once: no slot was lost.
    func recover() async {
        note("recover")
        backend.isUp = true
        cancelAll()
        guard await waitForNoPendingLease("recover"), await settleAndCheck("recover: after cancelling") else { return }
        for connection in ledger.takeAllHeld() {
            await pool.release(connection, reusable: !backend.isBroken(connection))
        }
        guard await settleAndCheck("recover: after releasing") else { return }
        var leased: [FakeConnection] = []
        let deadline = ContinuousClock.now + .seconds(10)
        while leased.count < maximum && ContinuousClock.now < deadline {
            let wanted = maximum - leased.count
            let results = await withTaskGroup(of: Result<FakeConnection, any Error>.self) { group in
                for _ in 0..<wanted {
                    group.addTask { [pool] in
                        do {
                            return .success(try await pool.lease(timeout: .seconds(5)))
                        } catch {
                            return .failure(error)
                        }
                    }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            for result in results {
                switch result {
                case .success(let connection) where backend.isBroken(connection):
                    // Died while idle (the backend went down): a caller would drop it and lease again.
                    await pool.release(connection, reusable: false)
                case .success(let connection):
                    leased.append(connection)
                case .failure(let error):
                    let stats = await pool.statistics
                    violate(
                        "recover: the pool is wedged: a lease failed with \(error) (open \(stats.open), idle \(stats.idle), "
                            + "waiting \(stats.waiting), connections alive \(backend.alive))")
                }
            }
            if !violations.isEmpty { break }
        }
        if violations.isEmpty && leased.count < maximum {
            violate("recover: only \(leased.count) of \(maximum) connections leased in 10 s")
        }
        for connection in leased { await pool.release(connection, reusable: true) }
        _ = await settleAndCheck("recover: done")
    }

    /// Shutdown with connections leased and callers waiting: the waiters fail, and every connection is
    /// closed once given back.
    func finish() async {
        if violations.isEmpty {
            note("finish")
            for _ in 0..<(maximum + 2) { startLease(timeout: .seconds(2)) }
            _ = await settleAndCheck("finish: before shutdown")
            await pool.shutdown()
            _ = await waitForNoPendingLease("finish")
            for connection in ledger.takeAllHeld() {
                await pool.release(connection, reusable: random(0..<2) == 0)
            }
            try? await threadPool.runIfActive {}
            let stats = await pool.statistics
            if stats.open != 0 || backend.alive != 0 {
                violate("finish: after shutdown open \(stats.open), connections alive \(backend.alive)")
            }
            do {
                _ = try await pool.lease(timeout: .milliseconds(10))
                violate("finish: a lease succeeded after shutdown")
            } catch {}
        }
        cancelAll()
        _ = await waitForNoPendingLease("cleanup")
        await pool.shutdown()
        try? await threadPool.shutdownGracefully()
    }

    private func startLease(timeout: Duration) {
        let id = control.withLock { control in
            control.nextLease += 1
            return control.nextLease
        }
        note("lease #\(id) timeout \(timeout)")
        ledger.started(id)
        let (pool, ledger, backend) = (self.pool, self.ledger, self.backend)
        let task = Task {
            do {
                ledger.leased(id, try await pool.lease(timeout: timeout), backend: backend)
            } catch {
                ledger.failed(id, error)
            }
        }
        control.withLock { $0.tasks[id] = task }
    }

    private func releaseOne() async {
        let held = ledger.state.withLock { $0.held }
        guard !held.isEmpty else { return }
        let index = random(0..<held.count)
        let connection = held[index]
        ledger.state.withLock { _ = $0.held.remove(at: index) }
        // A healthy connection is sometimes not reusable either (left inside a transaction).
        let reusable = !backend.isBroken(connection) && random(0..<4) != 0
        note("release connection \(connection.id) reusable \(reusable)")
        await pool.release(connection, reusable: reusable)
    }

    private func cancel(oldest: Bool) {
        let pending = ledger.state.withLock { $0.pending.sorted() }
        guard !pending.isEmpty else { return }
        let id = oldest ? pending[0] : pending[random(0..<pending.count)]
        note("cancel #\(id)")
        control.withLock { $0.tasks[id] }?.cancel()
    }

    private func cancelAll() {
        for task in control.withLock({ Array($0.tasks.values) }) { task.cancel() }
    }

    private func waitForNoPendingLease(_ when: String) async -> Bool {
        let deadline = ContinuousClock.now + .seconds(10)
        while ledger.state.withLock({ !$0.pending.isEmpty }) {
            guard ContinuousClock.now < deadline else {
                violate("\(when): leases still running 10 s after being cancelled")
                return false
            }
            try? await Task.sleep(for: .milliseconds(1))
        }
        return true
    }

    /// Waits until every running lease waits in line (so nothing is being opened, granted or given
    /// back), lets the thread pool finish the closes queued so far, and checks the invariants.
    private func settleAndCheck(_ when: String) async -> Bool {
        let deadline = ContinuousClock.now + .seconds(10)
        while true {
            // Nothing starts leases while this runs, so `pending` can only shrink: when it is the same
            // before and after and equals the waiters, every running lease was waiting in between.
            let pendingBefore = ledger.state.withLock { $0.pending.count }
            let stats = await pool.statistics
            try? await threadPool.runIfActive {}
            let alive = backend.alive
            let (pendingAfter, held) = ledger.state.withLock { ($0.pending.count, $0.held.count) }
            if pendingBefore == pendingAfter && pendingAfter == stats.waiting {
                var problems: [String] = []
                if stats.open > maximum { problems.append("open \(stats.open) > maximum \(maximum)") }
                if stats.open != alive { problems.append("open \(stats.open) != connections alive \(alive)") }
                if stats.idle + held != alive {
                    problems.append("idle \(stats.idle) + leased \(held) != connections alive \(alive)")
                }
                if stats.waiting > 0 && (stats.idle > 0 || stats.open < maximum) {
                    problems.append("\(stats.waiting) waiting while idle \(stats.idle), open \(stats.open)")
                }
                if backend.closedTwice > 0 { problems.append("\(backend.closedTwice) connections closed twice") }
                for problem in problems { violate("\(when): \(problem)") }
                return problems.isEmpty && violations.isEmpty
            }
            guard ContinuousClock.now < deadline else {
                violate("\(when): the pool never came to rest: \(pendingAfter) leases running, \(stats.waiting) waiting")
                return false
            }
            try? await Task.sleep(for: .milliseconds(1))
        }
    }

    private func violate(_ problem: String) {
        let log = control.withLock { $0.log.suffix(12).joined(separator: "; ") }
        ledger.state.withLock { $0.violations.append("\(problem)\n  last operations: \(log)") }
    }

    private func note(_ operation: String) {
        control.withLock { $0.log.append(operation) }
    }

    private func random(_ range: Range<Int>) -> Int {
        control.withLock { Int.random(in: range, using: &$0.random) }
    }
}
