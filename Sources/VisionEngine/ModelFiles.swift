import Foundation
import VisionCore

/// Reads the files a family needs from a snapshot, with errors that name what is missing.
enum ModelFiles {
    /// `preprocessor_config.json`, else `processor_config.json` (transformers 5 nests it).
    static func imageProcessorConfig(in snapshot: ModelSnapshot) throws -> ImageProcessorConfig {
        for name in ["preprocessor_config.json", "processor_config.json"] {
            if let data = FileManager.default.contents(atPath: snapshot.path(name)) {
                return try ImageProcessorConfig(json: data)
            }
        }
        throw VisionError.modelNotFound(
            "model '\(snapshot.reference.repoID)' has no preprocessor_config.json or processor_config.json")
    }

    /// What a snapshot declares for choosing its family: its `config.json` architectures and the
    /// exporter marker's family (its file list is left empty).
    static func describe(_ snapshot: ModelSnapshot) -> CachedRevision {
        CachedRevision(commit: snapshot.commit, refs: [], files: [],
                       architectures: ConfigArchitectures.declared(in: jsonObject("config.json", in: snapshot)),
                       exportedFamily: jsonObject("vision_models_api.json", in: snapshot)["family"] as? String, exported: false)
    }

    /// An ONNX graph and its size including external-data files (`<name>.onnx_data*`).
    static func graph(_ relative: String, in snapshot: ModelSnapshot) throws -> (path: String, bytes: Int) {
        let path = snapshot.path(relative)
        let fm = FileManager.default
        guard fm.fileExists(atPath: path) else {
            let available = (try? fm.contentsOfDirectory(atPath: snapshot.path("onnx")))?
                .filter { $0.hasSuffix(".onnx") }.sorted() ?? []
            throw VisionError.modelNotFound(
                "model '\(snapshot.reference.repoID)' has no \(relative) in the cache"
                + (available.isEmpty ? " (it holds no ONNX graphs; export one with tools/export/export.py)"
                                     : " (available: \(available.joined(separator: ", ")))"))
        }
        var bytes = size(of: path)
        let folder = (path as NSString).deletingLastPathComponent
        let base = (path as NSString).lastPathComponent
        for file in (try? fm.contentsOfDirectory(atPath: folder)) ?? [] where file.hasPrefix(base + "_data") || file.hasPrefix(base + ".data") {
            bytes += size(of: folder + "/" + file)
        }
        return (path, bytes)
    }

    /// The session of a model's one graph: the snapshot's own ONNX graph (`onnxPath`), else, for a
    /// snapshot that holds a checkpoint (`config.json` + safetensors) and no graph, the shipped graph
    /// its config picks with the checkpoint's weights bound (mapped, not copied). Returns the shipped
    /// graph's name when one served.
    static func session(_ snapshot: ModelSnapshot, family: ModelType, context: ModelLoadContext,
                        exportCommand: String) throws -> (session: any InferenceSession, bytes: Int, shippedGraph: String?) {
        if let shipped = try shippedSessions(snapshot, family: family, context: context, exportCommand: exportCommand,
                                             ownGraphs: [snapshot.reference.onnxPath()]) {
            guard let session = shipped.sessions.values.first, shipped.sessions.count == 1 else {
                throw VisionError.internalError("shipped graph '\(shipped.name)' is not one graph")
            }
            return (session, shipped.bytes, shipped.name)
        }
        let graph = try graph(snapshot.reference.onnxPath(), in: snapshot)
        return (try context.runtime.makeSession(modelPath: graph.path, options: context.sessionOptions), graph.bytes, nil)
    }

    /// For a snapshot that holds a checkpoint and none of `ownGraphs`: every graph file of the
    /// shipped graph its config picks (by file name without `.onnx`), each with the checkpoint's
    /// weights it takes bound, all mapped from the one checkpoint. Nil when the snapshot has its own
    /// graphs or no checkpoint (the caller loads its own graphs, or names what is missing).
    static func shippedSessions(_ snapshot: ModelSnapshot, family: ModelType, context: ModelLoadContext,
                                exportCommand: String, ownGraphs: [String])
        throws -> (sessions: [String: any InferenceSession], bytes: Int, name: String, modelConfig: [String: Any])? {
        let fm = FileManager.default
        let hasCheckpoint = fm.fileExists(atPath: snapshot.path("model.safetensors"))
            || fm.fileExists(atPath: snapshot.path("model.safetensors.index.json"))
        guard hasCheckpoint, !ownGraphs.contains(where: { fm.fileExists(atPath: snapshot.path($0)) }) else { return nil }
        if let variant = snapshot.reference.variant {
            throw VisionError.invalidInput(
                "variant '\(variant)' needs the repository's own ONNX graphs; '\(snapshot.reference.repoID)' holds a checkpoint, "
                + "served in full precision through a shipped graph (leave variant out)")
        }
        let config = jsonObject("config.json", in: snapshot)
        let shipped = try context.graphs.graph(for: config, family: family.rawValue, repoID: snapshot.reference.repoID,
                                               exportCommand: exportCommand)
        let checkpoint = try SafetensorsCheckpoint(folder: snapshot.folder)
        var sessions: [String: any InferenceSession] = [:], bytes = 0
        for file in shipped.files {
            let bound = try boundSession(shipped, file: file, checkpoint: checkpoint, context: context)
            sessions[(file as NSString).deletingPathExtension] = bound.session
            bytes += bound.bytes
        }
        let modelConfig = shipped.modelConfig.flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] } ?? [:]
        return (sessions, bytes, shipped.name, modelConfig)
    }

    /// One graph file of a shipped graph with the checkpoint's weights bound (mapped, not copied):
    /// the session and the bytes it holds (graph file and bound weights).
    static func boundSession(_ shipped: ShippedGraph, file: String, checkpoint: SafetensorsCheckpoint,
                             context: ModelLoadContext) throws -> (session: any InferenceSession, bytes: Int) {
        let path = shipped.folder + "/" + file
        let weights = try WeightPlan.bind(graph: try ONNXInitializers.read(path: path), checkpoint: checkpoint,
                                          aliases: shipped.aliases, keyPrefixes: shipped.keyPrefixes)
        let bytes = weights.values.reduce(size(of: path)) { $0 + $1.bytes.count }
        return (try context.runtime.makeSession(modelPath: path, options: context.sessionOptions, weights: weights), bytes)
    }

    /// `/models/status`'s `graph` of a model: `shipped:<name>` when a checkpoint was bound to a
    /// shipped graph, else `repository`.
    static func graphDetail(_ shippedGraph: String?) -> (String, JSONValue) {
        ("graph", .string(shippedGraph.map { "shipped:" + $0 } ?? "repository"))
    }

    /// Bytes of the snapshot's ONNX graphs for its variant (with external data), else of its
    /// safetensors checkpoint (what a shipped graph binds): the estimate used before a load.
    static func onnxBytes(in snapshot: ModelSnapshot) -> Int {
        if let bytes = try? graph(snapshot.reference.onnxPath(), in: snapshot).bytes { return bytes }
        let files = (try? FileManager.default.contentsOfDirectory(atPath: snapshot.folder)) ?? []
        return files.filter { $0.hasSuffix(".safetensors") }.reduce(0) { $0 + size(of: snapshot.path($1)) }
    }

    /// A JSON object file of the snapshot (`config.json`, the exporter's marker); empty when the
    /// file is missing or not an object.
    static func jsonObject(_ relative: String, in snapshot: ModelSnapshot) -> [String: Any] {
        FileManager.default.contents(atPath: snapshot.path(relative))
            .flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] } ?? [:]
    }

    /// Class labels by index from config.json's `id2label` (`LABEL_<i>` where one is missing, as
    /// transformers names them).
    static func labels(_ config: [String: Any], count: Int) -> [String] {
        let names = config["id2label"] as? [String: String] ?? [:]
        return (0..<count).map { names[String($0)] ?? "LABEL_\($0)" }
    }

    private static func size(of path: String) -> Int { FileSize.of(path) ?? 0 }
}
