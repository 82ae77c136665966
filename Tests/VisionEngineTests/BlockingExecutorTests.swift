import Foundation
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
