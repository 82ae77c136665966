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
        let own = snapshot.path(snapshot.reference.onnxPath())
        let fm = FileManager.default
        let hasCheckpoint = fm.fileExists(atPath: snapshot.path("model.safetensors"))
            || fm.fileExists(atPath: snapshot.path("model.safetensors.index.json"))
        if let variant = snapshot.reference.variant, !fm.fileExists(atPath: own), hasCheckpoint {
            throw VisionError.invalidInput(
                "variant '\(variant)' needs the repository's own ONNX graphs; '\(snapshot.reference.repoID)' holds a checkpoint, "
                + "served in full precision through a shipped graph (leave variant out)")
        }
        if fm.fileExists(atPath: own) || !hasCheckpoint {
            let graph = try graph(snapshot.reference.onnxPath(), in: snapshot)
            return (try context.runtime.makeSession(modelPath: graph.path, options: context.sessionOptions), graph.bytes, nil)
        }
        let config = jsonObject("config.json", in: snapshot)
        let shipped = try context.graphs.graph(for: config, family: family.rawValue, repoID: snapshot.reference.repoID,
                                               exportCommand: exportCommand)
        let path = shipped.folder + "/model.onnx"
        let checkpoint = try SafetensorsCheckpoint(folder: snapshot.folder)
        let weights = try WeightPlan.bind(graph: try ONNXInitializers.read(path: path), checkpoint: checkpoint)
        let bytes = weights.values.reduce(size(of: path)) { $0 + $1.bytes.count }
        let session = try context.runtime.makeSession(modelPath: path, options: context.sessionOptions, weights: weights)
        return (session, bytes, shipped.name)
    }

    /// `/models/status`'s `graph` of a model: `shipped:<name>` when a checkpoint was bound to a
    /// shipped graph, else `repository`.
    static func graphDetail(_ shippedGraph: String?) -> (String, JSONValue) {
        ("graph", .string(shippedGraph.map { "shipped:" + $0 } ?? "repository"))
    }

    /// Bytes of the snapshot's ONNX graphs for its variant (with external data), the estimate used
    /// before a load.
    static func onnxBytes(in snapshot: ModelSnapshot) -> Int {
        (try? graph(snapshot.reference.onnxPath(), in: snapshot).bytes) ?? 0
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
