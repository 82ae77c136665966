import JobQueue
import Synchronization

/// A job store double over the in-memory twin whose calls can be made to hang (ignoring
/// cancellation, as a database driver waiting on a dead connection does) or to fail, per
/// operation: for tests of deadlines, retries and outages without a database.
public final class FaultyJobStore: JobStore {
    public enum Fault: Sendable { case hang, fail(JobStoreUnavailable) }

    public let inner = InMemoryJobStore()
    private let faults = Mutex<[String: Fault]>([:])
    /// Failures left per operation before it works again (`failNext`).
    private let failures = Mutex<[String: Int]>([:])
    private let hung = Mutex<[UInt64: CheckedContinuation<Void, Never>]>([:])
    private let nextID = Mutex<UInt64>(0)
    /// Calls made per operation.
    public let calls = Mutex<[String: Int]>([:])

    public init() {}

    /// Every call of `operation` (`submit`, `claim`, `complete`, ...; `*` for all) meets `fault`.
    public func inject(_ fault: Fault?, into operation: String = "*") { faults.withLock { $0[operation] = fault } }

    /// The next `count` calls of `operation` fail as the database would while it restarts.
    public func failNext(_ count: Int, _ operation: String) { failures.withLock { $0[operation] = count } }

    /// Ends every fault and lets the hung calls go on (they then do what they were asked, late).
    public func heal() {
        faults.withLock { $0 = [:] }
        for waiter in hung.withLock({ w in defer { w = [:] }; return w.values }) { waiter.resume() }
    }

    public var hangingCalls: Int { hung.withLock { $0.count } }

    /// Resumes one hung call unless `heal()` already did.
    private func release(_ id: UInt64) {
        hung.withLock { $0.removeValue(forKey: id) }?.resume()
    }

    private func meet(_ operation: String) async throws {
        calls.withLock { $0[operation, default: 0] += 1 }
        let failNow = failures.withLock { f -> Bool in
            guard let left = f[operation], left > 0 else { return false }
            f[operation] = left - 1
            return true
        }
        if failNow { throw JobStoreUnavailable.terminated(operation) }
        switch faults.withLock({ $0[operation] ?? $0["*"] }) {
        case .hang?:
            // Released by `heal()`, or by itself after 30 s so that a caller that waits for it
            // fails its test instead of hanging the run.
            let id = nextID.withLock { n in defer { n += 1 }; return n }
            await withCheckedContinuation { waiter in
                hung.withLock { $0[id] = waiter }
                Task { [weak self] in
                    try? await Task.sleep(for: .seconds(30))
                    self?.release(id)
                }
            }
        case .fail(let error)?: throw error
        case nil: break
        }
    }

    public func migrate() async throws { try await meet("migrate"); try await inner.migrate() }
    public func submit(_ job: JobRecord, maxPending: Int) async throws -> SubmitOutcome {
        try await meet("submit"); return try await inner.submit(job, maxPending: maxPending)
    }
    public func job(_ id: String) async throws -> JobRecord? { try await meet("get"); return try await inner.job(id) }
    public func list(status: JobStatus?, modelType: String?, limit: Int, offset: Int) async throws -> JobPage {
        try await meet("list"); return try await inner.list(status: status, modelType: modelType, limit: limit, offset: offset)
    }
    public func claim(owner: String, policy: ClaimPolicy, now: Double) async throws -> JobLease? {
        try await meet("claim"); return try await inner.claim(owner: owner, policy: policy, now: now)
    }
    public func heartbeat(_ lease: JobLease, leaseSeconds: Double, now: Double) async throws -> LeaseState {
        try await meet("heartbeat"); return try await inner.heartbeat(lease, leaseSeconds: leaseSeconds, now: now)
    }
    public func complete(_ lease: JobLease, result: [UInt8], processingTime: Double, now: Double) async throws -> Bool {
        try await meet("complete"); return try await inner.complete(lease, result: result, processingTime: processingTime, now: now)
    }
    public func fail(_ lease: JobLease, error: String, retry: Bool, now: Double) async throws -> Bool {
        try await meet("fail"); return try await inner.fail(lease, error: error, retry: retry, now: now)
    }
    public func markCancelled(_ lease: JobLease, now: Double) async throws -> Bool {
        try await meet("cancel"); return try await inner.markCancelled(lease, now: now)
    }
    public func release(_ lease: JobLease) async throws { try await meet("release"); try await inner.release(lease) }
    public func cancel(_ id: String, now: Double) async throws -> (found: Bool, job: JobRecord?) {
        try await meet("cancel"); return try await inner.cancel(id, now: now)
    }
    public func deleteFinished(before: Double) async throws -> Int {
        try await meet("cleanup"); return try await inner.deleteFinished(before: before)
    }
    public func counts() async throws -> [JobStatus: Int] { try await meet("count"); return try await inner.counts() }
}
