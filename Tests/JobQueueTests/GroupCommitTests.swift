import JobQueue
import Synchronization
import Testing

@Suite struct GroupCommitStateTests {
    @Test func oneBatchAtATimeAndEverythingThatWaitedGoesNext() {
        var state = GroupCommitState<Int>(maxBatch: 10)
        #expect(state.arrive(1) == [1], "an idle writer writes at once")
        #expect(state.arrive(2) == nil && state.arrive(3) == nil, "arrivals during a write wait")
        #expect(state.queued == 2 && state.writing)
        #expect(state.written() == [2, 3], "the next batch is everything that waited, oldest first")
        #expect(state.written() == nil && !state.writing, "nothing waits: idle")
        #expect(state.arrive(4) == [4], "idle again: written at once")
    }

    @Test func batchesAreCappedAndNothingIsLost() {
        var state = GroupCommitState<Int>(maxBatch: 2)
        #expect(state.arrive(0) == [0])
        for i in 1...5 { #expect(state.arrive(i) == nil) }
        var batches: [[Int]] = []
        while let batch = state.written() { batches.append(batch) }
        #expect(batches == [[1, 2], [3, 4], [5]])
        #expect(state.queued == 0 && !state.writing)
    }
}

@Suite struct GroupCommitterTests {
    /// Records the batches a committer writes and whether two writes ever overlapped.
    final class Writes: Sendable {
        let batches = Mutex<[[Int]]>([])
        let inFlight = Mutex(0)
        let overlapped = Mutex(false)

        func write(_ items: [Int]) async throws -> [String] {
            inFlight.withLock { n in
                n += 1
                if n > 1 { overlapped.withLock { $0 = true } }
            }
            try await Task.sleep(for: .milliseconds(5))
            inFlight.withLock { $0 -= 1 }
            batches.withLock { $0.append(items) }
            if items.contains(-1) { throw Failure() }
            return items.map { "done \($0)" }
        }
    }

    struct Failure: Error {}

    @Test func concurrentSubmitsShareFewWritesAndEachGetsItsOwnOutcome() async throws {
        let writes = Writes()
        let committer = GroupCommitter<Int, String>(maxBatch: 16) { try await writes.write($0) }
        let answers = try await withThrowingTaskGroup(of: (Int, String).self) { group in
            for i in 0..<60 { group.addTask { (i, try await committer.submit(i)) } }
            var all: [(Int, String)] = []
            for try await answer in group { all.append(answer) }
            return all
        }
        #expect(answers.count == 60)
        for (i, answer) in answers { #expect(answer == "done \(i)") }
        let batches = writes.batches.withLock { $0 }
        #expect(batches.flatMap { $0 }.sorted() == Array(0..<60), "every item written exactly once")
        #expect(batches.count < 60 && batches.allSatisfy { $0.count <= 16 }, "\(batches.map(\.count))")
        #expect(!writes.overlapped.withLock { $0 }, "two batches were written at once")
    }

    @Test func aFailedWriteFailsItsBatchOnly() async throws {
        let writes = Writes()
        let committer = GroupCommitter<Int, String>(maxBatch: 1) { try await writes.write($0) }
        await #expect(throws: Failure.self) { try await committer.submit(-1) }
        #expect(try await committer.submit(7) == "done 7", "the committer keeps working after a failed batch")
    }
}
