import Foundation
import HubCache
import VisionCore

/// The model repository the server uses: the hub cache, filled from the hub on demand. A cached
/// commit or offline mode uses the cache only; otherwise the revision is resolved on the hub and
/// the files a model needs (its ONNX graphs for the variant, their external data, and the JSON/text
/// companions) are downloaded into the cache.
///
/// Repositories that hold only PyTorch weights are served from the export store,
/// `{HF_ROOT_FOLDER}/content/onnx/<org>--<name>/<commit>/`, which `tools/export/export.py
/// --from-hub` fills from the same cache at the same commit; or, when `checkpointFilter` accepts
/// their `config.json` (a shipped graph fits), as they are: config, companions and safetensors.
public struct HubModelRepository: ModelRepository {
    public let client: HubClient
    /// The export store folder (`{HF_ROOT_FOLDER}/content/onnx`), if any.
    public let exportStore: String?
    let progress: (@Sendable (DownloadProgress) -> Void)?
    /// Whether a checkpoint-only repository (safetensors, no ONNX graph) can be served, judged by
    /// its `config.json` before any weight is downloaded: throws why not (no shipped graph fits).
    /// Nil: such repositories are not served (the export command is suggested).
    let checkpointFilter: (@Sendable (_ repoID: String, _ config: Data) throws -> Void)?

    public init(client: HubClient, exportStore: String? = nil, progress: (@Sendable (DownloadProgress) -> Void)? = nil,
                checkpointFilter: (@Sendable (_ repoID: String, _ config: Data) throws -> Void)? = nil) {
        self.client = client
        self.exportStore = exportStore
        self.progress = progress
        self.checkpointFilter = checkpointFilter
    }

    /// The exported snapshot of `reference` at `commit` in the export store, if it is there.
    func exported(_ reference: ModelReference, commit: String) -> ModelSnapshot? {
        guard let exportStore else { return nil }
        let folder = exportStore + "/" + reference.repoID.replacingOccurrences(of: "/", with: "--") + "/" + commit
        let snapshot = ModelSnapshot(reference: reference, folder: folder, commit: commit)
        return Self.hasGraph(in: snapshot) ? snapshot : nil
    }

    /// The exporter command for a weights-only repository.
    static func exportCommand(_ reference: ModelReference, exporter: ExportHint, files: [String] = []) -> String {
        "python3 tools/export/export.py \(exporter.choose(files)) --from-hub \(reference.repoID)"
            + (reference.revision == "main" ? "" : " --revision \(reference.revision)")
    }

    private var cache: HubCacheRepository { HubCacheRepository(cacheFolder: client.configuration.cacheFolder) }

    public func snapshot(for reference: ModelReference, exporter: ExportHint) async throws -> ModelSnapshot {
        if client.configuration.offline {
            let cached = try cache.cachedSnapshot(for: reference)
            return Self.hasGraph(in: cached) ? cached : (exported(reference, commit: cached.commit) ?? cached)
        }
        if reference.isCommitHash, let cached = try? cache.cachedSnapshot(for: reference),
           Self.hasGraph(in: cached) {
            return cached
        }
        let listing: (commit: String, files: [String])
        do {
            listing = try await client.repositoryFiles(repoID: reference.repoID, revision: reference.revision)
        } catch let error as VisionError where error.category == .notReady {
            // The hub is unreachable: use what the cache has, as huggingface_hub does.
            if let cached = try? cache.cachedSnapshot(for: reference) { return cached }
            throw error
        }
        let wanted = Self.selectFiles(listing.files, variant: reference.variant)
        guard wanted.contains(where: { $0.hasSuffix(".onnx") }) else {
            if let exported = exported(reference, commit: listing.commit) { return exported }
            if let checkpoint = try await checkpointSnapshot(reference, listing: listing, companions: wanted) {
                return checkpoint
            }
            let graphs = listing.files.filter { $0.hasPrefix("onnx/") && $0.hasSuffix(".onnx") }
            throw VisionError.modelNotFound(
                "model '\(reference.repoID)' has no ONNX graph"
                + (reference.variant.map { " for variant '\($0)'" } ?? "")
                + (graphs.isEmpty ? " (it holds PyTorch weights only) and no export at commit \(listing.commit.prefix(12)); "
                   + "export it with `\(Self.exportCommand(reference, exporter: exporter, files: listing.files))`"
                   : " (available: \(graphs.joined(separator: ", ")))"))
        }
        try await fetch(wanted, of: reference, commit: listing.commit)
        return try pinnedSnapshot(reference, commit: listing.commit)
    }

    /// Makes `paths` of the repository at `commit` present in the cache.
    private func fetch(_ paths: [String], of reference: ModelReference, commit: String) async throws {
        for path in paths {
            _ = try await client.ensureFile(repoID: reference.repoID, revision: commit, path: path, progress: progress)
        }
    }

    /// The snapshot of `reference` at `commit`, its ref written (a branch or tag now names it).
    private func pinnedSnapshot(_ reference: ModelReference, commit: String) throws -> ModelSnapshot {
        let layout = HubCacheLayout(cacheFolder: client.configuration.cacheFolder, repoID: reference.repoID)
        if !reference.isCommitHash { try layout.writeRef(reference.revision, commit: commit) }
        return ModelSnapshot(reference: reference, folder: layout.snapshotFolder(commit), commit: commit)
    }

    /// A repository holding a checkpoint (`model.safetensors`, or shards listed by
    /// `model.safetensors.index.json`) and no graph: its JSON companions first, then, if
    /// `checkpointFilter` accepts its `config.json`, the weights. Nil when it holds no checkpoint or
    /// no filter is set.
    private func checkpointSnapshot(_ reference: ModelReference, listing: (commit: String, files: [String]),
                                    companions: [String]) async throws -> ModelSnapshot? {
        guard let checkpointFilter, reference.variant == nil, listing.files.contains("config.json"),
              listing.files.contains("model.safetensors") || listing.files.contains("model.safetensors.index.json") else {
            return nil
        }
        try await fetch(companions, of: reference, commit: listing.commit)
        let folder = HubCacheLayout(cacheFolder: client.configuration.cacheFolder, repoID: reference.repoID)
            .snapshotFolder(listing.commit)
        try checkpointFilter(reference.repoID, FileManager.default.contents(atPath: folder + "/config.json") ?? Data())
        var weights = ["model.safetensors"]
        if listing.files.contains("model.safetensors.index.json") {
            let shards = FileManager.default.contents(atPath: folder + "/model.safetensors.index.json")
                .flatMap(SafetensorsCheckpoint.shards(inIndex:)) ?? []
            weights = shards.filter { listing.files.contains($0) }
        }
        try await fetch(weights, of: reference, commit: listing.commit)
        return try pinnedSnapshot(reference, commit: listing.commit)
    }

    static let knownVariants = ["fp16", "int8", "uint8", "quantized", "q4", "q4f16", "bnb4", "fp32"]

    /// The files a model needs from a repository listing: root-level JSON and text files
    /// (config, processor, tokenizer) and the ONNX graphs of `variant` (none: the unsuffixed
    /// graphs) with their external-data files.
    public static func selectFiles(_ files: [String], variant: String?) -> [String] {
        var selected: [String] = []
        var graphs: [String] = []
        for file in files {
            if !file.contains("/") && (file.hasSuffix(".json") || file.hasSuffix(".txt")) {
                selected.append(file)
            } else if file.hasPrefix("onnx/"), file.hasSuffix(".onnx"), !file.dropFirst(5).contains("/") {
                let stem = String(file.dropFirst(5).dropLast(5))
                let suffix = knownVariants.first { stem.hasSuffix("_" + $0) }
                if suffix == variant { graphs.append(file) }
            }
        }
        for graph in graphs {
            selected.append(graph)
            selected += files.filter { $0 != graph && ($0.hasPrefix(graph + "_data") || $0.hasPrefix(graph + ".data")) }
        }
        return selected.sorted()
    }

    static func hasGraph(in snapshot: ModelSnapshot) -> Bool {
        FileManager.default.fileExists(atPath: snapshot.path(snapshot.reference.onnxPath()))
    }
}
