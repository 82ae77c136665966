import VisionCore

extension ModelType {
    public static let sam3 = ModelType(rawValue: "sam3")
}

/// Text-prompted instance segmentation: `POST /inference/sam3`. Setting:
/// `SAM3_EMBEDDING_CACHE_MB` (default 1024; 0 turns the image-embedding cache off).
public enum SAM3Family: Family {
    /// The default model is the original's.
    public static let loader = ModelLoader<SAM3Model>(
        type: .sam3, defaultModelID: "facebook/sam3", exporter: .named("sam3"),
        architectures: ["Sam3Model", "Sam3VideoModel"]
    ) { snapshot, context in try SAM3Model.load(snapshot: snapshot, context: context) }

    static func cacheMB(_ settings: FamilySettings) throws -> Int {
        try settings.int("SAM3_EMBEDDING_CACHE_MB", default: 1024)
    }

    public static func checkSettings(_ settings: FamilySettings) throws { _ = try cacheMB(settings) }

    public static func serve(_ context: FamilyContext) throws -> ServedFamily {
        let cache = ImageEmbeddingCache(family: "sam3", capacityMB: try cacheMB(context.settings), metrics: context.metrics)
        let health = ImageEmbeddingCache.health("sam3_embedding_cache", cache, setting: "SAM3_EMBEDDING_CACHE_MB")
        let service = SAM3Service(context: context.engine, cache: cache, encoder: context.pngEncoder,
                                  deflater: context.deflater)
        return ServedFamily(
            type: .sam3,
            routes: [.json("/inference/sam3", summary: "Text-prompted instance segmentation (SAM3)",
                           request: SAM3Request.self, requestSchema: "SAM3Request", responseSchema: "SAM3Response",
                           example: ["images": [ImageInput.exampleValue], "prompts": ["a cat"], "output_format": "polygons"], run: service.run)],
            jobs: .validating(SAM3Request.self) { request in
                try service.validate(request, imageCount: request.images.count)
                return request.images
            },
            schemas: schemas,
            health: health.value, healthSchema: health.schema,
            page: PageView(.masks, fields: [(SAM3Request.outputFormatField.name, .string(MaskFormat.png.rawValue))]))
    }

    /// `predict --out masks.png`: per image an 8-bit label map of the instances.
    public static let fileOutputs: [FamilyFileOutput] = [
        .of(SAM3Response.self, fileExtension: "png",
            summary: "per image, an 8-bit instance label map (0 background, k the k-th instance)") { response, png in
            try response.results.indices.map { i in
                let map = try response.labelMap(image: i)
                return try png.grey8(map.pixels, width: map.width, height: map.height)
            }
        },
    ]

    static let schemas: KeyValuePairs<String, Schema> = [
        "SAM3Request": SAM3Request.shape.schema,
        "SAM3PromptResult": SAM3Response.itemShape.schema,
        "SAM3Response": SAM3Response.shape.schema,
    ]
}

extension SAM3Response: JSONResponse {}
