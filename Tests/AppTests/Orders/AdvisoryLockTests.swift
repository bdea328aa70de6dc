import Foundation
import Postgres
import TestSupport
import Testing

/// `Database.withAdvisoryLock`: one holder per key across pools (replicas), bounded waits, no leaks.
@Suite(.serialized) struct AdvisoryLockTests {
    /// Counts bodies running at once.
    actor Occupancy {
        private(set) var inside = 0
        private(set) var most = 0
        private(set) var entries = 0
        func enter() {
            inside += 1
            entries += 1
            most = max(most, inside)
        }
        func leave() { inside -= 1 }
    }

    /// Advisory locks granted in this scratch database (pg_locks is cluster-wide, and other suites
    /// may be running against other databases).
    static func advisoryLocksHeld(_ fixture: AppFixture) async throws -> Int {
        try await fixture.asSuperuser { tx in
            try tx.query(
                """
                SELECT count(*) AS n FROM pg_catalog.pg_locks
                WHERE locktype = 'advisory' AND granted
                  AND database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())
                """
            )[0].decode(Int.self, "n")
        }
    }

    @Test func onlyOneHolderAtATimeAcrossTwoPools() async throws {
        try await AppFixture.run(poolSize: 3) { fixture in
            let other = fixture.secondReplica(poolSize: 3)
            let occupancy = Occupancy()
            let databases = [fixture.database, other]
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<16 {
                    let database = databases[index % 2]
                    group.addTask {
                        try await database.withAdvisoryLock(key: 42, timeout: .seconds(20)) {
                            await occupancy.enter()
                            try await Task.sleep(for: .milliseconds(10))
                            await occupancy.leave()
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(await occupancy.entries == 16)
            #expect(await occupancy.most == 1)
            // Waiters did not hold connections: both pools still have every connection reusable.
            let stats = await fixture.database.poolStatistics()
            #expect(stats.open == stats.idle)
            #expect(try await Self.advisoryLocksHeld(fixture) == 0)
            await other.shutdown()
        }
    }

    @Test func differentKeysDoNotWaitForEachOther() async throws {
        try await AppFixture.run(poolSize: 3) { fixture in
            let started = ContinuousClock.now
            try await fixture.database.withAdvisoryLock(key: 1, timeout: .milliseconds(100)) {
                try await fixture.database.withAdvisoryLock(key: 2, timeout: .milliseconds(100)) {}
            }
            #expect(ContinuousClock.now - started < .milliseconds(100))
        }
    }

    @Test func aWaiterGivesUpAfterTheTimeout() async throws {
        try await AppFixture.run(poolSize: 2) { fixture in
            let other = fixture.secondReplica(poolSize: 1)
            let error = try await other.withAdvisoryLock(key: 7, timeout: .seconds(1)) {
                let started = ContinuousClock.now
                let error = await caught(PostgresError.self) {
                    try await fixture.database.withAdvisoryLock(key: 7, timeout: .milliseconds(150)) {
                        Issue.record("entered a held lock")
                    }
                }
                let waited = ContinuousClock.now - started
                #expect(waited >= .milliseconds(150))
                #expect(waited < .seconds(1))
                return error
            }
            #expect(error?.isLockNotAvailable == true)
            #expect(error?.code == .queryTimeout)
            // The message and description name no SQL.
            #expect(error.map { !"\($0)".contains("pg_") } == true)
            await other.shutdown()
        }
    }

    /// A holder keeps its connection while it waits for OrderDesk: holders use their own lock pool,
    /// so they never take the connections every other request needs, and a caller finding the lock
    /// pool busy fails after its timeout like one that did not get the lock.
    @Test func lockHoldersNeverTakeTheConnectionsOtherRequestsNeed() async throws {
        try await AppFixture.run(poolSize: 1) { fixture in
            let database = Database(
                configuration: DatabaseConfiguration(
                    url: fixture.scratch.appURL, poolSize: 1, acquireTimeoutMilliseconds: 500, lockPoolSize: 1))
            try await database.withAdvisoryLock(key: 21, timeout: .seconds(1)) {
                // The only pooled connection is still free for ordinary work.
                let one = try await database.withUnscopedTransaction { tx in
                    try tx.query("SELECT 1 AS one")[0].decode(Int.self, "one")
                }
                #expect(one == 1)
                // The only lock connection is taken: another key waits, then fails as "not obtained".
                let started = ContinuousClock.now
                let error = await caught(PostgresError.self) {
                    try await database.withAdvisoryLock(key: 22, timeout: .milliseconds(200)) {
                        Issue.record("ran without a lock connection")
                    }
                }
                let waited = ContinuousClock.now - started
                #expect(error?.isLockNotAvailable == true)
                #expect(waited >= .milliseconds(200) && waited < .seconds(2))
            }
            #expect(try await Self.advisoryLocksHeld(fixture) == 0)
            #expect(try await database.withAdvisoryLock(key: 22, timeout: .milliseconds(200)) { 22 } == 22)
            await database.shutdown()
        }
    }

    /// A database restart ends the holder's session and with it the lock: `confirm()` says so
    /// before the body writes anything.
    @Test func aLostLockIsNoticedBeforeTheWrite() async throws {
        try await AppFixture.run(poolSize: 2) { fixture in
            let database = fixture.database
            let error = try await database.withAdvisoryLock(key: 31, timeout: .seconds(1)) { (lock: HeldAdvisoryLock) in
                try await lock.confirm()
                try await fixture.asSuperuser { tx in
                    try tx.query(
                        """
                        SELECT pg_terminate_backend(pid) FROM pg_catalog.pg_locks
                        WHERE locktype = 'advisory' AND granted AND objid = 31
                          AND database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())
                        """)
                }
                try await Task.sleep(for: .milliseconds(100))
                return await caught(PostgresError.self) { try await lock.confirm() }
            }
            #expect(error?.isConnectionFailure == true)
            #expect(try await Self.advisoryLocksHeld(fixture) == 0)
            // The pool recovers: the next holder gets the lock at once.
            #expect(try await database.withAdvisoryLock(key: 31, timeout: .milliseconds(200)) { 31 } == 31)
        }
    }

    @Test func aThrowingBodyStillUnlocks() async throws {
        struct Boom: Error {}
        try await AppFixture.run(poolSize: 2) { fixture in
            let error = await caught(Boom.self) {
                try await fixture.database.withAdvisoryLock(key: 9, timeout: .seconds(1)) { throw Boom() }
            }
            #expect(error != nil)
            #expect(try await Self.advisoryLocksHeld(fixture) == 0)
            let other = fixture.secondReplica(poolSize: 1)
            let value = try await other.withAdvisoryLock(key: 9, timeout: .milliseconds(50)) { 5 }
            #expect(value == 5)
            await other.shutdown()
        }
    }

    @Test func aCancelledHolderStillUnlocks() async throws {
        try await AppFixture.run(poolSize: 2) { fixture in
            let database = fixture.database
            let task = Task {
                try await database.withAdvisoryLock(key: 11, timeout: .seconds(1)) {
                    try await Task.sleep(for: .seconds(30))
                }
            }
            try await Task.sleep(for: .milliseconds(200))
            #expect(try await Self.advisoryLocksHeld(fixture) == 1)
            task.cancel()
            _ = await task.result
            #expect(try await Self.advisoryLocksHeld(fixture) == 0)
        }
    }
}
