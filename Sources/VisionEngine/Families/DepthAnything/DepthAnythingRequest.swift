import VisionCore

/// How a depth map is encoded in the response.
public enum DepthFormat: String, WireEnum {
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

/// The original's `export_format` values; the server builds the well-defined ones.
public enum DepthExportFormat: String, WireEnum {
    case glb, npz, ply
    case gsPLY = "gs_ply"
    case gsVideo = "gs_video"

    /// What the server builds (from depth + the camera Depth Anything 3 predicts).
    static let offered: [DepthExportFormat] = [.ply, .glb, .npz]

    var mediaType: String {
        switch self {
        case .ply: "application/x-ply"
        case .glb: "model/gltf-binary"
        case .npz: "application/x-npz"
        case .gsPLY, .gsVideo: "application/octet-stream"
        }
    }
}

/// `POST /inference/depth-anything`: the original's request plus `depth_format` and
/// `include_confidence`.
public struct DepthAnythingRequest: Decodable, Sendable {
    public let images: [ImageInput]
    public let selection: ModelSelection
    public let depthFormat: DepthFormat
    public let exportFormat: DepthExportFormat?
    /// Depth Anything 3 only: also return the confidence map, in `depth_format` (default true).
    public let includeConfidence: Bool

    enum CodingKeys: String, CodingKey {
        case images
        case depthFormat = "depth_format"
        case exportFormat = "export_format"
        case includeConfidence = "include_confidence"
    }

    public init(images: [ImageInput], modelID: String? = nil, depthFormat: DepthFormat = .png8,
                exportFormat: DepthExportFormat? = nil, includeConfidence: Bool = true) {
        self.images = images
        self.selection = ModelSelection(modelID: modelID)
        self.depthFormat = depthFormat
        self.exportFormat = exportFormat
        self.includeConfidence = includeConfidence
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        images = try c.decode([ImageInput].self, forKey: .images)
        selection = try ModelSelection(from: decoder)
        depthFormat = try c.decodeIfPresent(DepthFormat.self, forKey: .depthFormat) ?? .png8
        includeConfidence = try c.decodeIfPresent(Bool.self, forKey: .includeConfidence) ?? true
        exportFormat = try c.decodeIfPresent(DepthExportFormat.self, forKey: .exportFormat)
    }
}

/// A file built from a prediction (point cloud or arrays), returned base64 with its media type.
public struct DepthExportFile: Sendable {
    public let format: DepthExportFormat
    public let data: [UInt8]
    /// Points in a point cloud (ply, glb).
    public let points: Int?
}

/// One image's depth map: V2's post-processed to the image's own size, V3's at the processed size
/// (as the depth-anything-3 package returns it, matching its camera).
public struct DepthResult: Sendable {
    public let depth: [Float]
    public let height: Int
    public let width: Int
    /// The depth map as `depth_format` encodes it.
    public let map: EncodedMap
    /// Depth Anything 3: the confidence map, encoded like the depth.
    public var confidence: EncodedMap?
    /// Depth Anything 3: the predicted camera, in processed-image pixels.
    public var camera: CameraParameters?
    /// The input image's [height, width] where it differs from the depth map's.
    public var originalShape: [Int]?
    public var export: DepthExportFile?

    init(depth: [Float], height: Int, width: Int, map: EncodedMap) {
        self.depth = depth
        self.height = height
        self.width = width
        self.map = map
    }

    public var encoded: [UInt8] { map.encoded }
    public var format: DepthFormat { map.format }
    public var scale: Float? { map.scale }
    public var offset: Float? { map.offset }
}

/// A map encoded as `depth_format` asks, with what restores its values.
public struct EncodedMap: Sendable {
    public let encoded: [UInt8]
    public let format: DepthFormat
    /// The map's smallest and largest values.
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
        var w = JSONWriter(capacity: results.reduce(1024) {
            $0 + ($1.encoded.count + ($1.confidence?.encoded.count ?? 0) + ($1.export?.data.count ?? 0)) * 4 / 3 + 1024
        })
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
        if let original = r.originalShape { w.key("original_shape"); w.ints(original); w.raw(",") }
        w.key("depth_type"); w.string(depthKind); w.raw(",")
        writeRange(r.map, &w)
        if let camera = r.camera {
            w.raw(","); w.key("intrinsics"); writeMatrix(camera.intrinsics, &w)
            w.raw(","); w.key("extrinsics"); writeMatrix(camera.extrinsics, &w)
        }
        w.raw("}")
        if let confidence = r.confidence {
            w.raw(","); w.key("confidence"); w.raw("{")
            w.key("data"); w.base64(confidence.encoded); w.raw(",")
            w.key("format"); w.string(confidence.format.responseName); w.raw(",")
            writeRange(confidence, &w)
            w.raw("}")
        }
        if let export = r.export {
            w.raw(","); w.key("export"); w.raw("{")
            w.key("format"); w.string(export.format.rawValue); w.raw(",")
            w.key("media_type"); w.string(export.format.mediaType); w.raw(",")
            if let points = export.points { w.key("points"); w.number(points); w.raw(",") }
            w.key("data"); w.base64(export.data)
            w.raw("}")
        }
    }

    private func writeRange(_ map: EncodedMap, _ w: inout JSONWriter) {
        w.key("min"); w.number(map.minimum); w.raw(","); w.key("max"); w.number(map.maximum)
        if let scale = map.scale, let offset = map.offset {
            w.raw(","); w.key("scale"); w.number(scale); w.raw(","); w.key("offset"); w.number(offset)
        }
    }

    private func writeMatrix(_ rows: [[Double]], _ w: inout JSONWriter) {
        w.raw("[")
        for (i, row) in rows.enumerated() {
            if i > 0 { w.raw(",") }
            w.raw("[")
            for (j, v) in row.enumerated() { if j > 0 { w.raw(",") }; w.number(v) }
            w.raw("]")
        }
        w.raw("]")
    }
}
