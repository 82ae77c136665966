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

    static var responseNames: [String] { allCases.map(\.responseName) }
}

/// The original's `export_format` values; the server builds the well-defined ones.
public enum DepthExportFormat: String, WireEnum {
    case glb, npz, ply
    case gsPLY = "gs_ply"
    case gsVideo = "gs_video"

    /// What the server builds (from depth + the camera Depth Anything 3 predicts; gs_ply from its
    /// Gaussian head, on the presets that have one).
    static let offered: [DepthExportFormat] = [.ply, .glb, .npz, .gsPLY]

    /// The package's presets with a Gaussian head (gs_ply).
    static let gaussianPresets = ["da3-giant", "da3nested-giant-large"]

    var mediaType: String {
        switch self {
        case .ply, .gsPLY: "application/x-ply"
        case .glb: "model/gltf-binary"
        case .npz: "application/x-npz"
        case .gsVideo: "application/octet-stream"
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
    /// Depth Anything 3 only: the images are views of one scene (one pass, one world frame), as
    /// the original's `inference([...])`; false runs each image alone (default true).
    public let scene: Bool
    /// Depth Anything 3 metric preset: the camera's focal length in the original image's pixels,
    /// for depth in metres (the package's `focal * net_output / 300` at the processed size).
    public let focalLength: Double?
    /// Depth Anything 3 any-view presets: known world-to-camera extrinsics per image (3×4 or 4×4,
    /// OpenCV axes), with `intrinsics`, for the model's camera encoder.
    public let extrinsics: [[[Double]]]?
    /// Known intrinsics per image ([[fx, 0, cx], [0, fy, cy], [0, 0, 1]], the original image's pixels).
    public let intrinsics: [[[Double]]]?

    static let depthFormatField = RequestField.choice("depth_format", default: DepthFormat.png8)
    static let exportFormatField = RequestField<DepthExportFormat>.optional("export_format", description:
        "Depth Anything 3: ply, glb (point clouds) or npz; gs_ply (3D Gaussian splats, standard 3DGS PLY) on "
        + "the presets with a Gaussian head (da3-giant, da3nested-giant-large); gs_video (no renderer) and any "
        + "format on Depth Anything V2 are a 400 naming what is offered")
    static let includeConfidenceField = RequestField.boolean("include_confidence", default: true,
                                                             description: "Depth Anything 3: return the confidence map too")
    static let sceneField = RequestField.boolean("scene", default: true, description:
        "Depth Anything 3: the images are views of one scene (one pass, extrinsics in one world frame, one "
        + "point cloud of every view), as the original; false runs each image alone. At most "
        + "DA3_MAX_SCENE_VIEWS views (default 8)")
    static let focalLengthField = RequestField<Double?>.ifPresent("focal_length", .number(description:
        "Depth Anything 3 metric preset (da3metric-large): the camera's focal length in the original image's "
        + "pixels; depth then comes in metres (focal at the processed size / 300 × the model's output)"))
    static let extrinsicsField = RequestField<[[[Double]]]?>.ifPresent("extrinsics", .array(.array(.array(.number())), description:
        "Depth Anything 3 any-view presets: known world-to-camera extrinsics, one 3×4 or 4×4 [R|t] per image "
        + "(OpenCV axes), with intrinsics, fed to the model's camera encoder as the package's inference("
        + "extrinsics=, intrinsics=); depth then comes in these cameras' scale and they are returned"))
    static let intrinsicsField = RequestField<[[[Double]]]?>.ifPresent("intrinsics", .array(.array(.array(.number())), description:
        "With extrinsics: one 3×3 [[fx, 0, cx], [0, fy, cy], [0, 0, 1]] per image, in the original image's "
        + "pixels (returned scaled to the processed size)"))
    /// The request, declared once (the document's `DepthAnythingRequest`).
    static let shape = RequestShape([ImageInput.listField, depthFormatField, exportFormatField, includeConfidenceField,
                                     focalLengthField, extrinsicsField, intrinsicsField, sceneField]
                                    + ModelSelection.fields(modelID: "Hub id of a Depth Anything V2 or 3 export, optionally @revision"))

    public init(images: [ImageInput], modelID: String? = nil, depthFormat: DepthFormat = .png8,
                exportFormat: DepthExportFormat? = nil, includeConfidence: Bool = true, scene: Bool = true,
                focalLength: Double? = nil, extrinsics: [[[Double]]]? = nil, intrinsics: [[[Double]]]? = nil) {
        self.focalLength = focalLength
        self.extrinsics = extrinsics
        self.intrinsics = intrinsics
        self.images = images
        self.selection = ModelSelection(modelID: modelID)
        self.depthFormat = depthFormat
        self.exportFormat = exportFormat
        self.includeConfidence = includeConfidence
        self.scene = scene
    }

    public init(from decoder: any Decoder) throws {
        let fields = try Self.shape.fields(of: decoder)
        images = try fields.read(ImageInput.listField)
        selection = try ModelSelection(from: fields)
        depthFormat = try fields.read(Self.depthFormatField)
        includeConfidence = try fields.read(Self.includeConfidenceField)
        exportFormat = try fields.read(Self.exportFormatField)
        scene = try fields.read(Self.sceneField)
        focalLength = try fields.read(Self.focalLengthField)
        extrinsics = try fields.read(Self.extrinsicsField)
        intrinsics = try fields.read(Self.intrinsicsField)
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

    /// One image's fields, with the response's depth kind.
    struct Item: Sendable {
        let result: DepthResult
        let depthKind: String
    }

    /// `min`, `max` and, for png16, `scale` and `offset` of an encoded map.
    static let range = JSONShape<EncodedMap>([
        .float("min") { $0.minimum },
        .float("max") { $0.maximum },
        .custom("scale", .number(description: "png16: value = pixel * scale + offset"),
                present: { $0.scale != nil && $0.offset != nil }) { m, w in w.number(m.scale!) },
        .custom("offset", .number(), present: { $0.scale != nil && $0.offset != nil }) { m, w in w.number(m.offset!) },
    ])

    static let encodedMap = JSONShape<EncodedMap>([
        .custom("data", .string(description: "base64, encoded as depth_format")) { m, w in w.base64(m.encoded) },
        .string("format", enum: DepthFormat.responseNames) { $0.format.responseName },
    ] + range.fields)

    static let export = JSONShape<DepthExportFile>([
        .string("format", enum: DepthExportFormat.offered.map(\.rawValue)) { $0.format.rawValue },
        .string("media_type") { $0.format.mediaType },
        .custom("points", .integer(), present: { $0.points != nil }) { e, w in w.number(e.points!) },
        .custom("data", .string(description: "base64 file")) { e, w in w.base64(e.data) },
    ])

    private static func matrix(_ rows: [[Double]], _ w: inout JSONWriter) {
        w.raw("[")
        for (i, row) in rows.enumerated() {
            if i > 0 { w.raw(",") }
            w.raw("[")
            for (j, v) in row.enumerated() { if j > 0 { w.raw(",") }; w.number(v) }
            w.raw("]")
        }
        w.raw("]")
    }

    static let item = JSONShape<Item>([
        .custom("depth_data", .string(description: "base64 PNG (png8/png16) or little-endian float32 H×W")) { i, w in
            w.base64(i.result.encoded)
        },
        .string("format", enum: DepthFormat.responseNames) { $0.result.format.responseName },
        .object("metadata", JSONShape<Item>([
            .integers("shape", description: "[height, width] of the depth map") { [$0.result.height, $0.result.width] },
            .custom("original_shape", .array(.integer(), description: "The image's [height, width] where it differs"),
                    present: { $0.result.originalShape != nil }) { i, w in w.ints(i.result.originalShape!) },
            .string("depth_type", description: "relative, metric (metres), or metric_canonical (the metric preset "
                    + "without focal_length: metres for a 300 px focal at the processed size)") { $0.depthKind },
        ] + range.fields(on: { $0.result.map }) + [
            .custom("intrinsics", .array(.array(.number()), description: "Depth Anything 3: 3×3, processed-image pixels"),
                    present: { $0.result.camera != nil }) { i, w in matrix(i.result.camera!.intrinsics, &w) },
            .custom("extrinsics", .array(.array(.number()), description: "Depth Anything 3: 3×4 world-to-camera [R|t]"),
                    present: { $0.result.camera != nil }) { i, w in matrix(i.result.camera!.extrinsics, &w) },
        ])) { $0 },
        .object("confidence", encodedMap, ref: "EncodedMap", present: { $0.result.confidence != nil }) { $0.result.confidence! },
        .object("export", export, ref: "DepthExport", present: { $0.result.export != nil }) { $0.result.export! },
    ])

    /// The response's one definition: the first image's fields at the top (as the original), then
    /// `results` for every image, the model and the time.
    static let shape = JSONShape<DepthAnythingResponse>(
        item.fields(on: { r in r.results.first.map { Item(result: $0, depthKind: r.depthKind) } }) + [
            .objects("results", item, ref: "DepthResult") { r in r.results.map { Item(result: $0, depthKind: r.depthKind) } },
            .string("model_id") { $0.modelID },
            .number("processing_time") { $0.processingTime },
        ], description: "The first image's fields, and results for every image")

    public func json() -> [UInt8] {
        Self.shape.json(self, capacity: results.reduce(1024) {
            $0 + ($1.encoded.count + ($1.confidence?.encoded.count ?? 0) + ($1.export?.data.count ?? 0)) * 4 / 3 + 1024
        })
    }
}
