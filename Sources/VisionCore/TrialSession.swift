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
        let empty = feeds.values.contains { $0.shape.contains(0) }
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

/// Whether two providers' answers to the same run agree: the same outputs, shapes and element
/// types; floating-point values within 1e-3 of the reference output's largest magnitude (at least
/// 1); integers and booleans equal.
public enum OutputAgreement {
    public static let relativeTolerance: Float = 1e-3

    /// Nil when `got` agrees with `want`, else what differs first (output names and numbers only).
    public static func disagreement(_ got: [String: Tensor], _ want: [String: Tensor]) -> String? {
        for name in want.keys.sorted() {
            let expected = want[name]!
            guard let actual = got[name] else { return "output '\(name)' missing" }
            guard actual.shape == expected.shape else { return "output '\(name)' shape \(actual.shape) vs \(expected.shape)" }
            guard actual.elementType == expected.elementType else {
                return "output '\(name)' type \(actual.elementType) vs \(expected.elementType)"
            }
            switch (actual.storage, expected.storage) {
            case (.float32, .float32), (.float16, .float16):
                let a = actual.floats, b = expected.floats
                let scale = max(1, b.lazy.map { abs($0) }.filter(\.isFinite).max() ?? 1)
                for i in b.indices where !(abs(a[i] - b[i]) <= relativeTolerance * scale || (a[i].isNaN && b[i].isNaN) || a[i] == b[i]) {
                    return "output '\(name)' differs by \(abs(a[i] - b[i])) at \(i) (tolerance \(relativeTolerance * scale))"
                }
            default:
                guard actual.storage == expected.storage else { return "output '\(name)' values differ" }
            }
        }
        return nil
    }
}
