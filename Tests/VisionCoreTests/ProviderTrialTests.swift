import Foundation
import Synchronization
import Testing
@testable import VisionCore

/// EXECUTION_PROVIDER=auto's choice per graph: alternating first runs, warm-ups not counted, the
/// lower median kept, a failing candidate out.
@Suite struct ProviderTrialTests {
    @Test func alternatesThenKeepsTheLowerMedian() {
        var trial = ProviderTrial(candidates: [.cpu, .openvino], measuredRuns: 3)
        // cpu: warm-up 9 s (not counted), then 0.80, 0.82, 0.81; openvino: warm-up 5 s, then 0.70, 0.69, 0.71.
        let runs: [(ExecutionProvider, Double)] = [(.cpu, 9), (.openvino, 5), (.cpu, 0.80), (.openvino, 0.70),
                                                   (.cpu, 0.82), (.openvino, 0.69), (.cpu, 0.81), (.openvino, 0.71)]
        for (want, seconds) in runs {
            #expect(trial.decision == nil && trial.placement.deciding)
            #expect(trial.next() == want)
            trial.record(want, seconds: seconds)
        }
        let decision = trial.decision
        #expect(decision?.provider == .openvino && decision?.deciding == false)
        #expect(decision?.reason == "auto: openvino 700.0 ms vs cpu 810.0 ms (median of 3 runs each after a warm-up)")
        #expect(trial.next() == .openvino && trial.next() == .openvino)
        trial.record(.cpu, seconds: 0.001)  // a late run on the loser changes nothing
        #expect(trial.decision == decision)
    }

    @Test func theWarmUpAloneDoesNotDecide() {
        var trial = ProviderTrial(candidates: [.cpu, .openvino], measuredRuns: 1)
        trial.record(.cpu, seconds: 0.1)
        trial.record(.openvino, seconds: 50)
        #expect(trial.decision == nil)
        trial.record(.cpu, seconds: 0.3)
        #expect(trial.decision == nil)
        trial.record(.openvino, seconds: 0.2)
        #expect(trial.decision?.provider == .openvino)
    }

    @Test func aFailingCandidateLeavesTheTrial() {
        var trial = ProviderTrial(candidates: [.cpu, .openvino])
        #expect(trial.next() == .cpu)
        #expect(trial.next() == .openvino)
        trial.fail(.openvino, reason: "it broke")
        #expect(trial.decision?.provider == .cpu && trial.decision?.reason.contains("openvino failed") == true)
        #expect(trial.next() == .cpu)
    }

    /// EXECUTION_PROVIDER=openvino: the named provider takes every run, however slow, and is kept
    /// after its warm-up and `measuredRuns` checked runs; a failure (a disagreement) hands the graph
    /// to the reference, saying which setting asked.
    @Test func aNamedProviderTakesEveryRunAndIsKeptUnlessItFails() {
        var trial = ProviderTrial(candidates: [.cpu, .openvino], measuredRuns: 2, preferred: .openvino)
        for seconds in [9.0, 5, 5] {
            #expect(trial.next() == .openvino && trial.placement.deciding)
            #expect(trial.placement.reason.hasPrefix("EXECUTION_PROVIDER=openvino: checking"), "\(trial.placement)")
            trial.record(.openvino, seconds: seconds)
        }
        #expect(trial.decision?.provider == .openvino, "\(trial.placement)")
        #expect(trial.decision?.reason == "EXECUTION_PROVIDER=openvino (its answers agreed with cpu's on its first 3 runs)")

        var failing = ProviderTrial(candidates: [.cpu, .openvino], preferred: .openvino)
        #expect(failing.next() == .openvino)
        failing.fail(.openvino, reason: "its answers differed")
        #expect(failing.decision?.provider == .cpu)
        #expect(failing.decision?.reason == "EXECUTION_PROVIDER=openvino: openvino failed on this graph (its answers differed)")
    }

    @Test func oneCandidateIsDecidedAtOnce() {
        var trial = ProviderTrial(candidates: [.cpu])
        #expect(trial.decision?.provider == .cpu && trial.next() == .cpu)
    }
}

/// The session that runs the trial: while it runs, answers are the reference's (each other
/// candidate's checked against it), a candidate that disagrees or gets an empty input is out, a
/// failed run is answered by the other, the loser released.
@Suite struct TrialSessionTests {
    final class FakeSession: InferenceSession, @unchecked Sendable {
        let inputs = [TensorInfo(name: "x", elementType: .float32, shape: [-1])]
        let outputs = [TensorInfo(name: "y", elementType: .float32, shape: [-1])]
        let device = ComputeDevice.cpu
        let value: Float
        let fails: Bool
        let delay: Duration
        let runs = Atomic<Int>(0)

        init(value: Float, fails: Bool = false, delay: Duration = .zero) {
            self.value = value
            self.fails = fails
            self.delay = delay
        }

        func run(_ feeds: [String: Tensor], outputNames: [String]) throws -> [String: Tensor] {
            runs.add(1, ordering: .relaxed)
            if fails { throw VisionError.runtimeFailure("no") }
            if delay > .zero { Thread.sleep(forTimeInterval: Double(delay.components.attoseconds) / 1e18) }
            return ["y": .float32([value], shape: [1])]
        }
    }

    let x: [String: Tensor] = ["x": .float32([0], shape: [1])]

    @Test func keepsTheFasterAndReleasesTheOther() throws {
        var slow: FakeSession? = FakeSession(value: 1, delay: .milliseconds(20))
        weak let loser = slow
        let fast = FakeSession(value: 1.0002)  // within 1e-3 of the reference
        let session = TrialSession(sessions: [(.cpu, slow!), (.openvino, fast)], measuredRuns: 2)
        slow = nil
        var answers: [Float] = []
        for _ in 0..<8 { answers.append(try session.run(x, outputNames: ["y"])["y"]!.floats[0]) }
        // During the trial every answer is the reference's; then the winner's own.
        #expect(answers.prefix(6).allSatisfy { $0 == 1 } && answers.suffix(2) == [1.0002, 1.0002], "\(answers)")
        #expect(fast.runs.load(ordering: .relaxed) == 5)  // 3 trial runs (1 warm-up), then 2 as the winner
        #expect(session.placement.provider == .openvino && !session.placement.deciding)
        #expect(loser == nil)  // the slower session is released once the trial decides
    }

    @Test func aCandidateWhoseAnswersDifferIsOut() throws {
        let reference = FakeSession(value: 1, delay: .milliseconds(20))
        let wrong = FakeSession(value: 1.01)
        let session = TrialSession(sessions: [(.cpu, reference), (.openvino, wrong)], measuredRuns: 2)
        var answers: [Float] = []
        for _ in 0..<4 { answers.append(try session.run(x, outputNames: ["y"])["y"]!.floats[0]) }
        #expect(answers == [1, 1, 1, 1])
        #expect(session.placement.provider == .cpu && session.placement.reason.contains("answers differed"), "\(session.placement)")
        #expect(wrong.runs.load(ordering: .relaxed) == 1)
    }

    @Test func aNamedProviderIsCheckedThenKeptThoughSlower() throws {
        let reference = FakeSession(value: 1)
        let named = FakeSession(value: 1.0001, delay: .milliseconds(5))
        let session = TrialSession(sessions: [(.cpu, reference), (.openvino, named)], measuredRuns: 2, preferred: .openvino)
        var answers: [Float] = []
        for _ in 0..<5 { answers.append(try session.run(x, outputNames: ["y"])["y"]!.floats[0]) }
        #expect(answers == [1, 1, 1, 1.0001, 1.0001], "\(answers)")  // checked runs answer the reference's
        #expect(reference.runs.load(ordering: .relaxed) == 3 && named.runs.load(ordering: .relaxed) == 5)
        #expect(session.placement.provider == .openvino && !session.placement.deciding)

        let wrong = TrialSession(sessions: [(.cpu, FakeSession(value: 1)), (.openvino, FakeSession(value: 2))], preferred: .openvino)
        #expect(try wrong.run(x, outputNames: ["y"])["y"]?.floats == [1])
        #expect(wrong.placement.provider == .cpu && wrong.placement.reason.contains("answers differed"), "\(wrong.placement)")
    }

    @Test func anEmptyInputKeepsTheGraphOnTheReference() throws {
        let reference = FakeSession(value: 1)
        let other = FakeSession(value: 1)
        let session = TrialSession(sessions: [(.cpu, reference), (.openvino, other)])
        let out = try session.run(["x": .float32([], shape: [1, 0])], outputNames: ["y"])
        #expect(out["y"]?.floats == [1])
        #expect(other.runs.load(ordering: .relaxed) == 0)
        #expect(session.placement.provider == .cpu && session.placement.reason.contains("empty input"), "\(session.placement)")
    }

    @Test func agreementIsWithinTheToleranceOfTheLargestValue() {
        let want: [String: Tensor] = ["a": .float32([100, 0.5], shape: [2]), "i": .int64([3], shape: [1])]
        #expect(OutputAgreement.disagreement(["a": .float32([100.05, 0.45], shape: [2]), "i": .int64([3], shape: [1])], want) == nil)
        #expect(OutputAgreement.disagreement(["a": .float32([100.2, 0.5], shape: [2]), "i": .int64([3], shape: [1])], want)?
            .contains("'a' differs") == true)
        #expect(OutputAgreement.disagreement(["a": .float32([100, 0.5], shape: [1, 2]), "i": .int64([3], shape: [1])], want)?
            .contains("shape") == true)
        #expect(OutputAgreement.disagreement(["a": .float32([100, 0.5], shape: [2]), "i": .int64([4], shape: [1])], want)?
            .contains("'i' values differ") == true)
        #expect(OutputAgreement.disagreement(["a": .float32([100, 0.5], shape: [2])], want) == "output 'i' missing")
    }

    @Test func aFailedRunIsAnsweredByTheOtherCandidate() throws {
        let broken = FakeSession(value: 1, fails: true)
        let working = FakeSession(value: 2)
        let session = TrialSession(sessions: [(.openvino, broken), (.cpu, working)])
        let out = try session.run(["x": .float32([0], shape: [1])], outputNames: ["y"])
        #expect(out["y"]?.floats == [2])
        #expect(session.placement.provider == .cpu && session.placement.reason.contains("openvino failed"))
        // Once decided, a failure is the request's.
        let alone = TrialSession(sessions: [(.cpu, broken)])
        #expect(throws: VisionError.self) { try alone.run(["x": .float32([0], shape: [1])], outputNames: ["y"]) }
    }
}
