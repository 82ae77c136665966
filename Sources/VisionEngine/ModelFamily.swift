import VisionCore

/// A model held in memory, ready for inference.
public protocol LoadedModel: AnyObject, Sendable {
    var reference: ModelReference { get }
    /// The device its sessions run on.
    var device: ComputeDevice { get }
    /// Approximate memory it holds (its weight files), in bytes.
    var memoryBytes: Int { get }
}

/// What a family needs to build its model from a snapshot.
public struct ModelLoadContext: Sendable {
    public let runtime: any InferenceRuntime
    public let sessionOptions: SessionOptions
}

/// A model family the server can serve: its type, default model and loader. The app builder
/// registers the families it wires up; adding a family touches its folder and this registration.
public struct ModelFamily: Sendable {
    public let type: ModelType
    public let defaultModelID: String
    public let load: @Sendable (ModelSnapshot, ModelLoadContext) throws -> any LoadedModel

    public init(type: ModelType, defaultModelID: String,
                load: @escaping @Sendable (ModelSnapshot, ModelLoadContext) throws -> any LoadedModel) {
        self.type = type
        self.defaultModelID = defaultModelID
        self.load = load
    }
}
