import VisionCore

/// `POST /inference/dinov3`: the original's request, plus `tensor_format`, `variant`, `device`.
public struct DINOv3Request: Decodable, Sendable {
    public let images: [ImageInput]
    public let selection: ModelSelection
    public let tensorFormat: TensorFormat

    static let tensorFormatField = RequestField.choice("tensor_format", default: TensorFormat.list, description:
        "list: nested JSON lists (the original's); base64: little-endian float32, about 6x smaller")
    /// The request, declared once (the document's `DINOv3Request`).
    static let shape = RequestShape([ImageInput.listField, tensorFormatField] + ModelSelection.fields())

    public init(images: [ImageInput], modelID: String? = nil, tensorFormat: TensorFormat = .list) {
        self.images = images
        self.selection = ModelSelection(modelID: modelID)
        self.tensorFormat = tensorFormat
    }

    public init(from decoder: any Decoder) throws {
        let fields = try Self.shape.fields(of: decoder)
        images = try fields.read(ImageInput.listField)
        tensorFormat = try fields.read(Self.tensorFormatField)
        selection = try ModelSelection(from: fields)
    }
}

/// The features of every image in the request, as one batch.
public struct DINOv3Response: Sendable {
    public let lastHiddenState: Tensor
    public let poolerOutput: Tensor
    public let modelID: String
    public let processingTime: Double
    public let tensorFormat: TensorFormat

    /// The response's one definition: its JSON and its OpenAPI schema.
    static let shape = JSONShape<DINOv3Response>([
        .object("features", JSONShape<DINOv3Response>([
            .custom("last_hidden_state", .ref("Tensor")) { r, w in r.write(r.lastHiddenState, &w) },
            .custom("pooler_output", .ref("Tensor")) { r, w in r.write(r.poolerOutput, &w) },
            .integers("last_hidden_state_shape") { $0.lastHiddenState.shape },
            .integers("pooler_output_shape") { $0.poolerOutput.shape },
        ])) { $0 },
        .string("model_id") { $0.modelID },
        .number("processing_time") { $0.processingTime },
        .string("tensor_format", enum: TensorFormat.wireValues) { $0.tensorFormat.rawValue },
    ])

    public func json() -> [UInt8] {
        Self.shape.json(self, capacity: lastHiddenState.count * (tensorFormat == .list ? 12 : 6) + 4096)
    }

    private func write(_ t: Tensor, _ w: inout JSONWriter) {
        switch tensorFormat {
        case .list: w.nestedFloats(t.floats, shape: t.shape)
        case .base64: w.base64Floats(t.floats, shape: t.shape)
        }
    }
}
