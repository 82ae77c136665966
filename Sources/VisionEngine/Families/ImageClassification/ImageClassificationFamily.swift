import VisionCore

extension ModelType {
    public static let imageClassification = ModelType(rawValue: "image_classification")
}

/// Hugging Face's image-classification task: `POST /inference/image-classification` over any
/// `*ForImageClassification` export (`pixel_values` -> `logits`).
public enum ImageClassificationFamily: Family {
    public static let loader = ModelLoader<ImageClassificationModel>(
        type: .imageClassification, defaultModelID: "Xenova/vit-base-patch16-224", exporter: .named("image_classification"),
        architectures: ["*ForImageClassification"]
    ) { snapshot, context in try ImageClassificationModel.load(snapshot: snapshot, context: context) }

    public static func serve(_ context: FamilyContext) -> ServedFamily {
        let service = ImageClassificationService(context: context.engine)
        return ServedFamily(
            type: .imageClassification,
            routes: [.json("/inference/image-classification",
                           summary: "Image classification, as pipeline(\"image-classification\")",
                           request: ImageClassificationRequest.self, requestSchema: "ImageClassificationRequest",
                           responseSchema: "ImageClassificationResponse", task: "image-classification", 
                           example: ["inputs": ImageInput.exampleValue, "parameters": ["top_k": 3]], run: service.run)],
            jobs: .validating(ImageClassificationRequest.self) { $0.images.images },
            schemas: [
                "ImageClassificationRequest": ImageClassificationRequest.shape.schema,
                "Classification": Classification.shape.schema,
                "ImageClassificationResponse": ImageClassificationResponse.schema,
            ],
            page: PageView(.labels))
    }
}

extension ImageClassificationResponse: JSONResponse {}
