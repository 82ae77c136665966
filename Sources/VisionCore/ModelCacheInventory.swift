/// One repository in the model cache as it lies on disk.
public struct CachedRepository: Sendable, Equatable {
    public var repoID: String
    /// Bytes of the files it holds (the blobs, counted once however many snapshots link them),
    /// plus any graphs exported for it.
    public var sizeBytes: Int
    public var revisions: [CachedRevision]

    public init(repoID: String, sizeBytes: Int, revisions: [CachedRevision]) {
        self.repoID = repoID
        self.sizeBytes = sizeBytes
        self.revisions = revisions
    }
}

/// One snapshot (commit) of a cached repository.
public struct CachedRevision: Sendable, Equatable {
    public var commit: String
    /// The refs (`main`, tags) that point at this commit.
    public var refs: [String]
    /// Its files, relative to the snapshot; for a weights-only snapshot with an export, the
    /// exported files too.
    public var files: [String]
    /// `architectures` (or DA3's `architecture`) of its `config.json`.
    public var architectures: [String]
    /// The `family` of the project's exporter marker (`vision_models_api.json`), if any.
    public var exportedFamily: String?
    /// Whether the graphs come from the export store (`content/onnx`) rather than the repository.
    public var exported: Bool

    public init(commit: String, refs: [String], files: [String], architectures: [String], exportedFamily: String?,
                exported: Bool) {
        self.commit = commit
        self.refs = refs
        self.files = files
        self.architectures = architectures
        self.exportedFamily = exportedFamily
        self.exported = exported
    }

    /// ONNX variants next to a base graph: `onnx/model_fp16.onnx` beside `onnx/model.onnx` is `fp16`.
    public var variants: [String] {
        let graphs = Set(files.filter { $0.hasSuffix(".onnx") })
        var found = Set<String>()
        for graph in graphs {
            let stem = String(graph.dropLast(5))
            guard let cut = stem.lastIndex(of: "_") else { continue }
            let base = String(stem[..<cut]), variant = String(stem[stem.index(after: cut)...])
            if !variant.isEmpty, graphs.contains(base + ".onnx") { found.insert(variant) }
        }
        return found.sorted()
    }

    /// Whether it holds any ONNX graph.
    public var hasGraphs: Bool { files.contains { $0.hasSuffix(".onnx") } }
}

/// Lists what the model cache holds. Reads the disk: call it off the cooperative pool.
public protocol ModelCacheInventory: Sendable {
    func repositories() throws -> [CachedRepository]
}
