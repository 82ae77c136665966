import VisionCore

extension ModelType {
    public static let depthAnything = ModelType(rawValue: "depth_anything")
}

/// Depth estimation with Depth Anything V2 or 3: `POST /inference/depth-anything`.
public enum DepthAnythingFamily: Family {
    /// The default model is the original's. Repositories of the `depth-anything-3` package (no
    /// image processor config) are exported by the `depth_anything_3` exporter.
    public static let loader = ModelLoader<DepthEstimator>(
        type: .depthAnything, defaultModelID: "depth-anything/da3-base",
        exporter: ExportHint(names: ["depth_anything", "depth_anything_3"]) { files in
            files.contains("preprocessor_config.json") ? "depth_anything" : "depth_anything_3"
        },
        architectures: ["DepthAnythingForDepthEstimation", "DepthAnything3"]
    ) { snapshot, context in try DepthEstimator.load(snapshot: snapshot, context: context) }

    static func maxSceneViews(_ settings: FamilySettings) throws -> Int {
        try settings.int("DA3_MAX_SCENE_VIEWS", default: 8, min: 1)
    }

    public static func checkSettings(_ settings: FamilySettings) throws { _ = try maxSceneViews(settings) }

    public static func serve(_ context: FamilyContext) throws -> ServedFamily {
        let service = DepthAnythingService(context: context.engine, encoder: context.pngEncoder,
                                           maxSceneViews: try maxSceneViews(context.settings))
        return ServedFamily(
            type: .depthAnything,
            routes: [.json("/inference/depth-anything", summary: "Depth maps (Depth Anything V2 and 3), one per image",
                           request: DepthAnythingRequest.self, requestSchema: "DepthAnythingRequest",
                           responseSchema: "DepthAnythingResponse",
                           example: ["images": [ImageInput.exampleValue], "depth_format": "png16"], run: service.run)],
            jobs: .validating(DepthAnythingRequest.self) { $0.images },
            schemas: schemas,
            page: PageView(.depth, fields: [(DepthAnythingRequest.depthFormatField.name, .string(DepthFormat.float32.rawValue))]))
    }

    /// `predict --out depth.png` (16-bit; the JSON's metadata scale and offset restore the values)
    /// and, on Depth Anything 3, the export formats by their extension.
    public static let fileOutputs: [FamilyFileOutput] = [
        .of(DepthAnythingResponse.self, fileExtension: "png", summary: "per image, the depth map as a 16-bit PNG; the JSON's metadata scale and offset restore the values",
            requestFields: [("depth_format", "png16")]) { response, _ in
            try response.results.map { result in
                guard result.format != .float32 else {
                    throw VisionError.invalidInput("depth_format float32 is not a PNG; use png8 or png16 for a .png file")
                }
                return result.encoded
            }
        },
    ] + DepthExportFormat.offered.map { format in
        .of(DepthAnythingResponse.self, fileExtension: format.rawValue,
            summary: "Depth Anything 3: the \(format.rawValue) export of the scene (of each image with scene=false)",
            requestFields: [("export_format", .string(format.rawValue))]) { response, _ in
            let files = response.results.compactMap { $0.export?.data }
            guard !files.isEmpty else { throw VisionError.invalidInput("the answer has no \(format.rawValue) export") }
            return files
        }
    }

    static let schemas: KeyValuePairs<String, Schema> = [
        "DepthAnythingRequest": DepthAnythingRequest.shape.schema,
        "EncodedMap": DepthAnythingResponse.encodedMap.schema,
        "DepthExport": DepthAnythingResponse.export.schema,
        "DepthResult": DepthAnythingResponse.item.schema,
        "DepthAnythingResponse": DepthAnythingResponse.shape.schema,
    ]
}

extension DepthAnythingResponse: JSONResponse {}
