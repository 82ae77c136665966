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
    func snapshot(for reference: ModelReference) throws -> ModelSnapshot {
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

    func manager(known: Set<String> = ["org/a", "org/b"], delay: Double = 0) -> ModelManager {
        let counter = loads
        let family = ModelFamily(type: .dinov3, defaultModelID: "org/a") { snapshot, context in
            counter.increment()
            if delay > 0 { Thread.sleep(forTimeInterval: delay) }
            return FakeModel(reference: snapshot.reference, device: context.sessionOptions.device)
        }
        return ModelManager(families: [family], runtime: FakeRuntime(), repository: FakeRepository(known: known),
                            loadExecutor: BlockingExecutor(name: "load", threads: 1, queueLimit: 8),
                            logger: Logger(label: "test"))
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
        let before = await m.status()
        #expect(before.map(\.loaded) == [false])
        #expect(before.first?.modelID == "org/a")
        _ = try await m.model(.dinov3, modelID: "org/b")
        let after = try #require(await m.status().first)
        #expect(after.loaded && after.modelID == "org/b" && after.memoryMB == 3)
    }

    @Test func missingModelKeepsTheLoadedOne() async throws {
        let m = manager()
        _ = try await m.model(.dinov3)
        let error = await #expect(throws: VisionError.self) { try await m.model(.dinov3, modelID: "org/missing") }
        #expect(error?.category == .notFound)
        #expect(try await m.model(.dinov3).reference.repoID == "org/a")
        #expect(loads.value == 1)
    }

    @Test func unloadAndUnknownTypes() async throws {
        let m = manager()
        #expect(try await m.unload(.dinov3) == false)
        _ = try await m.model(.dinov3)
        #expect(try await m.unload(.dinov3) == true)
        #expect(await m.loadedTypes().isEmpty)
        await #expect(throws: VisionError.self) { try await m.model(.sam3) }
        await #expect(throws: VisionError.self) { try await m.unload(.sam3) }
    }

    @Test func cudaOnACPURuntimeIsRefused() async {
        let error = await #expect(throws: VisionError.self) { try await manager().model(.dinov3, device: .cuda) }
        #expect(error?.category == .badRequest)
    }
}
