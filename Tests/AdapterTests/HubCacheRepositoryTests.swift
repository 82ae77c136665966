import Foundation
import Testing
import VisionCore
@testable import HubCache

@Suite struct HubCacheRepositoryTests {
    /// A cache laid out as huggingface_hub does: refs/main → snapshots/<commit>/ → ../../blobs/.
    static func makeCache() throws -> (root: String, commit: String) {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("hubcache-\(UUID().uuidString)").path
        let repo = root + "/models--org--model"
        let commit = String(repeating: "ab", count: 20)
        let fm = FileManager.default
        try fm.createDirectory(atPath: repo + "/blobs", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: repo + "/refs", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: repo + "/snapshots/\(commit)/onnx", withIntermediateDirectories: true)
        try Data("{}".utf8).write(to: URL(fileURLWithPath: repo + "/blobs/abc123"))
        try fm.createSymbolicLink(atPath: repo + "/snapshots/\(commit)/config.json", withDestinationPath: "../../blobs/abc123")
        try Data(commit.utf8).write(to: URL(fileURLWithPath: repo + "/refs/main"))
        return (root, commit)
    }

    @Test func resolvesBranchRefToSnapshot() throws {
        let (root, commit) = try Self.makeCache()
        let snapshot = try HubCacheRepository(cacheFolder: root).cachedSnapshot(for: ModelReference(parsing: "org/model"))
        #expect(snapshot.commit == commit)
        #expect(FileManager.default.contents(atPath: snapshot.path("config.json")) == Data("{}".utf8))
    }

    /// Hub ids ignore case: a repository cached under the hub's spelling (`Org/MODEL`) is found
    /// for any spelling, and a spelling the cache lacks keeps its own folder name.
    @Test func findsTheRepositoryUnderAnySpelling() throws {
        let (root, commit) = try Self.makeCache()
        for id in ["org/model", "ORG/Model", "Org/MODEL"] {
            let snapshot = try HubCacheRepository(cacheFolder: root).cachedSnapshot(for: ModelReference(parsing: id))
            #expect(snapshot.commit == commit && snapshot.folder.contains("/models--org--model/"), "\(id)")
            #expect(HubCacheLayout(cacheFolder: root, repoID: id).folderName == "models--org--model")
        }
        #expect(HubCacheLayout(cacheFolder: root, repoID: "org/other").folderName == "models--org--other")
    }

    @Test func resolvesCommitRevisionWithoutRefs() throws {
        let (root, commit) = try Self.makeCache()
        let snapshot = try HubCacheRepository(cacheFolder: root).cachedSnapshot(for: ModelReference(parsing: "org/model@\(commit)"))
        #expect(snapshot.folder.hasSuffix(commit))
    }

    @Test func missingModelAndRevisionAreNotFound() throws {
        let (root, _) = try Self.makeCache()
        let repo = HubCacheRepository(cacheFolder: root)
        let e1 = #expect(throws: VisionError.self) { try repo.cachedSnapshot(for: ModelReference(parsing: "org/other")) }
        #expect(e1?.category == .notFound)
        #expect(e1?.message.contains("org/other") == true)
        let e2 = #expect(throws: VisionError.self) { try repo.cachedSnapshot(for: ModelReference(parsing: "org/model@v2")) }
        #expect(e2?.category == .notFound)
    }

    @Test(arguments: ["../etc/passwd", "org/../../x", "org/name/extra", "/abs", "org//x", "org/na me", "", "a--b/c",
                      "org/model@../../x", "org/model@/x", "org/.hidden"])
    func rejectsPathTricks(_ id: String) {
        #expect(throws: VisionError.self) { try ModelReference(parsing: id) }
    }

    @Test func variantsSelectOnnxFiles() throws {
        #expect(try ModelReference(parsing: "onnx-community/x").onnxPath() == "onnx/model.onnx")
        #expect(try ModelReference(parsing: "onnx-community/x", variant: "fp16").onnxPath() == "onnx/model_fp16.onnx")
        #expect(throws: VisionError.self) { try ModelReference(parsing: "a/b", variant: "../x") }
    }
}
