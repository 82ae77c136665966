import Testing
@testable import VisionEngine

@Suite struct ModelSlotMachineTests {
    typealias Machine = ModelSlotMachine<String, Int>

    @Test func firstRequestStartsLoadingAndOthersWait() {
        var m = Machine()
        guard case .startLoading("a") = m.request("a") else { Issue.record("expected startLoading"); return }
        guard case .wait = m.request("a") else { Issue.record("expected wait"); return }
        guard case .wait = m.request("b") else { Issue.record("expected wait for another model too"); return }
        let r1 = m.loadFinished("a", model: 1)
        #expect(r1)
        guard case .use(1) = m.request("a") else { Issue.record("expected use"); return }
    }

    @Test func anotherModelReplacesTheReadyOne() {
        var m = Machine()
        _ = m.request("a"); _ = m.loadFinished("a", model: 1)
        guard case .startLoading("b") = m.request("b") else { Issue.record("expected startLoading b"); return }
        let r2 = m.loadFinished("b", model: 2)
        #expect(r2)
        #expect(m.readyModel?.key == "b")
    }

    @Test func failedLoadKeepsThePreviousModel() {
        var m = Machine()
        _ = m.request("a"); _ = m.loadFinished("a", model: 1)
        _ = m.request("b")
        let r3 = m.loadFinished("b", model: nil)
        #expect(r3)
        guard case .use(1) = m.request("a") else { Issue.record("previous model should still serve"); return }
    }

    @Test func failedFirstLoadLeavesTheSlotEmpty() {
        var m = Machine()
        _ = m.request("a")
        let r4 = m.loadFinished("a", model: nil)
        #expect(r4)
        #expect(m.readyModel == nil && m.loadingKey == nil)
    }

    @Test func unloadDropsReadyModelAndFallbackDuringLoad() {
        var m = Machine()
        let r5 = m.unload()
        #expect(r5 == nil)
        _ = m.request("a"); _ = m.loadFinished("a", model: 1)
        let r6 = m.unload()
        #expect(r6 == "a")
        #expect(m.readyModel == nil)
        _ = m.request("a"); _ = m.loadFinished("a", model: 1)
        _ = m.request("b")
        let r7 = m.unload()
        #expect(r7 == "a")  // the fallback is gone...
        let r8 = m.loadFinished("b", model: nil)
        #expect(r8)
        #expect(m.readyModel == nil)  // ...so a failed load leaves nothing
    }

    @Test func staleLoadResultIsIgnored() {
        var m = Machine()
        _ = m.request("a")
        let r9 = m.loadFinished("b", model: 2)
        #expect(!r9)
        #expect(m.loadingKey == "a")
    }
}
