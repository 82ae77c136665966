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
        modelID = try c.decodeIfPresent(String.self, forKey: .modelID)
        variant = try c.decodeIfPresent(String.self, forKey: .variant)
        device = try c.decodeIfPresent(ComputeDevice.self, forKey: .device)
    }
}

extension ModelManager {
    /// The model a request selected.
    public func model(_ type: ModelType, _ selection: ModelSelection) async throws -> any LoadedModel {
        try await model(type, modelID: selection.modelID, variant: selection.variant, device: selection.device)
    }
}
