import Foundation

/// `EXECUTION_PROVIDER=auto` for one graph: the candidates take turns on the graph's first real
/// runs; each one's first run is a warm-up (OpenVINO compiles for a new input shape there) and is
/// not counted; once every candidate has `measuredRuns` timed runs, the one with the lowest median
/// wins. A candidate whose run fails is out (the request is answered by rerunning on another). A
/// value type: the session that owns it holds it behind a lock and asks it what to run next.
public struct ProviderTrial: Sendable, Equatable {
    public let candidates: [ExecutionProvider]
    public let measuredRuns: Int
    /// A provider asked for by name (`EXECUTION_PROVIDER=openvino`): it takes every run, none is
    /// timed against it, and it is kept after `measuredRuns` runs past its warm-up unless it failed
    /// (its runs are checked by the session: a disagreement is a failure).
    public let preferred: ExecutionProvider?
    private(set) var started: [ExecutionProvider: Int] = [:]
    private(set) var warmedUp: Set<ExecutionProvider> = []
    private(set) var timings: [ExecutionProvider: [Double]] = [:]
    private(set) var failed: [ExecutionProvider: String] = [:]
    /// The winner and why, once decided.
    public private(set) var decision: ProviderPlacement?

    public init(candidates: [ExecutionProvider], measuredRuns: Int = 3, preferred: ExecutionProvider? = nil) {
        precondition(!candidates.isEmpty && measuredRuns > 0)
        precondition(preferred.map(candidates.contains) ?? true)
        self.candidates = candidates
        self.measuredRuns = measuredRuns
        self.preferred = preferred
        if candidates.count == 1 {
            decision = ProviderPlacement(provider: candidates[0], reason: "the only candidate")
        }
    }

    /// The provider for the next run: the decided one, else the candidate still in the trial that has
    /// started the fewest runs (ties in the candidates' order), so they alternate.
    public mutating func next() -> ExecutionProvider {
        if let decision { return decision.provider }
        if let preferred, failed[preferred] == nil {
            started[preferred, default: 0] += 1
            return preferred
        }
        let alive = candidates.filter { failed[$0] == nil }
        let pick = alive.min { (started[$0] ?? 0) < (started[$1] ?? 0) } ?? candidates[0]
        started[pick, default: 0] += 1
        return pick
    }

    /// A finished run's wall time on `provider` (seconds).
    public mutating func record(_ provider: ExecutionProvider, seconds: Double) {
        guard decision == nil else { return }
        if warmedUp.insert(provider).inserted { return }
        timings[provider, default: []].append(seconds)
        decideIfMeasured()
    }

    /// A run on `provider` failed: it leaves the trial.
    public mutating func fail(_ provider: ExecutionProvider, reason: String) {
        guard decision == nil else { return }
        failed[provider] = reason
        let alive = candidates.filter { failed[$0] == nil }
        if alive.count == 1 {
            decision = ProviderPlacement(provider: alive[0], reason: "\(mode): \(provider.rawValue) failed on this graph (\(reason))")
        } else if alive.isEmpty {
            decision = ProviderPlacement(provider: candidates[0], reason: "\(mode): every candidate failed; \(reason)")
        } else {
            decideIfMeasured()
        }
    }

    /// How the placement came about, for reasons: `auto`, or the setting that named a provider.
    private var mode: String { preferred.map { "EXECUTION_PROVIDER=\($0.rawValue)" } ?? "auto" }

    /// Where runs go now: the decision, or the trial's progress.
    public var placement: ProviderPlacement {
        if let decision { return decision }
        if let preferred {
            let checked = started[preferred] ?? 0
            return ProviderPlacement(provider: preferred, reason: "\(mode): checking its first answers against "
                                     + "\(candidates[0].rawValue)'s (\(checked)/\(measuredRuns + 1))", deciding: true)
        }
        let done = candidates.map { "\($0.rawValue) \(timings[$0]?.count ?? 0)/\(measuredRuns)" }.joined(separator: ", ")
        return ProviderPlacement(provider: candidates[0], reason: "auto: timing the first runs (\(done))", deciding: true)
    }

    private mutating func decideIfMeasured() {
        if let preferred, failed[preferred] == nil {
            guard (timings[preferred]?.count ?? 0) >= measuredRuns else { return }
            decision = ProviderPlacement(provider: preferred, reason: "\(mode) (its answers agreed with "
                                         + "\(candidates[0].rawValue)'s on its first \(measuredRuns + 1) runs)")
            return
        }
        let alive = candidates.filter { failed[$0] == nil }
        guard alive.allSatisfy({ (timings[$0]?.count ?? 0) >= measuredRuns }) else { return }
        let medians = alive.map { ($0, Self.median(timings[$0] ?? [])) }
        guard let best = medians.min(by: { $0.1 < $1.1 }) else { return }
        func ms(_ seconds: Double) -> String { String(format: "%.1f ms", seconds * 1000) }
        let others = medians.filter { $0.0 != best.0 }.map { "\($0.0.rawValue) \(ms($0.1))" }.joined(separator: ", ")
        decision = ProviderPlacement(provider: best.0, reason: "auto: \(best.0.rawValue) \(ms(best.1)) vs \(others) "
                                     + "(median of \(measuredRuns) runs each after a warm-up)")
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return .infinity }
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }
}
