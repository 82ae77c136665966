import VisionCore

extension ModelType {
    public static let embeddings = ModelType(rawValue: "embeddings")
}

/// Image–text embeddings (CLIP; SigLIP's images): `POST /inference/embeddings`, and the Hugging
/// Face task forms `zero-shot-image-classification` and `image-feature-extraction`.
public enum EmbeddingsFamily: Family {
    public static let loader = ModelLoader<EmbeddingsModel>(
        type: .embeddings, defaultModelID: "Xenova/clip-vit-base-patch32", exporter: .named("embeddings"),
        architectures: ["CLIPModel", "SiglipModel"]
    ) { snapshot, context in try EmbeddingsModel.load(snapshot: snapshot, context: context) }

    public static func serve(_ context: FamilyContext) -> ServedFamily {
        let service = EmbeddingsService(context: context.engine)
        return ServedFamily(
            type: .embeddings,
            routes: [
                .json("/inference/embeddings", summary: "Images and texts to L2-normalised vectors in one space (CLIP)",
                      request: EmbeddingsRequest.self, requestSchema: "EmbeddingsRequest", responseSchema: "EmbeddingsResponse",
                      example: ["images": [ImageInput.exampleValue], "texts": ["a photo of a cat"]], run: service.embed),
                .json("/inference/zero-shot-image-classification",
                      summary: "Zero-shot image classification in the Hugging Face task form",
                      request: ZeroShotClassificationRequest.self, requestSchema: "ZeroShotClassificationRequest",
                      responseSchema: "ImageClassificationResponse", task: "zero-shot-image-classification",
                      imageBody: false,  // candidate_labels has no default
                      example: ["inputs": ImageInput.exampleValue, "parameters": ["candidate_labels": ["cat", "dog"]]],
                      run: service.zeroShot),
                .json("/inference/image-feature-extraction",
                      summary: "Image embeddings in the Hugging Face image-feature-extraction task form",
                      request: ImageFeatureRequest.self, requestSchema: "ImageFeatureRequest",
                      responseSchema: "ImageFeatureResponse", task: "image-feature-extraction",
                      example: ["inputs": ImageInput.exampleValue], run: service.features),
            ],
            jobs: .validating(EmbeddingsRequest.self) { request in
                try request.validate(limits: EmbeddingsLimits())
                return request.images
            },
            schemas: [
                "EmbeddingsRequest": EmbeddingsRequest.shape.schema,
                "EmbeddingsResponse": EmbeddingsResponse.shape.schema,
                "ZeroShotClassificationRequest": ZeroShotClassificationRequest.shape.schema,
                "Classification": Classification.shape.schema,
                "ImageClassificationResponse": ImageClassificationResponse.schema,
                "ImageFeatureRequest": ImageFeatureRequest.shape.schema,
                "ImageFeatureResponse": ImageFeatureResponse.schema,
            ],
            statusSchema: [
                ("logit_scale", .number(nullable: true, description: "exp(logit_scale) of the checkpoint (null: unknown)")),
                ("logit_bias", .number(nullable: true, description: "SigLIP's logit bias (null for CLIP)")),
            ],
            page: PageView(.embeddings, fields: [(EmbeddingsRequest.encodingField.name, .string(EmbeddingEncoding.float.rawValue))]))
    }
}

extension EmbeddingsResponse: JSONResponse {}
extension ImageFeatureResponse: JSONResponse {}
