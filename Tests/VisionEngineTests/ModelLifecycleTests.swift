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

    @Test func failureIsReportedAndRetriedByTheNextRequest() {
        var life = Life()
        _ = life.request()
        _ = life.finished(.failure(.modelNotFound("gone")))
        #expect(life.stateName == "failed")
        #expect(life.error == .modelNotFound("gone"))
        guard case .start = life.request() else { Issue.record("a failed model is retried"); return }
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
