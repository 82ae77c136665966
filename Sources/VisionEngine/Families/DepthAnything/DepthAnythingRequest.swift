import VisionCore

/// How a depth map is encoded in the response.
public enum DepthFormat: String, Decodable, Sendable {
    /// 8-bit greyscale PNG, min-max scaled as Hugging Face's depth-estimation pipeline does.
    case png8
    /// 16-bit greyscale PNG; `metadata.scale` and `metadata.offset` restore the values.
    case png16
    /// Base64 of little-endian float32, row-major H×W, the exact post-processed values.
    case float32

    var responseName: String {
        switch self {
        case .png8: "png_base64"
        case .png16: "png16_base64"
        case .float32: "float32_base64"
        }
    }
}

/// `POST /inference/depth-anything`: the original's request plus `depth_format`.
public struct DepthAnythingRequest: Decodable, Sendable {
    public let images: [ImageInput]
    public let selection: ModelSelection
    public let depthFormat: DepthFormat
    public let exportFormat: String?

    enum CodingKeys: String, CodingKey {
        case images
        case depthFormat = "depth_format"
        case exportFormat = "export_format"
    }

    public init(images: [ImageInput], modelID: String? = nil, depthFormat: DepthFormat = .png8) {
        self.images = images
        self.selection = ModelSelection(modelID: modelID)
        self.depthFormat = depthFormat
        self.exportFormat = nil
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        images = try c.decode([ImageInput].self, forKey: .images)
        selection = try ModelSelection(from: decoder)
        depthFormat = try c.decodeIfPresent(DepthFormat.self, forKey: .depthFormat) ?? .png8
        exportFormat = try c.decodeIfPresent(String.self, forKey: .exportFormat)
    }
}

/// One image's depth map, post-processed to the image's own size.
public struct DepthResult: Sendable {
    public let depth: [Float]
    public let height: Int
    public let width: Int
    public let encoded: [UInt8]
    public let format: DepthFormat
    /// The depth map's smallest and largest values.
    public let minimum: Float
    public let maximum: Float
    /// For png16: value = pixel * scale + offset.
    public let scale: Float?
    public let offset: Float?
}

/// The original's response for the first image, plus `results` for every image.
public struct DepthAnythingResponse: Sendable {
    public let results: [DepthResult]
    public let modelID: String
    public let depthKind: String
    public let processingTime: Double

    public func json() -> [UInt8] {
        var w = JSONWriter(capacity: results.reduce(1024) { $0 + $1.encoded.count * 4 / 3 + 512 })
        w.raw("{")
        if let first = results.first { writeFields(first, &w); w.raw(",") }
        w.key("results"); w.raw("[")
        for (i, r) in results.enumerated() {
            if i > 0 { w.raw(",") }
            w.raw("{"); writeFields(r, &w); w.raw("}")
        }
        w.raw("],"); w.key("model_id"); w.string(modelID)
        w.raw(","); w.key("processing_time"); w.number(processingTime)
        w.raw("}")
        return w.bytes
    }

    private func writeFields(_ r: DepthResult, _ w: inout JSONWriter) {
        w.key("depth_data"); w.base64(r.encoded); w.raw(",")
        w.key("format"); w.string(r.format.responseName); w.raw(",")
        w.key("metadata"); w.raw("{")
        w.key("shape"); w.ints([r.height, r.width]); w.raw(",")
        w.key("depth_type"); w.string(depthKind); w.raw(",")
        w.key("min"); w.number(r.minimum); w.raw(","); w.key("max"); w.number(r.maximum)
        if let scale = r.scale, let offset = r.offset {
            w.raw(","); w.key("scale"); w.number(scale); w.raw(","); w.key("offset"); w.number(offset)
        }
        w.raw("}")
    }
}
