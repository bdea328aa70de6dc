import Foundation
import TestSupport
import Testing

@testable import App

/// `TenantUpstreamSlots`: per-tenant caps, first come first served, bounded waits, cancellation.
/// No database: the limiter is in-process.
struct TenantUpstreamSlotsTests {
    /// A call that holds its slot until released.
    final class Gate: Sendable {
        private let stream: AsyncStream<Void>
        private let continuation: AsyncStream<Void>.Continuation

        init() {
            (stream, continuation) = AsyncStream.makeStream(of: Void.self)
        }

        func open() { continuation.finish() }
        func wait() async { for await _ in stream {} }
    }

    /// Runs a call holding a slot of `tenant` until `gate` opens; returns once it holds the slot.
    static func hold(
        _ slots: TenantUpstreamSlots, _ tenant: UUID, until gate: Gate
    ) async throws -> Task<Void, any Error> {
        let before = slots.occupancy(tenant).running
        let task = Task { try await slots.withSlot(tenantID: tenant) { await gate.wait() } }
        try await poll(until: "the slots reach the expected state") { slots.occupancy(tenant).running > before }
        return task
    }

    @Test func aTenantGetsAtMostItsLimitAndOthersAreUnaffected() async throws {
        let slots = TenantUpstreamSlots(limit: 2, maxWait: .seconds(5))
        let (slow, other) = (UUID(), UUID())
        let gate = Gate()
        let held = [try await Self.hold(slots, slow, until: gate), try await Self.hold(slots, slow, until: gate)]
        // A third call of the slow tenant waits…
        let third = Task { try await slots.withSlot(tenantID: slow) { 3 } }
        try await poll(until: "the slots reach the expected state") { slots.occupancy(slow).waiting == 1 }
        #expect(slots.occupancy(slow).running == 2)
        // …while another tenant's calls run at once.
        let started = ContinuousClock.now
        let results = try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<2 { group.addTask { try await slots.withSlot(tenantID: other) { index } } }
            return try await group.reduce(0, +)
        }
        #expect(results == 1)
        #expect(ContinuousClock.now - started < .milliseconds(500))
        // A finished call hands its slot to the waiter.
        gate.open()
        #expect(try await third.value == 3)
        for task in held { try await task.value }
        #expect(slots.occupancy(slow) == .init(running: 0, waiting: 0))
        #expect(slots.occupancy(other) == .init(running: 0, waiting: 0))
    }

    @Test func waitersAreServedFirstComeFirstServed() async throws {
        let slots = TenantUpstreamSlots(limit: 1, maxWait: .seconds(5))
        let tenant = UUID()
        let gate = Gate()
        let holder = try await Self.hold(slots, tenant, until: gate)
        let order = Order()
        var waiters: [Task<Void, any Error>] = []
        for index in 0..<5 {
            waiters.append(Task { try await slots.withSlot(tenantID: tenant) { await order.append(index) } })
            try await poll(until: "the slots reach the expected state") { slots.occupancy(tenant).waiting == index + 1 }
        }
        gate.open()
        try await holder.value
        for waiter in waiters { try await waiter.value }
        #expect(await order.values == [0, 1, 2, 3, 4])
    }

    actor Order {
        private(set) var values: [Int] = []
        func append(_ value: Int) { values.append(value) }
    }

    @Test func aWaitBeyondMaxWaitIsRateLimitedWithRetryAfter() async throws {
        let slots = TenantUpstreamSlots(limit: 1, maxWait: .milliseconds(150))
        let tenant = UUID()
        let gate = Gate()
        let holder = try await Self.hold(slots, tenant, until: gate)
        let started = ContinuousClock.now
        let error = await caught(OrderServiceError.self) {
            try await slots.withSlot(tenantID: tenant) { Issue.record("ran without a slot") }
        }
        let waited = ContinuousClock.now - started
        #expect(error?.code == .rateLimited)
        #expect((error?.retryAfterSeconds ?? 0) >= 1)
        #expect(waited >= .milliseconds(150) && waited < .seconds(2))
        #expect(slots.occupancy(tenant) == .init(running: 1, waiting: 0))
        gate.open()
        try await holder.value
        #expect(slots.occupancy(tenant) == .init(running: 0, waiting: 0))
    }

    @Test func zeroMaxWaitRefusesAtOnceWhenFull() async throws {
        let slots = TenantUpstreamSlots(limit: 1, maxWait: .zero)
        let tenant = UUID()
        let gate = Gate()
        let holder = try await Self.hold(slots, tenant, until: gate)
        let error = await caught(OrderServiceError.self) { try await slots.withSlot(tenantID: tenant) {} }
        #expect(error?.code == .rateLimited)
        gate.open()
        try await holder.value
        // Free again: no wait at all.
        #expect(try await slots.withSlot(tenantID: tenant) { 1 } == 1)
    }

    /// A cancelled waiter leaves the queue at once, without taking or leaking a slot.
    @Test func aCancelledWaiterLeavesTheQueue() async throws {
        let slots = TenantUpstreamSlots(limit: 1, maxWait: .seconds(30))
        let tenant = UUID()
        let gate = Gate()
        let holder = try await Self.hold(slots, tenant, until: gate)
        let waiter = Task { try await slots.withSlot(tenantID: tenant) { Issue.record("a cancelled waiter ran") } }
        try await poll(until: "the slots reach the expected state") { slots.occupancy(tenant).waiting == 1 }
        let cancelled = ContinuousClock.now
        waiter.cancel()
        let outcome = await waiter.result
        #expect(ContinuousClock.now - cancelled < .milliseconds(500))
        #expect(throws: CancellationError.self) { try outcome.get() }
        #expect(slots.occupancy(tenant) == .init(running: 1, waiting: 0))
        gate.open()
        try await holder.value
        #expect(slots.occupancy(tenant) == .init(running: 0, waiting: 0))
        #expect(try await slots.withSlot(tenantID: tenant) { 2 } == 2)
    }

    @Test func anAlreadyCancelledTaskNeverWaits() async throws {
        let slots = TenantUpstreamSlots(limit: 1, maxWait: .seconds(30))
        let tenant = UUID()
        let gate = Gate()
        let holder = try await Self.hold(slots, tenant, until: gate)
        let waiter = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            try await slots.withSlot(tenantID: tenant) { Issue.record("a cancelled task ran") }
        }
        let outcome = await waiter.result
        #expect(throws: CancellationError.self) { try outcome.get() }
        #expect(slots.occupancy(tenant) == .init(running: 1, waiting: 0))
        gate.open()
        try await holder.value
    }

    /// A call cancelled while it holds its slot gives the slot back (to the next waiter).
    @Test func aCancelledCallReleasesItsSlot() async throws {
        let slots = TenantUpstreamSlots(limit: 1, maxWait: .seconds(30))
        let tenant = UUID()
        let running = Task { try await slots.withSlot(tenantID: tenant) { try await Task.sleep(for: .seconds(30)) } }
        try await poll(until: "the slots reach the expected state") { slots.occupancy(tenant).running == 1 }
        let next = Task { try await slots.withSlot(tenantID: tenant) { 7 } }
        try await poll(until: "the slots reach the expected state") { slots.occupancy(tenant).waiting == 1 }
        running.cancel()
        let outcome = await running.result
        #expect(throws: CancellationError.self) { try outcome.get() }
        #expect(try await next.value == 7)
        #expect(slots.occupancy(tenant) == .init(running: 0, waiting: 0))
    }

    /// Many calls, random cancellations and timeouts: the cap holds throughout and nothing leaks.
    @Test func underChurnTheCapHoldsAndNothingLeaks() async throws {
        let slots = TenantUpstreamSlots(limit: 3, maxWait: .milliseconds(40))
        let tenant = UUID()
        let peak = Peak()
        await withTaskGroup(of: Void.self) { group in
            for index in 0..<200 {
                group.addTask {
                    let call = Task {
                        try await slots.withSlot(tenantID: tenant) {
                            await peak.enter()
                            do {
                                try await Task.sleep(for: .milliseconds(Int.random(in: 0...5)))
                            } catch {
                                await peak.leave()
                                throw error
                            }
                            await peak.leave()
                        }
                    }
                    if index % 3 == 0 {
                        try? await Task.sleep(for: .milliseconds(Int.random(in: 0...3)))
                        call.cancel()
                    }
                    _ = await call.result
                }
            }
        }
        #expect(await peak.most <= 3)
        #expect(await peak.most >= 1)
        #expect(slots.occupancy(tenant) == .init(running: 0, waiting: 0))
    }

    /// Calls inside their slot at once, measured by the calls themselves.
    actor Peak {
        private(set) var inside = 0
        private(set) var most = 0
        func enter() {
            inside += 1
            most = max(most, inside)
        }
        func leave() { inside -= 1 }
    }
}
