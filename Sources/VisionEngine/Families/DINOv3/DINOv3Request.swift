import VisionCore

/// `POST /inference/dinov3`: the original's request, plus `tensor_format`, `variant`, `device`.
public struct DINOv3Request: Decodable, Sendable {
    public let images: [ImageInput]
    public let selection: ModelSelection
    public let tensorFormat: TensorFormat

    enum CodingKeys: String, CodingKey {
        case images
        case tensorFormat = "tensor_format"
    }

    public init(images: [ImageInput], modelID: String? = nil, tensorFormat: TensorFormat = .list) {
        self.images = images
        self.selection = ModelSelection(modelID: modelID)
        self.tensorFormat = tensorFormat
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        images = try c.decode([ImageInput].self, forKey: .images)
        selection = try ModelSelection(from: decoder)
        tensorFormat = try c.decodeIfPresent(TensorFormat.self, forKey: .tensorFormat) ?? .list
    }
}

/// The features of every image in the request, as one batch.
public struct DINOv3Response: Sendable {
    public let lastHiddenState: Tensor
    public let poolerOutput: Tensor
    public let modelID: String
    public let processingTime: Double
    public let tensorFormat: TensorFormat

    /// `{"features": {"last_hidden_state", "pooler_output", "last_hidden_state_shape",
    /// "pooler_output_shape"}, "model_id", "processing_time", "tensor_format"}`.
    public func json() -> [UInt8] {
        var w = JSONWriter(capacity: tensorFormat == .list ? lastHiddenState.count * 12 + 4096 : lastHiddenState.count * 6 + 4096)
        w.raw("{"); w.key("features"); w.raw("{")
        w.key("last_hidden_state"); write(lastHiddenState, &w); w.raw(",")
        w.key("pooler_output"); write(poolerOutput, &w); w.raw(",")
        w.key("last_hidden_state_shape"); w.ints(lastHiddenState.shape); w.raw(",")
        w.key("pooler_output_shape"); w.ints(poolerOutput.shape)
        w.raw("},"); w.key("model_id"); w.string(modelID); w.raw(",")
        w.key("processing_time"); w.number(processingTime); w.raw(",")
        w.key("tensor_format"); w.string(tensorFormat.rawValue); w.raw("}")
        return w.bytes
    }

    private func write(_ t: Tensor, _ w: inout JSONWriter) {
        switch tensorFormat {
        case .list: w.nestedFloats(t.floats, shape: t.shape)
        case .base64: w.base64Floats(t.floats, shape: t.shape)
        }
    }
}
