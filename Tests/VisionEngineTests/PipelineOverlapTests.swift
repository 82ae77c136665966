import Foundation
import TestSupport
import Testing
import VisionCore
@testable import VisionEngine

/// A request's decoding and preprocessing run on the decode threads while another request's
/// graph holds the inference thread: the next request waits only for the run itself.
@Suite struct PipelineOverlapTests {
    @Test func nextRequestIsDecodedAndPreprocessedDuringTheCurrentRun() async throws {
        let hub = try HubCacheBuilder.temporaryFolder("hub")
        let manifest = try FixtureFiles.json("dinov3/manifest.json")
        let model = (manifest["models"] as! [[String: Any]])[0]
        let name = model["name"] as! String
        try HubCacheBuilder.place(folder: FixtureFiles.root.appendingPathComponent(model["folder"] as! String),
                                  repoID: "tests/\(name)", in: hub)
        let context = try EngineFixture.context(families: [DINOv3Family.erasedLoader], hubCache: hub)
        let service = DINOv3Service(context: context)
        let image = ImageInput(source: .bytes(try FixtureFiles.bytes("preprocessing/" + ((model["batches"] as! [[String: Any]])[0]["images"] as! [String])[0])))
        let request = DINOv3Request(images: [image], modelID: "tests/\(name)")
        let alone = try await service.run(request)  // loads the model; the answer to compare with

        // Waits below: 24 000 tries of 5 ms, at least 120 s (a loaded CI machine is slow; a pass returns at once).
        // The "current run": holds the only inference thread until released.
        let release = DispatchSemaphore(value: 0)
        defer { release.signal() }  // never leaves the thread held when an expectation throws
        let holding = Task { try await context.inference.run { release.wait() } }
        #expect(try await eventually(tries: 24_000, every: .milliseconds(5)) { context.inference.load.running == 1 })

        let decodeWorkBefore = context.images.executor.completedCount
        let next = Task { try await service.run(request) }
        // The next request reaches the inference queue (decoded and preprocessed) while the run
        // still holds the thread, and leaves the decode threads idle.
        let queued = try await eventually(tries: 24_000, every: .milliseconds(5)) { context.inference.load.queued == 1 }
        #expect(queued, "the next request was not decoded and preprocessed during the current run")
        #expect(context.inference.load.running == 1, "the current run ended early")
        // Two pieces of work ran on the decode threads meanwhile: decoding, then preprocessing. The
        // executor counts a piece just after handing back its result, so its books may lag a moment.
        let decodeIdle = try await eventually(tries: 24_000, every: .milliseconds(5)) {
            let decode = context.images.executor.load
            return decode.queued == 0 && decode.running == 0 && context.images.executor.completedCount - decodeWorkBefore >= 2
        }
        #expect(decodeIdle, "the decode threads were not done with the next request")
        #expect(context.images.executor.completedCount - decodeWorkBefore == 2)

        release.signal()
        try await holding.value
        let answer = try await next.value
        #expect(answer.lastHiddenState.floats == alone.lastHiddenState.floats)
    }
}
