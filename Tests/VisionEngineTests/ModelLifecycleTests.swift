import Testing
import VisionCore
@testable import VisionEngine

@Suite struct ModelLifecycleTests {
    typealias Life = ModelLifecycle<Int>

    @Test func firstRequestStartsAndConcurrentOnesWait() {
        var life = Life()
        guard case .start = life.request() else { Issue.record("expected start"); return }
        #expect(life.stateName == "downloading")
        guard case .wait = life.request() else { Issue.record("expected wait"); return }
        life.downloaded()
        #expect(life.stateName == "loading")
        guard case .wait = life.request() else { Issue.record("expected wait while loading"); return }
        let outcome = life.finished(.success(7))
        #expect(!outcome.dropNow)
        guard case .use(7) = life.request() else { Issue.record("expected use"); return }
    }

    @Test func failureIsReportedAndRetriedAfterItsBackoff() {
        var life = Life(backoff: .seconds(1))
        let t0 = ContinuousClock.now
        _ = life.request(now: t0)
        _ = life.finished(.failure(.modelNotFound("gone")), now: t0)
        #expect(life.stateName == "failed")
        #expect(life.error == .modelNotFound("gone"))
        // Within the window: the same error, nobody asked.
        guard case .fail(.modelNotFound("gone")) = life.request(now: t0 + .milliseconds(999)) else {
            Issue.record("a failed model answers its error within the backoff"); return
        }
        guard case .start = life.request(now: t0 + .seconds(1)) else { Issue.record("a failed model is retried after it"); return }
        // A second failure in a row doubles the window; a success resets it.
        _ = life.finished(.failure(.modelNotFound("gone")), now: t0 + .seconds(1))
        guard case .fail = life.request(now: t0 + .seconds(2.9)) else { Issue.record("the window doubled"); return }
        guard case .start = life.request(now: t0 + .seconds(3)) else { Issue.record("retried after 2 s"); return }
        _ = life.finished(.success(1), now: t0 + .seconds(3))
        #expect(life.failures == 0 && life.retryAt == nil)
        // An unload forgets a failure at once.
        var other = Life(backoff: .seconds(60))
        _ = other.request(now: t0)
        _ = other.finished(.failure(.modelNotFound("gone")), now: t0)
        _ = other.unload()
        guard case .start = other.request(now: t0) else { Issue.record("unload forgets the failure"); return }
    }

    @Test func unloadDuringLoadDropsTheModelOnArrival() {
        var life = Life()
        _ = life.request()
        life.downloaded()
        let droppedNow = life.unload()
        #expect(!droppedNow)
        let outcome = life.finished(.success(3))
        #expect(outcome.dropNow)
        guard case .success(3) = outcome.result else { Issue.record("waiters still get the model"); return }
        #expect(life.stateName == "absent")
    }

    @Test func unloadOfReadyAndAbsentModels() {
        var life = Life()
        let absent = life.unload()
        #expect(!absent)
        _ = life.request()
        _ = life.finished(.success(1))
        let ready = life.unload()
        #expect(ready)
        #expect(life.model == nil)
        guard case .start = life.request() else { Issue.record("reload after unload"); return }
    }
}
