import Foundation
import GRDB
import JobQueue
import JobStorePostgres
import JobStoreSQLite
import Logging
import Synchronization
import TestSupport
import Testing

/// Deadlines and outages without a database: a store double whose calls hang (ignoring
/// cancellation) or fail as a restarting database does.
@Suite struct StoreDeadlineTests {
    static func job(_ key: String? = nil) -> JobRecord {
        JobRecord(id: UUID().uuidString, modelType: "dinov3", createdAt: Date().timeIntervalSince1970,
                  request: Array("{}".utf8), idempotencyKey: key)
    }

    /// 20 submits to a store that never answers are each answered within the deadline with a
    /// retryable timeout; the store is reported unavailable, then available once it answers; a
    /// submit that timed out but was stored late is returned, not made twice, on a retry with its key.
    @Test func aHangingStoreAnswersEveryCallWithinItsDeadline() async throws {
        let faulty = FaultyJobStore()
        let store = GuardedJobStore(faulty, timeout: .milliseconds(200), logger: Logger(label: "test"))
        faulty.inject(.hang)
        let start = ContinuousClock.now
        let outcomes = await withTaskGroup(of: Result<SubmitOutcome, any Error>.self) { group in
            for i in 0..<20 {
                group.addTask {
                    do { return .success(try await store.submit(Self.job("k\(i)"), maxPending: 100)) } catch { return .failure(error) }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        let took = ContinuousClock.now - start
        #expect(outcomes.count == 20)
        for outcome in outcomes {
            guard case .failure(let error) = outcome, let fault = error as? JobStoreUnavailable else {
                Issue.record("expected a timeout, got \(outcome)")
                continue
            }
            #expect(fault.kind == "timed_out" && fault.outcomeUnknown && fault.retryAfterSeconds > 0)
            #expect(fault.description.contains("Idempotency-Key"))
        }
        // The store releases a hung call by itself after 30 s: had the callers waited for the store,
        // none would still hang here (and they would have taken 30 s, not 2 × 200 ms and the
        // scheduling delays of a loaded machine).
        #expect(faulty.hangingCalls == 20, "answered after \(took) while the calls were still hung in the store")
        #expect(!store.health.state.available && store.health.state.lastFaultKind == "timed_out")
        // Other calls meet the same deadline.
        await #expect(throws: JobStoreUnavailable.self) { try await store.claim(owner: "w", policy: ClaimPolicy(leaseSeconds: 5, maxAttempts: 3), now: 0) }

        // The store answers again: the hung submits complete late (stored), and the store is available.
        faulty.heal()
        try await Task.sleep(for: .milliseconds(50))
        guard case .existing(let existing) = try await store.submit(Self.job("k3"), maxPending: 100) else {
            Issue.record("a retry with the key of a submit stored late must return that job")
            return
        }
        #expect(existing.idempotencyKey == "k3")
        #expect(try await store.counts().values.reduce(0, +) == 20, "each key made one job (the hung claim took one)")
        #expect(store.health.state.available)
    }

    /// A batch write stuck for good answers its submitters at the deadline and the next batch is
    /// written: one dead connection does not stop the queue taking work.
    @Test func aStuckBatchDoesNotHoldUpTheNext() async throws {
        let stuck = Mutex(true)
        let hung = Mutex<CheckedContinuation<Void, Never>?>(nil)
        let committer = GroupCommitter<Int, String>(maxBatch: 4, timeout: .milliseconds(150)) { items in
            if stuck.withLock({ s in defer { s = false }; return s }) {
                // The first batch hangs, ignoring cancellation, until the test ends.
                await withCheckedContinuation { waiter in hung.withLock { $0 = waiter } }
            }
            return items.map { "stored \($0)" }
        }
        defer { hung.withLock { $0?.resume() } }
        let first = Task { try await committer.submit(0) }
        try await Task.sleep(for: .milliseconds(20))
        let later = Task { try await committer.submit(1) }
        await #expect(throws: JobStoreUnavailable.timedOut("submit")) { try await first.value }
        #expect(try await later.value == "stored 1")
        #expect(try await committer.submit(2) == "stored 2")
    }

    /// The deadline itself: a value in time, the timeout's error after it, the caller's own
    /// cancellation as a CancellationError (not a timeout).
    @Test func aDeadlineReturnsTimesOutOrIsCancelled() async throws {
        struct Late: Error {}
        #expect(try await withDeadline(.seconds(30), onTimeout: { Late() }) { 7 } == 7)
        await #expect(throws: Late.self) {
            try await withDeadline(.milliseconds(50), onTimeout: { Late() }) { try await Task.sleep(for: .seconds(30)); return 0 }
        }
        let caller = Task {
            try await withDeadline(.seconds(30), onTimeout: { Late() }) { try await Task.sleep(for: .seconds(30)); return 0 }
        }
        try await Task.sleep(for: .milliseconds(50))
        caller.cancel()
        await #expect(throws: CancellationError.self) { try await caller.value }
    }

    /// Each database fault kind answers as the API needs it: retryable, and a full disk apart.
    @Test func faultsSayWhatHappenedAndHowLongToWait() {
        let full = JobStoreUnavailable.full("submit")
        #expect(full.isStorageFull && !full.outcomeUnknown && full.description.contains("disk holding the job database is full"))
        let terminated = JobStoreUnavailable.terminated("submit")
        #expect(!terminated.isStorageFull && terminated.outcomeUnknown && terminated.kind == "terminated")
        #expect(JobStoreUnavailable.busy("claim").retryAfterSeconds == 1)
        #expect(!JobStoreUnavailable.timedOut("claim").description.contains("Idempotency-Key"), "only a submit has a key")
    }
}

/// The workers through an outage: a finished job's result is recorded once the store answers
/// again, and a job running when the pool is cancelled goes back to pending.
@Suite struct WorkerOutageTests {
    static let fast = JobWorkerConfiguration(workers: 1, leaseSeconds: 30, heartbeatSeconds: 0.05, pollSeconds: 0.02,
                                             maxAttempts: 3, retentionSeconds: 3600, cleanupSeconds: 60)

    final class Executor: JobExecuting {
        let hang: Bool
        let runs = Mutex(0)
        init(hang: Bool) { self.hang = hang }
        func execute(modelType: String, request: [UInt8]) async throws -> [UInt8] {
            runs.withLock { $0 += 1 }
            if hang { try await Task.sleep(for: .seconds(60)) }
            return Array("ok".utf8)
        }
        func isTransient(_ error: any Error) -> Bool { true }
        func describe(_ error: any Error) -> String { "\(error)" }
    }

    /// Polls until `condition` holds (30 s at most: the suite runs beside others on 2 cores).
    static func eventually(_ condition: () async throws -> Bool) async throws -> Bool {
        try await TestSupport.eventually(tries: 6 * 250, condition)
    }

    @Test func aResultIsRecordedOnceTheStoreIsBack() async throws {
        let faulty = FaultyJobStore()
        let store = GuardedJobStore(faulty, timeout: .seconds(1), logger: Logger(label: "test"))
        let executor = Executor(hang: false)
        let metrics = JobMetrics()
        faulty.failNext(3, "complete")
        let id = UUID().uuidString
        _ = try await store.submit(JobRecord(id: id, modelType: "dinov3", createdAt: 0, request: []), maxPending: 10)
        let pool = JobWorkerPool(store: store, executor: executor, callbacks: nil, configuration: Self.fast,
                                 metrics: metrics, logger: Logger(label: "test"))
        let task = Task { try await pool.run() }
        defer { task.cancel() }
        #expect(try await Self.eventually { try await faulty.inner.job(id)?.status == .completed })
        #expect(executor.runs.withLock { $0 } == 1, "the job ran once: its result waited for the store")
        #expect(faulty.calls.withLock { $0["complete"] } == 4)
        #expect(try await Self.eventually { await metrics.current().completed == 1 })
    }

    @Test func aRunningJobIsReleasedWhenThePoolIsCancelled() async throws {
        let store = InMemoryJobStore()
        let id = UUID().uuidString
        _ = try await store.submit(JobRecord(id: id, modelType: "dinov3", createdAt: 0, request: []), maxPending: 10)
        let pool = JobWorkerPool(store: store, executor: Executor(hang: true), callbacks: nil, configuration: Self.fast,
                                 metrics: JobMetrics(), logger: Logger(label: "test"))
        let task = Task { try await pool.run() }
        #expect(try await Self.eventually { try await store.job(id)?.status == .running })
        task.cancel()
        #expect(try await Self.eventually { try await store.job(id)?.status == .pending })
        #expect(try await store.job(id)?.attempts == 0, "a released run does not count as an attempt")
    }
}

/// Which database errors are passing faults, per store.
@Suite struct StoreErrorClassificationTests {
    @Test func postgreSQLStatesThatPass() {
        let cases: [(String, String?)] = [
            ("57P01", "terminated"), ("57P02", "terminated"), ("57P03", "unreachable"), ("53300", "too_many_connections"),
            ("53100", "full"), ("25006", "read_only"), ("40001", "busy"), ("40P01", "busy"), ("08006", "unreachable"),
            ("57014", "timed_out"), ("58030", "io"),
            // Faults of the request or the schema are not outages.
            ("23505", nil), ("42P01", nil), ("22P02", nil),
        ]
        for (state, kind) in cases {
            #expect(PostgresJobStore.classify(sqlState: state, operation: "submit")?.kind == kind, "\(state)")
        }
        #expect(cases.count == 14)
    }

    @Test func sqliteErrorsThatPass() throws {
        let store = try SQLiteJobStore(path: NSTemporaryDirectory() + "classify-\(UUID().uuidString).sqlite")
        let cases: [(ResultCode, String?)] = [
            (.SQLITE_BUSY, "busy"), (.SQLITE_LOCKED, "busy"), (.SQLITE_FULL, "full"), (.SQLITE_IOERR, "io"),
            (.SQLITE_READONLY, "read_only"), (.SQLITE_CANTOPEN, "io"), (.SQLITE_CONSTRAINT, nil), (.SQLITE_ERROR, nil),
        ]
        for (code, kind) in cases {
            let error = DatabaseError(resultCode: code, message: "x")
            #expect(store.unavailability(of: error, operation: "submit")?.kind == kind, "\(code)")
        }
        #expect(store.unavailability(of: CancellationError(), operation: "submit") == nil)
        #expect(cases.count == 8)
    }
}
