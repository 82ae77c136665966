/// Counters the workers keep: finished jobs by outcome and their run times.
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

    public init() {}

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
    }

    public func current() -> Snapshot { snapshot }
}
