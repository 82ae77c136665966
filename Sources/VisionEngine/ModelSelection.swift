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

    enum Keys: String, CodingKey {
        case modelID = "model_id", variant, device
    }

    /// Reads the three fields from a request object.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        modelID = try c.decodeOptional(String.self, forKey: .modelID)
        variant = try c.decodeOptional(String.self, forKey: .variant)
        device = try c.decodeOptional(ComputeDevice.self, forKey: .device)
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

extension ModelSelection {
    /// The schema of the three selection fields, for a request object's properties.
    public static func schemaProperties(modelID description: String = "Hub id, optionally @revision") -> [(String, Schema)] {
        [("model_id", ModelReference.idSchema(description: description)),
         ("variant", ModelReference.variantSchema),
         ("device", .string(enum: ["cpu", "cuda"]))]
    }
}
