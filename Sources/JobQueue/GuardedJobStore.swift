import CoreMetrics
import Logging

/// Puts a deadline on every call to a job store and turns the store's database faults into
/// `JobStoreUnavailable` (a retryable 503 for clients): no caller ever waits on the database
/// without a limit, and a fault is reported in one shape whichever database it came from. It keeps
/// `health` up to date and counts faults in `vma_job_store_errors_total{operation, kind}`
/// (`kind` = `timed_out`, `terminated`, `unreachable`, ...) and `vma_job_store_available`.
public struct GuardedJobStore: JobStore {
    public let base: any JobStore
    /// The limit of one call; a submit may also wait for the batch ahead of it, so it gets twice this.
    public let timeout: Duration
    public let health: JobStoreHealth
    private let factory: any MetricsFactory
    private let logger: Logger

    public init(_ base: any JobStore, timeout: Duration, health: JobStoreHealth = JobStoreHealth(),
                metrics factory: any MetricsFactory = NOOPMetricsHandler.instance, logger: Logger) {
        self.base = base
        self.timeout = timeout
        self.health = health
        self.factory = factory
        self.logger = logger
        Gauge(label: "vma_job_store_available", factory: factory).record(1)
    }

    private func guarded<T: Sendable>(_ operation: String, limit: Duration? = nil,
                                      _ call: @escaping @Sendable (any JobStore) async throws -> T) async throws -> T {
        let base = self.base
        do {
            let value = try await withDeadline(limit ?? timeout, onTimeout: { JobStoreUnavailable.timedOut(operation) }) {
                try await call(base)
            }
            if health.succeeded() {
                logger.notice("job store available again")
                Gauge(label: "vma_job_store_available", factory: factory).record(1)
            }
            return value
        } catch {
            guard let fault = unavailability(of: error, operation: operation) else {
                throw error
            }
            Counter(label: "vma_job_store_errors_total", dimensions: [("operation", operation), ("kind", fault.kind)],
                    factory: factory).increment()
            let metadata: Logger.Metadata = ["operation": "\(operation)", "kind": "\(fault.kind)",
                                             "error": "\(String(describing: error).prefix(300))"]
            if health.failed(fault) {
                logger.error("job store unavailable", metadata: metadata)
                Gauge(label: "vma_job_store_available", factory: factory).record(0)
            } else {
                logger.debug("job store call failed", metadata: metadata)
            }
            throw fault
        }
    }

    public func migrate() async throws { try await guarded("migrate") { try await $0.migrate() } }

    public func submit(_ job: JobRecord, maxPending: Int) async throws -> SubmitOutcome {
        try await guarded("submit", limit: timeout * 2) { try await $0.submit(job, maxPending: maxPending) }
    }

    public func job(_ id: String) async throws -> JobRecord? { try await guarded("get") { try await $0.job(id) } }

    public func list(status: JobStatus?, modelType: String?, limit: Int, offset: Int) async throws -> JobPage {
        try await guarded("list") { try await $0.list(status: status, modelType: modelType, limit: limit, offset: offset) }
    }

    public func claim(owner: String, policy: ClaimPolicy, now: Double) async throws -> JobLease? {
        try await guarded("claim") { try await $0.claim(owner: owner, policy: policy, now: now) }
    }

    public func heartbeat(_ lease: JobLease, leaseSeconds: Double, now: Double) async throws -> LeaseState {
        try await guarded("heartbeat") { try await $0.heartbeat(lease, leaseSeconds: leaseSeconds, now: now) }
    }

    public func complete(_ lease: JobLease, result: [UInt8], processingTime: Double, now: Double) async throws -> Bool {
        try await guarded("complete") {
            try await $0.complete(lease, result: result, processingTime: processingTime, now: now)
        }
    }

    public func fail(_ lease: JobLease, error: String, retry: Bool, now: Double) async throws -> Bool {
        try await guarded("fail") { try await $0.fail(lease, error: error, retry: retry, now: now) }
    }

    public func markCancelled(_ lease: JobLease, now: Double) async throws -> Bool {
        try await guarded("cancel") { try await $0.markCancelled(lease, now: now) }
    }

    public func release(_ lease: JobLease) async throws { try await guarded("release") { try await $0.release(lease) } }

    public func cancel(_ id: String, now: Double) async throws -> (found: Bool, job: JobRecord?) {
        let outcome: CancelOutcome = try await guarded("cancel") { (store: any JobStore) async throws -> CancelOutcome in
            let answer = try await store.cancel(id, now: now)
            return CancelOutcome(found: answer.found, job: answer.job)
        }
        return (outcome.found, outcome.job)
    }

    public func deleteFinished(before: Double) async throws -> Int {
        try await guarded("cleanup") { try await $0.deleteFinished(before: before) }
    }

    public func counts() async throws -> [JobStatus: Int] { try await guarded("count") { try await $0.counts() } }

    public func unavailability(of error: any Error, operation: String) -> JobStoreUnavailable? {
        (error as? JobStoreUnavailable) ?? base.unavailability(of: error, operation: operation)
    }
}

/// `cancel`'s answer as one Sendable value (a tuple cannot cross the deadline's task).
private struct CancelOutcome: Sendable {
    let found: Bool
    let job: JobRecord?
}
