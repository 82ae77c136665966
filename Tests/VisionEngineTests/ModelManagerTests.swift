import Foundation
import Logging
import Synchronization
import Testing
import VisionCore
@testable import VisionEngine

/// In-memory twins of the runtime and the repository.
final class FakeRuntime: InferenceRuntime, @unchecked Sendable {
    // @unchecked: immutable after init.
    let version = "fake"
    let availableDevices: [ComputeDevice]
    init(devices: [ComputeDevice] = [.cpu]) { availableDevices = devices }
    func makeSession(modelPath: String, options: SessionOptions) throws -> any InferenceSession {
        throw VisionError.internalError("not used")
    }
}

struct FakeRepository: ModelRepository {
    let known: Set<String>
    func snapshot(for reference: ModelReference, exporter: ExportHint) throws -> ModelSnapshot {
        guard known.contains(reference.repoID) else { throw VisionError.modelNotFound("no \(reference.repoID)") }
        return ModelSnapshot(reference: reference, folder: "/nowhere", commit: String(repeating: "0", count: 40))
    }
}

final class FakeModel: LoadedModel {
    let reference: ModelReference
    let device: ComputeDevice
    let memoryBytes = 3 << 20
    init(reference: ModelReference, device: ComputeDevice) { self.reference = reference; self.device = device }
}

/// Counts loads across threads.
final class LoadCounter: Sendable {
    private let count = Mutex(0)
    func increment() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}

@Suite struct ModelManagerTests {
    let loads = LoadCounter()

    func manager(known: Set<String> = ["org/a", "org/b"], delay: Double = 0,
                 defaults: [ModelType: ModelReference] = [:]) -> ModelManager {
        let counter = loads
        let family = ModelLoader<FakeModel>(type: .dinov3, defaultModelID: "org/a", exporter: .named("dinov3")) { snapshot, context in
            counter.increment()
            if delay > 0 { Thread.sleep(forTimeInterval: delay) }
            return FakeModel(reference: snapshot.reference, device: context.sessionOptions.device)
        }
        return ModelManager(families: [family.erased], runtime: FakeRuntime(), repository: FakeRepository(known: known),
                            loadExecutor: BlockingExecutor(name: "load", threads: 1, queueLimit: 8),
                            defaults: defaults, logger: Logger(label: "test"))
    }

    @Test func operatorDefaultReplacesTheFamilysOwn() async throws {
        let m = manager(defaults: [.dinov3: try ModelReference(parsing: "org/b@v2")])
        #expect(m.defaultModelID(for: .dinov3) == "org/b@v2")
        #expect(m.isDefault("ORG/B", for: .dinov3) && !m.isDefault("org/a", for: .dinov3))
        #expect(m.defaultModelID(for: .sam3) == nil && !m.isDefault("org/b", for: .sam3))
        let model = try await m.model(.dinov3)
        #expect(model.reference.repoID == "org/b" && model.reference.revision == "v2")
        #expect(try await m.model(.dinov3, modelID: "org/a").reference.repoID == "org/a")
        #expect(manager().defaultModelID(for: .dinov3) == "org/a")
    }

    @Test func concurrentRequestsShareOneLoad() async throws {
        let m = manager(delay: 0.2)
        try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<8 { group.addTask { try await m.model(.dinov3).reference.repoID } }
            for try await id in group { #expect(id == "org/a") }
        }
        #expect(loads.value == 1)
        #expect(await m.loadedTypes() == [.dinov3])
    }

    @Test func statusReportsLoadedModelAndMemory() async throws {
        let m = manager()
        #expect(await m.status().isEmpty)
        _ = try await m.model(.dinov3, modelID: "org/b")
        let after = try #require(await m.status().first)
        #expect(after.loaded && after.modelID == "org/b" && after.state == "ready")
        #expect(after.memoryMB > 0 && after.loadSeconds != nil)
    }

    @Test func severalModelsOfOneTypeAndAFailedOne() async throws {
        let m = manager()
        _ = try await m.model(.dinov3)
        _ = try await m.model(.dinov3, modelID: "org/b")
        let error = await #expect(throws: VisionError.self) { try await m.model(.dinov3, modelID: "org/missing") }
        #expect(error?.category == .notFound)
        #expect(try await m.model(.dinov3).reference.repoID == "org/a")
        #expect(loads.value == 2)
        let rows = await m.status()
        #expect(rows.map(\.modelID) == ["org/a", "org/b", "org/missing"])
        #expect(rows.map(\.state) == ["ready", "ready", "failed"])
        #expect(rows.last?.error?.contains("org/missing") == true)
    }

    @Test func unloadByTypeOrIdAndUnknownTypes() async throws {
        let m = manager()
        #expect(try await m.unload(.dinov3) == [])
        _ = try await m.model(.dinov3)
        _ = try await m.model(.dinov3, modelID: "org/b")
        #expect(try await m.unload(modelID: "org/b") == ["org/b"])
        #expect(await m.status().map(\.modelID) == ["org/a"])
        #expect(try await m.unload(.dinov3) == ["org/a"])
        #expect(await m.loadedTypes().isEmpty)
        await #expect(throws: VisionError.self) { try await m.model(.sam3) }
        await #expect(throws: VisionError.self) { try await m.unload(.sam3) }
    }

    @Test func memoryBudgetEvictsTheLeastRecentlyUsed() async throws {
        let counter = loads
        let family = ModelLoader<FakeModel>(type: .dinov3, defaultModelID: "org/a", exporter: .named("dinov3")) { snapshot, context in
            counter.increment()
            return FakeModel(reference: snapshot.reference, device: context.sessionOptions.device)
        }
        // FakeModel reports 3 MiB; a 7 MiB budget holds two.
        let m = ModelManager(families: [family.erased], runtime: FakeRuntime(), repository: FakeRepository(known: ["org/a", "org/b", "org/c"]),
                             loadExecutor: BlockingExecutor(name: "load", threads: 1, queueLimit: 8), memoryBudgetMB: 7,
                             logger: Logger(label: "test"))
        _ = try await m.model(.dinov3, modelID: "org/a")
        _ = try await m.model(.dinov3, modelID: "org/b")
        _ = try await m.model(.dinov3, modelID: "org/a")  // a is now the most recently used
        _ = try await m.model(.dinov3, modelID: "org/c")
        let ids = await m.status().map(\.modelID)
        #expect(ids == ["org/a", "org/c"], "org/b, the least recently used, was evicted: \(ids)")
    }

    @Test func idleModelsAreUnloaded() async throws {
        let m = manager()
        _ = try await m.model(.dinov3)
        #expect(await m.unloadIdle(longerThan: .seconds(60)) == [])
        try await Task.sleep(for: .milliseconds(30))
        #expect(await m.unloadIdle(longerThan: .milliseconds(10)) == ["org/a"])
    }

    @Test func cudaOnACPURuntimeIsRefused() async {
        let error = await #expect(throws: VisionError.self) { try await manager().model(.dinov3, device: .cuda) }
        #expect(error?.category == .badRequest)
    }
}

/// A repository that counts how often it is asked.
final class CountingRepository: ModelRepository, @unchecked Sendable {
    // @unchecked: the counter is behind a Mutex.
    private let asked = Mutex(0)
    let known: Set<String>
    init(known: Set<String>) { self.known = known }
    var count: Int { asked.withLock { $0 } }
    func snapshot(for reference: ModelReference, exporter: ExportHint) throws -> ModelSnapshot {
        asked.withLock { $0 += 1 }
        guard known.contains(reference.repoID) else { throw VisionError.modelNotFound("no \(reference.repoID)") }
        return ModelSnapshot(reference: reference, folder: "/nowhere", commit: String(repeating: "0", count: 40))
    }
}

@Suite struct ModelPolicyTests {
    func manager(_ repository: CountingRepository, policy: ModelPolicy = .any, backoff: Duration = .seconds(1)) -> ModelManager {
        let family = ModelLoader<FakeModel>(type: .dinov3, defaultModelID: "org/a", exporter: .named("dinov3")) { snapshot, context in
            FakeModel(reference: snapshot.reference, device: context.sessionOptions.device)
        }
        return ModelManager(families: [family.erased], runtime: FakeRuntime(), repository: repository,
                            loadExecutor: BlockingExecutor(name: "load", threads: 1, queueLimit: 8), policy: policy,
                            failureBackoff: backoff, logger: Logger(label: "test"))
    }

    @Test func patterns() {
        let policy = ModelPolicy(patterns: ["org/a", "team/*"])
        #expect(policy.allows("org/a") && policy.allows("team/x") && policy.allows("team/y-1"))
        #expect(!policy.allows("org/b") && !policy.allows("teamx/a") && !policy.allows("org/a2"))
        #expect(ModelPolicy.any.allows("anyone/anything"))
    }

    @Test func aModelOutsideThePolicyIsRefusedWithoutAskingTheRepository() async throws {
        let repository = CountingRepository(known: ["org/a", "org/b"])
        let m = manager(repository, policy: ModelPolicy(patterns: ["org/a"]))
        let error = await #expect(throws: VisionError.self) { try await m.model(.dinov3, modelID: "org/b") }
        #expect(error?.category == .forbidden && error?.message.contains("ALLOWED_MODELS") == true)
        #expect(repository.count == 0)
        _ = try await m.model(.dinov3, modelID: "org/a")
        #expect(repository.count == 1)
    }

    /// The window itself (doubling, retry after it) is ModelLifecycleTests' (with an injected clock).
    @Test func aBurstForAMissingModelAsksOncePerBackoffWindow() async throws {
        let repository = CountingRepository(known: [])
        let m = manager(repository, backoff: .seconds(60))
        for _ in 0..<10 {
            let error = await #expect(throws: VisionError.self) { try await m.model(.dinov3, modelID: "org/missing") }
            #expect(error?.category == .notFound)
        }
        #expect(repository.count == 1)
        // Another id has its own window.
        await #expect(throws: VisionError.self) { try await m.model(.dinov3, modelID: "org/other") }
        #expect(repository.count == 2)
        // Unloading forgets the failure: the next request asks again.
        _ = try await m.unload(modelID: "org/missing")
        await #expect(throws: VisionError.self) { try await m.model(.dinov3, modelID: "org/missing") }
        #expect(repository.count == 3)
        let status = await m.status()
        #expect(status.count == 2 && status.allSatisfy { $0.state == "failed" })
    }
}
