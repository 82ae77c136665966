import Foundation
import JobQueue
import Logging
import Synchronization
import TestSupport
import Testing

/// The worker pool itself, on the in-memory store with scripted executors: cancelling a running
/// job and losing its lease cancel the execution; transient failures are retried; finished jobs
/// past retention are removed.
@Suite struct JobWorkerPoolTests {
    struct Transient: Error {}

    /// An executor whose behaviour per attempt is scripted; it records what happened to each run.
    final class ScriptedExecutor: JobExecuting {
        enum Step: Sendable { case succeed, failTransient, hang }
        let steps: Mutex<[Step]>
        let started = Mutex(0)
        let cancelled = Mutex(0)
        init(_ steps: [Step]) { self.steps = Mutex(steps) }

        func execute(modelType: String, request: [UInt8]) async throws -> [UInt8] {
            started.withLock { $0 += 1 }
            let step = steps.withLock { $0.isEmpty ? .succeed : $0.removeFirst() }
            switch step {
            case .succeed: return Array(#"{"ok":true}"#.utf8)
            case .failTransient: throw Transient()
            case .hang:
                do {
                    try await Task.sleep(for: .seconds(60))
                } catch {
                    cancelled.withLock { $0 += 1 }
                    throw error
                }
                return []
            }
        }
        func isTransient(_ error: any Error) -> Bool { error is Transient }
        func describe(_ error: any Error) -> String { "\(type(of: error))" }
    }

    /// The in-memory store, except that heartbeats report the lease lost once `lose` is set.
    final class LosingStore: JobStore {
        let inner = InMemoryJobStore()
        let lose = Mutex(false)
        func migrate() async throws { try await inner.migrate() }
        func submit(_ job: JobRecord, maxPending: Int) async throws -> SubmitOutcome { try await inner.submit(job, maxPending: maxPending) }
        func job(_ id: String) async throws -> JobRecord? { try await inner.job(id) }
        func list(status: JobStatus?, modelType: String?, limit: Int, offset: Int) async throws -> JobPage {
            try await inner.list(status: status, modelType: modelType, limit: limit, offset: offset)
        }
        func claim(owner: String, policy: ClaimPolicy, now: Double) async throws -> JobLease? {
            try await inner.claim(owner: owner, policy: policy, now: now)
        }
        func heartbeat(_ lease: JobLease, leaseSeconds: Double, now: Double) async throws -> LeaseState {
            if lose.withLock({ $0 }) { return .lost }
            return try await inner.heartbeat(lease, leaseSeconds: leaseSeconds, now: now)
        }
        func complete(_ lease: JobLease, result: [UInt8], processingTime: Double, now: Double) async throws -> Bool {
            try await inner.complete(lease, result: result, processingTime: processingTime, now: now)
        }
        func fail(_ lease: JobLease, error: String, retry: Bool, now: Double) async throws -> Bool {
            try await inner.fail(lease, error: error, retry: retry, now: now)
        }
        func markCancelled(_ lease: JobLease, now: Double) async throws -> Bool { try await inner.markCancelled(lease, now: now) }
        func release(_ lease: JobLease) async throws { try await inner.release(lease) }
        func cancel(_ id: String, now: Double) async throws -> (found: Bool, job: JobRecord?) { try await inner.cancel(id, now: now) }
        func deleteFinished(before: Double) async throws -> Int { try await inner.deleteFinished(before: before) }
        func counts() async throws -> [JobStatus: Int] { try await inner.counts() }
    }

    static let fast = JobWorkerConfiguration(workers: 1, leaseSeconds: 30, heartbeatSeconds: 0.05, pollSeconds: 0.02,
                                             maxAttempts: 3, retentionSeconds: 3600, cleanupSeconds: 0.05)

    /// Runs a pool over `store` for the body's duration.
    static func withPool(store: any JobStore, executor: ScriptedExecutor,
                         configuration: JobWorkerConfiguration = fast,
                         _ body: (JobMetrics) async throws -> Void) async throws {
        let metrics = JobMetrics()
        let pool = JobWorkerPool(store: store, executor: executor, callbacks: nil, configuration: configuration,
                                 metrics: metrics, logger: Logger(label: "test"))
        let task = Task { try await pool.run() }
        defer { task.cancel() }
        try await body(metrics)
    }

    static func submit(_ store: any JobStore, id: String = UUID().uuidString) async throws -> String {
        _ = try await store.submit(JobRecord(id: id, modelType: "dinov3", createdAt: Date().timeIntervalSince1970,
                                             request: Array("{}".utf8)), maxPending: 100)
        return id
    }

    /// Polls until `condition` holds (5 s at most).
    static func eventually(_ condition: () async throws -> Bool) async throws -> Bool {
        try await TestSupport.eventually(tries: 250, condition)
    }

    @Test func cancellingARunningJobCancelsItsExecution() async throws {
        let store = InMemoryJobStore()
        let executor = ScriptedExecutor([.hang])
        try await Self.withPool(store: store, executor: executor) { metrics in
            let id = try await Self.submit(store)
            #expect(try await Self.eventually { try await store.job(id)?.status == .running })
            _ = try await store.cancel(id, now: Date().timeIntervalSince1970)
            #expect(try await Self.eventually { try await store.job(id)?.status == .cancelled })
            #expect(executor.cancelled.withLock { $0 } == 1, "the 60 s execution was cancelled, not waited for")
            #expect(await metrics.current().cancelled == 1)
        }
    }

    @Test func aLostLeaseCancelsTheExecutionAndDiscardsIt() async throws {
        let store = LosingStore()
        let executor = ScriptedExecutor([.hang])
        try await Self.withPool(store: store, executor: executor) { metrics in
            let id = try await Self.submit(store)
            #expect(try await Self.eventually { try await store.job(id)?.status == .running })
            store.lose.withLock { $0 = true }
            #expect(try await Self.eventually { executor.cancelled.withLock { $0 } == 1 })
            #expect(try await Self.eventually { await metrics.current().leasesLost == 1 })
            // Nothing recorded for the lost lease: the job stays as the new holder would find it.
            #expect(try await store.job(id)?.status == .running)
            #expect(try await store.job(id)?.result == nil)
        }
    }

    @Test func aTransientFailureIsRetriedUntilItSucceeds() async throws {
        let store = InMemoryJobStore()
        let executor = ScriptedExecutor([.failTransient, .failTransient, .succeed])
        try await Self.withPool(store: store, executor: executor) { metrics in
            let id = try await Self.submit(store)
            #expect(try await Self.eventually { try await store.job(id)?.status == .completed })
            let job = try #require(try await store.job(id))
            #expect(job.attempts == 3)
            #expect(job.result == Array(#"{"ok":true}"#.utf8))
            #expect(await metrics.current().retried == 2)
        }
    }

    @Test func retriesStopAtMaxAttempts() async throws {
        let store = InMemoryJobStore()
        let executor = ScriptedExecutor([.failTransient, .failTransient, .failTransient, .succeed])
        try await Self.withPool(store: store, executor: executor) { metrics in
            let id = try await Self.submit(store)
            #expect(try await Self.eventually { try await store.job(id)?.status == .failed })
            #expect(executor.started.withLock { $0 } == 3)
            #expect(try await store.job(id)?.error == "Transient")
            #expect(await metrics.current().failed == 1)
        }
    }

    @Test func finishedJobsPastRetentionAreRemoved() async throws {
        let store = InMemoryJobStore()
        var configuration = Self.fast
        configuration.retentionSeconds = 0.2
        try await Self.withPool(store: store, executor: ScriptedExecutor([]), configuration: configuration) { metrics in
            let id = try await Self.submit(store)
            // Completion is read from the pool's counters: the store may already have removed the job
            // by the time a poll of its status would see it completed.
            #expect(try await Self.eventually { await metrics.current().completed == 1 })
            #expect(try await Self.eventually { try await store.job(id) == nil })
        }
    }
}
