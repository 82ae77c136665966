import VisionCore

extension ModelType {
    public static let sam2 = ModelType(rawValue: "sam2")
}

/// Click-to-segment (SAM 2 / 2.1 and SAM3's tracker in the onnx-community layout):
/// `POST /inference/sam2`. Setting: `SAM2_EMBEDDING_CACHE_MB` (default 1024; 0 turns the
/// image-embedding cache off).
public enum SAM2Family: Family {
    public static let loader = ModelLoader<SAM2Model>(
        type: .sam2, defaultModelID: "onnx-community/sam2.1-hiera-tiny-ONNX", exporter: .named("sam2"),
        // Sam3VideoModel: facebook/sam3, whose tracker this family serves (its detector is SAM3's).
        architectures: ["Sam2Model", "Sam3TrackerModel", "Sam3VideoModel"]
    ) { snapshot, context in try SAM2Model.load(snapshot: snapshot, context: context) }

    static func cacheMB(_ settings: FamilySettings) throws -> Int {
        try settings.int("SAM2_EMBEDDING_CACHE_MB", default: 1024)
    }

    public static func checkSettings(_ settings: FamilySettings) throws { _ = try cacheMB(settings) }

    public static func serve(_ context: FamilyContext) throws -> ServedFamily {
        let cache = ImageEmbeddingCache(family: "sam2", capacityMB: try cacheMB(context.settings), metrics: context.metrics)
        let health = ImageEmbeddingCache.health("sam2_embedding_cache", cache, setting: "SAM2_EMBEDDING_CACHE_MB")
        let service = SAM2Service(context: context.engine, cache: cache, encoder: context.pngEncoder,
                                  deflater: context.deflater)
        return ServedFamily(
            type: .sam2,
            routes: [.json("/inference/sam2", summary: "Click-to-segment: points and boxes to masks (SAM 2.1, SAM3 tracker)",
                           request: SAM2Request.self, requestSchema: "SAM2Request", responseSchema: "SAM2Response",
                           example: ["images": [ImageInput.exampleValue],
                                     "objects": [["points": [[2, 2]], "labels": [1]]], "output_format": "polygons"],
                           run: service.run)],
            jobs: .validating(SAM2Request.self) { request in
                try service.validate(request)
                return request.images
            },
            schemas: [
                "SAM2Request": SAM2Request.shape.schema,
                "SAM2Object": ClickObject.shape.schema,
                "SAM2ObjectResult": SAM2Response.objectShape.schema,
                "SAM2ImageResult": SAM2Response.imageShape.schema,
                "SAM2Response": SAM2Response.shape.schema,
            ],
            health: health.value, healthSchema: health.schema,
            page: PageView(.clicks, fields: [(SAM2Request.outputFormatField.name, .string(MaskFormat.png.rawValue)),
                                             (SAM2Request.bestMaskOnlyField.name, .bool(true))]))
    }

    /// `predict --out masks.png`: per image an 8-bit label map of the objects' best masks.
    public static let fileOutputs: [FamilyFileOutput] = [
        .of(SAM2Response.self, fileExtension: "png",
            summary: "per image, an 8-bit label map of each object's best mask (0 background, k the k-th object)") { response, png in
            try response.results.indices.map { i in
                let map = response.labelMap(image: i)
                return try png.grey8(map.pixels, width: map.width, height: map.height)
            }
        },
    ]
}

extension SAM2Response: JSONResponse {}
