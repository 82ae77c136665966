import Synchronization

/// One graph under `EXECUTION_PROVIDER=auto`: a session per candidate provider, runs handed out by
/// a `ProviderTrial`, the losers released once it decides. The first candidate is the reference
/// (ONNX Runtime's CPU provider): while the trial runs, every run on another candidate is checked
/// against the reference on the same inputs (untimed) and the request gets the reference's answer,
/// so answers during the trial are the reference's exactly; a candidate whose answers differ
/// (`OutputAgreement`), or that is handed an empty input tensor (OpenVINO mishandles zero-sized
/// dimensions: measured on SAM 2's decoder, which it answered with a previous request's masks), is
/// out. A run that fails on a candidate still in the trial is rerun on another, so the trial never
/// fails a request the other provider can answer.
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

    /// Why a candidate leaves the trial when handed an empty input.
    static let emptyInputReason = "the graph was given an empty input tensor, which OpenVINO mishandles"

    private let state: Mutex<State>
    private let reference: ExecutionProvider
    public let inputs: [TensorInfo]
    public let outputs: [TensorInfo]
    public let device: ComputeDevice

    /// `sessions` in order of preference on ties, the first the reference; all over the same graph.
    /// With `preferred` (a provider named by the setting), that one takes every run and is kept once
    /// its first runs agreed with the reference; no timing decides.
    public init(sessions: [(ExecutionProvider, any InferenceSession)], measuredRuns: Int = 3,
                preferred: ExecutionProvider? = nil) {
        precondition(!sessions.isEmpty)
        inputs = sessions[0].1.inputs
        outputs = sessions[0].1.outputs
        device = sessions[0].1.device
        reference = sessions[0].0
        state = Mutex(State(trial: ProviderTrial(candidates: sessions.map(\.0), measuredRuns: measuredRuns, preferred: preferred),
                            sessions: Dictionary(sessions, uniquingKeysWith: { a, _ in a })))
    }

    public var placement: ProviderPlacement { state.withLock { $0.trial.placement } }

    public func run(_ feeds: [String: Tensor], outputNames: [String]) throws -> [String: Tensor] {
        let empty = EmptyInputFallbackSession.hasEmptyInput(feeds)
        let reference = self.reference
        let (provider, session, check) = state.withLock { s -> (ExecutionProvider, any InferenceSession, (any InferenceSession)?) in
            if empty && s.trial.decision == nil {
                for candidate in s.trial.candidates where candidate != reference {
                    s.trial.fail(candidate, reason: Self.emptyInputReason)
                }
                s.releaseLosers()
            }
            let provider = s.trial.next()
            let session = s.sessions[provider] ?? s.sessions.values.first!
            let check = s.trial.decision == nil && provider != reference ? s.sessions[reference] : nil
            return (provider, session, check)
        }
        let start = ContinuousClock.now
        let out: [String: Tensor]
        do {
            out = try session.run(feeds, outputNames: outputNames)
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
        let elapsed = (ContinuousClock.now - start).seconds
        guard let check else {
            state.withLock { s in
                s.trial.record(provider, seconds: elapsed)
                s.releaseLosers()
            }
            return out
        }
        let want = try check.run(feeds, outputNames: outputNames)
        let disagreement = OutputAgreement.disagreement(out, want)
        state.withLock { s in
            if let disagreement {
                s.trial.fail(provider, reason: "its answers differed from \(reference.rawValue)'s: \(disagreement)")
            } else {
                s.trial.record(provider, seconds: elapsed)
            }
            s.releaseLosers()
        }
        return want
    }
}
