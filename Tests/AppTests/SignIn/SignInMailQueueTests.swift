import Logging
import Synchronization
import Testing

@testable import App

/// The sign-in mail queue: bounded, never waiting on enqueue, drained at shutdown within a deadline.
@Suite struct SignInMailQueueTests {
    /// Records deliveries; each waits until the gate opens (a slow SMTP server).
    private final class Recorder: Sendable {
        let started = Mutex<[String]>([])
        let finished = Mutex<[String]>([])
        let opened = Mutex(false)

        var deliver: SignInMailQueue.Deliver {
            { [self] job in
                started.withLock { $0.append(job.correlationID) }
                while !opened.withLock({ $0 }) && !Task.isCancelled { try? await Task.sleep(for: .milliseconds(5)) }
                guard !Task.isCancelled else { return }
                finished.withLock { $0.append(job.correlationID) }
            }
        }

        func open() { opened.withLock { $0 = true } }
    }

    private static func job(_ name: String) throws -> SignInMailQueue.Job {
        SignInMailQueue.Job(
            email: try MemberEmail("ann@example.com"), binding: String(repeating: "b", count: 43), requestID: nil,
            correlationID: name)
    }

    private static func waitUntil(_ condition: () -> Bool) async throws {
        for _ in 0..<300 where !condition() { try await Task.sleep(for: .milliseconds(10)) }
        #expect(condition())
    }

    @Test func beyondItsCapacityAJobIsDroppedAtOnce() async throws {
        let recorder = Recorder()
        let queue = SignInMailQueue(capacity: 3, concurrency: 1, logger: Logger(label: "test"), deliver: recorder.deliver)
        #expect(queue.enqueue(try Self.job("first")))
        try await Self.waitUntil { recorder.started.withLock { $0 } == ["first"] }
        for name in ["a", "b", "c"] { #expect(queue.enqueue(try Self.job(name))) }
        #expect(!queue.enqueue(try Self.job("over")))
        #expect(queue.dropped == 1)
        recorder.open()
        await queue.shutdown(deadline: .seconds(5))
        #expect(recorder.finished.withLock { $0 } == ["first", "a", "b", "c"])
        #expect(queue.delivered == 4)
    }

    @Test func shutdownStopsTakingJobsAndFinishesTheQueuedOnes() async throws {
        let recorder = Recorder()
        let queue = SignInMailQueue(capacity: 10, concurrency: 2, logger: Logger(label: "test"), deliver: recorder.deliver)
        for name in ["a", "b", "c", "d"] { #expect(queue.enqueue(try Self.job(name))) }
        try await Self.waitUntil { recorder.started.withLock { $0.count } == 2 }  // two at a time
        #expect(recorder.started.withLock { $0.count } == 2)
        let opening = Task {
            try await Task.sleep(for: .milliseconds(300))
            recorder.open()
        }
        await queue.shutdown(deadline: .seconds(10))
        try await opening.value
        #expect(Set(recorder.finished.withLock { $0 }) == ["a", "b", "c", "d"])
        #expect(!queue.enqueue(try Self.job("late")))
        try await Task.sleep(for: .milliseconds(50))
        #expect(!recorder.started.withLock { $0 }.contains("late"))
    }

    @Test func shutdownGivesUpAtItsDeadline() async throws {
        let recorder = Recorder()  // never opened: a server that never answers
        let queue = SignInMailQueue(capacity: 10, concurrency: 1, logger: Logger(label: "test"), deliver: recorder.deliver)
        queue.enqueue(try Self.job("stuck"))
        queue.enqueue(try Self.job("waiting"))
        try await Self.waitUntil { recorder.started.withLock { $0.count } == 1 }
        let start = ContinuousClock.now
        await queue.shutdown(deadline: .milliseconds(200))
        #expect(ContinuousClock.now - start < .seconds(3))
        #expect(recorder.finished.withLock { $0 }.isEmpty)
    }
}
