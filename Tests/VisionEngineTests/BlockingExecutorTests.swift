import Foundation
import Synchronization
import Testing
import VisionCore
@testable import VisionEngine

@Suite struct BlockingExecutorTests {
    @Test func runsWorkOnItsOwnThreads() async throws {
        let executor = BlockingExecutor(name: "unit", threads: 2, queueLimit: 4)
        defer { executor.shutdown() }
        let name = try await executor.run { BlockingExecutor.currentThreadName ?? "" }
        #expect(name.hasPrefix("unit-"), "\(name)")
        #expect(BlockingExecutor.currentThreadName == nil, "the test itself is not on an executor thread")
    }

    @Test func propagatesErrors() async {
        let executor = BlockingExecutor(name: "unit", threads: 1, queueLimit: 1)
        defer { executor.shutdown() }
        await #expect(throws: VisionError.invalidInput("boom")) {
            try await executor.run { throw VisionError.invalidInput("boom") }
        }
    }

    /// A caller that is cancelled stops waiting at once: its queued work never runs, and running
    /// work finishes on its thread with the result discarded.
    @Test func cancellationEndsTheWaitAndDropsQueuedWork() async throws {
        let executor = BlockingExecutor(name: "unit", threads: 1, queueLimit: 2)
        defer { executor.shutdown() }
        let gate = DispatchSemaphore(value: 0)
        let queuedRan = Mutex(false)
        let running = Task { try await executor.run { gate.wait(); return 1 } }
        while executor.load.running < 1 { try await Task.sleep(for: .milliseconds(5)) }
        let queued = Task { try await executor.run { queuedRan.withLock { $0 = true }; return 2 } }
        while executor.load.queued < 1 { try await Task.sleep(for: .milliseconds(5)) }
        running.cancel()
        queued.cancel()
        await #expect(throws: CancellationError.self) { try await running.value }
        await #expect(throws: CancellationError.self) { try await queued.value }
        gate.signal()
        // The thread is free again and the dropped work never ran.
        #expect(try await executor.run { 3 } == 3)
        #expect(queuedRan.withLock { $0 } == false)
    }

    /// A cancelled caller's queued work leaves the queue at once: a client that gave up does not
    /// hold a slot, so the next caller is queued instead of refused as overload.
    @Test func cancelledQueuedWorkFreesItsSlot() async throws {
        let executor = BlockingExecutor(name: "unit", threads: 1, queueLimit: 1)
        defer { executor.shutdown() }
        let gate = DispatchSemaphore(value: 0)
        let running = Task { try await executor.run { gate.wait(); return 1 } }
        while executor.load.running < 1 { try await Task.sleep(for: .milliseconds(5)) }
        let gaveUp = Task { try await executor.run { 2 } }
        while executor.load.queued < 1 { try await Task.sleep(for: .milliseconds(5)) }
        gaveUp.cancel()
        await #expect(throws: CancellationError.self) { try await gaveUp.value }
        #expect(executor.load.queued == 0, "the cancelled work still holds its queue slot")
        let next = Task { try await executor.run { 3 } }
        while executor.load.queued < 1 { try await Task.sleep(for: .milliseconds(5)) }
        gate.signal()
        #expect(try await running.value == 1)
        #expect(try await next.value == 3, "the next caller was queued, not refused")
    }

    @Test func fullQueueIsAnOverloadWithRetryAfter() async throws {
        let executor = BlockingExecutor(name: "unit", threads: 1, queueLimit: 1)
        defer { executor.shutdown() }
        let gate = DispatchSemaphore(value: 0)
        // One running and one queued fill the executor.
        let first = Task { try await executor.run { gate.wait() } }
        let second = Task { try await executor.run { gate.wait() } }
        while executor.load.queued + executor.load.running < 2 { try await Task.sleep(for: .milliseconds(5)) }
        let error = await #expect(throws: VisionError.self) { try await executor.run { 1 } }
        #expect(error?.category == .overloaded)
        #expect(error?.retryAfterSeconds == 1)
        gate.signal(); gate.signal()
        _ = try await first.value
        _ = try await second.value
    }

    @Test func refusesWorkAfterShutdown() async {
        let executor = BlockingExecutor(name: "unit", threads: 1, queueLimit: 1)
        executor.shutdown()
        let error = await #expect(throws: VisionError.self) { try await executor.run { 1 } }
        #expect(error?.category == .notReady)
    }
}
