import CoreMetrics

/// Counters the workers keep: finished jobs by outcome and their run times, as a snapshot (for
/// tests and logs) and through swift-metrics into the factory handed in (`/metrics` when serving):
/// `vma_jobs_finished_total{outcome}`, `vma_job_run_seconds{outcome}` (a histogram whose `_sum`
/// and `_count` cover the same runs), `vma_jobs_retried_total`, `vma_jobs_leases_lost_total`.
public actor JobMetrics {
    public struct Snapshot: Sendable, Equatable {
        public var completed = 0
        public var failed = 0
        public var retried = 0
        public var cancelled = 0
        public var leasesLost = 0
        public var runSecondsTotal = 0.0
        public var runSecondsMax = 0.0
    }

    private var snapshot = Snapshot()
    private let factory: any MetricsFactory

    public init(factory: any MetricsFactory = NOOPMetricsHandler.instance) { self.factory = factory }

    func record(_ outcome: JobStatus?, retried: Bool = false, lost: Bool = false, seconds: Double) {
        switch outcome {
        case .completed: snapshot.completed += 1
        case .failed: snapshot.failed += 1
        case .cancelled: snapshot.cancelled += 1
        default: break
        }
        if retried { snapshot.retried += 1 }
        if lost { snapshot.leasesLost += 1 }
        snapshot.runSecondsTotal += seconds
        snapshot.runSecondsMax = max(snapshot.runSecondsMax, seconds)

        // A run that ended without an outcome was retried or lost its lease: that is its outcome here.
        let name = outcome?.rawValue ?? (lost ? "lease_lost" : "retried")
        Counter(label: "vma_jobs_finished_total", dimensions: [("outcome", name)], factory: factory).increment()
        Timer(label: "vma_job_run_seconds", dimensions: [("outcome", name)], factory: factory)
            .recordNanoseconds(Int64(seconds * 1e9))
        if retried { Counter(label: "vma_jobs_retried_total", factory: factory).increment() }
        if lost { Counter(label: "vma_jobs_leases_lost_total", factory: factory).increment() }
    }

    public func current() -> Snapshot { snapshot }
}
