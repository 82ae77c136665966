/// Durable job storage. Every operation that changes a running job checks the caller's lease
/// token, so a worker that lost its lease (it stalled, the job was re-run elsewhere) cannot
/// complete or fail it: each job completes at most once.
public protocol JobStore: Sendable {
    /// Creates or migrates the schema.
    func migrate() async throws

    /// Stores a new pending job, unless one with the same idempotency key exists (returned
    /// instead) or `maxPending` jobs are already pending.
    func submit(_ job: JobRecord, maxPending: Int) async throws -> SubmitOutcome

    func job(_ id: String) async throws -> JobRecord?

    /// Jobs newest first, without request and result bodies.
    func list(status: JobStatus?, modelType: String?, limit: Int, offset: Int) async throws -> JobPage

    /// Takes the oldest pending job, or a running one whose lease expired (its worker died): it
    /// becomes running under a new lease, its attempts + 1. A job whose lease expired after
    /// `policy.maxAttempts` attempts is failed instead. Safe with several workers and processes.
    func claim(owner: String, policy: ClaimPolicy, now: Double) async throws -> JobLease?

    /// Extends the lease; tells whether it is still held and whether cancellation was asked for.
    func heartbeat(_ lease: JobLease, leaseSeconds: Double, now: Double) async throws -> LeaseState

    /// Completes the job with its result, if the lease is still held. False when it was lost.
    func complete(_ lease: JobLease, result: [UInt8], processingTime: Double, now: Double) async throws -> Bool

    /// Records a failure: back to pending when `retry`, else failed with `error`.
    func fail(_ lease: JobLease, error: String, retry: Bool, now: Double) async throws -> Bool

    /// Marks a running job whose cancellation was asked for as cancelled.
    func markCancelled(_ lease: JobLease, now: Double) async throws -> Bool

    /// Returns a job to pending without counting the attempt (a graceful shutdown).
    func release(_ lease: JobLease) async throws

    /// Pending → cancelled; running → cancellation requested (the worker stops at its next safe
    /// point); a finished job is deleted. Returns the job as it is afterwards (nil: no such job,
    /// or it was deleted).
    func cancel(_ id: String, now: Double) async throws -> (found: Bool, job: JobRecord?)

    /// Removes finished jobs completed before `before`; returns how many.
    func deleteFinished(before: Double) async throws -> Int

    /// Jobs per status.
    func counts() async throws -> [JobStatus: Int]

    /// `error` as the passing fault it is (the database down, restarting, busy, full, ...), or nil
    /// for any other error. Each store knows its own database's errors; `GuardedJobStore` asks.
    func unavailability(of error: any Error, operation: String) -> JobStoreUnavailable?
}

extension JobStore {
    public func unavailability(of error: any Error, operation: String) -> JobStoreUnavailable? {
        error as? JobStoreUnavailable
    }
}

/// One submit as a store's batch writer sees it: the job and the pending limit it is checked
/// against (both stores group-commit submits; see `GroupCommitter`).
public struct SubmitRequest: Sendable {
    public let job: JobRecord
    public let maxPending: Int

    public init(job: JobRecord, maxPending: Int) {
        self.job = job
        self.maxPending = maxPending
    }
}
