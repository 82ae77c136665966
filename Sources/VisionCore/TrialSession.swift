import Synchronization

/// One graph under `EXECUTION_PROVIDER=auto`: a session per candidate provider, runs handed out by
/// a `ProviderTrial`, the losers released once it decides. A run that fails on a candidate still in
/// the trial is rerun on another, so the trial never fails a request the other provider can answer.
public final class TrialSession: InferenceSession, @unchecked Sendable {
    private struct State {
        var trial: ProviderTrial
        var sessions: [ExecutionProvider: any InferenceSession]

        /// Once decided, only the winner's session is kept (a run still on a loser holds its own reference).
        mutating func releaseLosers() {
            guard let winner = trial.decision?.provider, sessions.count > 1, let kept = sessions[winner] else { return }
            sessions = [winner: kept]
        }
    }

    private let state: Mutex<State>
    public let inputs: [TensorInfo]
    public let outputs: [TensorInfo]
    public let device: ComputeDevice

    /// `sessions` in order of preference on ties; all over the same graph.
    public init(sessions: [(ExecutionProvider, any InferenceSession)], measuredRuns: Int = 3) {
        precondition(!sessions.isEmpty)
        inputs = sessions[0].1.inputs
        outputs = sessions[0].1.outputs
        device = sessions[0].1.device
        state = Mutex(State(trial: ProviderTrial(candidates: sessions.map(\.0), measuredRuns: measuredRuns),
                            sessions: Dictionary(sessions, uniquingKeysWith: { a, _ in a })))
    }

    public var placement: ProviderPlacement { state.withLock { $0.trial.placement } }

    public func run(_ feeds: [String: Tensor], outputNames: [String]) throws -> [String: Tensor] {
        let (provider, session) = state.withLock { s -> (ExecutionProvider, any InferenceSession) in
            let provider = s.trial.next()
            return (provider, s.sessions[provider] ?? s.sessions.values.first!)
        }
        let start = ContinuousClock.now
        do {
            let out = try session.run(feeds, outputNames: outputNames)
            let elapsed = (ContinuousClock.now - start).seconds
            state.withLock { s in
                s.trial.record(provider, seconds: elapsed)
                s.releaseLosers()
            }
            return out
        } catch {
            let retry = state.withLock { s -> Bool in
                let wasDeciding = s.trial.decision == nil
                s.trial.fail(provider, reason: "a run failed on it; the server log has the error")
                s.releaseLosers()
                return wasDeciding && s.trial.decision?.provider != provider
            }
            if retry { return try run(feeds, outputNames: outputNames) }
            throw error
        }
    }
}
