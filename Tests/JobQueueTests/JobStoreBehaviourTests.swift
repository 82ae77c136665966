import Foundation
import JobQueue
import JobStorePostgres
import JobStoreSQLite
import Logging
import PostgresNIO
import TestSupport
import Testing

/// The three stores, built fresh for a test.
enum StoreKind: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case memory, sqlite, postgres
    var testDescription: String { rawValue }
}

/// Runs `body` against a fresh store of `kind`. PostgreSQL comes from JOBS_TEST_DATABASE_URL
/// (scripts/test.sh, which CI runs, always starts a server); without it `PostgresJobStoreTests`
/// is reported skipped, never passed.
func withStore(_ kind: StoreKind, _ body: (any JobStore) async throws -> Void) async throws {
    switch kind {
    case .memory:
        let store = InMemoryJobStore()
        try await store.migrate()
        try await body(store)
    case .sqlite:
        let folder = NSTemporaryDirectory() + "jobs-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let store = try SQLiteJobStore(path: folder + "/jobs.sqlite")
        try await store.migrate()
        try await body(store)
    case .postgres:
        let env = ProcessInfo.processInfo.environment
        guard let url = env["JOBS_TEST_DATABASE_URL"] else {
            throw PostgresNotConfigured()
        }
        let client = PostgresClient(configuration: try PostgresJobStore.configuration(url: url),
                                    backgroundLogger: Logger(label: "pg"))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            let store = PostgresJobStore(client: client, logger: Logger(label: "pg"))
            try await store.migrate()
            try await client.query("DELETE FROM jobs", logger: Logger(label: "pg"))
            try await body(store)
            group.cancelAll()
        }
    }
}

func newJob(_ id: String = UUID().uuidString, at time: Double, key: String? = nil, type: String = "dinov3") -> JobRecord {
    JobRecord(id: id, modelType: type, createdAt: time, request: Array("{\"n\":\"\(id)\"}".utf8), idempotencyKey: key)
}

/// The same behaviour from every store.
@Suite(.serialized) struct JobStoreBehaviourTests {
    let policy = ClaimPolicy(leaseSeconds: 10, maxAttempts: 2)

    @Test(arguments: [StoreKind.memory, .sqlite])
    func submitClaimCompleteInOrder(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            for i in 0..<3 { _ = try await store.submit(newJob("job-\(i)", at: 100 + Double(i)), maxPending: 10) }
            let first = try #require(try await store.claim(owner: "w1", policy: policy, now: 200))
            #expect(first.jobID == "job-0" && first.attempt == 1 && first.request == Array("{\"n\":\"job-0\"}".utf8))
            let second = try #require(try await store.claim(owner: "w2", policy: policy, now: 200))
            #expect(second.jobID == "job-1")
            #expect(try await store.complete(first, result: Array("{\"ok\":1}".utf8), processingTime: 1.5, now: 201))
            // Completing twice, or with a stale lease, does nothing.
            #expect(try await !store.complete(first, result: [], processingTime: 0, now: 202))
            let done = try #require(try await store.job("job-0"))
            #expect(done.status == .completed && done.result == Array("{\"ok\":1}".utf8) && done.processingTime == 1.5)
            #expect(done.completedAt == 201 && done.attempts == 1)
            let counts = try await store.counts()
            #expect(counts[.completed] == 1 && counts[.running] == 1 && counts[.pending] == 1)
        }
    }

    @Test(arguments: [StoreKind.memory, .sqlite])
    func idempotencyAndTheQueueLimit(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            guard case .created = try await store.submit(newJob("a", at: 1, key: "k1"), maxPending: 2) else {
                Issue.record("not created"); return
            }
            guard case .existing(let same) = try await store.submit(newJob("b", at: 2, key: "k1"), maxPending: 2) else {
                Issue.record("a second job for the same key"); return
            }
            #expect(same.id == "a")
            _ = try await store.submit(newJob("c", at: 3), maxPending: 2)
            #expect(try await store.submit(newJob("d", at: 4), maxPending: 2) == .queueFull(pending: 2))
            #expect(try await store.job("d") == nil)
        }
    }

    @Test(arguments: [StoreKind.memory, .sqlite])
    func expiredLeasesRunAgainThenFail(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            _ = try await store.submit(newJob("j", at: 1), maxPending: 10)
            let dead = try #require(try await store.claim(owner: "w1", policy: policy, now: 10))
            // Nothing to claim while the lease holds.
            #expect(try await store.claim(owner: "w2", policy: policy, now: 15) == nil)
            #expect(try await store.heartbeat(dead, leaseSeconds: 10, now: 15) == .held)
            #expect(try await store.claim(owner: "w2", policy: policy, now: 24) == nil)
            // The worker died: after the lease expires another takes it.
            let again = try #require(try await store.claim(owner: "w2", policy: policy, now: 26))
            #expect(again.jobID == "j" && again.attempt == 2)
            #expect(try await store.heartbeat(dead, leaseSeconds: 10, now: 27) == .lost)
            #expect(try await !store.complete(dead, result: [], processingTime: 0, now: 27))
            // It dies again: with maxAttempts 2 the job fails with a clear error.
            #expect(try await store.claim(owner: "w3", policy: policy, now: 40) == nil)
            let failed = try #require(try await store.job("j"))
            #expect(failed.status == .failed && failed.error?.contains("lease expired") == true)
        }
    }

    @Test(arguments: [StoreKind.memory, .sqlite])
    func failuresRetryOrFail(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            _ = try await store.submit(newJob("j", at: 1), maxPending: 10)
            let lease = try #require(try await store.claim(owner: "w", policy: policy, now: 2))
            #expect(try await store.fail(lease, error: "busy", retry: true, now: 3))
            #expect(try await store.job("j")?.status == .pending)
            let retry = try #require(try await store.claim(owner: "w", policy: policy, now: 4))
            #expect(retry.attempt == 2)
            #expect(try await store.fail(retry, error: "bad image", retry: false, now: 5))
            let job = try #require(try await store.job("j"))
            #expect(job.status == .failed && job.error == "bad image" && job.completedAt == 5)
        }
    }

    @Test(arguments: [StoreKind.memory, .sqlite])
    func cancellationReleaseListAndRetention(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            for (i, type) in ["dinov3", "sam3", "sam3"].enumerated() {
                _ = try await store.submit(newJob("j\(i)", at: Double(i), type: type), maxPending: 10)
            }
            let running = try #require(try await store.claim(owner: "w", policy: policy, now: 10))  // j0
            let pending = try await store.cancel("j1", now: 11)
            #expect(pending.found && pending.job?.status == .cancelled)
            let asked = try await store.cancel("j0", now: 11)
            #expect(asked.job?.status == .running && asked.job?.cancelRequested == true)
            #expect(try await store.heartbeat(running, leaseSeconds: 10, now: 12) == .cancelRequested)
            #expect(try await store.markCancelled(running, now: 13))
            #expect(try await store.cancel("nope", now: 13).found == false)
            // Release: back to pending, the attempt not counted.
            let held = try #require(try await store.claim(owner: "w", policy: policy, now: 14))  // j2
            try await store.release(held)
            let j2 = try #require(try await store.job("j2"))
            #expect(j2.status == .pending && j2.attempts == 0)
            // Listing: filters, newest first, no bodies.
            let sam = try await store.list(status: nil, modelType: "sam3", limit: 10, offset: 0)
            #expect(sam.total == 2 && sam.jobs.map(\.id) == ["j2", "j1"] && sam.jobs.allSatisfy { $0.request.isEmpty })
            let cancelled = try await store.list(status: .cancelled, modelType: nil, limit: 1, offset: 1)
            #expect(cancelled.total == 2 && cancelled.jobs.map(\.id) == ["j0"])
            // Retention removes finished jobs completed before the cut-off; DELETE of a finished job removes it.
            #expect(try await store.deleteFinished(before: 12) == 1)  // j1 (completed_at 11)
            let removed = try await store.cancel("j0", now: 20)
            let gone = try await store.job("j0")
            #expect(removed.found && removed.job == nil && gone == nil)
        }
    }

    /// MAX_PENDING_JOBS is a hard limit: 40 submits at once against a limit of 5 create exactly 5.
    @Test(arguments: [StoreKind.memory, .sqlite])
    func thePendingLimitHoldsUnderConcurrentSubmits(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let outcomes = try await withThrowingTaskGroup(of: SubmitOutcome.self) { group in
                for i in 0..<40 { group.addTask { try await store.submit(newJob(at: Double(i)), maxPending: 5) } }
                var all: [SubmitOutcome] = []
                for try await outcome in group { all.append(outcome) }
                return all
            }
            let created = outcomes.filter { if case .created = $0 { return true }; return false }.count
            #expect(created == 5 && outcomes.count == 40, "\(created) created")
            #expect(try await store.counts()[.pending] == 5)
        }
    }

    /// One Idempotency-Key submitted 20 times at once (SQLite: in one group-committed batch or
    /// several) is one job: one created, every other answer that same job.
    @Test(arguments: [StoreKind.memory, .sqlite])
    func oneKeySubmittedAtOnceIsOneJob(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let outcomes = try await withThrowingTaskGroup(of: SubmitOutcome.self) { group in
                for i in 0..<20 { group.addTask { try await store.submit(newJob("k-\(i)", at: Double(i), key: "same"), maxPending: 100) } }
                var all: [SubmitOutcome] = []
                for try await outcome in group { all.append(outcome) }
                return all
            }
            var created: [String] = [], existing: [String] = []
            for outcome in outcomes {
                switch outcome {
                case .created(let job): created.append(job.id)
                case .existing(let job): existing.append(job.id)
                case .queueFull: Issue.record("queue full")
                }
            }
            #expect(created.count == 1 && existing.count == 19, "\(created.count) created, \(existing.count) existing")
            #expect(Set(existing) == Set(created))
            #expect(try await store.counts()[.pending] == 1)
        }
    }

    @Test(arguments: [StoreKind.memory, .sqlite])
    func concurrentClaimsNeverShareAJob(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            for i in 0..<40 { _ = try await store.submit(newJob(String(format: "j%03d", i), at: Double(i)), maxPending: 100) }
            let claimed = try await withThrowingTaskGroup(of: [String].self) { group in
                for w in 0..<4 {
                    group.addTask {
                        var mine: [String] = []
                        while let lease = try await store.claim(owner: "w\(w)", policy: self.policy, now: 100) {
                            mine.append(lease.jobID)
                        }
                        return mine
                    }
                }
                var all: [String] = []
                for try await ids in group { all += ids }
                return all
            }
            #expect(claimed.count == 40 && Set(claimed).count == 40)
        }
    }
}

struct PostgresNotConfigured: Error {}

/// The PostgreSQL store through the same behaviour tests; skipped (and reported so) when no
/// database is configured.
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["JOBS_TEST_DATABASE_URL"] != nil,
                             "JOBS_TEST_DATABASE_URL is not set (scripts/test.sh starts PostgreSQL)"))
struct PostgresJobStoreTests {
    let shared = JobStoreBehaviourTests()

    @Test func submitClaimCompleteInOrder() async throws { try await shared.submitClaimCompleteInOrder(kind: .postgres) }
    @Test func idempotencyAndTheQueueLimit() async throws { try await shared.idempotencyAndTheQueueLimit(kind: .postgres) }
    @Test func expiredLeasesRunAgainThenFail() async throws { try await shared.expiredLeasesRunAgainThenFail(kind: .postgres) }
    @Test func failuresRetryOrFail() async throws { try await shared.failuresRetryOrFail(kind: .postgres) }
    @Test func cancellationReleaseListAndRetention() async throws {
        try await shared.cancellationReleaseListAndRetention(kind: .postgres)
    }
    @Test func concurrentClaimsNeverShareAJob() async throws { try await shared.concurrentClaimsNeverShareAJob(kind: .postgres) }
    @Test func oneKeySubmittedAtOnceIsOneJob() async throws { try await shared.oneKeySubmittedAtOnceIsOneJob(kind: .postgres) }
    @Test func thePendingLimitHoldsUnderConcurrentSubmits() async throws {
        try await shared.thePendingLimitHoldsUnderConcurrentSubmits(kind: .postgres)
    }
}
