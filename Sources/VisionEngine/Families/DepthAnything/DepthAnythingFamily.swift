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

    public static func serve(_ context: FamilyContext) -> ServedFamily {
        let service = DepthAnythingService(context: context.engine, encoder: context.pngEncoder)
        return ServedFamily(
            type: .depthAnything,
            routes: [.json("/inference/depth-anything", summary: "Depth maps (Depth Anything V2 and 3), one per image",
                           request: DepthAnythingRequest.self, requestSchema: "DepthAnythingRequest",
                           responseSchema: "DepthAnythingResponse", run: service.run)],
            jobs: .validating(DepthAnythingRequest.self) { $0.images },
            schemas: schemas)
    }

    static let schemas: KeyValuePairs<String, Schema> = [
        "DepthAnythingRequest": .object(properties: [
            ("images", ImageInput.listSchema),
            ("depth_format", .string(enum: ["png8", "png16", "float32"], default: "png8")),
            ("export_format", .string(enum: DepthExportFormat.allCases.map(\.rawValue), description:
                "Depth Anything 3: ply, glb (point clouds) or npz; gs_* and any format on Depth Anything V2 are a "
                + "400 naming what is offered")),
            ("include_confidence", .boolean(default: true, description: "Depth Anything 3: return the confidence map too")),
        ] + ModelSelection.schemaProperties(modelID: "Hub id of a Depth Anything V2 or 3 export, optionally @revision"),
        required: ["images"]),
        "EncodedMap": DepthAnythingResponse.encodedMap.schema,
        "DepthExport": DepthAnythingResponse.export.schema,
        "DepthResult": DepthAnythingResponse.item.schema,
        "DepthAnythingResponse": DepthAnythingResponse.shape.schema,
    ]
}

extension DepthAnythingResponse: JSONResponse {}
