import VisionCore

/// The fields every inference request uses to pick its model: `model_id` (optionally
/// `@revision`), `variant` (ONNX variant) and `device`.
public struct ModelSelection: Sendable, Equatable {
    public var modelID: String?
    public var variant: String?
    public var device: ComputeDevice?

    public init(modelID: String? = nil, variant: String? = nil, device: ComputeDevice? = nil) {
        self.modelID = modelID
        self.variant = variant
        self.device = device
    }

    static let modelIDField = RequestField<String?>.ifPresent("model_id", ModelReference.idSchema(description: "Hub id, optionally @revision"))
    static let variantField = RequestField<String?>.ifPresent("variant", ModelReference.variantSchema)
    static let deviceField = RequestField<ComputeDevice>.optional("device")

    /// The three selection fields, for a request's shape (`modelID`: how the route describes its model id).
    public static func fields(modelID description: String? = nil) -> [any DeclaredRequestField] {
        let modelID = description.map { RequestField<String?>.ifPresent("model_id", ModelReference.idSchema(description: $0)) }
        return [modelID ?? modelIDField, variantField, deviceField]
    }

    /// Reads the three fields from a request object.
    public init(from fields: RequestFields) throws {
        modelID = try fields.read(Self.modelIDField)
        variant = try fields.read(Self.variantField)
        device = try fields.read(Self.deviceField)
    }
}

extension ModelManager {
    /// The model a request selected, as its family's own type.
    public func model<Model: LoadedModel>(_ loader: ModelLoader<Model>, _ selection: ModelSelection) async throws -> Model {
        let loaded = try await model(loader.type, modelID: selection.modelID, variant: selection.variant,
                                     device: selection.device)
        // Entries of a type are only ever made by that type's loader.
        guard let model = loaded as? Model else {
            throw VisionError.internalError("the \(loader.type) slot holds a \(type(of: loaded))")
        }
        return model
    }
}
