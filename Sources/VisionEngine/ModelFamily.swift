import Logging
import VisionCore

/// A model held in memory, ready for inference.
public protocol LoadedModel: AnyObject, Sendable {
    var reference: ModelReference { get }
    /// The device its sessions run on.
    var device: ComputeDevice { get }
    /// Approximate memory it holds (its weight files), in bytes.
    var memoryBytes: Int { get }
    /// What `/models/status` shows of it beyond the common fields (e.g. how a graph was probed).
    var statusDetails: [(String, JSONValue)] { get }
}

extension LoadedModel {
    public var statusDetails: [(String, JSONValue)] { [] }
}

/// What a family needs to build its model from a snapshot.
public struct ModelLoadContext: Sendable {
    public let runtime: any InferenceRuntime
    public let sessionOptions: SessionOptions
    /// For what a load finds out about a model (a graph probe's verdict).
    public var logger: Logger?
    /// The graphs the server ships without weights, for checkpoints that hold safetensors only.
    public var graphs = GraphCatalog(graphs: [])
}

/// How a family makes its model: its type, default model, exporter and a typed loader. The model
/// manager holds it erased; `ModelManager.model(_:_:)` hands back the family's own model type.
public struct ModelLoader<Model: LoadedModel>: Sendable {
    public let type: ModelType
    public let defaultModelID: String
    /// The `tools/export/export.py` family to suggest for a repository without graphs.
    public let exporter: ExportHint
    /// The `config.json` architectures it serves: exact names, `*Suffix` patterns and `!Name`
    /// exclusions (for `/models/cache`).
    public let architectures: [String]
    public let load: @Sendable (ModelSnapshot, ModelLoadContext) throws -> Model

    public init(type: ModelType, defaultModelID: String, exporter: ExportHint, architectures: [String] = [],
                load: @escaping @Sendable (ModelSnapshot, ModelLoadContext) throws -> Model) {
        self.type = type
        self.defaultModelID = defaultModelID
        self.exporter = exporter
        self.architectures = architectures
        self.load = load
    }

    /// The loader as the model manager stores it.
    public var erased: AnyModelLoader {
        AnyModelLoader(type: type, defaultModelID: defaultModelID, exporter: exporter, architectures: architectures) {
            try load($0, $1)
        }
    }
}

/// A `ModelLoader` with its model type erased.
public struct AnyModelLoader: Sendable {
    public let type: ModelType
    public let defaultModelID: String
    public let exporter: ExportHint
    public let architectures: [String]
    public let load: @Sendable (ModelSnapshot, ModelLoadContext) throws -> any LoadedModel

    /// Whether this family serves a cached snapshot: the project's exporter wrote it for this
    /// family, or its `config.json` names an architecture the family serves.
    public func serves(_ revision: CachedRevision) -> Bool {
        if let family = revision.exportedFamily { return exporter.names.contains(family) }
        return revision.architectures.contains { name in
            !architectures.contains("!" + name) && architectures.contains { pattern in
                pattern.hasPrefix("*") ? name.hasSuffix(pattern.dropFirst()) : pattern == name
            }
        }
    }
}
