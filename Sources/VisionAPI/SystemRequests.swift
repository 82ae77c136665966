import VisionCore
import VisionEngine

/// `POST /models/load`'s body, declared once: decoding and the document's `LoadRequest`.
struct LoadRequest: Decodable {
    let modelType: String
    let modelID: String?
    let device: ComputeDevice?
    let variant: String?

    /// `model_type`, its choices the served types (both spellings).
    static func modelTypeField(_ names: [String] = [], required: Bool) -> RequestField<String?> {
        RequestField(name: "model_type", schema: .string(enum: names.isEmpty ? nil : names), required: required) { c, key in
            required ? try c.decode(String.self, forKey: key) : try c.decodeOptional(String.self, forKey: key)
        }
    }

    static let modelIDField = RequestField<String?>.ifPresent("model_id", ModelReference.idSchema())
    static let deviceField = RequestField<ComputeDevice?>.ifPresent("device", .ref("Device"))
    static let variantField = RequestField<String?>.ifPresent("variant", ModelReference.variantSchema)

    static func shape(modelTypeNames names: [String] = []) -> RequestShape {
        RequestShape([modelTypeField(names, required: true), modelIDField, deviceField, variantField])
    }

    private static let decoding = shape()

    init(from decoder: any Decoder) throws {
        let fields = try Self.decoding.fields(of: decoder)
        modelType = try fields.read(Self.modelTypeField(required: true))!
        modelID = try fields.read(Self.modelIDField)
        device = try fields.read(Self.deviceField)
        variant = try fields.read(Self.variantField)
    }
}

/// `POST /models/unload`'s body, declared once: decoding and the document's `UnloadRequest`.
struct UnloadRequest: Decodable {
    let modelType: String?
    let modelID: String?

    static func shape(modelTypeNames names: [String] = []) -> RequestShape {
        RequestShape([LoadRequest.modelTypeField(names, required: false), LoadRequest.modelIDField],
                     requiringAny: [["model_type", "model_id"]],
                     description: "model_type (all models of that type) or model_id (that model; it wins when both are given)")
    }

    private static let decoding = shape()

    init(from decoder: any Decoder) throws {
        let fields = try Self.decoding.fields(of: decoder)
        modelType = try fields.read(LoadRequest.modelTypeField(required: false))
        modelID = try fields.read(LoadRequest.modelIDField)
    }
}
