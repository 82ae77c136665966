import Foundation
import VisionCore

/// Reads models from a Hugging Face hub cache folder (`HF_HUB_CACHE`) in huggingface_hub's layout:
/// `models--org--name/refs/<revision>` holds a commit hash, `snapshots/<commit>/<path>` are
/// relative symlinks into `blobs/`.
public struct HubCacheRepository: ModelRepository {
    public let cacheFolder: String

    public init(cacheFolder: String) {
        self.cacheFolder = cacheFolder
    }

    public func snapshot(for reference: ModelReference, exporter: ExportHint) async throws -> ModelSnapshot {
        try cachedSnapshot(for: reference)
    }

    /// The cached snapshot of `reference`, without any network.
    public func cachedSnapshot(for reference: ModelReference) throws -> ModelSnapshot {
        let layout = HubCacheLayout(cacheFolder: cacheFolder, repoID: reference.repoID)
        guard FileManager.default.fileExists(atPath: layout.repoFolder) else {
            throw VisionError.modelNotFound(
                "model '\(reference.repoID)' is not in the Hugging Face cache (HF_HUB_CACHE); "
                + "download it into the cache first")
        }
        let commit: String
        if reference.isCommitHash {
            commit = reference.revision
        } else if let cached = layout.readRef(reference.revision) {
            commit = cached
        } else if FileManager.default.fileExists(atPath: layout.ref(reference.revision)) {
            throw VisionError.modelNotFound("the cache entry of model '\(reference.repoID)' has a malformed ref")
        } else {
            throw VisionError.modelNotFound(
                "revision '\(reference.revision)' of model '\(reference.repoID)' is not in the Hugging Face cache")
        }
        let folder = layout.snapshotFolder(commit)
        guard FileManager.default.fileExists(atPath: folder) else {
            throw VisionError.modelNotFound(
                "snapshot \(commit.prefix(12)) of model '\(reference.repoID)' is not in the Hugging Face cache")
        }
        return ModelSnapshot(reference: reference, folder: folder, commit: commit)
    }
}
