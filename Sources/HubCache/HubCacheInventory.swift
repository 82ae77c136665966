import Foundation
import VisionCore

/// The repositories of a huggingface_hub cache folder (`models--org--name/`), their snapshots,
/// refs and size on disk, and the project's export store (`content/onnx/<org>--<name>/<commit>/`)
/// for snapshots that hold weights only.
public struct HubCacheInventory: ModelCacheInventory {
    public let cacheFolder: String
    public let exportStore: String?

    public init(cacheFolder: String, exportStore: String? = nil) {
        self.cacheFolder = cacheFolder
        self.exportStore = exportStore
    }

    public func repositories() throws -> [CachedRepository] {
        let fm = FileManager.default
        guard let names = try? fm.contentsOfDirectory(atPath: cacheFolder) else { return [] }
        return names.filter { $0.hasPrefix("models--") }.sorted().compactMap { name in
            let repoID = name.dropFirst("models--".count).replacingOccurrences(of: "--", with: "/")
            return repository(repoID)
        }
    }

    private func repository(_ repoID: String) -> CachedRepository? {
        let fm = FileManager.default
        let layout = HubCacheLayout(cacheFolder: cacheFolder, repoID: repoID)
        var refsByCommit: [String: [String]] = [:]
        let refsFolder = layout.repoFolder + "/refs"
        for ref in (try? fm.subpathsOfDirectory(atPath: refsFolder)) ?? [] {
            if let commit = layout.readRef(ref) { refsByCommit[commit, default: []].append(ref) }
        }
        var size = 0
        let blobs = layout.repoFolder + "/blobs"
        for blob in (try? fm.contentsOfDirectory(atPath: blobs)) ?? [] where !blob.hasSuffix(".incomplete") {
            size += FileSize.of(blobs + "/" + blob) ?? 0
        }
        let commits = (try? fm.contentsOfDirectory(atPath: layout.repoFolder + "/snapshots")) ?? []
        var revisions: [CachedRevision] = []
        for commit in commits.sorted() {
            var files = layout.snapshotFiles(commit)
            var folder = layout.snapshotFolder(commit)
            var exported = false
            if !files.contains(where: { $0.hasSuffix(".onnx") }), let store = exportStore {
                let exportFolder = store + "/" + repoID.replacingOccurrences(of: "/", with: "--") + "/" + commit
                let exportedFiles = HubCacheLayout.files(in: exportFolder)
                if exportedFiles.contains(where: { $0.hasSuffix(".onnx") }) {
                    exported = true
                    folder = exportFolder
                    files = Array(Set(files).union(exportedFiles)).sorted()
                    size += exportedFiles.reduce(0) { $0 + (FileSize.of(exportFolder + "/" + $1) ?? 0) }
                }
            }
            let config = Self.json(folder + "/config.json") ?? Self.json(layout.snapshotFile(commit, "config.json"))
            let architectures = config.map(ConfigArchitectures.declared(in:)) ?? []
            let marker = Self.json(folder + "/vision_models_api.json")
            revisions.append(CachedRevision(commit: commit, refs: (refsByCommit[commit] ?? []).sorted(), files: files,
                                            architectures: architectures, exportedFamily: marker?["family"] as? String,
                                            exported: exported))
        }
        return CachedRepository(repoID: repoID, sizeBytes: size, revisions: revisions)
    }

    private static func json(_ path: String) -> [String: Any]? {
        guard let data = FileManager.default.contents(atPath: path), data.count < 4 << 20 else { return nil }
        return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
    }
}
